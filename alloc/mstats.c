/*
 * Memory statistics (Go's mstats.go). See malloc.c for overview.
 *
 * Only the primary counters are kept; heap_read_stats derives the rest, so
 * the totals can never disagree with the per-class counts:
 *
 *   by_class_nmalloc[c>0]  flushed from the mcaches (nmalloc_local) plus
 *                          what they still hold; a new tiny block is a
 *                          class-2 allocation
 *   tiny_allocs            likewise (mcache.tinyAllocs): tiny allocations
 *                          that fit an existing block
 *   by_class_nfree[c>0]    added at once by sweep; explicit frees count in
 *                          the calling P's mcache (nfree_local), flushed
 *                          like nmalloc_local
 *   large_*, by_class_*[0] added at once by large allocation and free
 *
 *   nmalloc      = sum(by_class_nmalloc) + tiny_allocs
 *   nfree        = sum(by_class_nfree)             (blocks)
 *   heap_objects = sum(by_class_nmalloc) - nfree   (live blocks)
 *   total_alloc  = sum(by_class_nmalloc[c] * class_to_size[c]) + large_alloc
 *   heap_alloc   = total_alloc - sum(by_class_nfree[c] * size) - large_free
 *
 * Page counters (heap_sys, heap_inuse, heap_idle, heap_released) are kept
 * in h->stats by mheap.c under the heap lock; the metadata counters come
 * from their fixallocs here. Like Go's ReadMemStats (which stops the
 * world), heap_read_stats must not run while other Ps allocate.
 */
#include "alloc/internal.h"

static inline void add(uint64_t *p, uint64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

void mstats_note_small_free(heap_t *h, int sizeclass, uint64_t n)
{
	if (sizeclass <= 0 || sizeclass >= NUM_SIZE_CLASSES)
		heap_throw(h, "mstats_note_small_free: bad size class %d", sizeclass);
	add(&h->stats.by_class_nfree[sizeclass], n);
}

void mstats_note_large_alloc(heap_t *h, uintptr_t bytes)
{
	add(&h->stats.large_nmalloc, 1);
	add(&h->stats.large_alloc, bytes);
	add(&h->stats.by_class_nmalloc[0], 1);
}

void mstats_note_large_free(heap_t *h, uintptr_t bytes)
{
	add(&h->stats.large_nfree, 1);
	add(&h->stats.large_free, bytes);
	add(&h->stats.by_class_nfree[0], 1);
}

void mstats_reset(heap_t *h)
{
	heap_stats_t *st = &h->stats;
	st->nmalloc = st->nfree = st->tiny_allocs = 0;
	st->heap_objects = st->total_alloc = st->heap_alloc = 0;
	memset(st->by_class_nmalloc, 0, sizeof st->by_class_nmalloc);
	memset(st->by_class_nfree, 0, sizeof st->by_class_nfree);
	st->large_alloc = st->large_nmalloc = st->large_free = st->large_nfree = 0;
	st->numgc = 0;
}

void heap_read_stats(heap_t *h, heap_stats_t *st)
{
	*st = h->stats;
	for (int p = 0; p < HEAP_MAX_PROCS; p++) {
		const mcache_t *c = h->mcaches[p];
		if (c == NULL)
			continue;
		for (int i = 1; i < NUM_SIZE_CLASSES; i++) {
			st->by_class_nmalloc[i] += c->nmalloc_local[i];
			st->by_class_nfree[i] += c->nfree_local[i];
		}
		st->tiny_allocs += c->tinyAllocs;
	}

	uint64_t nmalloc = 0, nfree = 0, alloc_bytes = st->large_alloc, free_bytes = st->large_free;
	for (int i = 0; i < NUM_SIZE_CLASSES; i++) {
		nmalloc += st->by_class_nmalloc[i];
		nfree += st->by_class_nfree[i];
		if (i > 0) {
			alloc_bytes += st->by_class_nmalloc[i] * class_to_size[i];
			free_bytes += st->by_class_nfree[i] * class_to_size[i];
		}
	}
	st->nmalloc = nmalloc + st->tiny_allocs;
	st->nfree = nfree;
	st->heap_objects = nmalloc - nfree;
	st->total_alloc = alloc_bytes;
	st->heap_alloc = alloc_bytes - free_bytes;

	st->mspan_inuse = h->spanalloc.inuse;
	st->mspan_sys = h->spanalloc.sys;
	st->mcache_inuse = h->cachealloc.inuse;
	st->mcache_sys = h->cachealloc.sys;
	st->specials_inuse = h->specialfinalizeralloc.inuse + h->specialprofilealloc.inuse;
	st->specials_sys = h->specialfinalizeralloc.sys + h->specialprofilealloc.sys;
	st->numgc = h->numgc;
}
