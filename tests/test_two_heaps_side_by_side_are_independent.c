/* Two heaps in one process share nothing: disjoint reservations, their own
 * span maps, stats and metadata; allocating, freeing, scavenging, resetting
 * or destroying one leaves the other exactly as it was. */
#include "tests/t.h"
#include "tests/heapwalk.h"

#define PG(n) ((uint64_t)(n) * PAGE_SIZE)

static void snapshot(heap_t *h, heap_stats_t *st, walk_t *w)
{
	heap_read_stats(h, st);
	heapwalk_ok(h, w);
}

static void check_same(heap_t *h, const heap_stats_t *st0, const walk_t *w0)
{
	heap_stats_t st;
	static walk_t w;
	snapshot(h, &st, &w);
	CHECK(memcmp(&st, st0, sizeof st) == 0);
	CHECK(walks_equal(&w, w0));
}

int main(void)
{
	heap_t *a = t_heap(PG(256), HEAP_SWEEP_EAGER);
	heap_t *b = t_heap(0, HEAP_SWEEP_LAZY);
	static walk_t wb;
	heap_stats_t stb;

	CHECK(a->arena_end <= b->arena_start || b->arena_end <= a->arena_start);
	CHECK_EQ(heap_config(a)->cap_bytes, PG(256));
	CHECK_EQ(heap_config(b)->cap_bytes, DEFAULT_CAP);
	CHECK(heap_zerobase(a) != heap_zerobase(b));
	CHECK(heap_roots(a) != heap_roots(b));

	mspan_t *sb = t_large(b, 9);
	REQUIRE(sb);
	void *small_b = NULL;
	CHECK_EQ(heap_alloc(b, 0, 48, 0, 1, &small_b), ALLOC_OK);
	snapshot(b, &stb, &wb);

	/* everything done to a */
	mspan_t *sa = t_large(a, 9), *sa2 = t_large(a, 20);
	REQUIRE(sa && sa2);
	void *small_a = NULL;
	CHECK_EQ(heap_alloc(a, 0, 48, 0, 1, &small_a), ALLOC_OK);
	CHECK(mheap_span_of(b, sa->startaddr) == NULL);
	CHECK(mheap_span_of(a, sb->startaddr) == NULL);
	CHECK(mheap_arena_of(b, sa->startaddr) == NULL);
	/* a pointer of the other heap is not in this heap */
	CHECK_EQ(heap_free(b, 0, small_a), ALLOC_ERR_NOT_IN_HEAP);
	CHECK_EQ(heap_free(a, 0, (void *)sb->startaddr), ALLOC_ERR_NOT_IN_HEAP);
	t_free(a, sa);
	CHECK(heap_scavenge(a) > 0);
	CHECK(t_large(a, 300) == NULL);   /* a's cap, not b's */
	check_same(b, &stb, &wb);

	heap_reset(a);
	check_same(b, &stb, &wb);
	CHECK_EQ(a->stats.heap_sys, 0);
	mspan_t *sa3 = t_large(a, 5);
	CHECK(sa3 && sa3->startaddr == a->arena_start);
	heap_destroy(a);
	check_same(b, &stb, &wb);

	/* b still works after a is gone */
	t_free(b, sb);
	CHECK_EQ(heap_free(b, 0, small_b), ALLOC_OK);
	mspan_t *sb2 = t_large(b, 9);
	CHECK(sb2 != NULL);
	CHECK_EQ(heapwalk_ok(b, &wb), 1);
	heap_destroy(b);
	return T_DONE();
}
