/*
 * The heap checker: Go's ReadMemStatsSlow (recompute the stats by walking the
 * heap and compare them with the fast counters) combined with mimalloc's
 * _mi_page_is_valid (prove every structural invariant of every page). See
 * malloc.c for the overview and internal.h for the invariants themselves.
 *
 * It reads the heap and never writes it (apart from its own scratch in
 * h->check); it never throws and never aborts. A pointer found in a list, an
 * mcache or the finalizer queue is dereferenced only after it is known to be
 * a span of the span map (or a committed heap address), so a corrupted link
 * is reported, not followed. The caller stops the world: no other thread may
 * use the heap during the check, and no lock is taken.
 *
 * Each violation has a short stable name (heap_check_report_t.invariant);
 * checks run from local to global (span map, each span, lists, mcaches,
 * specials, finalizer queue, profile, stats), so the first name is the most
 * direct cause. The names:
 *
 *   committed_range      arena_start/arena_used/arena_end disordered or
 *                        misaligned, or a committed page has no arena
 *   spanmap_hole         a committed page where a span should start maps to
 *                        no span, or to one that does not start there
 *   span_state           a span in the map that is neither INUSE nor FREE
 *   span_bounds          a span of 0 pages or extending past committed memory
 *   spanmap_inuse        a page of an in-use span maps to another span
 *   spanmap_free_ends    the last page of a free run does not map to it
 *   spanmap_free_inner   an interior page of a free run maps to a span (the
 *                        map names a free run at its two ends only)
 *   free_adjacent        two free runs touch (they should have coalesced)
 *   span_geometry        spanclass, elemsize, nelems, npages, divmagic or the
 *                        large flag disagree with the size class table
 *   limit                limit is not the end of the last object, or objects
 *                        straddle the span end
 *   bits_storage         allocbits/gcmarkbits are not bits[0]/bits[1]
 *   allocbits_tail       an allocbit set at or beyond nelems
 *   alloccount           allocCount != popcount(allocbits)
 *   freeindex            freeindex > nelems, or a free slot below it in a
 *                        span cached by a P and not freed into by another P
 *                        since (the owner would never hand that slot out)
 *   alloccache           the cache offers a slot whose allocbit is set, or
 *                        (span not cached by a P, or cached and not freed
 *                        into by another P since) disagrees with allocbits
 *   tinybits             tinybits not a subset of allocbits, or set outside
 *                        the tiny span class
 *   large_object         an in-use large span without exactly one object
 *   markbits             gcmarkbits set on a swept span outside a GC
 *   sweepgen             a span's sweepgen is not a legal state for where it
 *                        is (internal.h's table; cached: sg+1/sg+3; else sg,
 *                        or sg-2 while a lazy sweep is unfinished)
 *   list_link            a span list is broken: a member that is no span, a
 *                        wrong prev/list pointer, a wrong first/last/n, a
 *                        cycle, or members != spans claiming the list
 *   free_list            a free run not on free[npages] / freelarge, or an
 *                        in-use span on a free list
 *   large_list           an in-use large span not on h->large
 *   central_list         an uncached small span not in its class's mcentral
 *   central_set          a span in the swept/unswept set that disagrees with
 *                        its sweepgen, a swept partial span with no free slot
 *                        or a swept full span with one, or an empty span (it
 *                        belongs to the page heap)
 *   mcache               an mcache slot holds a span it does not own (wrong
 *                        class, cachedby, state), or a span claims an mcache
 *                        that does not hold it
 *   mcache_tiny          a P's tiny block is not an allocated tiny slot of a
 *                        span class (2, noscan) span, or tinyoffset > 16
 *   emptyspan            the mcache placeholder can allocate
 *   legacy_tables        a legacy finalizer table's nkey/ndead disagree with its
 *                        slots, it is over 3/4 full, or a key is unreachable
 *                        by lookup (mlegacy_tables_valid)
 *   lazy_grow_before_reclaim  a lazy heap grew for npages while its reclaim
 *                        had freed fewer and unswept spans with no marked
 *                        object were left (recorded at the growth, mheap.c;
 *                        Go's reclaimer sweeps those first; the record is
 *                        exact for one allocating thread at a time)
 *   specials_order       a span's specials not strictly sorted by
 *                        (offset, kind), or of an unknown kind
 *   specials_object      a special on a free span, outside the objects, on a
 *                        free slot, or a profile one not at an object start
 *                        (a finalizer may sit at any inner byte: Go allows it
 *                        whenever the element type could be a tiny object)
 *   specials_count       the special record pools' in-use bytes disagree with
 *                        the records found on the spans
 *   finq_object          a queued finalizer whose object is not allocated, or
 *                        whose fn is 0
 *   finq_count           nfinq != records in the queue
 *   profile_bucket       a bucket with frees > allocs (or bytes), or a profile
 *                        special (legacy: record) pointing at no bucket
 *   profile_live         a bucket's allocs - frees (recent included) differs
 *                        from its live profile specials (span mode) or
 *                        profile records (legacy mode)
 *   legacy_record        (legacy mode) a finalizer or profile record of the
 *                        side tables not in an allocated object (a profile
 *                        record not at its start), or its object's special
 *                        bit clear
 *   legacy_specialbit    (legacy mode) a special bit set on an object that no
 *                        record names (the bit is exact: set iff a record)
 *   stats_objects        heap_objects or nmalloc - tiny_allocs - nfree differs
 *                        from the live blocks found
 *   stats_bytes          heap_alloc differs from the live bytes found
 *   stats_class          by_class_nmalloc - by_class_nfree differs from the
 *                        live blocks of that class
 *   stats_large          the large counters differ from the large spans found
 *   stats_pages          heap_inuse/idle/released/sys differ from the spans
 */
#include "alloc/internal.h"
#include "alloc/testing.h"   /* heap_check_skipped */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BUCKETS ((size_t)1 << 24)

/* Lists, numbered so claims can be counted: free[0..127], freelarge, large,
 * then partial[0], partial[1], full[0], full[1] of each mcentral. */
enum {
	L_FREELARGE = FREE_LIST_PAGES,
	L_LARGE,
	L_CENTRAL,
	L_COUNT = L_CENTRAL + NUM_SPAN_CLASSES * 4,
};

struct mcheck_scratch;

typedef struct checker {
	heap_t *h;
	heap_check_report_t *out;
	size_t max, nviol;
	struct mcheck_scratch *sc;
	uint32_t claims[L_COUNT];
	/* recomputed by the walk */
	uint64_t live_class[NUM_SIZE_CLASSES], live_bytes, live_objects;
	uint64_t nlarge, large_bytes;
	uint64_t inuse_pages, free_pages, released_pages;
	uint64_t nfinspecials, nprofspecials;
	bool legacy_oom, legacy_bit_unnamed;
	heap_stats_t *st;   /* check_stats reads the heap's stats into it */
} checker_t;

/* Pointer -> index, open addressing: which records the walk met, for
 * lookups of pointers the heap holds (a record is dereferenced only if it
 * is there). Built once per check in time linear in the records. */
typedef struct {
	const void **key;
	uint32_t *val;
	size_t cap;     /* in use: a power of two, at least twice the entries */
	size_t alloc;   /* allocated (the largest cap so far) */
} ptrmap_t;

/* Scratch kept across checks (sized by the largest heap seen). */
struct mcheck_scratch {
	mspan_t **spans;        /* spans of the map, in address order */
	ptrmap_t spanset;       /* the same, for known_span */
	size_t nspans, cap;
	bucket_t **buckets;     /* profile buckets, in list order */
	ptrmap_t bucketmap;     /* bucket -> its index in buckets */
	uint64_t *bucket_live;  /* profile specials per bucket */
	size_t nbuckets;
	uintptr_t *legacy;      /* legacy mode: object bases named by a record, sorted */
	size_t nlegacy, lcap;
	size_t capbuckets;
	checker_t k;            /* the check's state: no allocation per check */
};

static void violation(checker_t *k, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void violation(checker_t *k, const char *name, const char *fmt, ...)
{
	if (k->nviol < k->max) {
		heap_check_report_t *r = &k->out[k->nviol];
		snprintf(r->invariant, sizeof r->invariant, "%s", name);
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->detail, sizeof r->detail, fmt, ap);
		va_end(ap);
	}
	k->nviol++;
}

#define ADDR(x) ((unsigned long)(x))

/* ---- span map ---- */

static mspan_t *map_at(const heap_t *h, uintptr_t p)
{
	if (p < h->arena_start || p >= h->arena_end)
		return NULL;
	heaparena_t *a = mheap_arena_of(h, p);
	return a ? a->spans[(p & (ARENA_BYTES - 1)) >> PAGE_SHIFT] : NULL;
}

static AF_NO_COVERAGE size_t ptrmap_slot(const ptrmap_t *m, const void *p)
{
	size_t i = (size_t)(((uint64_t)(uintptr_t)p >> 3) * 0x9E3779B97F4A7C15ull >> 32) & (m->cap - 1);
	while (m->key[i] && m->key[i] != p)
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* Empties m with room for n entries; false if out of memory. */
static bool ptrmap_reset(ptrmap_t *m, size_t n)
{
	size_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	m->cap = 0;
	if (cap > m->alloc) {
		free(m->key);
		free(m->val);
		m->key = malloc(cap * sizeof *m->key);
		m->val = malloc(cap * sizeof *m->val);
		m->alloc = m->key && m->val ? cap : 0;
		if (!m->alloc)
			return false;
	}
	m->cap = cap;
	memset(m->key, 0, cap * sizeof *m->key);
	return true;
}

/* False if p is there already (its first index stays). */
static bool ptrmap_put(ptrmap_t *m, const void *p, uint32_t v)
{
	size_t i = ptrmap_slot(m, p);
	if (m->key[i])
		return false;
	m->key[i] = p, m->val[i] = v;
	return true;
}

/* p's index, or -1. */
static int64_t ptrmap_get(const ptrmap_t *m, const void *p)
{
	if (!p || !m->cap)
		return -1;
	size_t i = ptrmap_slot(m, p);
	return m->key[i] ? (int64_t)m->val[i] : -1;
}

static void ptrmap_free(ptrmap_t *m)
{
	free(m->key);
	free(m->val);
}

/* Is s a span record of the map? Anything else is not dereferenced. */
static bool known_span(const checker_t *k, const mspan_t *s)
{
	return k->sc->nspans && ptrmap_get(&k->sc->spanset, s) >= 0;
}

/* The list number of l, or -1 if l is none of the heap's lists. */
static int list_index(const heap_t *h, const mspan_list_t *l)
{
	uintptr_t p = (uintptr_t)l;
	uintptr_t f0 = (uintptr_t)&h->free[0], c0 = (uintptr_t)&h->central[0];
	if (p >= f0 && p < (uintptr_t)&h->free[FREE_LIST_PAGES] && (p - f0) % sizeof *l == 0)
		return (int)((p - f0) / sizeof *l);
	if (l == &h->freelarge)
		return L_FREELARGE;
	if (l == &h->large)
		return L_LARGE;
	if (p >= c0 && p < (uintptr_t)&h->central[NUM_SPAN_CLASSES]) {
		const mcentral_t *c = &h->central[(p - c0) / sizeof(mcentral_t)];
		int base = L_CENTRAL + (int)(c - h->central) * 4;
		for (int i = 0; i < 2; i++) {
			if (l == &c->partial[i])
				return base + i;
			if (l == &c->full[i])
				return base + 2 + i;
		}
	}
	return -1;
}

/* The first page of [lo, hi) whose span map entry is not want, or hi: one
 * arena lookup per arena, not per page (a large span has thousands).
 * Built without coverage: its compares are a loop bound and a pointer. */
static AF_NO_COVERAGE uintptr_t first_page_not(const heap_t *h, uintptr_t lo, uintptr_t hi,
                                               const mspan_t *want)
{
	for (uintptr_t p = lo; p < hi;) {
		heaparena_t *a = mheap_arena_of(h, p);
		if (!a)
			return p;
		uintptr_t aend = (p & ~(uintptr_t)(ARENA_BYTES - 1)) + ARENA_BYTES;
		aend = aend < hi ? aend : hi;
		mspan_t *const *e = &a->spans[(p & (ARENA_BYTES - 1)) >> PAGE_SHIFT];
		for (; p < aend; p += PAGE_SIZE, e++)
			if (*e != want)
				return p;
	}
	return hi;
}

/* Walks [arena_start, arena_used) span by span: the spans must tile it. */
static void check_span_map(checker_t *k)
{
	heap_t *h = k->h;
	struct mcheck_scratch *sc = k->sc;
	sc->nspans = 0;
	if (h->arena_start > h->arena_used || h->arena_used > h->arena_end ||
	    (h->arena_start & (ARENA_BYTES - 1)) || (h->arena_used & PAGE_MASK)) {
		violation(k, "committed_range", "arena [%#lx, used %#lx, end %#lx)",
			  ADDR(h->arena_start), ADDR(h->arena_used), ADDR(h->arena_end));
		return;
	}
	for (uintptr_t a = h->arena_start; a < h->arena_used; a += ARENA_BYTES)
		if (mheap_arena_of(h, a) == NULL) {
			violation(k, "committed_range", "committed %#lx has no arena", ADDR(a));
			return;
		}
	uintptr_t p = h->arena_start;
	while (p < h->arena_used) {
		mspan_t *s = map_at(h, p);
		if (s == NULL || s->startaddr != p) {
			violation(k, "spanmap_hole", "page %#lx maps to %p (start %#lx)", ADDR(p),
				  (void *)s, s ? ADDR(s->startaddr) : 0UL);
			p += PAGE_SIZE;
			continue;
		}
		uintptr_t left = (h->arena_used - p) / PAGE_SIZE;
		if (s->npages == 0 || s->npages > left) {
			violation(k, "span_bounds", "span %#lx npages %lu, %lu committed pages left",
				  ADDR(p), ADDR(s->npages), ADDR(left));
			p += PAGE_SIZE;
			continue;
		}
		if (sc->nspans == sc->cap) {
			size_t cap = sc->cap ? 2 * sc->cap : 256;
			mspan_t **a = realloc(sc->spans, cap * sizeof *a);
			if (a)
				sc->spans = a;
			if (!a) {
				sc->nspans = 0;   /* spanset is the last check's */
				violation(k, "committed_range", "checker out of memory");
				return;
			}
			sc->cap = cap;
		}
		sc->spans[sc->nspans++] = s;
		uintptr_t end = p + s->npages * PAGE_SIZE;
		uintptr_t q;
		if (s->state == MSPAN_INUSE) {
			if ((q = first_page_not(h, p + PAGE_SIZE, end, s)) < end)
				violation(k, "spanmap_inuse", "span %#lx+%lu: page %#lx maps to %p",
					  ADDR(p), ADDR(s->npages), ADDR(q), (void *)map_at(h, q));
		} else if (s->state == MSPAN_FREE) {
			/* judged at the first of the two, before its own pages */
			mspan_t *next = end < h->arena_used ? map_at(h, end) : NULL;
			if (next && next->startaddr == end && next->state == MSPAN_FREE)
				violation(k, "free_adjacent", "free runs %#lx+%lu and %#lx+%lu",
					  ADDR(p), ADDR(s->npages), ADDR(end), ADDR(next->npages));
			if (map_at(h, end - PAGE_SIZE) != s)
				violation(k, "spanmap_free_ends", "free run %#lx+%lu: last page maps to %p",
					  ADDR(p), ADDR(s->npages), (void *)map_at(h, end - PAGE_SIZE));
			if ((q = first_page_not(h, p + PAGE_SIZE, end - PAGE_SIZE, NULL)) < end - PAGE_SIZE)
				violation(k, "spanmap_free_inner", "free run %#lx+%lu: page %#lx maps to %p",
					  ADDR(p), ADDR(s->npages), ADDR(q), (void *)map_at(h, q));
		} else {
			violation(k, "span_state", "span %#lx state %u", ADDR(p), s->state);
		}
		p = end;
	}
	if (!ptrmap_reset(&sc->spanset, sc->nspans)) {
		violation(k, "committed_range", "checker out of memory");
		sc->nspans = 0;
		return;
	}
	for (size_t i = 0; i < sc->nspans; i++)
		ptrmap_put(&sc->spanset, sc->spans[i], (uint32_t)i);
}

/* ---- one span ---- */

/* Safe to index the bitmaps by objindex? (check_span_objects says why not.) */
static bool span_sane(const mspan_t *s)
{
	return s->nelems <= MAX_OBJS_PER_SPAN && s->limit >= s->startaddr &&
	       s->limit <= s->startaddr + s->npages * PAGE_SIZE &&
	       (s->allocbits == s->bits[0] || s->allocbits == s->bits[1]);
}

static unsigned popcount_bits(const uint64_t *b, uintptr_t n)
{
	unsigned c = 0;
	for (uintptr_t w = 0; w < n / 64; w++)
		c += (unsigned)__builtin_popcountll(b[w]);
	if (n % 64)
		c += (unsigned)__builtin_popcountll(b[n / 64] & (((uint64_t)1 << (n % 64)) - 1));
	return c;
}

/* The alloc cache: the window from freeindex to the end of its 64-slot
 * word, cut at nelems, offers no allocated slot, and (exact) every free
 * one. freeindex <= nelems. The window lies in one allocbits word, so the
 * check is a few word operations; a bad slot is the lowest bit of bad. */
static void span_cache_valid(checker_t *k, const mspan_t *s, bool exact)
{
	uintptr_t fi = s->freeindex, w = 64 - fi % 64, n = s->nelems;
	if (fi + w > n)
		w = n - fi;
	/* a large span never allocates through its cache */
	if (w == 0 || spanclass_sizeclass(s->spanclass) == 0 || fi >= MAX_OBJS_PER_SPAN)
		return;
	uint64_t mask = w == 64 ? ~(uint64_t)0 : ((uint64_t)1 << w) - 1;
	uint64_t allocated = (s->allocbits[fi / 64] >> (fi % 64)) & mask, offered = s->alloccache & mask;
	uint64_t bad = (offered & allocated) | (exact ? ~offered & ~allocated & mask : 0);
	if (bad) {
		uintptr_t i = (uintptr_t)__builtin_ctzll(bad);
		violation(k, "alloccache", "span %#lx freeindex %lu alloccache %#llx: slot %lu allocbit %d",
			  ADDR(s->startaddr), ADDR(fi), (unsigned long long)s->alloccache, ADDR(fi + i),
			  (int)((allocated >> i) & 1));
	}
}

/* Size class table, bitmaps, counts, alloccache: the object invariants of
 * one in-use span; they need nothing but the span and the heap's sweepgen. */
static bool span_objects_valid(checker_t *k, const mspan_t *s)
{
	unsigned long a = ADDR(s->startaddr);
	int cls = spanclass_sizeclass(s->spanclass);
	uintptr_t spanbytes = s->npages * PAGE_SIZE;
	bool geom_ok;
	if (cls == 0)
		geom_ok = s->large && s->elemsize == spanbytes && s->nelems == 1 && s->divmagic == 0;
	else
		geom_ok = cls < NUM_SIZE_CLASSES && !s->large && s->elemsize == class_to_size[cls] &&
			  s->npages == class_to_allocnpages[cls] &&
			  s->nelems == spanbytes / s->elemsize && s->divmagic == class_to_divmagic[cls];
	if (!geom_ok) {
		violation(k, "span_geometry", "span %#lx class %d large %u elemsize %lu nelems %u npages %lu divmagic %u",
			  a, cls, s->large, ADDR(s->elemsize), s->nelems, ADDR(s->npages), s->divmagic);
		return false;   /* nothing below is meaningful */
	}
	if (s->limit != s->startaddr + (uintptr_t)s->nelems * s->elemsize ||
	    s->limit > s->startaddr + spanbytes)
		violation(k, "limit", "span %#lx limit %#lx, %u objects of %lu", a, ADDR(s->limit),
			  s->nelems, ADDR(s->elemsize));
	if (s->allocbits == s->gcmarkbits ||
	    (s->allocbits != s->bits[0] && s->allocbits != s->bits[1]) ||
	    (s->gcmarkbits != s->bits[0] && s->gcmarkbits != s->bits[1])) {
		violation(k, "bits_storage", "span %#lx allocbits %p gcmarkbits %p bits %p", a,
			  (void *)s->allocbits, (void *)s->gcmarkbits, (void *)s->bits);
		return false;
	}
	uintptr_t n = s->nelems;
	for (uintptr_t w = n / 64; w < ALLOC_BITS_WORDS; w++) {
		uint64_t tail = s->allocbits[w] & (w == n / 64 ? ~(((uint64_t)1 << (n % 64)) - 1) : ~(uint64_t)0);
		if (tail) {
			violation(k, "allocbits_tail", "span %#lx allocbit %lu set, nelems %lu", a,
				  ADDR(w * 64 + (uintptr_t)__builtin_ctzll(tail)), ADDR(n));
			break;
		}
	}
	unsigned pop = popcount_bits(s->allocbits, n);
	if (pop != s->allocCount)
		violation(k, "alloccount", "span %#lx allocCount %u, %u allocbits set", a, s->allocCount, pop);
	/* A cached span whose owner alone freed into it hides no free slot. */
	bool exact = s->cachedby < 0 || !s->foreignfree;
	if (s->freeindex > n) {
		violation(k, "freeindex", "span %#lx freeindex %u > nelems %lu", a, s->freeindex, ADDR(n));
	} else if (s->cachedby >= 0 && exact && cls != 0 && mspan_lowest_free_index(s) < s->freeindex) {
		violation(k, "freeindex", "cached span %#lx freeindex %u: slot %lu below it is free",
			  a, s->freeindex, ADDR(mspan_lowest_free_index(s)));
	} else {
		span_cache_valid(k, s, exact);
	}
	bool tinyclass = s->spanclass == make_spanclass(TINY_SIZE_CLASS, true);
	for (int w = 0; w < 8; w++) {
		uint64_t stray = s->tinybits[w] & (tinyclass ? ~s->allocbits[w] : ~(uint64_t)0);
		if (stray) {
			violation(k, "tinybits", "span %#lx spanclass %d tinybits word %d %#llx allocbits %#llx", a,
				  s->spanclass, w, (unsigned long long)s->tinybits[w],
				  (unsigned long long)s->allocbits[w]);
			break;
		}
	}
	if (cls == 0 && s->allocCount != 1)
		violation(k, "large_object", "large span %#lx allocCount %u", a, s->allocCount);

	/* Atomic: the validator runs on a span this thread owns while other
	 * sweepers try (and fail) to claim it with a CAS (found by TSan). */
	uint32_t sg = k->h->sweepgen, spg = span_sweepgen(s);
	bool swept = spg == sg || spg == sg + 3;
	if (swept && !k->h->ingc)
		for (int w = 0; w < ALLOC_BITS_WORDS; w++)
			if (s->gcmarkbits[w]) {
				violation(k, "markbits", "span %#lx gcmarkbits word %d %#llx outside a GC", a, w,
					  (unsigned long long)s->gcmarkbits[w]);
				break;
			}
	return true;
}

static void check_span_objects(checker_t *k, mspan_t *s)
{
	if (!span_objects_valid(k, s))
		return;   /* its counts mean nothing */
	int cls = spanclass_sizeclass(s->spanclass);
	/* stats as the walk sees them */
	if (cls == 0) {
		k->nlarge++;
		k->large_bytes += s->elemsize;
	} else {
		k->live_class[cls] += s->allocCount;
		k->live_objects += s->allocCount;
		k->live_bytes += (uint64_t)s->allocCount * s->elemsize;
	}
}

/* Where the span is kept (free lists, h->large, an mcentral set, an mcache)
 * and whether its sweepgen fits there. */
static void check_span_home(checker_t *k, mspan_t *s)
{
	heap_t *h = k->h;
	unsigned long a = ADDR(s->startaddr);
	uint32_t sg = h->sweepgen;
	bool unswept_ok = h->cfg.sweep == HEAP_SWEEP_LAZY && !h->sweepdone;
	int li = s->list ? list_index(h, s->list) : -1;
	if (s->list && li < 0) {
		violation(k, "list_link", "span %#lx list %p is no heap list", a, (void *)s->list);
		return;
	}
	if (li >= 0)
		k->claims[li]++;

	if (s->state == MSPAN_FREE) {
		int want = s->npages < FREE_LIST_PAGES ? (int)s->npages : L_FREELARGE;
		if (li != want || s->cachedby != -1)
			violation(k, "free_list", "free run %#lx+%lu on list %d (want %d), cachedby %d", a,
				  ADDR(s->npages), li, want, s->cachedby);
		if (s->npreleased > s->npages)
			violation(k, "stats_pages", "free run %#lx+%lu npreleased %lu", a, ADDR(s->npages),
				  ADDR(s->npreleased));
		if (s->specials)
			violation(k, "specials_object", "free run %#lx has specials", a);
		k->free_pages += s->npages;
		k->released_pages += s->npreleased < s->npages ? s->npreleased : s->npages;
		return;
	}
	if (s->state != MSPAN_INUSE)
		return;
	k->inuse_pages += s->npages;
	if (li >= 0 && li < L_LARGE) {
		violation(k, "free_list", "in-use span %#lx on free list %d", a, li);
		return;
	}
	bool legal_home = s->sweepgen == sg || (unswept_ok && s->sweepgen == sg - 2);
	if (s->large || spanclass_sizeclass(s->spanclass) == 0) {
		if (li != L_LARGE || s->cachedby != -1)
			violation(k, "large_list", "large span %#lx on list %d, cachedby %d", a, li, s->cachedby);
		else if (!legal_home)
			violation(k, "sweepgen", "large span %#lx sweepgen %u, heap %u", a, s->sweepgen, sg);
		return;
	}
	if (s->cachedby >= 0) {
		int p = s->cachedby;
		if (p >= h->cfg.nprocs || h->mcaches[p] == NULL || li >= 0 ||
		    h->mcaches[p]->alloc[s->spanclass] != s)
			violation(k, "mcache", "span %#lx cachedby %d, list %d, not in that mcache", a, p, li);
		else if (s->sweepgen != sg + 3 && s->sweepgen != sg + 1)
			violation(k, "sweepgen", "cached span %#lx sweepgen %u, heap %u", a, s->sweepgen, sg);
		return;
	}
	int base = L_CENTRAL + s->spanclass * 4;
	if (li < base || li >= base + 4) {
		violation(k, "central_list", "span %#lx class %d uncached on list %d", a, s->spanclass, li);
		return;
	}
	/* [sg/2 % 2] holds the swept spans, the other set the unswept ones. */
	int which = (li - base) % 2, swept_set = (int)((sg / 2) % 2);
	bool full = li - base >= 2;
	if (which == swept_set ? s->sweepgen != sg : !(unswept_ok && s->sweepgen == sg - 2))
		violation(k, "central_set", "span %#lx sweepgen %u (heap %u) in %s set %d", a, s->sweepgen,
			  sg, full ? "full" : "partial", which);
	else if (s->allocCount == 0)
		violation(k, "central_set", "empty span %#lx in mcentral %s set %d", a,
			  full ? "full" : "partial", which);
	else if (which == swept_set && full != (s->allocCount == s->nelems))
		violation(k, "central_set", "swept span %#lx allocCount %u of %u in the %s set", a,
			  s->allocCount, s->nelems, full ? "full" : "partial");
}

/* ---- lists ---- */

/* List number i: its members, its count, its last, and the spans that
 * claim it (check_span_home). */
static void check_list(checker_t *k, int i, const mspan_list_t *l)
{
	mspan_t *prev = NULL;
	uint32_t n = 0;
	for (mspan_t *s = l->first; s; s = s->next) {
		if (!known_span(k, s) || s->list != l || s->prev != prev || n > k->sc->nspans) {
			violation(k, "list_link", "list %d member %u: span %p%s", i, n, (void *)s,
				  !known_span(k, s) ? " is not in the span map" : " has a wrong list/prev or cycles");
			return;
		}
		prev = s;
		n++;
	}
	if (l->last != prev || l->n != n || n != k->claims[i])
		violation(k, "list_link", "list %d: %u members, n %u, %u spans claim it, last %p vs %p",
			  i, n, l->n, k->claims[i], (void *)l->last, (void *)prev);
}

/* A list check_list must walk: its number and head. */
typedef struct { int i; const mspan_list_t *l; } busy_list_t;

/* The lists with a member, a count or a claim, in number order; how many.
 * Every other head must be all zero, which check_list would find, and most
 * of the 666 are at every check point. This reads only the heap's own heads
 * at indexes the array sizes fix, so the sanitizers have nothing to find
 * here, and their checks on its ~2,000 loads were most of a check point's
 * cost in the fuzz preset: it is built without them (and without coverage:
 * it guides nothing). */
AF_NO_COVERAGE AF_NO_SANITIZE static int busy_lists(const heap_t *h, const uint32_t *claims,
                                                    busy_list_t out[L_COUNT])
{
	int i = 0, n = 0;
#define PUT(head) \
	do { \
		const mspan_list_t *l_ = &(head); \
		if (l_->first || l_->last || l_->n || claims[i]) \
			out[n++] = (busy_list_t){ i, l_ }; \
		i++; \
	} while (0)
	for (int j = 0; j < FREE_LIST_PAGES; j++)
		PUT(h->free[j]);
	PUT(h->freelarge);
	PUT(h->large);
	for (int c = 0; c < NUM_SPAN_CLASSES; c++) {
		PUT(h->central[c].partial[0]);
		PUT(h->central[c].partial[1]);
		PUT(h->central[c].full[0]);
		PUT(h->central[c].full[1]);
	}
#undef PUT
	return n;
}

/* Every list in its number's order, walked in place. */
static void check_lists(checker_t *k)
{
	busy_list_t busy[L_COUNT];
	int n = busy_lists(k->h, k->claims, busy);
	for (int j = 0; j < n; j++)
		check_list(k, busy[j].i, busy[j].l);
}

/* ---- mcaches ---- */

/* The classes whose slot in c holds a span (neither NULL nor the
 * placeholder e), ascending; how many. As busy_lists, a scan of a
 * fixed-size table. */
AF_NO_COVERAGE AF_NO_SANITIZE static int busy_slots(const mcache_t *c, const mspan_t *e,
                                                    int out[NUM_SPAN_CLASSES])
{
	int n = 0;
	for (int i = 0; i < NUM_SPAN_CLASSES; i++)
		if (c->alloc[i] != NULL && c->alloc[i] != e)
			out[n++] = i;
	return n;
}

static void check_mcaches(checker_t *k)
{
	heap_t *h = k->h;
	mspan_t *e = &h->emptyspan;
	if (e->nelems != 0 || e->freeindex != 0 || e->allocCount != 0 || e->list || e->cachedby != -1)
		violation(k, "emptyspan", "placeholder nelems %u freeindex %u allocCount %u", e->nelems,
			  e->freeindex, e->allocCount);
	for (int p = 0; p < h->cfg.nprocs; p++) {
		mcache_t *c = h->mcaches[p];
		if (!c) {
			violation(k, "mcache", "P %d has no mcache", p);
			continue;
		}
		uintptr_t tiny = c->tiny;   /* an instrumented read of the mcache first */
		int busy[NUM_SPAN_CLASSES], nbusy = busy_slots(c, e, busy);
		for (int j = 0; j < nbusy; j++) {
			int i = busy[j];
			mspan_t *s = c->alloc[i];
			if (!known_span(k, s) || s->cachedby != p || s->spanclass != i ||
			    s->state != MSPAN_INUSE || s->large) {
				violation(k, "mcache", "P %d alloc[%d] = %p %s", p, i, (void *)s,
					  known_span(k, s) ? "is not owned by it" : "is not a span");
				break;
			}
		}
		if (tiny == 0)
			continue;
		mspan_t *s = map_at(h, c->tiny);
		spanclass_t tsc = make_spanclass(TINY_SIZE_CLASS, true);
		bool ok = s && known_span(k, s) && span_sane(s);
		uintptr_t i = ok ? mspan_objindex(s, c->tiny) : 0;
		if (!ok || s->state != MSPAN_INUSE || s->spanclass != tsc ||
		    c->tiny % TINY_SIZE || c->tinyoffset > TINY_SIZE || i >= s->nelems ||
		    !bit_get(s->allocbits, i) || !bit_get(s->tinybits, i))
			violation(k, "mcache_tiny", "P %d tiny %#lx tinyoffset %lu", p, ADDR(c->tiny),
				  ADDR(c->tinyoffset));
	}
}

/* ---- specials, finalizer queue, profile ---- */

static bucket_t **find_bucket(checker_t *k, bucket_t *b)
{
	int64_t i = k->sc->nbuckets ? ptrmap_get(&k->sc->bucketmap, b) : -1;
	return i < 0 ? NULL : &k->sc->buckets[i];
}

/* The profile buckets, for lookups, with a live-special counter each. A
 * cycle of the list is found while counting (Brent: the counted length is
 * under twice the list's distinct buckets) and named where the walk meets
 * a bucket again; the list is bounded (MAX_BUCKETS) besides. */
static void collect_buckets(checker_t *k)
{
	struct mcheck_scratch *sc = k->sc;
	size_t n = 0, lap = 1, steps = 0;
	const bucket_t *seen = NULL;
	for (bucket_t *b = k->h->buckets; b && b != seen && n <= MAX_BUCKETS; b = b->allnext) {
		n++;
		if (++steps == lap)
			seen = b, lap *= 2, steps = 0;
	}
	sc->nbuckets = 0;
	if (n + 1 > sc->capbuckets) {
		free(sc->buckets);
		free(sc->bucket_live);
		sc->buckets = malloc((n + 1) * sizeof *sc->buckets);
		sc->bucket_live = malloc((n + 1) * sizeof *sc->bucket_live);
		sc->capbuckets = sc->buckets && sc->bucket_live ? n + 1 : 0;
	}
	if (!sc->capbuckets || !ptrmap_reset(&sc->bucketmap, n)) {
		violation(k, "profile_bucket", "checker out of memory for %zu buckets", n);
		return;
	}
	memset(sc->bucket_live, 0, (n + 1) * sizeof *sc->bucket_live);
	/* one past n: where the count stopped at a bucket seen, the walk meets it */
	for (bucket_t *b = k->h->buckets; b && sc->nbuckets <= n; b = b->allnext) {
		if (!ptrmap_put(&sc->bucketmap, b, (uint32_t)sc->nbuckets)) {
			violation(k, "profile_bucket", "the bucket list cycles: stack %u again after %zu buckets",
				  b->stack, sc->nbuckets);
			break;
		}
		sc->buckets[sc->nbuckets++] = b;
	}
}

static void check_span_specials(checker_t *k, mspan_t *s)
{
	unsigned long a = ADDR(s->startaddr);
	if (!span_sane(s))
		return;
	if (s->specials && k->h->cfg.specials != HEAP_SPECIALS_SPAN) {
		violation(k, "specials_object", "span %#lx has span specials in legacy mode", ADDR(s->startaddr));
		return;
	}
	uintptr_t objbytes = s->limit - s->startaddr;
	special_t *prev = NULL;
	uintptr_t n = 0;
	for (special_t *x = s->specials; x; prev = x, x = x->next) {
		if (++n > 2 * objbytes + 2) {
			violation(k, "specials_order", "span %#lx specials cycle", a);
			return;
		}
		if ((x->kind != KIND_SPECIAL_FINALIZER && x->kind != KIND_SPECIAL_PROFILE) ||
		    (prev && (prev->offset > x->offset ||
			      (prev->offset == x->offset && prev->kind >= x->kind)))) {
			violation(k, "specials_order", "span %#lx special (%u, %u) after (%u, %u)", a,
				  x->offset, x->kind, prev ? prev->offset : 0, prev ? prev->kind : 0);
			return;
		}
		bool at_start = s->large ? x->offset == 0 : x->offset % s->elemsize == 0;
		uintptr_t idx = s->large ? 0 : mspan_objindex(s, s->startaddr + x->offset);
		if (x->offset >= objbytes || idx >= s->nelems || !bit_get(s->allocbits, idx) ||
		    (!at_start && x->kind == KIND_SPECIAL_PROFILE)) {
			violation(k, "specials_object", "span %#lx special (%u, %u): slot %lu allocated %d", a,
				  x->offset, x->kind, ADDR(idx),
				  idx < s->nelems && bit_get(s->allocbits, idx));
			return;
		}
		if (x->kind == KIND_SPECIAL_FINALIZER) {
			k->nfinspecials++;
			continue;
		}
		k->nprofspecials++;
		bucket_t **b = find_bucket(k, ((special_profile_t *)x)->b);
		if (!b) {
			violation(k, "profile_bucket", "span %#lx profile special %u: bucket %p unknown", a,
				  x->offset, (void *)((special_profile_t *)x)->b);
			return;
		}
		k->sc->bucket_live[b - k->sc->buckets]++;
	}
}

/* Is p inside an allocated object of an in-use span? */
static bool allocated_at(checker_t *k, uintptr_t p)
{
	mspan_t *s = map_at(k->h, p);
	if (!s || !known_span(k, s) || s->state != MSPAN_INUSE || p >= s->limit || !span_sane(s))
		return false;
	return bit_get(s->allocbits, s->large ? 0 : mspan_objindex(s, p));
}

static void check_finq(checker_t *k)
{
	heap_t *h = k->h;
	size_t n = 0;
	for (finblock_t *b = h->finq; b; b = b->next) {
		if (b->cnt > FINBLOCK_CAP || n > h->nfinq) {
			violation(k, "finq_count", "finblock cnt %u after %zu records, nfinq %zu", b->cnt, n, h->nfinq);
			return;
		}
		for (uint32_t i = 0; i < b->cnt; i++) {
			finalizer_t *f = &b->fin[i];
			if (f->fn == 0 || !allocated_at(k, (uintptr_t)f->arg))
				violation(k, "finq_object", "queued finalizer %#lx for %p: object not allocated",
					  ADDR(f->fn), f->arg);
		}
		n += b->cnt;
	}
	if (n != h->nfinq)
		violation(k, "finq_count", "%zu queued records, nfinq %zu", n, h->nfinq);
}

/* Per bucket: allocs - frees (recent included) == its live profile records,
 * the span specials (check_span_specials) or the legacy records
 * (legacy_record) that name it. */
static void check_profile(checker_t *k)
{
	struct mcheck_scratch *sc = k->sc;
	bool span_mode = k->h->cfg.specials == HEAP_SPECIALS_SPAN;
	for (size_t i = 0; i < sc->nbuckets; i++) {
		bucket_t *b = sc->buckets[i];
		profcounts_t all = bucket_total(b);
		uint64_t allocs = all.allocs, frees = all.frees;
		if (b->pub.frees > b->pub.allocs || b->pub.free_bytes > b->pub.alloc_bytes ||
		    frees > allocs || all.free_bytes > all.alloc_bytes)
			violation(k, "profile_bucket", "stack %u: allocs %llu+%llu frees %llu+%llu", b->stack,
				  (unsigned long long)b->pub.allocs, (unsigned long long)(allocs - b->pub.allocs),
				  (unsigned long long)b->pub.frees, (unsigned long long)(frees - b->pub.frees));
		else if (allocs - frees != sc->bucket_live[i])
			violation(k, "profile_live", "stack %u: %llu allocs - frees, %llu live profile %s",
				  b->stack, (unsigned long long)(allocs - frees),
				  (unsigned long long)sc->bucket_live[i], span_mode ? "specials" : "records");
	}
	fixalloc_t *ff = &k->h->specialfinalizeralloc, *fp = &k->h->specialprofilealloc;
	if (span_mode && (ff->inuse != k->nfinspecials * ff->size || fp->inuse != k->nprofspecials * fp->size))
		violation(k, "specials_count", "finalizer pool %llu B for %llu records, profile pool %llu B for %llu",
			  (unsigned long long)ff->inuse, (unsigned long long)k->nfinspecials,
			  (unsigned long long)fp->inuse, (unsigned long long)k->nprofspecials);
}

/* ---- the legacy design's side tables ---- */

static bool specialbit(const heap_t *h, uintptr_t base)
{
	heaparena_t *a = mheap_arena_of(h, base);
	return a && bit_get(a->specialbits, (base & (ARENA_BYTES - 1)) / PTR_SIZE);
}

/* mlegacy_walk callback: one record at addr. */
static void legacy_record(heap_t *h, uintptr_t addr, int kind, void *ctx)
{
	checker_t *k = ctx;
	struct mcheck_scratch *sc = k->sc;
	mspan_t *s = map_at(h, addr);
	if (!s || !known_span(k, s) || s->state != MSPAN_INUSE || !span_sane(s) || addr >= s->limit) {
		violation(k, "legacy_record", "record kind %d at %#lx: not in an in-use span", kind, ADDR(addr));
		return;
	}
	uintptr_t idx = s->large ? 0 : mspan_objindex(s, addr);
	uintptr_t base = s->startaddr + idx * s->elemsize;
	if (idx >= s->nelems || !bit_get(s->allocbits, idx) ||
	    (addr != base && kind == KIND_SPECIAL_PROFILE) || !specialbit(h, base)) {
		violation(k, "legacy_record", "record kind %d at %#lx: object %#lx allocated %d special bit %d",
			  kind, ADDR(addr), ADDR(base), idx < s->nelems && bit_get(s->allocbits, idx),
			  specialbit(h, base));
		return;
	}
	if (kind == KIND_SPECIAL_PROFILE) {
		k->nprofspecials++;
		bucket_t *pb = mlegacy_profile_bucket(h, addr), **b = find_bucket(k, pb);
		if (!b) {
			violation(k, "profile_bucket", "legacy profile record at %#lx: bucket %p unknown",
				  ADDR(addr), (void *)pb);
			return;
		}
		sc->bucket_live[b - sc->buckets]++;
	}
	if (sc->nlegacy == sc->lcap) {
		size_t cap = sc->lcap ? 2 * sc->lcap : 256;
		uintptr_t *a = realloc(sc->legacy, cap * sizeof *a);
		if (!a) {
			k->legacy_oom = true;
			return;
		}
		sc->legacy = a, sc->lcap = cap;
	}
	sc->legacy[sc->nlegacy++] = base;
}

static int addr_cmp(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

/* The heap checker's walk of the legacy special bits (check_legacy, at
 * every check point of a legacy heap; mlegacy_is_valid's too). Only bits
 * at object starts are objects' bits; fn sees those that are set, in address order, until it
 * returns false. Objects of 512 bytes and more are looked up one by one
 * (their bits are a word or more apart); smaller ones a bitmap word (64 heap
 * words) at a time, so a span costs its bitmap words and its set bits, not
 * a lookup per slot. Here rather than in mlegacy.c: this file has no
 * comparison tracing in the fuzz preset (CMakeLists.txt). */
void mlegacy_each_specialbit(heap_t *h, const mspan_t *s,
                             bool (*fn)(heap_t *h, const mspan_t *s, uintptr_t idx, uintptr_t base, void *ctx),
                             void *ctx)
{
	uintptr_t end = s->startaddr + (uintptr_t)s->nelems * s->elemsize;
	if (s->elemsize >= 64 * PTR_SIZE) {
		for (uintptr_t i = 0; i < s->nelems; i++) {
			uintptr_t base = s->startaddr + i * s->elemsize;
			if (specialbit(h, base) && !fn(h, s, i, base, ctx))
				return;
		}
		return;
	}
	for (uintptr_t p = s->startaddr; p < end;) {
		uintptr_t abase = p & ~(ARENA_BYTES - 1), stop = abase + ARENA_BYTES;
		if (stop > end || stop < abase)
			stop = end;
		heaparena_t *a = mheap_arena_of(h, p);
		uintptr_t i0 = (p - abase) / PTR_SIZE, i1 = (stop - abase + PTR_SIZE - 1) / PTR_SIZE;
		for (uintptr_t w = i0 / 64; a && w <= (i1 - 1) / 64; w++) {
			uint64_t bits = a->specialbits[w];
			if (w == i0 / 64)
				bits &= ~(uint64_t)0 << (i0 % 64);
			if (w == (i1 - 1) / 64 && i1 % 64)
				bits &= ~(~(uint64_t)0 << (i1 % 64));
			for (; bits; bits &= bits - 1) {
				uintptr_t q = abase + (w * 64 + (uintptr_t)__builtin_ctzll(bits)) * PTR_SIZE;
				uintptr_t off = q - s->startaddr;
				if (off % s->elemsize == 0 && !fn(h, s, off / s->elemsize, q, ctx))
					return;
			}
		}
		p = stop;
	}
}

/* mlegacy_each_specialbit callback: some record names the object at base. */
static bool bit_named(heap_t *h, const mspan_t *s, uintptr_t j, uintptr_t base, void *ctx)
{
	(void)h;
	checker_t *k = ctx;
	struct mcheck_scratch *sc = k->sc;
	if (sc->nlegacy && bsearch(&base, sc->legacy, sc->nlegacy, sizeof base, addr_cmp))
		return true;
	violation(k, "legacy_specialbit", "object %#lx (slot %lu of span %#lx) has the special bit, no record",
		  ADDR(base), ADDR(j), ADDR(s->startaddr));
	k->legacy_bit_unnamed = true;
	return false;
}

/* Every record lies in an allocated object whose special bit is set, and no
 * other object (allocated or not) has the bit. */
static void check_legacy(checker_t *k)
{
	heap_t *h = k->h;
	struct mcheck_scratch *sc = k->sc;
	sc->nlegacy = 0;
	mlegacy_walk(h, legacy_record, k);
	if (k->legacy_oom) {
		violation(k, "legacy_record", "checker out of memory");
		return;
	}
	if (sc->nlegacy)
		qsort(sc->legacy, sc->nlegacy, sizeof *sc->legacy, addr_cmp);
	for (size_t i = 0; i < sc->nspans && !k->legacy_bit_unnamed; i++) {
		mspan_t *s = sc->spans[i];
		if (s->state == MSPAN_INUSE && span_sane(s))
			mlegacy_each_specialbit(h, s, bit_named, k);
	}
	if (k->legacy_bit_unnamed)
		return;
	/* Then the finalizer tables' own counts, load and the reachability of
	 * every key (resizes and rehashes happen only after tens of setfin in
	 * one table, which unit tests alone reached before). */
	char why[200];
	if (!heap_check_skipped("legacy_tables") && !mlegacy_tables_valid(h, why, sizeof why))
		violation(k, "legacy_tables", "%s", why);
}

const char *heap_skip_checks;

bool heap_check_skipped(const char *invariant)
{
	if (!heap_skip_checks)
		return false;
	size_t n = strlen(invariant);
	for (const char *s = heap_skip_checks; (s = strstr(s, invariant)); s += n)
		if ((s == heap_skip_checks || s[-1] == ',') && (s[n] == ',' || s[n] == 0))
			return true;
	return false;
}

/* ---- stats ---- */

static void check_stats(checker_t *k)
{
	heap_stats_t *st = k->st;
	heap_read_stats(k->h, st);
	uint64_t blocks = k->live_objects + k->nlarge;
	if (st->heap_objects != blocks || st->nmalloc - st->tiny_allocs - st->nfree != blocks)
		violation(k, "stats_objects", "heap_objects %llu, nmalloc %llu - tiny %llu - nfree %llu; walk %llu",
			  (unsigned long long)st->heap_objects, (unsigned long long)st->nmalloc,
			  (unsigned long long)st->tiny_allocs, (unsigned long long)st->nfree,
			  (unsigned long long)blocks);
	if (st->heap_alloc != k->live_bytes + k->large_bytes)
		violation(k, "stats_bytes", "heap_alloc %llu, walk %llu", (unsigned long long)st->heap_alloc,
			  (unsigned long long)(k->live_bytes + k->large_bytes));
	for (int c = 1; c < NUM_SIZE_CLASSES; c++)
		if (st->by_class_nmalloc[c] - st->by_class_nfree[c] != k->live_class[c]) {
			violation(k, "stats_class", "class %d: nmalloc %llu - nfree %llu, walk %llu", c,
				  (unsigned long long)st->by_class_nmalloc[c],
				  (unsigned long long)st->by_class_nfree[c], (unsigned long long)k->live_class[c]);
			break;
		}
	if (st->large_nmalloc - st->large_nfree != k->nlarge ||
	    st->by_class_nmalloc[0] - st->by_class_nfree[0] != k->nlarge ||
	    st->large_alloc - st->large_free != k->large_bytes)
		violation(k, "stats_large", "large %llu - %llu objects, %llu - %llu bytes; walk %llu objects %llu bytes",
			  (unsigned long long)st->large_nmalloc, (unsigned long long)st->large_nfree,
			  (unsigned long long)st->large_alloc, (unsigned long long)st->large_free,
			  (unsigned long long)k->nlarge, (unsigned long long)k->large_bytes);
	uint64_t inuse = k->inuse_pages * PAGE_SIZE, idle = k->free_pages * PAGE_SIZE;
	uint64_t rel = k->released_pages * PAGE_SIZE, sys = k->h->arena_used - k->h->arena_start;
	if (st->heap_inuse != inuse || st->heap_idle != idle || st->heap_released != rel || st->heap_sys != sys)
		violation(k, "stats_pages", "inuse %llu idle %llu released %llu sys %llu; walk %llu %llu %llu %llu",
			  (unsigned long long)st->heap_inuse, (unsigned long long)st->heap_idle,
			  (unsigned long long)st->heap_released, (unsigned long long)st->heap_sys,
			  (unsigned long long)inuse, (unsigned long long)idle, (unsigned long long)rel,
			  (unsigned long long)sys);
}

/* ---- validators: one span where it changes hands ----
 *
 * mimalloc's _mi_page_is_valid: cheap checks of what a span carries, called
 * (with AF_EXPENSIVE, internal.h) where a span goes from one owner to the
 * next (mcentral <-> mcache, sweep, the page heap's free; the alloc cache
 * alone where heap_free rebuilds it), so a corruption is
 * reported by the op that handed the span over, not at the next check
 * point. They reuse the checker's per-span checks and names; the list check
 * looks at the span's own links only (its neighbours and, at the ends, the
 * list head), so a validation costs the span, never the heap. */

static bool span_links_valid(checker_t *k, const mspan_t *s)
{
	const mspan_list_t *l = s->list;
	if (!l)
		return !s->next && !s->prev ? true :
		       (violation(k, "list_link", "span %#lx on no list has links %p %p", ADDR(s->startaddr),
				  (void *)s->next, (void *)s->prev), false);
	if (list_index(k->h, l) < 0) {
		violation(k, "list_link", "span %#lx list %p is no heap list", ADDR(s->startaddr), (void *)l);
		return false;
	}
	bool ok = l->n > 0 &&
		  (s->prev ? s->prev->next == s && s->prev->list == l : l->first == s) &&
		  (s->next ? s->next->prev == s && s->next->list == l : l->last == s);
	if (!ok)
		violation(k, "list_link", "span %#lx in list %d (n %u): prev %p next %p first %p last %p",
			  ADDR(s->startaddr), list_index(k->h, l), l->n, (void *)s->prev, (void *)s->next,
			  (void *)l->first, (void *)l->last);
	return ok;
}

bool mspan_is_valid(heap_t *h, const mspan_t *s, heap_check_report_t *why)
{
	checker_t k = { .h = h, .out = why, .max = 1 };
	if (s->state == MSPAN_INUSE)
		span_objects_valid(&k, s);
	else if (s->state != MSPAN_FREE)
		violation(&k, "span_state", "span %#lx state %u", ADDR(s->startaddr), s->state);
	if (k.nviol == 0)
		span_links_valid(&k, s);
	return k.nviol == 0;
}

/* The whole list, bounded by its count (a cycle ends the walk). */
bool mspan_list_is_valid(heap_t *h, const mspan_list_t *l, heap_check_report_t *why)
{
	checker_t k = { .h = h, .out = why, .max = 1 };
	const mspan_t *prev = NULL;
	uint32_t n = 0;
	for (const mspan_t *s = l->first; s; prev = s, s = s->next) {
		if (n++ > l->n || s->list != l || s->prev != prev) {
			violation(&k, "list_link", "list %p member %u: span %p has a wrong list/prev or cycles",
				  (const void *)l, n - 1, (const void *)s);
			return false;
		}
	}
	if (l->last != prev || l->n != n)
		violation(&k, "list_link", "list %p: %u members, n %u, last %p vs %p", (const void *)l, n,
			  l->n, (const void *)l->last, (const void *)prev);
	return k.nviol == 0;
}

/* The alloc cache alone, where it was just rebuilt for its owner (heap_free's
 * rewind): a free that broke other span fields is the model's to name (a
 * double free: NOT_ALLOCATED predicted, OK returned), after the op. */
void mspan_assert_cache_valid(heap_t *h, const mspan_t *s, const char *where)
{
	heap_check_report_t r;
	checker_t k = { .h = h, .out = &r, .max = 1 };
	if (s->freeindex <= s->nelems)
		span_cache_valid(&k, s, s->cachedby < 0 || !s->foreignfree);
	if (k.nviol)
		heap_throw(h, "%s: span %#lx handed over invalid: %s: %s", where, ADDR(s->startaddr),
			   r.invariant, r.detail);
}

void mspan_assert_valid(heap_t *h, const mspan_t *s, const char *where)
{
	heap_check_report_t r;
	if (!mspan_is_valid(h, s, &r))
		heap_throw(h, "%s: span %#lx handed over invalid: %s: %s", where, ADDR(s->startaddr),
			   r.invariant, r.detail);
}

/* ---- entry points ---- */

/* mcheck_collect; *st is left holding the stats the check compared (when
 * the walk got that far: not after a span map it could not read). */
static size_t collect(heap_t *h, heap_check_report_t *out, size_t max, heap_stats_t *st)
{
	if (!h->check)
		h->check = calloc(1, sizeof *h->check);
	if (!h->check) {
		if (max) {
			snprintf(out[0].invariant, sizeof out[0].invariant, "committed_range");
			snprintf(out[0].detail, sizeof out[0].detail, "checker out of memory");
		}
		return 1;
	}
	checker_t *k = &h->check->k;
	memset(k, 0, sizeof *k);
	k->h = h, k->out = out, k->max = max, k->sc = h->check, k->st = st;
	check_span_map(k);
	if (k->nviol == 0 || k->sc->nspans > 0) {
		collect_buckets(k);
		for (size_t i = 0; i < k->sc->nspans; i++) {
			mspan_t *s = k->sc->spans[i];
			if (s->state == MSPAN_INUSE)
				check_span_objects(k, s);
		}
		for (size_t i = 0; i < k->sc->nspans; i++)
			check_span_home(k, k->sc->spans[i]);
		check_lists(k);
		check_mcaches(k);
		for (size_t i = 0; i < k->sc->nspans; i++)
			if (k->sc->spans[i]->state == MSPAN_INUSE)
				check_span_specials(k, k->sc->spans[i]);
		check_finq(k);
		if (h->cfg.specials == HEAP_SPECIALS_LEGACY)
			check_legacy(k);
		check_profile(k);
		check_stats(k);
		if (h->grow_unreclaimed_npages)
			violation(k, "lazy_grow_before_reclaim", "lazy sweep grew the heap for %lu pages "
			          "while %lu pages of unswept spans with no marked object were left "
			          "(Go 1.19 mheap.alloc reclaims npages first)",
			          (unsigned long)h->grow_unreclaimed_npages, (unsigned long)h->grow_dead_pages);
	}
	return k->nviol;
}

size_t mcheck_collect(heap_t *h, heap_check_report_t *out, size_t max)
{
	heap_stats_t st;
	return collect(h, out, max, &st);
}

alloc_err_t heap_check_stats(heap_t *h, heap_check_report_t *rep, heap_stats_t *st)
{
	heap_check_report_t scratch;
	heap_stats_t st_scratch;
	if (!rep)
		rep = &scratch;
	memset(rep, 0, sizeof *rep);
	return collect(h, rep, 1, st ? st : &st_scratch) ? ALLOC_ERR_CHECK : ALLOC_OK;
}

alloc_err_t heap_check(heap_t *h, heap_check_report_t *rep)
{
	return heap_check_stats(h, rep, NULL);
}

void mcheck_destroy(heap_t *h)
{
	struct mcheck_scratch *sc = h->check;
	if (!sc)
		return;
	free(sc->spans);
	ptrmap_free(&sc->spanset);
	ptrmap_free(&sc->bucketmap);
	free(sc->buckets);
	free(sc->bucket_live);
	free(sc->legacy);
	free(sc);
	h->check = NULL;
}
