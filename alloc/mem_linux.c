/*
 * The OS layer (Go's mem_linux.go): every mmap, mprotect and madvise of the
 * allocator goes through these few functions, so the page heap and the
 * metadata allocators say what they want (reserve, commit, release, zero)
 * and not how Linux spells it.
 */
#include "alloc/internal.h"

#include <sys/mman.h>

/* Below this, memset beats madvise + refaulting the pages on the next run:
 * heapbench (medians, 2 shared cores) gave run+reset of a 200-allocation
 * input 89 us with a 1 MiB threshold against 301 us with 64 KiB. */
#define SYS_ZERO_MEMSET_MAX ((size_t)1 << 20)
#define OS_PAGE 4096

void *sys_reserve(size_t n, size_t align)
{
	/* Over-reserve by align and trim both ends, so the heap's start is
	 * aligned and arena index math is a shift. */
	size_t len = n + align;
	void *v = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v == MAP_FAILED)
		return NULL;
	uintptr_t p = (uintptr_t)v;
	uintptr_t start = (p + align - 1) & ~(uintptr_t)(align - 1);
	if (start > p)
		munmap(v, start - p);
	if (p + len > start + n)
		munmap((void *)(start + n), p + len - (start + n));
	/* Go 1.19's sysUsed asks for huge pages on heap memory (sysHugePage).
	 * Here it also makes a large object's first touches after a scavenge a
	 * few 2 MiB faults instead of one per 4 KiB page (ci/bench: a fuzz_sweep
	 * input with an 8 MiB object and scavenge, 38 -> 13 ms). */
	madvise((void *)start, n, MADV_HUGEPAGE);
	return (void *)start;
}

bool sys_map(void *v, size_t n)
{
	return mprotect(v, n, PROT_READ | PROT_WRITE) == 0;
}

void sys_fault(void *v, size_t n)
{
	mprotect(v, n, PROT_NONE);
}

/* lazy: MADV_FREE, and MADV_DONTNEED where the kernel refuses it (before
 * Linux 4.5), as Go's sysUnused does. The caller assumes nothing of the
 * contents either way. */
void sys_unused(void *v, size_t n, bool lazy)
{
	if (!lazy || madvise(v, n, MADV_FREE) != 0)
		madvise(v, n, MADV_DONTNEED);
}

void *sys_alloc(size_t n)
{
	void *v = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return v == MAP_FAILED ? NULL : v;
}

void sys_free(void *v, size_t n)
{
	munmap(v, n);
}

void sys_zero(void *v, size_t n)
{
	uintptr_t p = (uintptr_t)v, end = p + n;
	if (n <= SYS_ZERO_MEMSET_MAX) {
		memset(v, 0, n);
		return;
	}
	/* The OS pages inside the range are dropped (they read back as zero and
	 * cost nothing until touched again); only the ragged ends are memset. */
	uintptr_t lo = (p + OS_PAGE - 1) & ~(uintptr_t)(OS_PAGE - 1);
	uintptr_t hi = end & ~(uintptr_t)(OS_PAGE - 1);
	memset(v, 0, lo - p);
	madvise((void *)lo, hi - lo, MADV_DONTNEED);
	memset((void *)hi, 0, end - hi);
}
