/*
 * fuzz_pageheap: the page heap alone (alloc/mheap.c) against a page-bitmap
 * model. The model knows which pages belong to which in-use span and which
 * are free; after every op the whole committed range is walked through the
 * span map and compared with it.
 *
 * The model is a list of runs (the in-use spans, by address), so every check
 * costs spans, not pages, except the per-page span-map check of a span when
 * it is allocated and freed (a tight loop over the map, below).
 *
 * Input: byte 0 picks one of the heaps below (a cap just above one grow, a
 * few MiB, and one that crosses an arena boundary). Then ops, an opcode byte
 * each (low 2 bits), operands after it; truncated operands read as zero:
 *   0 alloc N   N pages; N from the operand bytes, biased to the edges of the
 *               free lists, the grow size, the arena and the cap
 *   1 free I    the live span I (mod the live count), oldest first
 *   2 scavenge  mheap_scavenge_all
 *   3 free the newest span (LIFO frees coalesce most)
 * At the end every span is freed (which must leave one free run covering the
 * committed range), then heap_reset.
 *
 * Checked after each op, walking span by span: the spans tile the committed
 * range; in-use spans are exactly the model's and their end pages map to
 * them; free runs are never adjacent and sit on the list their size names;
 * released pages are counted consistently; memstats agree with the walk.
 * Every page of a span is checked when it is allocated and when it is
 * freed. An alloc returns pages the model had free (or uncommitted under
 * the cap), zeroed unless needzero; NOMEM only when no run of N pages could
 * exist even after growing to the cap. Cookies at both ends of each span
 * prove spans do not share memory. A scavenge releases (in place: the
 * cookies written there are zeroed, the pages kept) only pages the model
 * has free.
 * White-box (AF_WHITEBOX): it drives the page heap directly.
 */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define NHEAPS 3
static const size_t heap_caps[NHEAPS] = {
	(HEAP_GROW_PAGES + 16) * PAGE_SIZE,     /* a second grow must stop at the cap */
	(size_t)4 << 20,
	ARENA_BYTES + ((size_t)8 << 20),        /* spans and runs cross an arena edge */
};
#define MAX_LIVE 1024

/* The checks walk the heap's pages and spans: comparison tracing and edge
 * coverage there guide nothing (their compares are addresses, and they fail
 * only on a bug) and cost most of a run, so they are AF_NO_COVERAGE
 * (alloc/internal.h). The ops and the allocator keep both. */

typedef struct live {
	mspan_t *s;
	uintptr_t first, npages;  /* page index from arena_start, as allocated */
	uint64_t cookie;
} live_t;

/* Walk results: what the heap holds, for the op checks. */
typedef struct walk {
	size_t inuse_pages, free_pages, released_pages, nfree_runs, ninuse;
	size_t largest_free, trailing_free;
} walk_t;

static heap_t *heaps[NHEAPS];
static struct {
	heap_t *h;
	size_t cap_pages;
	size_t committed;            /* pages; never shrinks within an input */
	live_t live[MAX_LIVE];       /* in-use spans, oldest first (what free I picks) */
	int nlive;
	live_t byaddr[MAX_LIVE];     /* the same spans by address: the model's page owners */
	uint64_t nextcookie;
	size_t opi;                  /* op index, for reports */
	const char *op;
	walk_t last;                 /* the walk of the last check: the heap as the next op finds it */
} m;

__attribute__((noreturn, format(printf, 1, 2)))
static void fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "fuzz_pageheap: op %zu (%s), cap %zu pages, committed %zu: ",
	        m.opi, m.op, m.cap_pages, m.committed);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static uintptr_t page_addr(uintptr_t i) { return m.h->arena_start + i * PAGE_SIZE; }

static uint64_t *span_word(const live_t *l, bool last)
{
	uintptr_t a = page_addr(l->first) + (last ? l->npages * PAGE_SIZE - 8 : 0);
	return (uint64_t *)a;
}

AF_NO_COVERAGE static void check_cookies(const live_t *l)
{
	if (*span_word(l, false) != l->cookie || *span_word(l, true) != ~l->cookie)
		fail("span at page %zu (%zu pages) lost its cookies: another span or "
		     "the heap wrote into it", (size_t)l->first, (size_t)l->npages);
}

/* The model's spans by address: the first one whose first page is >= i. */
static int byaddr_lower(uintptr_t i)
{
	int lo = 0, hi = m.nlive;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (m.byaddr[mid].first < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The span map's entry for committed page q, read as mheap_span_of reads it. */
AF_NO_COVERAGE static const mspan_t *map_at(uintptr_t q)
{
	uintptr_t off = q << PAGE_SHIFT;
	const heaparena_t *a = m.h->arenas[off >> ARENA_SHIFT];
	return __atomic_load_n(&a->spans[(off & (ARENA_BYTES - 1)) >> PAGE_SHIFT], __ATOMIC_ACQUIRE);
}

/* What mheap_span_of_inuse answers for committed page q, from the map: its
 * entry if that is an in-use span covering q, else NULL. */
AF_NO_COVERAGE static const mspan_t *inuse_at(uintptr_t q)
{
	const mspan_t *t = map_at(q);
	if (!t || t->state != MSPAN_INUSE || page_addr(q) < t->startaddr ||
	    page_addr(q) >= t->startaddr + t->npages * PAGE_SIZE)
		return NULL;
	return t;
}

AF_NO_COVERAGE static void check_page(const mspan_t *s, uintptr_t q, uintptr_t first,
                                   uintptr_t npages, bool inuse)
{
	const mspan_t *want = inuse ? s : NULL;
	if (mheap_span_of_inuse(m.h, page_addr(q)) != want ||
	    (inuse && mheap_span_of(m.h, page_addr(q)) != s))
		fail("page %zu of the %s span at page %zu (%zu pages) maps to the wrong span",
		     (size_t)q, inuse ? "in-use" : "freed", (size_t)first, (size_t)npages);
}

/* Every page of a span maps to it (in use) or has no in-use span (free).
 * Checked once per span: when it is allocated and when it is freed; the
 * walk below checks the two end pages of every span after every op, which
 * is where coalescing and splitting write.
 * The end pages ask mheap_span_of and mheap_span_of_inuse; the pages between
 * read the span map directly, which proves the same: for a committed page
 * mheap_span_of returns its map entry t, and mheap_span_of_inuse returns t
 * if t is INUSE and covers the page, else NULL. So for an in-use s (state
 * and range checked here) "t == s" is both answers, and for a freed span
 * "t is NULL, not INUSE, or not covering the page" is mheap_span_of_inuse
 * == NULL. A page past arena_used has no span (mheap_span_of's bound): the
 * last page's calls fail an in-use span that reaches there, and a freed
 * span's pages there are skipped. */
AF_NO_COVERAGE static void check_pages(const mspan_t *s, uintptr_t first, uintptr_t npages, bool inuse)
{
	uintptr_t last = first + npages - 1;
	check_page(s, first, first, npages, inuse);
	check_page(s, last, first, npages, inuse);
	if (inuse && (s->state != MSPAN_INUSE || s->startaddr != page_addr(first) ||
	              s->npages != npages))
		fail("the in-use span at page %zu (%zu pages) is not in use there",
		     (size_t)first, (size_t)npages);
	uintptr_t used = (m.h->arena_used - m.h->arena_start) / PAGE_SIZE;
	uintptr_t end = last < used ? last : used;
	for (uintptr_t q = first + 1; q < end; q++) {
		if (inuse ? map_at(q) != s : inuse_at(q) != NULL)
			fail("page %zu of the %s span at page %zu (%zu pages) maps to the wrong span",
			     (size_t)q, inuse ? "in-use" : "freed", (size_t)first, (size_t)npages);
	}
}

/* k: the model's first span at or above page i (the walk has matched every
 * one below). A free run holds a model page iff that span starts in it. */
AF_NO_COVERAGE static void check_free_span(const mspan_t *s, uintptr_t i, int k)
{
	const mspan_list_t *want = s->npages < FREE_LIST_PAGES ? &m.h->free[s->npages]
	                                                       : &m.h->freelarge;
	if (s->list != want)
		fail("free run at page %zu of %zu pages is not on its free list",
		     (size_t)i, (size_t)s->npages);
	if (s->npreleased > s->npages)
		fail("free run at page %zu: npreleased %zu > npages %zu",
		     (size_t)i, (size_t)s->npreleased, (size_t)s->npages);
	uintptr_t last = i + s->npages - 1;
	if (map_at(last) != s)
		fail("last page of free run at page %zu does not map to it", (size_t)i);
	if (k < m.nlive && m.byaddr[k].first <= last)
		fail("free run at page %zu (%zu pages) holds pages the model has in use",
		     (size_t)i, (size_t)s->npages);
	/* Both end pages map to s (the walk read page i's entry), which is not
	 * INUSE: mheap_span_of_inuse answers NULL there, as it must. */
}

/* k as above: an in-use span is the model's iff it is the model's next span
 * by address, with the same record and size (the model's spans are disjoint,
 * so this is the per-page owner check, over every page, not only the ends).
 * Its end pages map to it (the walk read page i's entry): as s is INUSE and
 * covers both, mheap_span_of_inuse answers s there, as it must. */
AF_NO_COVERAGE static void check_inuse_span(const mspan_t *s, uintptr_t i, int k)
{
	uintptr_t last = i + s->npages - 1;
	if (k >= m.nlive || m.byaddr[k].first != i || m.byaddr[k].s != s ||
	    m.byaddr[k].npages != s->npages)
		fail("in-use span of %zu pages at page %zu is not the model's span there",
		     (size_t)s->npages, (size_t)i);
	if (map_at(last) != s)
		fail("the last page of the in-use span at page %zu does not map to it", (size_t)i);
}

/* The whole committed range, span by span, against the model and memstats.
 * It reads the span map (map_at) rather than asking mheap_span_of
 * and mheap_span_of_inuse: the same answers (see check_pages, where the two
 * are asked at both ends of every span allocated and freed), without their
 * comparison tracing at every span after every op. */
AF_NO_COVERAGE static walk_t check_heap(void)
{
	walk_t w = {0};
	size_t committed = (m.h->arena_used - m.h->arena_start) / PAGE_SIZE;
	if (committed < m.committed || committed > m.cap_pages)
		fail("committed pages went from %zu to %zu (cap %zu)",
		     m.committed, committed, m.cap_pages);
	m.committed = committed;
	bool prevfree = false;
	size_t run = 0;
	for (uintptr_t i = 0; i < committed;) {
		const mspan_t *s = map_at(i);
		if (!s || s->startaddr != page_addr(i) || s->npages == 0 ||
		    i + s->npages > committed)
			fail("page %zu does not start a span inside the committed range",
			     (size_t)i);
		if (s->state == MSPAN_INUSE) {
			check_inuse_span(s, i, (int)w.ninuse);
			w.inuse_pages += s->npages;
			w.ninuse++;
			prevfree = false;
			run = 0;
		} else if (s->state == MSPAN_FREE) {
			if (prevfree)
				fail("free runs at pages %zu and %zu are adjacent (not coalesced)",
				     (size_t)(i - run), (size_t)i);
			check_free_span(s, i, (int)w.ninuse);
			w.free_pages += s->npages;
			w.released_pages += s->npreleased;
			w.nfree_runs++;
			if (s->npages > w.largest_free)
				w.largest_free = s->npages;
			prevfree = true;
			run = s->npages;
		} else {
			fail("page %zu maps to a span in state %d", (size_t)i, s->state);
		}
		i += s->npages;
	}
	w.trailing_free = prevfree ? run : 0;
	if (w.ninuse != (size_t)m.nlive)
		fail("the heap holds %zu in-use spans, the model %d", w.ninuse, m.nlive);
	size_t listed = m.h->freelarge.n;
	for (int n = 0; n < FREE_LIST_PAGES; n++)
		listed += m.h->free[n].n;
	if (listed != w.nfree_runs)
		fail("free lists hold %zu runs, the walk found %zu", listed, w.nfree_runs);
	/* The page heap's own counters, which heap_read_stats copies as they are
	 * (its copy and per-class sums were a twelfth of this target's time). */
	const heap_stats_t *st = &m.h->stats;
	if (st->heap_sys != committed * PAGE_SIZE || st->heap_inuse != w.inuse_pages * PAGE_SIZE ||
	    st->heap_idle != w.free_pages * PAGE_SIZE ||
	    st->heap_released != w.released_pages * PAGE_SIZE)
		fail("memstats sys/inuse/idle/released %llu/%llu/%llu/%llu, walk %zu/%zu/%zu/%zu",
		     (unsigned long long)st->heap_sys, (unsigned long long)st->heap_inuse,
		     (unsigned long long)st->heap_idle, (unsigned long long)st->heap_released,
		     committed * PAGE_SIZE, w.inuse_pages * PAGE_SIZE,
		     w.free_pages * PAGE_SIZE, w.released_pages * PAGE_SIZE);
	m.last = w;
	return w;
}

/* Page counts that matter: free list sizes, the grow size, arena and cap. */
static size_t decode_npages(const uint8_t **p, const uint8_t *end)
{
	static const uint16_t edges[] = {
		1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 79, 80, 81,
		126, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025,
		4095, 4096, 8191, 8192, 8193, 9216,
	};
	uint8_t k = *p < end ? *(*p)++ : 0;
	uint16_t v = 0;
	switch (k >> 6) {
	case 0: return (k & 63) + 1u;
	case 1: return edges[(k & 63) % (sizeof edges / sizeof edges[0])];
	default:
		for (int i = 0; i < 2; i++)
			v = (uint16_t)(v << 8 | (*p < end ? *(*p)++ : 0));
		return (k >> 6) == 2 ? 1u + v % 1024u : 1u + v % (m.cap_pages + 16);
	}
}

/* An op's "before" is the last check's walk: every op ends with a check
 * and nothing touches the heap between two ops. */
static void op_alloc(size_t n)
{
	walk_t before = m.last;
	mspan_t *s = mheap_alloc(m.h, n, make_spanclass(0, true));
	if (!s) {
		size_t grow = m.cap_pages - before.inuse_pages - before.free_pages;
		size_t best = before.largest_free;
		if (before.trailing_free + grow > best)
			best = before.trailing_free + grow;
		if (best >= n)
			fail("NOMEM for %zu pages, but a run of %zu pages exists or can be grown",
			     n, best);
		check_heap();   /* a refused alloc changes nothing: proved, and the next op's "before" */
		return;
	}
	if (s->state != MSPAN_INUSE || s->npages != n || s->startaddr < m.h->arena_start ||
	    (s->startaddr - m.h->arena_start) % PAGE_SIZE)
		fail("alloc %zu pages returned a span of state %d, %zu pages at %#lx",
		     n, s->state, (size_t)s->npages, (unsigned long)s->startaddr);
	uintptr_t first = (s->startaddr - m.h->arena_start) / PAGE_SIZE;
	if (first + n > m.cap_pages)
		fail("alloc %zu pages at page %zu goes past the cap", n, (size_t)first);
	if (m.nlive == MAX_LIVE)
		fail("harness: live table full"); /* unreachable: alloc is skipped when full */
	/* The model's spans are disjoint and sorted: [first, first + n) holds a
	 * page the model has in use iff it overlaps a neighbour by address. */
	int k = byaddr_lower(first);
	if (k > 0 && m.byaddr[k - 1].first + m.byaddr[k - 1].npages > first)
		fail("alloc %zu pages at page %zu reuses in-use page %zu", n, (size_t)first, (size_t)first);
	if (k < m.nlive && m.byaddr[k].first < first + n)
		fail("alloc %zu pages at page %zu reuses in-use page %zu",
		     n, (size_t)first, (size_t)m.byaddr[k].first);
	live_t *l = &m.live[m.nlive];
	*l = (live_t){ s, first, n, ++m.nextcookie * 0x9e3779b97f4a7c15ull };
	memmove(&m.byaddr[k + 1], &m.byaddr[k], (size_t)(m.nlive - k) * sizeof m.byaddr[0]);
	m.byaddr[k] = *l;
	m.nlive++;
	check_pages(s, first, n, true);
	/* Only the cookie words are made addressable, and op_free poisons them
	 * again before mheap_free: the span is then as mheap_alloc handed it
	 * out, so it needs no span_unpoison mark (mheap_free skips poisoning
	 * it again, as it does any span nothing was handed out of). */
	UNPOISON(span_word(l, false), 8);
	UNPOISON(span_word(l, true), 8);
	/* Read and write each cookie word in one access: a page the heap
	 * released faults once (for writing), not once to read and again to
	 * write. */
	uint64_t was_lo = __atomic_exchange_n(span_word(l, false), l->cookie, __ATOMIC_RELAXED);
	uint64_t was_hi = __atomic_exchange_n(span_word(l, true), ~l->cookie, __ATOMIC_RELAXED);
	if (!s->needzero && (was_lo || was_hi))
		fail("span of %zu pages at page %zu has needzero == 0 but dirty memory",
		     n, (size_t)first);
	heap_note_write(m.h, span_word(l, false), 8);
	heap_note_write(m.h, span_word(l, true), 8);
	check_heap();
}

static void op_free(int i)
{
	live_t l = m.live[i];
	check_cookies(&l);
	POISON(span_word(&l, false), 8);
	POISON(span_word(&l, true), 8);
	/* keep allocation order, so that the last entry is the newest span */
	memmove(&m.live[i], &m.live[i + 1], (size_t)(m.nlive - 1 - i) * sizeof m.live[0]);
	int k = byaddr_lower(l.first);
	memmove(&m.byaddr[k], &m.byaddr[k + 1], (size_t)(m.nlive - 1 - k) * sizeof m.byaddr[0]);
	m.nlive--;
	mheap_free(m.h, l.s);
	check_pages(NULL, l.first, l.npages, false);
	check_heap();
}

static void op_scavenge(void)
{
	walk_t before = m.last;
	size_t got = mheap_scavenge_all(m.h);
	size_t want = (before.free_pages - before.released_pages) * PAGE_SIZE;
	if (got != want)
		fail("scavenge released %zu bytes, %zu were free and unreleased", got, want);
	walk_t after = check_heap();
	if (after.released_pages != after.free_pages)
		fail("after scavenge %zu of %zu free pages are released",
		     after.released_pages, after.free_pages);
	/* What scavenge released: whole committed pages the model has free. An
	 * in-use span released in place would lose its cookies (zeroed), and
	 * this names the release itself. */
	const heap_range_t *r;
	size_t n;
	heap_released_ranges(m.h, &r, &n);
	for (size_t j = 0; j < n; j++) {
		uintptr_t lo = r[j].lo - m.h->arena_start, hi = r[j].hi - m.h->arena_start;
		if (r[j].lo < m.h->arena_start || lo % PAGE_SIZE || hi % PAGE_SIZE || hi <= lo ||
		    hi / PAGE_SIZE > m.committed)
			fail("scavenge released [%#lx, %#lx): not whole committed pages",
			     (unsigned long)lo, (unsigned long)hi);
		int k = byaddr_lower(lo / PAGE_SIZE);
		const live_t *below = k > 0 ? &m.byaddr[k - 1] : NULL;
		if ((below && below->first + below->npages > lo / PAGE_SIZE) ||
		    (k < m.nlive && m.byaddr[k].first < hi / PAGE_SIZE))
			fail("scavenge gave pages %zu..%zu back to the OS, which hold an in-use span",
			     (size_t)(lo / PAGE_SIZE), (size_t)(hi / PAGE_SIZE - 1));
	}
}

static heap_t *heap_for(uint8_t sel)
{
	int i = sel % NHEAPS;
	if (!heaps[i]) {
		/* log_writes: the cookies are the only writes, and heap_reset
		 * zeroes them, so every input starts on a fresh heap's pages (a
		 * missing-needzero finding must not depend on earlier inputs).
		 * Huge pages stay on (Go's sysHugePage): off, the bench corpus ran
		 * 7% faster in the fuzz build but its slowest input 23% slower. */
		heap_config_t cfg = { .cap_bytes = heap_caps[i], .nprocs = 1, .log_writes = true,
		                      .scavenge_in_place = true };
		if (heap_new(&cfg, &heaps[i]) != ALLOC_OK) {
			fprintf(stderr, "fuzz_pageheap: heap_new(cap %zu) failed\n", heap_caps[i]);
			abort();
		}
	}
	m.cap_pages = heap_caps[i] / PAGE_SIZE;
	return heaps[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	m.h = heap_for(size ? *p++ : 0);
	m.committed = 0;
	m.nlive = 0;
	m.opi = 0;
	m.op = "start";
	check_heap();
	while (p < end) {
		uint8_t op = *p++;
		m.opi++;
		switch (op & 3) {
		case 0: {
			size_t n = decode_npages(&p, end);
			m.op = "alloc";
			if (m.nlive < MAX_LIVE)
				op_alloc(n);
			break;
		}
		case 1: {
			uint8_t i = p < end ? *p++ : 0;
			m.op = "free";
			if (m.nlive)
				op_free(i % m.nlive);
			break;
		}
		case 2:
			m.op = "scavenge";
			op_scavenge();
			break;
		case 3:
			m.op = "free newest";
			if (m.nlive)
				op_free(m.nlive - 1);
			break;
		}
	}
	m.op = "free all";
	while (m.nlive)
		op_free(m.nlive - 1);
	walk_t w = check_heap();
	if (w.nfree_runs > 1)
		fail("with nothing in use the heap has %zu free runs", w.nfree_runs);
	heap_reset(m.h);
	return 0;
}
