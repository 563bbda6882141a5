/* Noscan requests under 16 bytes follow Go 1.19's tiny allocator: each goes
 * at the current block's offset rounded up to 8/4/2/1 by its size, if it
 * fits; otherwise it opens a new 16-byte block at offset 0, which replaces
 * the current block only when it leaves more room (size < tinyoffset) or
 * there is none. Checked against an independent model on a seeded random
 * sequence, per P, with the counters: a fit counts in tiny_allocs, a new
 * block as one class-2 block. Scan requests and 16-byte ones never pack. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"
#include "tests/heapcheck.h"

typedef struct { uintptr_t tiny, off; } model_t;

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
	return *s;
}

int main(void)
{
	enum { NPROCS = 3, NOPS = 20000 };
	heap_t *h;
	REQUIRE(heap_new(&(heap_config_t){.nprocs = NPROCS}, &h) == ALLOC_OK);
	model_t m[NPROCS] = {{0, 0}};
	uint64_t fits = 0, blocks = 0, seed = 42;

	for (int i = 0; i < NOPS; i++) {
		int p = (int)(rng(&seed) % NPROCS);
		size_t size = 1 + rng(&seed) % 15;
		void *x;
		REQUIRE(heap_alloc(h, p, size, 0, 0, &x) == ALLOC_OK);
		uintptr_t a = (uintptr_t)x;
		size_t align = size % 8 == 0 ? 8 : size % 4 == 0 ? 4 : size % 2 == 0 ? 2 : 1;
		uintptr_t off = (m[p].off + align - 1) / align * align;
		if (m[p].tiny && off + size <= 16) {
			CHECK_EQ(a, m[p].tiny + off);
			m[p].off = off + size;
			fits++;
		} else {
			/* a new block: 16-aligned, a fresh allocated class-2 object */
			CHECK_EQ(a % 16, 0);
			void *base;
			size_t es;
			CHECK_EQ(heap_find_object(h, x, &base, &es), ALLOC_OK);
			CHECK(base == x && es == 16);
			for (int q = 0; q < NPROCS; q++)
				CHECK(a != m[q].tiny);
			if (size < m[p].off || m[p].tiny == 0) {
				m[p].tiny = a;
				m[p].off = size;
			}
			blocks++;
		}
		CHECK(((unsigned char *)x)[0] == 0 && ((unsigned char *)x)[size - 1] == 0);
		memset(x, 0xee, size);
		if (i % 1000 == 0)
			HEAP_OK(h);
	}
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
