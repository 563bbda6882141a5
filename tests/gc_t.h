/* Shared support for the GC/specials tests: every test runs its scenario
 * under the four heap modes (eager/lazy sweep x span/legacy specials) and
 * runs the heap checker after every step. */
#ifndef ALLOCFUZZ_GC_T_H
#define ALLOCFUZZ_GC_T_H
#include "alloc/alloc.h"
#include "alloc/testing.h"   /* mlegacy_is_valid */
#include "tests/t.h"
#include <stdint.h>
#include <string.h>

#define GC_NMODES 4
static const char *const gc_mode_name[GC_NMODES] = {
	"eager/span", "lazy/span", "eager/legacy", "lazy/legacy",
};

static inline heap_t *gc_heap(int mode, int64_t profrate)
{
	heap_config_t cfg;
	heap_t *h = NULL;

	memset(&cfg, 0, sizeof cfg);
	cfg.cap_bytes = (size_t)64 << 20;
	cfg.nprocs = 2;
	cfg.sweep = (mode & 1) ? HEAP_SWEEP_LAZY : HEAP_SWEEP_EAGER;
	cfg.specials = (mode & 2) ? HEAP_SPECIALS_LEGACY : HEAP_SPECIALS_SPAN;
	cfg.profrate = profrate;
	cfg.seed = 42;
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	return h;
}

/* Runs the scenario in every mode; the test's result. */
static inline int gc_main(void (*scenario)(int mode))
{
	for (int m = 0; m < GC_NMODES; m++) {
		fprintf(stderr, "mode %s\n", gc_mode_name[m]);
		scenario(m);
	}
	return T_DONE();
}

/* heap_check after a step; the line says which step broke it. */
#define STEP(h) gc_step((h), __LINE__)
static inline void gc_step(heap_t *h, int line)
{
	heap_check_report_t r;
	alloc_err_t e = heap_check(h, &r);
	char why[256];
	if (e != ALLOC_OK)
		fprintf(stderr, "line %d: heap_check: %s: %s\n", line, r.invariant, r.detail);
	CHECK(e == ALLOC_OK);
	if (heap_config(h)->specials == HEAP_SPECIALS_LEGACY) {
		bool ok = mlegacy_is_valid(h, why, sizeof why);
		if (!ok)
			fprintf(stderr, "line %d: mlegacy_is_valid: %s\n", line, why);
		CHECK(ok);
	}
}

static inline void *gc_alloc(heap_t *h, size_t size, size_t ptrwords)
{
	void *p = NULL;
	REQUIRE(heap_alloc(h, 0, size, ptrwords, 1, &p) == ALLOC_OK && p != NULL);
	STEP(h);
	return p;
}

static inline void gc_collect(heap_t *h)
{
	REQUIRE(heap_gc(h) == ALLOC_OK);
	STEP(h);
}

/* Is p the start of an allocated object? (ensures its span is swept) */
static inline int gc_live(heap_t *h, void *p)
{
	void *base = NULL;
	return heap_find_object(h, p, &base, NULL) == ALLOC_OK && base == p;
}

/* The finalizers one heap_runfinalizers call ran. */
typedef struct finlog {
	void *obj[512];
	uintptr_t fn[512];
	size_t n;
} finlog_t;

static inline void finlog_cb(heap_t *h, void *obj, uintptr_t fn, void *ctx)
{
	finlog_t *l = ctx;
	(void)h;
	if (l->n < 512) {
		l->obj[l->n] = obj;
		l->fn[l->n] = fn;
	}
	l->n++;
}

static inline size_t gc_runfin(heap_t *h, finlog_t *l)
{
	size_t n;
	l->n = 0;
	n = heap_runfinalizers(h, finlog_cb, l);
	STEP(h);
	CHECK_EQ(n, l->n);
	return n;
}

static inline int finlog_has(const finlog_t *l, void *obj)
{
	for (size_t i = 0; i < l->n && i < 512; i++)
		if (l->obj[i] == obj)
			return 1;
	return 0;
}

typedef struct gc_bucket_view { uint64_t allocs, frees, alloc_bytes, free_bytes; uint32_t stack; } gc_bucket_view_t;
static inline void gc_bucket_cb(const heap_bucket_t *b, void *ctx)
{
	gc_bucket_view_t *v = ctx;
	if (b->stack == v->stack) {
		v->allocs = b->allocs;
		v->frees = b->frees;
		v->alloc_bytes = b->alloc_bytes;
		v->free_bytes = b->free_bytes;
	}
}
static inline gc_bucket_view_t gc_bucket(heap_t *h, uint32_t stack)
{
	gc_bucket_view_t v;
	memset(&v, 0, sizeof v);
	v.stack = stack;
	heap_profile(h, gc_bucket_cb, &v);
	return v;
}
#endif
