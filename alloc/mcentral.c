/*
 * Central free lists: the spans of one span class that no P caches.
 * See malloc.c for overview.
 *
 * Go 1.19 keeps lock-free span sets; we keep doubly linked lists under one
 * lock per mcentral, with the same four sets indexed by sweepgen:
 *
 *   partial[sg/2 % 2]      swept, has a free slot      (eager mode: all spans)
 *   full[sg/2 % 2]         swept, no free slot
 *   partial[1 - sg/2 % 2]  unswept (lazy mode), had a free slot
 *   full[1 - sg/2 % 2]     unswept, was full
 *
 * Bumping h->sweepgen by 2 turns every swept set into an unswept one at no
 * cost. Lock order: mcentral lock, then the mheap lock (malloc.c).
 */
#include "alloc/internal.h"

static inline mspan_list_t *partial_swept(heap_t *h, mcentral_t *c)
{ return &c->partial[(h->sweepgen >> 1) & 1]; }
static inline mspan_list_t *partial_unswept(heap_t *h, mcentral_t *c)
{ return &c->partial[((h->sweepgen >> 1) & 1) ^ 1]; }
static inline mspan_list_t *full_swept(heap_t *h, mcentral_t *c)
{ return &c->full[(h->sweepgen >> 1) & 1]; }
static inline mspan_list_t *full_unswept(heap_t *h, mcentral_t *c)
{ return &c->full[((h->sweepgen >> 1) & 1) ^ 1]; }

void mcentral_init(heap_t *h, mcentral_t *c, spanclass_t sc)
{
	lock_init(&c->lock, h, LOCKRANK_MCENTRAL);
	c->spanclass = sc;
	for (int i = 0; i < 2; i++) {
		mspan_list_init(&c->partial[i]);
		mspan_list_init(&c->full[i]);
	}
}

static mspan_t *list_pop(heap_t *h, mspan_list_t *l)
{
	mspan_t *s = l->first;
	if (s)
		mspan_list_remove(h, l, s);
	return s;
}

/* Allocates a new span of the class from the page heap (Go's grow). */
static mspan_t *mcentral_grow(heap_t *h, mcentral_t *c)
{
	int cls = spanclass_sizeclass(c->spanclass);
	mspan_t *s = mheap_alloc(h, class_to_allocnpages[cls], c->spanclass);
	if (s == NULL)
		return NULL;
	if (s->spanclass != c->spanclass || s->nelems == 0 || s->allocCount != 0)
		heap_throw(h, "mcentral_grow: bad span: spanclass=%d nelems=%u allocCount=%u",
		           s->spanclass, s->nelems, s->allocCount);
	return s;
}

/* Sweeps a span popped from an unswept set, keeping it (Go: tryAcquire,
 * then sweep(preserve=true)). A span swept meanwhile is left alone. */
static void sweep_preserving(heap_t *h, mspan_t *s)
{
	uint32_t sg = h->sweepgen, want = sg - 2;
	if (__atomic_compare_exchange_n(&s->sweepgen, &want, sg - 1, false,
	                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (!mgcsweep_sweep(h, s, true))
			heap_throw(h, "mcentral_cache_span: preserving sweep freed the span");
	} else if (want != sg) {
		heap_throw(h, "mcentral: span on an unswept list has sweepgen %u (heap %u)", want, sg);
	}
}

/* An unswept span of c with a free slot once swept, or NULL; spans that
 * stay full move to the swept full set. c->lock held. */
static mspan_t *take_unswept(heap_t *h, mcentral_t *c)
{
	mspan_list_t *sets[2] = { partial_unswept(h, c), full_unswept(h, c) };
	mspan_t *s;
	for (int k = 0; k < 2; k++)
		while ((s = list_pop(h, sets[k])) != NULL) {
			sweep_preserving(h, s);
			if (s->allocCount < s->nelems)
				return s;
			mspan_list_insert_back(h, full_swept(h, c), s);
		}
	return NULL;
}

/*
 * Go's cacheSpan: a span with at least one free slot for an mcache, or
 * NULL if the page heap is exhausted. The span is on no list afterwards.
 * Lazy mode takes, in order: a swept partial span, an unswept partial span
 * (swept now), an unswept full span that sweeping freed a slot in, and
 * only then new pages.
 */
mspan_t *mcentral_cache_span(heap_t *h, mcentral_t *c)
{
	mspan_t *s;

	lock_acquire(&c->lock);
	s = list_pop(h, partial_swept(h, c));
	/* Unswept spans are taken as a registered sweeper (Go: sweep.active),
	 * so the cycle cannot end while one of them is being swept here. */
	if (!s && mgcsweep_begin(h)) {
		s = take_unswept(h, c);
		mgcsweep_end(h);
	}
	if (s)
		goto havespan;
	/* mheap_alloc may sweep (reclaim) spans of this class, which return
	 * through mcentral_free_span_locked: drop the lock meanwhile. */
	lock_release(&c->lock);
	s = mcentral_grow(h, c);
	if (s == NULL)
		return NULL;
	lock_acquire(&c->lock);

havespan:
	af_assert_span_valid(h, s, "mcentral_cache_span");
	if (s->allocCount >= s->nelems)
		heap_throw(h, "mcentral_cache_span: span has no free objects: allocCount=%u nelems=%u",
		           s->allocCount, s->nelems);
	/* Explicit frees may have left holes below freeindex: start at the
	 * lowest free slot so they are reused before fresh ones. */
	s->freeindex = (uint16_t)mspan_lowest_free_index(s);
	s->foreignfree = 0;
	if (s->freeindex >= s->nelems)
		heap_throw(h, "mcentral_cache_span: allocCount=%u but no free allocbit",
		           s->allocCount);
	mspan_reset_alloc_cache(s);
	/* Go's "swept and then cached" state. */
	__atomic_store_n(&s->sweepgen, h->sweepgen + 3, __ATOMIC_RELEASE);
	/* Handed to an mcache: its rebuilt cache is checked here, so a bug in
	 * the rebuild is reported as the cache it broke (alloccache), not as
	 * whatever the wrong slots it offers break later. */
	af_assert_span_valid(h, s, "mcentral_cache_span");
	lock_release(&c->lock);
	return s;
}

/* Go's uncacheSpan: the mcache gives s back. */
void mcentral_uncache_span(heap_t *h, mcentral_t *c, mspan_t *s)
{
	uint32_t sg = h->sweepgen;

	if (s == &h->emptyspan)
		heap_throw(h, "mcentral_uncache_span: uncaching the empty span");
	af_assert_span_valid_under(h, &c->lock, s, "mcentral_uncache_span");
	__atomic_store_n(&s->cachedby, (int8_t)-1, __ATOMIC_RELAXED);
	uint32_t spg = span_sweepgen(s);
	if (spg == sg + 1) {
		/* Cached before this sweep began: ours to sweep, and the sweep
		 * puts it on the right list (or frees it). */
		__atomic_store_n(&s->sweepgen, sg - 1, __ATOMIC_RELAXED);
		mgcsweep_sweep(h, s, false);
		return;
	}
	if (spg != sg + 3)
		heap_throw(h, "mcentral_uncache_span: bad sweepgen %u (heap %u)", spg, sg);
	lock_acquire(&c->lock);
	__atomic_store_n(&s->sweepgen, sg, __ATOMIC_RELEASE);
	/* An explicit free on another P may have cleared allocbits inside the
	 * owner's cache window; uncached, the cache must agree again. */
	mspan_reset_alloc_cache(s);
	/* An explicit free on this P (or another) may have emptied it while
	 * cached; then it goes back to the page heap. */
	mcentral_free_span_locked(h, c, s, false);
	lock_release(&c->lock);
}

void mcentral_free_span_locked(heap_t *h, mcentral_t *c, mspan_t *s, bool wasempty)
{
	assert_locked(h, &c->lock);
	if (s->state != MSPAN_INUSE || s->spanclass != c->spanclass || s->cachedby >= 0)
		heap_throw(h, "mcentral_free_span_locked: span state=%d spanclass=%d (central %d) cachedby=%d",
		           s->state, s->spanclass, c->spanclass, s->cachedby);
	if (wasempty && s->list != NULL && s->list != &c->full[0] && s->list != &c->full[1])
		heap_throw(h, "mcentral_free_span_locked: wasempty but span not on a full list");
	if (s->list != NULL)
		mspan_list_remove(h, s->list, s);
	if (s->allocCount == 0) {
		mheap_free(h, s);
		return;
	}
	if (s->allocCount < s->nelems)
		mspan_list_insert(h, partial_swept(h, c), s);
	else
		mspan_list_insert(h, full_swept(h, c), s);
}
