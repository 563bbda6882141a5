/*
 * heapbench: what a fresh heap costs. Times heap_new+heap_destroy and
 * heap_reset after runs of different sizes (an untouched heap, a fuzz-input
 * sized run, a heavy run), so the claim "reset costs what the last run
 * touched, not the reservation" has numbers. Usage: heapbench [iterations]
 */
#include "alloc/alloc.h"
#include "harness/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A deterministic run: n allocations of mixed sizes (every 50th large),
 * each written, every third freed again. Returns bytes allocated. */
static size_t run(heap_t *h, int n, uint64_t seed)
{
	void *keep[64];
	size_t bytes = 0;
	for (int i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		size_t size = i % 50 == 49 ? 40000 + (seed >> 40) % 200000 : 1 + (seed >> 33) % 2048;
		void *p;
		if (heap_alloc(h, 0, size, (seed >> 20) & 1 ? size / 8 : 0, 1, &p) != ALLOC_OK) {
			fprintf(stderr, "heapbench: allocation failed\n");
			exit(1);
		}
		memset(p, 0xab, size);
		bytes += size;
		if (i % 3 == 0)
			keep[(i / 3) % 64] = p;
		if (i % 3 == 2 && size >= 16)
			heap_free(h, 0, p);
	}
	(void)keep;
	return bytes;
}


static void bench_reset(const char *name, int n, int iters)
{
	heap_t *h;
	if (heap_new(NULL, &h) != ALLOC_OK)
		exit(1);
	double *trun = calloc((size_t)iters, sizeof *trun), *treset = calloc((size_t)iters, sizeof *treset);
	size_t bytes = 0;
	heap_stats_t st;
	for (int i = 0; i < iters; i++) {
		double t0 = now_us();
		bytes = run(h, n, 42);
		heap_read_stats(h, &st);
		double t1 = now_us();
		heap_reset(h);
		double t2 = now_us();
		trun[i] = t1 - t0;
		treset[i] = t2 - t1;
	}
	printf("%-27s %5d allocs %9zu B  heap_sys %6.2f MiB  run %8.1f us  heap_reset %7.1f us (medians)\n",
	       name, n, bytes, st.heap_sys / 1048576.0, bench_median(trun, iters), bench_median(treset, iters));
	free(trun);
	free(treset);
	heap_destroy(h);
}

int main(int argc, char **argv)
{
	int iters = argc > 1 ? atoi(argv[1]) : 200;
	if (iters <= 0)
		iters = 1;
	static const size_t caps[] = {(size_t)1 << 20, (size_t)256 << 20, (size_t)4 << 30};
	for (int c = 0; c < 3; c++) {
		heap_config_t cfg = {0};
		cfg.cap_bytes = caps[c];
		cfg.nprocs = 8;
		double *t = calloc((size_t)iters, sizeof *t);
		for (int i = 0; i < iters; i++) {
			heap_t *h;
			double t0 = now_us();
			if (heap_new(&cfg, &h) != ALLOC_OK)
				return 1;
			heap_destroy(h);
			t[i] = now_us() - t0;
		}
		printf("heap_new+heap_destroy, cap %5zu MiB, 8 Ps: %7.1f us (median)\n", caps[c] >> 20,
		       bench_median(t, iters));
		free(t);
	}
	bench_reset("reset of an untouched heap", 0, iters);
	bench_reset("reset after a small input", 20, iters);
	bench_reset("reset after a fuzz input", 200, iters);
	bench_reset("reset after a heavy run", 5000, iters / 10 + 1);
	return 0;
}
