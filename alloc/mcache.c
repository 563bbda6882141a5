/*
 * Per-P cache of spans with free slots: the lock-free first level of small
 * allocation. See malloc.c for overview.
 *
 * c->alloc[sc] is the span the P allocates class sc from, or &h->emptyspan
 * (nelems == 0, so both nextFreeFast and nextFreeIndex report it full and
 * the first allocation refills). A cached span is on no mcentral list, has
 * cachedby == P and sweepgen == h->sweepgen + 3 (or + 1 once a GC began).
 */
#include "alloc/internal.h"

/* The P index of an mcache (at most HEAP_MAX_PROCS entries to look at). */
static int mcache_p(heap_t *h, const mcache_t *c)
{
	for (int p = 0; p < HEAP_MAX_PROCS; p++)
		if (h->mcaches[p] == c)
			return p;
	heap_throw(h, "mcache %p belongs to no P", (const void *)c);
}

mcache_t *mcache_new(heap_t *h)
{
	lock_acquire(&h->lock);
	mcache_t *c = fixalloc_alloc(h, &h->cachealloc);
	lock_release(&h->lock);
	if (c == NULL)
		return NULL;
	memset(c, 0, sizeof *c);
	for (int i = 0; i < NUM_SPAN_CLASSES; i++)
		c->alloc[i] = &h->emptyspan;
	c->nextSample = mprof_next_sample(h);
	c->flushGen = h->sweepgen;
	return c;
}

/*
 * Go's refill: c->alloc[sc] has no free slot the P can see; give it back
 * and cache one with a free slot. On NOMEM c->alloc[sc] is &h->emptyspan
 * and nothing observable changed (the old span only moved to mcentral).
 */
void mcache_refill(heap_t *h, mcache_t *c, spanclass_t sc)
{
	mspan_t *s = c->alloc[sc];
	mcentral_t *central = &h->central[sc];

	if (s != &h->emptyspan) {
		uint32_t spg = span_sweepgen(s);
		if (spg != h->sweepgen + 3)
			heap_throw(h, "mcache_refill: bad sweepgen %u (heap %u) spanclass=%d",
			           spg, h->sweepgen, sc);
		c->alloc[sc] = &h->emptyspan;
		mcentral_uncache_span(h, central, s);
	}
	s = mcentral_cache_span(h, central);
	if (s == NULL)
		return;
	/* Atomic: cacheSpan dropped the mcentral lock, and an explicit free on
	 * another P may be decrementing allocCount already. */
	uint16_t n = __atomic_load_n(&s->allocCount, __ATOMIC_RELAXED);
	if (n >= s->nelems || s->spanclass != sc)
		heap_throw(h, "mcache_refill: span has no free space: allocCount=%u nelems=%u",
		           n, s->nelems);
	__atomic_store_n(&s->cachedby, (int8_t)mcache_p(h, c), __ATOMIC_RELAXED);
	c->alloc[sc] = s;
	af_assert_span_valid_under(h, &central->lock, s, "mcache_refill");
}

/* Go's releaseAll (called when a GC starts, and by heap_reset users):
 * every span back to mcentral, the tiny block dropped, stats flushed. */
void mcache_release_all(heap_t *h, mcache_t *c)
{
	for (int i = 0; i < NUM_SPAN_CLASSES; i++) {
		mspan_t *s = c->alloc[i];
		if (s == &h->emptyspan)
			continue;
		c->alloc[i] = &h->emptyspan;
		mcentral_uncache_span(h, &h->central[i], s);
	}
	c->tiny = 0;
	c->tinyoffset = 0;
	mcache_flush_stats(h, c);
}

uintptr_t heap_tiny_block(const heap_t *h, int p, size_t *offset)
{
	*offset = 0;
	if (p < 0 || p >= h->cfg.nprocs || h->mcaches[p] == NULL)
		return 0;
	*offset = h->mcaches[p]->tinyoffset;
	return h->mcaches[p]->tiny;
}

/* Moves the P-local allocation counts into h->stats. */
void mcache_flush_stats(heap_t *h, mcache_t *c)
{
	for (int i = 1; i < NUM_SIZE_CLASSES; i++) {
		if (c->nmalloc_local[i] == 0)
			continue;
		__atomic_fetch_add(&h->stats.by_class_nmalloc[i], c->nmalloc_local[i], __ATOMIC_RELAXED);
		c->nmalloc_local[i] = 0;
	}
	for (int i = 1; i < NUM_SIZE_CLASSES; i++) {
		if (c->nfree_local[i] == 0)
			continue;
		__atomic_fetch_add(&h->stats.by_class_nfree[i], c->nfree_local[i], __ATOMIC_RELAXED);
		c->nfree_local[i] = 0;
	}
	if (c->tinyAllocs) {
		__atomic_fetch_add(&h->stats.tiny_allocs, c->tinyAllocs, __ATOMIC_RELAXED);
		c->tinyAllocs = 0;
	}
	c->flushGen = h->sweepgen;
}
