/*
 * bench ops: the executor's time per op against program length (issue 9:
 * the judges must stay linear, so the time per op at 10,000 ops is within
 * 1.5x of that at 10). Programs come from a seeded generator: random binary
 * records (harness/OPS.md), cut at a whole number of records, so every
 * length draws from the same op mix the fuzzers start from. Each length
 * runs programs of that length until about --ops ops ran; the figure is
 * process CPU time per op run (ops the executor skipped do not count), the
 * reset and the final full check of each input included. Each length also
 * reports the heap its programs end with (live and committed bytes): the
 * time per op follows it (the collections, Go's zeroing of reused memory
 * and the checks cost per live byte or span), and it grows with length
 * until the heap's cap binds.
 */
#include "alloc/testing.h"   /* heap_skip_checks */
#include "harness/bench.h"
#include "harness/exec.h"
#include "harness/ops.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double bench_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
	return *s;
}

/* A program of nrec records from seed: random bytes, cut after nrec records.
 * A repeat record becomes another op (its slot drawn from the byte itself):
 * a repeat's budget is per input (OPS.md), so it would give short programs a
 * different op mix from long ones, and the figure compares lengths. */
static uint8_t *gen_program(uint64_t seed, size_t nrec, size_t *len)
{
	size_t cap = nrec * 16 + 16;
	uint8_t *d = malloc(cap);
	uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
	for (size_t i = 0; i < cap; i++)
		d[i] = (uint8_t)(xorshift(&s) >> 24);
	size_t at = 0;
	for (size_t k = 0; k < nrec && at < cap; k++) {
		if (opbin_is_repeat(d + at, cap - at))   /* b % N == N-1: slot (b / N) % (N-1) */
			d[at] = (uint8_t)(d[at] - (OPBIN_NCODES - 1) + (d[at] / OPBIN_NCODES) % (OPBIN_NCODES - 1));
		at += opbin_reclen(d + at, cap - at);
	}
	*len = at;
	return d;
}

static const char help[] =
	"usage: allocfuzz bench ops [--mode one|twin|sweep] [--seed N] [--ops N] [--rounds R] [--lengths L1,L2,...]\n"
	"                           [--cap BYTES] [--skip-checks LIST]\n"
	"Time per op of the executor (CPU, reset and final check included) for programs of\n"
	"each length (default 10,100,1000,10000 records, at most 16) from a seeded generator,\n"
	"each length run until about --ops ops (default 200000) ran, in R rounds (default 3,\n"
	"at most 15) that take the lengths in turn. Prints one line per length (its totals, the\n"
	"median of its rounds' us/op, and the mean heap its programs end with: live and committed\n"
	"bytes, read from the last program of each timed batch) and the ratio of the slowest\n"
	"median to the fastest.\n"
	"--cap BYTES         the heaps' cap (default 16 MiB); at a small cap most lengths run\n"
	"                    at the same committed heap, so what else the time grows with shows.\n"
	"--skip-checks LIST  do not compute these checks (as bench exec: heap_check, observe,\n"
	"                    ...), to see which part of the time grows with length.\n";

#define MAX_LENGTHS 16
#define MAX_ROUNDS 15

typedef struct {
	exec_mode_t mode;
	uint64_t seed, total, cap;
	int rounds;
	char lengths[256];
} bench_ops_opts_t;

/* Returns -1 to go on, else the exit status (help, usage error). */
static int parse_bench_ops(int argc, char **argv, bench_ops_opts_t *o)
{
	*o = (bench_ops_opts_t){ .mode = EXEC_ONE, .seed = 1, .total = 200000, .rounds = 3,
				 .lengths = "10,100,1000,10000" };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(help, stdout);
			return 0;
		} else if (!strcmp(a, "--mode") && v) {
			o->mode = !strcmp(v, "twin") ? EXEC_TWIN_SPECIALS : !strcmp(v, "sweep") ? EXEC_TWIN_SWEEP : EXEC_ONE;
			if (o->mode == EXEC_ONE && strcmp(v, "one")) {
				fprintf(stderr, "bench ops: --mode is one, twin or sweep\n");
				return 2;
			}
			i++;
		} else if (!strcmp(a, "--cap") && v) {
			char *end;
			o->cap = strtoull(v, &end, 0); i++;
			if (*end || !o->cap) {
				fprintf(stderr, "bench ops: --cap takes a byte count, not '%s'\n", v);
				return 2;
			}
		} else if (!strcmp(a, "--seed") && v) {
			o->seed = strtoull(v, NULL, 0); i++;
		} else if (!strcmp(a, "--ops") && v) {
			o->total = strtoull(v, NULL, 0); i++;
		} else if (!strcmp(a, "--rounds") && v) {
			o->rounds = atoi(v); i++;
			if (o->rounds < 1 || o->rounds > MAX_ROUNDS) {
				fprintf(stderr, "bench ops: --rounds is 1..%d\n", MAX_ROUNDS);
				return 2;
			}
		} else if (!strcmp(a, "--skip-checks") && v) {
			heap_skip_checks = v; i++;
		} else if (!strcmp(a, "--lengths") && v) {
			snprintf(o->lengths, sizeof o->lengths, "%s", v); i++;
		} else {
			fprintf(stderr, "bench ops: unknown argument %s\n%s", a, help);
			return 2;
		}
	}
	return -1;
}

/* One length's share of a round: programs of nrec records (seeds go on
 * from *progs, so no program runs twice) until budget ops ran. Programs are
 * generated in batches and a batch is timed as a whole: the CPU clock is a
 * system call (a VM exit on some hosts), which timed per program was a
 * seventh of a 10-record program's figure. */
typedef struct {
	uint64_t progs, ops, diffs, nsampled;
	double t, live, sys;   /* bytes summed over the sampled programs' ends */
} len_run_t;

#define BATCH 64

static double run_length(exec_t *ex, uint64_t seed, size_t nrec, uint64_t budget, len_run_t *r)
{
	uint64_t ops0 = exec_ops_run(ex), n = 0;
	double t = 0;
	for (uint64_t done = 0; done < budget || n < 1; done = exec_ops_run(ex) - ops0) {
		size_t k = (size_t)((done < budget ? budget - done : 0) / nrec), len[BATCH];
		k = k < 1 ? 1 : k > BATCH ? BATCH : k;
		uint8_t *d[BATCH];
		for (size_t i = 0; i < k; i++)
			d[i] = gen_program(seed + r->progs + n + i, nrec, &len[i]);
		double t0 = bench_cpu_s();
		exec_status_t last = EXEC_OK;
		for (size_t i = 0; i < k; i++)
			r->diffs += (last = exec_run_binary(ex, d[i], len[i], NULL)) != EXEC_OK;
		t += bench_cpu_s() - t0;
		/* the batch's last program left its heap as it ended (the next run
		 * resets it): what the time per op grows with, read untimed; not
		 * after a difference (a heap that threw is not to be touched) */
		if (last == EXEC_OK) {
			heap_stats_t st;
			heap_read_stats(exec_heap(ex, 0), &st);
			r->live += (double)st.heap_alloc, r->sys += (double)st.heap_sys, r->nsampled++;
		}
		for (size_t i = 0; i < k; i++)
			free(d[i]);
		n += k;
	}
	uint64_t ops = exec_ops_run(ex) - ops0;
	r->progs += n, r->ops += ops, r->t += t;
	return ops ? t * 1e6 / (double)ops : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[n / 2];
}

int bench_ops_main(int argc, char **argv)
{
	bench_ops_opts_t o;
	int prc = parse_bench_ops(argc, argv, &o);
	if (prc >= 0)
		return prc;
	size_t nrec[MAX_LENGTHS], nlen = 0;
	for (char *tok = strtok(o.lengths, ","); tok; tok = strtok(NULL, ",")) {
		if (nlen == MAX_LENGTHS) {
			fprintf(stderr, "bench ops: at most %d lengths\n", MAX_LENGTHS);
			return 2;
		}
		if ((nrec[nlen] = strtoull(tok, NULL, 0)) != 0)
			nlen++;
	}
	exec_config_t cfg = { .mode = o.mode, .cap_bytes = (size_t)o.cap };
	exec_t *ex = exec_new(&cfg);
	if (!ex)
		return 2;
	/* Rounds over every length in turn, each length's figure the median of
	 * its rounds: a machine whose speed drifts during the run (page faults
	 * cost what the host's load makes them) moves every length alike. */
	len_run_t run[MAX_LENGTHS] = {0};
	double us[MAX_LENGTHS][MAX_ROUNDS];
	for (int r = 0; r < o.rounds; r++) {
		for (size_t i = 0; i < nlen; i++)
			us[i][r] = run_length(ex, o.seed, nrec[i], o.total / (uint64_t)o.rounds, &run[i]);
		fprintf(stderr, "bench ops: round %d of %d done\n", r + 1, o.rounds);
	}
	double lo = 0, hi = 0;
	int rc = 0;
	for (size_t i = 0; i < nlen; i++) {
		double med = bench_median(us[i], o.rounds);
		double ns = (double)run[i].nsampled;
		char heap[96] = "no program ended clean";
		if (ns > 0)
			snprintf(heap, sizeof heap, "at a program's end %.0f KiB live of %.0f KiB committed (mean of %llu)",
			         run[i].live / ns / 1024, run[i].sys / ns / 1024, (unsigned long long)run[i].nsampled);
		printf("ops %zu records: %llu programs, %llu ops, %.3f s CPU: %.2f us/op; %s%s\n", nrec[i],
		       (unsigned long long)run[i].progs, (unsigned long long)run[i].ops, run[i].t, med, heap,
		       run[i].diffs ? " (some runs not clean)" : "");
		rc |= run[i].diffs != 0;
		lo = !lo || med < lo ? med : lo;
		hi = med > hi ? med : hi;
	}
	printf("ops flatness: slowest/fastest = %.2f (medians of %d rounds)%s%s\n", lo ? hi / lo : 0, o.rounds,
	       heap_skip_checks ? ", not computed: " : "", heap_skip_checks ? heap_skip_checks : "");
	exec_destroy(ex);
	return rc;
}
