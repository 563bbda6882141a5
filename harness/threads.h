/*
 * fuzz_threads' executor: op programs run as rounds of concurrent per-P
 * streams separated by stop-the-world barriers (harness/OPS.md, "Threads").
 *
 *   threads_run.c    decodes an input into rounds, chooses each op so that
 *                    the model's prediction holds in every interleaving,
 *                    runs a round on one thread per P, replays it on the
 *                    model and compares;
 *   threads_check.c  the barrier ops and the stopped-world checks;
 *   fuzz_threads.c   the fuzz target.
 *
 * Objects are named by model id (h0, h1, ... in the order the model
 * allocates them, which is program order).
 */
#ifndef ALLOCFUZZ_THREADS_H
#define ALLOCFUZZ_THREADS_H

#include "harness/ops.h"
#include "oracles/model.h"

#define TH_NPROCS 4          /* worker threads; a heap has 2..TH_NPROCS Ps */
#define TH_MAXOBJS 4096      /* objects an input may allocate */
#define TH_ROUND_OPS 96      /* ops in one round (all Ps); more start a new round */
#define TH_MAXROUNDS 64
#define TH_CAP ((size_t)128 << 20)
/* Block bytes an input may allocate in all (later allocations are skipped),
 * far enough below TH_CAP that no interleaving can reach NOMEM: every span
 * holds a block allocated once, or is one of at most 4 x 134 cached spans. */
#define TH_BUDGET ((size_t)16 << 20)
#define TH_MAXFINS 4096
#define TH_MAXBUCKETS 512

/* One op of a round, in program order. The P's thread fills the results. */
typedef struct th_op {
	op_t op;            /* resolved: object ids are model ids */
	uint8_t p;
	uint32_t stack;     /* alloc: the P's call stack id */
	uintptr_t fn;       /* setfin: finalizer identity (th_fn) */
	alloc_err_t err;    /* result */
	uintptr_t addr;     /* alloc: the address */
	size_t bad;         /* alloc: 1 + the first non-zero byte, 0 = zeroed */
} th_op_t;

typedef struct th_obj {
	uintptr_t addr;     /* heap address (valid once its round ran) */
	uint64_t size, ptrs;
	int8_t owner;       /* P that may name it this round, -1: any */
	bool freed;         /* freed (or refused a free) this round: gone for everyone */
	bool target;        /* stored as a pointer this round: must not be freed */
	uint32_t refs;      /* roots and live pointer slots naming it at round start */
} th_obj_t;

typedef struct th_block { uintptr_t addr; size_t size; int32_t id; } th_block_t;
typedef struct th_fin { uintptr_t fn, obj; } th_fin_t;

typedef struct th {
	heap_config_t cfg;
	heap_t *h;
	model_t *m;
	uintptr_t arena;            /* for printing addresses build-independently */
	/* the round being built and run */
	th_op_t round[TH_ROUND_OPS];
	size_t nround;
	unsigned rounds;            /* rounds run in this input */
	/* objects by model id */
	th_obj_t obj[TH_MAXOBJS];
	size_t nobjs;               /* ids handed out (the model's count after the round) */
	size_t budget;              /* block bytes left */
	int8_t rootowner[HEAP_NROOTS];
	int curp;
	uint32_t stack[TH_NPROCS];
	/* scratch */
	int32_t view[TH_MAXOBJS];
	uint64_t vsize[TH_MAXOBJS], vptrs[TH_MAXOBJS];
	int32_t gone[TH_MAXOBJS];   /* freed since the last full check */
	size_t ngone;
	th_block_t blocks[TH_MAXOBJS];
	th_fin_t hfin[TH_MAXFINS], mfin[TH_MAXFINS];
	size_t nhfin, nmfin;
	heap_bucket_t buckets[TH_MAXBUCKETS];
	size_t nbuckets;
	/* the program so far, for reports */
	program_t rec;
} th_t;

/* threads_run.c */
th_t *th_get(uint8_t config);               /* one per config, kept across inputs */
void th_run(th_t *t, const uint8_t *data, size_t n);
void th_setfin(th_t *t, int32_t id, uint32_t off, uintptr_t fn);  /* both sides, compared */
size_t th_pattern_bad(th_t *t, int32_t id); /* 1 + first byte off its pattern, or 0 */
void th_note_gone(th_t *t, int32_t id);
void th_print_tail(const th_t *t, FILE *out);

/* threads_check.c */
void th_barrier(th_t *t, const op_t *op);   /* runs a barrier op, then checks */
void th_finish(th_t *t);                    /* end of input: sweep finished, all checks */
void th_fail(th_t *t, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

/* Finalizer identity: the object, offset and action, so both sides and
 * runfin agree on what a record means; ascending fn = ascending (id, off). */
static inline uintptr_t th_fn(int32_t id, uint32_t off, unsigned action, unsigned slot)
{ return (uintptr_t)(id + 1) << 32 | (uintptr_t)(off & 0xffffff) << 8 | action << 6 | (slot & 63); }
static inline int32_t th_fn_obj(uintptr_t fn) { return (int32_t)(fn >> 32) - 1; }
static inline uint32_t th_fn_off(uintptr_t fn) { return (uint32_t)(fn >> 8) & 0xffffff; }
static inline unsigned th_fn_action(uintptr_t fn) { return (fn >> 6) & 3; }
static inline unsigned th_fn_slot(uintptr_t fn) { return fn & 63; }

#endif
