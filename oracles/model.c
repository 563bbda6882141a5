/*
 * The reference model (see model.h): the allocator's observable semantics
 * restated as plainly as possible, so that a difference from the real heap
 * is a bug in the heap (or in a rule written here, which is then easy to
 * read and argue about). Quadratic walks everywhere: inputs are small.
 *
 * Each rule carries a one-line comment naming the Go 1.19 behaviour (or the
 * team's DECISIONS entry) it mirrors.
 */
#include "oracles/model.h"
#include "oracles/ref_sizeclasses.h"
#include "oracles/sampling.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCLASSES 67            /* the reference table: classes 1..66, 0 = large */
#define PAGE_BYTES 8192        /* Go's _PageSize */
#define TINY_BYTES 16          /* Go's maxTinySize */
#define TINY_CLASS 2           /* tiny blocks come from size class 2 (16 B), noscan */
#define MAX_SMALL 32768        /* Go's maxSmallSize */
#define DEFAULT_CAP ((size_t)256 << 20)
/* The gray zone's slack: the heap commits in steps of at least 512 KiB
 * (SEMANTICS.md, Capacity), so it may commit that much more than its spans
 * need. The model's own constant, from SEMANTICS, not the allocator's. */
#define GROW_SLACK ((uint64_t)64 * PAGE_BYTES)

typedef struct spec {          /* a finalizer special */
	int32_t block;             /* owner of the block holding the address */
	uint32_t boff;             /* address = addr(block) + boff (the special's offset) */
	int32_t id;                /* as named at setfin */
	uint32_t off;
	uintptr_t fn;
} spec_t;

typedef struct tinyc {         /* one P's mcache.tiny / mcache.tinyoffset */
	int32_t block;             /* MODEL_NIL: c->tiny == 0 */
	uint32_t off;
} tinyc_t;

struct model {
	/* configuration */
	int nprocs;
	int64_t profrate0;
	uint64_t cap;
	/* the reference table */
	uint32_t class_size[NCLASSES], class_span[NCLASSES], class_objs[NCLASSES];
	/* state */
	model_obj_t *objs;
	size_t nobjs, capobjs;
	uint64_t nblocks;          /* blocks allocated since reset (staleness clock) */
	uint64_t upper;            /* span bytes of every block ever allocated */
	/* live blocks by span class (small) and their bytes (large), kept as
	 * blocks start and end, so lower_bound does not walk every object */
	uint64_t live_count[NCLASSES * 2], live_large;
	int32_t *liveb;            /* the live block owners, unordered: a GC sweeps these,
	                            * not every object ever allocated */
	size_t nliveb, capliveb;
	model_ref_t roots[HEAP_NROOTS];
	tinyc_t tiny[HEAP_MAX_PROCS];
	spec_t *specs;
	size_t nspecs, capspecs;
	model_fin_t *finq;
	size_t nfinq, capfinq;
	int64_t profrate;
	heap_stats_t st;
	/* profile: published and recent bounds per stack, sorted by stack */
	model_bucket_t *pub, *rec;
	size_t nbuck, capbuck;
	/* sampling at rate > 1 (sampling.h): each P's countdown, the chances of
	 * the sampled-or-not records not yet published, the published test */
	samp_p_t samp_p[HEAP_MAX_PROCS];
	double samp_rec_lo, samp_rec_hi;
	uint64_t samp_rec_n;
	samp_test_t samp;
	/* the last gc's result */
	model_fin_t *gcfin;
	size_t ngcfin, capgcfin;
	int32_t *gcfreed;
	size_t ngcfreed, capgcfreed;
	uint8_t *marks;            /* per object id, indexed by block owner */
	int32_t *work;
	size_t capmarks, capwork;
	/* objects' pointer slots, carved from chunks that never move and are
	 * kept by model_reset (no malloc per object: under libFuzzer an input
	 * that mallocs more than it frees is run twice, to look for leaks) */
	struct slotchunk *chunks, *chunk;
	size_t nwork;
};

/* ---- small helpers ---- */

typedef struct slotchunk {
	struct slotchunk *next;
	size_t cap, used;
	model_ref_t s[];
} slotchunk_t;

/* n pointer slots, valid until model_reset: the current chunk's next ones,
 * else the next kept chunk's first ones, else a new chunk's. */
static model_ref_t *slots_alloc(model_t *m, size_t n)
{
	slotchunk_t *c = m->chunk;
	while (c && c->cap - c->used < n) {
		c = c->next;
		if (c)
			c->used = 0;
	}
	if (!c) {
		size_t cap = n > 4096 ? n : 4096;
		c = malloc(sizeof *c + cap * sizeof c->s[0]);
		if (!c)
			abort();
		*c = (slotchunk_t){ NULL, cap, 0 };
		slotchunk_t **end = &m->chunks;
		while (*end)
			end = &(*end)->next;
		*end = c;
	}
	m->chunk = c;
	c->used += n;
	return c->s + c->used - n;
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap * 2 : 16;
	while (n < need)
		n *= 2;
	void *q = realloc(p, n * elem);
	if (!q) {
		fprintf(stderr, "model: out of memory\n");
		abort();
	}
	*cap = n;
	return q;
}

static uint64_t lowbit(uint64_t x) { return x & (~x + 1); }

static model_obj_t *obj(const model_t *m, int32_t id)
{
	if (id < 0 || (size_t)id >= m->nobjs)
		return NULL;
	return &m->objs[id];
}

/* ---- the size table ---- */

/* The table comes through oracles/ref_sizeclasses.h (a plain TSV reader
 * that knows where the file lives: refdir, $AF_REFERENCE_DIR or the
 * compiled-in directory, the repo's reference/); never from alloc/. */
static bool load_table(model_t *m, const char *refdir)
{
	ref_sizeclasses_t r;
	int rc = ref_sizeclasses_load(&r, refdir);
	if (rc != 0 || r.n != NCLASSES)
		return false;
	for (int c = 1; c < NCLASSES; c++) {
		/* The model relies on these facts of the table; refuse another. */
		if (r.size[c] <= r.size[c - 1] || r.span[c] % PAGE_BYTES != 0 ||
		    r.objects[c] != r.span[c] / r.size[c])
			return false;
		m->class_size[c] = (uint32_t)r.size[c];
		m->class_span[c] = (uint32_t)r.span[c];
		m->class_objs[c] = (uint32_t)r.objects[c];
	}
	return m->class_size[NCLASSES - 1] == MAX_SMALL && m->class_size[TINY_CLASS] == TINY_BYTES;
}

int model_size_class(const model_t *m, size_t size)
{
	/* Go's size_to_class8/128 give the smallest class that holds size. */
	for (int c = 1; c < NCLASSES; c++)
		if (m->class_size[c] >= size)
			return c;
	return 0;
}

size_t model_roundup(const model_t *m, size_t size)
{
	if (size <= MAX_SMALL)
		return m->class_size[model_size_class(m, size)];
	/* Go: large objects get npages = ceil(size / pageSize) whole pages. */
	return (size / PAGE_BYTES + (size % PAGE_BYTES != 0)) * PAGE_BYTES;
}

/* ---- lifecycle ---- */

alloc_err_t model_new(const heap_config_t *cfg, const char *refdir, model_t **out)
{
	*out = NULL;
	int nprocs = cfg->nprocs ? cfg->nprocs : 1;
	if (nprocs < 1 || nprocs > HEAP_MAX_PROCS || cfg->profrate < 0)
		return ALLOC_ERR_BADCONFIG;
	model_t *m = calloc(1, sizeof *m);
	if (!m)
		return ALLOC_ERR_NOMEM;
	m->nprocs = nprocs;
	m->profrate0 = cfg->profrate;
	m->cap = cfg->cap_bytes ? cfg->cap_bytes : DEFAULT_CAP;
	if (!load_table(m, refdir)) {
		free(m);
		return ALLOC_ERR_BADCONFIG;
	}
	model_reset(m);
	*out = m;
	return ALLOC_OK;
}

void model_reset(model_t *m)
{
	m->chunk = m->chunks;
	if (m->chunk)
		m->chunk->used = 0;
	m->nobjs = 0;
	m->nblocks = 0;
	m->upper = 0;
	memset(m->live_count, 0, sizeof m->live_count);
	m->live_large = 0;
	m->nliveb = 0;
	for (int i = 0; i < HEAP_NROOTS; i++)
		m->roots[i] = (model_ref_t){MODEL_NIL, 0};
	for (int p = 0; p < HEAP_MAX_PROCS; p++)
		m->tiny[p] = (tinyc_t){MODEL_NIL, 0};
	m->nspecs = 0;
	m->nfinq = 0;
	m->profrate = m->profrate0;
	for (int p = 0; p < HEAP_MAX_PROCS; p++)
		m->samp_p[p] = samp_p_new(m->profrate0);   /* mcache_new's countdown */
	m->samp_rec_lo = m->samp_rec_hi = 0;
	m->samp_rec_n = 0;
	m->samp = (samp_test_t){0};
	memset(&m->st, 0, sizeof m->st);
	m->nbuck = 0;
	m->ngcfin = 0;
	m->ngcfreed = 0;
}

void model_destroy(model_t *m)
{
	if (!m)
		return;
	model_reset(m);
	free(m->objs);
	free(m->specs);
	free(m->finq);
	free(m->pub);
	free(m->rec);
	free(m->gcfin);
	free(m->gcfreed);
	free(m->liveb);
	free(m->marks);
	free(m->work);
	while (m->chunks) {
		slotchunk_t *c = m->chunks;
		m->chunks = c->next;
		free(c);
	}
	free(m);
}

/* ---- profile bounds ---- */

static size_t bucket_index(model_t *m, uint32_t stack)
{
	size_t i = 0;
	while (i < m->nbuck && m->pub[i].stack < stack)
		i++;
	if (i < m->nbuck && m->pub[i].stack == stack)
		return i;
	size_t cap = m->capbuck;
	m->pub = grow(m->pub, &cap, m->nbuck + 1, sizeof *m->pub);
	m->rec = grow(m->rec, &m->capbuck, m->nbuck + 1, sizeof *m->rec);
	memmove(&m->pub[i + 1], &m->pub[i], (m->nbuck - i) * sizeof *m->pub);
	memmove(&m->rec[i + 1], &m->rec[i], (m->nbuck - i) * sizeof *m->rec);
	memset(&m->pub[i], 0, sizeof *m->pub);
	memset(&m->rec[i], 0, sizeof *m->rec);
	m->pub[i].stack = m->rec[i].stack = stack;
	m->nbuck++;
	return i;
}

/* Go's mProf_Malloc / mProf_Free into the bucket's recent counts: certain
 * records move lo and hi, possible ones only hi. */
static void prof_note(model_t *m, const model_obj_t *o, bool is_free)
{
	if (o->prof == MODEL_PROF_NO)
		return;
	size_t i = bucket_index(m, o->stack);
	model_bucket_t *b = &m->rec[i];
	uint64_t sure = o->prof == MODEL_PROF_YES;
	if (!sure) {
		model_bucket_t *pb = &m->pub[i];
		if (pb->maybe_max == 0 || o->elemsize < pb->maybe_min)
			pb->maybe_min = o->elemsize;
		if (o->elemsize > pb->maybe_max)
			pb->maybe_max = o->elemsize;
	}
	if (is_free) {
		b->frees_lo += sure, b->frees_hi++;
		b->free_bytes_lo += sure * o->elemsize, b->free_bytes_hi += o->elemsize;
	} else {
		b->allocs_lo += sure, b->allocs_hi++;
		b->alloc_bytes_lo += sure * o->elemsize, b->alloc_bytes_hi += o->elemsize;
		if (sure)
			m->pub[i].must_exist = m->rec[i].must_exist = true;
	}
}

/* Go 1.19 mProf_PostSweep: once a GC's sweep is done the profile holds
 * everything recorded before that GC and the frees its sweep found. */
static void prof_publish(model_t *m)
{
	m->samp.mu_lo += m->samp_rec_lo, m->samp.mu_hi += m->samp_rec_hi;
	m->samp.n += m->samp_rec_n;
	m->samp_rec_lo = m->samp_rec_hi = 0;
	m->samp_rec_n = 0;
	for (size_t i = 0; i < m->nbuck; i++) {
		model_bucket_t *p = &m->pub[i], *r = &m->rec[i];
		p->allocs_lo += r->allocs_lo, p->allocs_hi += r->allocs_hi;
		p->frees_lo += r->frees_lo, p->frees_hi += r->frees_hi;
		p->alloc_bytes_lo += r->alloc_bytes_lo, p->alloc_bytes_hi += r->alloc_bytes_hi;
		p->free_bytes_lo += r->free_bytes_lo, p->free_bytes_hi += r->free_bytes_hi;
		bool must = r->must_exist;
		memset(r, 0, sizeof *r);
		r->stack = p->stack;
		r->must_exist = must;
	}
}

/* ---- block accounting (memstats as documented in alloc.h) ---- */

static void stats_block(model_t *m, const model_obj_t *o, bool is_free)
{
	heap_stats_t *st = &m->st;
	int c = o->sizeclass;
	if (!is_free) {
		st->heap_objects++;
		st->total_alloc += o->elemsize;
		st->heap_alloc += o->elemsize;
		st->by_class_nmalloc[c]++;
		if (c == 0)
			st->large_alloc += o->elemsize, st->large_nmalloc++;
	} else {
		st->nfree++;
		st->heap_objects--;
		st->heap_alloc -= o->elemsize;
		st->by_class_nfree[c]++;
		if (c == 0)
			st->large_free += o->elemsize, st->large_nfree++;
	}
}

static int spanclass_of(const model_obj_t *o);

/* A block starts or ends: the live-block list and the counts lower_bound reads. */
static void live_block(model_t *m, model_obj_t *o, int delta)
{
	if (delta > 0) {
		m->liveb = grow(m->liveb, &m->capliveb, m->nliveb + 1, sizeof *m->liveb);
		o->livepos = (int32_t)m->nliveb;
		m->liveb[m->nliveb++] = (int32_t)(o - m->objs);
	} else {
		int32_t moved = m->liveb[--m->nliveb];
		m->liveb[o->livepos] = moved;
		m->objs[moved].livepos = o->livepos;
	}
	if (o->sizeclass == 0)
		m->live_large += delta > 0 ? o->elemsize : -o->elemsize;
	else
		m->live_count[spanclass_of(o)] += (uint64_t)(int64_t)delta;
}

/* A block ends (explicit free or sweep): stats, profile free, state. */
static void block_end(model_t *m, int32_t b, model_state_t how)
{
	stats_block(m, &m->objs[b], true);
	/* Go: a profiled block's special calls mProf_Free(bucket, elemsize). */
	prof_note(m, &m->objs[b], true);
	if (m->objs[b].state == MODEL_LIVE)
		live_block(m, &m->objs[b], -1);
	/* Only a tiny block holds more than its owner, all with larger ids, up
	 * to its last. */
	size_t end = (size_t)m->objs[b].last + 1;
	for (size_t i = (size_t)b; i < end; i++)
		if (m->objs[i].block == b && m->objs[i].state == MODEL_LIVE) {
			m->objs[i].state = how;
			m->objs[i].ended_at = m->nblocks;
			if (how == MODEL_DEAD) {
				m->gcfreed = grow(m->gcfreed, &m->capgcfreed, m->ngcfreed + 1,
				                  sizeof *m->gcfreed);
				m->gcfreed[m->ngcfreed++] = (int32_t)i;
			}
		}
}

static bool is_block_owner(const model_obj_t *o, int32_t id)
{
	return o->state == MODEL_LIVE && o->block == id;
}

static int spanclass_of(const model_obj_t *o)
{
	return o->sizeclass * 2 + (o->ptrwords == 0);
}

/* The least bytes of spans any packing of the live blocks (plus one new
 * block of span class sc, or large bytes) needs: ceil(n / objs per span)
 * spans per span class, whole pages per large object. */
static uint64_t lower_bound(const model_t *m, int sc, uint64_t large)
{
	uint64_t bytes = large + m->live_large;
	for (int s = 2; s < NCLASSES * 2; s++) {
		int c = s / 2;
		uint64_t n = m->live_count[s] + (s == sc);
		bytes += (n + m->class_objs[c] - 1) / m->class_objs[c] * m->class_span[c];
	}
	return bytes;
}

/* ---- allocation ---- */

/* A tiny request (noscan, size < 16): true if it fits P's current block,
 * else o describes a new block. */
static bool predict_tiny(const model_t *m, int p, size_t size, model_alloc_t *o)
{
	/* Go 1.19 mallocgc tiny path: align the offset by the size's low bits.
	 * alloc/malloc.c states the same rule: written twice on purpose, each
	 * from SEMANTICS.md and Go, so a misreading in one shows as a
	 * difference (never copy one from the other). */
	size_t a = size % 8 == 0 ? 8 : size % 4 == 0 ? 4 : size % 2 == 0 ? 2 : 1;
	const tinyc_t *t = &m->tiny[p];
	size_t off = (t->off + a - 1) / a * a;
	o->tiny = true;
	o->elemsize = TINY_BYTES;
	if (t->block != MODEL_NIL && off + size <= TINY_BYTES) {
		/* Fits the current block: no new memory, never profiled. */
		o->tiny_fit = true;
		o->tiny_block = t->block;
		o->tiny_off = (uint32_t)off;
		o->align = off ? lowbit(off) : TINY_BYTES;
		return true;
	}
	/* A new 16-byte block from span class (2, noscan); object at offset 0. */
	o->tiny_block = o->id;
	o->tiny_off = 0;
	o->align = TINY_BYTES;
	return false;
}

void model_alloc_predict(const model_t *m, int p, size_t size, size_t ptrwords,
                         model_alloc_t *o)
{
	memset(o, 0, sizeof *o);
	o->id = MODEL_NIL;
	o->tiny_block = MODEL_NIL;
	/* DECISIONS: a bad P or ptrwords*8 > size is BADARG. */
	if (p < 0 || p >= m->nprocs || ptrwords > size / 8) {
		o->err = ALLOC_ERR_BADARG;
		return;
	}
	o->id = (int32_t)m->nobjs;
	o->prof = MODEL_PROF_NO;
	if (size == 0) {
		/* Go: mallocgc(0) returns &zerobase; nothing is allocated. */
		o->zerobase = true;
		o->align = 1;
		return;
	}
	bool noscan = ptrwords == 0;
	int sc;
	uint64_t large = 0, span_bytes;
	if (noscan && size < TINY_BYTES) {
		if (predict_tiny(m, p, size, o))
			return;
		sc = TINY_CLASS * 2 + 1;
		span_bytes = m->class_span[TINY_CLASS];
	} else if (size <= MAX_SMALL) {
		int c = model_size_class(m, size);
		o->elemsize = m->class_size[c];
		/* Objects sit at span base (page aligned) + i * elemsize. */
		o->align = lowbit(o->elemsize) < PAGE_BYTES ? lowbit(o->elemsize) : PAGE_BYTES;
		sc = c * 2 + noscan;
		span_bytes = m->class_span[c];
	} else {
		if (size > m->cap) {   /* also keeps the page rounding from overflowing */
			o->err = ALLOC_ERR_NOMEM;
			return;
		}
		o->elemsize = model_roundup(m, size);
		o->align = PAGE_BYTES;
		sc = -1;
		large = span_bytes = o->elemsize;
	}
	/* Go 1.19: rate 1 profiles every block; rate > 1 samples by nextSample. */
	o->prof = m->profrate == 0 ? MODEL_PROF_NO : m->profrate == 1 ? MODEL_PROF_YES
	                                                               : MODEL_PROF_MAYBE;
	/* Capacity: NOMEM for sure when even a perfect packing exceeds the cap;
	 * OK for sure while every block ever allocated, each in a span of its own,
	 * plus one grow step fit; in between, either. */
	if (lower_bound(m, sc, large) > m->cap)
		o->err = ALLOC_ERR_NOMEM;
	else if (m->upper + span_bytes + GROW_SLACK > m->cap)
		o->may_nomem = true;
}

/* A new object record for an allocation predicted as a; its slots nil. */
static int32_t new_obj(model_t *m, int p, size_t size, size_t ptrwords,
                       uint32_t stack, const model_alloc_t *a)
{
	m->objs = grow(m->objs, &m->capobjs, m->nobjs + 1, sizeof *m->objs);
	int32_t id = (int32_t)m->nobjs++;
	model_obj_t *o = &m->objs[id];
	memset(o, 0, sizeof *o);
	o->size = size;
	o->elemsize = a->elemsize;
	o->ptrwords = ptrwords;
	o->p = p;
	o->stack = stack;
	o->tiny = a->tiny;
	o->prof = a->prof;
	o->block = id;
	o->last = id;
	if (ptrwords) {
		o->slots = slots_alloc(m, ptrwords);
		for (size_t i = 0; i < ptrwords; i++)
			o->slots[i] = (model_ref_t){MODEL_NIL, 0};
	}
	return id;
}

int32_t model_alloc(model_t *m, int p, size_t size, size_t ptrwords,
                    uint32_t stack, model_alloc_t *out)
{
	model_alloc_t tmp;
	model_alloc_t *a = out ? out : &tmp;
	model_alloc_predict(m, p, size, ptrwords, a);
	if (a->err != ALLOC_OK)
		return MODEL_NIL;
	int32_t id = new_obj(m, p, size, ptrwords, stack, a);
	model_obj_t *o = &m->objs[id];
	if (a->zerobase) {
		o->state = MODEL_ZERO;
		o->sizeclass = -1;
		return id;
	}
	o->state = MODEL_LIVE;
	m->st.nmalloc++;
	o->sizeclass = a->tiny ? TINY_CLASS : size <= MAX_SMALL ? model_size_class(m, size) : 0;
	tinyc_t *t = &m->tiny[p];
	if (a->tiny_fit) {
		o->block = a->tiny_block;
		o->boff = a->tiny_off;
		m->objs[o->block].last = id;
		t->off = a->tiny_off + (uint32_t)size;
		m->st.tiny_allocs++;
		return id;
	}
	if (a->tiny) {
		/* Go: keep the new block if it has more room left than the old one. */
		if (size < t->off || t->block == MODEL_NIL) {
			t->block = id;
			t->off = (uint32_t)size;
		}
	}
	m->nblocks++;
	m->upper += o->sizeclass ? m->class_span[o->sizeclass] : o->elemsize;
	live_block(m, o, +1);
	stats_block(m, o, false);
	prof_note(m, o, false);
	double lo, hi;
	samp_alloc(&m->samp, &m->samp_p[p], m->profrate, o->elemsize, &lo, &hi);
	if (o->prof == MODEL_PROF_MAYBE) {
		m->samp_rec_lo += lo, m->samp_rec_hi += hi;
		m->samp_rec_n++;
	}
	return id;
}

/* ---- free and setfinalizer ---- */

static spec_t *spec_at(const model_t *m, int32_t block, uint32_t boff)
{
	for (size_t i = 0; i < m->nspecs; i++)
		if (m->specs[i].block == block && m->specs[i].boff == boff)
			return &m->specs[i];
	return NULL;
}

static bool block_has_spec(const model_t *m, int32_t block)
{
	for (size_t i = 0; i < m->nspecs; i++)
		if (m->specs[i].block == block)
			return true;
	return false;
}

/* Where addr(id) + off lands: fills the block and its offset, and returns
 * an error prediction for the cases both ops share (nil, zero base, an
 * object that ended, an address past the block); *done tells whether the
 * prediction is final. interior_first: free checks INTERIOR before
 * NOT_ALLOCATED, setfinalizer after (DECISIONS). */
static model_err_t locate(const model_t *m, int32_t id, uint32_t off, bool interior_first,
                          int32_t *block, uint32_t *boff, bool *done)
{
	model_err_t e = {ALLOC_OK, ALLOC_OK, false};
	const model_obj_t *o = obj(m, id);
	*done = true;
	if (!o || o->state == MODEL_ZERO) {
		/* The zero base (and any unknown address) is outside every span. */
		e.err = e.alt = ALLOC_ERR_NOT_IN_HEAP;
		e.stale = !o || off != 0;
		return e;
	}
	*block = o->block;
	*boff = o->boff + off;
	if ((uint64_t)o->boff + off >= m->objs[o->block].elemsize) {
		e.err = e.alt = ALLOC_ERR_INTERIOR;
		e.stale = true;   /* another object's address: not modelled */
		return e;
	}
	if (o->state != MODEL_LIVE) {
		/* The span may have gone back to the page heap (NOT_IN_HEAP); if it
		 * is still in use the checks go on in each op's order. */
		e.err = *boff && interior_first ? ALLOC_ERR_INTERIOR : ALLOC_ERR_NOT_ALLOCATED;
		e.alt = ALLOC_ERR_NOT_IN_HEAP;
		e.stale = o->ended_at < m->nblocks;
		return e;
	}
	*done = false;
	return e;
}

model_err_t model_free(model_t *m, int32_t id, uint32_t off)
{
	if (id == MODEL_NIL) {
		/* DECISIONS: heap_free(NULL) is a no-op. */
		model_err_t e = {off ? ALLOC_ERR_NOT_IN_HEAP : ALLOC_OK,
		                 off ? ALLOC_ERR_NOT_IN_HEAP : ALLOC_OK, off != 0};
		return e;
	}
	int32_t b;
	uint32_t boff;
	bool done;
	model_err_t e = locate(m, id, off, true, &b, &boff, &done);
	if (done)
		return e;
	/* DECISIONS order: INTERIOR, (NOT_ALLOCATED), TINY, HAS_FINALIZER. */
	if (boff != 0)
		e.err = ALLOC_ERR_INTERIOR;
	else if (m->objs[b].tiny)
		e.err = ALLOC_ERR_TINY;
	else if (block_has_spec(m, b) || model_is_pending(m, b))
		/* SEMANTICS: a finalizer set, or queued and not yet run. */
		e.err = ALLOC_ERR_HAS_FINALIZER;
	e.alt = e.err;
	if (e.err != ALLOC_OK)
		return e;
	block_end(m, b, MODEL_FREED);
	return e;
}

model_err_t model_setfin(model_t *m, int32_t id, uint32_t off,
                         size_t elem_size, size_t elem_ptrwords, uintptr_t fn)
{
	const model_obj_t *o = obj(m, id);
	if (o && o->state == MODEL_ZERO && off == 0) {
		/* Go: SetFinalizer(&zerobase) is accepted and ignored. */
		model_err_t e = {ALLOC_OK, ALLOC_OK, false};
		return e;
	}
	int32_t b;
	uint32_t boff;
	bool done;
	model_err_t e = locate(m, id, off, false, &b, &boff, &done);
	if (done)
		return e;
	/* Go: an interior pointer is allowed only for a noscan element < 16
	 * bytes (it may live inside a tiny block). */
	if (boff != 0 && !(elem_ptrwords == 0 && elem_size < TINY_BYTES)) {
		e.err = e.alt = ALLOC_ERR_INTERIOR;
		return e;
	}
	spec_t *s = spec_at(m, b, boff);
	if (fn == 0) {
		/* Go: a nil finalizer removes the one at that address, if any. */
		if (s)
			*s = m->specs[--m->nspecs];
		return e;
	}
	/* Go's addspecial refuses a second finalizer at the same offset. */
	if (s) {
		e.err = e.alt = ALLOC_ERR_FIN_EXISTS;
		return e;
	}
	m->specs = grow(m->specs, &m->capspecs, m->nspecs + 1, sizeof *m->specs);
	m->specs[m->nspecs++] = (spec_t){b, boff, id, off, fn};
	return e;
}

/* ---- pointers ---- */

static bool ref_ok(const model_t *m, model_ref_t r)
{
	if (r.id == MODEL_NIL)
		return true;
	const model_obj_t *o = obj(m, r.id);
	if (!o)
		return false;
	if (o->state == MODEL_ZERO)
		return r.off == 0;
	return o->state == MODEL_LIVE && (uint64_t)o->boff + r.off < m->objs[o->block].elemsize;
}

bool model_root(model_t *m, int slot, model_ref_t target)
{
	if (slot < 0 || slot >= HEAP_NROOTS || !ref_ok(m, target))
		return false;
	m->roots[slot] = target;
	return true;
}

bool model_store(model_t *m, int32_t id, size_t slot, model_ref_t target)
{
	model_obj_t *o = obj(m, id);
	if (!o || o->state != MODEL_LIVE || slot >= o->ptrwords || !ref_ok(m, target))
		return false;
	o->nset += (target.id != MODEL_NIL) - (o->slots[slot].id != MODEL_NIL);
	o->slots[slot] = target;
	return true;
}

void model_set_profrate(model_t *m, int64_t rate)
{
	m->profrate = rate < 0 ? 0 : rate;
}

/* ---- collection ---- */

static void mark_ref(model_t *m, model_ref_t r, size_t *dangling)
{
	const model_obj_t *o = obj(m, r.id);
	/* GC: nil and the zero base are not heap pointers. */
	if (!o || o->state == MODEL_ZERO)
		return;
	if (o->state != MODEL_LIVE) {
		(*dangling)++;
		return;
	}
	/* Interior pointers (and pointers into a tiny block) mark the whole block. */
	if (!m->marks[o->block]) {
		m->marks[o->block] = 1;
		m->work[m->nwork++] = o->block;
	}
}

/* Go 1.19 scanobject (mgcmark.go) scans an object as one piece, or one
 * 128 KiB oblet at a time (maxObletBytes) when it is larger, and ignores a
 * pointer that lands in the very piece being scanned (the "pointers back to
 * the current object" filter). So slot i (byte 8*i of block b) does not
 * mark b when it points into b's oblet number 8*i / 128 KiB. Observable
 * only where b is scanned unmarked: an object with a finalizer (below). */
#define OBLET_BYTES ((size_t)128 << 10)

static bool points_into_own_piece(const model_t *m, int32_t b, size_t slot, model_ref_t r)
{
	const model_obj_t *t = obj(m, r.id);
	if (!t || t->state != MODEL_LIVE || t->block != b)
		return false;
	return (t->boff + r.off) / OBLET_BYTES == slot * 8 / OBLET_BYTES;
}

static void scan_block(model_t *m, int32_t b, size_t *dangling)
{
	const model_obj_t *o = &m->objs[b];
	for (size_t i = 0, seen = 0; seen < o->nset; i++)
		if (o->slots[i].id != MODEL_NIL) {
			seen++;
			if (!points_into_own_piece(m, b, i, o->slots[i]))
				mark_ref(m, o->slots[i], dangling);
		}
}

static int cmp_id(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

static int cmp_fin(const void *a, const void *b)
{
	const model_fin_t *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (x->off > y->off) - (x->off < y->off);
}

/* Every finalizer special of block b leaves the specials for the queue
 * (and this gc's finalized list). */
static void queue_block_fins(model_t *m, int32_t b)
{
	for (size_t k = 0; k < m->nspecs;) {
		spec_t s = m->specs[k];
		if (s.block != b) {
			k++;
			continue;
		}
		model_fin_t r = {s.id, s.off, s.fn, s.block, s.boff};
		m->finq = grow(m->finq, &m->capfinq, m->nfinq + 1, sizeof *m->finq);
		m->finq[m->nfinq++] = r;
		m->gcfin = grow(m->gcfin, &m->capgcfin, m->ngcfin + 1, sizeof *m->gcfin);
		m->gcfin[m->ngcfin++] = r;
		m->specs[k] = m->specs[--m->nspecs];
	}
}

/* Mark from the roots; returns the dangling references met. */
static size_t model_mark(model_t *m)
{
	m->marks = grow(m->marks, &m->capmarks, m->nobjs + 1, 1);
	m->work = grow(m->work, &m->capwork, m->nobjs + 1, sizeof *m->work);
	memset(m->marks, 0, m->nobjs + 1);
	m->nwork = 0;
	size_t dangling = 0;
	/* Roots: the 64 root slots. */
	for (int i = 0; i < HEAP_NROOTS; i++)
		mark_ref(m, m->roots[i], &dangling);
	/* Queued finalizers keep their object and all it reaches alive. */
	for (size_t i = 0; i < m->nfinq; i++)
		mark_ref(m, (model_ref_t){m->finq[i].id, m->finq[i].off}, &dangling);
	/* Go's gcMarkTinyAllocs: each P's current tiny block is a root. */
	for (int p = 0; p < m->nprocs; p++)
		if (m->tiny[p].block != MODEL_NIL)
			mark_ref(m, (model_ref_t){m->tiny[p].block, 0}, &dangling);
	/* Go's markrootSpans: an object with a finalizer is scanned (what it
	 * points to lives) but not marked itself, so its pointers into its own
	 * scan piece do not keep it (scan_block). */
	for (size_t i = 0; i < m->nspecs; i++)
		scan_block(m, m->specs[i].block, &dangling);
	while (m->nwork > 0)
		scan_block(m, m->work[--m->nwork], &dangling);
	return dangling;
}

/* Sweep (Go's sweepLocked): an unmarked block with a finalizer special is
 * kept and all its finalizer specials are queued; other unmarked blocks are
 * freed. The live blocks in ascending id order (the queue's order), from a
 * copy: ending a block changes the list. */
static void model_sweep(model_t *m)
{
	size_t nsweep = m->nliveb;
	if (nsweep) {
		memcpy(m->work, m->liveb, nsweep * sizeof *m->work);
		qsort(m->work, nsweep, sizeof *m->work, cmp_id);
	}
	for (size_t i = 0; i < nsweep; i++) {
		int32_t b = m->work[i];
		if (!is_block_owner(&m->objs[b], b) || m->marks[b])
			continue;
		if (block_has_spec(m, b)) {
			queue_block_fins(m, b);
			continue;
		}
		block_end(m, b, MODEL_DEAD);
	}
	/* Go's mcache releaseAll at sweep start: every P drops its tiny block. */
	for (int p = 0; p < HEAP_MAX_PROCS; p++)
		m->tiny[p] = (tinyc_t){MODEL_NIL, 0};
}

void model_gc(model_t *m, model_gc_result_t *out)
{
	memset(out, 0, sizeof *out);
	m->st.numgc++;
	m->ngcfin = m->ngcfreed = 0;
	out->dangling = model_mark(m);
	model_sweep(m);
	prof_publish(m);
	if (m->ngcfin > 1)
		qsort(m->gcfin, m->ngcfin, sizeof *m->gcfin, cmp_fin);
	if (m->ngcfreed > 1)
		qsort(m->gcfreed, m->ngcfreed, sizeof *m->gcfreed, cmp_id);
	out->numgc = (uint32_t)m->st.numgc;
	out->fin = m->gcfin;
	out->nfin = m->ngcfin;
	out->freed = m->gcfreed;
	out->nfreed = m->ngcfreed;
}

size_t model_runfin(model_t *m, model_fin_cb cb, void *ctx)
{
	size_t n = 0;
	/* Canonical order: ascending (id, off); the heap's queue order is
	 * unspecified, so executors sort too. cb must not call model_gc (the
	 * heap answers BUSY). */
	while (m->nfinq > 0) {
		qsort(m->finq, m->nfinq, sizeof *m->finq, cmp_fin);
		model_fin_t r = m->finq[0];
		memmove(&m->finq[0], &m->finq[1], (m->nfinq - 1) * sizeof *m->finq);
		m->nfinq--;
		n++;
		if (cb)
			cb(m, &r, ctx);
	}
	return n;
}

size_t model_finq_len(const model_t *m) { return m->nfinq; }

/* ---- queries ---- */

size_t model_nobjs(const model_t *m) { return m->nobjs; }

const model_obj_t *model_obj(const model_t *m, int32_t id) { return obj(m, id); }

bool model_is_live(const model_t *m, int32_t id)
{
	const model_obj_t *o = obj(m, id);
	return o && o->state == MODEL_LIVE;
}

model_ref_t model_root_get(const model_t *m, int slot)
{
	if (slot < 0 || slot >= HEAP_NROOTS)
		return (model_ref_t){MODEL_NIL, 0};
	return m->roots[slot];
}

uintptr_t model_fin_at(const model_t *m, int32_t id, uint32_t off)
{
	const model_obj_t *o = obj(m, id);
	if (!o || o->state != MODEL_LIVE)
		return 0;
	const spec_t *s = spec_at(m, o->block, o->boff + off);
	return s ? s->fn : 0;
}

int32_t model_tiny_block(const model_t *m, int p, uint32_t *off)
{
	*off = 0;
	if (p < 0 || p >= m->nprocs)
		return MODEL_NIL;
	*off = m->tiny[p].off;
	return m->tiny[p].block;
}

bool model_is_pending(const model_t *m, int32_t id)
{
	const model_obj_t *o = obj(m, id);
	if (!o)
		return false;
	for (size_t i = 0; i < m->nfinq; i++)
		if (m->finq[i].block == o->block)
			return true;
	return false;
}

/* ---- expected memstats ---- */

void model_expected_stats(const model_t *m, heap_stats_t *out)
{
	*out = m->st;
}

#define CMP(field) do { if (st->field != e.field) { \
	snprintf(why, whylen, "%s: expected %llu, got %llu", #field, \
	         (unsigned long long)e.field, (unsigned long long)st->field); \
	return false; } } while (0)

bool model_check_stats(const model_t *m, const heap_stats_t *st, char *why, size_t whylen)
{
	heap_stats_t e;
	model_expected_stats(m, &e);
	CMP(nmalloc);
	CMP(nfree);
	CMP(tiny_allocs);
	CMP(heap_objects);
	CMP(total_alloc);
	CMP(heap_alloc);
	CMP(large_alloc);
	CMP(large_nmalloc);
	CMP(large_free);
	CMP(large_nfree);
	CMP(numgc);
	for (int c = 0; c < NCLASSES; c++) {
		if (st->by_class_nmalloc[c] != e.by_class_nmalloc[c] ||
		    st->by_class_nfree[c] != e.by_class_nfree[c]) {
			snprintf(why, whylen, "by_class[%d]: expected nmalloc %llu nfree %llu, "
			         "got %llu %llu", c, (unsigned long long)e.by_class_nmalloc[c],
			         (unsigned long long)e.by_class_nfree[c],
			         (unsigned long long)st->by_class_nmalloc[c],
			         (unsigned long long)st->by_class_nfree[c]);
			return false;
		}
	}
	return true;
}
#undef CMP

/* ---- expected heap profile ---- */

const model_bucket_t *model_expected_profile(model_t *m, size_t *n)
{
	*n = m->nbuck;
	return m->pub;
}

#define RANGE(field) do { if (b->field < e->field##_lo || b->field > e->field##_hi) { \
	snprintf(why, whylen, "stack %u %s: expected [%llu, %llu], got %llu", b->stack, \
	         #field, (unsigned long long)e->field##_lo, (unsigned long long)e->field##_hi, \
	         (unsigned long long)b->field); \
	return false; } } while (0)

bool model_check_profile(model_t *m, const heap_bucket_t *bs, size_t n,
                         char *why, size_t whylen)
{
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		const heap_bucket_t *b = &bs[i];
		if (i > 0 && b->stack <= bs[i - 1].stack) {
			snprintf(why, whylen, "buckets not in increasing stack order at %u", b->stack);
			return false;
		}
		/* Every model bucket skipped over must have been optional. */
		for (; j < m->nbuck && m->pub[j].stack < b->stack; j++)
			if (m->pub[j].must_exist) {
				snprintf(why, whylen, "stack %u: bucket missing", m->pub[j].stack);
				return false;
			}
		if (j == m->nbuck || m->pub[j].stack != b->stack) {
			snprintf(why, whylen, "stack %u: bucket for a stack that profiled nothing",
			         b->stack);
			return false;
		}
		const model_bucket_t *e = &m->pub[j++];
		RANGE(allocs);
		RANGE(frees);
		RANGE(alloc_bytes);
		RANGE(free_bytes);
		/* Each uncertain record adds one elemsize of its stack's objects. */
		uint64_t ka = b->allocs - e->allocs_lo, kf = b->frees - e->frees_lo;
		uint64_t xa = b->alloc_bytes - e->alloc_bytes_lo, xf = b->free_bytes - e->free_bytes_lo;
		if (xa < ka * e->maybe_min || xa > ka * e->maybe_max ||
		    xf < kf * e->maybe_min || xf > kf * e->maybe_max) {
			snprintf(why, whylen, "stack %u: bytes do not match the counts", b->stack);
			return false;
		}
		/* A record is freed at most once, after it was published allocated. */
		if (b->frees > b->allocs || b->free_bytes > b->alloc_bytes) {
			snprintf(why, whylen, "stack %u: frees exceed allocs", b->stack);
			return false;
		}
	}
	for (; j < m->nbuck; j++)
		if (m->pub[j].must_exist) {
			snprintf(why, whylen, "stack %u: bucket missing", m->pub[j].stack);
			return false;
		}
	/* The uncertain records that were sampled, against their chances. */
	uint64_t k = 0;
	for (size_t i = 0, e = 0; i < n; i++) {
		while (m->pub[e].stack != bs[i].stack)
			e++;
		k += bs[i].allocs - m->pub[e].allocs_lo;
	}
	return samp_check(&m->samp, k, why, whylen);
}
#undef RANGE
