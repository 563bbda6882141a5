/*
 * The lockstep executor. Every op runs on each heap lane and on the model
 * (oracles/model.h); results are compared at once:
 *
 *   after every op   errors equal the model's prediction; an allocation is
 *                    aligned, found by heap_find_object on a block of the
 *                    predicted size, zeroed, and at no live object's address
 *                    (then filled with a pattern derived from its model id);
 *   at observation   (gc, check, runfin, end; in lazy mode before the next
 *   points           gc, when the sweep is finished): heap_check, memstats
 *                    and profile against the model, finalizer queue length,
 *                    every object the model freed is gone from the heap,
 *                    every live object is found, holds its pattern and
 *                    exactly the pointers the model expects, and no two
 *                    live objects overlap.
 *
 * A difference stops the run with a report (exec_report). A heap_throw is
 * caught by the throw hook (longjmp) and reported the same way.
 *
 * Programs must not make the collector throw legitimately: a free of an
 * object still referenced (root, pointer slot of an allocated object,
 * finalizer queue) would leave a dangling pointer, so it is an input error in
 * text programs and skipped in binary ones (reference counts below).
 */
#include "harness/exec.h"
#include "oracles/model.h"
#include "alloc/internal.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The checking loops below compare every word of an object against what
 * it must hold: coverage and comparison tracing there would cost libFuzzer
 * half its time and guide it nowhere (what matters is the allocator's code). */
#if defined(__clang__)
#define AF_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define AF_NO_COVERAGE
#endif

#define RING 20
#define FIN_SHIFT 8   /* fn = (program id + 1) << 8 | action << 6 | slot */

#define xrealloc ops_xrealloc
#define GROW(arr, cap, need) do { if ((need) > (cap)) { size_t _c = (cap) ? (cap) : 64; \
	while (_c < (need)) { _c *= 2; } (arr) = xrealloc((arr), _c * sizeof *(arr)); (cap) = _c; } } while (0)

/* ---- address map: live object address -> model id, reset in O(1) ---- */
typedef struct amap {
	uintptr_t *key;
	int32_t *val;
	uint32_t *gen;     /* an entry is valid iff gen == cur */
	size_t cap, n;
	uint32_t cur;
} amap_t;

static size_t ahash(uintptr_t k, size_t cap) { return (size_t)((k >> 3) * 0x9E3779B97F4A7C15ull >> 20) & (cap - 1); }
static bool aval(const amap_t *m, size_t i) { return m->gen[i] == m->cur; }

static void amap_clear(amap_t *m)
{
	m->n = 0;
	if (++m->cur == 0) {
		memset(m->gen, 0, m->cap * sizeof *m->gen);
		m->cur = 1;
	}
}

static size_t amap_find(const amap_t *m, uintptr_t k)
{
	if (!m->cap)
		return SIZE_MAX;
	for (size_t i = ahash(k, m->cap); aval(m, i); i = (i + 1) & (m->cap - 1))
		if (m->key[i] == k)
			return i;
	return SIZE_MAX;
}

static void amap_put(amap_t *m, uintptr_t k, int32_t v)
{
	if (2 * (m->n + 1) > m->cap) {
		amap_t nm = { 0, 0, 0, m->cap ? 2 * m->cap : 1024, 0, 1 };
		nm.key = xrealloc(NULL, nm.cap * sizeof *nm.key);
		nm.val = xrealloc(NULL, nm.cap * sizeof *nm.val);
		nm.gen = calloc(nm.cap, sizeof *nm.gen);
		for (size_t i = 0; i < m->cap; i++)
			if (aval(m, i))
				amap_put(&nm, m->key[i], m->val[i]);
		free(m->key);
		free(m->val);
		free(m->gen);
		*m = nm;
	}
	size_t i = ahash(k, m->cap);
	while (aval(m, i) && m->key[i] != k)
		i = (i + 1) & (m->cap - 1);
	if (!aval(m, i))
		m->n++;
	m->key[i] = k;
	m->val[i] = v;
	m->gen[i] = m->cur;
}

/* Linear-probing delete with backward shift (no tombstones). */
static void amap_del(amap_t *m, uintptr_t k)
{
	size_t i = amap_find(m, k), mask = m->cap - 1;
	if (i == SIZE_MAX)
		return;
	m->gen[i] = m->cur - 1;
	m->n--;
	for (size_t j = (i + 1) & mask; aval(m, j); j = (j + 1) & mask) {
		size_t h = ahash(m->key[j], m->cap);
		/* move j to the hole i unless its home h lies cyclically in (i, j] */
		bool stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);
		if (stays)
			continue;
		m->key[i] = m->key[j];
		m->val[i] = m->val[j];
		m->gen[i] = m->cur;
		m->gen[j] = m->cur - 1;
		i = j;
	}
}

static int32_t amap_get(const amap_t *m, uintptr_t k)
{
	size_t i = amap_find(m, k);
	return i == SIZE_MAX ? MODEL_NIL : m->val[i];
}

/* ---- lanes ---- */
/* A finalizer record; obj is the pointer a heap passed (heap records only). */
typedef struct finrec { int32_t id; uint32_t off; uintptr_t fn, obj; } finrec_t;
typedef struct range { uintptr_t lo, hi; int32_t mid; } range_t;

typedef struct lane {
	heap_t *h;
	char name[24];          /* "span/eager" */
	heap_config_t hcfg;
	uintptr_t *addr;        /* by model id: the object's address */
	size_t capaddr;
	amap_t map;             /* live non-zero-size objects: address -> model id */
	int32_t *dead;          /* model ids died since the last observation */
	size_t ndead, capdead;
	finrec_t *fins;         /* runfin: records the heap ran */
	size_t nfins, capfins;
	heap_bucket_t *bk;      /* profile buckets (scratch) */
	size_t nbk, capbk;
	bool broken;            /* keep_going: differed; no longer run */
	bool rebuild;           /* threw: heap must be rebuilt before reuse */
} lane_t;

struct exec {
	exec_config_t cfg;
	model_t *m;
	lane_t lane[2];
	int nlanes;
	/* program objects (ids of alloc ops) */
	int32_t *p2m;           /* program id -> model id, MODEL_NIL if the alloc failed */
	uint64_t *psize, *pptrs;
	size_t npobj, cappobj;
	/* model objects */
	int32_t *m2p;           /* model id -> program id */
	uint32_t *refs;         /* model id -> pointers to it from roots and live slots */
	size_t capm;
	/* the live set (binary selectors): program ids, ascending */
	int32_t *live;
	size_t nlive, caplive;
	/* state */
	int proc;
	uint32_t stack;
	alloc_err_t last_err;
	int32_t *lastfin;       /* program ids finalized by the last gc, ascending */
	size_t nlastfin, caplastfin;
	finrec_t *mfins;        /* runfin: records the model ran */
	size_t nmfins, capmfins;
	const program_t *prog;
	/* the current op and the ring of the last RING ops */
	const op_t *op;
	size_t opindex;
	op_t ring[RING];
	size_t nring;
	char res[160];          /* -v: the current op's result */
	bool at_end;            /* the final observation is running */
	bool binary;            /* op.line is a byte offset */
	exec_op_hook_t hook;    /* tests: after every op */
	void *hookctx;
	range_t *ranges;   /* check_objects scratch */
	size_t capranges;
	/* outcome */
	exec_status_t status;
	bool stop;
	char *report;
	size_t replen, repcap;
	uint64_t ops_run;
	jmp_buf jb;
	bool in_op;
	heap_t *threw;
	char throwmsg[512];
};

/* ---- reporting ---- */

static void rep_vprintf(exec_t *ex, const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int k = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (k <= 0)
		return;
	GROW(ex->report, ex->repcap, ex->replen + (size_t)k + 1);
	vsnprintf(ex->report + ex->replen, (size_t)k + 1, fmt, ap);
	ex->replen += (size_t)k;
}

static void rep_printf(exec_t *ex, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rep_printf(exec_t *ex, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rep_vprintf(ex, fmt, ap);
	va_end(ap);
}

static const char *pname(exec_t *ex, int32_t pid, char tmp[24])
{
	return program_objname(ex->prog, pid, tmp);
}

static const char *mname(exec_t *ex, int32_t mid, char tmp[24])
{
	return pname(ex, ex->m2p[mid], tmp);
}

static void rep_op_header(exec_t *ex, const char *kind)
{
	char line[512];
	if (ex->at_end) {
		rep_printf(ex, "%s at the end of the program (after %zu ops)\n", kind, ex->opindex);
		return;
	}
	op_format(ex->prog, ex->op, line, sizeof line);
	const char *where = ex->binary ? "byte" : "line";
	rep_printf(ex, "%s at op %zu (%s %u): %s\n", kind, ex->opindex, where, ex->op->line, line);
}

static void rep_ring(exec_t *ex)
{
	char line[512];
	size_t n = ex->nring < RING ? ex->nring : RING;
	rep_printf(ex, "last %zu ops:\n", n);
	for (size_t i = ex->nring - n; i < ex->nring; i++) {
		op_format(ex->prog, &ex->ring[i % RING], line, sizeof line);
		rep_printf(ex, "  %s\n", line);
	}
}

/* A difference in lane l (NULL: the model or an expectation). */
static void differ(exec_t *ex, lane_t *l, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void differ(exec_t *ex, lane_t *l, const char *fmt, ...)
{
	if (ex->status == EXEC_OK) {
		rep_op_header(ex, "DIFFERENCE");
		if (l)
			rep_printf(ex, "  heap: %s\n", l->name);
		rep_printf(ex, "  ");
		va_list ap;
		va_start(ap, fmt);
		rep_vprintf(ex, fmt, ap);
		va_end(ap);
		rep_printf(ex, "\n");
		rep_ring(ex);
		ex->status = EXEC_DIFF;
	}
	if (l && ex->cfg.keep_going)
		l->broken = true;
	else if (!ex->cfg.keep_going)
		ex->stop = true;
}

static void input_error(exec_t *ex, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void input_error(exec_t *ex, const char *fmt, ...)
{
	if (ex->status != EXEC_INPUT) {
		ex->replen = 0;
		if (ex->report)
			ex->report[0] = 0;
		rep_printf(ex, "%s:%u: input error: ", ex->prog->path ? ex->prog->path : "<input>",
		           ex->op->line);
		va_list ap;
		va_start(ap, fmt);
		rep_vprintf(ex, fmt, ap);
		va_end(ap);
		rep_printf(ex, "\n");
	}
	ex->status = EXEC_INPUT;
	ex->stop = true;
}

const char *exec_report(const exec_t *ex) { return ex->report ? ex->report : ""; }
uint64_t exec_ops_run(const exec_t *ex) { return ex->ops_run; }

/* ---- lifecycle ---- */

static void throw_hook(heap_t *h, const char *msg, void *ctx)
{
	exec_t *ex = ctx;
	if (!ex->in_op) {
		fprintf(stderr, "allocfuzz: heap_throw outside an op: %s\n", msg);
		abort();
	}
	ex->threw = h;
	snprintf(ex->throwmsg, sizeof ex->throwmsg, "%s", msg);
	longjmp(ex->jb, 1);
}

static bool lane_open(exec_t *ex, lane_t *l, heap_sweep_mode_t sw, heap_specials_mode_t sp)
{
	memset(l, 0, sizeof *l);
	snprintf(l->name, sizeof l->name, "%s/%s", sp == HEAP_SPECIALS_SPAN ? "span" : "legacy",
	         sw == HEAP_SWEEP_EAGER ? "eager" : "lazy");
	l->hcfg = (heap_config_t){
		.cap_bytes = ex->cfg.cap_bytes, .nprocs = ex->cfg.nprocs, .sweep = sw,
		.specials = sp, .profrate = ex->cfg.profrate, .seed = 1,
		.throw_hook = throw_hook, .throw_ctx = ex,
	};
	alloc_err_t e = heap_new(&l->hcfg, &l->h);
	if (e != ALLOC_OK) {
		fprintf(stderr, "allocfuzz: heap_new: %s\n", alloc_strerror(e));
		return false;
	}
	return true;
}

static void lane_close(lane_t *l)
{
	if (l->h)
		heap_destroy(l->h);
	free(l->addr);
	free(l->map.key);
	free(l->map.val);
	free(l->map.gen);
	free(l->dead);
	free(l->fins);
	free(l->bk);
}

exec_t *exec_new(const exec_config_t *cfg)
{
	exec_t *ex = calloc(1, sizeof *ex);
	if (!ex)
		return NULL;
	ex->cfg = *cfg;
	if (!ex->cfg.nprocs)
		ex->cfg.nprocs = 4;
	if (!ex->cfg.cap_bytes)
		ex->cfg.cap_bytes = (size_t)16 << 20;
	bool ok = true;
	switch (cfg->mode) {
	case EXEC_ONE:
		ok = lane_open(ex, &ex->lane[ex->nlanes++], cfg->sweep, cfg->specials);
		break;
	case EXEC_TWIN_SPECIALS:
		ok = lane_open(ex, &ex->lane[ex->nlanes++], cfg->sweep, HEAP_SPECIALS_SPAN) &&
		     lane_open(ex, &ex->lane[ex->nlanes++], cfg->sweep, HEAP_SPECIALS_LEGACY);
		break;
	case EXEC_TWIN_SWEEP:
		ok = lane_open(ex, &ex->lane[ex->nlanes++], HEAP_SWEEP_EAGER, cfg->specials) &&
		     lane_open(ex, &ex->lane[ex->nlanes++], HEAP_SWEEP_LAZY, cfg->specials);
		break;
	case EXEC_MODEL_ONLY:
		break;
	}
	heap_config_t mc = { .cap_bytes = ex->cfg.cap_bytes, .nprocs = ex->cfg.nprocs,
	                     .profrate = ex->cfg.profrate, .seed = 1 };
	if (ok && model_new(&mc, NULL, &ex->m) != ALLOC_OK) {
		fprintf(stderr, "allocfuzz: model_new failed (is go-sizeclasses.tsv readable? "
		        "set AF_REFERENCE_DIR)\n");
		ok = false;
	}
	if (!ok) {
		exec_destroy(ex);
		return NULL;
	}
	for (int i = 0; i < ex->nlanes; i++)
		ex->lane[i].map.cur = 1;
	return ex;
}

void exec_destroy(exec_t *ex)
{
	if (!ex)
		return;
	for (int i = 0; i < ex->nlanes; i++)
		lane_close(&ex->lane[i]);
	if (ex->m)
		model_destroy(ex->m);
	free(ex->p2m);
	free(ex->psize);
	free(ex->pptrs);
	free(ex->m2p);
	free(ex->refs);
	free(ex->live);
	free(ex->lastfin);
	free(ex->mfins);
	free(ex->report);
	free(ex->ranges);
	free(ex);
}

/* Back to the initial state; heaps are reset, not rebuilt (unless one threw). */
static void exec_reset(exec_t *ex, const program_t *prog)
{
	for (int i = 0; i < ex->nlanes; i++) {
		lane_t *l = &ex->lane[i];
		if (l->rebuild) {
			/* a throw left the heap mid-operation: do not trust it */
			heap_config_t c = l->hcfg;
			l->h = NULL;
			if (heap_new(&c, &l->h) != ALLOC_OK) {
				fprintf(stderr, "allocfuzz: heap_new failed after a throw\n");
				abort();
			}
			l->rebuild = false;
		} else {
			heap_reset(l->h);
		}
		amap_clear(&l->map);
		l->ndead = 0;
		l->broken = false;
	}
	model_reset(ex->m);
	ex->npobj = ex->nlive = ex->nlastfin = 0;
	ex->proc = 0;
	ex->stack = 0;
	ex->last_err = ALLOC_OK;
	ex->nring = 0;
	ex->opindex = 0;
	ex->status = EXEC_OK;
	ex->stop = false;
	ex->replen = 0;
	if (ex->report)
		ex->report[0] = 0;
	ex->prog = prog;
}

/* ---- objects ---- */

static bool is_live_mid(exec_t *ex, int32_t mid)
{
	const model_obj_t *o = model_obj(ex->m, mid);
	return o && (o->state == MODEL_LIVE || o->state == MODEL_ZERO);
}

static const model_obj_t *mobj(exec_t *ex, int32_t mid) { return model_obj(ex->m, mid); }

static uintptr_t ref_addr(const lane_t *l, model_ref_t r)
{
	return r.id == MODEL_NIL ? 0 : l->addr[r.id] + r.off;
}

static unsigned long rel(const lane_t *l, uintptr_t a)
{
	return (unsigned long)(a >= l->h->arena_start ? a - l->h->arena_start : a);
}

static void ref_inc(exec_t *ex, model_ref_t r) { if (r.id != MODEL_NIL) ex->refs[r.id]++; }
static void ref_dec(exec_t *ex, model_ref_t r) { if (r.id != MODEL_NIL && ex->refs[r.id]) ex->refs[r.id]--; }

/* The pattern a live object's non-pointer bytes hold: byte i is byte i % 8
 * of pat64(id, i / 8). Never a zero byte, so a block zeroed or reused under
 * a live object shows; words, so checking costs little per byte. */
static inline uint64_t pat64(int32_t id, size_t w)
{
	uint64_t x = ((uint64_t)(uint32_t)id + 1) * 0x9E3779B97F4A7C15ull ^ (uint64_t)w * 0xD6E8FEB86659FD93ull;
	return x | 0x0101010101010101ull;
}
static inline uint8_t pattern(int32_t id, size_t i) { return (uint8_t)(pat64(id, i / 8) >> (8 * (i % 8))); }

AF_NO_COVERAGE static void fill_range(uint8_t *p, int32_t id, size_t from, size_t size)
{
	size_t i = from;
	for (; i + 8 <= size; i += 8) {
		uint64_t v = pat64(id, i / 8);
		memcpy(p + i, &v, 8);
	}
	for (; i < size; i++)
		p[i] = pattern(id, i);
}

/* First byte in [lo, hi) (lo a multiple of 8) not holding the pattern, or hi. */
AF_NO_COVERAGE static size_t find_bad(const uint8_t *p, int32_t id, size_t lo, size_t hi)
{
	size_t i = lo;
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

enum walk { W_FILL, W_PATTERN, W_ZERO };

AF_NO_COVERAGE static size_t first_nonzero(const uint8_t *p, size_t lo, size_t hi)
{
	size_t i = lo;
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

AF_NO_COVERAGE static size_t walk_part(uint8_t *p, int32_t id, size_t lo, size_t hi, enum walk w)
{
	if (w == W_FILL) {
		fill_range(p, id, lo, hi);
		return hi;
	}
	return w == W_PATTERN ? find_bad(p, id, lo, hi) : first_nonzero(p, lo, hi);
}

/* Fills or checks the sampled parts of [from, size) (from a multiple of 8);
 * returns the first byte that is wrong, or size. */
AF_NO_COVERAGE static size_t walk(uint8_t *p, int32_t id, size_t from, size_t size, enum walk w)
{
	if (size - from <= FULL_CHECK_MAX)
		return walk_part(p, id, from, size, w);
	size_t head = from + 4096, tail = (size - 4096) & ~(size_t)7, k;
	if ((k = walk_part(p, id, from, head, w)) != head)
		return k;
	for (size_t i = head; i < tail; i += SAMPLE_STRIDE)
		if ((k = walk_part(p, id, i, i + 8, w)) != i + 8)
			return k;
	return walk_part(p, id, tail, size, w);
}

/* Checks one live object's memory in lane l; false after reporting. */
AF_NO_COVERAGE static bool check_contents(exec_t *ex, lane_t *l, int32_t mid)
{
	const model_obj_t *o = mobj(ex, mid);
	const uint8_t *p = (const uint8_t *)l->addr[mid];
	char tmp[24];
	for (size_t w = 0; w < o->ptrwords; w++) {
		uintptr_t got, want = ref_addr(l, o->slots[w]);
		memcpy(&got, p + w * PTR_SIZE, sizeof got);
		if (got != want) {
			differ(ex, l, "pointer slot %zu of %s holds %#lx, the model expects %#lx",
			       w, mname(ex, mid, tmp), rel(l, got), rel(l, want));
			return false;
		}
	}
	size_t size = o->size, bad = walk((uint8_t *)p, mid, o->ptrwords * PTR_SIZE, size, W_PATTERN);
	if (bad != size) {
		differ(ex, l, "byte %zu of %s (%zu bytes) is %#x, its pattern is %#x: "
		       "the object was overwritten or reused", bad, mname(ex, mid, tmp),
		       o->size, p[bad], pattern(mid, bad));
		return false;
	}
	return true;
}

/* heap_find_object agrees with the model about a live object. */
static bool check_found(exec_t *ex, lane_t *l, int32_t mid)
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
		       (unsigned long)(l->addr[mid] - l->h->arena_start), alloc_errname(e),
		       (unsigned long)((uintptr_t)base - (base ? l->h->arena_start : 0)), es,
		       (unsigned long)(want - l->h->arena_start), o->elemsize);
		return false;
	}
	return true;
}

static int range_cmp(const void *a, const void *b)
{
	const range_t *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Contents of every live object and no overlap; full: heap_find_object too. */
AF_NO_COVERAGE static void check_objects(exec_t *ex, lane_t *l, bool full)
{
	range_t *r = ex->ranges;
	size_t n = 0;
	for (size_t i = 0; i < ex->nlive && !ex->stop && !l->broken; i++) {
		int32_t mid = ex->p2m[ex->live[i]];
		const model_obj_t *o = mobj(ex, mid);
		if (o->state != MODEL_LIVE)
			continue;
		if (full && !check_found(ex, l, mid))
			return;
		if (!check_contents(ex, l, mid))
			return;
		GROW(ex->ranges, ex->capranges, n + 1);
		r = ex->ranges;
		r[n++] = (range_t){ l->addr[mid], l->addr[mid] + (o->tiny ? o->size : o->elemsize), mid };
	}
	if (ex->stop || l->broken)
		return;
	if (n > 1)
		qsort(r, n, sizeof *r, range_cmp);
	char t1[24], t2[24];
	for (size_t i = 1; i < n; i++)
		if (r[i].lo < r[i - 1].hi) {
			differ(ex, l, "live objects overlap: %s [%#lx, %#lx) and %s [%#lx, %#lx)",
			       mname(ex, r[i - 1].mid, t1), (unsigned long)(r[i - 1].lo - l->h->arena_start),
			       (unsigned long)(r[i - 1].hi - l->h->arena_start), mname(ex, r[i].mid, t2),
			       (unsigned long)(r[i].lo - l->h->arena_start),
			       (unsigned long)(r[i].hi - l->h->arena_start));
			return;
		}
}

static void collect_bucket(const heap_bucket_t *b, void *ctx)
{
	lane_t *l = ctx;
	GROW(l->bk, l->capbk, l->nbk + 1);
	l->bk[l->nbk++] = *b;
}

/* An observation point: the sweep is finished and everything is compared. */
static void observe(exec_t *ex, lane_t *l)
{
	if (l->broken || ex->stop)
		return;
	heap_finish_sweep(l->h);
	heap_check_report_t rep;
	if (heap_check(l->h, &rep) != ALLOC_OK) {
		differ(ex, l, "heap_check: %s: %s", rep.invariant, rep.detail);
		return;
	}
	char why[256];
	heap_stats_t st;
	heap_read_stats(l->h, &st);
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
	/* every object the model freed since the last observation is gone
	 * (or its address now belongs to a block that is live in the model) */
	char tmp[24];
	for (size_t i = 0; i < l->ndead; i++) {
		int32_t mid = l->dead[i];
		void *base;
		size_t es;
		if (heap_find_object(l->h, (void *)l->addr[mid], &base, &es) != ALLOC_OK)
			continue;
		int32_t owner = amap_get(&l->map, (uintptr_t)base);
		if (owner != MODEL_NIL && mobj(ex, owner)->boff == 0)
			continue;
		differ(ex, l, "%s (@%#lx) is dead in the model but the heap still holds a block "
		       "there (elemsize %zu)", mname(ex, mid, tmp),
		       (unsigned long)(l->addr[mid] - l->h->arena_start), es);
		return;
	}
	l->ndead = 0;
	check_objects(ex, l, true);
}

#define FOR_LANES(ex, l) for (int _i = 0; _i < (ex)->nlanes; _i++) \
	for (lane_t *l = &(ex)->lane[_i]; l && !l->broken && !(ex)->stop; l = NULL)

/* ---- bookkeeping shared by the ops ---- */

static int32_t new_pobj(exec_t *ex, uint64_t size, uint64_t ptrs)
{
	if (ex->npobj == ex->cappobj) {
		size_t cap = ex->cappobj ? 2 * ex->cappobj : 64;
		ex->p2m = xrealloc(ex->p2m, cap * sizeof *ex->p2m);
		ex->psize = xrealloc(ex->psize, cap * sizeof *ex->psize);
		ex->pptrs = xrealloc(ex->pptrs, cap * sizeof *ex->pptrs);
		ex->cappobj = cap;
	}
	ex->p2m[ex->npobj] = MODEL_NIL;
	ex->psize[ex->npobj] = size;
	ex->pptrs[ex->npobj] = ptrs;
	return (int32_t)ex->npobj++;
}

static void new_mobj(exec_t *ex, int32_t pid, int32_t mid)
{
	size_t need = (size_t)mid + 1;
	if (need > ex->capm) {
		size_t cap = ex->capm ? ex->capm : 64;
		while (cap < need)
			cap *= 2;
		ex->m2p = xrealloc(ex->m2p, cap * sizeof *ex->m2p);
		ex->refs = xrealloc(ex->refs, cap * sizeof *ex->refs);
		for (int i = 0; i < ex->nlanes; i++) {
			ex->lane[i].addr = xrealloc(ex->lane[i].addr, cap * sizeof *ex->lane[i].addr);
			ex->lane[i].capaddr = cap;
		}
		ex->capm = cap;
	}
	ex->m2p[mid] = pid;
	ex->refs[mid] = 0;
	ex->p2m[pid] = mid;
	GROW(ex->live, ex->caplive, ex->nlive + 1);
	ex->live[ex->nlive++] = pid;
}

/* An object ended (explicit free, or a gc freed it): it no longer holds
 * references; lanes forget its address; a gc death is verified at the next
 * observation (dead lists). */
static void note_death(exec_t *ex, int32_t mid, bool by_gc)
{
	const model_obj_t *o = mobj(ex, mid);
	for (size_t w = 0; w < o->ptrwords; w++)
		ref_dec(ex, o->slots[w]);
	if (!o->size)
		return;
	for (int i = 0; i < ex->nlanes; i++) {
		lane_t *l = &ex->lane[i];
		if (l->broken)
			continue;
		if (amap_get(&l->map, l->addr[mid]) == mid)
			amap_del(&l->map, l->addr[mid]);
		if (by_gc) {
			GROW(l->dead, l->capdead, l->ndead + 1);
			l->dead[l->ndead++] = mid;
		}
	}
}

static void live_filter(exec_t *ex)
{
	size_t k = 0;
	for (size_t i = 0; i < ex->nlive; i++)
		if (is_live_mid(ex, ex->p2m[ex->live[i]]))
			ex->live[k++] = ex->live[i];
	ex->nlive = k;
}

static uintptr_t fin_fn(int32_t pid, fin_action_t act, uint64_t slot)
{
	return ((uintptr_t)pid + 1) << FIN_SHIFT | (uintptr_t)act << 6 | (uintptr_t)(slot & 63);
}

static bool err_ok(alloc_err_t got, model_err_t me)
{
	/* an inexact prediction only ever chooses between two errors */
	return got == me.err || (got == me.alt && me.err != ALLOC_OK && me.alt != ALLOC_OK);
}


/* ---- the ops ---- */

static void op_alloc(exec_t *ex, const op_t *op)
{
	int32_t pid = new_pobj(ex, op->a, op->b);
	model_alloc_t pred;
	model_alloc_predict(ex->m, ex->proc, op->a, op->b, &pred);
	void *ptr[2] = { 0, 0 };
	int nok = 0, nnomem = 0, nrun = 0;
	FOR_LANES(ex, l) {
		alloc_err_t e = heap_alloc(l->h, ex->proc, op->a, op->b, ex->stack, &ptr[_i]);
		nrun++;
		if (e == ALLOC_ERR_NOMEM && (pred.err == ALLOC_ERR_NOMEM || (pred.err == ALLOC_OK && pred.may_nomem)))
			nnomem++;
		else if (e != pred.err)
			differ(ex, l, "heap_alloc(P%d, %llu, ptrs=%llu) returned %s, the model predicts %s",
			       ex->proc, (unsigned long long)op->a, (unsigned long long)op->b,
			       alloc_errname(e), alloc_errname(pred.err));
		else if (e == ALLOC_OK)
			nok++;
	}
	if (ex->stop)
		return;
	if (nok && nnomem) {
		/* Eager and lazy heaps free spans in different orders, so near the
		 * cap their page heaps may fit a large object differently: whether
		 * it fits is not an observable the modes must share (DECISIONS), and
		 * the model allows either answer here (may_nomem). The heaps no
		 * longer hold the same objects, so lockstep ends: the run stops
		 * without a difference. Span and legacy heaps must agree exactly. */
		if (ex->cfg.mode == EXEC_TWIN_SWEEP && pred.may_nomem) {
			snprintf(ex->res, sizeof ex->res, "NOMEM in one heap only (allowed): lockstep ends");
			ex->stop = true;
			return;
		}
		differ(ex, &ex->lane[1], "the heaps disagree: one allocated, the other said NOMEM");
		return;
	}
	ex->last_err = nrun ? (nnomem ? ALLOC_ERR_NOMEM : pred.err) : pred.err;
	if (ex->last_err != ALLOC_OK) {
		snprintf(ex->res, sizeof ex->res, "%s", alloc_errname(ex->last_err));
		return;
	}
	model_alloc_t out;
	int32_t mid = model_alloc(ex->m, ex->proc, op->a, op->b, ex->stack, &out);
	if (mid == MODEL_NIL) {
		differ(ex, NULL, "model_alloc refused an allocation its prediction allowed");
		return;
	}
	new_mobj(ex, pid, mid);
	char tmp[24];
	FOR_LANES(ex, l) {
		uintptr_t a = (uintptr_t)ptr[_i];
		l->addr[mid] = a;
		if (out.zerobase) {
			if (a != (uintptr_t)heap_zerobase(l->h))
				differ(ex, l, "alloc of 0 bytes returned %#lx, not the zero base", rel(l, a));
			continue;
		}
		if (a % out.align) {
			differ(ex, l, "%s at %#lx is not %zu-aligned", pname(ex, pid, tmp), rel(l, a), out.align);
			continue;
		}
		if (out.tiny && a != l->addr[out.tiny_block] + out.tiny_off) {
			differ(ex, l, "tiny %s at %#lx, the model expects block %s + %u = %#lx",
			       pname(ex, pid, tmp), rel(l, a), mname(ex, out.tiny_block, tmp), out.tiny_off,
			       rel(l, l->addr[out.tiny_block] + out.tiny_off));
			continue;
		}
		int32_t other = amap_get(&l->map, a);
		if (other != MODEL_NIL) {
			differ(ex, l, "%s was given %#lx, the address of live object %s",
			       pname(ex, pid, tmp), rel(l, a), mname(ex, other, tmp));
			continue;
		}
		if (!check_found(ex, l, mid))
			continue;
		uint8_t *p = ptr[_i];
		size_t nz = walk(p, mid, 0, op->a, W_ZERO);
		if (nz != op->a) {
			differ(ex, l, "byte %zu of new %s (%llu bytes) is %#x, not zero", nz,
			       pname(ex, pid, tmp), (unsigned long long)op->a, p[nz]);
			continue;
		}
		walk(p, mid, op->b * PTR_SIZE, op->a, W_FILL);
		amap_put(&l->map, a, mid);
	}
	if (ex->cfg.mode == EXEC_TWIN_SPECIALS && !ex->stop && !ex->lane[0].broken && !ex->lane[1].broken &&
	    !out.zerobase && rel(&ex->lane[0], (uintptr_t)ptr[0]) != rel(&ex->lane[1], (uintptr_t)ptr[1]))
		differ(ex, &ex->lane[1], "%s is at %#lx in the span heap but at %#lx in the legacy heap",
		       pname(ex, pid, tmp), rel(&ex->lane[0], (uintptr_t)ptr[0]),
		       rel(&ex->lane[1], (uintptr_t)ptr[1]));
	if (out.zerobase)
		snprintf(ex->res, sizeof ex->res, "OK zerobase");
	else if (ex->nlanes)
		snprintf(ex->res, sizeof ex->res, "OK @%#lx elemsize %zu%s", rel(&ex->lane[0], (uintptr_t)ptr[0]),
		         out.elemsize, out.tiny ? " tiny" : "");
	else
		snprintf(ex->res, sizeof ex->res, "OK elemsize %zu%s", out.elemsize, out.tiny ? " tiny" : "");
}

static void op_free(exec_t *ex, const op_t *op)
{
	int32_t mid = ex->p2m[op->obj];
	model_err_t me = model_free(ex->m, mid, 0);
	int p = ex->proc < ex->cfg.nprocs ? ex->proc : 0;
	char tmp[24];
	FOR_LANES(ex, l) {
		uintptr_t a = l->addr[mid];
		alloc_err_t e = heap_free(l->h, p, (void *)a);
		if (!err_ok(e, me)) {
			differ(ex, l, "heap_free(%s) returned %s, the model predicts %s", pname(ex, op->obj, tmp),
			       alloc_errname(e), alloc_errname(me.err));
			continue;
		}
		void *base;
		size_t es;
		if (e == ALLOC_OK && heap_find_object(l->h, (void *)a, &base, &es) == ALLOC_OK)
			differ(ex, l, "%s is still allocated after heap_free returned OK", pname(ex, op->obj, tmp));
	}
	ex->last_err = me.err;
	if (me.err == ALLOC_OK) {
		note_death(ex, mid, false);
		live_filter(ex);
	}
	snprintf(ex->res, sizeof ex->res, "%s", alloc_errname(me.err));
}

static void set_fin(exec_t *ex, int32_t mid, uint64_t off, uintptr_t fn)
{
	const model_obj_t *o = mobj(ex, mid);
	size_t size = o->size, ptrs = o->ptrwords;
	model_err_t me = model_setfin(ex->m, mid, (uint32_t)off, size, ptrs, fn);
	char tmp[24];
	FOR_LANES(ex, l) {
		alloc_err_t e = heap_setfinalizer(l->h, (void *)(l->addr[mid] + off), size, ptrs, fn);
		if (!err_ok(e, me))
			differ(ex, l, "heap_setfinalizer(%s+%llu, %s) returned %s, the model predicts %s",
			       mname(ex, mid, tmp), (unsigned long long)off, fn ? "fn" : "nil",
			       alloc_errname(e), alloc_errname(me.err));
	}
	ex->last_err = me.err;
	snprintf(ex->res, sizeof ex->res, "%s", alloc_errname(me.err));
}

static void set_root(exec_t *ex, uint64_t slot, model_ref_t r)
{
	model_ref_t old = model_root_get(ex->m, (int)slot);
	if (!model_root(ex->m, (int)slot, r)) {
		differ(ex, NULL, "the model refused root %llu (harness bug)", (unsigned long long)slot);
		return;
	}
	FOR_LANES(ex, l)
		heap_roots(l->h)[slot] = ref_addr(l, r);
	ref_dec(ex, old);
	ref_inc(ex, r);
}

static model_ref_t mref(exec_t *ex, int32_t pid, uint64_t off)
{
	return pid == OBJ_NONE ? (model_ref_t){ MODEL_NIL, 0 } : (model_ref_t){ ex->p2m[pid], (uint32_t)off };
}

static void op_store(exec_t *ex, const op_t *op)
{
	int32_t mid = ex->p2m[op->obj];
	model_ref_t r = mref(ex, op->obj2, op->off2);
	model_ref_t old = mobj(ex, mid)->slots[op->a];
	if (!model_store(ex->m, mid, op->a, r)) {
		differ(ex, NULL, "the model refused the store (harness bug)");
		return;
	}
	FOR_LANES(ex, l) {
		uintptr_t v = ref_addr(l, r);
		memcpy((void *)(l->addr[mid] + op->a * PTR_SIZE), &v, sizeof v);
	}
	ref_dec(ex, old);
	ref_inc(ex, r);
}

static int name_cmp(const void *a, const void *b)
{
	/* natural order: digit runs compare as numbers (h2 < h10) */
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	while (*x && *y) {
		if (isdigit((unsigned char)*x) && isdigit((unsigned char)*y)) {
			char *ex_, *ey;
			unsigned long long vx = strtoull(x, &ex_, 10), vy = strtoull(y, &ey, 10);
			if (vx != vy)
				return vx < vy ? -1 : 1;
			x = ex_;
			y = ey;
			continue;
		}
		if (*x != *y)
			return (unsigned char)*x - (unsigned char)*y;
		x++;
		y++;
	}
	return (unsigned char)*x - (unsigned char)*y;
}

/* "gc N WHAT: NAMES", names sorted. */
static void print_names(exec_t *ex, uint32_t numgc, const char *what, const int32_t *mids,
                        const uint32_t *offs, size_t n)
{
	char **names = xrealloc(NULL, (n ? n : 1) * sizeof *names);
	for (size_t i = 0; i < n; i++) {
		char tmp[24], buf[64];
		const char *nm = mname(ex, mids[i], tmp);
		if (offs && offs[i])
			snprintf(buf, sizeof buf, "%s+%u", nm, offs[i]);
		else
			snprintf(buf, sizeof buf, "%s", nm);
		names[i] = strdup(buf);
	}
	if (n > 1)
		qsort(names, n, sizeof *names, name_cmp);
	fprintf(ex->cfg.out, "gc %u %s:", numgc, what);
	for (size_t i = 0; i < n; i++) {
		fprintf(ex->cfg.out, " %s", names[i]);
		free(names[i]);
	}
	fprintf(ex->cfg.out, "\n");
	free(names);
}

static int i32_cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return x < y ? -1 : x > y;
}

static size_t sort_unique(int32_t *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof *v, i32_cmp);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!k || v[k - 1] != v[i])
			v[k++] = v[i];
	return k;
}

static void op_gc(exec_t *ex)
{
	FOR_LANES(ex, l)
		if (l->hcfg.sweep == HEAP_SWEEP_LAZY)
			observe(ex, l);   /* the previous cycle, now that its sweep is done */
	FOR_LANES(ex, l) {
		alloc_err_t e = heap_gc(l->h);
		if (e != ALLOC_OK)
			differ(ex, l, "heap_gc returned %s", alloc_errname(e));
	}
	if (ex->stop)
		return;
	model_gc_result_t res;
	model_gc(ex->m, &res);
	if (res.dangling) {
		differ(ex, NULL, "the program left %zu dangling pointers (harness bug: frees of "
		       "referenced objects must be refused)", res.dangling);
		return;
	}
	GROW(ex->lastfin, ex->caplastfin, res.nfin + 1);
	for (size_t i = 0; i < res.nfin; i++)
		ex->lastfin[i] = ex->m2p[res.fin[i].id];
	ex->nlastfin = sort_unique(ex->lastfin, res.nfin);
	for (size_t i = 0; i < res.nfreed; i++)
		note_death(ex, res.freed[i], true);
	live_filter(ex);
	if (ex->cfg.out) {
		int32_t *ids = xrealloc(NULL, (res.nfin + 1) * sizeof *ids);
		uint32_t *offs = xrealloc(NULL, (res.nfin + 1) * sizeof *offs);
		for (size_t i = 0; i < res.nfin; i++) {
			ids[i] = res.fin[i].id;
			offs[i] = res.fin[i].off;
		}
		print_names(ex, res.numgc, "finalized", ids, offs, res.nfin);
		print_names(ex, res.numgc, "freed", res.freed, NULL, res.nfreed);
		free(ids);
		free(offs);
	}
	FOR_LANES(ex, l) {
		if (l->hcfg.sweep == HEAP_SWEEP_EAGER)
			observe(ex, l);
		else
			check_objects(ex, l, false);
	}
	ex->last_err = ALLOC_OK;
	snprintf(ex->res, sizeof ex->res, "gc %u: finalized %zu, freed %zu", res.numgc, res.nfin, res.nfreed);
}

static void heap_fin_cb(heap_t *h, void *obj, uintptr_t fn, void *ctx)
{
	(void)h;
	lane_t *l = ctx;
	GROW(l->fins, l->capfins, l->nfins + 1);
	/* named (id, off) in op_runfin from the program id fn encodes */
	l->fins[l->nfins++] = (finrec_t){ MODEL_NIL, 0, fn, (uintptr_t)obj };
}

static void model_collect_fin(model_t *m, const model_fin_t *rec, void *ctx)
{
	(void)m;
	exec_t *ex = ctx;
	GROW(ex->mfins, ex->capmfins, ex->nmfins + 1);
	ex->mfins[ex->nmfins++] = (finrec_t){ rec->id, rec->off, rec->fn, 0 };
}

static int fin_cmp(const void *a, const void *b)
{
	const finrec_t *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static void op_runfin(exec_t *ex)
{
	FOR_LANES(ex, l)
		observe(ex, l);
	FOR_LANES(ex, l) {
		l->nfins = 0;
		heap_runfinalizers(l->h, heap_fin_cb, l);
	}
	ex->nmfins = 0;
	model_runfin(ex->m, model_collect_fin, ex);
	char tmp[24];
	FOR_LANES(ex, l) {
		/* name each record by the object its fn encodes */
		for (size_t i = 0; i < l->nfins; i++) {
			finrec_t *f = &l->fins[i];
			uintptr_t obj = f->obj;
			size_t pid = (f->fn >> FIN_SHIFT) - 1;
			int32_t mid = pid < ex->npobj ? ex->p2m[pid] : MODEL_NIL;
			if (mid == MODEL_NIL || obj < l->addr[mid] || obj - l->addr[mid] >= (mobj(ex, mid)->size ? mobj(ex, mid)->size : 1)) {
				differ(ex, l, "heap_runfinalizers ran fn %#lx on %#lx: no such finalizer was set",
				       (unsigned long)f->fn, rel(l, obj));
				break;
			}
			f->id = mid;
			f->off = (uint32_t)(obj - l->addr[mid]);
		}
		if (ex->stop || l->broken)
			continue;
		if (l->nfins > 1)
			qsort(l->fins, l->nfins, sizeof *l->fins, fin_cmp);
		if (l->nfins != ex->nmfins) {
			differ(ex, l, "heap_runfinalizers ran %zu finalizers, the model %zu", l->nfins, ex->nmfins);
			continue;
		}
		for (size_t i = 0; i < l->nfins; i++)
			if (fin_cmp(&l->fins[i], &ex->mfins[i]) || l->fins[i].fn != ex->mfins[i].fn) {
				differ(ex, l, "finalizer %zu ran on %s+%u, the model runs %s+%u", i,
				       mname(ex, l->fins[i].id, tmp), l->fins[i].off,
				       mname(ex, ex->mfins[i].id, tmp), ex->mfins[i].off);
				break;
			}
	}
	if (ex->stop)
		return;
	/* the actions, in ascending (object, offset) order on every side */
	for (size_t i = 0; i < ex->nmfins && !ex->stop; i++) {
		finrec_t f = ex->mfins[i];
		fin_action_t act = (fin_action_t)((f.fn >> 6) & 3);
		if (act == FIN_RESURRECT)
			set_root(ex, f.fn & 63, (model_ref_t){ f.id, f.off });
		else if (act == FIN_REFIN)
			set_fin(ex, f.id, f.off, fin_fn(ex->m2p[f.id], FIN_KEEP, 0));
	}
	ex->last_err = ALLOC_OK;
	snprintf(ex->res, sizeof ex->res, "ran %zu", ex->nmfins);
}

static void expect_list(exec_t *ex, const op_t *op)
{
	const int32_t *ids = op->nlist ? ex->prog->lists + op->list : NULL;
	char tmp[24];
	if (op->code == OP_EXPECT_FINALIZED) {
		int32_t *want = xrealloc(NULL, (op->nlist + 1) * sizeof *want);
		if (op->nlist)
			memcpy(want, ids, op->nlist * sizeof *want);
		size_t n = sort_unique(want, op->nlist);
		bool same = n == ex->nlastfin && (n == 0 || !memcmp(want, ex->lastfin, n * sizeof *want));
		free(want);
		if (!same) {
			char got[400] = "";
			size_t k = 0;
			for (size_t i = 0; i < ex->nlastfin && k < sizeof got - 30; i++)
				k += (size_t)snprintf(got + k, sizeof got - k, " %s", pname(ex, ex->lastfin[i], tmp));
			differ(ex, NULL, "expectation failed: the last gc finalized {%s }", got);
		}
		return;
	}
	for (uint32_t i = 0; i < op->nlist; i++) {
		int32_t pid = ids[i], mid = ex->p2m[pid];
		if (mid == MODEL_NIL) {
			input_error(ex, "'%s' was never allocated (its alloc failed)", pname(ex, pid, tmp));
			return;
		}
		bool live = is_live_mid(ex, mid);
		if (live != (op->code == OP_EXPECT_LIVE)) {
			differ(ex, NULL, "expectation failed: %s is %s", pname(ex, pid, tmp), live ? "live" : "dead");
			return;
		}
	}
}

/* Runs one resolved op (validated: every object it names is live). */
static void exec_op(exec_t *ex, const op_t *op)
{
	ex->res[0] = 0;
	switch ((op_code_t)op->code) {
	case OP_ALLOC: op_alloc(ex, op); break;
	case OP_FREE: op_free(ex, op); break;
	case OP_ROOT:
		set_root(ex, op->a, mref(ex, op->obj2, op->off2));
		ex->last_err = ALLOC_OK;
		break;
	case OP_STORE:
		op_store(ex, op);
		ex->last_err = ALLOC_OK;
		break;
	case OP_SETFIN:
		set_fin(ex, ex->p2m[op->obj], op->off, fin_fn(op->obj, (fin_action_t)op->action, op->a));
		break;
	case OP_CLEARFIN: set_fin(ex, ex->p2m[op->obj], 0, 0); break;
	case OP_GC: op_gc(ex); break;
	case OP_SWEEP: {
		size_t swept = 0;
		FOR_LANES(ex, l) {
			if (op->a == 0)
				heap_finish_sweep(l->h);
			else
				for (swept = 0; swept < op->a && heap_sweepone(l->h); swept++)
					;
		}
		ex->last_err = ALLOC_OK;
		break;
	}
	case OP_RUNFIN: op_runfin(ex); break;
	case OP_PROC: ex->proc = (int)op->a; ex->last_err = ALLOC_OK; break;
	case OP_PROFRATE:
		FOR_LANES(ex, l)
			heap_set_profrate(l->h, (int64_t)op->a);
		model_set_profrate(ex->m, (int64_t)op->a);
		ex->last_err = ALLOC_OK;
		break;
	case OP_STACK: ex->stack = (uint32_t)op->a; ex->last_err = ALLOC_OK; break;
	case OP_CHECK:
		FOR_LANES(ex, l)
			observe(ex, l);
		ex->last_err = ALLOC_OK;
		break;
	case OP_SCAVENGE:
		FOR_LANES(ex, l)
			heap_scavenge(l->h);
		ex->last_err = ALLOC_OK;
		break;
	case OP_EXPECT_FINALIZED:
	case OP_EXPECT_LIVE:
	case OP_EXPECT_DEAD:
		expect_list(ex, op);
		break;
	case OP_EXPECT_ERR:
		if (ex->last_err != (alloc_err_t)op->a)
			differ(ex, NULL, "expectation failed: the previous op returned %s",
			       alloc_errname(ex->last_err));
		break;
	default:
		break;
	}
}

/* Why op cannot run now (NULL: it can). Text programs report it as an input
 * error; binary programs skip the op. */
static const char *precheck(exec_t *ex, const op_t *op, char *why, size_t n)
{
	char tmp[24];
	int32_t subj = OBJ_NONE, targ = OBJ_NONE;
	switch ((op_code_t)op->code) {
	case OP_FREE: case OP_SETFIN: case OP_CLEARFIN:
		subj = op->obj;
		break;
	case OP_STORE:
		subj = op->obj;
		targ = op->obj2;
		break;
	case OP_ROOT:
		targ = op->obj2;
		break;
	default:
		return NULL;
	}
	int32_t objs[2] = { subj, targ };
	for (int i = 0; i < 2; i++) {
		if (objs[i] == OBJ_NONE)
			continue;
		if ((size_t)objs[i] >= ex->npobj || ex->p2m[objs[i]] == MODEL_NIL) {
			snprintf(why, n, "'%s' was never allocated (its alloc failed)", pname(ex, objs[i], tmp));
			return why;
		}
		if (!is_live_mid(ex, ex->p2m[objs[i]])) {
			snprintf(why, n, "'%s' is dead", pname(ex, objs[i], tmp));
			return why;
		}
	}
	if (op->code == OP_FREE) {
		int32_t mid = ex->p2m[subj];
		if (ex->refs[mid]) {
			snprintf(why, n, "free of '%s' while %u pointers to it remain (it would dangle)",
			         pname(ex, subj, tmp), ex->refs[mid]);
			return why;
		}
	}
	return NULL;
}

static void trace(exec_t *ex, const op_t *op)
{
	char line[512];
	op_format(ex->prog, op, line, sizeof line);
	if (ex->res[0])
		fprintf(ex->cfg.out, "%zu: %s -> %s\n", ex->opindex, line, ex->res);
	else
		fprintf(ex->cfg.out, "%zu: %s\n", ex->opindex, line);
}

/* One op under the throw hook. */
static void step(exec_t *ex, const op_t *op)
{
	ex->op = op;
	if (!ex->at_end)
		ex->ring[ex->nring++ % RING] = *op;
	if (setjmp(ex->jb)) {
		ex->in_op = false;
		lane_t *l = NULL;
		for (int i = 0; i < ex->nlanes; i++)
			if (ex->lane[i].h == ex->threw)
				l = &ex->lane[i];
		if (l)
			l->rebuild = true;
		if (ex->status == EXEC_OK) {
			rep_op_header(ex, "THROW");
			if (l)
				rep_printf(ex, "  heap: %s\n", l->name);
			rep_printf(ex, "  heap_throw: %s\n", ex->throwmsg);
			rep_ring(ex);
			ex->status = EXEC_DIFF;
		}
		if (l)
			l->broken = true;
		if (!ex->cfg.keep_going || !l)
			ex->stop = true;
		return;
	}
	ex->in_op = true;
	exec_op(ex, op);
	if (ex->hook && !ex->at_end)
		ex->hook(ex, ex->opindex, ex->hookctx);
	ex->in_op = false;
	ex->ops_run++;
	if (ex->cfg.verbose && ex->cfg.out && !ex->at_end)
		trace(ex, op);
	ex->opindex++;
}

static exec_status_t finish(exec_t *ex, uint32_t endline)
{
	if (!ex->stop) {
		op_t end = { .code = OP_CHECK, .line = endline, .obj = OBJ_NONE, .obj2 = OBJ_NONE };
		ex->at_end = true;
		step(ex, &end);
		ex->at_end = false;
	}
	return ex->status;
}

static opbin_ctx_t live_ctx(exec_t *ex)
{
	return (opbin_ctx_t){ ex->live, ex->nlive, ex->psize, ex->pptrs };
}

exec_status_t exec_run_program(exec_t *ex, const program_t *prog, opbuf_t *asm_out)
{
	exec_reset(ex, prog);
	ex->binary = false;
	char why[200];
	uint32_t lastline = 0;
	for (size_t i = 0; i < prog->nops && !ex->stop; i++) {
		const op_t *op = &prog->ops[i];
		ex->op = op;
		lastline = op->line;
		if (op->code == OP_ALLOC && (size_t)op->obj != ex->npobj) {
			input_error(ex, "object ids out of order (internal)");
			break;
		}
		const char *w = precheck(ex, op, why, sizeof why);
		if (w) {
			input_error(ex, "%s", w);
			break;
		}
		opbin_ctx_t ctx = live_ctx(ex);
		if (asm_out && !opbin_encode(op, &ctx, asm_out)) {
			input_error(ex, "this op has no binary encoding");
			break;
		}
		step(ex, op);
	}
	return finish(ex, lastline + 1);
}

exec_status_t exec_run_binary(exec_t *ex, const uint8_t *data, size_t n, program_t *record)
{
	static const program_t noname;
	exec_reset(ex, record ? record : &noname);
	ex->binary = true;
	char why[200];
	for (size_t at = 0; at < n && !ex->stop;) {
		opbin_raw_t raw;
		uint32_t here = (uint32_t)at;
		at += opbin_decode(data + at, n - at, here, &raw);
		opbin_ctx_t ctx = live_ctx(ex);
		op_t op;
		if (!opbin_resolve(&raw, &ctx, (int32_t)ex->npobj, &op))
			continue;
		if (precheck(ex, &op, why, sizeof why))
			continue;
		step(ex, &op);
		if (record)
			program_push(record, &op);
	}
	return finish(ex, (uint32_t)n);
}

void exec_set_op_hook(exec_t *ex, exec_op_hook_t fn, void *ctx)
{
	ex->hook = fn;
	ex->hookctx = ctx;
}

heap_t *exec_heap(exec_t *ex, int lane)
{
	return lane >= 0 && lane < ex->nlanes ? ex->lane[lane].h : NULL;
}

void *exec_object(exec_t *ex, int lane, int32_t pid)
{
	if (lane < 0 || lane >= ex->nlanes || pid < 0 || (size_t)pid >= ex->npobj ||
	    ex->p2m[pid] == MODEL_NIL)
		return NULL;
	return (void *)ex->lane[lane].addr[ex->p2m[pid]];
}

int exec_fuzz_one(exec_mode_t mode, const uint8_t *data, size_t n)
{
	static exec_t *ex[EXEC_MODEL_ONLY + 1];
	if (!ex[mode]) {
		exec_config_t cfg = { .mode = mode };
		ex[mode] = exec_new(&cfg);
		if (!ex[mode])
			abort();
	}
	if (exec_run_binary(ex[mode], data, n, NULL) != EXEC_OK) {
		fputs(exec_report(ex[mode]), stderr);
		abort();
	}
	return 0;
}
