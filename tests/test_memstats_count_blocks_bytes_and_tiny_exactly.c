/* After a seeded script of allocations (tiny, small scan/noscan, large) and
 * explicit frees on 2 Ps, every object counter of heap_read_stats equals
 * what an independent tally of the script gives: blocks by class (a tiny
 * fit is no block, a new tiny block is a class-2 block), rounded bytes via
 * msize_roundupsize, large counted in pages, nmalloc including tiny fits. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"
#include "tests/heapcheck.h"

typedef struct {
	uint64_t nmalloc[NUM_SIZE_CLASSES], nfree[NUM_SIZE_CLASSES];
	uint64_t tiny, large_alloc, large_free;
} tally_t;

typedef struct { void *p; int cls; size_t bytes; } obj_t;

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
	return *s;
}

static int class_of_rounded(size_t rounded)
{
	for (int c = 1; c < NUM_SIZE_CLASSES; c++)
		if (class_to_size[c] == rounded)
			return c;
	return -1;
}

static void compare(heap_t *h, const tally_t *t)
{
	heap_stats_t st;
	heap_read_stats(h, &st);
	uint64_t blocks = 0, nfree = 0, bytes = t->large_alloc, freed = t->large_free;
	for (int c = 0; c < NUM_SIZE_CLASSES; c++) {
		CHECK_EQ(st.by_class_nmalloc[c], t->nmalloc[c]);
		CHECK_EQ(st.by_class_nfree[c], t->nfree[c]);
		blocks += t->nmalloc[c];
		nfree += t->nfree[c];
		if (c) {
			bytes += t->nmalloc[c] * msize_roundupsize(class_to_size[c]);
			freed += t->nfree[c] * msize_roundupsize(class_to_size[c]);
		}
	}
	CHECK_EQ(st.nmalloc, blocks + t->tiny);
	CHECK_EQ(st.tiny_allocs, t->tiny);
	CHECK_EQ(st.nfree, nfree);
	CHECK_EQ(st.heap_objects, blocks - nfree);
	CHECK_EQ(st.total_alloc, bytes);
	CHECK_EQ(st.heap_alloc, bytes - freed);
	CHECK_EQ(st.large_nmalloc, t->nmalloc[0]);
	CHECK_EQ(st.large_nfree, t->nfree[0]);
	CHECK_EQ(st.large_alloc, t->large_alloc);
	CHECK_EQ(st.large_free, t->large_free);
	HEAP_OK(h);
}

int main(void)
{
	enum { NOPS = 30000, MAXLIVE = 4096 };
	heap_t *h;
	REQUIRE(heap_new(&(heap_config_t){.nprocs = 2, .cap_bytes = (size_t)1 << 30}, &h) == ALLOC_OK);
	static obj_t live[MAXLIVE];
	int nlive = 0;
	tally_t t;
	memset(&t, 0, sizeof t);
	uintptr_t tiny[2] = {0, 0}, tinyoff[2] = {0, 0};
	uint64_t seed = 7;

	compare(h, &t);
	for (int i = 0; i < NOPS; i++) {
		int p = (int)(rng(&seed) & 1);
		uint64_t r = rng(&seed) % 100;
		if ((r < 40 && nlive > 0) || nlive == MAXLIVE) {
			int k = (int)(rng(&seed) % (uint64_t)nlive);
			REQUIRE(heap_free(h, p, live[k].p) == ALLOC_OK);
			t.nfree[live[k].cls]++;
			if (live[k].cls == 0)
				t.large_free += live[k].bytes;
			live[k] = live[--nlive];
			continue;
		}
		size_t size = r < 60 ? 1 + rng(&seed) % 15
		              : r < 97 ? 1 + rng(&seed) % MAX_SMALL_SIZE
		              : MAX_SMALL_SIZE + 1 + rng(&seed) % (4 * PAGE_SIZE);
		size_t ptrwords = (rng(&seed) & 1) ? size / 8 : 0;
		void *x;
		REQUIRE(heap_alloc(h, p, size, ptrwords, 0, &x) == ALLOC_OK);
		if (ptrwords == 0 && size < 16) {
			/* tiny: the Go 1.19 rule decides fit or new block */
			size_t align = size % 8 == 0 ? 8 : size % 4 == 0 ? 4 : size % 2 == 0 ? 2 : 1;
			uintptr_t off = (tinyoff[p] + align - 1) / align * align;
			if (tiny[p] && off + size <= 16) {
				tinyoff[p] = off + size;
				t.tiny++;
			} else {
				t.nmalloc[TINY_SIZE_CLASS]++;
				if (size < tinyoff[p] || !tiny[p]) {
					tiny[p] = (uintptr_t)x;
					tinyoff[p] = size;
				}
			}
			continue;   /* tiny blocks cannot be freed explicitly */
		}
		obj_t o = {x, 0, 0};
		if (size > MAX_SMALL_SIZE) {
			o.bytes = (size + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
			t.large_alloc += o.bytes;
		} else {
			o.cls = class_of_rounded(msize_roundupsize(size));
			REQUIRE(o.cls > 0);
		}
		t.nmalloc[o.cls]++;
		live[nlive++] = o;
		if (i % 1000 == 0)
			compare(h, &t);
	}
	compare(h, &t);
	/* Flushing the mcaches moves counts, it does not change them. */
	for (int p = 0; p < 2; p++)
		mcache_release_all(h, h->mcaches[p]);
	compare(h, &t);
	heap_destroy(h);
	return T_DONE();
}
