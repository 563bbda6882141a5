/* Mark keeps grey objects on an explicit stack: a linked list far longer
 * than any C stack could recurse through is marked completely, and cutting
 * it in the middle frees exactly the tail. */
#include "tests/gc_t.h"

#define LEN 300000

static void scenario(int mode)
{
	heap_t *h = gc_heap(mode, 0);
	void **head = NULL, **prev = NULL, **mid = NULL, *p = NULL;
	heap_stats_t st0, st;

	heap_read_stats(h, &st0);
	for (int i = 0; i < LEN; i++) {
		REQUIRE(heap_alloc(h, i % 2, 16, 1, 1, &p) == ALLOC_OK);
		if (prev)
			prev[0] = p;
		else
			head = p;
		if (i == LEN / 2)
			mid = p;
		prev = p;
	}
	heap_roots(h)[9] = (uintptr_t)head;
	gc_collect(h);
	heap_finish_sweep(h);
	heap_read_stats(h, &st);
	CHECK_EQ(st.heap_objects - st0.heap_objects, LEN);
	CHECK(gc_live(h, prev));

	mid[0] = NULL;   /* objects LEN/2+1 .. LEN-1 become garbage */
	gc_collect(h);
	heap_finish_sweep(h);
	STEP(h);
	heap_read_stats(h, &st);
	CHECK_EQ(st.heap_objects - st0.heap_objects, LEN / 2 + 1);
	CHECK(gc_live(h, mid) && !gc_live(h, prev));
	heap_destroy(h);
}

int main(void) { return gc_main(scenario); }
