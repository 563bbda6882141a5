/* Large objects get whole, exclusive pages from the page heap (their spans
 * sit on h->large while in use), and freeing them in any order coalesces the pages
 * back into one free run covering everything committed. */
#include "tests/t.h"
#include "tests/heapwalk.h"

#define PG(n) ((uint64_t)(n) * PAGE_SIZE)

int main(void)
{
	heap_t *h = t_heap(0, HEAP_SWEEP_EAGER);
	walk_t w;

	mspan_t *a = t_large(h, 5);
	REQUIRE(a);
	CHECK_EQ(a->startaddr, h->arena_start);      /* first pages of the heap */
	CHECK_EQ(a->startaddr % PAGE_SIZE, 0);
	CHECK_EQ(a->npages, 5);
	CHECK_EQ(a->state, MSPAN_INUSE);
	CHECK(a->large);
	CHECK(a->list == &h->large);
	CHECK_EQ(a->needzero, 0);                    /* fresh pages are zero */
	/* the first grow commits HEAP_GROW_PAGES; the rest is one free run */
	CHECK_EQ(h->stats.heap_sys, PG(HEAP_GROW_PAGES));
	CHECK_EQ(h->stats.heap_inuse, PG(5));
	CHECK_EQ(h->stats.heap_idle, PG(HEAP_GROW_PAGES - 5));
	CHECK_EQ(heapwalk_ok(h, &w), 1);
	CHECK_EQ(w.runs[1].off, 5);
	CHECK_EQ(w.runs[1].npages, HEAP_GROW_PAGES - 5);

	/* every byte of the span maps to it, the page after does not */
	for (uintptr_t p = a->startaddr; p < a->startaddr + PG(5); p += 512)
		CHECK(mheap_span_of_inuse(h, p) == a);
	CHECK(mheap_span_of_inuse(h, a->startaddr + PG(5)) == NULL);
	CHECK(mheap_span_of_inuse(h, a->startaddr - 1) == NULL);
	CHECK(mheap_arena_of(h, a->startaddr) == h->arenas[0]);
	CHECK(h->arenas[0] != NULL && h->arenas[1] == NULL);

	mspan_t *b = t_large(h, 7);
	REQUIRE(b);
	CHECK_EQ(b->startaddr, a->startaddr + PG(5));  /* split from the front of the run */
	/* c does not fit the 52 free pages: the heap grows by what the top
	 * free run lacks (148 pages) and c takes the merged run exactly */
	mspan_t *c = t_large(h, 200);
	REQUIRE(c);
	CHECK_EQ(c->startaddr, b->startaddr + PG(7));
	CHECK_EQ(h->stats.heap_sys, PG(212));
	CHECK_EQ(h->stats.heap_idle, 0);
	CHECK_EQ(h->large.n, 3);
	CHECK_EQ(heapwalk_ok(h, &w), 0);
	CHECK_EQ(w.n, 3);

	/* The span record of a freed span may be recycled; compare addresses. */
	uintptr_t bstart = b->startaddr;
	t_free(h, b);                /* between two in-use spans */
	CHECK_EQ(heapwalk_ok(h, &w), 1);
	CHECK(mheap_span_of_inuse(h, bstart) == NULL);
	CHECK(mheap_span_of(h, bstart)->state == MSPAN_FREE);
	CHECK_EQ(h->large.n, 2);
	CHECK_EQ(w.runs[1].npages, 7);
	CHECK_EQ(w.runs[1].needzero, 1);  /* it was in use: may be dirty */
	t_free(h, a);                /* merges with b's run */
	CHECK_EQ(heapwalk_ok(h, &w), 1);
	CHECK_EQ(w.runs[0].npages, 12);
	t_free(h, c);                /* merges everything */
	CHECK_EQ(heapwalk_ok(h, &w), 1);
	CHECK_EQ(w.n, 1);
	CHECK_EQ(w.runs[0].off, 0);
	CHECK_EQ(w.runs[0].npages, 212);
	CHECK_EQ(h->stats.heap_inuse, 0);
	CHECK_EQ(h->stats.heap_idle, h->stats.heap_sys);
	CHECK_EQ(h->large.n, 0);
	CHECK_EQ(h->freelarge.n, 1);

	/* A span bigger than an arena crosses arena boundaries: the span map of
	 * both arenas names it. */
	mspan_t *d = t_large(h, PAGES_PER_ARENA + 10);
	REQUIRE(d);
	CHECK(h->arenas[1] != NULL);
	CHECK(mheap_span_of_inuse(h, d->startaddr + ARENA_BYTES + PG(3)) == d);
	CHECK(mheap_span_of_inuse(h, d->startaddr + PG(d->npages) - 1) == d);
	CHECK_EQ(h->stats.other_sys, 2 * sizeof(heaparena_t));
	CHECK_EQ(heapwalk_ok(h, &w), 0);
	t_free(h, d);
	CHECK_EQ(heapwalk_ok(h, &w), 1);
	CHECK_EQ(w.runs[0].npages, PAGES_PER_ARENA + 10);

	/* freelarge is best fit, lowest address among equals, whatever the
	 * order the runs were freed in: runs of 200, 150, 150 pages (the
	 * higher 150 freed last), each kept apart by an in-use span */
	heap_reset(h);
	mspan_t *big[6];
	static const uintptr_t npg[6] = {200, 5, 150, 5, 150, 5};
	for (int i = 0; i < 6; i++) {
		big[i] = t_large(h, npg[i]);
		REQUIRE(big[i]);
	}
	uintptr_t low150 = big[2]->startaddr;
	t_free(h, big[0]);
	t_free(h, big[2]);
	t_free(h, big[4]);
	CHECK_EQ(heapwalk_ok(h, &w), 4);    /* and the tail above the last span */
	mspan_t *f = t_large(h, 140);
	REQUIRE(f);
	CHECK_EQ(f->startaddr, low150);
	CHECK_EQ(heapwalk_ok(h, &w), 4);    /* 10 pages of it stay free */
	t_free(h, f);
	for (int i = 1; i < 6; i += 2)
		t_free(h, big[i]);
	CHECK_EQ(heapwalk_ok(h, &w), 1);

#ifdef AF_ASAN
	/* free pages are poisoned; mheap_alloc hands pages out still poisoned
	 * (the span code unpoisons objects) and mheap_free poisons them again */
	CHECK(__asan_address_is_poisoned((void *)h->arena_start));
	mspan_t *e = mheap_alloc(h, 2, LARGE_SC);
	REQUIRE(e);
	CHECK(__asan_address_is_poisoned((void *)(e->startaddr + PAGE_SIZE)));
	span_unpoison(e, (void *)e->startaddr, 2 * PAGE_SIZE);  /* mheap_free must poison it again */
	mheap_free(h, e);
	CHECK(__asan_address_is_poisoned((void *)(h->arena_start + PAGE_SIZE)));
#endif
	heap_destroy(h);
	return T_DONE();
}
