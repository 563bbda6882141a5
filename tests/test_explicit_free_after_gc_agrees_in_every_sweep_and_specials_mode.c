/* Explicit free and heap_find_object give the same answers in eager and
 * lazy sweep and in span and legacy specials mode: after a collection an
 * unreachable object is NOT_ALLOCATED even while its span waits for a lazy
 * sweep (free sweeps it first), a reachable one can be freed, an object
 * with a finalizer is HAS_FINALIZER (nothing changes) until the finalizer
 * is removed, and an object's profile record counts its explicit free. */
#include "alloc/testing.h"
#include "tests/gc_t.h"
#include "tests/heapcheck.h"

static uint64_t bucket_frees, bucket_free_bytes, bucket_allocs;

static void read_bucket(const heap_bucket_t *b, void *ctx)
{
	if (b->stack == *(uint32_t *)ctx) {
		bucket_allocs = b->allocs;
		bucket_frees = b->frees;
		bucket_free_bytes = b->free_bytes;
	}
}

static void scenario(int mode)
{
	heap_t *h = gc_heap(mode, 1);   /* profile every allocation */
	void *live, *dead, *fin, *big_dead, *x;
	REQUIRE(heap_alloc(h, 0, 100, 0, 11, &live) == ALLOC_OK);
	REQUIRE(heap_alloc(h, 0, 100, 0, 11, &dead) == ALLOC_OK);
	REQUIRE(heap_alloc(h, 1, 200, 1, 12, &fin) == ALLOC_OK);
	REQUIRE(heap_alloc(h, 1, 50000, 0, 13, &big_dead) == ALLOC_OK);
	heap_roots(h)[0] = (uintptr_t)live;
	heap_roots(h)[1] = (uintptr_t)fin;
	CHECK_EQ(heap_setfinalizer(h, fin, 200, 1, 0x1234), ALLOC_OK);
	CHECK_EQ(heap_gc(h), ALLOC_OK);
	HEAP_OK(h);

	/* dead: in lazy mode its span is unswept now; the answer is the same */
	CHECK_EQ(heap_find_object(h, dead, &x, NULL), ALLOC_ERR_NOT_ALLOCATED);
	CHECK_EQ(heap_free(h, 0, dead), ALLOC_ERR_NOT_ALLOCATED);
	CHECK_EQ(heap_free(h, 1, big_dead), ALLOC_ERR_NOT_IN_HEAP);
	HEAP_OK(h);

	heap_stats_t before, after;
	heap_read_stats(h, &before);
	CHECK_EQ(heap_free(h, 0, fin), ALLOC_ERR_HAS_FINALIZER);
	heap_read_stats(h, &after);
	CHECK(memcmp(&before, &after, sizeof before) == 0);
	CHECK_EQ(heap_setfinalizer(h, fin, 200, 1, 0), ALLOC_OK);
	CHECK_EQ(heap_free(h, 1, fin), ALLOC_OK);
	CHECK_EQ(heap_free(h, 0, live), ALLOC_OK);
	heap_roots(h)[0] = heap_roots(h)[1] = 0;
	/* live was the last object of its span, which no P caches after the
	 * GC: the emptied span went back to the page heap. */
	CHECK_EQ(heap_free(h, 0, live), ALLOC_ERR_NOT_IN_HEAP);
	HEAP_OK(h);

	heap_finish_sweep(h);
	heap_read_stats(h, &after);
	CHECK_EQ(after.heap_objects, 0);
	CHECK_EQ(after.nfree, 4);
	/* Profile frees are published at the next GC: stack 11 had two
	 * objects of class 112, one died in the GC, one was freed. */
	CHECK_EQ(heap_gc(h), ALLOC_OK);
	uint32_t stack = 11;
	bucket_allocs = bucket_frees = bucket_free_bytes = 0;
	heap_profile(h, read_bucket, &stack);
	CHECK_EQ(bucket_allocs, 2);
	CHECK_EQ(bucket_frees, 2);
	CHECK_EQ(bucket_free_bytes, 2 * 112);
	stack = 12;
	heap_profile(h, read_bucket, &stack);
	CHECK_EQ(bucket_frees, 1);
	CHECK_EQ(bucket_free_bytes, 208);
	HEAP_OK(h);
	heap_destroy(h);
}

int main(void)
{
	return gc_main(scenario);
}
