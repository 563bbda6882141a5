// Page heap.
//
// See malloc.c for overview.
//
// The heap hands out runs of 8 KiB pages as spans. Its address space is one
// PROT_NONE reservation of the cap rounded up to whole arenas; mheap_grow
// commits it from the bottom (mprotect), never beyond the cap, so running
// out is a clean NULL and never a fault. Free runs live in free[npages] (Go
// 1.4's MHeap.free) or freelarge (best fit, lowest address among equals);
// freeing coalesces with both neighbours, found through the span map, so no
// two free runs ever touch. Each run remembers whether its memory may be
// dirty (needzero) and how many of its pages went back to the OS
// (npreleased, by scavenging). Scavenging madvises whole free runs, with
// MADV_DONTNEED (the default; they read zero after it) or MADV_FREE
// (cfg.madv_free; they may keep their contents), or keeps them and zeroes
// what was written there (cfg.scavenge_in_place: they read as after
// MADV_DONTNEED), and logs them (heap_released_ranges); either way a run
// keeps its needzero, as in Go.
//
// Stats kept exact under h->lock:
//   heap_sys      == bytes committed == arena_used - arena_start
//   heap_sys      == heap_inuse + heap_idle
//   heap_inuse    == bytes of INUSE spans
//   heap_idle     == bytes of FREE runs
//   heap_released == sum over FREE runs of npreleased pages
//   other_sys     includes one heaparena_t per committed arena
//
// ASan: committed pages not in an INUSE span are poisoned; mheap_alloc
// returns pages still poisoned (the span code unpoisons exactly the objects
// it hands out, through span_unpoison) and mheap_free poisons them again if
// span_unpoison ran on the span (else they are poisoned still). Uncommitted memory is
// PROT_NONE, so a stray access faults without needing shadow bytes, except
// what heap_reset keeps mapped for the next run (below RESET_KEEP_MAX): that
// stays read-write and poisoned, and its pages are not zeroed at reset but
// on allocation, as Go zeroes reused memory: mheap_grow gives runs there
// needzero. Pages stay with the process, so the next run does not fault them
// in again; only heap_scavenge (or a run past the bound) gives memory back.
#include "alloc/internal.h"
#include "alloc/testing.h"   /* heap_check_skipped */

#include <stdlib.h>

static inline uintptr_t span_bytes(const mspan_t *s) { return s->npages << PAGE_SHIFT; }
static inline uintptr_t span_end(const mspan_t *s) { return s->startaddr + span_bytes(s); }

/* ---- span lists ---- */

void mspan_list_init(mspan_list_t *l)
{
	l->first = l->last = NULL;
	l->n = 0;
}

void mspan_list_insert(heap_t *h, mspan_list_t *l, mspan_t *s)
{
	if (s->list || s->next || s->prev)
		heap_throw(h, "mspan_list_insert: span %#lx already in list %p",
		           (unsigned long)s->startaddr, (void *)s->list);
	s->next = l->first;
	if (l->first)
		l->first->prev = s;
	else
		l->last = s;
	__atomic_store_n(&l->first, s, __ATOMIC_RELAXED);   /* peeked unlocked: sweepone */
	s->list = l;
	l->n++;
}

void mspan_list_insert_back(heap_t *h, mspan_list_t *l, mspan_t *s)
{
	if (s->list || s->next || s->prev)
		heap_throw(h, "mspan_list_insert_back: span %#lx already in list %p",
		           (unsigned long)s->startaddr, (void *)s->list);
	s->prev = l->last;
	if (l->last)
		l->last->next = s;
	else
		__atomic_store_n(&l->first, s, __ATOMIC_RELAXED);
	l->last = s;
	s->list = l;
	l->n++;
}

void mspan_list_remove(heap_t *h, mspan_list_t *l, mspan_t *s)
{
	if (s->list != l)
		heap_throw(h, "mspan_list_remove: span %#lx is in list %p, not %p",
		           (unsigned long)s->startaddr, (void *)s->list, (void *)l);
	if (s->prev)
		s->prev->next = s->next;
	else
		__atomic_store_n(&l->first, s->next, __ATOMIC_RELAXED);
	if (s->next)
		s->next->prev = s->prev;
	else
		l->last = s->prev;
	s->next = s->prev = NULL;
	s->list = NULL;
	l->n--;
}

/* ---- span map ---- */

/* The span map is read without h->lock (mheap_span_of, as Go's spanOf):
 * arena_used, arenas[] and the map slots are published with release stores
 * and read with acquire loads, so a reader that sees a page as committed
 * also sees its arena's metadata. Writers hold h->lock. */

/* The span map slot of page p; p must be committed. */
static inline mspan_t **spanmap_slot(const heap_t *h, uintptr_t p)
{
	uintptr_t off = p - h->arena_start;
	heaparena_t *a = __atomic_load_n(&h->arenas[off >> ARENA_SHIFT], __ATOMIC_ACQUIRE);
	return &a->spans[(off & (ARENA_BYTES - 1)) >> PAGE_SHIFT];
}

static inline mspan_t *spanmap_get(const heap_t *h, uintptr_t p)
{
	return __atomic_load_n(spanmap_slot(h, p), __ATOMIC_ACQUIRE);
}

static inline void spanmap_put(heap_t *h, uintptr_t p, mspan_t *s)
{
	__atomic_store_n(spanmap_slot(h, p), s, __ATOMIC_RELEASE);
}

/* Once per page of every span allocated and freed: one arena lookup per
 * arena the range touches, and no comparison tracing (the fuzz build's
 * trace-cmp) of a loop that guides nothing and cost more than the stores. */
AF_NO_COVERAGE static void spanmap_set_range(heap_t *h, uintptr_t start, uintptr_t npages, mspan_t *s)
{
	while (npages > 0) {
		uintptr_t off = start - h->arena_start;
		heaparena_t *a = __atomic_load_n(&h->arenas[off >> ARENA_SHIFT], __ATOMIC_ACQUIRE);
		uintptr_t i = (off & (ARENA_BYTES - 1)) >> PAGE_SHIFT;
		uintptr_t n = PAGES_PER_ARENA - i < npages ? PAGES_PER_ARENA - i : npages;
		for (uintptr_t k = 0; k < n; k++)
			__atomic_store_n(&a->spans[i + k], s, __ATOMIC_RELEASE);
		start += n << PAGE_SHIFT;
		npages -= n;
	}
}

mspan_t *mheap_span_of(const heap_t *h, uintptr_t p)
{
	if (p < h->arena_start || p >= __atomic_load_n(&h->arena_used, __ATOMIC_ACQUIRE))
		return NULL;
	return spanmap_get(h, p);
}

mspan_t *mheap_span_of_inuse(const heap_t *h, uintptr_t p)
{
	mspan_t *s = mheap_span_of(h, p);
	if (!s || s->state != MSPAN_INUSE || p < s->startaddr || p >= span_end(s))
		return NULL;
	return s;
}

/* ---- free runs ---- */

static mspan_list_t *freelist_for(heap_t *h, uintptr_t npages)
{
	return npages < FREE_LIST_PAGES ? &h->free[npages] : &h->freelarge;
}

/* A record describing [start, start+npages) in state, everything else zero. */
static void span_reinit(heap_t *h, mspan_t *s, uintptr_t start, uintptr_t npages, uint8_t state)
{
	memset(s, 0, sizeof *s);
	s->startaddr = start;
	s->npages = npages;
	s->limit = start + (npages << PAGE_SHIFT);
	s->state = state;
	s->cachedby = -1;
	s->allocbits = s->bits[0];
	s->gcmarkbits = s->bits[1];
	lock_init(&s->speciallock, h, LOCKRANK_SPAN_SPECIALS);
}

/* Makes s (not in a list, its own pages unmapped) a free run, absorbing a
 * free neighbour on either side (Go 1.4's MHeap_FreeSpanLocked). Pages that
 * end up inside the merged run are unmapped, so the map names a free run at
 * its two ends only and never holds a pointer to a dead record. */
static void free_run_insert_locked(heap_t *h, mspan_t *s)
{
	s->state = MSPAN_FREE;
	if (s->startaddr > h->arena_start) {
		mspan_t *t = spanmap_get(h, s->startaddr - PAGE_SIZE);
		if (t && t->state == MSPAN_FREE) {
			mspan_list_remove(h, freelist_for(h, t->npages), t);
			spanmap_put(h, span_end(t) - PAGE_SIZE, NULL);
			s->startaddr = t->startaddr;
			s->npages += t->npages;
			s->npreleased += t->npreleased;
			s->needzero |= t->needzero;
			t->state = MSPAN_DEAD;
			fixalloc_free(&h->spanalloc, t);
		}
	}
	if (span_end(s) < h->arena_used) {
		mspan_t *t = spanmap_get(h, span_end(s));
		if (t && t->state == MSPAN_FREE) {
			mspan_list_remove(h, freelist_for(h, t->npages), t);
			spanmap_put(h, t->startaddr, NULL);
			s->npages += t->npages;
			s->npreleased += t->npreleased;
			s->needzero |= t->needzero;
			t->state = MSPAN_DEAD;
			fixalloc_free(&h->spanalloc, t);
		}
	}
	s->limit = span_end(s);
	spanmap_put(h, s->startaddr, s);
	spanmap_put(h, span_end(s) - PAGE_SIZE, s);
	mspan_list_insert(h, freelist_for(h, s->npages), s);
}

/* Smallest run in freelarge with at least npages, lowest address among equals. */
static mspan_t *freelarge_best_fit(heap_t *h, uintptr_t npages)
{
	mspan_t *best = NULL;
	for (mspan_t *s = h->freelarge.first; s; s = s->next) {
		if (s->npages < npages)
			continue;
		if (!best || s->npages < best->npages ||
		    (s->npages == best->npages && s->startaddr < best->startaddr))
			best = s;
	}
	return best;
}

/* Commits at least npages more pages (HEAP_GROW_PAGES at least, the cap at
 * most) and adds them as a free run. false = cannot, nothing changed. */
/* Pages of in-use spans still unswept this cycle with no object marked:
 * what Go's reclaimer (mheap.reclaimChunk: pageInUse &^ pageMarks) frees. */
static void count_dead_unswept(heap_t *h, mspan_t *s, void *ctx)
{
	if (span_sweepgen(s) != h->sweepgen - 2)
		return;
	for (uintptr_t w = 0; w * 64 < s->nelems; w++)
		if (s->gcmarkbits[w])
			return;
	*(uintptr_t *)ctx += s->npages;
}

/* Go 1.19 mheap.alloc reclaims npages before it allocates (or grows): a
 * lazy heap may grow for npages only when the reclaim freed npages (the
 * freed pages did not fit) or no entirely dead unswept span is left. */
static void note_lazy_grow(heap_t *h, uintptr_t npages, uintptr_t reclaimed)
{
	if (heap_check_skipped("lazy_grow_before_reclaim") || h->cfg.sweep != HEAP_SWEEP_LAZY || __atomic_load_n(&h->sweepdone, __ATOMIC_RELAXED) || reclaimed >= npages ||
	    h->grow_unreclaimed_npages != 0)
		return;
	uintptr_t dead = 0;
	mgc_for_each_inuse_span(h, count_dead_unswept, &dead);
	if (dead) {
		h->grow_unreclaimed_npages = npages;
		h->grow_dead_pages = dead;
	}
}

static bool mheap_grow_locked(heap_t *h, uintptr_t npages, uintptr_t reclaimed)
{
	assert_locked(h, &h->lock);
	uintptr_t limit = h->arena_start + h->cfg.cap_bytes;
	uintptr_t avail = (limit - h->arena_used) >> PAGE_SHIFT;
	/* A free run at the top merges with the new pages: only the rest is
	 * needed, so the whole cap stays usable. */
	if (h->arena_used > h->arena_start) {
		mspan_t *top = spanmap_get(h, h->arena_used - PAGE_SIZE);
		if (top && top->state == MSPAN_FREE)
			npages -= top->npages;   /* top is smaller: it did not fit */
	}
	if (npages > avail)
		return false;
	uintptr_t ask = npages < HEAP_GROW_PAGES ? HEAP_GROW_PAGES : npages;
	if (ask > avail)
		ask = avail;
	uintptr_t v = h->arena_used, n = ask << PAGE_SHIFT;
	uintptr_t a0 = (v - h->arena_start) >> ARENA_SHIFT;
	uintptr_t a1 = (v + n - 1 - h->arena_start) >> ARENA_SHIFT;

	/* Everything that can fail comes before the first visible change. */
	mspan_t *s = fixalloc_alloc(h, &h->spanalloc);
	if (!s)
		return false;
	for (uintptr_t i = a0; i <= a1; i++) {
		if (!h->arena_maps[i] && !(h->arena_maps[i] = sys_alloc(sizeof(heaparena_t)))) {
			fixalloc_free(&h->spanalloc, s);
			return false;
		}
	}
	/* Kept pages [arena_used, arena_mapped) are poisoned since the reset
	 * that kept them (nothing is handed out there): only what gets mapped
	 * now needs its shadow poisoned. */
	uintptr_t from = v + n;
	if (v + n > h->arena_mapped) {
		from = v > h->arena_mapped ? v : h->arena_mapped;
		if (!sys_map((void *)from, v + n - from)) {
			fixalloc_free(&h->spanalloc, s);
			return false;
		}
		h->arena_mapped = v + n;
	}

	for (uintptr_t i = a0; i <= a1; i++) {
		if (!h->arenas[i]) {
			__atomic_store_n(&h->arenas[i], h->arena_maps[i], __ATOMIC_RELEASE);
			h->stats.other_sys += sizeof(heaparena_t);
		}
	}
	POISON((void *)from, v + n - from);
	__atomic_store_n(&h->arena_used, v + n, __ATOMIC_RELEASE);
	h->stats.heap_sys += n;
	h->stats.heap_idle += n;
	/* Fresh pages are zero, except where heap_reset kept an earlier run's
	 * memory without zeroing it (arena_dirty). */
	span_reinit(h, s, v, ask, MSPAN_FREE);
	s->needzero = v < h->arena_dirty;
	free_run_insert_locked(h, s);
	note_lazy_grow(h, npages, reclaimed);
	return true;
}

/* The first non-empty list of free[from..], or FREE_LIST_PAGES: Go 1.4's
 * scan of its free lists. A search of a fixed table whose compares are a
 * loop bound and NULL, so no comparison tracing (up to 128 lists per
 * alloc: in the fuzz build the tracing cost more than the page heap's own
 * work in fuzz_pageheap). */
AF_NO_COVERAGE static uintptr_t first_listed(const heap_t *h, uintptr_t from)
{
	uintptr_t n = from;
	while (n < FREE_LIST_PAGES && !h->free[n].first)
		n++;
	return n;
}

/* Go 1.4's MHeap_AllocSpanLocked: the first fitting run, split. NULL = NOMEM. */
static mspan_t *mheap_alloc_span_locked(heap_t *h, uintptr_t npages, uintptr_t reclaimed)
{
	assert_locked(h, &h->lock);
	mspan_t *s = NULL;
	for (;;) {
		uintptr_t n = first_listed(h, npages);
		s = n < FREE_LIST_PAGES ? h->free[n].first : NULL;
		if (!s)
			s = freelarge_best_fit(h, npages);
		if (s)
			break;
		if (!mheap_grow_locked(h, npages, reclaimed))
			return NULL;
	}
	mspan_t *t = NULL;
	if (s->npages > npages && !(t = fixalloc_alloc(h, &h->spanalloc)))
		return NULL;

	mspan_list_remove(h, freelist_for(h, s->npages), s);
	if (t) {
		/* The tail stays free. Its neighbours are s (now in use) and
		 * whatever followed s, which was not free: no merge needed. A
		 * fully released run stays exactly accounted; of a partly
		 * released one we cannot say which pages went back, so the
		 * tail counts none (as Go 1.4). */
		span_reinit(h, t, s->startaddr + (npages << PAGE_SHIFT), s->npages - npages, MSPAN_FREE);
		t->needzero = s->needzero;
		if (s->npreleased == s->npages) {
			t->npreleased = t->npages;
			s->npreleased = npages;
		}
		s->npages = npages;
		spanmap_put(h, t->startaddr, t);
		spanmap_put(h, span_end(t) - PAGE_SIZE, t);
		mspan_list_insert(h, freelist_for(h, t->npages), t);
	}
	h->stats.heap_released -= (uint64_t)s->npreleased << PAGE_SHIFT;
	h->stats.heap_idle -= span_bytes(s);
	h->stats.heap_inuse += span_bytes(s);
	if (span_end(s) > h->arena_hwm)
		h->arena_hwm = span_end(s);
	return s;
}

mspan_t *mheap_alloc(heap_t *h, uintptr_t npages, spanclass_t sc)
{
	if (npages == 0)
		heap_throw(h, "mheap_alloc: npages == 0 (spanclass %d)", sc);
	if (npages > h->cfg.cap_bytes >> PAGE_SHIFT)
		return NULL;
	bool lazy = h->cfg.sweep == HEAP_SWEEP_LAZY;
	uintptr_t reclaimed = 0, more;
	/* Go 1.19 mheap.alloc reclaims npages before every span allocation
	 * (small classes too) so the heap does not grow while unswept garbage
	 * could satisfy it. */
	if (lazy && !__atomic_load_n(&h->sweepdone, __ATOMIC_RELAXED))
		reclaimed = mgcsweep_reclaim(h, npages);
	for (;;) {
		lock_acquire(&h->lock);
		mspan_t *s = mheap_alloc_span_locked(h, npages, reclaimed);
		if (s) {
			uint8_t needzero = s->needzero;
			span_reinit(h, s, s->startaddr, npages, MSPAN_INUSE);
			s->needzero = needzero;
			s->spanclass = sc;
			s->large = spanclass_sizeclass(sc) == 0;
			s->sweepgen = h->sweepgen;
			spanmap_set_range(h, s->startaddr, npages, s);
			mspan_init_objects(h, s, sc);
		}
		lock_release(&h->lock);
		if (s)
			return s;
		/* Cannot grow: sweeping may free pages (lazy mode only). */
		if (!lazy || __atomic_load_n(&h->sweepdone, __ATOMIC_RELAXED) || (more = mgcsweep_reclaim(h, npages)) == 0)
			return NULL;
		reclaimed += more;
	}
}

void mheap_free_locked(heap_t *h, mspan_t *s)
{
	assert_locked(h, &h->lock);
	if (s->state != MSPAN_INUSE)
		heap_throw(h, "mheap_free: span %#lx npages %lu state %d is not in use",
		           (unsigned long)s->startaddr, (unsigned long)s->npages, s->state);
	if (s->cachedby >= 0 || (s->list && s->list != &h->large))
		heap_throw(h, "mheap_free: span %#lx is still cached by P%d or listed in %p",
		           (unsigned long)s->startaddr, s->cachedby, (void *)s->list);
	if (s->specials)
		heap_throw(h, "mheap_free: span %#lx still has specials", (unsigned long)s->startaddr);
	if (!s->large)
		af_assert_span_valid(h, s, "mheap_free");   /* a large one is empty here: no object to check */
	if (s->list)
		mspan_list_remove(h, &h->large, s);
	if (s->unpoisoned)
		POISON((void *)s->startaddr, span_bytes(s));
	spanmap_set_range(h, s->startaddr, s->npages, NULL);
	h->stats.heap_inuse -= span_bytes(s);
	h->stats.heap_idle += span_bytes(s);
	span_reinit(h, s, s->startaddr, s->npages, MSPAN_FREE);
	s->needzero = 1;
	free_run_insert_locked(h, s);
	af_assert_span_valid(h, s, "mheap_free (the merged free run)");
}

void mheap_free(heap_t *h, mspan_t *s)
{
	lock_acquire(&h->lock);
	mheap_free_locked(h, s);
	lock_release(&h->lock);
}

/* ---- scavenging ---- */

/* Gives [lo, hi) to the OS and logs it: what the log names is what went to
 * madvise, so a checker of the log checks the call. In place (cfg), the
 * pages stay and scavenge_writes_locked zeroes what was written in them;
 * a range it cannot know of (either log lost) goes to MADV_DONTNEED. */
static void release_locked(heap_t *h, uintptr_t lo, uintptr_t hi)
{
	bool logged = ranges_push(&h->rlog, lo, hi, SIZE_MAX);
	if (!h->cfg.scavenge_in_place)
		sys_unused((void *)lo, hi - lo, h->cfg.madv_free);
	else if (!logged || h->wlog.lost)
		sys_unused((void *)lo, hi - lo, false);
}

static uint64_t scavenge_list_locked(heap_t *h, mspan_list_t *l)
{
	assert_locked(h, &h->lock);
	uint64_t released = 0;
	for (mspan_t *s = l->first; s; s = s->next) {
		if (s->npreleased == s->npages)
			continue;
		released += (uint64_t)(s->npages - s->npreleased) << PAGE_SHIFT;
		release_locked(h, s->startaddr, span_end(s));
		/* needzero stays: with MADV_FREE the pages may keep their contents,
		 * and Go 1.19 zeroes reused scavenged memory in either mode (its
		 * allocNeedsZero does not look at scavenging) */
		s->npreleased = s->npages;
	}
	return released;
}

static int range_cmp(const void *a, const void *b)
{
	const heap_range_t *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The write log against the ranges just released (rlog, sorted). Released
 * pages read zero now (MADV_DONTNEED), or, in place, are zeroed here where
 * the caller wrote them (free runs: poisoned, as reset zeroes them); either
 * way a write wholly inside one is forgotten, so reset does not zero it
 * again (which would fault the pages back in). Built without coverage: its
 * compares are addresses. */
static AF_NO_COVERAGE void scavenge_writes_locked(heap_t *h)
{
	const heap_range_t *r = h->rlog.r;
	size_t nr = h->rlog.n, kept = 0;
	bool zero = h->cfg.scavenge_in_place;
	for (size_t i = 0; i < h->wlog.n; i++) {
		heap_range_t w = h->wlog.r[i];
		size_t a = 0, b = nr;   /* the first released range ending above w.lo */
		while (a < b) {
			size_t m = (a + b) / 2;
			if (r[m].hi <= w.lo)
				a = m + 1;
			else
				b = m;
		}
		bool inside = false;
		for (; a < nr && r[a].lo < w.hi; a++) {
			uintptr_t lo = w.lo > r[a].lo ? w.lo : r[a].lo, hi = w.hi < r[a].hi ? w.hi : r[a].hi;
			if (zero) {
				UNPOISON((void *)lo, hi - lo);
				memset((void *)lo, 0, hi - lo);
				POISON((void *)lo, hi - lo);
			}
			inside |= lo == w.lo && hi == w.hi;
		}
		if (!inside)
			h->wlog.r[kept++] = w;
	}
	h->wlog.n = kept;
}

size_t mheap_scavenge_all(heap_t *h)
{
	lock_acquire(&h->lock);
	uint64_t released = 0;
	h->rlog.n = 0;
	h->rlog.lost = false;
	for (uintptr_t n = first_listed(h, 1); n < FREE_LIST_PAGES; n = first_listed(h, n + 1))
		released += scavenge_list_locked(h, &h->free[n]);
	released += scavenge_list_locked(h, &h->freelarge);
	h->stats.heap_released += released;
	if (h->rlog.n > 1)
		qsort(h->rlog.r, h->rlog.n, sizeof *h->rlog.r, range_cmp);
	if (released && h->wlog.n && !h->wlog.lost && !h->cfg.madv_free)
		scavenge_writes_locked(h);
	lock_release(&h->lock);
	return (size_t)released;
}

size_t heap_scavenge(heap_t *h)
{
	return mheap_scavenge_all(h);
}

bool heap_released_ranges(const heap_t *h, const heap_range_t **r, size_t *n)
{
	*r = h->rlog.r;
	*n = h->rlog.n;
	return !h->rlog.lost;
}

/* ---- lifetime ---- */

static void mheap_lists_init(heap_t *h)
{
	for (int n = 0; n < FREE_LIST_PAGES; n++)
		mspan_list_init(&h->free[n]);
	mspan_list_init(&h->freelarge);
	mspan_list_init(&h->large);
}

bool mheap_init(heap_t *h)
{
	size_t reserve = (h->cfg.cap_bytes + ARENA_BYTES - 1) & ~(size_t)(ARENA_BYTES - 1);
	void *v = sys_reserve(reserve, ARENA_BYTES);
	if (!v)
		return false;
	h->arena_start = h->arena_used = h->arena_hwm = (uintptr_t)v;
	h->arena_mapped = h->arena_dirty = (uintptr_t)v;
	h->arena_end = (uintptr_t)v + reserve;
	mheap_lists_init(h);
	return true;
}

/* Back to mheap_init's state as far as anything but the page contents can
 * see, touching only what the last run used: the span map and bitmaps are
 * cleared where they were written, the arena metadata mappings stay (in
 * arena_maps), and the pages are kept or given back (RESET_KEEP_MAX). */
/* log_writes: what the caller wrote is all that is not zero (the allocator
 * itself writes only zeros into the arena), so zeroing it leaves the pages as
 * a fresh heap's. Without a complete log, everything handed out is zeroed. */
static void mheap_zero_writes(heap_t *h, uintptr_t dirty_end)
{
	if (h->wlog.lost) {
		UNPOISON((void *)h->arena_start, dirty_end - h->arena_start);
		memset((void *)h->arena_start, 0, dirty_end - h->arena_start);
	} else {
		for (size_t i = 0; i < h->wlog.n; i++) {
			heap_range_t w = h->wlog.r[i];
			UNPOISON((void *)w.lo, w.hi - w.lo);
			memset((void *)w.lo, 0, w.hi - w.lo);
			POISON((void *)w.lo, w.hi - w.lo);
		}
	}
	h->arena_dirty = h->arena_start;
}

/* Poison [arena_start, dirty_end) for the next run, in time proportional to
 * the spans, not the bytes: by the invariant above, committed pages outside
 * INUSE spans are poisoned already, and so is everything above arena_used
 * (kept by an earlier reset, or never handed out), so only the in-use spans
 * can hold unpoisoned bytes. A span map that does not tile the committed
 * range (a bug the checkers report) gets the whole range poisoned. */
static void mheap_reset_poison(heap_t *h, uintptr_t dirty_end)
{
	for (uintptr_t p = h->arena_start; p < h->arena_used;) {
		mspan_t *s = spanmap_get(h, p);
		if (!s || s->startaddr != p || s->npages == 0 || span_end(s) > h->arena_used) {
			POISON((void *)h->arena_start, dirty_end - h->arena_start);
			return;
		}
		if (s->state != MSPAN_FREE)
			POISON((void *)p, span_bytes(s));
		p = span_end(s);
	}
}

void mheap_reset(heap_t *h)
{
	uintptr_t dirty_end = h->arena_hwm > h->arena_dirty ? h->arena_hwm : h->arena_dirty;
	uintptr_t mapped = h->arena_mapped - h->arena_start;
	if (mapped <= RESET_KEEP_MAX) {
		if (h->cfg.log_writes)
			mheap_zero_writes(h, dirty_end);
		else
			h->arena_dirty = dirty_end;
		/* All of it free again. Above dirty_end nothing was handed out
		 * since it was poisoned (by mheap_grow or an earlier reset). */
		if (h->wlog.lost)
			POISON((void *)h->arena_start, dirty_end - h->arena_start);
		else
			mheap_reset_poison(h, dirty_end);
	} else {
		UNPOISON((void *)h->arena_start, mapped);
		if (dirty_end > h->arena_start)
			sys_zero((void *)h->arena_start, dirty_end - h->arena_start);
		sys_fault((void *)h->arena_start, mapped);
		h->arena_mapped = h->arena_dirty = h->arena_start;
	}
	for (uintptr_t i = 0; i < MAX_ARENAS && h->arenas[i]; i++) {
		heaparena_t *a = h->arenas[i];
		uintptr_t base = h->arena_start + (i << ARENA_SHIFT);
		uintptr_t uend = h->arena_used < base + ARENA_BYTES ? h->arena_used : base + ARENA_BYTES;
		sys_zero(a->spans, ((uend - base) >> PAGE_SHIFT) * sizeof(mspan_t *));
		size_t nwords = (a->bits_end + 63) / 64;
		sys_zero(a->ptrbits, nwords * sizeof a->ptrbits[0]);
		sys_zero(a->specialbits, nwords * sizeof a->specialbits[0]);
		a->bits_end = 0;
		h->arenas[i] = NULL;
		h->stats.other_sys -= sizeof(heaparena_t);
	}
	mheap_lists_init(h);
	h->wlog.n = h->rlog.n = 0;
	h->wlog.lost = h->rlog.lost = false;
	h->arena_used = h->arena_hwm = h->arena_start;
	h->stats.heap_sys = h->stats.heap_inuse = h->stats.heap_idle = h->stats.heap_released = 0;
}

void mheap_destroy(heap_t *h)
{
	if (!h->arena_start)
		return;
	uintptr_t top = h->arena_used > h->arena_mapped ? h->arena_used : h->arena_mapped;
	UNPOISON((void *)h->arena_start, top - h->arena_start);
	sys_free((void *)h->arena_start, h->arena_end - h->arena_start);
	for (int i = 0; i < MAX_ARENAS; i++)
		if (h->arena_maps[i])
			sys_free(h->arena_maps[i], sizeof(heaparena_t));
	h->arena_start = h->arena_end = h->arena_used = h->arena_hwm = 0;
	h->arena_mapped = h->arena_dirty = 0;
}
