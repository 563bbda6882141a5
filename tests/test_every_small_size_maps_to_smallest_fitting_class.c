/* Every request size 0..32768 maps to the smallest class that holds it and
 * msize_roundupsize returns that class's size; both are judged against the
 * reference TSV, not against msize.c. Large sizes round up to whole pages,
 * and a round-up that would overflow saturates instead of wrapping. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "oracles/ref_sizeclasses.h"
#include "tests/t.h"
#include <stdint.h>

int main(void)
{
	ref_sizeclasses_t ref;
	REQUIRE(ref_sizeclasses_load(&ref, NULL) == 0);
	CHECK_EQ(msize_roundupsize(0), 0);
	int bad = 0;
	for (long size = 1; size <= MAX_SMALL_SIZE; size++) {
		int want = ref_class_for(&ref, size);
		int got = msize_size_to_class((size_t)size);
		size_t up = msize_roundupsize((size_t)size);
		if (got != want || up != (size_t)ref.size[want]) {
			if (bad++ < 10)
				fprintf(stderr, "size %ld: class %d (want %d), roundup %zu (want %ld)\n",
					size, got, want, up, ref.size[want]);
		}
	}
	CHECK_EQ(bad, 0);

	/* large objects: whole pages */
	CHECK_EQ(msize_roundupsize(MAX_SMALL_SIZE + 1), MAX_SMALL_SIZE + PAGE_SIZE);
	CHECK_EQ(msize_roundupsize(40960), 40960);
	CHECK_EQ(msize_roundupsize(40961), 49152);
	CHECK_EQ(msize_roundupsize((size_t)1 << 40), (size_t)1 << 40);
	size_t top = SIZE_MAX & ~(size_t)PAGE_MASK;   /* largest page multiple */
	CHECK(msize_roundupsize(top) == top);
	CHECK(msize_roundupsize(top - PAGE_SIZE + 1) == top);
	/* overflow: saturate, never wrap below the request */
	CHECK(msize_roundupsize(top + 1) == SIZE_MAX);
	CHECK(msize_roundupsize(SIZE_MAX) == SIZE_MAX);
	return T_DONE();
}
