/* Every request size 0..32768 (and large ones) gets a block of exactly the
 * size of its class in the reference table (oracles/ref_sizeclasses.h, not
 * msize.c; a 16-byte block for tiny noscan requests), aligned to 8 (a tiny sub-object: to 8, 4, 2 or 1 as its size
 * allows), to 16 when the size is a multiple of 16 >= 16
 * (Go's class sizes keep that), and to a page when large; the block is
 * zeroed, writable, and no two live blocks overlap. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "oracles/ref_sizeclasses.h"
#include "tests/t.h"
#include "tests/heapcheck.h"

typedef struct { uintptr_t base, end; } range_t;

static int cmp_range(const void *a, const void *b)
{
	const range_t *x = a, *y = b;
	return x->base < y->base ? -1 : x->base > y->base;
}

static const unsigned char zeros[MAX_SMALL_SIZE + 4 * PAGE_SIZE];

static bool all_zero(const unsigned char *p, size_t n)
{
	return memcmp(p, zeros, n) == 0;
}

static void check_sizes(bool scan)
{
	const ref_sizeclasses_t *ref = ref_sizeclasses();
	heap_t *h;
	REQUIRE(heap_new(&(heap_config_t){.cap_bytes = (size_t)1 << 30}, &h) == ALLOC_OK);
	size_t n = 0, cap = MAX_SMALL_SIZE + 64;
	range_t *live = calloc(cap, sizeof *live);
	REQUIRE(live);

	void *z;
	CHECK_EQ(heap_alloc(h, 0, 0, 0, 1, &z), ALLOC_OK);
	CHECK(z == heap_zerobase(h));

	for (size_t size = 1; size <= MAX_SMALL_SIZE + 3 * PAGE_SIZE; size++) {
		if (size > MAX_SMALL_SIZE && size % 4096 != 1 && size % 4096 != 0)
			continue;   /* large: sample around page boundaries */
		size_t ptrwords = scan ? size / PTR_SIZE : 0;
		if (scan && ptrwords == 0)
			continue;
		void *p = NULL;
		alloc_err_t err = heap_alloc(h, 0, size, ptrwords, 7, &p);
		CHECK_EQ(err, ALLOC_OK);
		if (err != ALLOC_OK)
			continue;
		void *base;
		size_t elemsize;
		CHECK_EQ(heap_find_object(h, p, &base, &elemsize), ALLOC_OK);
		bool tiny = !scan && size < 16;   /* Go's maxTinySize */
		size_t want = size > 32768 ? (size + 8191) / 8192 * 8192   /* whole 8 KiB pages */
		              : tiny ? 16 : (size_t)ref->size[ref_class_for(ref, (long)size)];
		if (elemsize != want || (!tiny && base != p))
			fprintf(stderr, "size %zu: elemsize %zu want %zu\n", size, elemsize, want);
		CHECK_EQ(elemsize, want);
		if (!tiny)
			CHECK(base == p);
		uintptr_t a = (uintptr_t)p;
		/* A tiny sub-object is aligned by what its size allows. */
		size_t align = !tiny || size % 8 == 0 ? 8 : size % 4 == 0 ? 4 : size % 2 == 0 ? 2 : 1;
		CHECK_EQ(a % align, 0);
		if (size >= 16 && size % 16 == 0)
			CHECK_EQ(a % 16, 0);
		if (size > MAX_SMALL_SIZE)
			CHECK_EQ(a % PAGE_SIZE, 0);
		CHECK(all_zero(p, size));
		memset(p, 0xa5, size);
		if (size % 8192 == 0)
			HEAP_OK(h);
		if (!tiny) {
			REQUIRE(n < cap);
			live[n++] = (range_t){a, a + elemsize};
		}
	}
	qsort(live, n, sizeof *live, cmp_range);
	for (size_t i = 1; i < n; i++)
		CHECK(live[i - 1].end <= live[i].base);
	free(live);
	HEAP_OK(h);
	heap_destroy(h);
}

int main(void)
{
	check_sizes(false);
	check_sizes(true);
	return T_DONE();
}
