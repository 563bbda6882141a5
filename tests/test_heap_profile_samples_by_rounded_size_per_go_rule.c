/* mallocgc's sampling decision follows Go 1.19 with the rounded size: at
 * rate 1 every allocation but a tiny fit is profiled; at rate R > 1 an
 * allocation of rounded size n is profiled iff n >= the P's nextSample
 * (else nextSample -= n). The prediction reads only nextSample before each
 * call; the profile buckets published by the next GC must match it. The
 * rounded size comes from the reference size table (not msize.c), whether a
 * tiny request fits its P's block from the reference model's placement. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "oracles/model.h"
#include "oracles/ref_sizeclasses.h"
#include "tests/t.h"
#include "tests/heapcheck.h"

#define NSTACKS 4
static uint64_t got_allocs[NSTACKS + 1], got_bytes[NSTACKS + 1];

static void collect(const heap_bucket_t *b, void *ctx)
{
	(void)ctx;
	if (b->stack >= 1 && b->stack <= NSTACKS) {
		got_allocs[b->stack] = b->allocs;
		got_bytes[b->stack] = b->alloc_bytes;
	}
}

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
	return *s;
}

static void run(int64_t rate)
{
	heap_t *h;
	REQUIRE(heap_new(&(heap_config_t){.nprocs = 2, .profrate = rate, .seed = 5}, &h) == ALLOC_OK);
	uint64_t want_allocs[NSTACKS + 1] = {0}, want_bytes[NSTACKS + 1] = {0};
	model_t *m;   /* decides tiny fits only: the model's own statement of the rule */
	REQUIRE(model_new(&(heap_config_t){.nprocs = 2}, NULL, &m) == ALLOC_OK);
	uint64_t seed = 3, profiled = 0, total = 0;

	for (int i = 0; i < 5000; i++) {
		int p = (int)(rng(&seed) & 1);
		uint32_t stack = 1 + (uint32_t)(rng(&seed) % NSTACKS);
		uint64_t r = rng(&seed) % 100;
		size_t size = r < 40 ? 1 + rng(&seed) % 15 : r < 98 ? 16 + rng(&seed) % 4000
		              : 40000 + rng(&seed) % 20000;
		size_t ptrwords = (r & 1) && size >= 8 ? 1 : 0;
		int64_t next = h->mcaches[p]->nextSample;
		void *x;
		REQUIRE(heap_alloc(h, p, size, ptrwords, stack, &x) == ALLOC_OK);

		size_t n;
		if (ptrwords == 0 && size < 16) {
			model_alloc_t ma;
			REQUIRE(model_alloc(m, p, size, 0, 0, &ma) != MODEL_NIL && ma.tiny);
			if (ma.tiny_fit) {
				CHECK_EQ(h->mcaches[p]->nextSample, next);   /* never profiled */
				continue;
			}
			n = 16;
		} else {
			n = size > 32768 ? (size + 8191) / 8192 * 8192   /* whole 8 KiB pages */
			                 : (size_t)ref_sizeclasses()->size[ref_class_for(ref_sizeclasses(), (long)size)];
		}
		total++;
		if (rate == 1 || (int64_t)n >= next) {
			want_allocs[stack]++;
			want_bytes[stack] += n;
			profiled++;
		} else {
			CHECK_EQ(h->mcaches[p]->nextSample, next - (int64_t)n);
		}
		if (i % 50 == 0)
			heap_roots(h)[i / 50 % HEAP_NROOTS] = 0;   /* let things die too */
	}
	CHECK_EQ(heap_gc(h), ALLOC_OK);
	memset(got_allocs, 0, sizeof got_allocs);
	memset(got_bytes, 0, sizeof got_bytes);
	heap_profile(h, collect, NULL);
	for (int s = 1; s <= NSTACKS; s++) {
		CHECK_EQ(got_allocs[s], want_allocs[s]);
		CHECK_EQ(got_bytes[s], want_bytes[s]);
	}
	if (rate == 1)
		CHECK_EQ(profiled, total);
	else
		CHECK(profiled > 0 && profiled < total);   /* the sampler really samples */
	HEAP_OK(h);
	heap_destroy(h);
	model_destroy(m);
}

int main(void)
{
	run(1);
	run(4096);
	run(512 * 1024);
	return T_DONE();
}
