/* heap_reset after any activity (small, tiny, large, frees, several Ps,
 * a collection) gives a heap that equals a new one: the same stats, a
 * clean heap_check, and the same addresses (relative to the arena) for the
 * same allocation script. */
#include "alloc/internal.h"
#include "tests/t.h"
#include "tests/heapcheck.h"

enum { NSCRIPT = 3000 };

/* A fixed script; returns the offsets from arena_start it got. */
static void script(heap_t *h, uintptr_t *offs, uint64_t seed)
{
	for (int i = 0; i < NSCRIPT; i++) {
		seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
		size_t size = seed % 7 == 0 ? 40000 + seed % 50000 : 1 + seed % 3000;
		void *x;
		REQUIRE(heap_alloc(h, (int)(seed >> 60) % 3, size, (seed >> 20) & 1 ? size / 8 : 0, 1, &x) == ALLOC_OK);
		offs[i] = (uintptr_t)x - h->arena_start;
		if (i % 3 == 0 && size >= 16)
			REQUIRE(heap_free(h, 0, x) == ALLOC_OK);
		if (i % 500 == 0)
			heap_roots(h)[i / 500] = (uintptr_t)x;
	}
}

int main(void)
{
	heap_config_t cfg = {.nprocs = 3, .cap_bytes = (size_t)256 << 20, .profrate = 4096, .seed = 9};
	heap_t *h;
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	heap_stats_t fresh, st;
	heap_read_stats(h, &fresh);
	HEAP_OK(h);

	static uintptr_t first[NSCRIPT], again[NSCRIPT];
	script(h, first, 1234);
	heap_read_stats(h, &st);
	CHECK(memcmp(&st, &fresh, sizeof st) != 0);   /* the script did something */
	CHECK_EQ(heap_gc(h), ALLOC_OK);
	script(h, again, 99);
	HEAP_OK(h);

	for (int round = 0; round < 3; round++) {
		heap_reset(h);
		heap_read_stats(h, &st);
		CHECK(memcmp(&st, &fresh, sizeof st) == 0);
		if (memcmp(&st, &fresh, sizeof st) != 0)
			fprintf(stderr, "round %d: nmalloc %llu heap_sys %llu other_sys %llu mspan_inuse %llu\n", round,
			        (unsigned long long)st.nmalloc, (unsigned long long)st.heap_sys,
			        (unsigned long long)st.other_sys, (unsigned long long)st.mspan_inuse);
		HEAP_OK(h);
		script(h, again, 1234);
		int same = 0;
		for (int i = 0; i < NSCRIPT; i++)
			same += first[i] == again[i];
		CHECK_EQ(same, NSCRIPT);
		HEAP_OK(h);
	}
	heap_destroy(h);
	return T_DONE();
}
