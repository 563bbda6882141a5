/* heap_profile copies the buckets under the profile lock a chunk at a time
 * and calls back unlocked: with more buckets than fit one chunk, each is
 * reported once, in increasing stack order, with its published counts, and
 * a callback may allocate (it runs without the lock). Stacks are first used
 * in a scrambled order, so the sorted insertion into the bucket list is
 * what orders them. */
#include "alloc/alloc.h"

#include <string.h>

#include "tests/t.h"
#include "tests/heapcheck.h"

#define NSTACKS 200   /* a few chunks and a partial one */

static uint32_t seen[NSTACKS + 1], nseen, order_ok = 1;
static uint64_t allocs[NSTACKS + 1];
static heap_t *H;

static void collect(const heap_bucket_t *b, void *ctx)
{
	(void)ctx;
	if (nseen && b->stack <= seen[nseen - 1])
		order_ok = 0;
	if (nseen <= NSTACKS)
		seen[nseen] = b->stack;
	nseen++;
	if (b->stack <= NSTACKS)
		allocs[b->stack] = b->allocs;
	void *x;   /* into the heap from the callback: stack 1 has a bucket already */
	CHECK_EQ(heap_alloc(H, 0, 32, 0, 1, &x), ALLOC_OK);
}

int main(void)
{
	REQUIRE(heap_new(&(heap_config_t){.nprocs = 1, .profrate = 1, .seed = 1}, &H) == ALLOC_OK);
	for (uint32_t i = 0; i < NSTACKS; i++) {
		uint32_t stack = 1 + (i * 37) % NSTACKS;   /* 37 is prime to 200: each once */
		for (uint32_t k = 0; k < stack % 5 + 1; k++) {
			void *x;
			REQUIRE(heap_alloc(H, 0, 64, 0, stack, &x) == ALLOC_OK);
		}
	}
	CHECK_EQ(heap_gc(H), ALLOC_OK);   /* publishes the allocations */
	heap_profile(H, collect, NULL);
	CHECK_EQ(nseen, NSTACKS);
	CHECK(order_ok);
	for (uint32_t s = 1; s <= NSTACKS; s++)
		CHECK_EQ(allocs[s], s % 5 + 1);
	HEAP_OK(H);
	heap_destroy(H);
	return T_DONE();
}
