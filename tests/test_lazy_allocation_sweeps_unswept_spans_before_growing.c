/* In lazy sweep mode, after a collection a small allocation takes, in Go
 * 1.19's order, a swept partial span, then an unswept partial span (swept
 * on the spot), then an unswept full span that sweeping frees a slot in, and
 * only then new pages: refilling the dead objects' slots never grows the
 * heap, and the counters after the sweep finished equal eager mode's. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"
#include "tests/heapcheck.h"

enum { SIZE = 1024, PER_SPAN = 8, NSPANS = 12 };

static void run(heap_sweep_mode_t mode, heap_stats_t *out)
{
	heap_t *h;
	REQUIRE(heap_new(&(heap_config_t){.sweep = mode}, &h) == ALLOC_OK);
	void *o[NSPANS * PER_SPAN];
	for (int i = 0; i < NSPANS * PER_SPAN; i++)
		REQUIRE(heap_alloc(h, 0, SIZE, 1, 0, &o[i]) == ALLOC_OK);
	/* Keep one object in every other span alive: those spans stay, half
	 * full; the others die entirely. Chain the survivors through the
	 * roots. */
	for (int s = 0, r = 0; s < NSPANS; s += 2)
		heap_roots(h)[r++] = (uintptr_t)o[s * PER_SPAN + 3];
	heap_stats_t st0;
	heap_read_stats(h, &st0);
	CHECK_EQ(heap_gc(h), ALLOC_OK);
	HEAP_OK(h);

	/* As many allocations as died: no new pages may be needed. */
	int died = NSPANS * PER_SPAN - NSPANS / 2;
	for (int i = 0; i < died; i++) {
		void *x;
		REQUIRE(heap_alloc(h, 0, SIZE, 1, 0, &x) == ALLOC_OK);
		if (i % 8 == 0)
			HEAP_OK(h);
	}
	heap_stats_t st1;
	heap_read_stats(h, &st1);
	CHECK_EQ(st1.heap_sys, st0.heap_sys);
	if (mode == HEAP_SWEEP_LAZY)
		CHECK(st1.heap_inuse <= st0.heap_inuse);
	heap_finish_sweep(h);
	heap_read_stats(h, out);
	CHECK_EQ(out->heap_objects, (uint64_t)(NSPANS / 2 + died));
	HEAP_OK(h);
	heap_destroy(h);
}

/* The order itself: spans Q (full, then swept by an explicit free), P
 * (partial, unswept) and F (full, unswept); refills take Q, then P, then
 * F, then new pages, each from its lowest free slot. */
static void order(void)
{
	heap_t *h;
	REQUIRE(heap_new(&(heap_config_t){.sweep = HEAP_SWEEP_LAZY}, &h) == ALLOC_OK);
	uintptr_t q[PER_SPAN], f[PER_SPAN], p[4];
	void *x;
	for (int i = 0; i < PER_SPAN; i++) {
		REQUIRE(heap_alloc(h, 0, SIZE, 0, 0, &x) == ALLOC_OK);
		q[i] = (uintptr_t)x;
	}
	for (int i = 0; i < PER_SPAN; i++) {
		REQUIRE(heap_alloc(h, 0, SIZE, 0, 0, &x) == ALLOC_OK);
		f[i] = (uintptr_t)x;
	}
	for (int i = 0; i < 4; i++) {
		REQUIRE(heap_alloc(h, 0, SIZE, 0, 0, &x) == ALLOC_OK);
		p[i] = (uintptr_t)x;
	}
	CHECK_EQ(q[0] % PAGE_SIZE, 0);
	CHECK_EQ(f[0] % PAGE_SIZE, 0);
	CHECK_EQ(p[0] % PAGE_SIZE, 0);
	uintptr_t *roots = heap_roots(h);
	roots[0] = q[0];
	roots[1] = q[1];
	roots[2] = f[0];
	roots[3] = p[0];
	CHECK_EQ(heap_gc(h), ALLOC_OK);
	roots[1] = 0;
	CHECK_EQ(heap_free(h, 0, (void *)q[1]), ALLOC_OK);   /* sweeps Q: swept partial */
	HEAP_OK(h);

	for (int i = 1; i < PER_SPAN; i++) {
		REQUIRE(heap_alloc(h, 0, SIZE, 0, 0, &x) == ALLOC_OK);
		CHECK_EQ((uintptr_t)x, q[0] + (uintptr_t)i * SIZE);
	}
	for (int i = 1; i < PER_SPAN; i++) {
		REQUIRE(heap_alloc(h, 0, SIZE, 0, 0, &x) == ALLOC_OK);
		CHECK_EQ((uintptr_t)x, p[0] + (uintptr_t)i * SIZE);
	}
	for (int i = 1; i < PER_SPAN; i++) {
		REQUIRE(heap_alloc(h, 0, SIZE, 0, 0, &x) == ALLOC_OK);
		CHECK_EQ((uintptr_t)x, f[0] + (uintptr_t)i * SIZE);
	}
	REQUIRE(heap_alloc(h, 0, SIZE, 0, 0, &x) == ALLOC_OK);
	uintptr_t span = (uintptr_t)x & ~PAGE_MASK;
	CHECK(span != q[0] && span != p[0] && span != f[0]);
	HEAP_OK(h);
	heap_destroy(h);
}

int main(void)
{
	order();
	heap_stats_t eager, lazy;
	run(HEAP_SWEEP_EAGER, &eager);
	run(HEAP_SWEEP_LAZY, &lazy);
	CHECK_EQ(lazy.nmalloc, eager.nmalloc);
	CHECK_EQ(lazy.nfree, eager.nfree);
	CHECK_EQ(lazy.heap_alloc, eager.heap_alloc);
	CHECK_EQ(lazy.heap_objects, eager.heap_objects);
	CHECK_EQ(lazy.heap_sys, eager.heap_sys);
	return T_DONE();
}
