/* heap_free's errors, each in DECISIONS order, leave the heap exactly as it
 * was: same stats, every live object still allocated with its contents.
 * NULL is a no-op; a 16-byte noscan object (same span class as tiny blocks)
 * can be freed, a tiny block cannot. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"
#include "tests/heapcheck.h"

#define NLIVE 8
static heap_t *h;
static struct { unsigned char *p; size_t size; } live[NLIVE];
static int nlive;

static void *xalloc(size_t size, size_t ptrwords)
{
	void *p;
	REQUIRE(heap_alloc(h, 0, size, ptrwords, 1, &p) == ALLOC_OK);
	REQUIRE(nlive < NLIVE);
	live[nlive].p = p;
	live[nlive].size = size;
	memset(p, 0x40 + nlive, size);
	nlive++;
	return p;
}

/* Frees ptr expecting err, then proves nothing changed. */
static void expect_free_error(int p, void *ptr, alloc_err_t err, int line)
{
	heap_stats_t before, after;
	heap_read_stats(h, &before);
	alloc_err_t got = heap_free(h, p, ptr);
	if (got != err)
		fprintf(stderr, "line %d: heap_free(%p) = %s, want %s\n", line, ptr,
		        alloc_errname(got), alloc_errname(err));
	CHECK_EQ(got, err);
	heap_read_stats(h, &after);
	CHECK(memcmp(&before, &after, sizeof before) == 0);
	HEAP_OK(h);
	for (int i = 0; i < nlive; i++) {
		if (!live[i].p)
			continue;
		void *base;
		size_t es;
		CHECK_EQ(heap_find_object(h, live[i].p, &base, &es), ALLOC_OK);
		for (size_t j = 0; j < live[i].size; j++)
			if (live[i].p[j] != 0x40 + i) {
				CHECK(!"object contents changed");
				break;
			}
	}
}
#define EXPECT(p, ptr, err) expect_free_error((p), (ptr), (err), __LINE__)

static void drop(void *p)
{
	for (int i = 0; i < nlive; i++)
		if (live[i].p == p)
			live[i].p = NULL;
}

int main(void)
{
	REQUIRE(heap_new(&(heap_config_t){.nprocs = 2}, &h) == ALLOC_OK);
	unsigned char *a = xalloc(48, 0);        /* class 48: 170 slots, 32-byte tail */
	unsigned char *b = xalloc(64, 8);
	unsigned char *t = xalloc(5, 0);         /* tiny block at offset 0 */
	unsigned char *t2 = xalloc(3, 0);        /* same block, offset 5 */
	unsigned char *s16 = xalloc(16, 0);      /* class-2 noscan, not tiny */
	unsigned char *big = xalloc(100000, 0);
	unsigned char *big2 = xalloc(40000, 2);
	int local;

	CHECK(t2 == t + 5);
	EXPECT(0, NULL, ALLOC_OK);
	EXPECT(1, NULL, ALLOC_OK);
	CHECK_EQ(heap_free(h, 2, a), ALLOC_ERR_BADARG);
	CHECK_EQ(heap_free(h, -1, a), ALLOC_ERR_BADARG);

	/* NOT_IN_HEAP: outside the arena, the span tail, a free page. */
	EXPECT(0, heap_zerobase(h), ALLOC_ERR_NOT_IN_HEAP);
	EXPECT(0, &local, ALLOC_ERR_NOT_IN_HEAP);
	uintptr_t span48 = (uintptr_t)a & ~PAGE_MASK;
	EXPECT(0, (void *)(span48 + 170 * 48), ALLOC_ERR_NOT_IN_HEAP);
	EXPECT(0, (void *)(span48 + PAGE_SIZE - 8), ALLOC_ERR_NOT_IN_HEAP);
	EXPECT(0, (void *)(h->arena_used - 8), ALLOC_ERR_NOT_IN_HEAP);   /* committed, free */
	EXPECT(0, (void *)h->arena_used, ALLOC_ERR_NOT_IN_HEAP);         /* reserved only */

	/* INTERIOR: inside a small object, a large one, a tiny block. */
	EXPECT(0, a + 8, ALLOC_ERR_INTERIOR);
	EXPECT(1, b + 63, ALLOC_ERR_INTERIOR);
	EXPECT(0, big + 8, ALLOC_ERR_INTERIOR);
	EXPECT(0, big + PAGE_SIZE, ALLOC_ERR_INTERIOR);
	EXPECT(0, big + 13 * PAGE_SIZE - 1, ALLOC_ERR_INTERIOR);  /* in the page-rounding tail */
	EXPECT(0, t2, ALLOC_ERR_INTERIOR);

	/* NOT_ALLOCATED: a slot never handed out, then a double free. */
	EXPECT(0, a + 48, ALLOC_ERR_NOT_ALLOCATED);
	EXPECT(1, b + 64, ALLOC_ERR_NOT_ALLOCATED);

	/* TINY: the block start of a tiny block. */
	EXPECT(0, t, ALLOC_ERR_TINY);
	EXPECT(1, t, ALLOC_ERR_TINY);

	/* Successful frees; then each is a double free. */
	CHECK_EQ(heap_free(h, 0, s16), ALLOC_OK);
	drop(s16);
	EXPECT(0, s16, ALLOC_ERR_NOT_ALLOCATED);
	CHECK_EQ(heap_free(h, 1, a), ALLOC_OK);  /* from the other P */
	drop(a);
	EXPECT(0, a, ALLOC_ERR_NOT_ALLOCATED);
	EXPECT(1, a, ALLOC_ERR_NOT_ALLOCATED);
	EXPECT(0, a + 8, ALLOC_ERR_INTERIOR);    /* interior wins over not allocated */
	CHECK_EQ(heap_free(h, 0, big2), ALLOC_OK);
	drop(big2);
	EXPECT(0, big2, ALLOC_ERR_NOT_IN_HEAP);  /* its pages went back to the heap */
	CHECK_EQ(heap_free(h, 0, big), ALLOC_OK);
	drop(big);
	EXPECT(0, big, ALLOC_ERR_NOT_IN_HEAP);
	CHECK_EQ(heap_free(h, 1, b), ALLOC_OK);
	drop(b);
	EXPECT(1, b, ALLOC_ERR_NOT_ALLOCATED);

	void *base;
	size_t es;
	CHECK_EQ(heap_find_object(h, a, &base, &es), ALLOC_ERR_NOT_ALLOCATED);
	CHECK_EQ(heap_find_object(h, t2, &base, &es), ALLOC_OK);
	CHECK(base == t && es == TINY_SIZE);
	HEAP_OK(h);
	heap_destroy(h);
	return T_DONE();
}
