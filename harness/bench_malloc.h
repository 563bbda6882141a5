/* `allocfuzz bench malloc` / `bench malloc`: the small-object fast path of
 * heap_alloc against glibc malloc on one seeded size sequence. */
#ifndef ALLOCFUZZ_BENCH_MALLOC_H
#define ALLOCFUZZ_BENCH_MALLOC_H
int bench_malloc_main(int argc, char **argv);  /* argv[0] is "malloc" */
#endif
