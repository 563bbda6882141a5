/* A scan object's heap bitmap says "pointer" for exactly its first ptrwords
 * words and "scalar" for the rest of its slot, also when the slot was used
 * before by an object with more pointer words, and for a large object that
 * crosses from one arena into the next. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"
#include "tests/heapcheck.h"

/* Number of words in [p, p+n) whose bit differs from "i < ptrwords". */
static size_t bitmap_mismatches(heap_t *h, uintptr_t p, size_t n, size_t ptrwords)
{
	size_t bad = 0;
	for (size_t i = 0; i < n / PTR_SIZE; i++)
		bad += heapbits_is_pointer(h, p + i * PTR_SIZE) != (i < ptrwords);
	return bad;
}

int main(void)
{
	heap_t *h;
	REQUIRE(heap_new(&(heap_config_t){.cap_bytes = (size_t)256 << 20}, &h) == ALLOC_OK);

	/* Every small class, full and partial pointer prefixes. */
	for (int cls = 1; cls < NUM_SIZE_CLASSES; cls++) {
		size_t size = class_to_size[cls];
		void *a, *b;
		REQUIRE(heap_alloc(h, 0, size, size / 8, 0, &a) == ALLOC_OK);
		CHECK_EQ(bitmap_mismatches(h, (uintptr_t)a, size, size / 8), 0);
		CHECK_EQ(heap_free(h, 0, a), ALLOC_OK);
		REQUIRE(heap_alloc(h, 0, size, 1, 0, &b) == ALLOC_OK);
		CHECK(a == b);                 /* the same slot, fewer pointers now */
		CHECK_EQ(bitmap_mismatches(h, (uintptr_t)b, size, 1), 0);
		void *c;                       /* a smaller request rounds up: the tail is scalar */
		REQUIRE(heap_alloc(h, 0, size - (size > 8 ? 7 : 0), 1, 0, &c) == ALLOC_OK);
		CHECK_EQ(bitmap_mismatches(h, (uintptr_t)c, size, 1), 0);
	}
	HEAP_OK(h);

	/* A large scan object across the first arena boundary. */
	void *filler, *big;
	uintptr_t boundary = h->arena_start + ARENA_BYTES;
	REQUIRE(heap_alloc(h, 0, 60u << 20, 0, 0, &filler) == ALLOC_OK);
	size_t bigsize = 10u << 20, ptrwords = (bigsize / 2) / PTR_SIZE;
	REQUIRE(heap_alloc(h, 0, bigsize, ptrwords, 0, &big) == ALLOC_OK);
	uintptr_t b = (uintptr_t)big;
	REQUIRE(b < boundary && b + bigsize > boundary);
	CHECK(mheap_arena_of(h, b) != mheap_arena_of(h, b + bigsize - 1));
	CHECK_EQ(bitmap_mismatches(h, b, bigsize, ptrwords), 0);
	/* Reused by an object with its pointer prefix ending past the boundary. */
	CHECK_EQ(heap_free(h, 0, big), ALLOC_OK);
	size_t ptrwords2 = (boundary - b) / PTR_SIZE + 1000;
	REQUIRE(heap_alloc(h, 0, bigsize, ptrwords2, 0, &big) == ALLOC_OK);
	CHECK(big == (void *)b);
	CHECK_EQ(bitmap_mismatches(h, b, bigsize, ptrwords2), 0);
	HEAP_OK(h);
	heap_destroy(h);
	return T_DONE();
}
