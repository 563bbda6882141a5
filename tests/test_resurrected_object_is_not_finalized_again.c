/* A finalizer that stores its object in a root resurrects it: the object
 * lives on, but its finalizer was consumed, so when it dies again it is
 * freed without a second call. */
#include "tests/gc_t.h"

static int calls;

static void resurrect(heap_t *h, void *obj, uintptr_t fn, void *ctx)
{
	(void)fn;
	(void)ctx;
	calls++;
	heap_roots(h)[3] = (uintptr_t)obj;
}

static void scenario(int mode)
{
	heap_t *h = gc_heap(mode, 0);
	void **a = gc_alloc(h, 64, 2), **child = gc_alloc(h, 16, 0);

	calls = 0;
	a[1] = child;
	CHECK_EQ(heap_setfinalizer(h, a, 64, 2, 0x77), ALLOC_OK);
	gc_collect(h);
	CHECK_EQ(heap_runfinalizers(h, resurrect, NULL), 1);
	STEP(h);
	CHECK_EQ(calls, 1);

	for (int i = 0; i < 3; i++) {
		gc_collect(h);
		CHECK_EQ(heap_runfinalizers(h, resurrect, NULL), 0);
		CHECK(gc_live(h, a) && gc_live(h, child));
		CHECK(a[1] == child);
	}
	heap_roots(h)[3] = 0;
	gc_collect(h);
	CHECK_EQ(heap_runfinalizers(h, resurrect, NULL), 0);
	CHECK(!gc_live(h, a) && !gc_live(h, child));
	CHECK_EQ(calls, 1);
	STEP(h);
	heap_destroy(h);
}

int main(void) { return gc_main(scenario); }
