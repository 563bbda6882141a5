/*
 * The op language: programs of alloc / free / setfinalizer / GC operations
 * that the executor (exec.c) runs on real heaps and on the reference model
 * in lockstep. Two forms, one representation (see harness/OPS.md):
 *
 *   text   (.ops files, ops_text.c): one op per line, objects by name;
 *   binary (what fuzzers mutate, ops_bin.c): an opcode byte and operand
 *          bytes; every byte string is a program. Objects are chosen by
 *          index into the live set at the moment the op runs, so a binary
 *          op is "resolved" into an op_t with object ids by the executor.
 *
 * An op_t names objects by object id: 0, 1, 2, ... in allocation (alloc op)
 * order. A text program's ids are fixed by the parser; a binary program's
 * ids are assigned as its alloc ops run (and named h0, h1, ...).
 */
#ifndef ALLOCFUZZ_OPS_H
#define ALLOCFUZZ_OPS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

/* A pointer slot: ptrwords counts these (Go's 64-bit word). */
#define OP_WORD_BYTES 8

typedef enum op_code {
	OP_ALLOC = 0,     /* obj = alloc a [ptrs=b] */
	OP_FREE,          /* free obj */
	OP_ROOT,          /* root a obj2+off2 | nil */
	OP_STORE,         /* store obj.a obj2+off2 | nil */
	OP_SETFIN,        /* setfin obj+off action(b) [slot a] */
	OP_CLEARFIN,      /* clearfin obj */
	OP_GC,            /* gc */
	OP_SWEEP,         /* sweep [a]; a == 0: finish the sweep */
	OP_RUNFIN,        /* runfin */
	OP_PROC,          /* proc a */
	OP_PROFRATE,      /* profrate a */
	OP_STACK,         /* stack a */
	OP_CHECK,         /* check */
	OP_SCAVENGE,      /* scavenge (extension) */
	OP_EXPECT_FINALIZED, /* expect finalized LIST */
	OP_EXPECT_LIVE,   /* expect live LIST */
	OP_EXPECT_DEAD,   /* expect dead LIST */
	OP_EXPECT_ERR,    /* expect err a (alloc_err_t) */
	OP_REPEAT,        /* binary form only: run the next b records a times
	                   * (consumed by opbin_next, never executed) */
	OP__COUNT
} op_code_t;

/* Finalizer actions (setfin), applied by runfin in ascending object id. */
typedef enum fin_action {
	FIN_KEEP = 0,       /* do nothing */
	FIN_RESURRECT = 1,  /* store the object's pointer in root slot op.a */
	FIN_REFIN = 2,      /* set a keep finalizer on the same address again */
} fin_action_t;

#define OBJ_NONE  (-1)  /* no object operand / nil target */

typedef struct op {
	uint8_t code;      /* op_code_t */
	uint8_t action;    /* OP_SETFIN: fin_action_t */
	uint32_t line;     /* text: 1-based source line; binary: byte offset of the opcode */
	int32_t obj;       /* subject object id (alloc: the new object), or OBJ_NONE */
	int32_t obj2;      /* OP_ROOT / OP_STORE target object id, or OBJ_NONE for nil */
	uint64_t off;      /* OP_SETFIN: byte offset added to obj */
	uint64_t off2;     /* OP_ROOT / OP_STORE: byte offset added to obj2 */
	uint64_t a;        /* alloc size; root/store/resurrect slot; sweep N; proc P;
	                    * profrate; stack id; expect err code */
	uint64_t b;        /* alloc ptr words */
	uint32_t list, nlist; /* OP_EXPECT_{FINALIZED,LIVE,DEAD}: prog->lists[list..+nlist) */
	uint32_t enc, nenc;   /* recorded binary runs: the op's canonical encoding,
	                       * prog->enc.buf[enc..+nenc) (OPS_NOENC: none) */
} op_t;
#define OPS_NOENC UINT32_MAX

/* A growing byte buffer (binary programs). */
typedef struct opbuf { uint8_t *buf; size_t len, cap; } opbuf_t;
void opbuf_put(opbuf_t *b, const void *p, size_t n);
void opbuf_free(opbuf_t *b);

/* A repeat block of a program: ops [first, end) are count iterations of
 * nbody ops. The text parser records each innermost `repeat`; a recorded
 * binary run (program_record) each REPEAT record that ran (ok: every
 * iteration recorded the same number of ops). asm writes a block as one
 * REPEAT record and disasm prints it as `repeat N {` where the iterations
 * encode (and print) identically. */
typedef struct oprep {
	size_t first, end, nbody;
	uint32_t count;
	uint32_t rep, iter, cur;  /* recording: which REPEAT, current iteration, its ops */
	bool ok;
} oprep_t;

/* A parsed or decoded program. Objects are named by id (objname). */
typedef struct program {
	op_t *ops;
	size_t nops, capops;
	char **objname;     /* object id -> name (owned); text: the name as written */
	size_t nobjs, capobjs;
	int32_t *lists;     /* object ids of expect lists */
	size_t nlists, caplists;
	char *path;         /* source file, for messages (owned; may be NULL) */
	oprep_t *reps;      /* repeat blocks, ascending and disjoint */
	size_t nreps, capreps;
	opbuf_t enc;        /* recorded binary runs: the ops' encodings (op_t.enc) */
} program_t;

void program_init(program_t *p);
void program_free(program_t *p);
/* Appends an op (copied); returns its index. Aborts only on out-of-memory. */
size_t program_push(program_t *p, const op_t *op);
/* Creates object id nobjs with the given name (copied). */
int32_t program_new_obj(program_t *p, const char *name);
uint32_t program_push_list(program_t *p, const int32_t *ids, size_t n);
/* Appends a zeroed repeat block. */
oprep_t *program_push_rep(program_t *p);
/* The name of object id: as written, or h<id> when the program has none
 * (binary programs); tmp holds the latter. */
const char *program_objname(const program_t *p, int32_t id, char tmp[24]);

/* realloc that aborts on out-of-memory (the harness has no recovery). */
void *ops_xrealloc(void *p, size_t n);

bool op_is_expect(op_code_t c);

/* ---- text form: ops_text.c ---- */

/* Parse error or execution-time input error: where and what. */
typedef struct ops_error {
	uint32_t line;      /* 0: not tied to a line */
	char msg[200];
} ops_error_t;

/* Text compact form: `repeat N {` ... `}` parses the block N times (N <=
 * OPS_REPEAT_MAX, nesting allowed); a program may expand to at most
 * OPS_TEXT_MAX_OPS ops (the executor's cost stays bounded). */
#define OPS_REPEAT_MAX 100000
#define OPS_TEXT_MAX_OPS 1000000
/* Parses .ops text (len bytes, need not be NUL-terminated). Returns false
 * with *err filled on the first input error; p is then partially filled
 * and must still be freed. */
bool ops_parse_text(const char *text, size_t len, program_t *p, ops_error_t *err);
/* One op as a line of .ops text (no newline) into buf; returns the length
 * it needed (snprintf rules). Names come from p->objname. */
int op_format(const program_t *p, const op_t *op, char *buf, size_t n);
void program_print(const program_t *p, FILE *out);
/* Heuristic: a file is text if it is non-empty printable ASCII/whitespace
 * and its first op token is a known keyword or "NAME =". */
bool ops_looks_like_text(const uint8_t *data, size_t len);

/* ---- binary form: ops_bin.c ---- */

/* A raw binary op: decoding is context free (record lengths depend only
 * on the bytes); object operands are selectors resolved against the live
 * set when the op runs (opbin_resolve): selector k picks the k-th live
 * object counting from the newest (k modulo the live count). */
#define SEL_NIL 0xffffffffu   /* target operand: nil */
typedef struct opbin_raw {
	uint8_t code;       /* op_code_t (never an expect op) */
	uint8_t action;     /* OP_SETFIN */
	uint32_t at;        /* byte offset of the opcode */
	uint32_t sel, sel2; /* subject and target selectors */
	uint64_t off, off2; /* raw offsets: taken modulo the object's size */
	uint64_t a, b;      /* as op_t; a store's slot index is taken modulo the
	                     * object's ptr words; OP_REPEAT: count, body records */
	uint32_t rep, iter; /* from opbin_next: 1 + offset of the REPEAT whose
	                     * body this op runs in (0: none), 0-based iteration */
} opbin_raw_t;

/* Record boundaries, for mutators: a record is an opcode byte and its
 * operand bytes. The last record may be truncated (missing operand bytes
 * read as zero). */
typedef struct opbin_rec { uint32_t off, len; } opbin_rec_t;
/* Length of the record starting at data[0] (1..n); n must be > 0. */
size_t opbin_reclen(const uint8_t *data, size_t n);
/* Splits into records; writes at most max, returns the total count. */
size_t opbin_split(const uint8_t *data, size_t n, opbin_rec_t *recs, size_t max);
/* Decodes the record at data[0..n): fills *raw, returns its length. */
size_t opbin_decode(const uint8_t *data, size_t n, uint32_t at, opbin_raw_t *raw);

/* The opcode table: opcode byte b selects opbin_table[b % OPBIN_NCODES].
 * opbin_layout(c) describes the operand bytes of op code c, one letter per
 * operand, for mutators tweaking one operand (OPS.md has the table):
 *   z size (2 bytes; first byte 0xff: 4 more bytes, exact)
 *   p ptr words (1; 0xfd: 4 more bytes, exact)
 *   o subject selector, t target selector (1; 0xfe: 2 more bytes)
 *   c repeat count (1; 0xff: 2 more bytes)   l repeat body records (1)
 *   f offset (1; 0xff: 4 more bytes)   r profile rate (1; 0xff: 4 more bytes)
 *   s root slot (1)   i ptr slot index (2)   a finalizer action (1)   n number (1) */
#define OPBIN_NCODES 20
extern const uint8_t opbin_table[OPBIN_NCODES];
const char *opbin_layout(op_code_t c);

/* Bounds of the binary form (harness/OPS.md, "Bounds"): the GC scans and
 * the checks verify every pointer word, so no input of a few KiB may make
 * millions of them. An alloc's valid pointer-word count is capped at
 * OPBIN_MAX_PTRS_OBJ, and at what is left of OPBIN_MAX_PTRS_PROG for the
 * program (counts that make the alloc BADARG stay as they are). Text
 * programs are not bounded; opbin_encode refuses what would decode as less. */
#define OPBIN_MAX_PTRS_OBJ 32768    /* 256 KiB: pointer slots in two 128 KiB oblets */
#define OPBIN_MAX_PTRS_PROG 65536

/* The compact op REPEAT count,len (opcode slot 19): the next len records run
 * count times. The body is the records that follow (context free, as
 * everything); a REPEAT inside a body does nothing (no nesting). Iterations
 * beyond the first are charged to the input's budget: at most
 * OPBIN_REPEAT_OPS records and OPBIN_REPEAT_HEAVY whole-heap records (gc,
 * sweep, runfin, check, scavenge) in all; a repeat runs as many whole
 * iterations as its budget allows (at least one). */
#define OPBIN_REPEAT_OPS 4096
#define OPBIN_REPEAT_HEAVY 16
#define OPBIN_REPEAT_MAXLEN 255
#define OPBIN_REPEAT_MAXCOUNT 65535
bool opbin_is_heavy(op_code_t c);
/* Iterates over a binary program's ops with REPEAT blocks expanded. at
 * offsets are base + the record's offset in d. */
typedef struct opbin_iter {
	const uint8_t *d;
	size_t n, at, body, end;
	uint32_t base, rep, iter, iters;
	uint64_t ops_left, heavy_left;
} opbin_iter_t;
void opbin_iter_init(opbin_iter_t *it, const uint8_t *d, size_t n, uint32_t base);
/* The next op (never OP_REPEAT); false at the end. */
bool opbin_next(opbin_iter_t *it, opbin_raw_t *raw);
/* True if the record at rec[0..n) is a REPEAT (for mutators). */
bool opbin_is_repeat(const uint8_t *rec, size_t n);
/* Writes a REPEAT header; returns its length (3 or 5 bytes). */
size_t opbin_put_repeat(uint8_t out[5], uint32_t count, uint8_t len);

/* Resolution context: the live set (object ids, ascending), sizes and ptr
 * words of every object, as the executor knows them. */
typedef struct opbin_ctx {
	const int32_t *live;  /* live object ids in ascending order */
	size_t nlive;
	const uint64_t *size; /* per object id: requested size */
	const uint64_t *ptrs; /* per object id: ptr words */
	uint64_t ptrs_used;   /* ptr words of the program's allocs so far (OPBIN_MAX_PTRS_PROG) */
	int32_t freed_last;   /* 1 + id of the object the last successful free freed
	                       * (0: none): a free's subject 0xff names it (a double free) */
} opbin_ctx_t;
/* Turns a raw op into an op_t against ctx; new_obj is the id an alloc op
 * creates. Returns false if the op is a no-op in this state (it needs an
 * object and none is live, or a store into an object without ptr slots, or
 * a double free with nothing freed). */
bool opbin_resolve(const opbin_raw_t *raw, const opbin_ctx_t *ctx, int32_t new_obj, op_t *op);
/* Encodes a resolved op in the current state (the inverse of decode +
 * resolve). Expect ops encode nothing (binary programs carry no
 * expectations). Returns false if op cannot be expressed (e.g. it names an
 * object that is not live). */
bool opbin_encode(const op_t *op, const opbin_ctx_t *ctx, opbuf_t *out);
/* disasm: appends op (resolved from raw in state ctx, before it runs) to p
 * with its canonical encoding, and tracks p's repeat blocks. */
void program_record(program_t *p, const op_t *op, const opbin_ctx_t *ctx, const opbin_raw_t *raw);
/* asm: bin holds the encodings of p's first nops ops, op i at
 * [off[i], off[i+1]); rewrites it with a REPEAT record for each of p's
 * repeat blocks whose iterations encode identically (and fit the bounds). */
void opbin_compact(const program_t *p, size_t nops, const size_t *off, opbuf_t *bin);

#endif
