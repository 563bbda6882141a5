/* A slot freed explicitly is handed out again, zeroed: at once when the
 * freeing P caches the span, after the span is cached again when another P
 * freed it (cacheSpan starts at the lowest free slot), and for large objects
 * through the page heap. An emptied uncached span goes back to the heap. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"
#include "tests/heapcheck.h"

static heap_t *h;

static unsigned char *xalloc(int p, size_t size)
{
	void *x;
	REQUIRE(heap_alloc(h, p, size, 0, 1, &x) == ALLOC_OK);
	return x;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Same P: frees in scrambled order come back lowest address first. */
static void same_p_reuse(void)
{
	enum { N = 100 };
	unsigned char *o[N];
	for (int i = 0; i < N; i++) {
		o[i] = xalloc(0, 64);
		memset(o[i], 0xff, 64);
	}
	for (int i = 0; i < N; i++)
		CHECK_EQ(heap_free(h, 0, o[(i * 37) % N]), ALLOC_OK);
	for (int i = 0; i < N; i++) {
		unsigned char *x = xalloc(0, 64);
		CHECK(x == o[i]);
		CHECK(all_zero(x, 64));
	}
}

/* P1 frees slots of a span P0 filled and gave back (full -> partial):
 * P0's next refill takes that span and reuses exactly those slots. */
static void other_p_reuse(void)
{
	const size_t size = 256, nelems = PAGE_SIZE / 256;   /* class 256: 1 page, 32 slots */
	unsigned char *o[32], *first = xalloc(0, size);
	/* Align to a fresh span: allocate until we are at a span start. */
	while (((uintptr_t)first & PAGE_MASK) != 0)
		first = xalloc(0, size);
	o[0] = first;
	for (size_t i = 1; i < nelems; i++)
		o[i] = xalloc(0, size);
	for (size_t i = 0; i < nelems; i++) {
		CHECK(o[i] == first + i * size);
		memset(o[i], 0x77, size);
	}
	unsigned char *next = xalloc(0, size);  /* refill: o's span is uncached, full */
	CHECK(((uintptr_t)next & ~PAGE_MASK) != (uintptr_t)first);
	for (size_t i = 3; i < nelems; i += 4)
		CHECK_EQ(heap_free(h, 1, o[i]), ALLOC_OK);
	/* Use up next's span; the refill after it must take o's span. */
	for (size_t i = 1; i < nelems; i++)
		xalloc(0, size);
	for (size_t i = 3; i < nelems; i += 4) {
		unsigned char *x = xalloc(0, size);
		CHECK(x == o[i]);
		CHECK(all_zero(x, size));
	}
}

/* P1 frees a slot in the span P0 is allocating from: P0 does not see it
 * until the span is cached again, then it does. */
static void cached_by_other_p(void)
{
	const size_t size = 512;                   /* class 512: 1 page, 16 slots */
	unsigned char *x = xalloc(0, size);
	while (((uintptr_t)x & PAGE_MASK) != 0)
		x = xalloc(0, size);
	unsigned char *y = xalloc(0, size);
	memset(x, 0x5a, size);                     /* dirty: the reuse must zero it */
	CHECK_EQ(heap_free(h, 1, x), ALLOC_OK);
	unsigned char *z = xalloc(0, size);
	CHECK(z == y + size);                      /* the hole is not seen yet */
	for (int i = 3; i < 16; i++)
		xalloc(0, size);                       /* span full: refill... */
	unsigned char *w = xalloc(0, size);        /* ...takes it back (partial) */
	CHECK(w == x);
	CHECK(all_zero(w, size));
}

static void large_reuse_and_empty_span_release(void)
{
	unsigned char *big = xalloc(0, 5 * PAGE_SIZE);
	memset(big, 0x11, 5 * PAGE_SIZE);
	CHECK_EQ(heap_free(h, 0, big), ALLOC_OK);
	unsigned char *again = xalloc(1, 5 * PAGE_SIZE);
	CHECK(again == big);
	CHECK(all_zero(again, 5 * PAGE_SIZE));
	CHECK_EQ(heap_free(h, 1, again), ALLOC_OK);

	/* Class 1024 (1 page, 8 slots), unused so far: o[0..7] fill one span,
	 * o[8] makes P0 refill, so that span is uncached and full. Freeing its
	 * objects empties it, and its page goes back to the heap. */
	unsigned char *o[9];
	for (int i = 0; i < 9; i++)
		o[i] = xalloc(0, 1024);
	uintptr_t span = (uintptr_t)o[0] & ~PAGE_MASK;
	for (int i = 0; i < 8; i++)
		CHECK_EQ((uintptr_t)o[i] & ~PAGE_MASK, span);
	CHECK(((uintptr_t)o[8] & ~PAGE_MASK) != span);
	heap_stats_t st0, st1;
	heap_read_stats(h, &st0);
	for (int i = 0; i < 8; i++)
		CHECK_EQ(heap_free(h, i % 2, o[i]), ALLOC_OK);
	heap_read_stats(h, &st1);
	CHECK_EQ(st0.heap_objects - st1.heap_objects, 8);
	CHECK_EQ(st0.heap_inuse - st1.heap_inuse, PAGE_SIZE);
	CHECK_EQ(st1.heap_idle - st0.heap_idle, PAGE_SIZE);
	CHECK_EQ(heap_free(h, 0, o[0]), ALLOC_ERR_NOT_IN_HEAP);
}

int main(void)
{
	REQUIRE(heap_new(&(heap_config_t){.nprocs = 2}, &h) == ALLOC_OK);
	same_p_reuse();
	HEAP_OK(h);
	other_p_reuse();
	HEAP_OK(h);
	cached_by_other_p();
	HEAP_OK(h);
	large_reuse_and_empty_span_release();
	HEAP_OK(h);
	heap_destroy(h);
	return T_DONE();
}
