/* heap_reset after heavy use (small and large objects on two Ps, frees,
 * finalizers, collections, profiling, scavenging, a span crossing into a
 * second arena, dirty memory), in eager and lazy mode, leaves a
 * heap indistinguishable from heap_new's: the same stats, free runs, span
 * map, metadata accounting and zeroed memory, and the same op sequence then
 * gives the same results, address for address (relative to the arena). */
#include "tests/t.h"
#include "tests/heapwalk.h"

#define NOPS 3000
#define MAXLIVE 512

typedef struct trace {
	uintptr_t off[NOPS];   /* result offset from arena_start, or error code */
	heap_stats_t st[8];    /* stats at a few checkpoints */
	size_t nfin;           /* finalizers run */
} trace_t;

static void no_finalizer(heap_t *h, void *obj, uintptr_t fn, void *ctx)
{
	(void)h; (void)obj; (void)fn; (void)ctx;
}

/* A deterministic mixed workload; records every result in tr. */
static void run_ops(heap_t *h, uint64_t seed, trace_t *tr, int check_every)
{
	void *live[MAXLIVE];
	int nlive = 0;
	static walk_t w;
	memset(tr, 0, sizeof *tr);
	for (int i = 0; i < NOPS; i++) {
		uint64_t r = t_rand(&seed);
		int p = (int)(r & 1);
		unsigned kind = (unsigned)(r >> 8) % 100;
		if (i % 700 == 699) {
			/* a collection: a few objects stay rooted, the rest die
			 * (finalizers queued and run) */
			uintptr_t *roots = heap_roots(h);
			for (int k = 0; k < 8; k++)
				roots[k] = k < nlive ? (uintptr_t)live[k] : 0;
			CHECK_EQ(heap_gc(h), ALLOC_OK);
			tr->off[i] = heap_runfinalizers(h, no_finalizer, NULL);
			tr->nfin += tr->off[i];
			memset(roots, 0, 8 * sizeof *roots);
			nlive = 0;
			continue;
		}
		if (kind < 35 && nlive > 0) {
			int k = (int)((r >> 20) % (uint64_t)nlive);
			CHECK_EQ(heap_free(h, p, live[k]), ALLOC_OK);
			live[k] = live[--nlive];
			tr->off[i] = 1;
			continue;
		}
		if (kind == 99) {
			tr->off[i] = heap_scavenge(h);
			continue;
		}
		if (kind >= 35 && kind < 38 && nlive > 0) {
			int k = (int)((r >> 20) % (uint64_t)nlive);
			alloc_err_t err = heap_setfinalizer(h, live[k], 16, 0, 0x1000 + (uintptr_t)k);
			CHECK(err == ALLOC_OK || err == ALLOC_ERR_FIN_EXISTS);
			tr->off[i] = err;
			/* explicit free now refuses it: forget it */
			live[k] = live[--nlive];
			continue;
		}
		size_t size;
		if (kind < 75)
			size = 1 + (size_t)(r >> 24) % 1024;
		else if (kind < 93)
			size = 1024 + (size_t)(r >> 24) % 31744;
		else
			size = 32769 + (size_t)(r >> 24) % (2u << 20);
		if (i == NOPS / 2)
			size = (size_t)70 << 20;   /* crosses into the second arena */
		size_t ptrwords = (r >> 40) & 1 ? size / 8 : 0;
		void *x = NULL;
		alloc_err_t err = heap_alloc(h, p, size, ptrwords, (uint32_t)(r >> 50), &x);
		CHECK_EQ(err, ALLOC_OK);
		if (err != ALLOC_OK) {
			tr->off[i] = err;
			continue;
		}
		tr->off[i] = (uintptr_t)x - h->arena_start;
		/* dirty what was handed out (both ends of big objects) */
		if (size <= (64u << 10)) {
			memset(x, 0xee, size);
		} else {
			memset(x, 0xee, 64u << 10);
			memset((char *)x + size - 4096, 0xee, 4096);
		}
		if (nlive < MAXLIVE && ptrwords == 0 && size >= 16)
			live[nlive++] = x;
		if (check_every && i % check_every == 0)
			heapwalk_ok(h, &w);
		if (i % (NOPS / 8) == 0)
			heap_read_stats(h, &tr->st[i / (NOPS / 8)]);
	}
	heapwalk_ok(h, &w);
}

static void check_like_fresh(heap_t *h, heap_t *fresh)
{
	heap_stats_t a, b;
	walk_t wa, wb;
	heap_read_stats(h, &a);
	heap_read_stats(fresh, &b);
	CHECK(memcmp(&a, &b, sizeof a) == 0);
	CHECK_EQ(a.heap_sys, 0);
	CHECK_EQ(a.other_sys, 0);
	CHECK_EQ(heapwalk_ok(h, &wa), 0);
	heapwalk_ok(fresh, &wb);
	CHECK(walks_equal(&wa, &wb));
	CHECK_EQ(h->arena_used, h->arena_start);
	CHECK_EQ(h->arena_hwm, h->arena_start);
	CHECK_EQ(h->arena_end - h->arena_start, fresh->arena_end - fresh->arena_start);
	for (int i = 0; i < MAX_ARENAS; i++)
		CHECK(h->arenas[i] == NULL);
	CHECK_EQ(h->freelarge.n, 0);
	CHECK_EQ(h->large.n, 0);
	CHECK_EQ(h->persistent.sys, fresh->persistent.sys);
	CHECK_EQ(h->persistent.used, fresh->persistent.used);
	CHECK_EQ(h->spanalloc.inuse, fresh->spanalloc.inuse);
	CHECK_EQ(h->spanalloc.sys, fresh->spanalloc.sys);
	CHECK_EQ(h->cachealloc.inuse, fresh->cachealloc.inuse);
	CHECK_EQ(h->cachealloc.sys, fresh->cachealloc.sys);
	for (int p = 0; p < HEAP_MAX_PROCS; p++) {
		CHECK_EQ(h->mcaches[p] != NULL, fresh->mcaches[p] != NULL);
		if (!h->mcaches[p] || !fresh->mcaches[p])
			continue;
		CHECK_EQ(h->mcaches[p]->tiny, 0);
		CHECK_EQ(h->mcaches[p]->nextSample, fresh->mcaches[p]->nextSample);
		for (int sc = 0; sc < NUM_SPAN_CLASSES; sc++)
			CHECK(h->mcaches[p]->alloc[sc] == &h->emptyspan);
	}
	for (int sc = 0; sc < NUM_SPAN_CLASSES; sc++) {
		mcentral_t *c = &h->central[sc];
		CHECK_EQ(c->partial[0].n + c->partial[1].n + c->full[0].n + c->full[1].n, 0);
	}
}

static void scenario(heap_config_t cfg)
{
	heap_t *h = NULL, *fresh = NULL;
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	static trace_t t1, t2, t3;

	run_ops(h, 42, &t1, 97);
	CHECK_EQ(heap_numgc(h), NOPS / 700);
	CHECK(t1.nfin > 0);
	CHECK(h->arenas[1] != NULL);
	uintptr_t used = h->arena_used - h->arena_start;
	heaparena_t *a0 = h->arenas[0], *a1 = h->arenas[1];
	heap_reset(h);

	REQUIRE(heap_new(&cfg, &fresh) == ALLOC_OK);
	check_like_fresh(h, fresh);
	/* The metadata mappings survive for reuse, cleared: no span, no
	 * pointer or special bit anywhere the last run wrote (reset clears the
	 * bitmaps only below the highest bit set, bits_end). */
	CHECK(h->arena_maps[0] == a0 && h->arena_maps[1] == a1);
	int dirty = 0;
	for (uintptr_t i = 0; i < PAGES_PER_ARENA; i++)
		dirty += a0->spans[i] != NULL || a1->spans[i] != NULL;
	for (size_t i = 0; i < sizeof a0->ptrbits / 8; i++)
		dirty += a0->ptrbits[i] != 0 || a1->ptrbits[i] != 0 ||
		         a0->specialbits[i] != 0 || a1->specialbits[i] != 0;
	CHECK_EQ(dirty, 0);
	CHECK_EQ(a0->bits_end + a1->bits_end, 0);

	/* Every page the last run used is zero again or known dirty: taken as
	 * one span straight from the page heap, it reads zero (a run past
	 * RESET_KEEP_MAX: reset gave the pages back) or has needzero set (the
	 * pages were kept; the allocator zeroes them on use). */
	mspan_t *all = mheap_alloc(h, used / PAGE_SIZE, LARGE_SC);
	REQUIRE(all);
	CHECK_EQ(all->startaddr, h->arena_start);
	if (used > RESET_KEEP_MAX) {
		CHECK_EQ(all->needzero, 0);
		UNPOISON((void *)all->startaddr, used);
		size_t nonzero = 0;
		for (uintptr_t p = all->startaddr; p < all->startaddr + used; p += 8)
			nonzero += *(uint64_t *)p != 0;
		CHECK_EQ(nonzero, 0);
		POISON((void *)all->startaddr, used);
	} else {
		CHECK_EQ(all->needzero, 1);
	}
	mheap_free(h, all);
	heap_reset(h);
	check_like_fresh(h, fresh);

	/* Same ops on the reset heap and on the fresh one: same results. */
	run_ops(h, 7, &t2, 0);
	run_ops(fresh, 7, &t3, 0);
	CHECK(memcmp(t2.off, t3.off, sizeof t2.off) == 0);
	CHECK(memcmp(t2.st, t3.st, sizeof t2.st) == 0);
	heap_stats_t a, b;
	heap_read_stats(h, &a);
	heap_read_stats(fresh, &b);
	CHECK(memcmp(&a, &b, sizeof a) == 0);
	CHECK_EQ(h->arena_used - h->arena_start, fresh->arena_used - fresh->arena_start);
	/* and the first run's sequence was no accident of a fresh heap either */
	heap_reset(h);
	static trace_t t4;
	run_ops(h, 42, &t4, 0);
	CHECK(memcmp(t1.off, t4.off, sizeof t1.off) == 0);

	heap_destroy(fresh);
	heap_destroy(h);
}

/* The special bit alone: a finalizer on a noscan object above every scan
 * object, so only the special bit raises the bitmaps' bits_end there. */
static void special_bit_alone(void)
{
	heap_config_t cfg = { .specials = HEAP_SPECIALS_LEGACY };
	heap_t *h = NULL;
	void *scan = NULL, *noscan = NULL;
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	REQUIRE(heap_alloc(h, 0, 64, 8, 1, &scan) == ALLOC_OK);
	REQUIRE(heap_alloc(h, 0, 3 * PAGE_SIZE, 0, 1, &noscan) == ALLOC_OK);
	REQUIRE((uintptr_t)noscan > (uintptr_t)scan + 64);
	CHECK_EQ(heap_setfinalizer(h, noscan, 3 * PAGE_SIZE, 0, 0x1000), ALLOC_OK);
	heaparena_t *a = h->arenas[0];
	heap_reset(h);
	size_t set = 0;
	for (size_t i = 0; i < sizeof a->specialbits / 8; i++)
		set += a->specialbits[i] != 0;
	CHECK_EQ(set, 0);
	heap_destroy(h);
}

int main(void)
{
	special_bit_alone();
	heap_config_t cfg = {0};
	cfg.nprocs = 2;
	scenario(cfg);
	/* lazy sweep (spans left unswept across reset), every allocation
	 * profiled, the legacy side tables */
	cfg.sweep = HEAP_SWEEP_LAZY;
	cfg.profrate = 1;
	cfg.specials = HEAP_SPECIALS_LEGACY;
	scenario(cfg);
	/* a sampled rate (the countdown draws from the seeded PRNG, so a reset
	 * that does not reseed it shows in nextSample) on three Ps */
	cfg = (heap_config_t){.nprocs = 3, .profrate = 4096, .seed = 9};
	scenario(cfg);
	return T_DONE();
}
