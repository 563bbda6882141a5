/*
 * Sweep (Go 1.19's mgcsweep.go): after mark, each in-use span frees its
 * unmarked objects. See malloc.c for the overview.
 *
 * Sweeping a span, in order:
 *   1. specials: an unmarked object with a finalizer is marked (kept) and
 *      its finalizers queued; one without has its records freed (a profile
 *      record counts the free in its bucket). Finalizer records sort first,
 *      so a kept object keeps its profile record and is counted once, when
 *      it finally dies.
 *   2. the slots allocated but not marked are freed: ASan poison, tinybits
 *      cleared, stats counted.
 *   3. allocBits = gcmarkBits, a fresh zeroed gcmarkBits, freeindex = 0.
 *   4. the span goes back to its mcentral swept set, or the page heap when
 *      nothing is left in it (a large span when its object died).
 *
 * Eager mode sweeps every span at the end of heap_gc. Lazy mode only bumps
 * h->sweepgen (turning the swept mcentral sets into the unswept ones, see
 * mcentral.c) and spans are swept on demand by mcentral_cache_span,
 * mspan_ensure_swept (explicit free, specials), mgcsweep_reclaim (page
 * allocation), heap_sweepone and heap_finish_sweep. Every span is swept
 * exactly once per cycle, before any use, so both modes observe the same.
 * The span states are the table beside mspan.sweepgen in internal.h.
 */
#include "alloc/internal.h"
#include <sched.h>

static uint32_t load_sweepgen(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

static bool cas_sweepgen(mspan_t *s, uint32_t from, uint32_t to)
{
	return __atomic_compare_exchange_n(&s->sweepgen, &from, to, false,
	                                   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* Frees the dead slots of a small span: poison, tinybits, stats. */
static uintptr_t sweep_free_slots(mspan_t *s)
{
	uintptr_t nfreed = 0;
	bool tiny = s->spanclass == make_spanclass(TINY_SIZE_CLASS, true);

	for (uintptr_t w = 0; w * 64 < s->nelems; w++) {
		uint64_t dead = s->allocbits[w] & ~s->gcmarkbits[w];

		if (tiny && w < sizeof s->tinybits / sizeof s->tinybits[0])
			s->tinybits[w] &= s->gcmarkbits[w];
		while (dead) {
			uintptr_t i = w * 64 + (uintptr_t)__builtin_ctzll(dead);
			dead &= dead - 1;
			POISON((void *)(s->startaddr + i * s->elemsize), s->elemsize);
			nfreed++;
		}
	}
	return nfreed;
}

static void sweep_account(heap_t *h, mspan_t *s, uintptr_t nfreed)
{
	if (nfreed == 0)
		return;
	if (s->large)
		mstats_note_large_free(h, s->elemsize);
	else
		mstats_note_small_free(h, spanclass_sizeclass(s->spanclass), nfreed);
}

/*
 * Go's sweepLocked.sweep. The caller owns s for sweeping: its sweepgen is
 * sg-2 (taken off every list under the mcentral lock) or sg-1. preserve
 * (mcentral_cache_span, which holds the mcentral lock) leaves the span to
 * the caller even when empty. Returns whether the span is still in use.
 */
bool mgcsweep_sweep(heap_t *h, mspan_t *s, bool preserve)
{
	uint32_t sg = h->sweepgen;
	uint32_t spg = span_sweepgen(s);
	uintptr_t nalloc = 0, nfreed;

	if (s->state != MSPAN_INUSE || (spg != sg - 2 && spg != sg - 1) || s->cachedby >= 0)
		heap_throw(h, "mspan.sweep: bad span state: span %#lx state %d sweepgen %u (heap %u) cachedby %d",
		           (unsigned long)s->startaddr, s->state, spg, sg, s->cachedby);
	__atomic_store_n(&s->sweepgen, sg - 1, __ATOMIC_RELAXED);   /* ensureSwept on other Ps polls it */

	if (h->cfg.specials == HEAP_SPECIALS_LEGACY)
		mlegacy_sweep_span(h, s);
	else if (s->specials != NULL)
		mspecial_sweep(h, s);

	for (uintptr_t w = 0; w * 64 < s->nelems; w++)
		nalloc += (uintptr_t)__builtin_popcountll(s->gcmarkbits[w]);
	if (nalloc > s->allocCount)
		heap_throw(h, "sweep increased allocation count: span %#lx class %d nelems %u allocCount %u nalloc %lu",
		           (unsigned long)s->startaddr, spanclass_sizeclass(s->spanclass), s->nelems,
		           s->allocCount, (unsigned long)nalloc);
	if (s->large) {
		nfreed = s->allocCount - nalloc;
	} else {
		nfreed = sweep_free_slots(s);
		if (nfreed != s->allocCount - nalloc)
			heap_throw(h, "sweep: freed %lu slots but allocCount %u - marked %lu differ (span %#lx)",
			           (unsigned long)nfreed, s->allocCount, (unsigned long)nalloc,
			           (unsigned long)s->startaddr);
	}
	sweep_account(h, s, nfreed);

	uint64_t *old = s->allocbits;
	s->allocbits = s->gcmarkbits;
	s->gcmarkbits = old;
	memset(old, 0, sizeof s->bits[0]);
	s->allocCount = (uint16_t)nalloc;
	s->freeindex = 0;
	mspan_reset_alloc_cache(s);
	if (nfreed)
		s->needzero = 1;
	/* Checked while still sg-1: once swept, explicit frees on other Ps may
	 * change it (an emptied large span goes to mheap_free, which checks it).
	 * A large span is still on h->large, whose links other sweepers change
	 * under h->lock (found by TSan). */
	if (!s->large)
		af_assert_span_valid(h, s, "sweep");
	else if (nalloc != 0)
		af_assert_span_valid_under(h, &h->lock, s, "sweep");
	__atomic_store_n(&s->sweepgen, sg, __ATOMIC_RELEASE);

	if (s->large) {
		if (nalloc != 0)
			return true;
		lock_acquire(&h->lock);
		mspan_list_remove(h, &h->large, s);
		mheap_free_locked(h, s);
		lock_release(&h->lock);
		return false;
	}
	if (preserve)
		return true;
	mcentral_t *c = &h->central[s->spanclass];
	lock_acquire(&c->lock);
	mcentral_free_span_locked(h, c, s, false);
	lock_release(&c->lock);
	return nalloc != 0;
}

/* Takes s (sweepgen sg-2) for sweeping: off its unswept mcentral set and to
 * sg-1. False if somebody else took it first. */
static bool sweep_acquire(heap_t *h, mspan_t *s)
{
	uint32_t sg = h->sweepgen;
	bool ok;

	if (s->large)
		return cas_sweepgen(s, sg - 2, sg - 1);
	mcentral_t *c = &h->central[s->spanclass];
	lock_acquire(&c->lock);
	ok = cas_sweepgen(s, sg - 2, sg - 1);
	if (ok && s->list != NULL)
		mspan_list_remove(h, s->list, s);
	lock_release(&c->lock);
	return ok;
}

static bool ensure_swept(heap_t *h, mspan_t *s);

/* Go's ensureSwept. Returns whether s is still an in-use span afterwards
 * (the sweep may have given an emptied span back to the page heap); if it
 * is, it is swept in this cycle (AF_EXPENSIVE checks that here, where the
 * callers, explicit free and the specials, start to trust its bits). */
bool mspan_ensure_swept(heap_t *h, mspan_t *s)
{
	bool inuse = ensure_swept(h, s);
	if (AF_EXPENSIVE && inuse) {
		uint32_t sg = load_sweepgen(&h->sweepgen), spg = load_sweepgen(&s->sweepgen);
		if (spg != sg && spg != sg + 3)
			heap_throw(h, "ensureSwept: span %#lx returned unswept: sweepgen %u (heap %u)",
			           (unsigned long)s->startaddr, spg, sg);
	}
	return inuse;
}

static bool ensure_swept(heap_t *h, mspan_t *s)
{
	for (;;) {
		uint32_t sg = load_sweepgen(&h->sweepgen);
		uint32_t spg = load_sweepgen(&s->sweepgen);

		if (s->state != MSPAN_INUSE)
			return false;
		if (spg == sg || spg == sg + 3)
			return true;
		/* Go's ensureSwept: sweep it ourselves only as a registered
		 * sweeper; once the cycle is drained its sweeper is at work. */
		if (spg == sg - 2 && mgcsweep_begin(h)) {
			bool inuse = true, took = sweep_acquire(h, s);
			if (took)
				inuse = mgcsweep_sweep(h, s, false);
			mgcsweep_end(h);
			if (took)
				return inuse;
			continue;
		}
		if (spg == sg - 2) {
			sched_yield();
			continue;
		}
		if (spg == sg - 1) {  /* another thread is sweeping it */
			sched_yield();
			continue;
		}
		heap_throw(h, "ensureSwept: span %#lx sweepgen %u (heap %u): cached before the sweep",
		           (unsigned long)s->startaddr, spg, sg);
	}
}

/* Finds and acquires an unswept span: the mcentral unswept sets in span
 * class order, then the large spans. NULL when the cycle is fully swept. */
static mspan_t *next_span_for_sweep(heap_t *h)
{
	uint32_t sg = h->sweepgen;
	int unswept = ((sg >> 1) & 1) ^ 1;
	mspan_t *s;

	for (int i = 0; i < NUM_SPAN_CLASSES; i++) {
		mcentral_t *c = &h->central[i];
		mspan_list_t *sets[2] = { &c->partial[unswept], &c->full[unswept] };

		/* Unlocked peek (atomic: the list helpers store first atomically).
		 * Unswept sets only shrink during a cycle, so a stale NULL misses
		 * nothing and a stale span is rechecked under the lock. */
		if (__atomic_load_n(&sets[0]->first, __ATOMIC_RELAXED) == NULL &&
		    __atomic_load_n(&sets[1]->first, __ATOMIC_RELAXED) == NULL)
			continue;
		lock_acquire(&c->lock);
		for (int k = 0; k < 2; k++) {
			if ((s = sets[k]->first) != NULL) {
				/* under c->lock every span of an unswept set is sg-2 */
				if (!cas_sweepgen(s, sg - 2, sg - 1))
					heap_throw(h, "sweepone: span %#lx in an unswept set of class %d has sweepgen %u (heap %u)",
					           (unsigned long)s->startaddr, i, s->sweepgen, sg);
				mspan_list_remove(h, sets[k], s);
				lock_release(&c->lock);
				return s;
			}
		}
		lock_release(&c->lock);
	}
	lock_acquire(&h->lock);
	for (s = h->large.first; s != NULL; s = s->next) {
		if (cas_sweepgen(s, sg - 2, sg - 1)) {
			lock_release(&h->lock);
			return s;
		}
	}
	lock_release(&h->lock);
	return NULL;
}

/* Go 1.19's activeSweep. A sweeper that finds nothing left marks the cycle
 * drained, but others may still be sweeping spans they took: the cycle ends
 * (sweepdone, and the heap profile publishes its frees, Go's
 * mProf_PostSweep) only when the last of them ends. Ending it at "nothing
 * left" lost their frees from the published profile (found by fuzz_threads:
 * a profile two frees short after a round of concurrent lazy sweeping). */
bool mgcsweep_begin(heap_t *h)
{
	uint32_t st = __atomic_load_n(&h->sweep_active, __ATOMIC_ACQUIRE);
	for (;;) {
		if (st & SWEEP_DRAINED)
			return false;
		if (__atomic_compare_exchange_n(&h->sweep_active, &st, st + 1, false,
		                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return true;
	}
}

void mgcsweep_end(heap_t *h)
{
	uint32_t was = __atomic_fetch_sub(&h->sweep_active, 1, __ATOMIC_ACQ_REL);
	if ((was & ~SWEEP_DRAINED) == 0)
		heap_throw(h, "sweep: end without begin (sweep_active %#x)", was);
	if (was != (SWEEP_DRAINED | 1))
		return;
	__atomic_store_n(&h->sweepdone, true, __ATOMIC_RELEASE);  /* read by every P */
	mprof_post_sweep(h);
}

static int sweepone(heap_t *h, uintptr_t *pagesfreed)
{
	if (!mgcsweep_begin(h))
		return 0;
	mspan_t *s = next_span_for_sweep(h);
	if (s == NULL) {
		__atomic_fetch_or(&h->sweep_active, SWEEP_DRAINED, __ATOMIC_ACQ_REL);
		mgcsweep_end(h);
		return 0;
	}
	uintptr_t npages = s->npages;
	if (!mgcsweep_sweep(h, s, false) && pagesfreed)
		*pagesfreed += npages;
	mgcsweep_end(h);
	return 1;
}

int heap_sweepone(heap_t *h)
{
	if (__atomic_load_n(&h->sweepdone, __ATOMIC_RELAXED))
		return 0;
	return sweepone(h, NULL);
}

void heap_finish_sweep(heap_t *h)
{
	while (!__atomic_load_n(&h->sweepdone, __ATOMIC_RELAXED) && sweepone(h, NULL))
		;
}

uintptr_t mgcsweep_reclaim(heap_t *h, uintptr_t npages)
{
	uintptr_t freed = 0;

	while (!__atomic_load_n(&h->sweepdone, __ATOMIC_RELAXED) && freed < npages && sweepone(h, &freed))
		;
	return freed;
}

/* The end of a GC: every span needs sweeping again. */
void mgcsweep_start_cycle(heap_t *h)
{
	__atomic_store_n(&h->sweepgen, h->sweepgen + 2, __ATOMIC_RELEASE);
	h->sweepdone = false;
	h->sweep_active = 0;   /* the world is stopped: no sweeper is at work */
	if (h->cfg.sweep == HEAP_SWEEP_EAGER)
		heap_finish_sweep(h);
}
