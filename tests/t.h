/* Minimal test support: each tests/test_*.c is one CTest executable whose
 * name says the property it proves. CHECK failures print and count; main
 * returns non-zero if any failed. */
#ifndef ALLOCFUZZ_T_H
#define ALLOCFUZZ_T_H
#include <stdio.h>
#include <stdlib.h>

static int t_failures;
static int t_checks;
#define CHECK(cond) do { t_checks++; if (!(cond)) { t_failures++; \
	fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); t_checks++; \
	if (_a != _b) { t_failures++; fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld vs %lld)\n", \
	__FILE__, __LINE__, #a, #b, _a, _b); } } while (0)
#define REQUIRE(cond) do { t_checks++; if (!(cond)) { \
	fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); exit(1); } } while (0)
/* Ends main: 0 only if something was checked and nothing failed. */
#define T_DONE() (fprintf(stderr, "%d checks, %d failed\n", t_checks, t_failures), \
	(t_failures == 0 && t_checks > 0) ? 0 : 1)
#endif
