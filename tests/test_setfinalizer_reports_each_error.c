/* heap_setfinalizer's errors, in the DECISIONS order, and that an error
 * changes nothing: NOT_IN_HEAP, NOT_ALLOCATED, INTERIOR (unless the element
 * type could be a tiny object), FIN_EXISTS; fn == 0 removes (OK without
 * one); the zero base is accepted and ignored. */
#include "tests/gc_t.h"

static void scenario(int mode)
{
	heap_t *h = gc_heap(mode, 0);
	char *p = gc_alloc(h, 64, 0), *q = gc_alloc(h, 64, 1), *freed = gc_alloc(h, 64, 0);
	char *large = gc_alloc(h, 50000, 0);
	int local;
	finlog_t log;

	CHECK_EQ(heap_setfinalizer(h, heap_zerobase(h), 8, 0, 0x1), ALLOC_OK);
	CHECK_EQ(heap_setfinalizer(h, &local, 4, 0, 0x1), ALLOC_ERR_NOT_IN_HEAP);
	CHECK_EQ(heap_free(h, 0, freed), ALLOC_OK);
	CHECK_EQ(heap_setfinalizer(h, freed, 64, 0, 0x1), ALLOC_ERR_NOT_ALLOCATED);
	CHECK_EQ(heap_setfinalizer(h, p + 8, 16, 0, 0x1), ALLOC_ERR_INTERIOR);  /* elem too big */
	CHECK_EQ(heap_setfinalizer(h, q + 8, 8, 1, 0x1), ALLOC_ERR_INTERIOR);   /* elem has pointers */
	CHECK_EQ(heap_setfinalizer(h, large + 4096, 16, 0, 0x1), ALLOC_ERR_INTERIOR);
	CHECK_EQ(heap_setfinalizer(h, p + 8, 16, 0, 0), ALLOC_ERR_INTERIOR);    /* also for removal */
	CHECK_EQ(heap_setfinalizer(h, q, 64, 0, 0), ALLOC_OK);                   /* none to remove */
	STEP(h);

	CHECK_EQ(heap_setfinalizer(h, p, 64, 0, 0x10), ALLOC_OK);
	CHECK_EQ(heap_setfinalizer(h, p, 64, 0, 0x11), ALLOC_ERR_FIN_EXISTS);
	CHECK_EQ(heap_setfinalizer(h, p + 8, 8, 0, 0x12), ALLOC_OK);  /* inner byte, tiny-able type */
	CHECK_EQ(heap_setfinalizer(h, p + 8, 8, 0, 0x13), ALLOC_ERR_FIN_EXISTS);
	CHECK_EQ(heap_setfinalizer(h, large, 50000, 0, 0x14), ALLOC_OK);
	CHECK_EQ(heap_setfinalizer(h, q, 64, 1, 0x15), ALLOC_OK);
	CHECK_EQ(heap_setfinalizer(h, q, 64, 1, 0), ALLOC_OK);        /* removed */
	CHECK_EQ(heap_setfinalizer(h, q, 64, 1, 0), ALLOC_OK);        /* again: still OK */
	STEP(h);

	gc_collect(h);
	CHECK_EQ(gc_runfin(h, &log), 3);   /* p twice (0x10, 0x12), large; not q */
	CHECK(finlog_has(&log, p) && finlog_has(&log, p + 8) && finlog_has(&log, large));
	CHECK(!finlog_has(&log, q));
	for (size_t i = 0; i < log.n; i++)
		CHECK(log.fn[i] == (log.obj[i] == p ? 0x10 : log.obj[i] == p + 8 ? 0x12 : 0x14));
	CHECK(!gc_live(h, q));
	/* a freed-and-swept object is not there any more */
	CHECK(heap_setfinalizer(h, q, 64, 1, 0x16) != ALLOC_OK);
	gc_collect(h);
	CHECK(!gc_live(h, p) && !gc_live(h, large));
	STEP(h);
	heap_destroy(h);
}

int main(void) { return gc_main(scenario); }
