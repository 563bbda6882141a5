/*
 * Special records (span mode): Go commit 020b39c3 moved finalizers and heap
 * profile records out of global address-keyed tables into records hung off
 * the span that holds the object. See malloc.c for the overview.
 *
 * A span's list is sorted by (offset, kind) and unique per pair. Finalizer
 * sorts before profile at the same offset, so a sweep that meets the
 * finalizer first keeps the object (it is queued, hence resurrected) and
 * leaves the profile record in place: the object's eventual death is then
 * counted exactly once.
 *
 * Every operation first makes sure the span is swept (Go 1.19 ensureSwept):
 * an unswept span's mark bits say which objects are dead, and a record must
 * never be attached to an object the pending sweep will free.
 *
 * In legacy mode the same entry points answer from the side tables of
 * mlegacy.c, so callers (explicit free) need not know the design.
 */
#include "alloc/internal.h"

static uintptr_t span_offset(const mspan_t *s, uintptr_t p) { return p - s->startaddr; }

/* Writes a list link under s->speciallock. Atomic because the head,
 * s->specials, is read without the lock (explicit free's quick "any records
 * at all?" test on another P). */
static inline void link_store(special_t **t, special_t *x) { __atomic_store_n(t, x, __ATOMIC_RELAXED); }

static mspan_t *special_span(heap_t *h, uintptr_t p, const char *who)
{
	mspan_t *s = mheap_span_of_inuse(h, p);
	if (s == NULL)
		heap_throw(h, "%s: pointer %#lx not in an in-use span", who, (unsigned long)p);
	return s;
}

bool mspecial_add(heap_t *h, uintptr_t p, special_t *rec)
{
	mspan_t *s = special_span(h, p, "addspecial");
	uintptr_t off = span_offset(s, p);
	special_t **t, *x;

	mspan_ensure_swept(h, s);
	if (s->state != MSPAN_INUSE)
		heap_throw(h, "addspecial: span of %#lx freed by its sweep", (unsigned long)p);
	lock_acquire(&s->speciallock);
	for (t = &s->specials; (x = *t) != NULL; t = &x->next) {
		if (x->offset == off && x->kind == rec->kind) {
			lock_release(&s->speciallock);
			return false;
		}
		if (off < x->offset || (off == x->offset && rec->kind < x->kind))
			break;
	}
	rec->offset = (uint32_t)off;
	rec->next = x;
	link_store(t, rec);
	lock_release(&s->speciallock);
	return true;
}

special_t *mspecial_remove(heap_t *h, uintptr_t p, uint8_t kind)
{
	mspan_t *s = special_span(h, p, "removespecial");
	uintptr_t off = span_offset(s, p);
	special_t **t, *x;

	mspan_ensure_swept(h, s);
	lock_acquire(&s->speciallock);
	for (t = &s->specials; (x = *t) != NULL; t = &x->next) {
		if (x->offset == off && x->kind == kind) {
			link_store(t, x->next);
			lock_release(&s->speciallock);
			return x;
		}
	}
	lock_release(&s->speciallock);
	return NULL;
}

static void special_record_free(heap_t *h, special_t *x)
{
	lock_acquire(&h->speciallock);
	if (x->kind == KIND_SPECIAL_FINALIZER)
		fixalloc_free(&h->specialfinalizeralloc, x);
	else
		fixalloc_free(&h->specialprofilealloc, x);
	lock_release(&h->speciallock);
}

special_t *mspecial_new(heap_t *h, uint8_t kind)
{
	special_t *x;

	lock_acquire(&h->speciallock);
	if (kind == KIND_SPECIAL_FINALIZER)
		x = fixalloc_alloc(h, &h->specialfinalizeralloc);
	else
		x = fixalloc_alloc(h, &h->specialprofilealloc);
	lock_release(&h->speciallock);
	if (x != NULL)
		x->kind = kind;
	return x;
}

void mspecial_dispose(heap_t *h, special_t *x)
{
	special_record_free(h, x);
}

/* Go's freeSpecial: x is already unlinked. p is the object (or tiny
 * sub-object) address, size the object's elemsize. Returns false when the
 * object must be kept (a finalizer was queued). */
bool mspecial_free(heap_t *h, special_t *x, uintptr_t p, size_t size, bool bysweep)
{
	switch (x->kind) {
	case KIND_SPECIAL_FINALIZER:
		mfinal_queue(h, (void *)p, ((special_finalizer_t *)x)->fn);
		special_record_free(h, x);
		return false;
	case KIND_SPECIAL_PROFILE:
		mprof_free(h, ((special_profile_t *)x)->b, size, bysweep);
		special_record_free(h, x);
		return true;
	default:
		heap_throw(h, "bad special kind %d at %#lx", x->kind, (unsigned long)p);
	}
}

/* Explicit free of [p, p+size): drops its profile records. An object with
 * a finalizer is refused (false, nothing changed). The check and the unlink
 * are one critical section, so a setfinalizer racing the free on another P
 * is ordered before it (refused) or after it (its object is gone), never in
 * between, where it would leave a finalizer on a freed object. */
bool mspecial_free_all(heap_t *h, mspan_t *s, uintptr_t p, size_t size)
{
	special_t **t, *x;
	uintptr_t off = span_offset(s, p);

	if (h->cfg.specials == HEAP_SPECIALS_LEGACY)
		return mlegacy_free_all(h, p, size);
	lock_acquire(&s->speciallock);
	for (x = s->specials; x != NULL && x->offset < off + size; x = x->next) {
		if (x->offset >= off && x->kind == KIND_SPECIAL_FINALIZER) {
			lock_release(&s->speciallock);
			return false;
		}
	}
	t = &s->specials;
	while ((x = *t) != NULL && x->offset < off + size) {
		if (x->offset < off) {
			t = &x->next;
			continue;
		}
		link_store(t, x->next);
		if (!mspecial_free(h, x, p + (x->offset - off), size, false))
			heap_throw(h, "free of %#lx: a finalizer appeared under the span's speciallock",
			           (unsigned long)p);
	}
	lock_release(&s->speciallock);
	return true;
}

/*
 * Go 1.19 sweepLocked, the specials part. For every unmarked object with
 * records: if any record in the object is a finalizer, the object is marked
 * (kept for its finalizer) and every finalizer is unlinked and queued while
 * profile records stay; otherwise every record is unlinked and freed (the
 * profile record counts the free). The caller owns the span.
 */
void mspecial_sweep(heap_t *h, mspan_t *s)
{
	special_t **t = &s->specials, *x;
	uintptr_t size = s->elemsize;

	lock_acquire(&s->speciallock);
	while ((x = *t) != NULL) {
		uintptr_t idx = s->large ? 0 : x->offset / size;
		uintptr_t objoff = idx * size, end = objoff + size;
		bool hasfin = false;

		if (bit_get(s->gcmarkbits, idx)) {
			t = &x->next;
			continue;
		}
		for (special_t *y = x; y != NULL && y->offset < end; y = y->next) {
			if (y->kind == KIND_SPECIAL_FINALIZER) {
				hasfin = true;
				bit_set(s->gcmarkbits, idx);
				break;
			}
		}
		while ((x = *t) != NULL && x->offset < end) {
			if (x->kind == KIND_SPECIAL_FINALIZER || !hasfin) {
				link_store(t, x->next);
				mspecial_free(h, x, s->startaddr + x->offset, size, true);
			} else {
				t = &x->next;
			}
		}
	}
	lock_release(&s->speciallock);
}
