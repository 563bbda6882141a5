/*
 * The heap checker names each invariant it guards: a heap built by a
 * scripted mix of small, tiny and large allocations and explicit frees is
 * clean; then, one at a time, exactly one thing is corrupted through
 * internal.h, the checker must report that invariant's name first, and after
 * the corruption is undone the heap must be clean again.
 *
 * Four heaps: the allocator's structures (eager, span specials), GC state
 * (specials, the finalizer queue, profile buckets after a collection), a
 * lazy heap waiting to be swept, and the legacy design's side tables. At the end every name listed at the top of
 * alloc/mcheck.c must have been reached (the ones that were not are printed).
 */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"
#include <string.h>

static heap_t *h;
static char covered[64][48];
static int ncovered;

/* Clean, and heap_check_stats hands back the stats as heap_read_stats reads them. */
static void expect_clean(const char *when)
{
	heap_check_report_t r;
	heap_stats_t st, want;
	memset(&st, 0xa5, sizeof st);
	alloc_err_t e = heap_check_stats(h, &r, &st);
	heap_read_stats(h, &want);
	CHECK(memcmp(&st, &want, sizeof st) == 0);
	CHECK_EQ(e, ALLOC_OK);
	if (e != ALLOC_OK)
		fprintf(stderr, "  %s: not clean: %s: %s\n", when, r.invariant, r.detail);
}

static void expect(const char *want, const char *what)
{
	heap_check_report_t r;
	alloc_err_t e = heap_check(h, &r);
	CHECK_EQ(e, ALLOC_ERR_CHECK);
	CHECK(strcmp(r.invariant, want) == 0);
	if (strcmp(r.invariant, want) != 0) {
		fprintf(stderr, "  %s: checker named \"%s\" (%s), want \"%s\"\n", what, r.invariant,
			r.detail, want);
		return;
	}
	fprintf(stderr, "  %-18s <- %s: %s\n", want, what, r.detail);
	for (int i = 0; i < ncovered; i++)
		if (strcmp(covered[i], want) == 0)
			return;
	if (ncovered < 64)
		snprintf(covered[ncovered++], sizeof covered[0], "%s", want);
}

/* expect, and the detail says why */
static void expect_detail(const char *want, const char *why, const char *what)
{
	heap_check_report_t r;
	expect(want, what);
	CHECK(heap_check(h, &r) == ALLOC_ERR_CHECK && strstr(r.detail, why) != NULL);
}

/* Corrupt a span with stmt, expect the name, put the span back as it was. */
#define SPAN_CASE(want, s, stmt) do { \
	mspan_t saved_ = *(s); \
	stmt; \
	expect(want, #stmt); \
	*(s) = saved_; \
	expect_clean("after " #stmt); \
} while (0)

/* The same for a special record's header (offset, kind, next). */
#define SPECIAL_CASE(want, x, stmt) do { \
	special_t saved_ = *(x); \
	stmt; \
	expect(want, #stmt); \
	*(x) = saved_; \
	expect_clean("after " #stmt); \
} while (0)

/* The same for a field of the heap. */
#define HEAP_CASE(want, field, stmt) do { \
	__typeof__(h->field) saved_; \
	memcpy(&saved_, &h->field, sizeof saved_); \
	stmt; \
	expect(want, #stmt); \
	memcpy(&h->field, &saved_, sizeof saved_); \
	expect_clean("after " #stmt); \
} while (0)

static mspan_t **map_slot(uintptr_t p)
{
	return &mheap_arena_of(h, p)->spans[(p & (ARENA_BYTES - 1)) >> PAGE_SHIFT];
}

static void *alloc(int p, size_t size, size_t ptrwords)
{
	void *x = NULL;
	alloc_err_t e = heap_alloc(h, p, size, ptrwords, 1, &x);
	REQUIRE(e == ALLOC_OK && x != NULL);
	return x;
}

static mspan_t *span_of(void *p)
{
	mspan_t *s = mheap_span_of_inuse(h, (uintptr_t)p);
	REQUIRE(s != NULL);
	return s;
}

/* The first in-use span (in address order) whose successor is a free run. */
static mspan_t *inuse_before_free(void)
{
	for (uintptr_t p = h->arena_start; p < h->arena_used;) {
		mspan_t *s = mheap_span_of(h, p);
		REQUIRE(s && s->startaddr == p);
		uintptr_t end = p + s->npages * PAGE_SIZE;
		mspan_t *t = end < h->arena_used ? mheap_span_of(h, end) : NULL;
		if (s->state == MSPAN_INUSE && t && t->state == MSPAN_FREE)
			return s;
		p = end;
	}
	return NULL;
}

/* Names from the comment at the top of alloc/mcheck.c that nothing
 * covered: printed and counted (every name is reached). */
static int print_uncovered(void)
{
	int missing = 0;
	FILE *f = fopen(AF_SOURCE_DIR "/alloc/mcheck.c", "r");
	REQUIRE(f != NULL);
	char line[256], name[48];
	bool in_list = false;
	fprintf(stderr, "invariants not reached by this test:");
	while (fgets(line, sizeof line, f) && !strstr(line, "*/")) {
		/* the list: " *   name   description", after "The names:" */
		in_list |= strstr(line, "The names:") != NULL;
		int end = 0;
		if (!in_list || sscanf(line, " *   %47[a-z_]%n", name, &end) != 1 ||
		    strncmp(line + end, "  ", 2) != 0)
			continue;
		bool hit = false;
		for (int i = 0; i < ncovered; i++)
			hit |= strcmp(covered[i], name) == 0;
		if (!hit) {
			fprintf(stderr, " %s", name);
			missing++;
		}
	}
	fprintf(stderr, "\n");
	fclose(f);
	return missing;
}

static void allocator_cases(void)
{
	heap_config_t cfg = {.nprocs = 2, .cap_bytes = 64 << 20};
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	expect_clean("new heap");

	/* The scripted mix. 48-byte objects: 170 per span, so 200 fill one span
	 * (P0 gives it back to mcentral) and start a second one it caches. */
	void *obj48[200], *obj1000[30], *tiny[100], *big[3];
	for (int i = 0; i < 200; i++)
		obj48[i] = alloc(0, 48, 1);
	for (int i = 0; i < 100; i++)
		tiny[i] = alloc(0, 5, 0);
	for (int i = 0; i < 30; i++)
		obj1000[i] = alloc(1, 1000, 0);
	big[0] = alloc(0, 40000, 0);     /* 5 pages */
	big[1] = alloc(1, 100000, 2);    /* 13 pages */
	big[2] = alloc(0, 33000, 0);     /* 5 pages */
	expect_clean("after allocating");
	for (int i = 0; i < 200; i += 20)
		CHECK_EQ(heap_free(h, 1, obj48[i]), ALLOC_OK);   /* first span: full -> partial */
	for (int i = 0; i < 30; i += 3)
		CHECK_EQ(heap_free(h, 1, obj1000[i]), ALLOC_OK);
	CHECK_EQ(heap_free(h, 0, big[1]), ALLOC_OK);
	CHECK_EQ(heap_free(h, 0, tiny[0]), ALLOC_ERR_TINY);
	expect_clean("after freeing");
	/* P1 frees inside the allocCache window of a span P0 caches (P0 cannot
	 * see it), then P0 gives all its spans back, as a GC start does. */
	void *hole = alloc(0, 2000, 0);
	void *next = alloc(0, 2000, 0);
	CHECK_EQ(heap_free(h, 0, hole), ALLOC_OK);    /* P0 rewinds to the hole */
	void *again = alloc(0, 2000, 0);
	CHECK(again == hole);
	CHECK_EQ(heap_free(h, 1, next), ALLOC_OK);    /* in P0's window, not P1's span */
	expect_clean("after a free into another P's cached span");
	mcache_release_all(h, h->mcaches[0]);
	expect_clean("after P0 released its spans");
	/* P0 caches a 48-byte span and a tiny block again */
	for (int i = 0; i < 5; i++)
		alloc(0, 48, 1);
	alloc(0, 3, 0);
	alloc(0, 3, 0);
	expect_clean("after caching again");

	mspan_t *cached = h->mcaches[0]->alloc[make_spanclass(4, false)];  /* 48-byte scan */
	mspan_t *uncached = span_of(obj48[0]);     /* the other one, partial, in mcentral */
	if (uncached == cached)
		uncached = span_of(obj48[199]);
	mspan_t *tinyspan = span_of(tiny[0]);
	mspan_t *large = span_of(big[0]);
	REQUIRE(uncached->cachedby == -1 && uncached->list != NULL);
	REQUIRE(cached->cachedby == 0 && cached->freeindex % 64 != 0);
	REQUIRE(tinyspan->spanclass == make_spanclass(TINY_SIZE_CLASS, true));
	REQUIRE(large->large && large->npages == 5);
	mspan_t *top = mheap_span_of(h, h->arena_used - PAGE_SIZE);
	REQUIRE(top && top->state == MSPAN_FREE && top->npages > 1);
	mspan_t *before_free = inuse_before_free();
	REQUIRE(before_free != NULL);
	uint32_t sg = h->sweepgen;

	/* the committed range and the span map */
	HEAP_CASE("committed_range", arena_used, h->arena_used += 8);
	{
		mspan_t **slot = map_slot(uncached->startaddr);
		*slot = NULL;
		expect("spanmap_hole", "first page of a span unmapped");
		*slot = uncached;
		expect_clean("span map restored");
	}
	SPAN_CASE("span_state", uncached, uncached->state = MSPAN_DEAD);
	SPAN_CASE("span_bounds", top, top->npages += 1);
	{
		mspan_t **slot = map_slot(large->startaddr + 2 * PAGE_SIZE);
		*slot = NULL;
		expect("spanmap_inuse", "third page of a large span unmapped");
		*slot = large;
		expect_clean("large span map restored");
		slot = map_slot(top->startaddr + (top->npages - 1) * PAGE_SIZE);
		*slot = NULL;
		expect("spanmap_free_ends", "last page of a free run unmapped");
		*slot = top;
		expect_clean("free run map restored");
		slot = map_slot(top->startaddr + PAGE_SIZE);
		*slot = top;
		expect("spanmap_free_inner", "interior page of a free run mapped");
		*slot = NULL;
		expect_clean("free run interior restored");
	}
	SPAN_CASE("free_adjacent", before_free, before_free->state = MSPAN_FREE);

	/* one span's objects */
	SPAN_CASE("span_geometry", uncached, uncached->divmagic ^= 1);
	SPAN_CASE("span_geometry", large, large->elemsize -= PAGE_SIZE);
	SPAN_CASE("limit", uncached, uncached->limit += 8);
	SPAN_CASE("bits_storage", uncached, uncached->gcmarkbits = uncached->allocbits);
	SPAN_CASE("allocbits_tail", uncached, bit_set(uncached->allocbits, uncached->nelems));
	SPAN_CASE("alloccount", uncached, uncached->allocCount++);
	SPAN_CASE("alloccount", cached, bit_clear(cached->allocbits, 3));
	SPAN_CASE("freeindex", cached, cached->freeindex = (uint16_t)(cached->nelems + 1));
	/* the owner skips a free slot (its own frees rewind freeindex) or its
	 * cache hides one: only a free by another P since caching excuses that */
	REQUIRE(!cached->foreignfree && !bit_get(cached->allocbits, cached->freeindex));
	SPAN_CASE("freeindex", cached, (cached->freeindex++, cached->alloccache >>= 1));
	SPAN_CASE("alloccache", cached, cached->alloccache &= ~(uint64_t)1);
	{
		mspan_t saved = *cached;
		cached->foreignfree = 1;
		cached->freeindex++;
		cached->alloccache >>= 1;
		expect_clean("a hole another P's free may leave in a cached span");
		*cached = saved;
	}
	/* the cache offers slot freeindex-1, which is allocated */
	SPAN_CASE("alloccache", cached,
		  (cached->freeindex--, cached->alloccache = cached->alloccache << 1 | 1));
	/* an uncached span's cache hides a free slot */
	REQUIRE(!bit_get(uncached->allocbits, uncached->freeindex));
	SPAN_CASE("alloccache", uncached, uncached->alloccache &= ~(uint64_t)1);
	SPAN_CASE("tinybits", tinyspan, bit_set(tinyspan->tinybits, tinyspan->nelems - 1));
	SPAN_CASE("tinybits", uncached, bit_set(uncached->tinybits, 1));
	SPAN_CASE("large_object", large, (large->allocCount = 0, bit_clear(large->allocbits, 0)));
	SPAN_CASE("markbits", uncached, bit_set(uncached->gcmarkbits, 5));
	SPAN_CASE("markbits", cached, bit_set(cached->gcmarkbits, 0));
	SPAN_CASE("sweepgen", large, large->sweepgen = sg + 1);
	SPAN_CASE("sweepgen", cached, cached->sweepgen = sg);

	/* where spans are kept */
	HEAP_CASE("list_link", central[uncached->spanclass], uncached->list->n++);
	HEAP_CASE("list_link", large, h->large.last = NULL);
	SPAN_CASE("list_link", uncached, uncached->list = (mspan_list_t *)&h->emptyspan);
	/* empty heads no span claims, the first and last of the checker's
	 * numbering (list 0 and list 665: the ends of busy_lists' scan) */
	REQUIRE(!h->free[0].n && !h->central[NUM_SPAN_CLASSES - 1].full[1].n);
	HEAP_CASE("list_link", free[0], h->free[0].n = 1);
	HEAP_CASE("list_link", central[NUM_SPAN_CLASSES - 1],
		  h->central[NUM_SPAN_CLASSES - 1].full[1].last = uncached);
	/* a record the span map does not hold, listed: named, not followed */
	mspan_t foreign = *uncached;
	foreign.next = foreign.prev = NULL;
	foreign.list = &h->free[3];
	REQUIRE(!h->free[3].n);
	h->free[3] = (mspan_list_t){ &foreign, &foreign, 1 };
	expect_detail("list_link", "is not in the span map", "a copy of a span listed in free[3]");
	h->free[3] = (mspan_list_t){ NULL, NULL, 0 };
	expect_clean("after the foreign span");
	SPAN_CASE("free_list", top, top->cachedby = 0);
	SPAN_CASE("free_list", top, top->list = &h->free[top->npages + 1]);
	SPAN_CASE("large_list", large, large->cachedby = 1);
	SPAN_CASE("central_list", cached, cached->cachedby = -1);
	SPAN_CASE("central_set", uncached, uncached->sweepgen = sg - 2);
	/* emptied in place (bits, count and cache agree): belongs to the page heap */
	SPAN_CASE("central_set", uncached,
		  (memset(uncached->allocbits, 0, ALLOC_BITS_WORDS * 8), uncached->allocCount = 0,
		   uncached->alloccache = ~(uint64_t)0));
	SPAN_CASE("mcache", cached, cached->cachedby = 1);
	HEAP_CASE("mcache", mcaches[1]->alloc[cached->spanclass],
		  h->mcaches[1]->alloc[cached->spanclass] = uncached);
	/* the last slot busy_slots scans */
	REQUIRE(h->mcaches[1]->alloc[NUM_SPAN_CLASSES - 1] == &h->emptyspan);
	HEAP_CASE("mcache", mcaches[1]->alloc[NUM_SPAN_CLASSES - 1],
		  h->mcaches[1]->alloc[NUM_SPAN_CLASSES - 1] = uncached);
	HEAP_CASE("mcache_tiny", mcaches[0]->tinyoffset, h->mcaches[0]->tinyoffset = TINY_SIZE + 1);
	HEAP_CASE("mcache_tiny", mcaches[0]->tiny, h->mcaches[0]->tiny += TINY_SIZE);
	HEAP_CASE("emptyspan", emptyspan.nelems, h->emptyspan.nelems = 1);

	/* the stats recomputed by the walk */
	HEAP_CASE("stats_objects", stats, h->stats.by_class_nfree[4]++);
	HEAP_CASE("stats_bytes", stats, h->stats.large_alloc += PAGE_SIZE);
	/* same object count and bytes, different classes (16 + 48 = 2 * 32) */
	HEAP_CASE("stats_class", stats,
		  (h->stats.by_class_nmalloc[2]++, h->stats.by_class_nmalloc[4]++,
		   h->stats.by_class_nmalloc[3] -= 2));
	HEAP_CASE("stats_large", stats, h->stats.large_nmalloc++);
	HEAP_CASE("stats_pages", stats, h->stats.heap_inuse += PAGE_SIZE);
	HEAP_CASE("stats_pages", stats, h->stats.heap_released += PAGE_SIZE);

	/* the checker never changes what it reads */
	heap_stats_t a, b;
	heap_read_stats(h, &a);
	expect_clean("final");
	heap_read_stats(h, &b);
	CHECK(memcmp(&a, &b, sizeof a) == 0);
	heap_destroy(h);
}

#define FN_A ((uintptr_t)0xA1)
#define FN_B ((uintptr_t)0xB1)

/* Specials, the finalizer queue and profile buckets after one collection:
 * A (unreachable, finalizer) is queued and kept; B (a root) keeps its
 * finalizer; every allocation is profiled (rate 1). */
static void gc_cases(void)
{
	heap_config_t cfg = {.nprocs = 1, .cap_bytes = 64 << 20, .profrate = 1, .seed = 7};
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	void *A = alloc(0, 64, 1), *B = alloc(0, 64, 1), *C = alloc(0, 64, 1);
	void *D = alloc(0, 64, 1);
	CHECK_EQ(heap_setfinalizer(h, A, 64, 1, FN_A), ALLOC_OK);
	CHECK_EQ(heap_setfinalizer(h, B, 64, 1, FN_B), ALLOC_OK);
	heap_roots(h)[0] = (uintptr_t)B;
	heap_roots(h)[1] = (uintptr_t)D;
	expect_clean("before the collection");
	REQUIRE(heap_gc(h) == ALLOC_OK);
	REQUIRE(heap_finq_len(h) == 1 && h->finq != NULL);
	expect_clean("after the collection");

	mspan_t *s = span_of(B);
	special_t *fin = s->specials, *last = s->specials;
	while (fin && !(fin->kind == KIND_SPECIAL_FINALIZER && fin->offset == (uintptr_t)B - s->startaddr))
		fin = fin->next;
	while (last && last->next)
		last = last->next;
	REQUIRE(fin && fin->next && fin->next->kind == KIND_SPECIAL_PROFILE);
	REQUIRE(last && last->kind == KIND_SPECIAL_PROFILE);
	REQUIRE(!bit_get(s->allocbits, mspan_objindex(s, (uintptr_t)C)));   /* C died */

	special_t *prof = fin->next;
	SPECIAL_CASE("specials_order", prof, prof->kind = KIND_SPECIAL_FINALIZER);  /* (off, 1) twice */
	SPECIAL_CASE("specials_order", fin, fin->kind = 9);
	SPECIAL_CASE("specials_object", last, last->offset += 8);                   /* profile inside */
	/* B's finalizer moved to the dead C (still in order: C follows B) */
	SPECIAL_CASE("specials_object", prof, (prof->offset = (uint16_t)((uintptr_t)C - s->startaddr),
					       prof->kind = KIND_SPECIAL_FINALIZER));
	HEAP_CASE("specials_count", specialprofilealloc.inuse,
		  h->specialprofilealloc.inuse += h->specialprofilealloc.size);
	HEAP_CASE("finq_object", finq->fin[0].fn, h->finq->fin[0].fn = 0);
	HEAP_CASE("finq_object", finq->fin[0].arg, h->finq->fin[0].arg = C);
	HEAP_CASE("finq_count", nfinq, h->nfinq++);
	bucket_t *bk = h->buckets;
	REQUIRE(bk && bk->pub.allocs > 0);
	HEAP_CASE("profile_bucket", buckets->pub.frees, h->buckets->pub.frees = h->buckets->pub.allocs + 1);
	HEAP_CASE("profile_live", buckets->recent.allocs, h->buckets->recent.allocs++);
	/* a profile record naming a bucket the heap does not list */
	special_profile_t *pr = (special_profile_t *)prof;
	bucket_t *named = pr->b, unlisted = *named;
	pr->b = &unlisted;
	expect_detail("profile_bucket", "unknown", "a profile record's bucket not in the list");
	pr->b = named;
	expect_clean("after the unlisted bucket");
	/* the bucket list turned into a cycle at its last bucket */
	bucket_t *tail = h->buckets;
	while (tail->allnext)
		tail = tail->allnext;
	tail->allnext = h->buckets;
	expect_detail("profile_bucket", "cycles", "the last bucket links to the first");
	tail->allnext = NULL;
	expect_clean("after the bucket cycle");
	heap_destroy(h);
}

/* Lazy sweep between a collection and the sweep: spans wait unswept (sg-2)
 * with their mark bits set, which is legal; claiming to be swept is not. */
static void lazy_cases(void)
{
	heap_config_t cfg = {.nprocs = 1, .cap_bytes = 64 << 20, .sweep = HEAP_SWEEP_LAZY};
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	void *keep = alloc(0, 64, 0), *big = alloc(0, 40000, 0);
	for (int i = 0; i < 50; i++)
		alloc(0, 64, 0);
	alloc(0, 40000, 0);   /* dies: an entirely dead span the reclaim must sweep */
	heap_roots(h)[0] = (uintptr_t)keep;
	heap_roots(h)[1] = (uintptr_t)big;
	REQUIRE(heap_gc(h) == ALLOC_OK);
	mspan_t *s = span_of(keep), *large = span_of(big);
	REQUIRE(s->sweepgen == h->sweepgen - 2 && large->sweepgen == h->sweepgen - 2);
	REQUIRE(bit_get(s->gcmarkbits, mspan_objindex(s, (uintptr_t)keep)));
	expect_clean("unswept spans with mark bits");
	SPAN_CASE("markbits", s, s->sweepgen = h->sweepgen);       /* "swept" but still marked */
	SPAN_CASE("central_set", s, (s->sweepgen = h->sweepgen,     /* swept, in the unswept set */
				     memset(s->gcmarkbits, 0, ALLOC_BITS_WORDS * 8)));
	SPAN_CASE("sweepgen", large, large->sweepgen = h->sweepgen - 4);
	/* a growth recorded while dead unswept spans were left (mheap.c
	 * note_lazy_grow); the real allocation below reclaims first instead */
	HEAP_CASE("lazy_grow_before_reclaim", grow_unreclaimed_npages, h->grow_unreclaimed_npages = 5);
	uintptr_t used = h->arena_used;
	alloc(0, 40000, 0);
	CHECK_EQ(h->grow_unreclaimed_npages, 0);
	CHECK_EQ(h->arena_used, used);
	expect_clean("a large allocation after the dead large span was reclaimed");
	heap_finish_sweep(h);
	expect_clean("after the sweep");
	heap_destroy(h);
}

static uint64_t *specialbit_word(uintptr_t base, uint64_t *mask)
{
	uintptr_t i = (base & (ARENA_BYTES - 1)) / PTR_SIZE;
	*mask = (uint64_t)1 << (i & 63);
	return &mheap_arena_of(h, base)->specialbits[i >> 6];
}

/* The legacy design: a finalizer in the side tables and the special bit. */
static void legacy_cases(void)
{
	heap_config_t cfg = {.nprocs = 1, .cap_bytes = 64 << 20, .specials = HEAP_SPECIALS_LEGACY};
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	void *A = alloc(0, 64, 0), *B = alloc(0, 64, 0), *C = alloc(0, 64, 0);
	CHECK_EQ(heap_setfinalizer(h, A, 64, 0, FN_A), ALLOC_OK);
	CHECK_EQ(heap_free(h, 0, C), ALLOC_OK);
	expect_clean("legacy heap with a finalizer");

	uint64_t m, *w = specialbit_word((uintptr_t)A, &m);
	*w &= ~m;
	expect("legacy_record", "the finalizer's object lost its special bit");
	*w |= m;
	expect_clean("special bit restored");
	w = specialbit_word((uintptr_t)B, &m);
	*w |= m;
	expect("legacy_specialbit", "a special bit no record explains");
	*w &= ~m;
	expect_clean("special bit cleared again");
	/* the record moved to a freed object */
	uintptr_t *key = NULL;
	int ta = 0;
	for (int t = 0; t < LEGACY_TABSZ && !key; t++)
		for (int32_t i = 0; i < h->fintab[t].max; i++)
			if (h->fintab[t].key[i] == (uintptr_t)A) {
				key = &h->fintab[t].key[i];
				ta = t;
			}
	REQUIRE(key != NULL);
	/* the table's own bookkeeping (the load and resize decisions use it) */
	HEAP_CASE("legacy_tables", fintab[ta].nkey, h->fintab[ta].nkey++);
	HEAP_CASE("legacy_tables", fintab[ta].ndead, h->fintab[ta].ndead++);
	*key = (uintptr_t)C;
	expect("legacy_record", "finalizer key moved to a freed object");
	*key = (uintptr_t)A;
	expect_clean("finalizer key restored");
	heap_destroy(h);
}

int main(void)
{
	allocator_cases();
	gc_cases();
	lazy_cases();
	legacy_cases();
	CHECK_EQ(print_uncovered(), 0);
	CHECK(ncovered >= 20);
	return T_DONE();
}
