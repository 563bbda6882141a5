/*
 * allocfuzz bench specials: Go commit 020b39c3's memory table, measured on
 * this port for both designs in one run. The commit message reported:
 *
 *   finalizers   old 680 B + 80 B/object (avg)   new 16 B/span + 48 B/object
 *   profile      old 32 KB + 24 B/object + hash  new 16 B/span + 24 B/object
 *
 * For each design (span specials, legacy tables) and each kind of record,
 * a fresh heap gets N objects of 32 bytes (N = 1, 1000, 100000) and a
 * record on each (a finalizer, or a profile sample at rate 1). The metadata
 * is what the allocator itself accounts: stats.specials_inuse (span
 * records), stats.legacy_inuse (the 2013 tables, address hash and special
 * bit tables' headers) and, shown apart since both designs share it,
 * stats.buckhash_sys (profile buckets). Per object is the slope between
 * 1000 and 100000 objects; fixed is what is left at N = 0 by that line.
 * Deterministic: no clock, the same numbers every run. White-box
 * (AF_WHITEBOX): it reads the specials' and legacy tables' record sizes.
 */
#define AF_WHITEBOX
#include "harness/bench.h"
#include "alloc/testing.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KIND_FIN, KIND_PROF };
static const size_t counts[3] = { 1, 1000, 100000 };

typedef struct result {
	uint64_t meta[3];      /* specials_inuse + legacy_inuse after N records */
	uint64_t meta0;        /* the same with no record */
	uint64_t sys[3];       /* specials_sys (span) for the chunk view */
	uint64_t buck[3];      /* buckhash_sys */
} result_t;

static uint64_t meta_of(heap_t *h, uint64_t *sys, uint64_t *buck)
{
	heap_stats_t st;
	heap_read_stats(h, &st);
	if (sys)
		*sys = st.specials_sys;
	if (buck)
		*buck = st.buckhash_sys;
	return st.specials_inuse + st.legacy_inuse;
}

/* One heap: n objects, a record on each. Returns 0 on success. */
static int measure(heap_specials_mode_t design, int kind, size_t n, uint64_t *meta0,
                   uint64_t *meta, uint64_t *sys, uint64_t *buck)
{
	heap_config_t cfg;
	heap_t *h = NULL;
	void **objs = calloc(n, sizeof *objs);

	memset(&cfg, 0, sizeof cfg);
	cfg.cap_bytes = (size_t)256 << 20;
	cfg.specials = design;
	cfg.profrate = kind == KIND_PROF ? 1 : 0;
	if (objs == NULL || heap_new(&cfg, &h) != ALLOC_OK) {
		free(objs);
		return 1;
	}
	*meta0 = meta_of(h, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		if (heap_alloc(h, 0, 32, 0, 1, &objs[i]) != ALLOC_OK)
			goto fail;
		if (kind == KIND_FIN && heap_setfinalizer(h, objs[i], 32, 0, 0x1000 + i) != ALLOC_OK)
			goto fail;
	}
	*meta = meta_of(h, sys, buck);
	heap_destroy(h);
	free(objs);
	return 0;
fail:
	fprintf(stderr, "bench specials: allocation or SetFinalizer failed at object %zu\n", n);
	heap_destroy(h);
	free(objs);
	return 1;
}

static double slope_of(const result_t *r)
{
	return (double)(r->meta[2] - r->meta[1]) / (double)(counts[2] - counts[1]);
}

/* The legacy tables grow x3 in steps, so their cost per object depends on
 * where N falls between two resizes (between 1/4 and 3/4 full): the commit
 * gave an average; so do we, over N log-spaced in [1000, 100000]. */
static int legacy_fin_average(double *avg, double *lo, double *hi)
{
	enum { POINTS = 25 };
	double sum = 0, n = 1000;
	*lo = 1e30, *hi = 0;
	for (int i = 0; i < POINTS; i++, n *= 1.2115276586285884 /* 100^(1/24) */) {
		uint64_t m0, m, sys, buck;
		if (measure(HEAP_SPECIALS_LEGACY, KIND_FIN, (size_t)n, &m0, &m, &sys, &buck))
			return 1;
		double per = (double)(m - m0) / (double)(size_t)n;
		sum += per;
		*lo = per < *lo ? per : *lo;
		*hi = per > *hi ? per : *hi;
	}
	*avg = sum / POINTS;
	return 0;
}

int bench_specials_main(int argc, char **argv)
{
	static const char *const design_name[2] = { "span", "legacy" };
	static const char *const kind_name[2] = { "finalizer", "profile" };
	result_t res[2][2];

	if (argc > 1) {
		fprintf(stderr, "usage: allocfuzz bench specials\n"
		        "  prints commit 020b39c3's finalizer/profile metadata table for both designs\n");
		return strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	for (int d = 0; d < 2; d++)
		for (int k = 0; k < 2; k++)
			for (int i = 0; i < 3; i++)
				if (measure(d == 0 ? HEAP_SPECIALS_SPAN : HEAP_SPECIALS_LEGACY, k, counts[i],
				            &res[d][k].meta0, &res[d][k].meta[i], &res[d][k].sys[i],
				            &res[d][k].buck[i]))
					return 1;

	double avg, lo, hi;
	if (legacy_fin_average(&avg, &lo, &hi))
		return 1;
	size_t perspan = sizeof(special_t *) + sizeof(lock_t);

	printf("bench specials: metadata bytes for N objects of 32 B with one record each\n"
	       "(stats.specials_inuse + stats.legacy_inuse, minus the same heap with no record)\n\n");
	printf("%-7s %-10s %10s %10s %10s\n", "design", "record", "N=1", "N=1000", "N=100000");
	for (int k = 0; k < 2; k++)
		for (int d = 0; d < 2; d++)
			printf("%-7s %-10s %10llu %10llu %10llu\n", design_name[d], kind_name[k],
			       (unsigned long long)(res[d][k].meta[0] - res[d][k].meta0),
			       (unsigned long long)(res[d][k].meta[1] - res[d][k].meta0),
			       (unsigned long long)(res[d][k].meta[2] - res[d][k].meta0));

	printf("\n%-16s %-34s %s\n", "", "this port: overhead + per object", "commit 020b39c3");
	printf("%-16s %6zu B + %5.1f B avg (%.1f..%.1f)    %s\n", "finalizers old",
	       (size_t)res[1][0].meta0, avg, lo, hi, "680 B + 80 B avg");
	printf("%-16s %6zu B/span + %5.1f B                %s\n", "finalizers new",
	       perspan, slope_of(&res[0][0]), "16 B/span + 48 B");
	printf("%-16s %6.0f B + %5.1f B (entries + hash)   %s\n", "profile old",
	       (double)res[1][1].meta[1] - (double)res[1][1].meta0 - slope_of(&res[1][1]) * (double)counts[1],
	       slope_of(&res[1][1]), "32 KB + 24 B + hash tables");
	printf("%-16s %6zu B/span + %5.1f B                %s\n", "profile new",
	       perspan, slope_of(&res[0][1]), "16 B/span + 24 B");

	printf("\nper span: list head %zu B + lock %zu B, inside mspan (stats.mspan_inuse)\n",
	       sizeof(special_t *), sizeof(lock_t));
	printf("records: finalizer %zu B, profile %zu B; fixalloc chunks at N=100000: "
	       "specials_sys %llu / %llu B\n", sizeof(special_finalizer_t), sizeof(special_profile_t),
	       (unsigned long long)res[0][0].sys[2], (unsigned long long)res[0][1].sys[2]);
	printf("legacy finalizer tables: %d headers of %zu B always present; slots of %zu B, "
	       "kept 1/4..3/4 full\n", LEGACY_TABSZ, sizeof(fintab_t), 2 * sizeof(uintptr_t));
	printf("profile buckets (both designs, stats.buckhash_sys): %llu B for 1 stack\n",
	       (unsigned long long)res[0][1].buck[2]);
	return 0;
}
