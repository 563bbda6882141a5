/* A -> B, both with finalizers, neither rooted: the first cycle queues only
 * A (B is reachable from A, whose finalizer may use it); once A's finalizer
 * ran, the next cycle frees A and queues B; the one after frees B. */
#include "tests/gc_t.h"

static void scenario(int mode)
{
	heap_t *h = gc_heap(mode, 0);
	finlog_t log;
	void **a = gc_alloc(h, 32, 1), **b = gc_alloc(h, 48, 2);

	a[0] = b;
	CHECK_EQ(heap_setfinalizer(h, a, 32, 1, 0xA), ALLOC_OK);
	CHECK_EQ(heap_setfinalizer(h, b, 48, 2, 0xB), ALLOC_OK);
	STEP(h);

	gc_collect(h);
	CHECK_EQ(gc_runfin(h, &log), 1);
	CHECK(finlog_has(&log, a) && log.fn[0] == 0xA);
	CHECK(gc_live(h, a) && gc_live(h, b));

	gc_collect(h);
	CHECK_EQ(gc_runfin(h, &log), 1);
	CHECK(finlog_has(&log, b) && log.fn[0] == 0xB);
	CHECK(!gc_live(h, a));
	CHECK(gc_live(h, b));

	gc_collect(h);
	CHECK_EQ(gc_runfin(h, &log), 0);
	CHECK(!gc_live(h, b));
	STEP(h);
	heap_destroy(h);
}

int main(void) { return gc_main(scenario); }
