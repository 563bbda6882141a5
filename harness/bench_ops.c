/*
 * bench ops: the executor's time per op against program length (issue 9:
 * the judges must stay linear, so the time per op at 10,000 ops is within
 * 1.5x of that at 10). Programs come from a seeded generator: random binary
 * records (harness/OPS.md), cut at a whole number of records, so every
 * length draws from the same op mix the fuzzers start from. Each length
 * runs programs of that length until about --ops ops ran; the figure is
 * process CPU time per op run (ops the executor skipped do not count), the
 * reset and the final full check of each input included.
 */
#include "harness/exec.h"
#include "harness/ops.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_s(void)
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
	"usage: bench ops [--mode one|twin|sweep] [--seed N] [--ops N] [--lengths L1,L2,...]\n"
	"Time per op of the executor (CPU, reset and final check included) for programs of\n"
	"each length (default 10,100,1000,10000 records) from a seeded generator, each length\n"
	"run until about --ops ops (default 200000) ran. Prints one line per length and the\n"
	"ratio of the slowest to the fastest.\n";

typedef struct {
	exec_mode_t mode;
	uint64_t seed, total;
	char lengths[256];
} bench_ops_opts_t;

/* Returns -1 to go on, else the exit status (help, usage error). */
static int parse_bench_ops(int argc, char **argv, bench_ops_opts_t *o)
{
	*o = (bench_ops_opts_t){ .mode = EXEC_ONE, .seed = 1, .total = 200000,
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
		} else if (!strcmp(a, "--seed") && v) {
			o->seed = strtoull(v, NULL, 0); i++;
		} else if (!strcmp(a, "--ops") && v) {
			o->total = strtoull(v, NULL, 0); i++;
		} else if (!strcmp(a, "--lengths") && v) {
			snprintf(o->lengths, sizeof o->lengths, "%s", v); i++;
		} else {
			fprintf(stderr, "bench ops: unknown argument %s\n%s", a, help);
			return 2;
		}
	}
	return -1;
}

int bench_ops_main(int argc, char **argv)
{
	bench_ops_opts_t o;
	int prc = parse_bench_ops(argc, argv, &o);
	if (prc >= 0)
		return prc;
	exec_mode_t mode = o.mode;
	uint64_t seed = o.seed, total = o.total;
	char *lengths = o.lengths;
	exec_config_t cfg = { .mode = mode };
	exec_t *ex = exec_new(&cfg);
	if (!ex)
		return 2;
	double lo = 0, hi = 0;
	int rc = 0;
	for (char *tok = strtok(lengths, ","); tok; tok = strtok(NULL, ",")) {
		size_t nrec = strtoull(tok, NULL, 0);
		if (!nrec)
			continue;
		uint64_t ops0 = exec_ops_run(ex), progs = 0, diffs = 0;
		double t = 0;
		while (exec_ops_run(ex) - ops0 < total || progs < 3) {
			size_t len;
			uint8_t *d = gen_program(seed + progs, nrec, &len);
			double t0 = cpu_s();
			diffs += exec_run_binary(ex, d, len, NULL) != EXEC_OK;
			t += cpu_s() - t0;
			free(d);
			progs++;
		}
		uint64_t ops = exec_ops_run(ex) - ops0;
		double us = ops ? t * 1e6 / (double)ops : 0;
		printf("ops %zu records: %llu programs, %llu ops, %.3f s CPU: %.2f us/op%s\n", nrec,
		       (unsigned long long)progs, (unsigned long long)ops, t, us,
		       diffs ? " (some runs not clean)" : "");
		fflush(stdout);
		if (diffs)
			rc = 1;
		if (!lo || us < lo)
			lo = us;
		if (us > hi)
			hi = us;
	}
	printf("ops flatness: slowest/fastest = %.2f\n", lo ? hi / lo : 0);
	exec_destroy(ex);
	return rc;
}
