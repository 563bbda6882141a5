/* bench: allocator benchmarks. `bench malloc` compares heap_alloc's small
 * object path with glibc malloc (harness/bench_malloc.c). */
#include "harness/bench_malloc.h"
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "malloc") == 0)
		return bench_malloc_main(argc - 1, argv + 1);
	fprintf(stderr, "usage: bench malloc [options]   (bench malloc --help for options)\n");
	return 2;
}
