/*
 * Mark (Go's mgcmark.go, stop-the-world): sets gcmarkbits for every object
 * reachable from the roots. See malloc.c for the overview.
 *
 * Roots, as Go 1.19 markroot: the heap's root slots; the finalizer queue
 * (a queued object and what it reaches live until its finalizer ran); each
 * P's current tiny block (gcMarkTinyAllocs: the block may be handed out
 * again); and every finalizer record, whose object is scanned but not marked
 * (markrootSpans): what a finalizer may touch must survive, while the object
 * itself is left for the sweeper to find unreachable and queue.
 *
 * Scanning is precise: a word is a pointer only if the heap bitmap says so.
 * A pointer may point inside an object (interior pointers keep the whole
 * object). A pointer into the arena that lands on no allocated object means
 * the allocator or its caller is broken: heap_throw with the context.
 *
 * Grey objects wait on an explicit stack (no recursion: a list of a million
 * objects must not overflow the C stack); it grows from persistentalloc and
 * is kept for the next cycle.
 */
#include "alloc/internal.h"

static void gcwork_push(heap_t *h, uintptr_t obj)
{
	if (h->gcwork_n == h->gcwork_cap) {
		size_t ncap = h->gcwork_cap ? h->gcwork_cap * 2 : 1024;
		uintptr_t *n = persistentalloc(h, ncap * sizeof *n, 8);
		if (n == NULL)
			heap_throw(h, "mark: out of memory for the mark stack (%zu entries)", ncap);
		if (h->gcwork_n)
			memcpy(n, h->gcwork, h->gcwork_n * sizeof *n);
		h->gcwork = n;
		h->gcwork_cap = ncap;
	}
	h->gcwork[h->gcwork_n++] = obj;
}

/* Go's findObject + greyobject. where/from say who held the pointer, for the
 * throw: a root slot number, or the object and offset that held it. */
static void mark_pointer(heap_t *h, uintptr_t v, const char *where, uintptr_t from)
{
	mspan_t *s;
	uintptr_t idx;

	if (v == 0 || v < h->arena_start || v >= h->arena_end)
		return;
	s = mheap_span_of_inuse(h, v);
	if (s == NULL)
		heap_throw(h, "found bad pointer in heap: %#lx from %s %#lx: page not in use",
		           (unsigned long)v, where, (unsigned long)from);
	idx = s->large ? 0 : mspan_objindex(s, v);
	if (idx >= s->nelems || !bit_get(s->allocbits, idx))
		heap_throw(h, "found bad pointer in heap: %#lx from %s %#lx: slot %lu of span "
		           "[%#lx, +%lu pages) class %d elemsize %lu nelems %u not allocated",
		           (unsigned long)v, where, (unsigned long)from, (unsigned long)idx,
		           (unsigned long)s->startaddr, (unsigned long)s->npages,
		           spanclass_sizeclass(s->spanclass), (unsigned long)s->elemsize, s->nelems);
	if (bit_get(s->gcmarkbits, idx))
		return;
	bit_set(s->gcmarkbits, idx);
	if (!spanclass_noscan(s->spanclass))
		gcwork_push(h, s->startaddr + idx * s->elemsize);
}

/* Go 1.19 scanobject scans a piece [b, b+n) of an object: the whole object,
 * or for an object over maxObletBytes (128 KiB) one 128 KiB "oblet" at a
 * time, and skips every pointer back into the piece it is scanning
 * ("filter out nil and pointers back to the current object":
 * obj != 0 && obj-b >= n, mgcmark.go). Observable through finalizers: the
 * object of a finalizer record is scanned without being marked
 * (markrootSpans), so a pointer to itself does not keep it alive, unless it
 * is a large object whose pointer lies in another oblet than the one that
 * holds it (alloc/SEMANTICS.md). */
#define MAX_OBLET_BYTES ((uintptr_t)128 << 10)

/* The pointer slots of [b, b+n) by the heap bitmap. */
static void scan_block(heap_t *h, uintptr_t b, uintptr_t n)
{
	for (uintptr_t w = b; w < b + n; w += PTR_SIZE) {
		heaparena_t *a = mheap_arena_of(h, w);
		uintptr_t i = (w & (ARENA_BYTES - 1)) / PTR_SIZE;
		uint64_t bits = a->ptrbits[i >> 6] >> (i & 63);

		if (bits == 0) {
			/* no pointer slot in the rest of this bitmap word */
			w += (63 - (i & 63)) * PTR_SIZE;
			continue;
		}
		if ((bits & 1) && *(uintptr_t *)w - b >= n)
			mark_pointer(h, *(uintptr_t *)w, "object word", w);
	}
}

static void scan_object(heap_t *h, uintptr_t obj, uintptr_t elemsize)
{
	for (uintptr_t b = obj; b < obj + elemsize; b += MAX_OBLET_BYTES)
		scan_block(h, b, obj + elemsize - b < MAX_OBLET_BYTES ? obj + elemsize - b : MAX_OBLET_BYTES);
}

static void drain(heap_t *h)
{
	while (h->gcwork_n > 0) {
		uintptr_t obj = h->gcwork[--h->gcwork_n];
		mspan_t *s = mheap_span_of_inuse(h, obj);
		scan_object(h, obj, s->elemsize);
	}
}

/* A finalizer's object: scan the object holding p without marking it. */
void mgcmark_scan_finalizer_object(heap_t *h, mspan_t *s, uintptr_t p)
{
	uintptr_t idx = s->large ? 0 : mspan_objindex(s, p);

	if (idx >= s->nelems || !bit_get(s->allocbits, idx))
		heap_throw(h, "mark: finalizer record at %#lx on a free slot %lu of span %#lx",
		           (unsigned long)p, (unsigned long)idx, (unsigned long)s->startaddr);
	if (!spanclass_noscan(s->spanclass))
		scan_object(h, s->startaddr + idx * s->elemsize, s->elemsize);
}

/* Calls fn for every in-use span, in address order (Go's allspans). */
void mgc_for_each_inuse_span(heap_t *h, void (*fn)(heap_t *h, mspan_t *s, void *ctx), void *ctx)
{
	for (uintptr_t a = h->arena_start; a < h->arena_used;) {
		heaparena_t *ar = mheap_arena_of(h, a);
		mspan_t *s = ar ? ar->spans[(a & (ARENA_BYTES - 1)) >> PAGE_SHIFT] : NULL;

		if (ar == NULL) {
			a = (a & ~(ARENA_BYTES - 1)) + ARENA_BYTES;
			continue;
		}
		if (s != NULL && s->startaddr == a && s->npages > 0) {
			uintptr_t next = a + s->npages * PAGE_SIZE;
			if (s->state == MSPAN_INUSE)
				fn(h, s, ctx);
			a = next;
		} else {
			a += PAGE_SIZE;
		}
	}
}

static void markroot_span(heap_t *h, mspan_t *s, void *ctx)
{
	(void)ctx;
	for (special_t *x = s->specials; x != NULL; x = x->next)
		if (x->kind == KIND_SPECIAL_FINALIZER)
			mgcmark_scan_finalizer_object(h, s, s->startaddr + x->offset);
}

static void markroot_finq(heap_t *h, void *arg, uintptr_t fn, void *ctx)
{
	(void)fn;
	(void)ctx;
	mark_pointer(h, (uintptr_t)arg, "finalizer queue", 0);
}

void mgcmark_mark(heap_t *h)
{
	h->gcwork_n = 0;
	for (int i = 0; i < HEAP_NROOTS; i++) {
		mark_pointer(h, h->roots[i], "root slot", (uintptr_t)i);
		drain(h);
	}
	mfinal_walk_queue(h, markroot_finq, NULL);
	drain(h);
	for (int p = 0; p < HEAP_MAX_PROCS; p++) {
		if (h->mcaches[p] != NULL && h->mcaches[p]->tiny != 0)
			mark_pointer(h, h->mcaches[p]->tiny, "tiny block of P", (uintptr_t)p);
	}
	if (h->cfg.specials == HEAP_SPECIALS_LEGACY)
		mlegacy_markroots(h);
	else
		mgc_for_each_inuse_span(h, markroot_span, NULL);
	drain(h);
}
