/*
 * fuzz_pair: an op target and the floor (fuzz_floor.c) in one libFuzzer
 * process, for ci/bench's same-process ratio (issue 9: speed is a ratio
 * against a floor run in the same process on the same machine). Each input
 * runs on both sides, the side that goes first alternating, and the CPU time
 * of each side's callback is summed; the first execution of an input is not
 * timed (it faults in what the input needs, as replay --bench does). At exit
 * it prints
 *
 *   pair TARGET: N timed inputs, target T s, floor F s, ratio R
 *
 * to stderr, where R = F / T is target execs/s over floor execs/s. The
 * target is AF_PAIR_TARGET (fuzz_ops, fuzz_twin, fuzz_sweep, fuzz_pageheap;
 * default fuzz_ops). libFuzzer's own work per input is in neither sum: the
 * libFuzzer figure of ci/bench includes it.
 */
#include "harness/exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The two other entries, renamed so they link into one binary. */
#define LLVMFuzzerTestOneInput floor_one_input
#include "harness/floor/fuzz_floor.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput pageheap_one_input
#include "harness/fuzz_pageheap.c"
#undef LLVMFuzzerTestOneInput

static const char *pair_name = "fuzz_ops";
static int (*pair_target)(const uint8_t *, size_t);
static double pair_cpu[2];   /* [0] target, [1] floor: seconds */
static long long pair_n;
static uint8_t *pair_last;
static size_t pair_lastn;

static int ops_one(const uint8_t *d, size_t n) { return exec_fuzz_one(EXEC_ONE, d, n); }
static int twin_one(const uint8_t *d, size_t n) { return exec_fuzz_one(EXEC_TWIN_SPECIALS, d, n); }
static int sweep_one(const uint8_t *d, size_t n) { return exec_fuzz_one(EXEC_TWIN_SWEEP, d, n); }

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pair_report(void)
{
	fprintf(stderr, "pair %s: %lld timed inputs, target %.3f s, floor %.3f s, ratio %.3f\n",
	        pair_name, pair_n, pair_cpu[0], pair_cpu[1],
	        pair_cpu[0] > 0 ? pair_cpu[1] / pair_cpu[0] : 0.0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	static const struct { const char *name; int (*fn)(const uint8_t *, size_t); } t[] = {
		{ "fuzz_ops", ops_one }, { "fuzz_twin", twin_one }, { "fuzz_sweep", sweep_one },
		{ "fuzz_pageheap", pageheap_one_input },
	};
	const char *want = getenv("AF_PAIR_TARGET");
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (!want || !strcmp(want, t[i].name)) {
			pair_name = t[i].name;
			pair_target = t[i].fn;
			break;
		}
	if (!pair_target) {
		fprintf(stderr, "fuzz_pair: AF_PAIR_TARGET=%s is not an op target or fuzz_pageheap\n", want);
		exit(2);
	}
	atexit(pair_report);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool timed = pair_last && pair_lastn == size && !memcmp(pair_last, data, size);
	if (!timed) {   /* a new input: warm both sides, untimed */
		free(pair_last);
		pair_last = malloc(size ? size : 1);
		if (pair_last)
			memcpy(pair_last, data, size);
		pair_lastn = size;
		pair_target(data, size);
		floor_one_input(data, size);
		return 0;
	}
	int first = (int)(pair_n++ & 1);   /* 0: the target goes first */
	for (int k = 0; k < 2; k++) {
		int side = first ^ k;
		double t0 = cpu_s();
		if (side == 0)
			pair_target(data, size);
		else
			floor_one_input(data, size);
		pair_cpu[side] += cpu_s() - t0;
	}
	return 0;
}
