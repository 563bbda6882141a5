/*
 * Finalizers: runtime.SetFinalizer and the finalizer queue (Go's mfinal.go).
 * See malloc.c for the overview.
 *
 * A finalizer lives as a special record (span mode, mspecial.c) or in the
 * 2013 address-hashed tables (legacy mode, mlegacy.c); mfinal_add/remove
 * hide which. The sweeper queues the finalizer of an unreachable object and
 * keeps the object; the queue is a list of finblocks (Go's finq), recycled
 * through finc, and is a GC root until heap_runfinalizers pops it, so the
 * object and everything it reaches survive until the finalizer has run.
 */
#include "alloc/internal.h"

bool mfinal_add(heap_t *h, uintptr_t p, uintptr_t fn)
{
	special_finalizer_t *f;

	if (h->cfg.specials == HEAP_SPECIALS_LEGACY)
		return mlegacy_addfinalizer(h, p, fn);
	f = (special_finalizer_t *)mspecial_new(h, KIND_SPECIAL_FINALIZER);
	if (f == NULL)
		heap_throw(h, "addfinalizer: out of metadata memory");
	f->fn = fn;
	if (mspecial_add(h, p, &f->s))
		return true;
	mspecial_dispose(h, &f->s);  /* there was an old finalizer */
	return false;
}

void mfinal_remove(heap_t *h, uintptr_t p)
{
	special_t *x;

	if (h->cfg.specials == HEAP_SPECIALS_LEGACY) {
		mlegacy_removefinalizer(h, p);
		return;
	}
	x = mspecial_remove(h, p, KIND_SPECIAL_FINALIZER);
	if (x != NULL)
		mspecial_dispose(h, x);
}

alloc_err_t heap_setfinalizer(heap_t *h, void *ptr, size_t elem_size,
                              size_t elem_ptrwords, uintptr_t fn)
{
	uintptr_t p = (uintptr_t)ptr, base, idx;
	mspan_t *s;

	if (ptr == (void *)h->zerobase)
		return ALLOC_OK;
	s = mheap_span_of_inuse(h, p);
	if (s == NULL || !mspan_ensure_swept(h, s))
		return ALLOC_ERR_NOT_IN_HEAP;
	idx = s->large ? 0 : mspan_objindex(s, p);
	if (idx >= s->nelems || !bit_get_atomic(s->allocbits, idx))   /* its owner P sets others */
		return ALLOC_ERR_NOT_ALLOCATED;
	base = s->startaddr + idx * s->elemsize;
	/* Go allows an inner byte only where the type could have come from the
	 * tiny allocator; the record then sits at the exact address. */
	if (p != base && !(elem_ptrwords == 0 && elem_size < TINY_SIZE))
		return ALLOC_ERR_INTERIOR;
	if (fn == 0) {
		mfinal_remove(h, p);
		return ALLOC_OK;
	}
	return mfinal_add(h, p, fn) ? ALLOC_OK : ALLOC_ERR_FIN_EXISTS;
}

/* Go's queuefinalizer: called by the sweeper for an object it keeps. */
void mfinal_queue(heap_t *h, void *p, uintptr_t fn)
{
	finblock_t *b;

	lock_acquire(&h->finlock);
	if (h->finq == NULL || h->finq->cnt == FINBLOCK_CAP) {
		b = h->finc;
		if (b != NULL) {
			h->finc = b->next;
		} else {
			b = persistentalloc(h, sizeof *b, 8);
			if (b == NULL)
				heap_throw(h, "queuefinalizer: out of metadata memory");
		}
		b->cnt = 0;
		b->next = h->finq;
		h->finq = b;
	}
	h->finq->fin[h->finq->cnt].fn = fn;
	h->finq->fin[h->finq->cnt].arg = p;
	h->finq->cnt++;
	__atomic_fetch_add(&h->nfinq, 1, __ATOMIC_RELAXED);   /* mfinal_is_queued peeks unlocked */
	lock_release(&h->finlock);
}

/* Whether a queued, not yet run finalizer holds a pointer into
 * [base, base+size): such an object is still finalizer-owned, so explicit
 * free refuses it (SEMANTICS). Linear in the queue, which is short. */
bool mfinal_is_queued(heap_t *h, uintptr_t base, size_t size)
{
	bool found = false;

	if (__atomic_load_n(&h->nfinq, __ATOMIC_RELAXED) == 0)
		return false;
	lock_acquire(&h->finlock);
	for (finblock_t *b = h->finq; b != NULL && !found; b = b->next)
		for (uint32_t i = 0; i < b->cnt; i++)
			if ((uintptr_t)b->fin[i].arg - base < size) {
				found = true;
				break;
			}
	lock_release(&h->finlock);
	return found;
}

/* Takes the whole queue, oldest block first. */
static finblock_t *finq_take(heap_t *h)
{
	finblock_t *b, *rev = NULL;

	lock_acquire(&h->finlock);
	b = h->finq;
	h->finq = NULL;
	__atomic_store_n(&h->nfinq, 0, __ATOMIC_RELAXED);
	lock_release(&h->finlock);
	while (b != NULL) {
		finblock_t *next = b->next;
		b->next = rev;
		rev = b;
		b = next;
	}
	return rev;
}

/*
 * Go's runfinq: take the whole queue, run it oldest first, recycle the
 * blocks through finc, and repeat while callbacks queued more. A taken
 * record is no longer a root; that is safe because no collection can run
 * until this returns (heap_gc from a callback is ALLOC_ERR_BUSY), and after
 * its callback the object is an ordinary object: reachable or not, it has
 * no finalizer left unless the callback set a new one.
 */
size_t heap_runfinalizers(heap_t *h, heap_finalizer_cb cb, void *ctx)
{
	size_t n = 0;
	finblock_t *b;

	if (h->inrunfin || h->ingc)
		return 0;
	heap_finish_sweep(h);
	h->inrunfin = true;
	while ((b = finq_take(h)) != NULL) {
		while (b != NULL) {
			finblock_t *next = b->next;
			for (uint32_t i = 0; i < b->cnt; i++) {
				if (cb != NULL)
					cb(h, b->fin[i].arg, b->fin[i].fn, ctx);
				n++;
			}
			memset(b->fin, 0, b->cnt * sizeof b->fin[0]);
			b->cnt = 0;
			lock_acquire(&h->finlock);
			b->next = h->finc;
			h->finc = b;
			lock_release(&h->finlock);
			b = next;
		}
	}
	h->inrunfin = false;
	return n;
}

size_t heap_finq_len(const heap_t *h)
{
	return h->nfinq;
}

/* Calls fn for every queued record (mark roots, the heap checker). */
void mfinal_walk_queue(heap_t *h, void (*fn)(heap_t *h, void *arg, uintptr_t fnv, void *ctx), void *ctx)
{
	for (finblock_t *b = h->finq; b != NULL; b = b->next)
		for (uint32_t i = 0; i < b->cnt; i++)
			fn(h, b->fin[i].arg, b->fin[i].fn, ctx);
}

void heap_finq_walk(heap_t *h, heap_finalizer_cb cb, void *ctx)
{
	lock_acquire(&h->finlock);
	mfinal_walk_queue(h, cb, ctx);
	lock_release(&h->finlock);
}
