/* Eager and lazy sweeping, span and legacy specials: the same scripted
 * scenario observes the same everywhere. A seeded script allocates (tiny,
 * small, large, scan and noscan, on two Ps), stores pointers (interior
 * ones too), sets roots, sets and removes finalizers, frees explicitly,
 * sweeps a few spans by hand, and collects; finalizers allocate, resurrect
 * and re-arm their objects. Observed, by object number (addresses may
 * differ): every error code, the finalizers run after each cycle, which
 * objects died in each cycle, the memstats object counts and the profile.
 * heap_check runs after every step. */
#include "tests/gc_t.h"
#include <stdlib.h>

#define MAXOBJ 512
#define MAXLOG 200000

typedef struct finrec { int id; uintptr_t off, fn; } finrec_t;

typedef struct run {
	heap_t *h;
	uint64_t rng;
	uintptr_t addr[MAXOBJ];   /* 0: dead or never allocated */
	size_t size[MAXOBJ], ptrwords[MAXOBJ];
	int nobj;
	uint64_t *log;
	size_t nlog;
	finrec_t fin[1024];
	int nfin;
} run_t;

static void emit(run_t *r, uint64_t v)
{
	if (r->nlog < MAXLOG)
		r->log[r->nlog] = v;
	r->nlog++;
}

static uint64_t rnd(run_t *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return r->rng;
}

static int id_of(run_t *r, uintptr_t p, uintptr_t *off)
{
	for (int i = 0; i < r->nobj; i++)
		if (r->addr[i] && p >= r->addr[i] && p < r->addr[i] + r->size[i]) {
			*off = p - r->addr[i];
			return i;
		}
	return -1;
}

/* a random live object, or -1 */
static int pick(run_t *r, bool scan)
{
	int start = (int)(rnd(r) % (uint64_t)(r->nobj ? r->nobj : 1));
	for (int k = 0; k < r->nobj; k++) {
		int i = (start + k) % r->nobj;
		if (r->addr[i] && (!scan || r->ptrwords[i] > 0))
			return i;
	}
	return -1;
}

static void fin_cb(heap_t *h, void *obj, uintptr_t fn, void *ctx)
{
	run_t *r = ctx;
	uintptr_t off = 0;
	void *junk;
	int id = id_of(r, (uintptr_t)obj, &off);

	CHECK(id >= 0);
	if (r->nfin < 1024) {
		r->fin[r->nfin].id = id;
		r->fin[r->nfin].off = off;
		r->fin[r->nfin].fn = fn;
	}
	r->nfin++;
	CHECK_EQ(heap_alloc(h, 1, 24, 0, 99, &junk), ALLOC_OK);  /* garbage */
}

static int fin_cmp(const void *a, const void *b)
{
	const finrec_t *x = a, *y = b;
	if (x->id != y->id)
		return x->id - y->id;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->fn < y->fn ? -1 : x->fn > y->fn;
}

static void bucket_cb(const heap_bucket_t *b, void *ctx)
{
	run_t *r = ctx;
	emit(r, b->stack);
	emit(r, b->allocs);
	emit(r, b->frees);
	emit(r, b->alloc_bytes);
	emit(r, b->free_bytes);
}

static void collect(run_t *r)
{
	heap_t *h = r->h;
	heap_stats_t st;

	emit(r, 0xC011EC7);
	CHECK_EQ(heap_gc(h), ALLOC_OK);
	STEP(h);
	heap_finish_sweep(h);
	/* who died this cycle (before a finalizer's allocation can reuse their memory) */
	for (int i = 0; i < r->nobj; i++) {
		if (r->addr[i] && heap_find_object(h, (void *)r->addr[i], NULL, NULL) != ALLOC_OK) {
			emit(r, 0xDEAD0000u | (uint64_t)i);
			r->addr[i] = 0;
		}
	}
	r->nfin = 0;
	heap_runfinalizers(h, fin_cb, r);
	STEP(h);
	emit(r, (uint64_t)r->nfin);
	if (r->nfin > 1024)
		r->nfin = 1024;
	qsort(r->fin, (size_t)r->nfin, sizeof r->fin[0], fin_cmp);
	for (int i = 0; i < r->nfin; i++) {
		int id = r->fin[i].id;
		emit(r, (uint64_t)id << 32 | r->fin[i].off);
		emit(r, r->fin[i].fn);
		if (id % 3 == 0)        /* resurrect */
			heap_roots(h)[48 + id % 16] = r->addr[id] + r->fin[i].off;
		else if (id % 4 == 1)   /* re-arm */
			CHECK_EQ(heap_setfinalizer(h, (void *)(r->addr[id] + r->fin[i].off), 1, 0,
			                           r->fin[i].fn + 1), ALLOC_OK);
	}
	STEP(h);
	heap_read_stats(h, &st);
	emit(r, st.heap_objects);
	emit(r, st.nmalloc);
	emit(r, st.nfree);
	emit(r, st.tiny_allocs);
	emit(r, st.heap_alloc);
	heap_profile(h, bucket_cb, r);
}

static void step(run_t *r)
{
	heap_t *h = r->h;
	uint64_t op = rnd(r) % 100;
	int a, b;

	if (op < 35 && r->nobj < MAXOBJ) {
		size_t size, pw = 0;
		uint64_t k = rnd(r) % 10;
		void *p = NULL;
		if (k < 3)
			size = 1 + rnd(r) % 15;
		else if (k < 9)
			size = 16 + rnd(r) % 2000;
		else
			size = 33000 + rnd(r) % 60000;
		if (size >= 16 && rnd(r) % 2)
			pw = 1 + rnd(r) % (size / 8 < 6 ? size / 8 : 6);
		alloc_err_t e = heap_alloc(h, (int)(rnd(r) % 2), size, pw, (uint32_t)(r->nobj % 7), &p);
		emit(r, e);
		if (e == ALLOC_OK) {
			r->addr[r->nobj] = (uintptr_t)p;
			r->size[r->nobj] = size;
			r->ptrwords[r->nobj] = pw;
			r->nobj++;
		}
	} else if (op < 55) {
		if ((a = pick(r, true)) < 0)
			return;
		b = pick(r, false);
		uintptr_t v = b < 0 || rnd(r) % 5 == 0 ? 0 : r->addr[b] + rnd(r) % r->size[b];
		((uintptr_t *)r->addr[a])[rnd(r) % r->ptrwords[a]] = v;
	} else if (op < 65) {
		b = pick(r, false);
		heap_roots(h)[rnd(r) % 48] = b < 0 || rnd(r) % 3 == 0 ? 0 : r->addr[b] + rnd(r) % r->size[b];
	} else if (op < 77) {
		if ((a = pick(r, false)) < 0)
			return;
		/* tiny-able element types may name an inner byte */
		uintptr_t off = r->size[a] < 16 ? rnd(r) % r->size[a] : 0;
		uintptr_t fn = rnd(r) % 4 == 0 ? 0 : 0x1000 + (uintptr_t)a * 16;
		emit(r, heap_setfinalizer(h, (void *)(r->addr[a] + off), r->size[a] - off,
		                          r->ptrwords[a], fn));
	} else if (op < 85) {
		if ((a = pick(r, false)) < 0)
			return;
		alloc_err_t e = heap_free(h, (int)(rnd(r) % 2), (void *)r->addr[a]);
		emit(r, e);
		if (e == ALLOC_OK) {
			/* nothing may point at it any more */
			uintptr_t lo = r->addr[a], hi = lo + r->size[a];
			r->addr[a] = 0;
			for (int i = 0; i < HEAP_NROOTS; i++) {
				uintptr_t v = heap_roots(h)[i];
				if (v >= lo && v < hi)
					heap_roots(h)[i] = 0;
			}
			for (int i = 0; i < r->nobj; i++)
				for (size_t w = 0; r->addr[i] && w < r->ptrwords[i]; w++) {
					uintptr_t *slot = (uintptr_t *)r->addr[i] + w;
					if (*slot >= lo && *slot < hi)
						*slot = 0;
				}
		}
	} else if (op < 90) {
		heap_sweepone(h);   /* a no-op in eager mode */
	} else {
		collect(r);
	}
	STEP(h);
}

static void script(run_t *r, int mode, uint64_t seed, int64_t rate, int nsteps)
{
	memset(r->addr, 0, sizeof r->addr);
	r->nobj = 0;
	r->nlog = 0;
	r->rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	r->h = gc_heap(mode, rate);
	for (int i = 0; i < nsteps; i++)
		step(r);
	collect(r);
	collect(r);
	heap_destroy(r->h);
}

int main(void)
{
	static run_t runs[GC_NMODES];
	const int64_t rates[] = { 1, 4096, 0 };

	for (int m = 0; m < GC_NMODES; m++)
		runs[m].log = calloc(MAXLOG, sizeof(uint64_t));
	for (uint64_t seed = 1; seed <= 6; seed++) {
		int64_t rate = rates[seed % 3];
		for (int m = 0; m < GC_NMODES; m++)
			script(&runs[m], m, seed, rate, 400);
		CHECK(runs[0].nlog > 100);
		for (int m = 1; m < GC_NMODES; m++) {
			size_t n = runs[0].nlog < runs[m].nlog ? runs[0].nlog : runs[m].nlog;
			size_t i = 0;
			while (i < n && i < MAXLOG && runs[0].log[i] == runs[m].log[i])
				i++;
			if (i < n || runs[0].nlog != runs[m].nlog)
				fprintf(stderr, "seed %llu rate %lld: %s and %s differ at event %zu of %zu/%zu\n",
				        (unsigned long long)seed, (long long)rate, gc_mode_name[0], gc_mode_name[m],
				        i, runs[0].nlog, runs[m].nlog);
			CHECK(i == n && runs[0].nlog == runs[m].nlog);
		}
	}
	for (int m = 0; m < GC_NMODES; m++)
		free(runs[m].log);
	return T_DONE();
}
