/* The sampling oracle (oracles/sampling.h) accepts streams drawn the way
 * Go's sampler draws them (a geometric byte countdown per P, simulated here
 * with a generator of the test's own, not alloc/mprof.c), also across rate
 * changes, and finds a sampler whose mean is twice the rate; its Chernoff
 * bound agrees with the exact Poisson tail where that is known. */
#include "t.h"
#include "oracles/sampling.h"

#include <math.h>
#include <stdint.h>

static uint64_t rng;
static double uniform01(void)  /* (0, 1] */
{
	uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	return ((double)(z >> 11) + 1) / 9007199254740992.0;
}
/* floor(E) + 1, E exponential with the given mean (Go's fastexprand shape). */
static int64_t countdown(double mean) { return (int64_t)(-log(uniform01()) * mean) + 1; }

typedef struct seg { int64_t rate; uint64_t size; int n; } seg_t;

/* Runs the segments through one simulated P whose sampler has mean
 * factor * rate; returns whether the oracle accepts. */
static bool run(const seg_t *segs, int nseg, double factor, uint64_t seed)
{
	rng = seed;
	samp_p_t p = samp_p_new(segs[0].rate);
	int64_t next = segs[0].rate > 1 ? countdown(factor * (double)segs[0].rate) : 0;
	samp_test_t t = {0};
	uint64_t k = 0;
	char why[200];
	for (int s = 0; s < nseg; s++) {
		for (int i = 0; i < segs[s].n; i++) {
			double lo, hi;
			uint64_t e = segs[s].size;
			samp_alloc(&t, &p, segs[s].rate, e, &lo, &hi);
			bool sampled;
			if (segs[s].rate == 1) {
				next = 0;   /* rate 1: every block, countdown 0 */
				sampled = true;
			} else if ((int64_t)e < next) {
				next -= (int64_t)e;
				sampled = false;
			} else {
				next = countdown(factor * (double)segs[s].rate);
				sampled = true;
			}
			t.mu_lo += lo, t.mu_hi += hi, t.n++;
			k += sampled;
		}
		/* a check after every segment, as after every gc */
		if (!samp_check(&t, k, why, sizeof why))
			return false;
	}
	return true;
}

int main(void)
{
	/* Chernoff against the exact Poisson(10) tails: bound >= truth. */
	double exact_ge20 = 0, term = exp(-10);
	for (int k = 0; k < 200; k++, term *= 10.0 / k)
		if (k >= 20)
			exact_ge20 += term;
	CHECK(samp_log_tail_upper(10, 20) >= log(exact_ge20));
	CHECK(samp_log_tail_upper(10, 20) < log(exact_ge20) + 3);   /* and not useless */
	CHECK(samp_log_tail_lower(10, 0) == -10);                   /* P(0) exactly */
	CHECK(samp_log_tail_upper(10, 5) == 0 && samp_log_tail_lower(10, 15) == 0);

	/* Rate 1 is certain; rate 0 samples nothing. */
	samp_test_t t0 = {0};
	samp_p_t p = samp_p_new(0);
	double lo, hi;
	samp_alloc(&t0, &p, 0, 100, &lo, &hi);
	CHECK(lo == 0 && hi == 0);
	samp_alloc(&t0, &p, 1, 100, &lo, &hi);
	CHECK(lo == 1 && hi == 1);
	/* After rate 1 the countdown is 0: the next allocation is sampled. */
	samp_alloc(&t0, &p, 512, 100, &lo, &hi);
	CHECK(lo == 1 && hi == 1);
	samp_alloc(&t0, &p, 512, 512, &lo, &hi);
	CHECK(fabs(lo - (1 - exp(-1))) < 1e-6 && fabs(hi - (1 - exp(-1))) < 1e-6);
	/* From 512 to 4096: the old countdown (mean 512) may still run... */
	samp_alloc(&t0, &p, 4096, 512, &lo, &hi);
	CHECK(lo < 0.2 && hi > 0.6);
	/* ...until 512 ln(1/delta_1) (about 15 KB) more bytes were allocated. */
	for (int i = 0; i < 40; i++)
		samp_alloc(&t0, &p, 4096, 512, &lo, &hi);
	CHECK_EQ(t0.nforgot, 1);
	CHECK(fabs(lo - hi) < 1e-6 && fabs(lo - (1 - exp(-512.0 / 4096))) < 1e-6);

	const seg_t steady[] = { {512, 256, 600}, {512, 48, 300}, {512, 8192, 200} };
	const seg_t changes[] = { {4096, 2048, 400}, {512, 256, 600}, {8192, 8192, 200}, {1, 16, 10}, {512, 512, 300} };
	int false_alarms = 0, found = 0, found_changes = 0;
	for (uint64_t seed = 1; seed <= 2000; seed++) {
		false_alarms += !run(steady, 3, 1.0, seed);
		false_alarms += !run(changes, 5, 1.0, seed);
	}
	for (uint64_t seed = 1; seed <= 200; seed++) {
		found += !run(steady, 3, 2.0, seed);
		found_changes += !run(changes, 5, 2.0, seed);
	}
	fprintf(stderr, "false alarms %d of 4000 correct streams; doubled mean found in %d/200 and %d/200\n",
	        false_alarms, found, found_changes);
	CHECK_EQ(false_alarms, 0);
	CHECK(found >= 198);
	CHECK(found_changes >= 190);
	/* Half the mean (twice the samples) is found too. */
	int found_half = 0;
	for (uint64_t seed = 1; seed <= 200; seed++)
		found_half += !run(steady, 3, 0.5, seed);
	CHECK(found_half >= 190);
	return T_DONE();
}
