/* heap_reset under RESET_KEEP_MAX keeps the run's pages mapped (no fault, no
 * madvise on the next run) without zeroing them, and the allocator zeroes
 * them where they are reused, as Go zeroes reused memory (needzero): every
 * object of the next run reads zero, small and large, noscan and scan; the
 * page heap hands the kept range out with needzero set, and heap_scavenge
 * still gives it back (zero pages; still needzero, as Go zeroes reused
 * scavenged memory). */
#include "tests/t.h"
#define AF_WHITEBOX
#include "alloc/testing.h"
#include <string.h>

static const size_t sizes[] = { 8, 16, 48, 512, 4000, 32768, 40000, 300000 };
#define N (sizeof sizes / sizeof sizes[0])

static void dirty_run(heap_t *h, void **objs)
{
	for (size_t i = 0; i < N; i++) {
		REQUIRE(heap_alloc(h, 0, sizes[i], i % 2 ? sizes[i] / 8 : 0, 0, &objs[i]) == ALLOC_OK);
		memset(objs[i], 0xee, sizes[i]);
	}
}

static size_t nonzero(const void *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += ((const unsigned char *)p)[i] != 0;
	return k;
}

int main(void)
{
	heap_t *h;
	void *a[N], *b[N];
	heap_config_t cfg = { .cap_bytes = 16u << 20 };
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	dirty_run(h, a);
	uintptr_t used = h->arena_used;
	heap_reset(h);
	/* kept: mapped and known dirty, nothing committed */
	CHECK_EQ(h->arena_used, h->arena_start);
	CHECK(h->arena_mapped >= used);
	CHECK(h->arena_dirty > h->arena_start);

	/* the same run again: same addresses, every object zero */
	for (size_t i = 0; i < N; i++) {
		REQUIRE(heap_alloc(h, 0, sizes[i], i % 2 ? sizes[i] / 8 : 0, 0, &b[i]) == ALLOC_OK);
		CHECK(a[i] == b[i]);
		CHECK_EQ(nonzero(b[i], sizes[i]), 0);
		memset(b[i], 0xee, sizes[i]);
	}
	heap_reset(h);

	/* the page heap hands the kept range out as dirty */
	mspan_t *s = mheap_alloc(h, 4, make_spanclass(0, true));
	REQUIRE(s);
	CHECK_EQ(s->startaddr, h->arena_start);
	CHECK_EQ(s->needzero, 1);
	mheap_free(h, s);

	/* scavenge keeps its meaning: the free runs go back and read zero */
	CHECK(heap_scavenge(h) > 0);
	s = mheap_alloc(h, 4, make_spanclass(0, true));
	REQUIRE(s);
	CHECK_EQ(s->needzero, 1);
	UNPOISON((void *)s->startaddr, 4 * PAGE_SIZE);
	CHECK_EQ(nonzero((void *)s->startaddr, 4 * PAGE_SIZE), 0);
	POISON((void *)s->startaddr, 4 * PAGE_SIZE);
	mheap_free(h, s);
	heap_destroy(h);
	return T_DONE();
}
