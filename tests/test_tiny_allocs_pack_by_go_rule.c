/* Noscan requests under 16 bytes follow Go 1.19's tiny allocator: each goes
 * at the current block's offset rounded up to 8/4/2/1 by its size, if it
 * fits; otherwise it opens a new 16-byte block at offset 0, which replaces
 * the current block only when it leaves more room (size < tinyoffset) or
 * there is none. Checked on a seeded random sequence, per P, against the
 * reference model's placement (oracles/model.c states the rule on its own,
 * from SEMANTICS.md; tests/test_model_tiny_placement_follows_go_mallocgc.c
 * checks the model's statement by hand-worked values), with the counters: a
 * fit counts in tiny_allocs, a new block as one class-2 block. Scan requests
 * and 16-byte ones never pack. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "oracles/model.h"
#include "tests/t.h"
#include "tests/heapcheck.h"

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
	return *s;
}

int main(void)
{
	enum { NPROCS = 3, NOPS = 20000 };
	heap_t *h;
	model_t *m;
	heap_config_t cfg = {.nprocs = NPROCS};
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	REQUIRE(model_new(&cfg, NULL, &m) == ALLOC_OK);
	uintptr_t *addr = calloc(NOPS, sizeof *addr);   /* by model id */
	REQUIRE(addr);
	uint64_t fits = 0, blocks = 0, seed = 42;

	for (int i = 0; i < NOPS; i++) {
		int p = (int)(rng(&seed) % NPROCS);
		size_t size = 1 + rng(&seed) % 15;
		void *x;
		REQUIRE(heap_alloc(h, p, size, 0, 0, &x) == ALLOC_OK);
		model_alloc_t want;
		int32_t id = model_alloc(m, p, size, 0, 0, &want);
		REQUIRE(id >= 0 && id < NOPS && want.tiny);
		uintptr_t a = (uintptr_t)x;
		addr[id] = a;
		if (want.tiny_fit) {
			CHECK_EQ(a, addr[want.tiny_block] + want.tiny_off);
			fits++;
		} else {
			/* a new block: 16-aligned, a fresh allocated class-2 object */
			CHECK_EQ(a % 16, 0);
			void *base;
			size_t es;
			CHECK_EQ(heap_find_object(h, x, &base, &es), ALLOC_OK);
			CHECK(base == x && es == 16);
			blocks++;
		}
		CHECK(((unsigned char *)x)[0] == 0 && ((unsigned char *)x)[size - 1] == 0);
		memset(x, 0xee, size);
		if (i % 1000 == 0)
			HEAP_OK(h);
	}
	free(addr);
	model_destroy(m);
	heap_stats_t st;
	heap_read_stats(h, &st);
	CHECK_EQ(st.tiny_allocs, fits);
	CHECK_EQ(st.by_class_nmalloc[TINY_SIZE_CLASS], blocks);
	CHECK_EQ(st.nmalloc, fits + blocks);
	CHECK_EQ(st.heap_objects, blocks);
	CHECK_EQ(st.heap_alloc, blocks * 16);
	CHECK(fits > NOPS / 4 && blocks > NOPS / 4);   /* both paths exercised */

	/* Not tiny: 16 bytes, or any scan object, gets a slot of its own. */
	void *a, *b, *c, *d;
	REQUIRE(heap_alloc(h, 0, 16, 0, 0, &a) == ALLOC_OK);
	REQUIRE(heap_alloc(h, 0, 16, 0, 0, &b) == ALLOC_OK);
	REQUIRE(heap_alloc(h, 0, 8, 1, 0, &c) == ALLOC_OK);
	REQUIRE(heap_alloc(h, 0, 8, 1, 0, &d) == ALLOC_OK);
	CHECK(a != b && c != d);
	CHECK_EQ(heap_free(h, 0, a), ALLOC_OK);   /* a 16-byte noscan object is no tiny block */
	CHECK_EQ(heap_free(h, 0, c), ALLOC_OK);
	heap_read_stats(h, &st);
	CHECK_EQ(st.tiny_allocs, fits);

	/* release_all (a GC start) drops the tiny block: the next tiny request
	 * opens a new one even though the old one had room. */
	void *t1, *t2;
	REQUIRE(heap_alloc(h, 1, 1, 0, 0, &t1) == ALLOC_OK);
	mcache_release_all(h, h->mcaches[1]);
	REQUIRE(heap_alloc(h, 1, 1, 0, 0, &t2) == ALLOC_OK);
	CHECK(((uintptr_t)t2 & 15) == 0 && (uintptr_t)t2 != (uintptr_t)t1 + 1);
	HEAP_OK(h);
	heap_destroy(h);
	return T_DONE();
}
