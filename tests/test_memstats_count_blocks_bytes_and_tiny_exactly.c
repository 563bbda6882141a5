/* After a seeded script of allocations (tiny, small scan/noscan, large) and
 * explicit frees on 2 Ps, every object counter of heap_read_stats equals
 * what an independent tally of the script gives: blocks by class (a tiny
 * fit is no block, a new tiny block is a class-2 block, whether a tiny
 * request fits as the reference model places it), rounded bytes by the
 * reference size table (not msize.c), large counted in pages, nmalloc
 * including tiny fits. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "oracles/model.h"
#include "oracles/ref_sizeclasses.h"
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


static void compare(heap_t *h, const tally_t *t)
{
	heap_stats_t st;
	heap_read_stats(h, &st);
	const ref_sizeclasses_t *ref = ref_sizeclasses();
	uint64_t blocks = 0, nfree = 0, bytes = t->large_alloc, freed = t->large_free;
	for (int c = 0; c < NUM_SIZE_CLASSES; c++) {
		CHECK_EQ(st.by_class_nmalloc[c], t->nmalloc[c]);
		CHECK_EQ(st.by_class_nfree[c], t->nfree[c]);
		blocks += t->nmalloc[c];
		nfree += t->nfree[c];
		if (c) {
			bytes += t->nmalloc[c] * (uint64_t)ref->size[c];
			freed += t->nfree[c] * (uint64_t)ref->size[c];
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
	model_t *m;   /* decides tiny fits only: the model's own statement of the rule */
	REQUIRE(model_new(&(heap_config_t){.nprocs = 2, .cap_bytes = (size_t)1 << 30}, NULL, &m) == ALLOC_OK);
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
			model_alloc_t ma;
			REQUIRE(model_alloc(m, p, size, 0, 0, &ma) != MODEL_NIL && ma.tiny);
			if (ma.tiny_fit)
				t.tiny++;
			else
				t.nmalloc[TINY_SIZE_CLASS]++;
			continue;   /* tiny blocks cannot be freed explicitly */
		}
		obj_t o = {x, 0, 0};
		if (size > MAX_SMALL_SIZE) {
			o.bytes = (size + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
			t.large_alloc += o.bytes;
		} else {
			o.cls = ref_class_for(ref_sizeclasses(), (long)size);
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
	model_destroy(m);
	return T_DONE();
}
