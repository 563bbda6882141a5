/* heap_free refuses an object with a finalizer (at its start or at an inner
 * byte) with ALLOC_ERR_HAS_FINALIZER and changes nothing; once the
 * finalizer is removed the free succeeds and counts its profile free. An
 * unswept dead object (lazy mode) is found dead, as in eager mode. */
#include "tests/gc_t.h"

static void scenario(int mode)
{
	heap_t *h = gc_heap(mode, 1);
	char *p = NULL, *q = NULL, *big = NULL, *dead = NULL;
	heap_stats_t st0, st;

	REQUIRE(heap_alloc(h, 0, 64, 0, 5, (void **)&p) == ALLOC_OK);
	REQUIRE(heap_alloc(h, 0, 64, 0, 5, (void **)&q) == ALLOC_OK);
	REQUIRE(heap_alloc(h, 0, 40000, 0, 6, (void **)&big) == ALLOC_OK);
	CHECK_EQ(heap_setfinalizer(h, p, 64, 0, 0x1), ALLOC_OK);
	CHECK_EQ(heap_setfinalizer(h, q + 12, 4, 0, 0x2), ALLOC_OK);
	CHECK_EQ(heap_setfinalizer(h, big, 40000, 0, 0x3), ALLOC_OK);
	STEP(h);
	heap_read_stats(h, &st0);
	CHECK_EQ(heap_free(h, 0, p), ALLOC_ERR_HAS_FINALIZER);
	CHECK_EQ(heap_free(h, 0, q), ALLOC_ERR_HAS_FINALIZER);
	CHECK_EQ(heap_free(h, 0, big), ALLOC_ERR_HAS_FINALIZER);
	heap_read_stats(h, &st);
	CHECK_EQ(st.nfree, st0.nfree);
	CHECK(gc_live(h, p) && gc_live(h, q) && gc_live(h, big));
	STEP(h);

	CHECK_EQ(heap_setfinalizer(h, p, 64, 0, 0), ALLOC_OK);
	CHECK_EQ(heap_setfinalizer(h, q + 12, 4, 0, 0), ALLOC_OK);
	CHECK_EQ(heap_setfinalizer(h, big, 40000, 0, 0), ALLOC_OK);
	CHECK_EQ(heap_free(h, 0, p), ALLOC_OK);
	CHECK_EQ(heap_free(h, 0, q), ALLOC_OK);
	CHECK_EQ(heap_free(h, 0, big), ALLOC_OK);
	STEP(h);
	gc_collect(h);
	gc_bucket_view_t v = gc_bucket(h, 5), w = gc_bucket(h, 6);
	CHECK_EQ(v.allocs, 2);
	CHECK_EQ(v.frees, 2);
	CHECK_EQ(w.frees, 1);

	REQUIRE(heap_alloc(h, 0, 64, 0, 7, (void **)&dead) == ALLOC_OK);
	gc_collect(h);   /* dead is unreachable: freed (eager) or about to be (lazy) */
	CHECK(heap_free(h, 0, dead) != ALLOC_OK);
	CHECK(heap_setfinalizer(h, dead, 64, 0, 0x9) != ALLOC_OK);
	STEP(h);
	heap_destroy(h);
}

int main(void) { return gc_main(scenario); }
