/*
 * bench malloc: heap_alloc's small-object path against glibc malloc, in one
 * run, on the same seeded size sequence and the same number of operations.
 *
 *   alloc       batches of --batch allocations, nothing freed inside the
 *               timed loop (allocfuzz: a heap_gc with no roots between
 *               batches, so the next batch reuses swept pages and zeroes
 *               them as Go does; glibc: free everything). Sizes 1..max,
 *               noscan, so tiny requests take the tiny allocator as in Go.
 *   alloc+free  a ring of --live objects; each operation frees the oldest
 *               and allocates a new one (heap_free is the 2014 explicit
 *               free). Sizes 16..max, because tiny blocks cannot be freed.
 *
 * Each phase runs --rounds times alternating the two allocators; the best
 * round counts. Time is the thread's CPU time, so a shared, loaded machine
 * inflates both sides less (preemption is not counted; cache pollution is).
 * Output: ns per operation for both, and allocfuzz / glibc.
 */
#define _GNU_SOURCE
#include "harness/bench.h"
#include "alloc/alloc.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
	uint64_t ops, seed, batch, live, maxsize, rounds;
} bench_opts_t;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
	return *s;
}

static uint32_t *make_sizes(const bench_opts_t *o, uint64_t minsize)
{
	uint32_t *v = malloc(o->ops * sizeof *v);
	if (!v)
		return NULL;
	uint64_t s = o->seed ? o->seed : 1;
	for (uint64_t i = 0; i < o->ops; i++)
		v[i] = (uint32_t)(minsize + xorshift(&s) % (o->maxsize - minsize + 1));
	return v;
}

/* Keeps the compiler from dropping allocations whose result is unused. */
static volatile uintptr_t sink;

/* alloc_af / alloc_glibc and churn_af / churn_glibc are the same loops on
 * purpose, written twice rather than through a function pointer: each pair
 * must time the same work, and an indirect call per op would be timed too. */
static double alloc_af(heap_t *h, const uint32_t *sizes, const bench_opts_t *o)
{
	double t = 0;
	uintptr_t acc = 0;
	for (uint64_t i = 0; i < o->ops; i += o->batch) {
		uint64_t n = o->ops - i < o->batch ? o->ops - i : o->batch;
		double t0 = now_ns();
		for (uint64_t j = 0; j < n; j++) {
			void *p;
			if (heap_alloc(h, 0, sizes[i + j], 0, 0, &p) != ALLOC_OK)
				return -1;
			acc += (uintptr_t)p;
		}
		t += now_ns() - t0;
		if (heap_gc(h) != ALLOC_OK)
			return -1;
	}
	sink = acc;
	return t;
}

/* alloc_af's loop on glibc malloc (a copy on purpose: see alloc_af). */
static double alloc_glibc(const uint32_t *sizes, const bench_opts_t *o, void **tmp)
{
	double t = 0;
	uintptr_t acc = 0;
	for (uint64_t i = 0; i < o->ops; i += o->batch) {
		uint64_t n = o->ops - i < o->batch ? o->ops - i : o->batch;
		double t0 = now_ns();
		for (uint64_t j = 0; j < n; j++) {
			tmp[j] = malloc(sizes[i + j]);
			acc += (uintptr_t)tmp[j];
		}
		t += now_ns() - t0;
		for (uint64_t j = 0; j < n; j++)
			free(tmp[j]);
	}
	sink = acc;
	return t;
}

static double churn_af(heap_t *h, const uint32_t *sizes, const bench_opts_t *o, void **ring)
{
	for (uint64_t j = 0; j < o->live; j++)
		if (heap_alloc(h, 0, sizes[j], 0, 0, &ring[j]) != ALLOC_OK)
			return -1;
	double t0 = now_ns();
	for (uint64_t i = 0; i < o->ops; i++) {
		uint64_t k = i % o->live;
		if (heap_free(h, 0, ring[k]) != ALLOC_OK ||
		    heap_alloc(h, 0, sizes[i], 0, 0, &ring[k]) != ALLOC_OK)
			return -1;
	}
	double t = now_ns() - t0;
	heap_reset(h);
	return t;
}

static double churn_glibc(const uint32_t *sizes, const bench_opts_t *o, void **ring)
{
	for (uint64_t j = 0; j < o->live; j++)
		ring[j] = malloc(sizes[j]);
	double t0 = now_ns();
	for (uint64_t i = 0; i < o->ops; i++) {
		uint64_t k = i % o->live;
		free(ring[k]);
		ring[k] = malloc(sizes[i]);
	}
	double t = now_ns() - t0;
	for (uint64_t j = 0; j < o->live; j++)
		free(ring[j]);
	return t;
}

static int usage(FILE *out)
{
	fprintf(out,
	        "usage: allocfuzz bench malloc [--ops N] [--seed S] [--max-size B] [--batch N] [--live N] [--rounds N]\n"
	        "                    [--only alloc|free]\n"
	        "  defaults: --ops 2000000 --seed 1 --max-size 512 --batch 65536 --live 4096 --rounds 3\n");
	return out == stdout ? 0 : 2;
}

/* The options into o and *only (--only alloc|free: one phase, for
 * profiling); -1 when the bench may run, else the exit status. */
static int parse_bench_opts(int argc, char **argv, bench_opts_t *o, int *only)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage(stdout);
		if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			i++;
			*only = !strcmp(argv[i], "alloc") ? 1 : !strcmp(argv[i], "free") ? 2 : -1;
			if (*only < 0)
				return usage(stderr);
			continue;
		}
		uint64_t *field = !strcmp(argv[i], "--ops") ? &o->ops
		                : !strcmp(argv[i], "--seed") ? &o->seed
		                : !strcmp(argv[i], "--max-size") ? &o->maxsize
		                : !strcmp(argv[i], "--batch") ? &o->batch
		                : !strcmp(argv[i], "--live") ? &o->live
		                : !strcmp(argv[i], "--rounds") ? &o->rounds : NULL;
		char *end;
		if (!field || i + 1 >= argc)
			return usage(stderr);
		*field = strtoull(argv[++i], &end, 0);
		if (*end)
			return usage(stderr);
	}
	if (o->ops == 0 || o->batch == 0 || o->rounds == 0 || o->live == 0 || o->live > o->ops ||
	    o->maxsize < 16 || o->maxsize > 32768)
		return usage(stderr);
	return -1;
}

int bench_malloc_main(int argc, char **argv)
{
	bench_opts_t o = {.ops = 2000000, .seed = 1, .batch = 65536, .live = 4096,
	                  .maxsize = 512, .rounds = 3};
	int only = 0;
	int rc = parse_bench_opts(argc, argv, &o, &only);
	if (rc >= 0)
		return rc;

	heap_t *h;
	heap_config_t cfg = {.cap_bytes = (size_t)1 << 30};
	uint32_t *all = make_sizes(&o, 1), *big = make_sizes(&o, 16);
	size_t tmpn = o.batch > o.live ? o.batch : o.live;
	void **tmp = malloc(tmpn * sizeof *tmp);
	if (!all || !big || !tmp || heap_new(&cfg, &h) != ALLOC_OK) {
		fprintf(stderr, "bench malloc: out of memory\n");
		return 1;
	}
	double best[4] = {0, 0, 0, 0};
	for (uint64_t r = 0; r < o.rounds; r++) {
		double t[4];
		t[0] = only != 2 ? alloc_af(h, all, &o) : 0;
		t[1] = only != 2 ? alloc_glibc(all, &o, tmp) : 0;
		t[2] = only != 1 ? churn_af(h, big, &o, tmp) : 0;
		t[3] = only != 1 ? churn_glibc(big, &o, tmp) : 0;
		for (int k = 0; k < 4; k++) {
			if (t[k] < 0) {
				fprintf(stderr, "bench malloc: heap_alloc/heap_free failed\n");
				return 1;
			}
			if (r == 0 || t[k] < best[k])
				best[k] = t[k];
		}
	}
	double n = (double)o.ops;
	printf("bench malloc: ops=%llu seed=%llu rounds=%llu (best round)\n",
	       (unsigned long long)o.ops, (unsigned long long)o.seed, (unsigned long long)o.rounds);
	printf("  alloc       sizes 1..%llu, batches of %llu: allocfuzz %6.2f ns/op  glibc %6.2f ns/op  ratio %.2f\n",
	       (unsigned long long)o.maxsize, (unsigned long long)o.batch,
	       best[0] / n, best[1] / n, best[0] / best[1]);
	printf("  alloc+free  sizes 16..%llu, %llu live:      allocfuzz %6.2f ns/op  glibc %6.2f ns/op  ratio %.2f\n",
	       (unsigned long long)o.maxsize, (unsigned long long)o.live,
	       best[2] / n, best[3] / n, best[2] / best[3]);
	heap_destroy(h);
	free(all);
	free(big);
	free(tmp);
	return 0;
}
