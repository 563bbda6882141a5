/* A finalizer may set a new finalizer on its own object (and allocate);
 * the object is then finalized again in the next cycle, with the new
 * function, and only freed the cycle after. Inside a finalizer, heap_gc is
 * refused with ALLOC_ERR_BUSY and a nested heap_runfinalizers runs nothing. */
#include "tests/gc_t.h"

static int calls;
static alloc_err_t nested_gc;
static size_t nested_run;

static void refinalize(heap_t *h, void *obj, uintptr_t fn, void *ctx)
{
	void *junk = NULL;
	(void)ctx;
	calls++;
	nested_gc = heap_gc(h);
	nested_run = heap_runfinalizers(h, refinalize, NULL);
	CHECK_EQ(heap_alloc(h, 0, 100, 1, 9, &junk), ALLOC_OK);
	if (fn == 0x100)
		CHECK_EQ(heap_setfinalizer(h, obj, 48, 0, 0x200), ALLOC_OK);
}

static void scenario(int mode)
{
	heap_t *h = gc_heap(mode, 1);
	void *a = gc_alloc(h, 48, 0);
	finlog_t log;

	calls = 0;
	CHECK_EQ(heap_setfinalizer(h, a, 48, 0, 0x100), ALLOC_OK);
	gc_collect(h);
	CHECK_EQ(heap_runfinalizers(h, refinalize, NULL), 1);
	STEP(h);
	CHECK_EQ(nested_gc, ALLOC_ERR_BUSY);
	CHECK_EQ(nested_run, 0);
	CHECK_EQ(heap_numgc(h), 1);

	gc_collect(h);
	CHECK_EQ(gc_runfin(h, &log), 1);
	CHECK(log.obj[0] == a && log.fn[0] == 0x200);
	CHECK(gc_live(h, a));

	gc_collect(h);
	CHECK_EQ(gc_runfin(h, &log), 0);
	CHECK(!gc_live(h, a));
	CHECK_EQ(calls, 1);
	heap_destroy(h);
}

int main(void) { return gc_main(scenario); }
