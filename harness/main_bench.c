/* bench: allocator and executor benchmarks. `bench malloc` compares
 * heap_alloc's small object path with glibc malloc (harness/bench_malloc.c);
 * `bench ops` is the executor's time per op by program length
 * (harness/bench_ops.c, used by ci/bench). */
#include "harness/bench_malloc.h"
#include <stdio.h>
#include <string.h>

/* harness/bench_ops.c */
int bench_ops_main(int argc, char **argv);

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "malloc") == 0)
		return bench_malloc_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "ops") == 0)
		return bench_ops_main(argc - 1, argv + 1);
	fprintf(stderr, "usage: bench malloc|ops [options]   (bench KIND --help for options)\n");
	return argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? 0 : 2;
}
