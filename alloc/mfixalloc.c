/*
 * Off-heap metadata allocation (Go's persistentalloc and fixalloc). See
 * malloc.c for overview.
 *
 * persistentalloc carves zeroed memory out of heap-owned mmap'd chunks and
 * never frees it individually; fixalloc keeps free lists of fixed-size
 * records (spans, mcaches, special records) on top of it. Both belong to one
 * heap, so two heaps share nothing. heap_reset rewinds them without
 * unmapping: the used part of each chunk is zeroed and the chunk waits on a
 * spare list for the next run, so a reset costs what the last run used.
 */
#include "alloc/internal.h"

#define PCHUNK_BYTES   ((size_t)256 << 10)
#define PCHUNK_OWN_MIN ((size_t)64 << 10)   /* requests this big get their own chunk */
#define FIXALLOC_CHUNK ((size_t)16 << 10)
#define PCHUNK_HDR     ((sizeof(pchunk_t) + 63) & ~(size_t)63)

/* A chunk of exactly size bytes: a spare one if the last run left one,
 * else a fresh mapping. Exact sizes keep sys equal to a fresh heap's. */
static pchunk_t *pchunk_get(persistent_t *p, size_t size)
{
	for (pchunk_t **pp = &p->spare; *pp; pp = &(*pp)->next) {
		pchunk_t *c = *pp;
		if (c->size == size) {
			*pp = c->next;
			c->next = NULL;
			return c;
		}
	}
	pchunk_t *c = sys_alloc(size);
	if (!c)
		return NULL;
	c->size = size;
	c->used = PCHUNK_HDR;
	return c;
}

static size_t round_pow2(size_t n)
{
	size_t r = PCHUNK_BYTES;
	while (r < n)
		r <<= 1;
	return r;
}

static void *persistentalloc_locked(heap_t *h, persistent_t *p, size_t size, size_t align)
{
	assert_locked(h, &p->lock);
	if (size >= PCHUNK_OWN_MIN) {
		/* Own chunk, power-of-two sized so a later run's request of a
		 * similar size finds it on the spare list. Linked behind the
		 * chunk being carved. */
		pchunk_t *c = pchunk_get(p, round_pow2(PCHUNK_HDR + size + align));
		if (!c)
			return NULL;
		uintptr_t v = ((uintptr_t)c + c->used + align - 1) & ~(uintptr_t)(align - 1);
		c->used = v + size - (uintptr_t)c;
		if (p->chunks) {
			c->next = p->chunks->next;
			p->chunks->next = c;
		} else {
			p->chunks = c;
		}
		p->sys += c->size;
		p->used += size;
		return (void *)v;
	}

	pchunk_t *c = p->chunks;
	uintptr_t v = 0;
	if (c)
		v = ((uintptr_t)c + c->used + align - 1) & ~(uintptr_t)(align - 1);
	if (!c || v + size > (uintptr_t)c + c->size) {
		c = pchunk_get(p, PCHUNK_BYTES);
		if (!c)
			return NULL;
		c->next = p->chunks;
		p->chunks = c;
		p->sys += c->size;
		v = ((uintptr_t)c + c->used + align - 1) & ~(uintptr_t)(align - 1);
	}
	c->used = v + size - (uintptr_t)c;
	p->used += size;
	return (void *)v;
}

/* Zeroed memory that lives until heap_reset; NULL when mmap fails. */
void *persistentalloc(heap_t *h, size_t size, size_t align)
{
	persistent_t *p = &h->persistent;
	if (size == 0)
		heap_throw(h, "persistentalloc: size == 0");
	if (align == 0)
		align = 8;
	if ((align & (align - 1)) != 0 || align > PAGE_SIZE)
		heap_throw(h, "persistentalloc: bad align %zu", align);
	lock_acquire(&p->lock);
	void *v = persistentalloc_locked(h, p, size, align);
	lock_release(&p->lock);
	return v;
}

static void pchunk_free_list(pchunk_t *c)
{
	for (pchunk_t *next; c; c = next) {
		next = c->next;
		UNPOISON((uint8_t *)c + PCHUNK_HDR, c->used - PCHUNK_HDR);
		sys_free(c, c->size);
	}
}

void persistent_reset(persistent_t *p)
{
	/* Spares the last run did not reuse are surplus: unmap them, so the
	 * kept mappings stay bounded by what two consecutive runs used. */
	pchunk_free_list(p->spare);
	p->spare = NULL;
	for (pchunk_t *c = p->chunks, *next; c; c = next) {
		next = c->next;
		/* fixalloc_free poisoned records in here */
		UNPOISON((uint8_t *)c + PCHUNK_HDR, c->used - PCHUNK_HDR);
		sys_zero((uint8_t *)c + PCHUNK_HDR, c->used - PCHUNK_HDR);
		c->used = PCHUNK_HDR;
		c->next = p->spare;
		p->spare = c;
	}
	p->chunks = NULL;
	p->sys = 0;
	p->used = 0;
}

void persistent_destroy(persistent_t *p)
{
	pchunk_free_list(p->spare);
	pchunk_free_list(p->chunks);
	p->spare = p->chunks = NULL;
	p->sys = p->used = 0;
}

void fixalloc_init(fixalloc_t *f, size_t size, const char *name)
{
	memset(f, 0, sizeof(*f));
	if (size < sizeof(mlink_t))
		size = sizeof(mlink_t);
	f->size = (size + 7) & ~(size_t)7;
	f->name = name;
}

void *fixalloc_alloc(heap_t *h, fixalloc_t *f)
{
	void *v;
	if (f->list) {
		mlink_t *l = f->list;
		UNPOISON((uint8_t *)l + sizeof(mlink_t), f->size - sizeof(mlink_t));
		f->list = l->next;
		memset(l, 0, f->size);
		v = l;
	} else {
		if (f->nchunk < f->size) {
			/* The tail of the old chunk is wasted, as in Go. */
			uint8_t *c = persistentalloc(h, FIXALLOC_CHUNK, 64);
			if (!c)
				return NULL;
			f->chunk = c;
			f->nchunk = FIXALLOC_CHUNK;
			f->sys += FIXALLOC_CHUNK;
		}
		v = f->chunk;   /* fresh persistent memory is zero */
		f->chunk += f->size;
		f->nchunk -= f->size;
	}
	f->inuse += f->size;
	return v;
}

void fixalloc_free(fixalloc_t *f, void *p)
{
	mlink_t *l = p;
	f->inuse -= f->size;
	l->next = f->list;
	f->list = l;
	/* A stale pointer to a freed span or special is an ASan report. */
	POISON((uint8_t *)l + sizeof(mlink_t), f->size - sizeof(mlink_t));
}

void fixalloc_reset(fixalloc_t *f)
{
	fixalloc_init(f, f->size, f->name);
}
