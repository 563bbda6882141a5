/*
 * The executor's insides, shared by its files (harness/exec.h is the API).
 * One file per role, in the order an op meets them:
 *
 *   exec.c         lifecycle (lanes, reset, the throw hook) and the run loops
 *   exec_ops.c     op semantics: bookkeeping, alloc / free / setfin / root /
 *                  store, and the dispatch of every op (exec_op)
 *   exec_gc.c      op semantics of gc, runfin and the expect ops
 *   exec_check.c   the oracle checks: memory pattern of live objects, the
 *                  observation point (heap_check, memstats, profile, deaths)
 *   exec_amap.c    the address map (live object address -> model id)
 *   exec_report.c  the report of a difference, a throw or an input error
 *   exec_output.c  what `allocfuzz run` prints: gc lines and the -v trace
 */
#ifndef ALLOCFUZZ_EXEC_INTERNAL_H
#define ALLOCFUZZ_EXEC_INTERNAL_H

#include "harness/exec.h"
#include "oracles/model.h"
#include "alloc/testing.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

/* The checking loops compare every word of an object against what it must
 * hold: coverage and comparison tracing there would cost libFuzzer half its
 * time and guide it nowhere (what matters is the allocator's code). */
#include "alloc/no_coverage.h"

#define RING 20
#define FIN_SHIFT 8   /* fn = (program id + 1) << 8 | action << 6 | slot */

#define xrealloc ops_xrealloc
#define GROW(arr, cap, need) do { if ((need) > (cap)) { size_t _c = (cap) ? (cap) : 64; \
	while (_c < (need)) { _c *= 2; } (arr) = xrealloc((arr), _c * sizeof *(arr)); (cap) = _c; } } while (0)

/* The address map: live object address -> model id, reset in O(1). */
typedef struct amap {
	uintptr_t *key;
	int32_t *val;
	uint32_t *gen;     /* an entry is valid iff gen == cur */
	size_t cap, n;
	uint32_t cur;
} amap_t;

/* ---- lanes ---- */
/* A finalizer record; obj is the pointer a heap passed (heap records only). */
typedef struct finrec { int32_t id; uint32_t off; uintptr_t fn, obj; } finrec_t;
typedef struct range { uintptr_t lo, hi; int32_t mid; } range_t;

typedef struct lane {
	heap_t *h;
	char name[24];          /* "span/eager" */
	heap_config_t hcfg;
	uintptr_t *addr;        /* by model id: the object's address */
	amap_t map;             /* live non-zero-size objects: address -> model id */
	int32_t *dead;          /* model ids died since the last observation */
	size_t ndead, capdead;
	finrec_t *fins;         /* runfin: records the heap ran */
	size_t nfins, capfins;
	int32_t *qpids;         /* check_reachability: objects the heap queued */
	size_t capqpids;
	heap_bucket_t *bk;      /* profile buckets (scratch) */
	size_t nbk, capbk;
	range_t *fresh;         /* blocks handed out since the last content check */
	size_t nfresh, capfresh;
	uint32_t ncontent;      /* content checks in this input (EXEC_CONTENT_FULL_EVERY) */
	bool broken;            /* keep_going: differed; no longer run */
	bool rebuild;           /* threw: heap must be rebuilt before reuse */
} lane_t;

struct exec {
	exec_config_t cfg;
	model_t *m;
	lane_t lane[2];
	int nlanes;
	/* program objects (ids of alloc ops) */
	int32_t *p2m;           /* program id -> model id, MODEL_NIL if the alloc failed */
	uint64_t *psize, *pptrs;
	size_t npobj, cappobj;
	uint64_t ptrs_used;        /* pointer words of the program's allocs (OPBIN_MAX_PTRS_PROG) */
	int32_t freed_last;        /* 1 + program id of the object the last OK free freed (0: none) */
	/* model objects */
	int32_t *m2p;           /* model id -> program id */
	uint32_t *refs;         /* model id -> pointers to it from roots and live slots */
	size_t capm;
	/* the live set (binary selectors): program ids, ascending */
	int32_t *live;
	size_t nlive, caplive;
	/* state */
	int proc;
	uint32_t stack;
	alloc_err_t last_err;
	int32_t *lastfin;       /* program ids finalized by the last gc, ascending */
	size_t nlastfin, caplastfin;
	finrec_t *mfins;        /* runfin: records the model ran */
	size_t nmfins, capmfins;
	const program_t *prog;
	/* the current op and the ring of the last RING ops */
	const op_t *op;
	size_t opindex;
	op_t ring[RING];
	size_t nring;
	char res[160];          /* -v: the current op's result */
	bool at_end;            /* the final observation is running */
	bool binary;            /* op.line is a byte offset */
	exec_op_hook_t hook;    /* tests: after every op */
	void *hookctx;
	range_t *ranges;   /* check_objects scratch */
	size_t capranges;
	/* outcome */
	exec_status_t status;
	bool stop;
	char *report;
	size_t replen, repcap;
	uint64_t ops_run;
	jmp_buf jb;
	bool in_op;
	heap_t *threw;
	char throwmsg[512];
	/* set around a heap call the model predicts refused (an error, nothing
	 * changed): a throw inside it is that call not refusing (report_throw) */
	char refusing[64];
	alloc_err_t refuse_err;
	void *throwpc[32];      /* the stack at the heap_throw (backtrace) */
	int nthrowpc;           /* > 0: the report is that throw's */
};

/* Each lane still running (not broken, the run not stopped), as lane_t *l. */
#define FOR_LANES(ex, l) for (lane_t *l = (ex)->lane; l < (ex)->lane + (ex)->nlanes; l++) \
	if (l->broken || (ex)->stop) {} else
static inline int lane_index(const exec_t *ex, const lane_t *l) { return (int)(l - ex->lane); }

/* ---- objects ---- */

static inline const model_obj_t *mobj(exec_t *ex, int32_t mid) { return model_obj(ex->m, mid); }

static inline bool is_live_mid(exec_t *ex, int32_t mid)
{
	const model_obj_t *o = mobj(ex, mid);
	return o && (o->state == MODEL_LIVE || o->state == MODEL_ZERO);
}

static inline uintptr_t ref_addr(const lane_t *l, model_ref_t r)
{
	return r.id == MODEL_NIL ? 0 : l->addr[r.id] + r.off;
}

/* An address as an offset into the lane's arena: the same in every run. */
static inline unsigned long rel(const lane_t *l, uintptr_t a)
{
	return (unsigned long)(a >= heap_arena_base(l->h) ? a - heap_arena_base(l->h) : a);
}

static inline void ref_inc(exec_t *ex, model_ref_t r) { if (r.id != MODEL_NIL) ex->refs[r.id]++; }
static inline void ref_dec(exec_t *ex, model_ref_t r) { if (r.id != MODEL_NIL && ex->refs[r.id]) ex->refs[r.id]--; }

static inline const char *pname(exec_t *ex, int32_t pid, char tmp[24])
{
	return program_objname(ex->prog, pid, tmp);
}

static inline const char *mname(exec_t *ex, int32_t mid, char tmp[24])
{
	return pname(ex, ex->m2p[mid], tmp);
}

/* "exec_amap.c" */
void amap_clear(amap_t *m);
void amap_put(amap_t *m, uintptr_t k, int32_t v);
void amap_del(amap_t *m, uintptr_t k);
int32_t amap_get(const amap_t *m, uintptr_t k);

/* "exec_report.c" */
/* A difference in lane l (NULL: the model or an expectation). */
void differ(exec_t *ex, lane_t *l, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A heap_throw caught in lane l (NULL: a heap that is no lane's). */
void report_throw(exec_t *ex, lane_t *l, const char *msg);
void report_throw_stack(const exec_t *ex, FILE *f);
void input_error(exec_t *ex, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "exec_check.c" */
enum walk { W_ZERO_FILL, W_PATTERN, W_ZERO };
size_t walk(heap_t *h, uint8_t *p, int32_t id, size_t from, size_t size, enum walk w);
bool check_found(exec_t *ex, lane_t *l, int32_t mid);
void check_objects(exec_t *ex, lane_t *l);
void check_released(exec_t *ex, lane_t *l);
void note_fresh(lane_t *l, uintptr_t lo, uintptr_t hi);
void check_tiny(exec_t *ex, lane_t *l, int p);
void observe(exec_t *ex, lane_t *l);

/* "exec_ops.c" */
void exec_op(exec_t *ex, const op_t *op);
const char *precheck(exec_t *ex, const op_t *op, char *why, size_t n);
void note_death(exec_t *ex, int32_t mid, bool by_gc);
void live_filter(exec_t *ex);
uintptr_t fin_fn(int32_t pid, fin_action_t act, uint64_t slot);
void set_fin(exec_t *ex, int32_t mid, uint64_t off, uintptr_t fn);
void set_root(exec_t *ex, uint64_t slot, model_ref_t r);

/* "exec_gc.c" */
void op_gc(exec_t *ex);
void op_runfin(exec_t *ex);
bool check_reachability(exec_t *ex, lane_t *l);
void expect_list(exec_t *ex, const op_t *op);

/* "exec_output.c" */
void print_names(exec_t *ex, uint32_t numgc, const char *what, const int32_t *mids,
                 const uint32_t *offs, size_t n);
void trace(exec_t *ex, const op_t *op);

#endif
