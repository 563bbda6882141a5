/* AF_NO_COVERAGE: a walk that guides nothing (its compares are addresses and
 * bits or pattern words, and it fails only on a bug) is built without edge
 * coverage and comparison tracing: in the fuzz preset those would cost more
 * than the walk and steer libFuzzer nowhere. Shared by alloc/ (internal.h),
 * the white-box harness and the black-box executor (exec_internal.h). */
#ifndef ALLOCFUZZ_NO_COVERAGE_H
#define ALLOCFUZZ_NO_COVERAGE_H
#if defined(__clang__)
#define AF_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define AF_NO_COVERAGE
#endif
#endif
