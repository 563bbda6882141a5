/*
 * fuzz_sizeclass: the size class table against the reference TSV (tcmalloc's
 * sizemap_fuzz in spirit). Each 8-byte record of the input is one query:
 *   mode 0: a small size  -> class, class size, roundupsize
 *   mode 1: any size      -> roundupsize (small: class size; large: pages,
 *                            saturating at SIZE_MAX); a small one's class too
 *   mode 2: a size near SIZE_MAX -> roundupsize must saturate, never wrap
 *   mode 3: (class, span offset) -> mspan_objindex == offset / size
 * Modes 0 and 1 also allocate the size, reduced modulo MAX_HEAP_QUERY + 1,
 * through the real allocator (heap_alloc: mallocgc's class choice, span
 * carving and large-object page rounding) and require heap_find_object to
 * report the reference's block size at the returned address, then free it;
 * that reduced size's class and roundupsize are checked before any mallocgc.
 * Each input ends with heap_check.
 * Tiny objects (noscan, under 16 bytes) are left out: they share a block.
 * The reference comes from oracles/ref_sizeclasses.h ($AF_REFERENCE_DIR, else
 * the repo's reference/ directory); never from alloc/msize.c. White-box
 * (AF_WHITEBOX): it drives msize and mspan_objindex directly.
 * The input's queries are checked function by function (check_query), each
 * input on a fresh heap (heap_reset). A mismatch prints the check and the
 * query and aborts (the fuzzer's crash signal).
 */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "oracles/ref_sizeclasses.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ref_sizeclasses_t ref;
static int ref_loaded;
static heap_t *heap;

/* Large allocations are cut to this (the rounding is the same above it, and
 * every query zeroes what it gets). */
#define MAX_HEAP_QUERY ((uint64_t)1 << 20)

static void load_reference(void)
{
	ref = *ref_sizeclasses();
	if (ref.n != NUM_SIZE_CLASSES) {
		fprintf(stderr, "fuzz_sizeclass: the reference table has %d classes, the allocator %d\n",
		        ref.n, NUM_SIZE_CLASSES);
		abort();
	}
	ref_loaded = 1;
	/* log_writes: this target writes no heap memory, so heap_reset leaves
	 * each input the fresh heap heap_new made (nothing leaks from one input
	 * to the next: a finding replays alone). */
	heap_config_t cfg = { .cap_bytes = 64u << 20, .nprocs = 1, .log_writes = true };
	alloc_err_t e = heap_new(&cfg, &heap);
	if (e != ALLOC_OK) {
		fprintf(stderr, "fuzz_sizeclass: heap_new: %s\n", alloc_strerror(e));
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	load_reference();
	return 0;
}

static void fail(const char *what, uint64_t q, uint64_t got, uint64_t want)
{
	fprintf(stderr, "fuzz_sizeclass: %s: query %llu: got %llu, want %llu\n", what,
		(unsigned long long)q, (unsigned long long)got, (unsigned long long)want);
	abort();
}

/* What roundupsize must return, from the reference alone. */
static uint64_t want_roundup(uint64_t size)
{
	if (size < MAX_SMALL_SIZE)
		return (uint64_t)ref.size[ref_class_for(&ref, (long)size)];
	uint64_t pages = size / PAGE_SIZE + (size % PAGE_SIZE != 0);
	if (pages > SIZE_MAX / PAGE_SIZE)
		return SIZE_MAX;
	return pages * PAGE_SIZE;
}

static void check_small(uint64_t size)
{
	int want = ref_class_for(&ref, (long)size);
	int got = msize_size_to_class((size_t)size);
	if (got != want)
		fail("size_to_class", size, (uint64_t)got, (uint64_t)want);
	if (class_to_size[got] != ref.size[want])
		fail("class_to_size", size, class_to_size[got], (uint64_t)ref.size[want]);
	if (size > 0 && class_to_size[got] < size)
		fail("class too small", size, class_to_size[got], size);
}

static void check_roundup(uint64_t size)
{
	uint64_t got = msize_roundupsize((size_t)size);
	if (got != want_roundup(size))
		fail("roundupsize", size, got, want_roundup(size));
}

/* mallocgc must hand out a block of the reference's size for size. */
static void check_heap(uint64_t size)
{
	if (size < 8)
		return;   /* 0: the zero base; 1..7 noscan: tiny (one pointer word needs 8) */
	void *p = NULL, *base = NULL;
	size_t elemsize = 0;
	alloc_err_t e = heap_alloc(heap, 0, (size_t)size, 1, 0, &p);
	if (e != ALLOC_OK) {
		fprintf(stderr, "fuzz_sizeclass: heap_alloc(%llu): %s\n", (unsigned long long)size,
		        alloc_strerror(e));
		abort();
	}
	e = heap_find_object(heap, p, &base, &elemsize);
	if (e != ALLOC_OK || base != p)
		fail("heap_find_object at the allocation", size, (uint64_t)(uintptr_t)base, (uint64_t)(uintptr_t)p);
	if (elemsize != want_roundup(size))
		fail("mallocgc block size", size, elemsize, want_roundup(size));
	e = heap_free(heap, 0, p);
	if (e != ALLOC_OK)
		fail("heap_free of the allocation", size, (uint64_t)e, ALLOC_OK);
}

static void check_objindex(uint64_t v)
{
	int c = 1 + (int)(v % (uint64_t)(ref.n - 1));
	uint64_t off = (v >> 8) % (uint64_t)(ref.span[c] + 1);   /* span end included */
	mspan_t s;
	memset(&s, 0, sizeof s);
	s.startaddr = (uintptr_t)1 << 32;
	s.npages = (uintptr_t)(ref.span[c] / (long)PAGE_SIZE);
	s.divmagic = class_to_divmagic[c];
	uint64_t got = mspan_objindex(&s, s.startaddr + (uintptr_t)off);
	if (got != off / (uint64_t)ref.size[c])
		fail("objindex", v, got, off / (uint64_t)ref.size[c]);
}

/* The checks, from the most basic function up: a query is judged by the
 * first function that gets it wrong, and so is the input (every query's
 * size_to_class before any roundupsize, which uses it, before any mallocgc,
 * which uses both), so one bug is one finding whichever query an input
 * reaches it with. */
enum pass { P_CLASS, P_OBJINDEX, P_ROUNDUP, P_HEAP, NPASS };

static void check_query(enum pass pass, uint64_t v)
{
	uint64_t arg = v >> 2, size = (v & 3) == 0 ? arg % (MAX_SMALL_SIZE + 1) : arg;
	uint64_t hsize = size % (MAX_HEAP_QUERY + 1);   /* what mallocgc is asked */
	switch (v & 3) {
	case 0:
	case 1:
		/* every size a later pass uses is one an earlier pass checked */
		if (pass == P_CLASS && size <= MAX_SMALL_SIZE)
			check_small(size);
		if (pass == P_CLASS && hsize != size && hsize <= MAX_SMALL_SIZE)
			check_small(hsize);
		if (pass == P_ROUNDUP)
			check_roundup(size);
		if (pass == P_ROUNDUP && hsize != size)
			check_roundup(hsize);
		if (pass == P_HEAP)
			check_heap(hsize);
		break;
	case 2:
		if (pass == P_ROUNDUP)
			check_roundup(SIZE_MAX - arg % (2 * PAGE_SIZE));
		break;
	case 3:
		if (pass == P_OBJINDEX)
			check_objindex(arg);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (!ref_loaded)
		load_reference();
	heap_reset(heap);
	for (int pass = 0; pass < NPASS; pass++)
		for (size_t i = 0; i < len; i += 8) {
			uint8_t rec[8] = {0};
			memcpy(rec, data + i, len - i < 8 ? len - i : 8);
			uint64_t v = 0;
			for (int k = 7; k >= 0; k--)
				v = v << 8 | rec[k];
			check_query((enum pass)pass, v);
		}
	heap_check_report_t rep;
	if (heap_check(heap, &rep) != ALLOC_OK) {
		fprintf(stderr, "fuzz_sizeclass: heap_check: %s: %s\n", rep.invariant, rep.detail);
		abort();
	}
	return 0;
}
