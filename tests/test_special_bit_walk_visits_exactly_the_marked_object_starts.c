/*
 * The heap checker's walk of the legacy special bits (mlegacy_each_specialbit:
 * a bitmap word at a time) visits exactly the object starts whose bit is
 * set, in address order, the same set a lookup per slot finds: for spans of
 * every small size class and a large one, with bits set at first, last and
 * inner object starts and at words inside objects (which are no object's
 * bit and must not be visited). And through heap_check: a bit on the last
 * object of a span, or on a large object, is reported as legacy_specialbit.
 */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"
#include <string.h>

#define MAXV 4096

static uintptr_t seen[MAXV];
static size_t nseen;

static bool record(heap_t *h, const mspan_t *s, uintptr_t idx, uintptr_t base, void *ctx)
{
	(void)h, (void)ctx;
	CHECK_EQ(base, s->startaddr + idx * s->elemsize);
	if (nseen < MAXV)
		seen[nseen++] = base;
	return true;
}

static uint64_t *bitword(heap_t *h, uintptr_t p, uint64_t *mask)
{
	uintptr_t i = (p & (ARENA_BYTES - 1)) / PTR_SIZE;
	*mask = (uint64_t)1 << (i & 63);
	return &mheap_arena_of(h, p)->specialbits[i >> 6];
}

static void setbit(heap_t *h, uintptr_t p, bool on)
{
	uint64_t m, *w = bitword(h, p, &m);
	*w = on ? *w | m : *w & ~m;
}

static bool getbit(heap_t *h, uintptr_t p)
{
	uint64_t m, *w = bitword(h, p, &m);
	return (*w & m) != 0;
}

/* Sets a pseudo-random pattern of bits over s (object starts and inner
 * words), compares the walk with the per-slot reference, clears them. */
static void compare_span(heap_t *h, mspan_t *s, uint32_t seed)
{
	uintptr_t end = s->startaddr + (uintptr_t)s->nelems * s->elemsize;
	uintptr_t marked[MAXV];
	size_t nmarked = 0;
	uint32_t x = seed | 1;
	for (uintptr_t p = s->startaddr; p < end; p += PTR_SIZE) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		bool start = (p - s->startaddr) % s->elemsize == 0;
		uintptr_t idx = (p - s->startaddr) / s->elemsize;
		/* always the first and last object start, else about 1 in 7 */
		if ((start && (idx == 0 || idx == (uintptr_t)s->nelems - 1)) || x % 7 == 0)
			setbit(h, p, true);
	}
	for (uintptr_t i = 0; i < s->nelems; i++)
		if (getbit(h, s->startaddr + i * s->elemsize) && nmarked < MAXV)
			marked[nmarked++] = s->startaddr + i * s->elemsize;
	nseen = 0;
	mlegacy_each_specialbit(h, s, record, NULL);
	CHECK_EQ(nseen, nmarked);
	for (size_t i = 0; i < nseen && i < nmarked; i++)
		CHECK_EQ(seen[i], marked[i]);
	CHECK(nmarked >= (s->nelems > 1 ? 2u : 1u));
	for (uintptr_t p = s->startaddr; p < end; p += PTR_SIZE)
		setbit(h, p, false);
}

static void expect_named(heap_t *h, uintptr_t p, const char *want)
{
	heap_check_report_t r;
	setbit(h, p, true);
	CHECK_EQ(heap_check(h, &r), ALLOC_ERR_CHECK);
	CHECK(strcmp(r.invariant, want) == 0);
	setbit(h, p, false);
	CHECK_EQ(heap_check(h, &r), ALLOC_OK);
}

int main(void)
{
	heap_config_t cfg = {.nprocs = 1, .cap_bytes = 64 << 20, .specials = HEAP_SPECIALS_LEGACY};
	heap_t *h;
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	int nspans = 0;
	for (int c = 1; c < NUM_SIZE_CLASSES; c++) {
		void *p = NULL;
		REQUIRE(heap_alloc(h, 0, class_to_size[c], 0, 1, &p) == ALLOC_OK);
		mspan_t *s = mheap_span_of_inuse(h, (uintptr_t)p);
		REQUIRE(s != NULL);
		compare_span(h, s, (uint32_t)c * 2654435761u);
		nspans++;
	}
	void *big = NULL;
	REQUIRE(heap_alloc(h, 0, 5 * PAGE_SIZE + 100, 0, 1, &big) == ALLOC_OK);
	mspan_t *bs = mheap_span_of_inuse(h, (uintptr_t)big);
	REQUIRE(bs != NULL && bs->large);
	compare_span(h, bs, 99);
	CHECK_EQ(nspans, NUM_SIZE_CLASSES - 1);

	/* through the checker: the last object of a span, a large object */
	heap_check_report_t r;
	CHECK_EQ(heap_check(h, &r), ALLOC_OK);
	void *q = NULL;
	REQUIRE(heap_alloc(h, 0, 48, 0, 1, &q) == ALLOC_OK);
	mspan_t *s = mheap_span_of_inuse(h, (uintptr_t)q);
	expect_named(h, s->startaddr + (uintptr_t)(s->nelems - 1) * s->elemsize, "legacy_specialbit");
	expect_named(h, (uintptr_t)big, "legacy_specialbit");
	/* a word inside an object is no object's bit: not the checker's (as before) */
	setbit(h, (uintptr_t)big + 8, true);
	CHECK_EQ(heap_check(h, &r), ALLOC_OK);
	setbit(h, (uintptr_t)big + 8, false);
	heap_destroy(h);
	return T_DONE();
}
