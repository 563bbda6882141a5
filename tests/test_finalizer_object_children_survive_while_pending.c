/* An unreachable object with a finalizer keeps what it points to alive:
 * while its finalizer is set (its object is scanned), while it waits in the
 * queue (a root) across further cycles, and only after the finalizer ran
 * does the next cycle free the object and its children together. */
#include "tests/gc_t.h"

static void scenario(int mode)
{
	heap_t *h = gc_heap(mode, 0);
	void **a = gc_alloc(h, 32, 2), **b = gc_alloc(h, 32, 1), **c = gc_alloc(h, 40000, 0);
	finlog_t log;

	a[1] = b;
	b[0] = c;
	CHECK_EQ(heap_setfinalizer(h, a, 32, 2, 0xF), ALLOC_OK);
	gc_collect(h);
	heap_finish_sweep(h);
	CHECK_EQ(heap_finq_len(h), 1);
	for (int cycle = 0; cycle < 3; cycle++) {
		CHECK(gc_live(h, a) && gc_live(h, b) && gc_live(h, c));
		gc_collect(h);
		heap_finish_sweep(h);
		CHECK_EQ(heap_finq_len(h), 1);
	}
	CHECK_EQ(gc_runfin(h, &log), 1);
	CHECK(log.obj[0] == a);
	CHECK(gc_live(h, a) && gc_live(h, b) && gc_live(h, c));
	gc_collect(h);
	CHECK(!gc_live(h, a) && !gc_live(h, b) && !gc_live(h, c));
	STEP(h);
	heap_destroy(h);
}

int main(void) { return gc_main(scenario); }
