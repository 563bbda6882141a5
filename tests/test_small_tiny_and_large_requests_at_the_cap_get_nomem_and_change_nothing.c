/* With a small cap, heap_alloc runs out with ALLOC_ERR_NOMEM for small,
 * tiny and large requests alike, and a failing call changes no stat and
 * leaves a heap the checker accepts. What fits still fits (a tiny request
 * into the current block, a small one into a partly used span), and freeing
 * makes room again. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"
#include "tests/heapcheck.h"

static heap_t *h;

/* Calls heap_alloc expecting NOMEM and proves nothing changed. */
static void expect_nomem(int p, size_t size, size_t ptrwords, int line)
{
	heap_stats_t before, after;
	heap_read_stats(h, &before);
	void *x = (void *)1;
	alloc_err_t err = heap_alloc(h, p, size, ptrwords, 3, &x);
	if (err != ALLOC_ERR_NOMEM)
		fprintf(stderr, "line %d: size %zu: %s\n", line, size, alloc_errname(err));
	CHECK_EQ(err, ALLOC_ERR_NOMEM);
	CHECK(x == NULL);
	heap_read_stats(h, &after);
	CHECK(memcmp(&before, &after, sizeof before) == 0);
	HEAP_OK(h);
}
#define EXPECT_NOMEM(p, size, pw) expect_nomem((p), (size), (pw), __LINE__)

int main(void)
{
	const size_t cap = (size_t)1 << 20;   /* 128 pages */
	REQUIRE(heap_new(&(heap_config_t){.cap_bytes = cap, .nprocs = 2}, &h) == ALLOC_OK);

	EXPECT_NOMEM(0, cap + 1, 0);           /* more than the cap at all */
	EXPECT_NOMEM(1, (size_t)1 << 40, 0);

	/* Fill with 4 KiB objects (class 4096: 1 page, 2 slots) until NOMEM. */
	void *objs[256];
	int n = 0;
	for (;;) {
		void *x;
		alloc_err_t err = heap_alloc(h, 0, 4096, 0, 0, &x);
		if (err != ALLOC_OK) {
			CHECK_EQ(err, ALLOC_ERR_NOMEM);
			break;
		}
		REQUIRE(n < 256);
		objs[n++] = x;
	}
	CHECK_EQ(n, (int)(cap / 4096));        /* every page used, no page lost */
	heap_stats_t st;
	heap_read_stats(h, &st);
	CHECK_EQ(st.heap_sys, cap);
	CHECK_EQ(st.heap_inuse, cap);
	HEAP_OK(h);

	EXPECT_NOMEM(0, 4096, 0);
	EXPECT_NOMEM(1, 4096, 0);
	EXPECT_NOMEM(0, 8, 0);                 /* tiny: no block yet */
	EXPECT_NOMEM(0, 100, 2);
	EXPECT_NOMEM(1, 40000, 0);             /* large */
	EXPECT_NOMEM(0, MAX_SMALL_SIZE, 1);

	/* Free one page's two objects: that page can serve one other class. */
	CHECK_EQ(heap_free(h, 0, objs[n - 1]), ALLOC_OK);
	CHECK_EQ(heap_free(h, 1, objs[n - 2]), ALLOC_OK);
	n -= 2;
	/* objs[n..n+1] shared the cached span: it is still cached by P0, so
	 * P0 reuses the slots, while P1 gets nothing new. */
	void *x, *y;
	CHECK_EQ(heap_alloc(h, 0, 4096, 0, 0, &x), ALLOC_OK);
	CHECK_EQ(heap_alloc(h, 0, 4096, 0, 0, &y), ALLOC_OK);
	EXPECT_NOMEM(0, 4096, 0);
	HEAP_OK(h);

	/* Emptying an uncached span in the middle gives its page back to the
	 * heap: a tiny block's span can take it, but nothing else fits. */
	CHECK_EQ(heap_free(h, 0, objs[10]), ALLOC_OK);
	CHECK_EQ(heap_free(h, 0, objs[11]), ALLOC_OK);
	void *t1, *t2;
	CHECK_EQ(heap_alloc(h, 1, 3, 0, 0, &t1), ALLOC_OK);   /* new tiny block, new span */
	CHECK_EQ(heap_alloc(h, 1, 5, 0, 0, &t2), ALLOC_OK);   /* fits the block */
	CHECK(t2 == (char *)t1 + 3);
	EXPECT_NOMEM(1, 40000, 0);
	EXPECT_NOMEM(1, 32, 0);                /* another class needs another page */
	heap_read_stats(h, &st);
	CHECK_EQ(st.tiny_allocs, 1);
	HEAP_OK(h);
	heap_destroy(h);
	return T_DONE();
}
