/* The cap bounds the committed pages exactly: allocations up to it succeed
 * (a free run at the top counts towards a request), the first one beyond it
 * returns NULL / ALLOC_ERR_NOMEM and leaves the stats, the free runs and
 * the span map as they were, and freed pages make room again. */
#include "tests/t.h"
#include "tests/heapwalk.h"

#define PG(n) ((uint64_t)(n) * PAGE_SIZE)
#define CAP_PAGES 128   /* 1 MiB, inside one arena */

static void check_unchanged(heap_t *h, const heap_stats_t *st0, const walk_t *w0)
{
	heap_stats_t st;
	walk_t w;
	heap_read_stats(h, &st);
	CHECK(memcmp(&st, st0, sizeof st) == 0);
	heapwalk_ok(h, &w);
	CHECK(walks_equal(&w, w0));
}

int main(void)
{
	heap_t *h = t_heap(PG(CAP_PAGES), HEAP_SWEEP_EAGER);
	heap_stats_t st0;
	walk_t w0;
	void *p = (void *)1;

	mspan_t *a = t_large(h, 10);          /* grow: 64 pages, 54 free at the top */
	REQUIRE(a);
	CHECK_EQ(h->stats.heap_sys, PG(HEAP_GROW_PAGES));
	/* 100 pages: the top run's 54 plus 46 more; the heap grows by 64 (its
	 * minimum), which reaches the cap exactly */
	mspan_t *b = t_large(h, 100);
	REQUIRE(b);
	CHECK_EQ(b->startaddr, a->startaddr + PG(10));
	CHECK_EQ(h->stats.heap_sys, PG(CAP_PAGES));
	CHECK_EQ(heapwalk_ok(h, &w0), 1);     /* 18 pages left at the top */
	CHECK_EQ(w0.runs[2].npages, 18);

	/* 19 pages cannot exist below the cap */
	heap_read_stats(h, &st0);
	CHECK(mheap_alloc(h, 19, LARGE_SC) == NULL);
	check_unchanged(h, &st0, &w0);
	CHECK_EQ(heap_alloc(h, 0, PG(19), 0, 1, &p), ALLOC_ERR_NOMEM);
	check_unchanged(h, &st0, &w0);
	/* nor anything bigger than the cap itself, nor an absurd size */
	CHECK(mheap_alloc(h, CAP_PAGES + 1, LARGE_SC) == NULL);
	CHECK(mheap_alloc(h, (uintptr_t)1 << 50, LARGE_SC) == NULL);
	CHECK_EQ(heap_alloc(h, 0, (size_t)1 << 62, 0, 1, &p), ALLOC_ERR_NOMEM);
	check_unchanged(h, &st0, &w0);

	/* 18 fit exactly; then not even one page is left */
	mspan_t *c = t_large(h, 18);
	REQUIRE(c);
	CHECK_EQ(h->stats.heap_idle, 0);
	CHECK_EQ(heapwalk_ok(h, &w0), 0);
	heap_read_stats(h, &st0);
	CHECK(mheap_alloc(h, 1, LARGE_SC) == NULL);
	CHECK_EQ(heap_alloc(h, 0, PG(5), 0, 1, &p), ALLOC_ERR_NOMEM);
	/* a small object needs a fresh span from the page heap: also NOMEM */
	CHECK_EQ(heap_alloc(h, 0, 64, 0, 1, &p), ALLOC_ERR_NOMEM);
	check_unchanged(h, &st0, &w0);

	/* freeing makes room: b's 100 pages come back, 101 still do not fit */
	t_free(h, b);
	CHECK_EQ(heapwalk_ok(h, &w0), 1);
	heap_read_stats(h, &st0);
	CHECK(t_large(h, 101) == NULL);
	check_unchanged(h, &st0, &w0);
	mspan_t *b2 = t_large(h, 100);
	REQUIRE(b2);
	CHECK_EQ(h->stats.heap_sys, PG(CAP_PAGES));
	CHECK_EQ(heapwalk_ok(h, &w0), 0);

	/* a cap that is not a page multiple counts whole pages */
	heap_t *g = t_heap(PG(20) + 100, HEAP_SWEEP_EAGER);
	CHECK_EQ(heap_config(g)->cap_bytes, PG(20));
	CHECK(t_large(g, 21) == NULL);
	mspan_t *x = t_large(g, 20);
	CHECK(x != NULL);
	CHECK_EQ(g->stats.heap_sys, PG(20));   /* the grow minimum yields to the cap */
	CHECK(mheap_alloc(g, 1, LARGE_SC) == NULL);
	heap_destroy(g);
	heap_destroy(h);
	return T_DONE();
}
