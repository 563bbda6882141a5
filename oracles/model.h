/*
 * The reference model: what the allocator must observably do, derived from
 * alloc/alloc.h, the team's DECISIONS and Go 1.19, never from alloc/ code or
 * tables. Deliberately simple: arrays indexed by object id, reachability by a
 * plain graph walk, its own size rounding read from go-sizeclasses.tsv.
 *
 * Objects are numbered in allocation order 0, 1, 2, ... (every successful
 * heap_alloc, size 0 included). The model is always "fully swept": after
 * model_gc it shows what the heap shows once that cycle's sweep finished.
 *
 * Lockstep protocol for an executor:
 *   alloc:  model_alloc_predict; run heap_alloc; if the heap said NOMEM, it
 *           must be pred.err == NOMEM or pred.may_nomem (commit nothing);
 *           else pred.err must be OK: call model_alloc (same arguments) to
 *           commit and get the id.
 *   free / setfin: compare the heap's error with the model's prediction
 *           (err, or alt when the prediction is not exact).
 *   gc:     model_gc, then finish the heap's sweep and compare finalizers,
 *           freed objects, stats and profile.
 *   runfin: model_runfin calls back in ascending (id, off) order; the
 *           callback applies the action to the model (model_root, model_setfin).
 */
#ifndef ALLOCFUZZ_MODEL_H
#define ALLOCFUZZ_MODEL_H

#include "alloc/alloc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct model model_t;

#define MODEL_NIL (-1)  /* object id of a nil pointer */

/* A pointer as the model sees it: object id + byte offset from the object's
 * start (interior pointer), or id == MODEL_NIL. */
typedef struct model_ref {
	int32_t id;
	uint32_t off;
} model_ref_t;

typedef enum model_state {
	MODEL_LIVE = 0,     /* allocated, not freed */
	MODEL_FREED,        /* freed by heap_free */
	MODEL_DEAD,         /* freed by a gc sweep */
	MODEL_ZERO,         /* size 0: the zero base, never a heap object */
} model_state_t;

typedef enum model_prof {
	MODEL_PROF_NO = 0,  /* certainly not profiled (rate 0, tiny fit) */
	MODEL_PROF_YES,     /* certainly profiled (rate 1) */
	MODEL_PROF_MAYBE,   /* sampled or not: rate > 1 draws from the heap's PRNG */
} model_prof_t;

/* One object. Read-only for callers (model_obj). */
typedef struct model_obj {
	size_t size;          /* requested bytes */
	size_t elemsize;      /* bytes of its block: class size, 16 (tiny), npages*8192 */
	size_t ptrwords;      /* pointer slots */
	int sizeclass;        /* 1..66 small, 0 large, 2 for tiny, -1 zero-size */
	int p;                /* P it was allocated through */
	uint32_t stack;       /* profiling call stack */
	model_state_t state;
	bool tiny;            /* allocated by the tiny allocator */
	int32_t block;        /* id of the object that owns the block (itself unless a
	                         tiny sub-object: the object at offset 0 of its block) */
	uint32_t boff;        /* offset inside that block (0 unless tiny) */
	model_prof_t prof;    /* was this allocation profiled (a block's record is its owner's) */
	model_ref_t *slots;   /* ptrwords pointer slots, all nil at allocation */
	size_t nset;          /* how many of them are not nil: a walk of the slots
	                         stops after the last (most slots of big pointer
	                         objects stay nil, and the walks were a tenth of
	                         fuzz_twin's time) */
	uint64_t ended_at;    /* allocation count when it was freed or died */
	int32_t last;         /* a block owner: the highest id in its block (itself
	                         unless tiny sub-objects followed), so ending a block
	                         visits its members, not every later object */
	int32_t livepos;      /* a live block owner: its index in the model's list of
	                         live blocks (what a GC sweeps) */
} model_obj_t;

/* ---- lifecycle ---- */

/* Uses cfg->nprocs, cfg->profrate and cfg->cap_bytes (0 -> 256 MiB); the
 * rest of the heap config does not change observations. refdir holds
 * go-sizeclasses.tsv: NULL tries getenv("AF_REFERENCE_DIR"), then the
 * compile-time AF_REFERENCE_DIR (the repo's reference/). Returns BADCONFIG on a bad config or an
 * unreadable / malformed table. */
alloc_err_t model_new(const heap_config_t *cfg, const char *refdir, model_t **out);
void model_reset(model_t *m);   /* back to what model_new returned */
void model_destroy(model_t *m);

/* ---- size rounding from the reference table ---- */
int model_size_class(const model_t *m, size_t size);  /* 0 = large; size >= 1 */
size_t model_roundup(const model_t *m, size_t size);   /* elemsize of a size>0 block */

/* ---- operations ---- */

typedef struct model_alloc {
	alloc_err_t err;      /* OK, BADARG, or NOMEM when no packing could fit */
	bool may_nomem;       /* err == OK, but the heap may also say NOMEM (gray zone) */
	int32_t id;           /* model_alloc: the new object; predict: the id it would get */
	bool zerobase;        /* size 0: the heap returns heap_zerobase() */
	size_t elemsize;      /* rounded size of the block */
	size_t align;         /* a power of two the address must be a multiple of */
	bool tiny;            /* from the tiny allocator */
	bool tiny_fit;        /* fits the P's current tiny block (no new block) */
	int32_t tiny_block;   /* tiny: id of the block's offset-0 object (== id if new) */
	uint32_t tiny_off;    /* tiny: offset inside the block; the address is
	                         addr(tiny_block) + tiny_off */
	model_prof_t prof;    /* is this allocation profiled */
} model_alloc_t;

/* Pure: what heap_alloc(p, size, ptrwords) must do now. */
void model_alloc_predict(const model_t *m, int p, size_t size, size_t ptrwords,
                         model_alloc_t *out);
/* Commits the allocation (the heap said OK) and returns the new id; returns
 * MODEL_NIL (and changes nothing) when the prediction's err is not OK. */
int32_t model_alloc(model_t *m, int p, size_t size, size_t ptrwords,
                    uint32_t stack, model_alloc_t *out);

/* An error prediction: the heap's answer must be err or alt (alt == err when
 * exact). stale: the object ended and memory was allocated since, so its
 * slot may hold another object and no answer is predictable; an executor
 * should not issue such an op. */
typedef struct model_err {
	alloc_err_t err, alt;
	bool stale;
} model_err_t;

/* heap_free(addr(id) + off). id == MODEL_NIL is heap_free(NULL). Applies the
 * free when the prediction is OK. */
model_err_t model_free(model_t *m, int32_t id, uint32_t off);
/* heap_setfinalizer(addr(id) + off, elem_size, elem_ptrwords, fn); fn == 0
 * clears. Applies the change when the prediction is OK. */
model_err_t model_setfin(model_t *m, int32_t id, uint32_t off,
                         size_t elem_size, size_t elem_ptrwords, uintptr_t fn);

/* Pointer stores. Return false (and change nothing) when the op cannot be
 * modelled: slot out of range, a non-live object, an offset outside the
 * target's block. A zero-size target is the zero base (off must be 0). */
bool model_root(model_t *m, int slot, model_ref_t target);
bool model_store(model_t *m, int32_t id, size_t slot, model_ref_t target);

/* heap_set_profrate */
void model_set_profrate(model_t *m, int64_t rate);

/* A finalizer record: the object and offset named at setfin, fn, and the
 * address as (block, boff): addr(block) + boff is the address the heap
 * reports (two names can denote one address inside a tiny block). */
typedef struct model_fin {
	int32_t id;
	uint32_t off;
	uintptr_t fn;
	int32_t block;
	uint32_t boff;
} model_fin_t;

typedef struct model_gc_result {
	uint32_t numgc;             /* this cycle's number (1 for the first gc) */
	const model_fin_t *fin;     /* queued by this gc, sorted by (id, off) */
	size_t nfin;
	const int32_t *freed;       /* objects freed by this gc's sweep, ascending */
	size_t nfreed;
	size_t dangling;            /* scanned pointers to freed objects: the heap
	                               throws "found bad pointer" (or marks a reused
	                               slot); the rest of the result is then void */
} model_gc_result_t;

/* heap_gc followed by a finished sweep. The result's arrays stay valid until
 * the next model_gc or model_reset. */
void model_gc(model_t *m, model_gc_result_t *out);

/* heap_runfinalizers: pops every queued record, ascending (id, off), calling
 * cb for each; cb may call model_alloc/root/store/setfin. Returns the count. */
typedef void (*model_fin_cb)(model_t *m, const model_fin_t *rec, void *ctx);
size_t model_runfin(model_t *m, model_fin_cb cb, void *ctx);
size_t model_finq_len(const model_t *m);

/* ---- queries ---- */
size_t model_nobjs(const model_t *m);
const model_obj_t *model_obj(const model_t *m, int32_t id);   /* NULL if no such id */
bool model_is_live(const model_t *m, int32_t id);
model_ref_t model_root_get(const model_t *m, int slot);
/* The finalizer set at exactly addr(id) + off, or 0. */
uintptr_t model_fin_at(const model_t *m, int32_t id, uint32_t off);
/* A queued (not yet run) finalizer record lies in the object's block. */
bool model_is_pending(const model_t *m, int32_t id);
/* P p's current tiny block: the id of its offset-0 object, or MODEL_NIL;
 * *off is the offset of its next free byte. */
int32_t model_tiny_block(const model_t *m, int p, uint32_t *off);

/* ---- expected memstats ---- */
/* Fills only the fields the model predicts exactly: nmalloc, nfree,
 * tiny_allocs, heap_objects, total_alloc, heap_alloc, by_class_nmalloc,
 * by_class_nfree, large_alloc, large_nmalloc, large_free, large_nfree, numgc;
 * the rest are 0. */
void model_expected_stats(const model_t *m, heap_stats_t *out);
/* Compares those fields; on a mismatch writes "field: expected X, got Y" to
 * why and returns false. */
bool model_check_stats(const model_t *m, const heap_stats_t *st, char *why, size_t whylen);

/* ---- expected heap profile ---- */
/* Per stack, bounds on the published bucket fields; lo == hi when every
 * object of the stack was allocated at rate 0 or 1 (exact). */
typedef struct model_bucket {
	uint32_t stack;
	uint64_t allocs_lo, allocs_hi, frees_lo, frees_hi;
	uint64_t alloc_bytes_lo, alloc_bytes_hi, free_bytes_lo, free_bytes_hi;
	uint64_t maybe_min, maybe_max; /* elemsize range of the uncertain records, so
	                               bytes - bytes_lo lies in (count - count_lo) * [min, max] */
	bool must_exist;            /* some profiled allocation was certain */
} model_bucket_t;
/* Buckets in increasing stack order (valid until the next mutating call). */
const model_bucket_t *model_expected_profile(model_t *m, size_t *n);
/* Checks the heap's buckets (increasing stack order, as heap_profile gives
 * them) against the bounds: each field in [lo, hi], uncertain bytes that
 * match the uncertain counts and their sizes, frees <= allocs, no
 * bucket for a stack that profiled nothing, every must_exist bucket present. */
bool model_check_profile(model_t *m, const heap_bucket_t *b, size_t n,
                         char *why, size_t whylen);

#ifdef __cplusplus
}
#endif
#endif
