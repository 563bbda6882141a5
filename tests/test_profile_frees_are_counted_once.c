/* Every profiled object's free is counted exactly once in its bucket, and
 * counts are published as Go 1.19 does: a GC whose sweep finished shows
 * everything before it and its own sweep's frees; an explicit free shows
 * after the next GC. Objects: one freed by the
 * sweeper, one freed explicitly, and one whose finalizer resurrected it
 * (the finalizer record sorts first, so the profile record stays with the
 * kept object and counts only its final death). */
#include "tests/gc_t.h"

static void resurrect(heap_t *h, void *obj, uintptr_t fn, void *ctx)
{
	(void)fn;
	(void)ctx;
	heap_roots(h)[0] = (uintptr_t)obj;
}

static void expect(heap_t *h, uint32_t stack, uint64_t allocs, uint64_t frees, uint64_t size)
{
	gc_bucket_view_t v = gc_bucket(h, stack);
	CHECK_EQ(v.allocs, allocs);
	CHECK_EQ(v.frees, frees);
	CHECK_EQ(v.alloc_bytes, allocs * size);
	CHECK_EQ(v.free_bytes, frees * size);
}

static void scenario(int mode)
{
	heap_t *h = gc_heap(mode, 1);
	void *swept = NULL, *freed = NULL, *res = NULL, *big = NULL;

	REQUIRE(heap_alloc(h, 0, 40, 0, 10, &swept) == ALLOC_OK);   /* class 48 */
	REQUIRE(heap_alloc(h, 1, 40, 0, 11, &freed) == ALLOC_OK);
	REQUIRE(heap_alloc(h, 0, 40, 5, 12, &res) == ALLOC_OK);
	REQUIRE(heap_alloc(h, 0, 70000, 0, 13, &big) == ALLOC_OK);  /* 9 pages */
	STEP(h);
	CHECK_EQ(heap_setfinalizer(h, res, 40, 5, 0x1), ALLOC_OK);
	CHECK_EQ(heap_free(h, 1, freed), ALLOC_OK);
	STEP(h);
	expect(h, 10, 0, 0, 48);   /* nothing published before a GC */

	gc_collect(h);             /* publishes the allocs, the explicit free and its sweep's frees */
	expect(h, 10, 1, 1, 48);
	expect(h, 11, 1, 1, 48);
	expect(h, 12, 1, 0, 48);   /* kept for its finalizer */
	expect(h, 13, 1, 1, 73728);
	CHECK_EQ(heap_runfinalizers(h, resurrect, NULL), 1);
	STEP(h);

	gc_collect(h);
	expect(h, 10, 1, 1, 48);
	expect(h, 12, 1, 0, 48);   /* resurrected */
	expect(h, 13, 1, 1, 73728);
	heap_roots(h)[0] = 0;
	gc_collect(h);
	heap_finish_sweep(h);
	expect(h, 12, 1, 1, 48);   /* its death, published with the gc that found it */
	for (int i = 0; i < 3; i++)
		gc_collect(h);
	expect(h, 10, 1, 1, 48);
	expect(h, 11, 1, 1, 48);
	expect(h, 12, 1, 1, 48);
	expect(h, 13, 1, 1, 73728);
	STEP(h);
	heap_destroy(h);
}

int main(void) { return gc_main(scenario); }
