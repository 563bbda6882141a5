/*
 * fuzz_threads' rounds: decode, choose, run on threads, replay on the model.
 * See harness/OPS.md, "Threads", for the rules this file enforces.
 *
 * A round is built single-threaded in program order. Each op is resolved
 * against the view of its P: the objects live when the round began that no
 * other P claimed, plus the P's own allocations of this round. An op on an
 * object claims it for its P (free, store into it, setfin, clearfin); a root
 * slot is claimed by the first P that sets it; an object stored as a pointer
 * may not be freed this round, nor one referenced when the round began.
 * Under these rules no op's answer depends on what other Ps do meanwhile, so
 * the model, replaying the round in program order, predicts each answer.
 */
#include "harness/threads.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum pat_mode { PAT_ZERO, PAT_CHECK, PAT_FILL };
static size_t pattern_op(th_t *t, int32_t id, enum pat_mode mode);

/* ---- worker threads (one per P index, started once per process) ---- */

static struct {
	pthread_barrier_t start, done;
	th_t *t;
	bool up;
} pool;

static void run_op(th_t *t, th_op_t *r)
{
	const op_t *op = &r->op;
	th_obj_t *o = op->obj >= 0 ? &t->obj[op->obj] : NULL;
	uintptr_t target = op->obj2 >= 0 ? t->obj[op->obj2].addr + op->off2 : 0;

	switch ((op_code_t)op->code) {
	case OP_ALLOC: {
		void *x = NULL;
		r->err = heap_alloc(t->h, r->p, op->a, op->b, r->stack, &x);
		if (r->err != ALLOC_OK)
			break;
		r->addr = (uintptr_t)x;
		if (!o)
			break;   /* the model says BADARG */
		o->addr = r->addr;
		if (x == heap_zerobase(t->h))
			break;
		r->bad = pattern_op(t, op->obj, PAT_ZERO);
		pattern_op(t, op->obj, PAT_FILL);
		break;
	}
	case OP_FREE:
		r->err = heap_free(t->h, r->p, (void *)o->addr);
		break;
	case OP_STORE:
		((uintptr_t *)o->addr)[op->a] = target;
		break;
	case OP_ROOT:
		heap_roots(t->h)[op->a] = target;
		break;
	case OP_SETFIN:
	case OP_CLEARFIN:
		r->err = heap_setfinalizer(t->h, (void *)(o->addr + op->off), o->size, o->ptrs, r->fn);
		break;
	case OP_SCAVENGE:
		heap_scavenge(t->h);
		break;
	default:
		break;
	}
}

static void *worker(void *arg)
{
	int p = (int)(intptr_t)arg;
	for (;;) {
		pthread_barrier_wait(&pool.start);
		th_t *t = pool.t;
		for (size_t i = 0; i < t->nround; i++)
			if (t->round[i].p == p)
				run_op(t, &t->round[i]);
		pthread_barrier_wait(&pool.done);
	}
	return NULL;
}

/* Started on first use, not at load: AFL++'s fork server forks before the
 * first input, and threads do not survive a fork. */
static void pool_start(void)
{
	if (pool.up)
		return;
	if (pthread_barrier_init(&pool.start, NULL, TH_NPROCS + 1) ||
	    pthread_barrier_init(&pool.done, NULL, TH_NPROCS + 1))
		abort();
	for (int p = 0; p < TH_NPROCS; p++) {
		pthread_t tid;
		if (pthread_create(&tid, NULL, worker, (void *)(intptr_t)p))
			abort();
		pthread_detach(tid);
	}
	pool.up = true;
}

/* ---- object memory: zero at allocation, then a pattern ---- */

static inline uint64_t pat(int32_t id, size_t w)
{
	uint64_t x = (uint64_t)(id + 1) << 20 ^ w;
	x *= 0xbf58476d1ce4e5b9ull;
	return (x ^ x >> 29) | 0x8080808080808080ull;
}

/* Bytes [ptrs*8, size) of an object: checked against zero (at allocation)
 * or the pattern, or filled. Objects over 16 KiB in samples: the first and
 * last 2 KiB and a word every 4 KiB + 8 (whole pages are what the heap
 * zeroes or reuses). Returns 1 + the first bad byte, or 0. */
static size_t pattern_op(th_t *t, int32_t id, enum pat_mode mode)
{
	const th_obj_t *o = &t->obj[id];
	uint8_t *p = (uint8_t *)o->addr;
	size_t n = o->size;
	for (size_t i = o->ptrs * 8; i < n;) {
		size_t k = i % 8;
		uint8_t want = mode == PAT_ZERO ? 0 : (uint8_t)(pat(id, i / 8) >> (8 * k));
		if (mode == PAT_FILL)
			p[i] = want;
		else if (p[i] != want)
			return i + 1;
		bool sampled = n > 16384 && i >= 2048 && i + 2048 + 4096 < n;
		i += sampled && k == 7 ? 4096 + 1 : 1;
	}
	return 0;
}

size_t th_pattern_bad(th_t *t, int32_t id)
{
	if (t->obj[id].addr == (uintptr_t)heap_zerobase(t->h))
		return 0;
	return pattern_op(t, id, PAT_CHECK);
}

/* ---- heaps and models, one per config ---- */

static void throw_hook(heap_t *h, const char *msg, void *ctx)
{
	(void)h;
	th_fail(ctx, "THROW: %s", msg);
}

/* The harness writes only inside its objects (patterns and pointer
 * stores, from the worker threads); the allocator writes only zeros. Logged
 * here, single-threaded between inputs, heap_reset zeroes exactly that, so
 * every input starts on a fresh heap's pages: a missing-needzero finding
 * does not depend on the inputs before it. */
static void note_writes(th_t *t)
{
	uintptr_t zero = (uintptr_t)heap_zerobase(t->h);
	for (size_t id = 0; id < t->nobjs; id++) {
		const th_obj_t *o = &t->obj[id];
		if (o->addr && o->addr != zero && o->size)
			heap_note_write(t->h, (void *)o->addr, o->size);
	}
}

th_t *th_get(uint8_t config)
{
	static th_t *cache[16];
	unsigned k = ((config & 3) % 3) | (config & 0xc);
	th_t *t = cache[k];
	pool_start();
	if (!t) {
		t = calloc(1, sizeof *t);
		if (!t)
			abort();
		t->cfg = (heap_config_t){ .cap_bytes = TH_CAP, .nprocs = 2 + (int)(k & 3),
		                          .sweep = (config >> 2) & 1 ? HEAP_SWEEP_LAZY : HEAP_SWEEP_EAGER,
		                          .specials = (config >> 3) & 1 ? HEAP_SPECIALS_LEGACY : HEAP_SPECIALS_SPAN,
		                          .throw_hook = throw_hook, .throw_ctx = t,
		                          .log_writes = true };
		if (heap_new(&t->cfg, &t->h) != ALLOC_OK || model_new(&t->cfg, NULL, &t->m) != ALLOC_OK) {
			fprintf(stderr, "fuzz_threads: cannot create the heap or the model\n");
			abort();
		}
		program_init(&t->rec);
		cache[k] = t;
	} else {
		note_writes(t);
		heap_reset(t->h);
		model_reset(t->m);
		program_free(&t->rec);
		program_init(&t->rec);
	}
	t->arena = (uintptr_t)heap_zerobase(t->h);
	t->nobjs = t->nround = t->ngone = 0;
	t->rounds = 0;
	t->budget = TH_BUDGET;
	t->curp = 0;
	memset(t->stack, 0, sizeof t->stack);
	return t;
}

/* ---- building a round ---- */

static void round_begin(th_t *t)
{
	t->nround = 0;
	for (size_t id = 0; id < t->nobjs; id++) {
		t->obj[id].owner = -1;
		t->obj[id].freed = !model_is_live(t->m, (int32_t)id);
		t->obj[id].target = false;
		t->obj[id].refs = 0;
	}
	for (int s = 0; s < HEAP_NROOTS; s++) {
		model_ref_t r = model_root_get(t->m, s);
		if (r.id != MODEL_NIL)
			t->obj[r.id].refs++;
		t->rootowner[s] = -1;
	}
	for (size_t id = 0; id < t->nobjs; id++) {
		const model_obj_t *o = model_obj(t->m, (int32_t)id);
		if (o->state == MODEL_LIVE)
			for (size_t i = 0; i < o->ptrwords; i++)
				if (o->slots[i].id != MODEL_NIL)
					t->obj[o->slots[i].id].refs++;
	}
}

/* P's view: unclaimed or P's own objects not freed this round, ascending. */
static opbin_ctx_t view(th_t *t, int p)
{
	size_t n = 0;
	for (size_t id = 0; id < t->nobjs; id++) {
		const th_obj_t *o = &t->obj[id];
		if (!o->freed && (o->owner == -1 || o->owner == p))
			t->view[n++] = (int32_t)id;
	}
	uint64_t ptrs_used = 0;   /* the decoder's per-program pointer-word bound */
	for (size_t id = 0; id < t->nobjs; id++) {
		t->vsize[id] = t->obj[id].size;
		t->vptrs[id] = t->obj[id].ptrs;
		ptrs_used += t->obj[id].ptrs;
	}
	return (opbin_ctx_t){ t->view, n, t->vsize, t->vptrs, ptrs_used, 0 };  /* no double free here */
}

/* Bytes an allocation may cost the heap: its block, at least a page. */
static size_t charge(const th_t *t, uint64_t size)
{
	size_t b = size > 32768 ? (size + 8191) & ~(size_t)8191 : model_roundup(t->m, size);
	return b < 8192 ? 8192 : b;
}

static void record(th_t *t, const op_t *op)
{
	program_push(&t->rec, op);   /* no names: objects print as h<id> */
}

/* Resolves raw for the current P and appends it to the round, or drops it
 * (returns false) when the rules of the file comment forbid it. */
static bool push(th_t *t, const opbin_raw_t *raw)
{
	int p = t->curp;
	opbin_ctx_t ctx = view(t, p);
	th_op_t r = { .p = (uint8_t)p };
	op_t *op = &r.op;
	int32_t newid = (int32_t)t->nobjs;
	if (!opbin_resolve(raw, &ctx, newid, op))
		return false;
	th_obj_t *o = op->obj >= 0 && op->code != OP_ALLOC ? &t->obj[op->obj] : NULL;
	switch ((op_code_t)op->code) {
	case OP_ALLOC:
		if (op->b * 8 > op->a) {
			op->obj = OBJ_NONE;   /* BADARG: no object */
			break;
		}
		if (t->nobjs == TH_MAXOBJS || (op->a && charge(t, op->a) > t->budget))
			return false;
		if (op->a)
			t->budget -= charge(t, op->a);
		t->obj[newid] = (th_obj_t){ 0, op->a, op->b, (int8_t)p, false, false, 0 };
		t->nobjs++;
		r.stack = t->stack[p];
		break;
	case OP_FREE:
		if (o->target || o->refs)
			return false;
		o->freed = true;
		o->owner = (int8_t)p;
		break;
	case OP_STORE:
	case OP_ROOT:
		if (op->code == OP_ROOT) {
			if (t->rootowner[op->a] != -1 && t->rootowner[op->a] != p)
				return false;
			t->rootowner[op->a] = (int8_t)p;
		} else {
			o->owner = (int8_t)p;
		}
		if (op->obj2 >= 0)
			t->obj[op->obj2].target = true;
		break;
	case OP_SETFIN:
		o->owner = (int8_t)p;
		r.fn = th_fn(op->obj, (uint32_t)op->off, op->action, (unsigned)op->a);
		break;
	case OP_CLEARFIN:
		o->owner = (int8_t)p;
		break;
	default:
		break;
	}
	t->round[t->nround++] = r;
	record(t, op);
	return true;
}

/* ---- running a round and replaying it on the model ---- */

void th_note_gone(th_t *t, int32_t id)
{
	if (t->ngone < TH_MAXOBJS)
		t->gone[t->ngone++] = id;
}

static void differ(th_t *t, const th_op_t *r, const char *what, alloc_err_t want, alloc_err_t alt)
{
	char line[200];
	op_format(&t->rec, &r->op, line, sizeof line);
	th_fail(t, "P%d: %s: %s returned %s, the model says %s%s%s", r->p, line, what,
	        alloc_errname(r->err), alloc_errname(want), alt != want ? " or " : "",
	        alt != want ? alloc_errname(alt) : "");
}

static void replay_alloc(th_t *t, const th_op_t *r)
{
	const op_t *op = &r->op;
	model_alloc_t pred;
	char line[200];
	model_alloc_predict(t->m, r->p, op->a, op->b, &pred);
	bool nomem_ok = pred.err == ALLOC_ERR_NOMEM || (pred.err == ALLOC_OK && pred.may_nomem);
	if (r->err != pred.err && !(r->err == ALLOC_ERR_NOMEM && nomem_ok))
		differ(t, r, "heap_alloc", pred.err, pred.err);
	if (r->err != ALLOC_OK)
		return;
	int32_t id = model_alloc(t->m, r->p, op->a, op->b, r->stack, &pred);
	op_format(&t->rec, op, line, sizeof line);
	if (id != op->obj)
		th_fail(t, "P%d: %s: the model numbered it h%d (harness bug)", r->p, line, id);
	uintptr_t a = r->addr;
	if (pred.zerobase ? a != (uintptr_t)heap_zerobase(t->h) : a % pred.align != 0)
		th_fail(t, "P%d: %s: address arena+%#lx, the model wants %s %zu", r->p, line,
		        (unsigned long)(a - t->arena), pred.zerobase ? "the zero base, size" : "alignment",
		        pred.zerobase ? (size_t)0 : pred.align);
	if (pred.tiny && a != t->obj[pred.tiny_block].addr + pred.tiny_off)
		th_fail(t, "P%d: %s: tiny object at arena+%#lx, the model puts it at h%d+%u", r->p, line,
		        (unsigned long)(a - t->arena), pred.tiny_block, pred.tiny_off);
	if (r->bad)
		th_fail(t, "P%d: %s: byte %zu of the new object is not zero", r->p, line, r->bad - 1);
}

void th_setfin(th_t *t, int32_t id, uint32_t off, uintptr_t fn)
{
	const th_obj_t *o = &t->obj[id];
	model_err_t me = model_setfin(t->m, id, off, o->size, o->ptrs, fn);
	alloc_err_t e = heap_setfinalizer(t->h, (void *)(o->addr + off), o->size, o->ptrs, fn);
	if (e != me.err && e != me.alt)
		th_fail(t, "runfin: refin of h%d+%u returned %s, the model says %s", id, off,
		        alloc_errname(e), alloc_errname(me.err));
}

static void replay(th_t *t, const th_op_t *r)
{
	const op_t *op = &r->op;
	const th_obj_t *o = op->obj >= 0 ? &t->obj[op->obj] : NULL;
	model_ref_t target = { op->obj2 >= 0 ? op->obj2 : MODEL_NIL, (uint32_t)op->off2 };
	model_err_t me;
	switch ((op_code_t)op->code) {
	case OP_ALLOC:
		replay_alloc(t, r);
		break;
	case OP_FREE:
		me = model_free(t->m, op->obj, 0);
		if (me.stale || (r->err != me.err && r->err != me.alt))
			differ(t, r, "heap_free", me.err, me.alt);
		if (r->err == ALLOC_OK)
			th_note_gone(t, op->obj);
		break;
	case OP_STORE:
		if (!model_store(t->m, op->obj, op->a, target))
			th_fail(t, "P%d: store into h%d refused by the model (harness bug)", r->p, op->obj);
		break;
	case OP_ROOT:
		if (!model_root(t->m, (int)op->a, target))
			th_fail(t, "P%d: root %d refused by the model (harness bug)", r->p, (int)op->a);
		break;
	case OP_SETFIN:
	case OP_CLEARFIN:
		me = model_setfin(t->m, op->obj, (uint32_t)op->off, o->size, o->ptrs, r->fn);
		if (me.stale || (r->err != me.err && r->err != me.alt))
			differ(t, r, "heap_setfinalizer", me.err, me.alt);
		break;
	default:
		break;
	}
}

static void round_run(th_t *t)
{
	if (t->nround) {
		pool.t = t;
		pthread_barrier_wait(&pool.start);
		pthread_barrier_wait(&pool.done);
		for (size_t i = 0; i < t->nround; i++)
			replay(t, &t->round[i]);
	}
	t->rounds++;
}

static bool is_barrier(op_code_t c)
{
	return c == OP_GC || c == OP_SWEEP || c == OP_RUNFIN || c == OP_CHECK || c == OP_PROFRATE;
}

void th_run(th_t *t, const uint8_t *data, size_t n)
{
	round_begin(t);
	opbin_iter_t it;
	opbin_raw_t raw;
	opbin_iter_init(&it, data, n, 1);
	while (t->rounds < TH_MAXROUNDS && opbin_next(&it, &raw)) {
		op_t op = { .code = raw.code, .a = raw.a, .obj = OBJ_NONE, .obj2 = OBJ_NONE };
		switch ((op_code_t)raw.code) {
		case OP_PROC:
			t->curp = (int)(raw.a % (uint64_t)t->cfg.nprocs);
			op.a = (uint64_t)t->curp;
			record(t, &op);
			break;
		case OP_STACK:
			t->stack[t->curp] = (uint32_t)raw.a;
			record(t, &op);
			break;
		default:
			if (is_barrier((op_code_t)raw.code)) {
				round_run(t);
				record(t, &op);
				th_barrier(t, &op);
				round_begin(t);
				break;
			}
			if (t->nround == TH_ROUND_OPS) {
				round_run(t);
				round_begin(t);
			}
			push(t, &raw);
			break;
		}
	}
	round_run(t);
	th_finish(t);
}

void th_print_tail(const th_t *t, FILE *out)
{
	size_t from = t->rec.nops > 60 ? t->rec.nops - 60 : 0;
	char line[200];
	fprintf(out, "last %zu ops (objects are model ids; `proc` switches the stream; "
	        "gc/sweep/runfin/check/profrate are barriers):\n", t->rec.nops - from);
	for (size_t i = from; i < t->rec.nops; i++) {
		op_format(&t->rec, &t->rec.ops[i], line, sizeof line);
		fprintf(out, "  %s\n", line);
	}
}
