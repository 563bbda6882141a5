/* The benchmarks behind `allocfuzz bench KIND` (argv[0] is KIND), and the
 * median they report (the machine is shared: means are noise). */
#ifndef ALLOCFUZZ_BENCH_H
#define ALLOCFUZZ_BENCH_H
/* harness/bench_malloc.c: heap_alloc's small-object fast path against glibc
 * malloc on one seeded size sequence. */
int bench_malloc_main(int argc, char **argv);
/* harness/bench_specials.c: span specials against the legacy side tables. */
int bench_specials_main(int argc, char **argv);
/* harness/bench_ops.c: the executor's time per op by program length. */
int bench_ops_main(int argc, char **argv);
/* harness/bench_pages.c: what writing a page again costs after madvise. */
int bench_pages_main(int argc, char **argv);
/* The median of v[0..n) (n > 0); sorts v. */
double bench_median(double *v, int n);
/* CPU time of the process, seconds: a loaded machine inflates every run
 * alike, so runs compared in one process stay comparable. */
double bench_cpu_s(void);
#endif
