/* ASan poisoning stays exact across heap_reset, which poisons only the
 * spans in use at reset (and the ranges it zeroed), and mheap_grow, which
 * poisons only memory it maps anew: after a run that leaves small and large
 * objects live, freed some, wrote, scavenged and collected, every byte reset
 * keeps mapped is poisoned; a next run that grows over the kept pages gets
 * its objects unpoisoned exactly (the page after a large object's end stays
 * poisoned), and one that grows past them finds the new pages poisoned too.
 * With and without log_writes. Skipped without ASan. */
#include "tests/t.h"
#define AF_WHITEBOX
#include "alloc/testing.h"
#include <string.h>

#ifdef AF_ASAN
static const size_t sizes[] = { 8, 48, 512, 4000, 40000, 300000, (size_t)2 << 20 };
#define N (sizeof sizes / sizeof sizes[0])

/* The first unpoisoned byte in [lo, hi), or 0. */
static uintptr_t first_unpoisoned(uintptr_t lo, uintptr_t hi)
{
	for (uintptr_t p = lo; p < hi; p += 8)
		if (!__asan_address_is_poisoned((void *)p))
			return p;
	return 0;
}

/* The invariant reset relies on: committed pages outside in-use spans
 * are poisoned. The first unpoisoned byte of a free run, or 0. */
static uintptr_t free_runs_unpoisoned(heap_t *h)
{
	for (uintptr_t p = h->arena_start; p < h->arena_used;) {
		mspan_t *s = mheap_span_of(h, p);
		REQUIRE(s && s->startaddr == p && s->npages > 0);
		uintptr_t end = p + s->npages * PAGE_SIZE, bad;
		if (s->state == MSPAN_FREE && (bad = first_unpoisoned(p, end)))
			return bad;
		p = end;
	}
	return 0;
}

static void run(heap_t *h, size_t nobj, size_t scale, bool free_some)
{
	void *o[3 * N];
	for (size_t i = 0; i < nobj; i++) {
		size_t size = sizes[i % N] * scale;
		REQUIRE(heap_alloc(h, 0, size, i % 2 ? size / 8 : 0, 0, &o[i]) == ALLOC_OK);
		CHECK(__asan_region_is_poisoned(o[i], size) == NULL);
		memset(o[i], 0xee, size);
		CHECK_EQ(heap_note_write(h, o[i], size), ALLOC_OK);
		if (size > PAGE_SIZE && size % PAGE_SIZE)   /* a large object's span tail */
			CHECK(__asan_address_is_poisoned((char *)o[i] + size));
		heap_roots(h)[i] = (uintptr_t)o[i];   /* live through the gc */
	}
	if (free_some) {
		for (size_t i = 1; i < nobj; i += 3) {
			if (i % N == 0)
				continue;   /* a tiny object: free() refuses it */
			CHECK_EQ(heap_free(h, 0, o[i]), ALLOC_OK);
			heap_roots(h)[i] = 0;
		}
		heap_scavenge(h);
		CHECK_EQ(heap_gc(h), ALLOC_OK);
	}
	CHECK_EQ(first_unpoisoned(h->arena_used, h->arena_mapped), 0);
	CHECK_EQ(free_runs_unpoisoned(h), 0);
	memset(heap_roots(h), 0, HEAP_NROOTS * sizeof(uintptr_t));
}

static void check_heap(bool log_writes)
{
	heap_t *h;
	heap_config_t cfg = { .cap_bytes = 64u << 20, .log_writes = log_writes };
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	run(h, 2 * N + 2, 1, true);      /* objects stay live at reset */
	heap_reset(h);
	CHECK_EQ(first_unpoisoned(h->arena_start, h->arena_mapped), 0);
	uintptr_t mapped = h->arena_mapped;
	run(h, N - 2, 1, false);         /* within the kept pages */
	CHECK(h->arena_used <= mapped);
	heap_reset(h);
	CHECK_EQ(first_unpoisoned(h->arena_start, h->arena_mapped), 0);
	run(h, 3 * N - 3, 2, true);      /* past them: new pages mapped */
	CHECK(h->arena_mapped > mapped);
	heap_reset(h);
	CHECK_EQ(first_unpoisoned(h->arena_start, h->arena_mapped), 0);
	heap_destroy(h);
}
#endif

int main(void)
{
#ifdef AF_ASAN
	check_heap(true);
	check_heap(false);
	return T_DONE();
#else
	(void)t_checks, (void)t_failures;
	fprintf(stderr, "skipped: not an ASan build\n");
	return 77;
#endif
}
