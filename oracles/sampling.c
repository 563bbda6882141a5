/* The statistical sampling oracle: see sampling.h for the argument. */
#include "oracles/sampling.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Process-wide counts, for campaigns that must say how many checks ran
 * against the false-alarm bound (printed at exit when AF_SAMP_STATS is set;
 * never part of a trace). */
static uint64_t total_checks, total_tests;

void samp_totals(uint64_t *checks, uint64_t *tests)
{
	*checks = total_checks;
	*tests = total_tests;
}

__attribute__((destructor)) static void print_totals(void)
{
	if (getenv("AF_SAMP_STATS"))
		fprintf(stderr, "sampling oracle: %llu checks in %llu inputs (false-alarm bound %g per input)\n",
		        (unsigned long long)total_checks, (unsigned long long)total_tests, SAMP_ALPHA);
}

#define PI2 (3.14159265358979323846 * 3.14159265358979323846)

samp_p_t samp_p_new(int64_t rate)
{
	/* mprof_next_sample: 0 at rates 0 and 1 (fastexprand(0) is 0). */
	if (rate <= 1)
		return (samp_p_t){ .zero = true };
	return (samp_p_t){ .zero = false, .cur = rate };
}

/* Probability that a countdown of mean r has run out within e bytes. */
static double p_sampled(uint64_t e, int64_t r)
{
	double mean = (double)(r > SAMP_MAX_MEAN ? SAMP_MAX_MEAN : r);
	return -expm1(-(double)e / mean);
}

/* ln(1/delta_j) for the j-th forgotten rate (sampling.h). */
static double forget_log(uint32_t j)
{
	return -log(SAMP_ALPHA / 2 * 6 / PI2) + 2 * log((double)j);
}

bool samp_skip;

void samp_alloc(samp_test_t *t, samp_p_t *p, int64_t rate, uint64_t e, double *lo, double *hi)
{
	*lo = *hi = 0;
	if (rate <= 0 || samp_skip)
		return;             /* not profiling: the countdown is left alone */
	if (rate == 1) {
		*lo = *hi = 1;      /* every block, and the countdown becomes 0 */
		*p = samp_p_new(1);
		return;
	}
	if (p->zero) {
		*lo = *hi = 1;      /* a zero countdown samples, then one is drawn at rate */
		*p = samp_p_new(rate);
		return;
	}
	if (p->cur != rate) {
		/* The old rate's countdown may still run: keep it (merging the two
		 * oldest entries, conservatively, when the table is full). */
		if (p->nold == SAMP_OLD) {
			if (p->old[1].rlo > p->old[0].rlo)
				p->old[1].rlo = p->old[0].rlo;
			if (p->old[1].rhi < p->old[0].rhi)
				p->old[1].rhi = p->old[0].rhi;
			if (p->old[1].bytes > p->old[0].bytes)
				p->old[1].bytes = p->old[0].bytes;
			for (int i = 1; i < SAMP_OLD; i++)
				p->old[i - 1] = p->old[i];
			p->nold--;
		}
		p->old[p->nold].rlo = p->old[p->nold].rhi = p->cur;
		p->old[p->nold++].bytes = 0;
		p->cur = rate;
	}
	/* Forget old countdowns that have run out but for delta_j. */
	for (int i = 0; i < p->nold;) {
		if ((double)p->old[i].bytes >= (double)p->old[i].rhi * forget_log(t->nforgot + 1)) {
			t->nforgot++;
			p->old[i] = p->old[--p->nold];
		} else {
			i++;
		}
	}
	/* p(e, r) falls as r grows: the largest mean gives the lowest chance. */
	int64_t rmin = p->cur, rmax = p->cur;
	for (int i = 0; i < p->nold; i++) {
		if (p->old[i].rlo < rmin)
			rmin = p->old[i].rlo;
		if (p->old[i].rhi > rmax)
			rmax = p->old[i].rhi;
		p->old[i].bytes += e;
	}
	*lo = p_sampled(e, rmax);
	*hi = p_sampled(e, rmin);
	*lo = *lo > SAMP_EPS ? *lo - SAMP_EPS : 0;
	*hi = *hi + SAMP_EPS < 1 ? *hi + SAMP_EPS : 1;
}

/* Chernoff for a Poisson(mu) (or any sum dominated by one): log of
 * exp(-mu) (e mu / k)^k. */
static double chernoff_log(double mu, double k)
{
	if (k == 0)
		return -mu;
	if (mu == 0)
		return -INFINITY;
	return -mu + k * (1 + log(mu / k));
}

double samp_log_tail_upper(double mu, uint64_t k)
{
	return (double)k > mu ? chernoff_log(mu, (double)k) : 0;
}

double samp_log_tail_lower(double mu, uint64_t k)
{
	return (double)k < mu ? chernoff_log(mu, (double)k) : 0;
}

bool samp_check(samp_test_t *t, uint64_t k, char *why, size_t whylen)
{
	if (t->n == 0 || samp_skip)
		return true;
	/* Same data as the last check (another heap lane, or no publish since):
	 * the same share of the budget, not a new one. */
	if (t->n != t->checked_n) {
		t->checked_n = t->n;
		t->nchecks++;
		total_checks++;
		total_tests += t->nchecks == 1;
	}
	double j = t->nchecks ? t->nchecks : 1;
	double budget = log(SAMP_ALPHA / 2 * 6 / PI2) - 2 * log(j);
	double up = samp_log_tail_upper(t->mu_hi, k), low = samp_log_tail_lower(t->mu_lo, k);
	if (k > t->n) {
		snprintf(why, whylen, "sampling: %llu sampled records but only %llu allocations could be sampled",
		         (unsigned long long)k, (unsigned long long)t->n);
		return false;
	}
	if (up < budget || low < budget) {
		snprintf(why, whylen, "sampling at rate > 1: %llu of %llu allocations sampled, expected "
		         "%.1f..%.1f (P <= %.3g, false-alarm share %.3g)",
		         (unsigned long long)k, (unsigned long long)t->n, t->mu_lo, t->mu_hi,
		         exp(up < low ? up : low), exp(budget));
		return false;
	}
	return true;
}
