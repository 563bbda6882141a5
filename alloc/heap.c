/*
 * Heap instances: creation, reset and destruction of one allocator, the
 * throw hook, locks and error names. See malloc.c for overview.
 *
 * A heap owns everything it uses (its reservation, its metadata chunks, its
 * locks), so several heaps live side by side and a fuzz input starts from
 * heap_reset, which returns to the exact state heap_new left in time
 * proportional to what the last run touched.
 */
#include "alloc/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void lock_init(lock_t *l, heap_t *h, lockrank_t rank)
{
	pthread_mutex_init(&l->mu, NULL);
	l->held = 0;
	l->rank = (uint8_t)rank;
	l->h = h;
}

#ifdef ALLOCFUZZ_DEBUG
/* The calling thread's held ranked locks, in acquisition order. Deeper
 * nesting than this is itself a bug (the order has 7 ranks). */
#define LOCKRANK_MAXHELD 16
static _Thread_local const lock_t *lockrank_held[LOCKRANK_MAXHELD];
static _Thread_local int lockrank_nheld;

static const char *const lockrank_names[] = {
	[LOCKRANK_NONE] = "unranked", [LOCKRANK_MCENTRAL] = "mcentral",
	[LOCKRANK_MHEAP] = "mheap", [LOCKRANK_SPAN_SPECIALS] = "span specials",
	[LOCKRANK_SPECIALS] = "specials", [LOCKRANK_PROF] = "profile",
	[LOCKRANK_FIN] = "finalizer queue", [LOCKRANK_PERSISTENT] = "persistentalloc",
};

static void lockrank_check_acquire(const lock_t *l)
{
	if (l->rank == LOCKRANK_NONE)
		return;
	for (int i = 0; i < lockrank_nheld; i++) {
		const lock_t *o = lockrank_held[i];
		if (o->rank >= l->rank)
			heap_throw(l->h, "lock order violation: acquiring the %s lock (rank %d, %p) "
			           "while holding the %s lock (rank %d, %p); order: mcentral < mheap < "
			           "span specials < specials < profile < finalizer queue < persistentalloc",
			           lockrank_names[l->rank], l->rank, (const void *)l,
			           lockrank_names[o->rank], o->rank, (const void *)o);
	}
	if (lockrank_nheld == LOCKRANK_MAXHELD)
		heap_throw(l->h, "lock order: %d locks held at once", lockrank_nheld);
	lockrank_held[lockrank_nheld++] = l;
}

static void lockrank_note_release(const lock_t *l)
{
	if (l->rank == LOCKRANK_NONE)
		return;
	for (int i = lockrank_nheld - 1; i >= 0; i--)
		if (lockrank_held[i] == l) {
			for (; i + 1 < lockrank_nheld; i++)
				lockrank_held[i] = lockrank_held[i + 1];
			lockrank_nheld--;
			return;
		}
	heap_throw(l->h, "lock order: releasing the %s lock (%p), which this thread does not hold",
	           lockrank_names[l->rank], (const void *)l);
}

void lockrank_forget(heap_t *h)
{
	int n = 0;
	for (int i = 0; i < lockrank_nheld; i++)
		if (lockrank_held[i]->h != h)
			lockrank_held[n++] = lockrank_held[i];
	lockrank_nheld = n;
}
#else
static inline void lockrank_check_acquire(const lock_t *l) { (void)l; }
static inline void lockrank_note_release(const lock_t *l) { (void)l; }
void lockrank_forget(heap_t *h) { (void)h; }
#endif

void lock_acquire(lock_t *l)
{
	lockrank_check_acquire(l);
	pthread_mutex_lock(&l->mu);
	l->held = 1;
}

void lock_release(lock_t *l)
{
	lockrank_note_release(l);
	l->held = 0;
	pthread_mutex_unlock(&l->mu);
}

/* h may be NULL (a list helper with no heap at hand): then abort. */
void heap_throw(heap_t *h, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "allocfuzz: fatal error: %s\n", msg);
	fflush(stderr);
	if (h && h->cfg.throw_hook)
		h->cfg.throw_hook(h, msg, h->cfg.throw_ctx);
	abort();
}

static const char *const err_names[ALLOC_ERR__COUNT][2] = {
	[ALLOC_OK] = {"OK", "ALLOC_OK: success"},
	[ALLOC_ERR_NOMEM] = {"NOMEM", "ALLOC_ERR_NOMEM: heap cap reached"},
	[ALLOC_ERR_BADCONFIG] = {"BADCONFIG", "ALLOC_ERR_BADCONFIG: config field out of range"},
	[ALLOC_ERR_BADARG] = {"BADARG", "ALLOC_ERR_BADARG: bad argument"},
	[ALLOC_ERR_NOT_IN_HEAP] = {"NOT_IN_HEAP", "ALLOC_ERR_NOT_IN_HEAP: pointer not in an in-use span"},
	[ALLOC_ERR_INTERIOR] = {"INTERIOR", "ALLOC_ERR_INTERIOR: pointer not at the start of an object"},
	[ALLOC_ERR_NOT_ALLOCATED] = {"NOT_ALLOCATED", "ALLOC_ERR_NOT_ALLOCATED: object is not allocated"},
	[ALLOC_ERR_TINY] = {"TINY", "ALLOC_ERR_TINY: explicit free of a tiny-allocator object"},
	[ALLOC_ERR_HAS_FINALIZER] = {"HAS_FINALIZER", "ALLOC_ERR_HAS_FINALIZER: object has a finalizer"},
	[ALLOC_ERR_FIN_EXISTS] = {"FIN_EXISTS", "ALLOC_ERR_FIN_EXISTS: finalizer already set"},
	[ALLOC_ERR_BUSY] = {"BUSY", "ALLOC_ERR_BUSY: re-entrant call"},
	[ALLOC_ERR_CHECK] = {"CHECK", "ALLOC_ERR_CHECK: heap check found a violation"},
};

const char *alloc_errname(alloc_err_t err)
{
	if ((unsigned)err >= ALLOC_ERR__COUNT)
		return "UNKNOWN";
	return err_names[err][0];
}

const char *alloc_strerror(alloc_err_t err)
{
	if ((unsigned)err >= ALLOC_ERR__COUNT)
		return "ALLOC_ERR_UNKNOWN: unknown error code";
	return err_names[err][1];
}

/* The config with defaults filled in, or BADCONFIG. The cap counts whole
 * pages; it must hold one page and fit MAX_ARENAS arenas. */
static alloc_err_t config_normalize(const heap_config_t *in, heap_config_t *out)
{
	*out = in ? *in : (heap_config_t){0};
	if (out->cap_bytes == 0)
		out->cap_bytes = DEFAULT_CAP;
	out->cap_bytes &= ~(size_t)PAGE_MASK;
	if (out->cap_bytes == 0 || out->cap_bytes > (size_t)MAX_ARENAS * ARENA_BYTES)
		return ALLOC_ERR_BADCONFIG;
	if (out->nprocs == 0)
		out->nprocs = 1;
	if (out->nprocs < 1 || out->nprocs > HEAP_MAX_PROCS)
		return ALLOC_ERR_BADCONFIG;
	if ((unsigned)out->sweep > HEAP_SWEEP_LAZY || (unsigned)out->specials > HEAP_SPECIALS_LEGACY)
		return ALLOC_ERR_BADCONFIG;
	if (out->profrate < 0)
		return ALLOC_ERR_BADCONFIG;
	if (out->scavenge_in_place && (!out->log_writes || out->madv_free))
		return ALLOC_ERR_BADCONFIG;
	return ALLOC_OK;
}

static void heap_init_locks(heap_t *h)
{
	/* Also at reset: a throw hook may have longjmp'd out with one held. */
	lockrank_forget(h);
	lock_init(&h->lock, h, LOCKRANK_MHEAP);
	lock_init(&h->speciallock, h, LOCKRANK_SPECIALS);
	lock_init(&h->finlock, h, LOCKRANK_FIN);
	lock_init(&h->proflock, h, LOCKRANK_PROF);
	lock_init(&h->persistent.lock, h, LOCKRANK_PERSISTENT);
}

/* GC state as Go starts it; set before mgc_init/mgc_reset, which have the
 * last word on their fields. */
static void heap_init_gc_fields(heap_t *h)
{
	h->sweepgen = 0;
	h->sweepdone = true;
	h->sweep_active = 0;
	h->grow_unreclaimed_npages = h->grow_dead_pages = 0;
	h->numgc = 0;
	h->ingc = h->inrunfin = false;
	memset(h->roots, 0, sizeof h->roots);
	memset(h->zerobase, 0, sizeof h->zerobase);
	h->sample_state = h->cfg.seed;
	h->profrate = h->cfg.profrate;
}

/* Everything above the page heap and the metadata allocators, from the
 * state heap_new and heap_reset share: nothing committed, nothing carved. */
static alloc_err_t heap_init_components(heap_t *h)
{
	mstats_reset(h);
	for (int i = 0; i < NUM_SPAN_CLASSES; i++)
		mcentral_init(h, &h->central[i], (spanclass_t)i);
	/* mcache placeholder: no objects, so allocation from it always refills */
	memset(&h->emptyspan, 0, sizeof h->emptyspan);
	h->emptyspan.cachedby = -1;
	h->emptyspan.allocbits = h->emptyspan.bits[0];
	h->emptyspan.gcmarkbits = h->emptyspan.bits[1];
	memset(h->mcaches, 0, sizeof h->mcaches);
	for (int p = 0; p < h->cfg.nprocs; p++) {
		h->mcaches[p] = mcache_new(h);
		if (!h->mcaches[p])
			return ALLOC_ERR_NOMEM;
	}
	return ALLOC_OK;
}

alloc_err_t heap_new(const heap_config_t *cfg, heap_t **out)
{
	heap_config_t c;
	if (!out)
		return ALLOC_ERR_BADARG;
	alloc_err_t err = config_normalize(cfg, &c);
	*out = NULL;
	if (err != ALLOC_OK)
		return err;
	heap_t *h = calloc(1, sizeof *h);
	if (!h)
		return ALLOC_ERR_NOMEM;
	h->cfg = c;
	heap_init_locks(h);
	fixalloc_init(&h->spanalloc, sizeof(mspan_t), "mspan");
	fixalloc_init(&h->cachealloc, sizeof(mcache_t), "mcache");
	fixalloc_init(&h->specialfinalizeralloc, sizeof(special_finalizer_t), "special_finalizer");
	fixalloc_init(&h->specialprofilealloc, sizeof(special_profile_t), "special_profile");
	if (!mheap_init(h)) {
		free(h);
		return ALLOC_ERR_NOMEM;
	}
	heap_init_gc_fields(h);
	mgc_init(h);
	err = heap_init_components(h);
	if (err != ALLOC_OK) {
		heap_destroy(h);
		return err;
	}
	*out = h;
	return ALLOC_OK;
}

void heap_reset(heap_t *h)
{
	heap_init_locks(h);
	heap_init_gc_fields(h);
	/* mgc_reset only forgets pointers into memory the resets below take
	 * back (finalizer queue, profile buckets, legacy tables) and reads none
	 * of it; mheap_reset itself clears the arena bits GC and specials set
	 * (ptrbits, specialbits). The order is not load-bearing. */
	mgc_reset(h);
	mheap_reset(h);
	fixalloc_reset(&h->spanalloc);
	fixalloc_reset(&h->cachealloc);
	fixalloc_reset(&h->specialfinalizeralloc);
	fixalloc_reset(&h->specialprofilealloc);
	persistent_reset(&h->persistent);
	/* Only an mmap failure can get here: the spare chunks fit what heap_new needed. */
	if (heap_init_components(h) != ALLOC_OK)
		heap_throw(h, "heap_reset: out of memory re-creating the mcaches");
}

/* Beyond this many separate ranges reset zeroes all it handed out. The
 * executor writes a few ranges per object (sampled fills of large ones). */
#define WLOG_MAX ((size_t)1 << 16)

/* Once per range the executor writes (several per object): bookkeeping for
 * heap_reset, built without coverage (its compares are addresses: it guides
 * nothing, and its tracing was a tenth of the allocator's in fuzz_sweep). */
AF_NO_COVERAGE alloc_err_t heap_note_write(heap_t *h, const void *p, size_t n)
{
	uintptr_t lo = (uintptr_t)p, hi = lo + n;
	if (!h->cfg.log_writes || n == 0)
		return ALLOC_OK;
	if (lo < h->arena_start || hi < lo || hi > h->arena_used)
		return ALLOC_ERR_NOT_IN_HEAP;
	heap_range_t *last = h->wlog.n ? &h->wlog.r[h->wlog.n - 1] : NULL;
	if (last && lo <= last->hi && hi >= last->lo) {   /* touches the last one */
		last->lo = lo < last->lo ? lo : last->lo;
		last->hi = hi > last->hi ? hi : last->hi;
		return ALLOC_OK;
	}
	if (!h->wlog.lost)
		ranges_push(&h->wlog, lo, hi, WLOG_MAX);
	return ALLOC_OK;
}

/* Bookkeeping for reset and the checkers: no edge features (see arena_note_bits). */
AF_NO_COVERAGE bool ranges_push(ranges_t *l, uintptr_t lo, uintptr_t hi, size_t max)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		heap_range_t *r = cap <= max ? realloc(l->r, cap * sizeof *r) : NULL;
		if (!r) {
			l->lost = true;
			return false;
		}
		l->r = r, l->cap = cap;
	}
	l->r[l->n++] = (heap_range_t){ lo, hi };
	return true;
}

void heap_destroy(heap_t *h)
{
	if (!h)
		return;
	free(h->wlog.r);
	free(h->rlog.r);
	mcheck_destroy(h);
	mheap_destroy(h);
	persistent_destroy(&h->persistent);
	free(h);
}

const heap_config_t *heap_config(const heap_t *h) { return &h->cfg; }
void *heap_zerobase(const heap_t *h) { return (void *)h->zerobase; }
uintptr_t *heap_roots(heap_t *h) { return h->roots; }
