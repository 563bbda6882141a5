/*
 * The plain replay driver linked into every <target>_replay: runs each file
 * named on the command line (directories: every file below them, in name
 * order) through the target's LLVMFuzzerTestOneInput, so any machine
 * reproduces a fuzzer's input without libFuzzer or AFL++.
 *
 * One line per input. A finding makes the target print its report and
 * abort(), so the process ends with a non-zero status at the first finding.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* alloc/testing.h's, weak: the floor's replay links no allocator. */
extern const char *heap_skip_checks __attribute__((weak));

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int nfiles;
/* --bench R (ci/bench): each input runs once untimed, then R times, quietly,
 * and its CPU time per execution is printed as "time US PATH"; the total at
 * the end. The untimed run faults in the pages the input needs, as they stay
 * in a campaign's long-lived process (heap_reset keeps them). */
static int bench_runs;
static double bench_total_us;
static long long bench_execs;

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 2;
	}
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);
	for (size_t k; buf && (k = fread(buf + n, 1, cap - n, f)) > 0;) {
		n += k;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (!buf) {
		fprintf(stderr, "replay: out of memory\n");
		return 2;
	}
	/* an exact-size copy, so ASan sees reads past the input */
	uint8_t *in = malloc(n ? n : 1);
	memcpy(in, buf, n);
	free(buf);
	if (bench_runs) {
		LLVMFuzzerTestOneInput(in, n);
		double t0 = cpu_us();
		for (int r = 0; r < bench_runs; r++)
			LLVMFuzzerTestOneInput(in, n);
		double us = cpu_us() - t0;
		bench_total_us += us;
		bench_execs += bench_runs;
		printf("time %.1f %s\n", us / bench_runs, path);
		free(in);
		fflush(stdout);
		nfiles++;
		return 0;
	}
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
	LLVMFuzzerTestOneInput(in, n);
	free(in);
	printf("ok %s\n", path);
	fflush(stdout);
	nfiles++;
	return 0;
}

static int run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	struct dirent **ents;
	int n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 2;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		if (nm[0] != '.' && !rc) {
			size_t len = strlen(path) + strlen(nm) + 2;
			char *sub = malloc(len);
			snprintf(sub, len, "%s/%s", path, nm);
			rc = run_path(sub);
			free(sub);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(stderr, "usage: %s [--bench R [--skip-checks LIST]] FILE|DIR...\n"
		        "Runs each input through the fuzz target (directories recursively, in name\n"
		        "order) and prints 'ok PATH' per input. A finding prints the target's report\n"
		        "and aborts (non-zero exit).\n"
		        "--bench R: run each input once untimed (warm pages, as in a campaign), then R\n"
		        "times, and print 'time US PATH' (CPU microseconds per execution), then\n"
		        "'bench: EXECS execs CPU_S s EXECS_PER_S execs/s'.\n"
		        "--skip-checks LIST: with --bench only, to price checks (ci/bench): do not\n"
		        "compute these (comma-separated: heap_check and observe, the executor's\n"
		        "heap checker and whole observation points; the heap checker's own names\n"
		        "as allocfuzz bench exec --help lists them). Never for finding bugs.\n", argv[0]);
		return argc < 2 ? 2 : 0;
	}
	for (int i = 1; i + 1 < argc; i++) {
		if (!strcmp(argv[i], "--bench") && (bench_runs = atoi(argv[i + 1])) < 1) {
			fprintf(stderr, "replay: --bench takes a positive count\n");
			return 2;
		}
		if (!strcmp(argv[i], "--skip-checks") && !&heap_skip_checks) {
			fprintf(stderr, "replay: this target has no checks to skip\n");
			return 2;
		}
		if (!strcmp(argv[i], "--skip-checks"))
			heap_skip_checks = argv[i + 1];
	}
	if (&heap_skip_checks && heap_skip_checks && !bench_runs) {
		fprintf(stderr, "replay: --skip-checks is for --bench only (it weakens the checks)\n");
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bench") || !strcmp(argv[i], "--skip-checks")) {
			i++;
			continue;
		}
		if (argv[i][0] == '-')
			continue;   /* libFuzzer-style flags are accepted and ignored */
		int rc = run_path(argv[i]);
		if (rc)
			return rc;
	}
	if (bench_runs)
		printf("bench: %lld execs %.3f s %.1f execs/s\n", bench_execs, bench_total_us / 1e6,
		       bench_total_us > 0 ? bench_execs / (bench_total_us / 1e6) : 0.0);
	fprintf(stderr, "replay: %d inputs, no finding\n", nfiles);
	return 0;
}
