/* A request over 32 KiB gets its own span of ceil(size / 8 KiB) pages:
 * page aligned, elemsize npages * 8192, every interior byte of the span
 * finds the object, the memory is zero even when the pages were used and
 * dirtied before, the large counters and heap_inuse move by exactly the
 * pages, and freeing gives the pages back. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"
#include "tests/heapcheck.h"

static const unsigned char zeros[8 * PAGE_SIZE];

int main(void)
{
	heap_t *h;
	REQUIRE(heap_new(&(heap_config_t){.nprocs = 2}, &h) == ALLOC_OK);
	static const size_t sizes[] = {MAX_SMALL_SIZE + 1, 5 * PAGE_SIZE - 1, 5 * PAGE_SIZE,
	                               5 * PAGE_SIZE + 1, 8 * PAGE_SIZE, 6 * PAGE_SIZE + 100};
	uint64_t nobj = 0, bytes = 0;
	uintptr_t first_round[sizeof sizes / sizeof sizes[0]];
	int reused = 0;
	for (int round = 0; round < 3; round++) {
		void *objs[sizeof sizes / sizeof sizes[0]];
		for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			size_t size = sizes[i], npages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
			heap_stats_t st0, st1;
			heap_read_stats(h, &st0);
			void *x;
			REQUIRE(heap_alloc(h, (int)i % 2, size, round == 1 ? size / 16 : 0, 9, &x) == ALLOC_OK);
			objs[i] = x;
			if (round == 0)
				first_round[i] = (uintptr_t)x;
			else
				for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++)
					reused += first_round[j] == (uintptr_t)x;
			heap_read_stats(h, &st1);
			CHECK_EQ((uintptr_t)x % PAGE_SIZE, 0);
			CHECK(memcmp(x, zeros, size) == 0);
			CHECK_EQ(st1.heap_inuse - st0.heap_inuse, npages * PAGE_SIZE);
			CHECK_EQ(st1.large_nmalloc - st0.large_nmalloc, 1);
			CHECK_EQ(st1.large_alloc - st0.large_alloc, npages * PAGE_SIZE);
			CHECK_EQ(st1.by_class_nmalloc[0] - st0.by_class_nmalloc[0], 1);
			nobj++;
			bytes += npages * PAGE_SIZE;
			for (size_t off = 0; off < npages * PAGE_SIZE; off += 4093) {
				void *base;
				size_t es;
				CHECK_EQ(heap_find_object(h, (char *)x + off, &base, &es), ALLOC_OK);
				CHECK(base == x && es == npages * PAGE_SIZE);
			}
			memset(x, 0xcd, size);    /* dirty: the next round must get zeros */
		}
		HEAP_OK(h);
		heap_stats_t st;
		heap_read_stats(h, &st);
		CHECK_EQ(st.large_alloc, bytes);
		CHECK_EQ(st.large_nmalloc, nobj);
		uint64_t inuse = st.heap_inuse;
		for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			size_t npages = (sizes[i] + PAGE_SIZE - 1) / PAGE_SIZE;
			CHECK_EQ(heap_free(h, (int)(i + 1) % 2, objs[i]), ALLOC_OK);
			heap_read_stats(h, &st);
			CHECK_EQ(inuse - st.heap_inuse, npages * PAGE_SIZE);
			inuse = st.heap_inuse;
		}
		CHECK_EQ(st.large_free, bytes);
		CHECK_EQ(st.large_nfree, nobj);
		CHECK_EQ(st.heap_objects, 0);
		HEAP_OK(h);
	}
	CHECK(reused > 0);   /* the zero checks did see dirtied pages again */
	heap_destroy(h);
	return T_DONE();
}
