/* The generated table (alloc/msize.c) equals the reference TSV, column by
 * column: object size, span bytes (allocnpages), objects per span, tail
 * waste, divmagic; and there are exactly as many classes as the reference lists. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "oracles/ref_sizeclasses.h"
#include "tests/t.h"

int main(void)
{
	ref_sizeclasses_t ref;
	REQUIRE(ref_sizeclasses_load(&ref, NULL) == 0);
	CHECK_EQ(ref.n, NUM_SIZE_CLASSES);
	CHECK_EQ(class_to_size[0], 0);
	CHECK_EQ(class_to_allocnpages[0], 0);
	CHECK_EQ(class_to_divmagic[0], 0);
	for (int c = 1; c < ref.n && c < NUM_SIZE_CLASSES; c++) {
		long size = class_to_size[c];
		long span = (long)class_to_allocnpages[c] * (long)PAGE_SIZE;
		CHECK_EQ(size, ref.size[c]);
		CHECK_EQ(span, ref.span[c]);
		REQUIRE(size > 0);
		CHECK_EQ(span / size, ref.objects[c]);
		CHECK_EQ(span - (span / size) * size, ref.tail[c]);
		/* internal.h documents divmagic as ceil(2^32 / size) */
		uint64_t want = (((uint64_t)1 << 32) + (uint64_t)ref.size[c] - 1) / (uint64_t)ref.size[c];
		CHECK_EQ(class_to_divmagic[c], want);
	}
	/* the tiny allocator's class is the 16-byte one */
	CHECK_EQ(ref.size[TINY_SIZE_CLASS], TINY_SIZE);
	/* the largest class is the small/large boundary */
	CHECK_EQ(ref.size[ref.n - 1], MAX_SMALL_SIZE);
	return T_DONE();
}
