/* heap_finq_walk, the view of the finalizer queue the executor judges the
 * heap's reachability by (harness/exec_gc.c check_reachability), lists every
 * queued record once with its object and fn, across more than one finblock,
 * and changes nothing: walking twice gives the same records, the queue
 * length stays, and heap_runfinalizers then runs exactly those records. */
#include "tests/gc_t.h"

#define N 300   /* more than one finblock's records */

static void scenario(int mode)
{
	heap_t *h = gc_heap(mode, 0);
	void *obj[N];
	finlog_t walk, again, ran;

	for (int i = 0; i < N; i++) {
		obj[i] = gc_alloc(h, 32, 1);
		CHECK_EQ(heap_setfinalizer(h, obj[i], 32, 1, 0x100 + (uintptr_t)i), ALLOC_OK);
	}
	walk.n = 0;
	heap_finq_walk(h, finlog_cb, &walk);
	CHECK_EQ(walk.n, 0);   /* nothing queued before a collection */
	gc_collect(h);
	heap_finish_sweep(h);
	CHECK_EQ(heap_finq_len(h), N);
	walk.n = again.n = 0;
	heap_finq_walk(h, finlog_cb, &walk);
	heap_finq_walk(h, finlog_cb, &again);
	CHECK_EQ(walk.n, N);
	CHECK_EQ(again.n, N);
	CHECK_EQ(heap_finq_len(h), N);
	for (size_t i = 0; i < walk.n; i++) {
		CHECK(walk.obj[i] == again.obj[i] && walk.fn[i] == again.fn[i]);
		size_t k = walk.fn[i] - 0x100;
		REQUIRE(k < N);
		CHECK(walk.obj[i] == obj[k]);
		for (size_t j = 0; j < i; j++)
			CHECK(walk.fn[j] != walk.fn[i]);   /* each record once */
	}
	CHECK_EQ(gc_runfin(h, &ran), N);
	for (int i = 0; i < N; i++)
		CHECK(finlog_has(&ran, obj[i]));
	walk.n = 0;
	heap_finq_walk(h, finlog_cb, &walk);
	CHECK_EQ(walk.n, 0);
	heap_destroy(h);
}

int main(void) { return gc_main(scenario); }
