/*
 * lf_clock: the libFuzzer rate ci/bench reads (issue 9), measured inside the
 * process. Linked into the libFuzzer builds of the targets and of the floor
 * with -Wl,--wrap=LLVMFuzzerTestOneInput, so libFuzzer calls this first.
 *
 * `-runs=R FILE...` runs each file R times in a row (and once more where
 * libFuzzer's leak detection retries an input that allocated more than it
 * freed). With AF_LF_CLOCK=H in the environment, every run of a file after
 * its first H counts: the process CPU time from the start of the first
 * counted run to the start of the next file's first run (so libFuzzer's own
 * work per input counts) and the number of counted runs are printed at exit:
 * "lf-clock: K runs in S s CPU". A file starts where the input's bytes differ
 * from the last call's (the bench corpora hold distinct files); the clock is
 * read twice per file. ci/bench subtracted the CPU times of two processes
 * (-runs=R minus -runs=R/2) before, and on a VM that charges start-up
 * unevenly the difference was mostly noise (the floor read 3,900 to 131,000
 * execs/s in one series). Without the variable, one test per input.
 */
#include "alloc/no_coverage.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int __real_LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool on, timing;
static uint64_t skip, run, counted;
static double start, total;
/* The last input, or its first LAST_MAX bytes: a buffer of its own, as a
 * malloc here would count in libFuzzer's malloc/free balance and make it
 * retry the input for leaks. */
#define LAST_MAX ((size_t)1 << 20)
static uint8_t last[LAST_MAX];
static size_t lastlen;

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void report(void)
{
	if (timing)
		total += cpu_s() - start;
	fprintf(stderr, "lf-clock: %llu runs in %.6f s CPU\n", (unsigned long long)counted, total);
}

__attribute__((constructor)) static void lf_clock_init(void)
{
	const char *e = getenv("AF_LF_CLOCK");
	char *end;
	if (!e || (skip = strtoull(e, &end, 10), *end))
		return;
	on = true;
	atexit(report);
}

/* Is this call's input the last one's (its size and first LAST_MAX bytes)?
 * If not, keep it. */
static AF_NO_COVERAGE bool same_input(const uint8_t *data, size_t size)
{
	size_t n = size < LAST_MAX ? size : LAST_MAX;
	if (size == lastlen && (n == 0 || memcmp(data, last, n) == 0))
		return true;
	lastlen = size;
	if (n)
		memcpy(last, data, n);
	return false;
}

/* Without coverage: the clock guides nothing, and the targets' maps stay theirs. */
AF_NO_COVERAGE int __wrap_LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (on) {
		run = same_input(data, size) ? run + 1 : 0;
		if (run == 0 && timing)
			total += cpu_s() - start, timing = false;   /* the last file's counted runs end */
		if (run == skip)
			start = cpu_s(), timing = true;
		counted += run >= skip;
	}
	return __real_LLVMFuzzerTestOneInput(data, size);
}
