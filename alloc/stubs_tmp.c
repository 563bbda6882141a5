/*
 * TEMPORARY weak stubs (core-heap): stand-ins for functions other engineers
 * are writing, so heap.c and mheap.c link and their tests run before those
 * land. Each is weak, so the real definition wins when its object file is
 * linked. Delete each stub as its component lands; delete the file when empty.
 */
#include "internal.h"

#define AF_WEAK __attribute__((weak))

AF_WEAK void mstats_reset(heap_t *h) { memset(&h->stats, 0, sizeof h->stats); }
AF_WEAK void mgc_init(heap_t *h) { (void)h; }
AF_WEAK void mgc_reset(heap_t *h) { (void)h; }
AF_WEAK void mcentral_init(mcentral_t *c, spanclass_t sc)
{
	memset(c, 0, sizeof *c);
	lock_init(&c->lock);
	c->spanclass = sc;
}
AF_WEAK mcache_t *mcache_new(heap_t *h) { return fixalloc_alloc(h, &h->cachealloc); }
AF_WEAK void mspan_init_objects(heap_t *h, mspan_t *s, spanclass_t sc)
{
	(void)h;
	(void)sc;
	s->elemsize = s->npages * PAGE_SIZE;
	s->nelems = 1;
}
AF_WEAK void mcheck_destroy(heap_t *h) { (void)h; }
AF_WEAK uintptr_t mgcsweep_reclaim(heap_t *h, uintptr_t npages) { (void)h; (void)npages; return 0; }
