/*
 * allocfuzz bench pages: what writing a page again costs on this machine
 * after it was kept, given back with MADV_FREE, or with MADV_DONTNEED, in
 * 4 KiB pages and in 2 MiB huge pages. It is what `scavenge` costs the next
 * ops (the heap gives free runs back; whatever is allocated there is written
 * again), and the part of the op targets' ratio to the floor that follows
 * the machine rather than the code: on a paravirtualized VM a page written
 * again after MADV_FREE costs tens of times a kept one.
 */
#include "harness/bench.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static const char help[] =
	"usage: allocfuzz bench pages [--mib N] [--rounds R]\n"
	"CPU time per 4 KiB page to write an N MiB region again (default 32) after it was\n"
	"kept, given back with MADV_FREE, or with MADV_DONTNEED (the madvise call included),\n"
	"with 4 KiB pages (MADV_NOHUGEPAGE) and with huge pages (MADV_HUGEPAGE, whole 2 MiB\n"
	"ranges; as 4 KiB where the kernel gives none). One line per case, each the median\n"
	"of R rounds (default 5, at most 15).\n";

#define HUGE_BYTES ((size_t)2 << 20)
#define MAX_ROUNDS 15

/* us per 4 KiB page, median of rounds, to release [p, p+n) as adv (-1: keep)
 * and write it all again. */
static double rewrite_cost(uint8_t *p, size_t n, int adv, int rounds)
{
	double v[MAX_ROUNDS];
	for (int r = 0; r < rounds; r++) {
		double t0 = bench_cpu_s();
		if (adv >= 0)
			madvise(p, n, adv);
		memset(p, r + 1, n);
		v[r] = (bench_cpu_s() - t0) * 1e6 / (double)(n / 4096);
	}
	return bench_median(v, rounds);
}

int bench_pages_main(int argc, char **argv)
{
	size_t mib = 32;
	int rounds = 5;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(help, stdout);
			return 0;
		} else if (!strcmp(a, "--mib") && v && atoi(v) >= 2 && atoi(v) <= 4096) {
			mib = (size_t)atoi(v); i++;
		} else if (!strcmp(a, "--rounds") && v && atoi(v) >= 1 && atoi(v) <= MAX_ROUNDS) {
			rounds = atoi(v); i++;
		} else {
			fprintf(stderr, "bench pages: bad argument %s (--mib 2..4096, --rounds 1..%d)\n%s",
			        a, MAX_ROUNDS, help);
			return 2;
		}
	}
	size_t n = mib << 20;
	/* Over-map by a huge page and align, so that huge means whole huge pages. */
	uint8_t *m = mmap(NULL, n + HUGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("bench pages: mmap");
		return 1;
	}
	uint8_t *p = (uint8_t *)(((uintptr_t)m + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1));
	static const struct { int adv; const char *name; } how[] = {
		{ -1, "kept" }, { MADV_FREE, "MADV_FREE" }, { MADV_DONTNEED, "MADV_DONTNEED" },
	};
	for (int huge = 0; huge < 2; huge++) {
		madvise(p, n, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
		memset(p, 0, n);   /* resident, in the page size just asked for */
		for (size_t k = 0; k < sizeof how / sizeof how[0]; k++)
			printf("pages %s %s: %.2f us per 4 KiB page written again (%zu MiB, median of %d)\n",
			       huge ? "2m" : "4k", how[k].name, rewrite_cost(p, n, how[k].adv, rounds),
			       mib, rounds);
		/* back to unmapped, so the next page size starts from scratch */
		madvise(p, n, MADV_DONTNEED);
	}
	munmap(m, n + HUGE_BYTES);
	return 0;
}
