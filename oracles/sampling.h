/*
 * The statistical oracle for heap-profile sampling at MemProfileRate > 1
 * (the reference model's exact bounds cover rates 0 and 1 only).
 *
 * Go's sampler (malloc.go: nextSample, fastexprand; mallocgc's profilealloc)
 * keeps a byte countdown per P: an allocation of rounded size e is sampled
 * when the countdown is <= e, and the countdown is then drawn afresh as
 * floor(E) + 1 with E exponential of mean min(rate, 0x7000000); otherwise it
 * drops by e. floor(E) + 1 is geometric: P(countdown > x) = exp(-x / mean)
 * for every integer x, so the countdown is memoryless and, whatever came
 * before, an allocation is sampled with probability exactly
 *     p(e, r) = 1 - exp(-e / r)
 * where r is the mean its countdown was drawn with. That r is the current
 * rate except right after a rate change: a countdown drawn at an old rate r'
 * runs out first. It has run out, whatever happened before, once the P
 * allocated B bytes since the change with B >= r' ln(1/delta), except with
 * probability exp(-B/r') <= delta (memoryless again). So each P carries the
 * means its countdown may still have (the current rate, old rates with the
 * bytes allocated since they stopped being current, or "zero": the next
 * allocation is sampled for sure, as after rate 0 or 1), and an old rate is
 * forgotten once its B is reached; the j-th such step of one input is
 * wrong with probability delta_j = (alpha/2) 6/(pi^2 j^2). Each allocation
 * then gets a probability range [lo, hi] over the means still possible,
 * which holds whatever happened before (conditionally on the past).
 *
 * The test (samp_check): the number K of sampled allocations among N scored
 * ones, with mu_lo = sum lo and mu_hi = sum hi. For t > 0,
 * E[exp(tK)] <= prod(1 + hi (e^t - 1)) <= exp(mu_hi (e^t - 1)) by
 * conditioning allocation by allocation (likewise for t < 0 with lo), so the
 * Chernoff bounds of a Poisson hold:
 *     P(K >= k) <= exp(-mu_hi) (e mu_hi / k)^k     for k > mu_hi
 *     P(K <= k) <= exp(-mu_lo) (e mu_lo / k)^k     for k < mu_lo
 * A check fails when either bound is below its share of the false-alarm
 * budget: the j-th check of one input gets (alpha/2) 6/(pi^2 j^2). The
 * shares of checks and of forgotten rates sum to alpha, so one input (one
 * heap lane) raises a false alarm with probability at most alpha =
 * SAMP_ALPHA = 1e-6, however long it is and however often it is checked.
 * (The countdown's uniform draw has 2^-26 resolution; lo and hi are widened
 * by SAMP_EPS per allocation to cover it.)
 */
#ifndef ALLOCFUZZ_SAMPLING_H
#define ALLOCFUZZ_SAMPLING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SAMP_ALPHA 1e-6          /* false alarms per input, at most */
#define SAMP_EPS   1e-7          /* > 2^-26: the uniform draw's resolution */
#define SAMP_MAX_MEAN 0x7000000  /* fastexprand caps the mean */

/* The running test of one input. */
typedef struct samp_test {
	double mu_lo, mu_hi;   /* sums over the scored (published) allocations */
	uint64_t n;            /* how many */
	uint64_t checked_n;    /* n at the last check (a check repeats only on new data) */
	uint32_t nchecks;      /* checks done so far (the budget share of the next) */
	uint32_t nforgot;      /* old rates forgotten so far (likewise) */
} samp_test_t;

#define SAMP_OLD 4
/* The means a P's countdown may have been drawn with. */
typedef struct samp_p {
	bool zero;             /* the countdown is 0: the next allocation is sampled */
	int64_t cur;           /* the rate it last allocated at (> 1), or 0 */
	int nold;
	struct { int64_t rlo, rhi; uint64_t bytes; } old[SAMP_OLD];
} samp_p_t;

/* A P's countdown as mcache_new draws it at rate r. */
samp_p_t samp_p_new(int64_t rate);
/* An allocation of rounded size e at the current rate on a P: its sampling
 * probability range, and the P's state after it. Rate 0: nothing happens
 * (lo = hi = 0); rate 1: certain (1, 1). */
void samp_alloc(samp_test_t *t, samp_p_t *p, int64_t rate, uint64_t e, double *lo, double *hi);

/* log P(Poisson(mu) >= k) bound (upper tail), or log P(<= k) (lower); 0 when
 * k is on the other side of mu (no evidence). */
double samp_log_tail_upper(double mu, uint64_t k);
double samp_log_tail_lower(double mu, uint64_t k);
/* Checks k sampled allocations against t (when t has new data since the last
 * check); false with why filled on a finding. */
bool samp_check(samp_test_t *t, uint64_t k, char *why, size_t whylen);
/* Checks done (with new data) and tests (inputs x lanes' models) that did
 * at least one, since the process started. */
void samp_totals(uint64_t *checks, uint64_t *tests);
/* Measurement only (allocfuzz bench exec --skip-checks sampling): the
 * oracle neither scores allocations nor checks. */
extern bool samp_skip;

#endif
