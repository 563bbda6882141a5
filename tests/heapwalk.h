/* Test support for the page heap: an independent walk of the span map that
 * recomputes what the page heap's counters and lists claim, plus snapshots
 * of the free runs for comparing two heaps. Include after t.h. */
#ifndef ALLOCFUZZ_HEAPWALK_H
#define ALLOCFUZZ_HEAPWALK_H
#define AF_WHITEBOX
#include "alloc/testing.h"
#include <stdio.h>

typedef struct run {
	uintptr_t off;        /* pages from arena_start */
	uintptr_t npages, npreleased;
	int state, needzero;
} run_t;

#define WALK_MAX 4096
typedef struct walk {
	run_t runs[WALK_MAX];  /* every span and free run, by address */
	int n;
	uint64_t inuse, idle, released;
	int nfree_listed;      /* free runs found in free[] / freelarge */
	int nlarge_listed;
} walk_t;

/* Walks [arena_start, arena_used) page by page through the span map and
 * fails a CHECK for each broken invariant. Returns the number of failures. */
static inline int heapwalk(heap_t *h, walk_t *w)
{
	int before = t_failures;
	memset(w, 0, sizeof *w);
	int prev_free = 0;
	for (uintptr_t p = h->arena_start; p < h->arena_used;) {
		mspan_t *s = mheap_span_of(h, p);
		CHECK(s != NULL);
		if (!s)
			return t_failures - before;
		CHECK_EQ(s->startaddr, p);
		CHECK(s->npages > 0);
		uintptr_t end = s->startaddr + s->npages * PAGE_SIZE;
		CHECK(end <= h->arena_used);
		if (s->startaddr != p || s->npages == 0 || end > h->arena_used)
			return t_failures - before;
		if (s->state == MSPAN_INUSE) {
			for (uintptr_t q = p; q < end; q += PAGE_SIZE)
				CHECK(mheap_span_of(h, q) == s);
			w->inuse += end - p;
			prev_free = 0;
		} else {
			CHECK_EQ(s->state, MSPAN_FREE);
			CHECK(!prev_free);  /* no two free runs touch */
			CHECK(mheap_span_of(h, end - PAGE_SIZE) == s);
			for (uintptr_t q = p + PAGE_SIZE; q + PAGE_SIZE < end; q += PAGE_SIZE)
				CHECK(mheap_span_of(h, q) == NULL);
			mspan_list_t *want = s->npages < FREE_LIST_PAGES ? &h->free[s->npages] : &h->freelarge;
			CHECK(s->list == want);
			CHECK(s->npreleased <= s->npages);
			w->idle += end - p;
			w->released += s->npreleased * PAGE_SIZE;
			prev_free = 1;
		}
		if (w->n < WALK_MAX)
			w->runs[w->n++] = (run_t){(p - h->arena_start) / PAGE_SIZE, s->npages,
			                          s->npreleased, s->state, s->needzero};
		p = end;
	}
	for (int n = 0; n < FREE_LIST_PAGES; n++)
		w->nfree_listed += h->free[n].n;
	w->nfree_listed += h->freelarge.n;
	w->nlarge_listed = h->large.n;
	int nfree = 0;
	for (int i = 0; i < w->n; i++)
		nfree += w->runs[i].state == MSPAN_FREE;
	CHECK_EQ(w->nfree_listed, nfree);
	CHECK_EQ(h->stats.heap_sys, h->arena_used - h->arena_start);
	CHECK_EQ(h->stats.heap_inuse, w->inuse);
	CHECK_EQ(h->stats.heap_idle, w->idle);
	CHECK_EQ(h->stats.heap_released, w->released);
	CHECK(h->arena_hwm <= h->arena_used);
	return t_failures - before;
}

/* heapwalk and heap_check that must pass; returns the walk's free-run count. */
static inline int heapwalk_ok(heap_t *h, walk_t *w)
{
	heap_check_report_t rep;
	memset(&rep, 0, sizeof rep);
	alloc_err_t err = heap_check(h, &rep);
	CHECK_EQ(err, ALLOC_OK);
	if (err != ALLOC_OK)
		fprintf(stderr, "heap_check: %s: %s\n", rep.invariant, rep.detail);
	int bad = heapwalk(h, w);
	if (bad)
		fprintf(stderr, "heapwalk: %d failures\n", bad);
	int nfree = 0;
	for (int i = 0; i < w->n; i++)
		nfree += w->runs[i].state == MSPAN_FREE;
	return nfree;
}

static inline int walks_equal(const walk_t *a, const walk_t *b)
{
	return a->n == b->n && memcmp(a->runs, b->runs, sizeof(run_t) * (size_t)a->n) == 0 &&
	       a->inuse == b->inuse && a->idle == b->idle && a->released == b->released;
}

/* Deterministic PRNG for test scenarios (splitmix64). */
static inline uint64_t t_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline heap_t *t_heap(size_t cap, heap_sweep_mode_t sweep)
{
	heap_config_t cfg = {0};
	cfg.cap_bytes = cap;
	cfg.sweep = sweep;
	heap_t *h = NULL;
	alloc_err_t err = heap_new(&cfg, &h);
	REQUIRE(err == ALLOC_OK && h != NULL);
	return h;
}

#define LARGE_SC make_spanclass(0, true)

/* A large object of npages pages through the public path (mallocgc takes
 * the span straight from mheap_alloc); its span, or NULL on NOMEM. */
static inline mspan_t *t_large(heap_t *h, uintptr_t npages)
{
	void *p = NULL;
	if (heap_alloc(h, 0, npages * PAGE_SIZE, 0, 1, &p) != ALLOC_OK)
		return NULL;
	mspan_t *s = mheap_span_of_inuse(h, (uintptr_t)p);
	CHECK(s != NULL && s->startaddr == (uintptr_t)p && s->npages == npages);
	return s;
}

static inline void t_free(heap_t *h, mspan_t *s)
{
	CHECK_EQ(heap_free(h, 0, (void *)s->startaddr), ALLOC_OK);
}
/* Bytes of [arena_start, arena_mapped) that are not zero: what a heap kept
 * across heap_reset still holds. */
static inline size_t heapwalk_mapped_nonzero(heap_t *h)
{
	size_t n = h->arena_mapped - h->arena_start, k = 0;
	UNPOISON((void *)h->arena_start, n);
	const unsigned char *p = (const unsigned char *)h->arena_start;
	for (size_t i = 0; i < n; i++)
		k += p[i] != 0;
	POISON((void *)h->arena_start, n);
	return k;
}

#endif
