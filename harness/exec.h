/*
 * The lockstep executor: runs op programs (harness/ops.h) on one or two real
 * heaps ("lanes") and on the reference model, comparing every result at once.
 * See harness/OPS.md for what each op means and exec.c for the checks.
 *
 * An executor is created once and reset between inputs (heap_reset and
 * model_reset, not rebuilt), so a fuzz target pays per input only for what
 * the input touched.
 */
#ifndef ALLOCFUZZ_EXEC_H
#define ALLOCFUZZ_EXEC_H

#include "harness/ops.h"
#include "alloc/alloc.h"

typedef enum exec_mode {
	EXEC_ONE = 0,          /* one heap (sweep and specials from the config) */
	EXEC_TWIN_SPECIALS,    /* span-specials heap + legacy heap: addresses and
	                          observations identical */
	EXEC_TWIN_SWEEP,       /* eager heap + lazy heap: observations identical */
	EXEC_MODEL_ONLY,       /* no heap: resolve and print (disasm of a program
	                          whose heap would not run) */
} exec_mode_t;

typedef enum exec_status {
	EXEC_OK = 0,           /* every check held */
	EXEC_DIFF = 1,         /* a difference, a failed expect, or a throw */
	EXEC_INPUT = 2,        /* the program is invalid (text programs only) */
} exec_status_t;

typedef struct exec_config {
	exec_mode_t mode;
	int nprocs;                    /* 0 = 4 */
	heap_sweep_mode_t sweep;       /* EXEC_ONE */
	heap_specials_mode_t specials; /* EXEC_ONE */
	size_t cap_bytes;              /* 0 = 16 MiB: small enough that big objects reach NOMEM and runs stay cheap */
	int64_t profrate;              /* initial MemProfileRate (default 0: off) */
	FILE *out;                     /* gc lines and -v trace; NULL: none */
	bool verbose;                  /* trace every op with its result */
	bool keep_going;               /* after a difference, continue on the model
	                                  alone (asm/disasm of failing programs) */
} exec_config_t;

typedef struct exec exec_t;

/* NULL with a message on stderr if a heap or the model cannot be created. */
/* Every this many content checks of a lane (and at the end of the input)
 * every live object's memory is checked against its pattern; in between only
 * the objects whose block overlaps a block handed out since the last check
 * (exec_check.c says why that is all that can change). */
#define EXEC_CONTENT_FULL_EVERY 8

exec_t *exec_new(const exec_config_t *cfg);
void exec_destroy(exec_t *ex);

/* Runs a text program (object ids fixed by the parser). If asm_out is not
 * NULL, every op is also encoded into it in the binary form, in the state it
 * runs in (allocfuzz asm). */
exec_status_t exec_run_program(exec_t *ex, const program_t *prog, opbuf_t *asm_out);
/* Runs a binary program. If record is not NULL, the ops that ran (resolved,
 * skipped ones left out) are appended to it (allocfuzz disasm); its objects
 * are h0, h1, ... */
exec_status_t exec_run_binary(exec_t *ex, const uint8_t *data, size_t n, program_t *record);

/* The report of the last run that did not return EXEC_OK: what differed,
 * where, expected vs actual, and the last 20 ops as .ops text. */
const char *exec_report(const exec_t *ex);
/* Ops executed since exec_new (for execs/s and ops/s figures). */
uint64_t exec_ops_run(const exec_t *ex);

/* For tests that prove a check fires: fn runs after every op (not after the
 * final observation) and may corrupt what a heap holds. */
typedef void (*exec_op_hook_t)(exec_t *ex, size_t opindex, void *ctx);
void exec_set_op_hook(exec_t *ex, exec_op_hook_t fn, void *ctx);
heap_t *exec_heap(exec_t *ex, int lane);
/* Where program object pid lives in lane's heap, or NULL if not allocated. */
void *exec_object(exec_t *ex, int lane, int32_t pid);

/* Fuzz target helper: one executor per mode, kept across inputs; runs a
 * binary input and on a finding prints the report and abort()s so that
 * libFuzzer / AFL++ record it. */
int exec_fuzz_one(exec_mode_t mode, const uint8_t *data, size_t n);

#endif
