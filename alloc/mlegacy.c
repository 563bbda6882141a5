/*
 * The pre-specials design (heap config specials = legacy): how the runtime
 * kept finalizers and profile records before Go commit 020b39c3, as a twin
 * of mspecial.c with the same API and the same observable behaviour, so
 * comparing the two is an oracle and the commit's memory table can be
 * measured on both. See malloc.c for the overview.
 *
 * - Finalizers: the deleted mfinal.c's 17 tables chosen by address
 *   ((p >> 3) % 17), each open addressing with linear probing, kept at most
 *   3/4 full, grown x3 (or rehashed in place when many entries are dead),
 *   dead entries marked so probing continues past them.
 * - Profile records: mprof.goc's address hash (setaddrbucket/getaddrbucket):
 *   a 4096-entry table of 1 MiB address regions, each with 256 dense lists
 *   of 24-byte entries carved 64 at a time.
 * - The heap bitmap's special bit (2013 bitSpecial), here in
 *   heaparena.specialbits at the object's first word: set iff the object
 *   has a finalizer anywhere inside it or a profile entry at its start, so
 *   the sweeper consults the tables only for objects that need it.
 *
 * All tables live in persistentalloc memory counted in stats.legacy_inuse;
 * arrays dropped by a resize are kept for the next resize of that size.
 * One lock (h->speciallock, unused by the fixallocs in this mode) guards it.
 */
#include "alloc/internal.h"
#include "alloc/testing.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define FIN_EMPTY 0
#define FIN_DEAD  1

enum {
	ADDR_HASH_BITS = 12,   /* 4096 regions of 1 MiB: 4 GiB, our largest cap */
	ADDR_HASH_SHIFT = 20,
	ADDR_DENSE_BITS = 8,
	ADDR_ENTRY_CHUNK = 64,
};
#define HASH_MULTIPLIER 2654435769u  /* (sqrt(5)-1)/2 * 2^32, Knuth */

typedef struct addrentry {
	struct addrentry *next;
	uint32_t addr;          /* ~(low 20 bits of the address) */
	bucket_t *b;
} addrentry_t;

typedef struct addrhash {
	struct addrhash *next;
	struct addrhash *allnext; /* every region ever made (not in the 2014
	                           * runtime: mlegacy_walk visits the regions in
	                           * use, not all 4096 chains, at every check) */
	uintptr_t addr;         /* address >> 20 */
	addrentry_t *dense[1 << ADDR_DENSE_BITS];
} addrhash_t;

typedef struct freearr {
	struct freearr *next;
	size_t bytes;
} freearr_t;

typedef struct mlegacy {
	addrhash_t **addrhash;  /* [1 << ADDR_HASH_BITS], made at the first profile */
	addrhash_t *all;        /* the regions, newest first (addrhash_t.allnext) */
	addrentry_t *addrfree;
	freearr_t *freearr;     /* fintab arrays dropped by resizes */
	uint64_t nfin;          /* live finalizers in all tables */
} mlegacy_t;

static void *legacy_mem(heap_t *h, size_t n)
{
	void *p = persistentalloc(h, n, 8);
	if (p == NULL)
		heap_throw(h, "legacy specials: out of metadata memory (%zu bytes)", n);
	h->stats.legacy_inuse += n;
	return p;
}

static mlegacy_t *legacy(heap_t *h)
{
	if (h->addrhash == NULL)
		h->addrhash = legacy_mem(h, sizeof(mlegacy_t));
	return h->addrhash;
}

/* ---- the special bit ---- */

static uint64_t *specialbit_word(heap_t *h, uintptr_t p, uint64_t *mask)
{
	heaparena_t *a = mheap_arena_of(h, p);
	uintptr_t i = (p & (ARENA_BYTES - 1)) / PTR_SIZE;

	*mask = (uint64_t)1 << (i & 63);
	return &a->specialbits[i >> 6];
}

static bool specialbit_get(heap_t *h, uintptr_t base)
{
	uint64_t m, *w = specialbit_word(h, base, &m);
	return (*w & m) != 0;
}

static void specialbit_put(heap_t *h, uintptr_t base, bool on)
{
	uint64_t m, *w = specialbit_word(h, base, &m);
	if (on) {
		*w |= m;
		arena_note_bits(mheap_arena_of(h, base), (base & (ARENA_BYTES - 1)) / PTR_SIZE + 1);
	} else
		*w &= ~m;
}

static mspan_t *object_of(heap_t *h, uintptr_t p, uintptr_t *base)
{
	mspan_t *s = mheap_span_of_inuse(h, p);

	if (s == NULL)
		heap_throw(h, "legacy specials: %#lx not in an in-use span", (unsigned long)p);
	*base = s->startaddr + (s->large ? 0 : mspan_objindex(s, p)) * s->elemsize;
	return s;
}

/* ---- the finalizer tables (the deleted mfinal.c) ---- */

static fintab_t *tab_of(heap_t *h, uintptr_t p) { return &h->fintab[(p >> 3) % LEGACY_TABSZ]; }

static void addfintab(heap_t *h, fintab_t *t, uintptr_t k, uintptr_t fn)
{
	int32_t i = (int32_t)(k % (uintptr_t)t->max);

	for (int32_t j = 0; j < t->max; j++) {
		if (t->key[i] == FIN_EMPTY) {
			t->nkey++;
			goto found;
		}
		if (t->key[i] == FIN_DEAD) {
			t->ndead--;
			goto found;
		}
		if (++i == t->max)
			i = 0;
	}
	heap_throw(h, "finalizer table inconsistent: full (max %d nkey %d)", t->max, t->nkey);
found:
	t->key[i] = k;
	t->val[i] = fn;
}

static void fintab_assert_valid(heap_t *h, fintab_t *ft, const char *where);

static bool lookfintab(heap_t *h, fintab_t *t, uintptr_t k, bool del, uintptr_t *fn)
{
	if (t->max == 0)
		return false;
	int32_t i = (int32_t)(k % (uintptr_t)t->max);
	for (int32_t j = 0; j < t->max; j++) {
		if (t->key[i] == FIN_EMPTY)
			return false;
		if (t->key[i] == k) {
			if (fn)
				*fn = t->val[i];
			if (del) {
				t->key[i] = FIN_DEAD;
				t->val[i] = 0;
				t->ndead++;
				if (AF_EXPENSIVE)
					fintab_assert_valid(h, t, "lookfintab");
			}
			return true;
		}
		if (++i == t->max)
			i = 0;
	}
	heap_throw(h, "finalizer table inconsistent: no empty slot (max %d)", t->max);
}

static uintptr_t *fintab_arrays(heap_t *h, int32_t max)
{
	size_t bytes = (size_t)max * 2 * sizeof(uintptr_t);
	mlegacy_t *L = legacy(h);

	for (freearr_t **l = &L->freearr; *l != NULL; l = &(*l)->next) {
		if ((*l)->bytes == bytes) {
			freearr_t *f = *l;
			*l = f->next;
			memset(f, 0, bytes);
			h->stats.legacy_inuse += bytes;
			return (uintptr_t *)f;
		}
	}
	return legacy_mem(h, bytes);
}

static void resizefintab(heap_t *h, fintab_t *t)
{
	fintab_t n = { 0 };

	n.max = t->max;
	if (n.max == 0)
		n.max = 3 * 3 * 3;
	else if (t->ndead < t->nkey / 2)
		n.max *= 3;   /* grow unless many entries are dead: then just rehash */
	n.key = fintab_arrays(h, n.max);
	n.val = n.key + n.max;
	for (int32_t i = 0; i < t->max; i++)
		if (t->key[i] != FIN_EMPTY && t->key[i] != FIN_DEAD)
			addfintab(h, &n, t->key[i], t->val[i]);
	if (t->key != NULL) {
		freearr_t *f = (freearr_t *)t->key;
		f->bytes = (size_t)t->max * 2 * sizeof(uintptr_t);
		f->next = legacy(h)->freearr;
		legacy(h)->freearr = f;
		h->stats.legacy_inuse -= f->bytes;
	}
	*t = n;
}

/* Calls back for every finalizer in [base, base+size), in address order
 * when probing; removes them if del. Probing costs size lookups, walking
 * every table costs their capacity: take the cheaper. */
static size_t fin_range(heap_t *h, uintptr_t base, size_t size, bool del, bool queue)
{
	size_t n = 0, capacity = 0;
	uintptr_t fn;

	for (int t = 0; t < LEGACY_TABSZ; t++)
		capacity += (size_t)h->fintab[t].max;
	if (size <= capacity) {
		for (uintptr_t a = base; a < base + size; a++) {
			if (lookfintab(h, tab_of(h, a), a, del, &fn)) {
				n++;
				if (queue)
					mfinal_queue(h, (void *)a, fn);
				if (!del && !queue)
					return n;
			}
		}
	} else {
		for (int t = 0; t < LEGACY_TABSZ; t++) {
			fintab_t *ft = &h->fintab[t];
			for (int32_t i = 0; i < ft->max; i++) {
				uintptr_t k = ft->key[i];
				if (k == FIN_EMPTY || k == FIN_DEAD || k < base || k >= base + size)
					continue;
				n++;
				if (queue)
					mfinal_queue(h, (void *)k, ft->val[i]);
				if (del)
					lookfintab(h, ft, k, true, NULL);
				else if (!queue)
					return n;
			}
		}
	}
	if (del)
		legacy(h)->nfin -= n;
	return n;
}

/* ---- the profile's address hash (mprof.goc before the commit) ---- */

static addrhash_t *addrhash_find(heap_t *h, uintptr_t addr, bool create)
{
	mlegacy_t *L = legacy(h);
	uint32_t i = (uint32_t)((addr >> ADDR_HASH_SHIFT) * HASH_MULTIPLIER) >> (32 - ADDR_HASH_BITS);
	addrhash_t *ah;

	if (L->addrhash == NULL) {
		if (!create)
			return NULL;
		L->addrhash = legacy_mem(h, ((size_t)1 << ADDR_HASH_BITS) * sizeof *L->addrhash);
	}
	for (ah = L->addrhash[i]; ah != NULL; ah = ah->next)
		if (ah->addr == addr >> ADDR_HASH_SHIFT)
			return ah;
	if (!create)
		return NULL;
	ah = legacy_mem(h, sizeof *ah);
	ah->addr = addr >> ADDR_HASH_SHIFT;
	ah->next = L->addrhash[i];
	L->addrhash[i] = ah;
	ah->allnext = L->all;
	L->all = ah;
	return ah;
}

static addrentry_t **dense_list(addrhash_t *ah, uintptr_t addr)
{
	/* the top 8 of the low 20 bits */
	return &ah->dense[(addr >> (ADDR_HASH_SHIFT - ADDR_DENSE_BITS)) & ((1 << ADDR_DENSE_BITS) - 1)];
}

static uint32_t entry_key(uintptr_t addr) { return (uint32_t)~(addr & ((1u << ADDR_HASH_SHIFT) - 1)); }

static void setaddrbucket(heap_t *h, uintptr_t addr, bucket_t *b)
{
	mlegacy_t *L = legacy(h);
	addrhash_t *ah = addrhash_find(h, addr, true);
	addrentry_t *e = L->addrfree, **l;

	if (e == NULL) {
		e = legacy_mem(h, ADDR_ENTRY_CHUNK * sizeof *e);
		for (int i = 0; i + 1 < ADDR_ENTRY_CHUNK; i++)
			e[i].next = &e[i + 1];
		e[ADDR_ENTRY_CHUNK - 1].next = NULL;
	}
	L->addrfree = e->next;
	e->addr = entry_key(addr);
	e->b = b;
	l = dense_list(ah, addr);
	e->next = *l;
	*l = e;
}

/* Finds the bucket of addr; del: and forgets it. */
static bucket_t *getaddrbucket(heap_t *h, uintptr_t addr, bool del)
{
	addrhash_t *ah = addrhash_find(h, addr, false);
	addrentry_t *e, **l;

	if (ah == NULL)
		return NULL;
	for (l = dense_list(ah, addr); (e = *l) != NULL; l = &e->next) {
		if (e->addr == entry_key(addr)) {
			bucket_t *b = e->b;
			if (del) {
				*l = e->next;
				e->next = legacy(h)->addrfree;
				legacy(h)->addrfree = e;
			}
			return b;
		}
	}
	return NULL;
}

/* The special bit is exact: recompute it after a record went away. */
static void specialbit_update(heap_t *h, mspan_t *s, uintptr_t base)
{
	bool on = getaddrbucket(h, base, false) != NULL || fin_range(h, base, s->elemsize, false, false);
	specialbit_put(h, base, on);
}

/* ---- the entry points (mfinal.c, mprof.c, mspecial.c, mgcmark.c, mgcsweep.c) ---- */

bool mlegacy_addfinalizer(heap_t *h, uintptr_t p, uintptr_t fn)
{
	fintab_t *t = tab_of(h, p);
	uintptr_t base;

	object_of(h, p, &base);
	lock_acquire(&h->speciallock);
	if (lookfintab(h, t, p, false, NULL)) {
		lock_release(&h->speciallock);
		return false;
	}
	if (t->nkey >= t->max / 2 + t->max / 4)
		resizefintab(h, t);   /* keep the table at most 3/4 full */
	addfintab(h, t, p, fn);
	legacy(h)->nfin++;
	specialbit_put(h, base, true);
	lock_release(&h->speciallock);
	return true;
}

void mlegacy_removefinalizer(heap_t *h, uintptr_t p)
{
	uintptr_t base;
	mspan_t *s = object_of(h, p, &base);

	lock_acquire(&h->speciallock);
	if (lookfintab(h, tab_of(h, p), p, true, NULL)) {
		legacy(h)->nfin--;
		specialbit_update(h, s, base);
	}
	lock_release(&h->speciallock);
}

void mlegacy_setaddrbucket(heap_t *h, uintptr_t p, bucket_t *b)
{
	lock_acquire(&h->speciallock);
	if (getaddrbucket(h, p, false) != NULL)
		heap_throw(h, "setaddrbucket: profile already set at %#lx", (unsigned long)p);
	setaddrbucket(h, p, b);
	specialbit_put(h, p, true);
	lock_release(&h->speciallock);
}

/* Explicit free of the object at base: count its profile record's free.
 * Refused (false, nothing changed) if it has a finalizer: checked under the
 * same lock as the change, as mspecial_free_all does. */
bool mlegacy_free_all(heap_t *h, uintptr_t base, size_t size)
{
	bucket_t *b;

	lock_acquire(&h->speciallock);
	if (!specialbit_get(h, base)) {
		lock_release(&h->speciallock);
		return true;
	}
	if (fin_range(h, base, size, false, false)) {
		lock_release(&h->speciallock);
		return false;
	}
	b = getaddrbucket(h, base, true);
	specialbit_put(h, base, false);
	lock_release(&h->speciallock);
	if (b != NULL)
		mprof_free(h, b, size, false);
	return true;
}

void mlegacy_markroots(heap_t *h)
{
	for (int t = 0; t < LEGACY_TABSZ; t++) {
		fintab_t *ft = &h->fintab[t];
		for (int32_t i = 0; i < ft->max; i++) {
			uintptr_t k = ft->key[i];
			mspan_t *s;
			if (k == FIN_EMPTY || k == FIN_DEAD)
				continue;
			s = mheap_span_of_inuse(h, k);
			if (s == NULL)
				heap_throw(h, "mark: finalizer table key %#lx not in an in-use span", (unsigned long)k);
			mgcmark_scan_finalizer_object(h, s, k);
		}
	}
}

/* The sweeper's part (Go 1.19 sweepLocked's rules on the 2013 tables): an
 * unmarked object with the special bit either keeps living for its queued
 * finalizers (its profile entry stays) or dies with its profile entry. */
void mlegacy_sweep_span(heap_t *h, mspan_t *s)
{
	lock_acquire(&h->speciallock);
	for (uintptr_t w = 0; w * 64 < s->nelems; w++) {
		uint64_t dead = s->allocbits[w] & ~s->gcmarkbits[w];
		while (dead) {
			uintptr_t i = w * 64 + (uintptr_t)__builtin_ctzll(dead);
			uintptr_t base = s->startaddr + i * s->elemsize;
			dead &= dead - 1;
			if (!specialbit_get(h, base))
				continue;
			if (fin_range(h, base, s->elemsize, false, false)) {
				bit_set(s->gcmarkbits, i);
				fin_range(h, base, s->elemsize, true, true);
				specialbit_update(h, s, base);
			} else {
				bucket_t *b = getaddrbucket(h, base, true);
				specialbit_put(h, base, false);
				if (b != NULL)
					mprof_free(h, b, s->elemsize, true);
			}
		}
	}
	lock_release(&h->speciallock);
}

/* Walks every record (the heap checker): fn(h, addr, kind, ctx). */
void mlegacy_walk(heap_t *h, void (*fn)(heap_t *h, uintptr_t addr, int kind, void *ctx), void *ctx)
{
	mlegacy_t *L = h->addrhash;

	for (int t = 0; t < LEGACY_TABSZ; t++)
		for (int32_t i = 0; i < h->fintab[t].max; i++)
			if (h->fintab[t].key[i] > FIN_DEAD)
				fn(h, h->fintab[t].key[i], KIND_SPECIAL_FINALIZER, ctx);
	if (L == NULL)
		return;
	for (addrhash_t *ah = L->all; ah != NULL; ah = ah->allnext)
		for (int d = 0; d < (1 << ADDR_DENSE_BITS); d++)
			for (addrentry_t *e = ah->dense[d]; e != NULL; e = e->next)
				fn(h, (ah->addr << ADDR_HASH_SHIFT) | (~e->addr & ((1u << ADDR_HASH_SHIFT) - 1)),
				   KIND_SPECIAL_PROFILE, ctx);
}

/* heap_reset: mheap_reset zeroes the special bits of every page it hands
 * out again; the tables' memory went with persistent_reset. Forget them. */
void mlegacy_reset(heap_t *h)
{
	memset(h->fintab, 0, sizeof h->fintab);
	h->addrhash = NULL;
	h->stats.legacy_inuse = h->cfg.specials == HEAP_SPECIALS_LEGACY ? sizeof h->fintab : 0;
}

/* ---- validation (mimalloc's x_is_valid; for heap_check and the tests) ---- */

typedef struct legacy_check {
	char *why;
	size_t len;
	bool ok;
	bucket_t **bk;          /* buckets sorted by address */
	uint64_t *live;         /* profile entries per bucket */
	size_t nbk;
} legacy_check_t;

static bool lc_fail(legacy_check_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool lc_fail(legacy_check_t *c, const char *fmt, ...)
{
	va_list ap;
	if (c->ok) {
		va_start(ap, fmt);
		vsnprintf(c->why, c->len, fmt, ap);
		va_end(ap);
	}
	c->ok = false;
	return false;
}

static bool allocated_object(heap_t *h, uintptr_t p, uintptr_t *base)
{
	mspan_t *s = mheap_span_of_inuse(h, p);
	if (s == NULL || p >= s->limit)
		return false;
	uintptr_t idx = s->large ? 0 : mspan_objindex(s, p);
	*base = s->startaddr + idx * s->elemsize;
	return idx < s->nelems && bit_get(s->allocbits, idx);
}

static int bk_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(bucket_t *const *)a, y = (uintptr_t)*(bucket_t *const *)b;
	return x < y ? -1 : x > y;
}

static void check_record(heap_t *h, uintptr_t addr, int kind, void *ctx)
{
	legacy_check_t *c = ctx;
	uintptr_t base;

	if (!allocated_object(h, addr, &base)) {
		lc_fail(c, "legacy record (kind %d) at %#lx not in an allocated object", kind, (unsigned long)addr);
		return;
	}
	if (!specialbit_get(h, base))
		lc_fail(c, "object %#lx has a legacy record at %#lx but no special bit", (unsigned long)base, (unsigned long)addr);
	if (kind == KIND_SPECIAL_PROFILE) {
		bucket_t *b = getaddrbucket(h, addr, false), **k;
		if (addr != base)
			lc_fail(c, "profile entry %#lx not at its object start %#lx", (unsigned long)addr, (unsigned long)base);
		k = b ? bsearch(&b, c->bk, c->nbk, sizeof *c->bk, bk_cmp) : NULL;
		if (k == NULL)
			lc_fail(c, "profile entry %#lx names an unknown bucket %p", (unsigned long)addr, (void *)b);
		else
			c->live[k - c->bk]++;
	}
}

static bool span_bit_named(heap_t *h, const mspan_t *s, uintptr_t i, uintptr_t base, void *ctx)
{
	legacy_check_t *c = ctx;
	if (!bit_get(s->allocbits, i))
		lc_fail(c, "special bit set on free slot %#lx (span %#lx)", (unsigned long)base, (unsigned long)s->startaddr);
	else if (getaddrbucket(h, base, false) == NULL && !fin_range(h, base, s->elemsize, false, false))
		lc_fail(c, "special bit set on %#lx, which has no record (span %#lx)", (unsigned long)base, (unsigned long)s->startaddr);
	return true;
}

/* Every object whose special bit is set, a bitmap word at a time
 * (mlegacy_each_specialbit, mcheck.c). It used to test every slot, and
 * session 4 kept that loop for its coverage counters, which led fuzz_twin
 * to legacy_lookup_stops_at_dead; the table validator at each delete now
 * names that plant, and word at a time it is found no slower (seeds 1-6:
 * 93-1326 executions, median ~890, against 93-2166, median ~1000). */
static void check_span_bits(heap_t *h, mspan_t *s, void *ctx)
{
	mlegacy_each_specialbit(h, s, span_bit_named, ctx);
}

/* Finalizer table t: every key is in its table and found by a lookup from
 * its hash (open addressing: no empty slot on its probe path), has a
 * function, and nkey/ndead count its slots. Returns the number of keys. */
static uint64_t fintab_valid(heap_t *h, int t, legacy_check_t *c)
{
	fintab_t *ft = &h->fintab[t];
	int32_t nkey = 0, ndead = 0;
	uint64_t nfin = 0;
	for (int32_t i = 0; i < ft->max; i++) {
		uintptr_t k = ft->key[i];
		nkey += k != FIN_EMPTY;
		ndead += k == FIN_DEAD;
		if (k <= FIN_DEAD)
			continue;
		nfin++;
		if (tab_of(h, k) != ft || !lookfintab(h, ft, k, false, NULL))
			lc_fail(c, "finalizer key %#lx unreachable in table %d", (unsigned long)k, t);
		if (ft->val[i] == 0)
			lc_fail(c, "finalizer key %#lx has fn 0 (table %d)", (unsigned long)k, t);
	}
	if (nkey != ft->nkey || ndead != ft->ndead || (ft->max && ft->nkey > ft->max / 2 + ft->max / 4))
		lc_fail(c, "finalizer table %d: nkey %d ndead %d max %d, counted %d %d", t,
		        ft->nkey, ft->ndead, ft->max, nkey, ndead);
	return nfin;
}

/* AF_EXPENSIVE: a table just changed by a delete (the only change that can
 * put a dead slot on a key's probe path) is still valid, so that a lookup
 * bug is named at the op that made it matter, not by whichever record check
 * a later check point reaches first. */
static void fintab_assert_valid(heap_t *h, fintab_t *ft, const char *where)
{
	char why[200];
	legacy_check_t c = { why, sizeof why, true, NULL, NULL, 0 };
	int t = (int)(ft - h->fintab);
	fintab_valid(h, t, &c);
	if (!c.ok)
		heap_throw(h, "%s: finalizer table %d handed over invalid: legacy_tables: %s", where, t, why);
}

bucket_t *mlegacy_profile_bucket(heap_t *h, uintptr_t addr)
{
	return getaddrbucket(h, addr, false);
}

static bool tables_valid(heap_t *h, legacy_check_t *c)
{
	uint64_t nfin = 0;
	for (int t = 0; t < LEGACY_TABSZ; t++)
		nfin += fintab_valid(h, t, c);
	if (h->addrhash != NULL && nfin != legacy(h)->nfin)
		lc_fail(c, "%llu finalizer keys, %llu counted", (unsigned long long)nfin, (unsigned long long)legacy(h)->nfin);
	return c->ok;
}

bool mlegacy_tables_valid(heap_t *h, char *why, size_t len)
{
	legacy_check_t c = { why, len, true, NULL, NULL, 0 };
	return tables_valid(h, &c);
}

/* The legacy tables' invariants: table counts and load, every key findable
 * in its own table, records only on allocated objects that carry the special
 * bit and bits only on objects with records, profile entries per bucket ==
 * allocs - frees (recent included). The caller stops the world. The heap
 * checker runs only the tables part (mlegacy_tables_valid) and checks the
 * rest with its own walks; this whole one is the tests'. */
bool mlegacy_is_valid(heap_t *h, char *why, size_t len)
{
	legacy_check_t c = { why, len, true, NULL, NULL, 0 };

	tables_valid(h, &c);
	for (bucket_t *b = h->buckets; b != NULL; b = b->allnext)
		c.nbk++;
	c.bk = calloc(c.nbk + 1, sizeof *c.bk);
	c.live = calloc(c.nbk + 1, sizeof *c.live);
	if (c.bk == NULL || c.live == NULL) {
		free(c.bk);
		free(c.live);
		return lc_fail(&c, "checker out of memory (%lu buckets)", (unsigned long)c.nbk);
	}
	c.nbk = 0;
	for (bucket_t *b = h->buckets; b != NULL; b = b->allnext)
		c.bk[c.nbk++] = b;
	qsort(c.bk, c.nbk, sizeof *c.bk, bk_cmp);
	mlegacy_walk(h, check_record, &c);
	mgc_for_each_inuse_span(h, check_span_bits, &c);
	for (size_t i = 0; i < c.nbk; i++) {
		bucket_t *b = c.bk[i];
		profcounts_t all = bucket_total(b);
		uint64_t live = all.allocs - all.frees;
		if (live != c.live[i])
			lc_fail(&c, "stack %u: allocs - frees %llu, %llu profile entries", b->stack,
			        (unsigned long long)live, (unsigned long long)c.live[i]);
	}
	free(c.bk);
	free(c.live);
	return c.ok;
}
