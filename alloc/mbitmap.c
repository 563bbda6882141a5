/*
 * Span object bitmaps and the heap pointer bitmap.
 * See malloc.c for overview.
 *
 * Per span (Go's mbitmap.go / mspan fields):
 *   allocbits   1 bit per slot, 1 = allocated. Unlike Go, allocation sets the
 *               bit at once (Go infers "allocated" from freeindex until the
 *               next sweep): explicit free needs the truth for every slot, and
 *               the checker proves allocCount == popcount(allocbits).
 *   alloccache  the complement of the 64-bit allocbits word holding freeindex,
 *               shifted so that bit 0 is slot freeindex. ctz finds the next
 *               free slot without touching allocbits (nextFreeFast).
 *   gcmarkbits  written by the marker; sweep makes them the new allocbits.
 *
 * allocbits words may be changed by two threads at once: the P that caches
 * the span sets bits without a lock, and an explicit free on another P
 * clears bits (under the mcentral lock). So allocation always sets with an
 * atomic read-modify-write (bit_set_atomic, and allocCount likewise), and a
 * free uses atomics when another P caches the span; a free of a slot in an
 * uncached span or in the caller's own span is alone with it (plain ops).
 *
 * The heap bitmap (heaparena_t.ptrbits) has 1 bit per heap word: 1 = the
 * word is a pointer slot of a scan object. It is written for the whole
 * object when a scan object is allocated and read by the marker.
 */
#include "alloc/internal.h"

void mspan_init_objects(heap_t *h, mspan_t *s, spanclass_t sc)
{
	int cls = spanclass_sizeclass(sc);
	uintptr_t spanbytes = s->npages * PAGE_SIZE;

	s->spanclass = sc;
	if (cls == 0) {
		s->elemsize = spanbytes;
		s->nelems = 1;
		s->divmagic = 0;
		s->large = 1;
	} else {
		s->elemsize = class_to_size[cls];
		s->nelems = (uint16_t)(spanbytes / s->elemsize);
		s->divmagic = class_to_divmagic[cls];
		s->large = 0;
		if (s->npages != class_to_allocnpages[cls])
			heap_throw(h, "mspan_init_objects: class %d wants %u pages, span has %lu",
			           cls, (unsigned)class_to_allocnpages[cls], (unsigned long)s->npages);
	}
	s->limit = s->startaddr + (uintptr_t)s->nelems * s->elemsize;
	s->freeindex = 0;
	s->allocCount = 0;
	s->cachedby = -1;
	memset(s->bits, 0, sizeof s->bits);
	memset(s->tinybits, 0, sizeof s->tinybits);
	s->allocbits = s->bits[0];
	s->gcmarkbits = s->bits[1];
	s->alloccache = ~(uint64_t)0;   /* no slot allocated yet */
	/* Every slot and the span tail start poisoned: the page heap hands
	 * pages out poisoned (mheap.c; tests/test_reset_leaves_every_kept_byte_
	 * poisoned.c checks its free runs), so nothing to do here; allocation
	 * unpoisons exactly the object it hands out. */
}

/* Go's refillAllocCache: the complement of allocbits word whichword. */
void mspan_refill_alloc_cache(mspan_t *s, uintptr_t whichword)
{
	s->alloccache = ~__atomic_load_n(&s->allocbits[whichword], __ATOMIC_RELAXED);
}

void mspan_reset_alloc_cache(mspan_t *s)
{
	if (s->freeindex >= s->nelems) {
		s->alloccache = 0;
		return;
	}
	mspan_refill_alloc_cache(s, s->freeindex / 64);
	s->alloccache >>= s->freeindex % 64;
}

/*
 * Go's nextFreeIndex: the index of the next free slot at or after freeindex,
 * or nelems if there is none. Moves freeindex past the returned slot and
 * keeps alloccache in step (refilled when freeindex crosses a 64-slot word).
 * Free slots below freeindex (explicit frees) are not seen here; cacheSpan
 * finds them when the span is cached again.
 */
uintptr_t mspan_next_free_index(mspan_t *s)
{
	uintptr_t idx = s->freeindex, nelems = s->nelems;

	if (idx >= nelems)
		return nelems;
	uint64_t cache = s->alloccache;
	int bit = cache ? __builtin_ctzll(cache) : 64;
	while (bit == 64) {
		/* Nothing free in this word: move to the start of the next one. */
		idx = (idx + 64) & ~(uintptr_t)63;
		if (idx >= nelems) {
			s->freeindex = (uint16_t)nelems;
			s->alloccache = 0;
			return nelems;
		}
		mspan_refill_alloc_cache(s, idx / 64);
		cache = s->alloccache;
		bit = cache ? __builtin_ctzll(cache) : 64;
	}
	uintptr_t result = idx + (uintptr_t)bit;
	if (result >= nelems) {
		s->freeindex = (uint16_t)nelems;
		s->alloccache = 0;
		return nelems;
	}
	/* Shift in two steps: bit + 1 may be 64. */
	s->alloccache = (cache >> bit) >> 1;
	idx = result + 1;
	if (idx % 64 == 0 && idx != nelems)
		mspan_refill_alloc_cache(s, idx / 64);
	s->freeindex = (uint16_t)idx;
	return result;
}

/* The lowest free slot of the span, or nelems: cacheSpan starts there so
 * slots freed explicitly below freeindex are reused. */
uintptr_t mspan_lowest_free_index(const mspan_t *s)
{
	uintptr_t nwords = ((uintptr_t)s->nelems + 63) / 64;
	for (uintptr_t w = 0; w < nwords; w++) {
		uint64_t free = ~__atomic_load_n(&s->allocbits[w], __ATOMIC_RELAXED);
		if (free) {
			uintptr_t i = w * 64 + (uintptr_t)__builtin_ctzll(free);
			return i < s->nelems ? i : s->nelems;
		}
	}
	return s->nelems;
}

/* ---- heap bitmap ---- */

/* Sets (val) or clears bits [from, to) of a bitmap, a word at a time. */
static void bits_fill(uint64_t *b, uintptr_t from, uintptr_t to, bool val)
{
	while (from < to) {
		uintptr_t w = from / 64, lo = from % 64;
		uintptr_t n = to - from < 64 - lo ? to - from : 64 - lo;
		uint64_t mask = (n == 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1)) << lo;
		if (val)
			b[w] |= mask;
		else
			b[w] &= ~mask;
		from += n;
	}
}

/* Ps set heap bits without a lock, hence the CAS (one relaxed load when not
 * above). Bookkeeping that guides nothing: how often the mark rises depends
 * on the heap, and as edge-count features it would only grow the corpus. */
AF_NO_COVERAGE void arena_note_bits(heaparena_t *a, uintptr_t end)
{
	uintptr_t cur = __atomic_load_n(&a->bits_end, __ATOMIC_RELAXED);
	while (end > cur && !__atomic_compare_exchange_n(&a->bits_end, &cur, end, true,
	                                                 __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
	}
}

/*
 * Marks the first ptrwords words of [p, p+size) as pointer slots and the
 * rest as scalars. A large object may cross arenas, so the range is cut at
 * arena boundaries. Plain stores suffice: a 64-bit bitmap word covers 512
 * bytes inside one page, and only the P caching a span allocates from it.
 */
void heapbits_set_type(heap_t *h, uintptr_t p, size_t size, size_t ptrwords)
{
	uintptr_t end = p + size, ptrend = p + ptrwords * PTR_SIZE;
	while (p < end) {
		heaparena_t *a = mheap_arena_of(h, p);
		if (a == NULL)
			heap_throw(h, "heapbits_set_type: no arena for %#lx", (unsigned long)p);
		uintptr_t base = p & ~(ARENA_BYTES - 1);
		uintptr_t stop = end - base > ARENA_BYTES ? base + ARENA_BYTES : end;
		uintptr_t split = ptrend < p ? p : ptrend > stop ? stop : ptrend;
		bits_fill(a->ptrbits, (p - base) / PTR_SIZE, (split - base) / PTR_SIZE, true);
		bits_fill(a->ptrbits, (split - base) / PTR_SIZE, (stop - base) / PTR_SIZE, false);
		arena_note_bits(a, (stop - base) / PTR_SIZE);
		p = stop;
	}
}

bool heapbits_is_pointer(const heap_t *h, uintptr_t wordaddr)
{
	heaparena_t *a = mheap_arena_of(h, wordaddr);
	if (a == NULL)
		return false;
	return bit_get(a->ptrbits, (wordaddr & (ARENA_BYTES - 1)) / PTR_SIZE);
}
