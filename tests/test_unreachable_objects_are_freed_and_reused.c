/* After a GC, the unreachable objects are free (stats and lookups agree)
 * and the next allocations of their size class reuse exactly their slots;
 * an emptied span goes back to the page heap; reachable ones stay. */
#include "tests/gc_t.h"
#include <stdlib.h>

#define N 600

static int cmp(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

static void scenario(int mode)
{
	heap_t *h = gc_heap(mode, 0);
	static uintptr_t obj[N], dead[N], again[N];
	void **keep = gc_alloc(h, 8 * (N / 2), N / 2);   /* holds the even ones */
	heap_stats_t st0, st;
	size_t nd = 0;

	heap_roots(h)[5] = (uintptr_t)keep;
	heap_read_stats(h, &st0);
	for (int i = 0; i < N; i++) {
		REQUIRE(heap_alloc(h, 0, 64, 0, 1, (void **)&obj[i]) == ALLOC_OK);
		if (i % 2 == 0)
			keep[i / 2] = (void *)obj[i];
		else
			dead[nd++] = obj[i];
	}
	STEP(h);
	gc_collect(h);
	heap_finish_sweep(h);
	STEP(h);
	heap_read_stats(h, &st);
	CHECK_EQ(st.heap_objects, st0.heap_objects + N / 2);
	CHECK_EQ(st.nfree, st0.nfree + N / 2);
	for (int i = 0; i < N; i++)
		CHECK_EQ(gc_live(h, (void *)obj[i]), i % 2 == 0);

	for (size_t i = 0; i < nd; i++)
		REQUIRE(heap_alloc(h, 0, 64, 0, 1, (void **)&again[i]) == ALLOC_OK);
	STEP(h);
	qsort(dead, nd, sizeof dead[0], cmp);
	qsort(again, nd, sizeof again[0], cmp);
	CHECK(memcmp(dead, again, nd * sizeof dead[0]) == 0);

	/* everything unreachable: every span of the class goes back */
	heap_roots(h)[5] = 0;
	gc_collect(h);
	heap_finish_sweep(h);
	STEP(h);
	heap_read_stats(h, &st);
	CHECK_EQ(st.heap_objects, 0);
	CHECK_EQ(st.heap_inuse, 0);
	heap_destroy(h);
}

int main(void) { return gc_main(scenario); }
