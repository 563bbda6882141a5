/*
 * TEMPORARY weak stubs (core-heap): stand-ins for the GC engineer's
 * functions that heap.c and mheap.c call, so they link before mgc.c and
 * mgcsweep.c land. Each is weak, so the real definition wins when its
 * object file is linked. Delete each stub as its component lands.
 */
#include "internal.h"

__attribute__((weak)) void mgc_init(heap_t *h) { (void)h; }
__attribute__((weak)) void mgc_reset(heap_t *h) { (void)h; }
__attribute__((weak)) uintptr_t mgcsweep_reclaim(heap_t *h, uintptr_t npages)
{
	(void)h;
	(void)npages;
	return 0;
}
