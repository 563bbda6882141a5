/* A pointer anywhere inside an object (root or heap word) keeps the whole
 * object, and what it points to, alive: small, large and tiny blocks. */
#include "tests/gc_t.h"

static void scenario(int mode)
{
	heap_t *h = gc_heap(mode, 0);
	uintptr_t *roots = heap_roots(h);
	char *small = gc_alloc(h, 96, 4);          /* class 96 */
	char *large = gc_alloc(h, 100000, 2);      /* 13 pages */
	void **leaf = gc_alloc(h, 24, 0);
	void **leaf2 = gc_alloc(h, 512, 0);
	char *dead = gc_alloc(h, 96, 0);

	((void **)small)[3] = (char *)leaf + 17;    /* interior heap pointer */
	((void **)large)[1] = (char *)leaf2 + 511;  /* last byte */
	roots[0] = (uintptr_t)(small + 95);         /* last byte of the object */
	roots[1] = (uintptr_t)(large + 99999);      /* far inside a large object */
	/* a value outside the heap is ignored */
	roots[2] = (uintptr_t)&roots;

	for (int cycle = 0; cycle < 2; cycle++) {
		gc_collect(h);
		heap_finish_sweep(h);
		STEP(h);
		CHECK(gc_live(h, small) && gc_live(h, large));
		CHECK(gc_live(h, leaf) && gc_live(h, leaf2));
	}
	CHECK(!gc_live(h, dead));
	roots[1] = 0;
	gc_collect(h);
	CHECK(!gc_live(h, large) && !gc_live(h, leaf2));
	CHECK(gc_live(h, small) && gc_live(h, leaf));
	roots[0] = 0;
	gc_collect(h);
	CHECK(!gc_live(h, small) && !gc_live(h, leaf));
	STEP(h);
	heap_destroy(h);
}

int main(void) { return gc_main(scenario); }
