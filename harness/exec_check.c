/*
 * The executor's oracle checks on a heap lane: the memory pattern every live
 * object holds (filled at allocation, checked after every gc and at every
 * observation), heap_find_object against the model, no overlap, and the
 * observation point (heap_check, memstats, profile, finalizer queue, every
 * object the model freed gone). See exec.c for when each runs.
 */
#include "harness/exec_internal.h"

#ifdef AF_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* The pattern a live object's non-pointer bytes hold: byte i is byte i % 8
 * of pat64(id, i / 8). Never a zero byte, so a block zeroed or reused under
 * a live object shows; words, so checking costs little per byte. */
#define PAT_K1 0x9E3779B97F4A7C15ull
#define PAT_K2 0xD6E8FEB86659FD93ull
AF_NO_SANITIZE static inline uint64_t pat64(int32_t id, size_t w)
{
	uint64_t x = ((uint64_t)(uint32_t)id + 1) * PAT_K1 ^ (uint64_t)w * PAT_K2;
	return x | 0x0101010101010101ull;
}
AF_NO_SANITIZE static inline uint8_t pattern(int32_t id, size_t i) { return (uint8_t)(pat64(id, i / 8) >> (8 * (i % 8))); }

AF_NO_COVERAGE AF_NO_SANITIZE static void fill_range(uint8_t *p, int32_t id, size_t from, size_t size)
{
	size_t i = from;
	for (; i + 8 <= size; i += 8) {
		uint64_t v = pat64(id, i / 8);
		memcpy(p + i, &v, 8);
	}
	for (; i < size; i++)
		p[i] = pattern(id, i);
}

/* Whole checks go a block of BLOCK_WORDS words at a time: one OR of the
 * block's differences, which the compiler vectorizes, and only a block that
 * differs is looked at word by word (content checks re-read every live
 * byte: they were the largest part of the slowest inputs). pat64's term of
 * word w of a block is STEP[w] added to the block's, so no multiply per word. */
#define BLOCK_WORDS 32
#define S4(j) (j) * PAT_K2, ((j) + 1) * PAT_K2, ((j) + 2) * PAT_K2, ((j) + 3) * PAT_K2
static const uint64_t STEP[BLOCK_WORDS] = {
	S4(0ull), S4(4ull), S4(8ull), S4(12ull), S4(16ull), S4(20ull), S4(24ull), S4(28ull),
};

/* Where the first block of [lo, hi) starts that is not all pattern (with
 * zero: not all zero); the word loops after it find the byte. */
AF_NO_COVERAGE AF_NO_SANITIZE static inline size_t skip_good_blocks(const uint8_t *p, int32_t id, size_t lo, size_t hi, bool zero)
{
	uint64_t a = ((uint64_t)(uint32_t)id + 1) * PAT_K1;
	size_t i = lo;
	for (; i + 8 * BLOCK_WORDS <= hi; i += 8 * BLOCK_WORDS) {
		uint64_t base = (uint64_t)(i / 8) * PAT_K2, diff = 0;
		for (size_t j = 0; j < BLOCK_WORDS; j++) {
			uint64_t v;
			memcpy(&v, p + i + 8 * j, 8);
			diff |= zero ? v : v ^ ((a ^ (base + STEP[j])) | 0x0101010101010101ull);
		}
		if (diff)
			break;
	}
	return i;
}

/* First byte in [lo, hi) (lo a multiple of 8) not holding the pattern, or hi. */
AF_NO_COVERAGE AF_NO_SANITIZE static size_t find_bad(const uint8_t *p, int32_t id, size_t lo, size_t hi)
{
	size_t i = skip_good_blocks(p, id, lo, hi, false);
	for (; i + 8 <= hi; i += 8) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		if (v != pat64(id, i / 8))
			break;
	}
	for (; i < hi; i++)
		if (p[i] != pattern(id, i))
			return i;
	return hi;
}

/* Objects above this are zero-checked, filled and checked in samples: the
 * first and last 4 KiB and one word every SAMPLE_STRIDE bytes (a little over
 * two pages, so the word's place in the page moves). Whole pages are what the
 * heap zeroes or reuses, so a page left dirty or reused still shows, while
 * touching every page of a 4 MiB object per op would make page faults the
 * whole cost of a run. */
#define FULL_CHECK_MAX (64 * 1024)
#define SAMPLE_STRIDE (2 * 4096 + 200)

AF_NO_COVERAGE AF_NO_SANITIZE static size_t first_nonzero(const uint8_t *p, size_t lo, size_t hi)
{
	size_t i = skip_good_blocks(p, 0, lo, hi, true);
	for (; i + 8 <= hi; i += 8) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		if (v)
			break;
	}
	for (; i < hi; i++)
		if (p[i])
			return i;
	return hi;
}

/* A page the new object has not touched yet is faulted in once, for
 * writing: read first, it would be mapped to the zero page and then fault
 * again on the fill (page faults were a fifth of the executor's time). A
 * volatile store of the word's own value is a write that changes nothing
 * (an atomic add of 0, used before, clang turns into a load: two faults a
 * page again). */
AF_NO_COVERAGE AF_NO_SANITIZE static void touch_for_write(uint8_t *p, size_t lo, size_t hi)
{
	if ((uintptr_t)p % 8)
		return;
	for (size_t q = lo & ~(size_t)7; q + 8 <= hi; q = (((uintptr_t)p + q) | 4095) + 1 - (uintptr_t)p) {
		volatile uint64_t *w = (volatile uint64_t *)(p + q);
		*w = *w;
	}
}

/* The word loops above are built without the sanitizers' per-load checks
 * (AF_NO_SANITIZE: a check and a pointer-overflow test per 8 bytes were most
 * of their time in the fuzz preset). What they read and write, [p+lo, p+hi),
 * is checked here once, by reading its first poisoned byte, if any, through
 * an instrumented access: ASan reports that byte where the loop would have
 * (as a one-byte read, also for the loops that write), e.g. a block the
 * heap left poisoned under a live object. */
static inline void asan_check_range(const uint8_t *p, size_t lo, size_t hi)
{
#ifdef AF_ASAN
	const volatile uint8_t *bad = hi > lo ? __asan_region_is_poisoned((void *)(p + lo), hi - lo) : NULL;
	if (bad)
		(void)*bad;
#else
	(void)p, (void)lo, (void)hi;
#endif
}

AF_NO_COVERAGE static size_t walk_part(uint8_t *p, int32_t id, size_t lo, size_t hi, enum walk w,
                                      heap_t *h)
{
	asan_check_range(p, lo, hi);
	if (w == W_PATTERN)
		return find_bad(p, id, lo, hi);
	if (w == W_ZERO_FILL)
		touch_for_write(p, lo, hi);
	size_t k = first_nonzero(p, lo, hi);
	if (w == W_ZERO || k != hi)
		return k;
	fill_range(p, id, lo, hi);
	heap_note_write(h, p + lo, hi - lo);   /* heap_reset zeroes it */
	return hi;
}

/* Checks (or, W_ZERO_FILL, checks is zero and then fills) the sampled parts
 * of [from, size) (from a multiple of 8) of an object of heap h; returns the
 * first byte that is wrong, or size. */
AF_NO_COVERAGE size_t walk(heap_t *h, uint8_t *p, int32_t id, size_t from, size_t size, enum walk w)
{
	if (size - from <= FULL_CHECK_MAX)
		return walk_part(p, id, from, size, w, h);
	size_t head = from + 4096, tail = (size - 4096) & ~(size_t)7, k;
	if ((k = walk_part(p, id, from, head, w, h)) != head)
		return k;
	for (size_t i = head; i < tail; i += SAMPLE_STRIDE)
		if ((k = walk_part(p, id, i, i + 8, w, h)) != i + 8)
			return k;
	return walk_part(p, id, tail, size, w, h);
}

/* Checks one live object's memory in lane l; false after reporting. */
AF_NO_COVERAGE static bool check_contents(exec_t *ex, lane_t *l, int32_t mid)
{
	const model_obj_t *o = mobj(ex, mid);
	const uint8_t *p = (const uint8_t *)l->addr[mid];
	char tmp[24];
	/* Word by word up to the model's last non-nil slot; after it every slot
	 * must be zero, found at the zero check's speed (most slots of big
	 * pointer objects stay nil). */
	size_t seen = 0, pend = o->ptrwords * OP_WORD_BYTES;
	for (size_t w = 0;; w++) {
		if (seen == o->nset) {
			asan_check_range(p, w * OP_WORD_BYTES, pend);
			w = first_nonzero(p, w * OP_WORD_BYTES, pend) / OP_WORD_BYTES;
		}
		if (w >= o->ptrwords)
			break;
		uintptr_t got, want = ref_addr(l, o->slots[w]);
		seen += o->slots[w].id != MODEL_NIL;
		memcpy(&got, p + w * OP_WORD_BYTES, sizeof got);
		if (got != want) {
			differ(ex, l, "pointer slot %zu of %s holds %#lx, the model expects %#lx",
			       w, mname(ex, mid, tmp), rel(l, got), rel(l, want));
			return false;
		}
	}
	size_t size = o->size, bad = walk(l->h, (uint8_t *)p, mid, o->ptrwords * OP_WORD_BYTES, size, W_PATTERN);
	if (bad != size) {
		differ(ex, l, "byte %zu of %s (%zu bytes) is %#x, its pattern is %#x: "
		       "the object was overwritten or reused", bad, mname(ex, mid, tmp),
		       o->size, p[bad], pattern(mid, bad));
		return false;
	}
	return true;
}

/* heap_find_object agrees with the model about a live object. */
bool check_found(exec_t *ex, lane_t *l, int32_t mid)
{
	const model_obj_t *o = mobj(ex, mid);
	void *base = NULL;
	size_t es = 0;
	char tmp[24];
	alloc_err_t e = heap_find_object(l->h, (void *)l->addr[mid], &base, &es);
	uintptr_t want = l->addr[mid] - o->boff;
	if (e != ALLOC_OK || (uintptr_t)base != want || es != o->elemsize) {
		differ(ex, l, "heap_find_object(%s @%#lx) = %s base %#lx elemsize %zu; the model "
		       "expects OK base %#lx elemsize %zu", mname(ex, mid, tmp),
		       (unsigned long)(l->addr[mid] - heap_arena_base(l->h)), alloc_errname(e),
		       (unsigned long)((uintptr_t)base - (base ? heap_arena_base(l->h) : 0)), es,
		       (unsigned long)(want - heap_arena_base(l->h)), o->elemsize);
		return false;
	}
	return true;
}

static int range_cmp(const void *a, const void *b)
{
	const range_t *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

void note_fresh(lane_t *l, uintptr_t lo, uintptr_t hi)
{
	GROW(l->fresh, l->capfresh, l->nfresh + 1);
	l->fresh[l->nfresh++] = (range_t){ lo, hi, MODEL_NIL };
}

/* The fresh blocks sorted and merged (disjoint, ascending); their count. */
static size_t merge_fresh(lane_t *l)
{
	range_t *f = l->fresh;
	if (l->nfresh > 1)
		qsort(f, l->nfresh, sizeof *f, range_cmp);
	size_t k = 0;
	for (size_t i = 0; i < l->nfresh; i++)
		if (k && f[i].lo <= f[k - 1].hi)
			f[k - 1].hi = f[i].hi > f[k - 1].hi ? f[i].hi : f[k - 1].hi;
		else
			f[k++] = f[i];
	return k;
}

/* Does [lo, hi) overlap one of the n merged fresh blocks? */
static bool overlaps_fresh(const lane_t *l, size_t n, uintptr_t lo, uintptr_t hi)
{
	size_t a = 0, b = n;   /* the first block ending after lo */
	while (a < b) {
		size_t mid = (a + b) / 2;
		if (l->fresh[mid].hi <= lo)
			a = mid + 1;
		else
			b = mid;
	}
	return a < n && l->fresh[a].lo < hi;
}

/* No two live objects overlap (that heap_find_object finds each is
 * check_reachability's, at observation points). Their contents: every
 * object at the end of the input and at every EXEC_CONTENT_FULL_EVERY-th
 * check, else the objects whose block overlaps one
 * handed out since the last check. Only the allocator's zeroing and the
 * executor's own fills and stores write heap memory, and the executor's
 * land where the model says, so an object no block handed out since the
 * last check overlaps holds what it held then. */
AF_NO_COVERAGE void check_objects(exec_t *ex, lane_t *l)
{
	bool all = ex->at_end || ++l->ncontent % EXEC_CONTENT_FULL_EVERY == 0;
	size_t nf = all ? 0 : merge_fresh(l);
	range_t *r = ex->ranges;
	size_t n = 0;
	for (size_t i = 0; i < ex->nlive && !ex->stop && !l->broken; i++) {
		int32_t mid = ex->p2m[ex->live[i]];
		const model_obj_t *o = mobj(ex, mid);
		if (o->state != MODEL_LIVE)
			continue;
		uintptr_t block = l->addr[mid] - o->boff;
		if ((all || overlaps_fresh(l, nf, block, block + o->elemsize)) && !check_contents(ex, l, mid))
			return;
		GROW(ex->ranges, ex->capranges, n + 1);
		r = ex->ranges;
		r[n++] = (range_t){ l->addr[mid], l->addr[mid] + (o->tiny ? o->size : o->elemsize), mid };
	}
	if (ex->stop || l->broken)
		return;
	l->nfresh = 0;
	if (n > 1)
		qsort(r, n, sizeof *r, range_cmp);
	char t1[24], t2[24];
	for (size_t i = 1; i < n; i++)
		if (r[i].lo < r[i - 1].hi) {
			differ(ex, l, "live objects overlap: %s [%#lx, %#lx) and %s [%#lx, %#lx)",
			       mname(ex, r[i - 1].mid, t1), (unsigned long)(r[i - 1].lo - heap_arena_base(l->h)),
			       (unsigned long)(r[i - 1].hi - heap_arena_base(l->h)), mname(ex, r[i].mid, t2),
			       (unsigned long)(r[i].lo - heap_arena_base(l->h)),
			       (unsigned long)(r[i].hi - heap_arena_base(l->h)));
			return;
		}
}

/* After heap_scavenge: nothing it released holds a byte of a live block.
 * Released pages read zero (MADV_DONTNEED, or zeroed in place: the
 * executor's heaps), so the next content check would see a live block
 * there too; this names the release. */
AF_NO_COVERAGE void check_released(exec_t *ex, lane_t *l)
{
	const heap_range_t *r;
	size_t n;
	heap_released_ranges(l->h, &r, &n);   /* an incomplete list is still checked */
	char tmp[24];
	for (size_t i = 0; i < ex->nlive && n; i++) {
		int32_t mid = ex->p2m[ex->live[i]];
		const model_obj_t *o = mobj(ex, mid);
		if (o->state != MODEL_LIVE)
			continue;
		uintptr_t lo = l->addr[mid] - o->boff, hi = lo + o->elemsize;
		size_t a = 0, b = n;   /* the first range ending above lo */
		while (a < b) {
			size_t m = (a + b) / 2;
			if (r[m].hi <= lo)
				a = m + 1;
			else
				b = m;
		}
		if (a < n && r[a].lo < hi) {
			differ(ex, l, "scavenge gave [%#lx, %#lx) back to the OS, which holds live %s "
			       "[%#lx, %#lx)", rel(l, r[a].lo), rel(l, r[a].hi), mname(ex, mid, tmp),
			       rel(l, lo), rel(l, hi));
			return;
		}
	}
}

/* P p's tiny block and offset against the model's (Go's rule for keeping the
 * new block or the old, its drop at a GC). Run after each tiny alloc on its P
 * and after each GC on every P, so that a wrong decision is named at the op
 * that took it, before a later placement or reachability check sees it. */
void check_tiny(exec_t *ex, lane_t *l, int p)
{
	size_t hoff;
	uint32_t moff;
	uintptr_t hb = heap_tiny_block(l->h, p, &hoff);
	int32_t mb = model_tiny_block(ex->m, p, &moff);
	uintptr_t mb_addr = mb == MODEL_NIL ? 0 : l->addr[mb];
	if (hb == mb_addr && (hb == 0 || hoff == moff))
		return;
	char hs[48] = "none", ms[64] = "none", tmp[24];
	if (hb)
		snprintf(hs, sizeof hs, "%#lx + %zu", rel(l, hb), hoff);
	if (mb != MODEL_NIL)
		snprintf(ms, sizeof ms, "%s = %#lx + %u", mname(ex, mb, tmp), rel(l, mb_addr), moff);
	differ(ex, l, "tiny block: P%d holds %s, the model %s", p, hs, ms);
}

static void collect_bucket(const heap_bucket_t *b, void *ctx)
{
	lane_t *l = ctx;
	GROW(l->bk, l->capbk, l->nbk + 1);
	l->bk[l->nbk++] = *b;
}

/* An observation point: the sweep is finished and everything is compared. */
void observe(exec_t *ex, lane_t *l)
{
	if (l->broken || ex->stop)
		return;
	heap_finish_sweep(l->h);
	if (heap_check_skipped("observe"))   /* measurement only: ci/bench prices the checks */
		return;
	/* the stats the checker compared with its walk are compared with the
	 * model below: one read of them */
	heap_check_report_t rep;
	heap_stats_t st;
	if (heap_check_skipped("heap_check"))
		heap_read_stats(l->h, &st);
	else if (heap_check_stats(l->h, &rep, &st) != ALLOC_OK) {
		differ(ex, l, "heap_check: %s: %s", rep.invariant, rep.detail);
		return;
	}
	/* per object before any count, so that a finding names the object */
	if (!check_reachability(ex, l))
		return;
	char why[256];
	if (!model_check_stats(ex->m, &st, why, sizeof why)) {
		differ(ex, l, "memstats: %s", why);
		return;
	}
	l->nbk = 0;
	heap_profile(l->h, collect_bucket, l);
	if (!model_check_profile(ex->m, l->bk, l->nbk, why, sizeof why)) {
		differ(ex, l, "heap profile: %s", why);
		return;
	}
	if (heap_finq_len(l->h) != model_finq_len(ex->m)) {
		differ(ex, l, "finalizer queue holds %zu records, the model %zu",
		       heap_finq_len(l->h), model_finq_len(ex->m));
		return;
	}
	check_objects(ex, l);
}
