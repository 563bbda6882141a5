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

/* AF_ASAN: built with AddressSanitizer (gcc's macro or clang's feature). */
#if defined(__SANITIZE_ADDRESS__)
#define AF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AF_ASAN 1
#endif
#endif

/* AF_NO_SANITIZE: loops whose sanitizer checks on every load cost more than
 * the loop and can find nothing the caller does not check otherwise. Two
 * uses: scans of the heap's own fixed-size tables (list heads, mcache slots)
 * at indexes their sizes fix, of a structure the caller has already read
 * through an instrumented access (a freed or wild one is reported there),
 * following no pointer they find (mcheck.c); and the executor's word loops
 * over object memory, whose whole range asan_check_range hands to ASan
 * first (exec_check.c). */
#if defined(__clang__)
#define AF_NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))
#else
#define AF_NO_SANITIZE
#endif
#endif
