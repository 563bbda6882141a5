/* Tiny allocations share a 16-byte block: the block lives while any of its
 * sub-objects is reachable (an interior pointer), and while it is a P's
 * current tiny block (Go's gcMarkTinyAllocs); the GC drops the current
 * block, so the block dies in the first cycle after both are gone. A
 * finalizer on a sub-object keeps the whole block. */
#include "tests/gc_t.h"

static void scenario(int mode)
{
	heap_t *h = gc_heap(mode, 0);
	uintptr_t *roots = heap_roots(h);
	char *a, *b, *c, *d;
	finlog_t log;

	a = gc_alloc(h, 4, 0);
	b = gc_alloc(h, 4, 0);
	c = gc_alloc(h, 8, 0);
	CHECK(b == a + 4 && c == a + 8);     /* one block */
	d = gc_alloc(h, 12, 0);              /* does not fit: a new block */
	CHECK(d != a + 12);
	CHECK_EQ(heap_free(h, 0, a), ALLOC_ERR_TINY);

	roots[0] = (uintptr_t)b;             /* only b reachable */
	gc_collect(h);
	CHECK(gc_live(h, a));                /* the block, via b */
	CHECK(gc_live(h, d));                /* the P's current block */
	roots[0] = 0;
	gc_collect(h);
	CHECK(!gc_live(h, a));
	CHECK(!gc_live(h, d));               /* dropped by the first GC */

	/* a finalizer on a sub-object (interior address) keeps the block */
	char *x = gc_alloc(h, 2, 0), *y = gc_alloc(h, 6, 0);
	CHECK(y == x + 2);
	CHECK_EQ(heap_setfinalizer(h, y, 6, 0, 0x6), ALLOC_OK);
	CHECK_EQ(heap_free(h, 0, x), ALLOC_ERR_TINY);
	gc_collect(h);
	gc_collect(h);
	CHECK_EQ(gc_runfin(h, &log), 1);
	CHECK(log.obj[0] == y && log.fn[0] == 0x6);
	CHECK(gc_live(h, x));
	gc_collect(h);
	CHECK(!gc_live(h, x));
	STEP(h);
	heap_destroy(h);
}

int main(void) { return gc_main(scenario); }
