/*
 * Op semantics: what each op does on every heap lane and on the model, and
 * the checks made right after it (harness/OPS.md says what each op means).
 * gc, runfin and the expect ops are in exec_gc.c.
 */
#include "harness/exec_internal.h"

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
		for (int i = 0; i < ex->nlanes; i++)   /* lanes' addr arrays have capm entries */
			ex->lane[i].addr = xrealloc(ex->lane[i].addr, cap * sizeof *ex->lane[i].addr);
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
void note_death(exec_t *ex, int32_t mid, bool by_gc)
{
	const model_obj_t *o = mobj(ex, mid);
	for (size_t w = 0, seen = 0; seen < o->nset; w++)
		if (o->slots[w].id != MODEL_NIL)
			seen++, ref_dec(ex, o->slots[w]);
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

void live_filter(exec_t *ex)
{
	size_t k = 0;
	for (size_t i = 0; i < ex->nlive; i++)
		if (is_live_mid(ex, ex->p2m[ex->live[i]]))
			ex->live[k++] = ex->live[i];
	ex->nlive = k;
}

uintptr_t fin_fn(int32_t pid, fin_action_t act, uint64_t slot)
{
	return ((uintptr_t)pid + 1) << FIN_SHIFT | (uintptr_t)act << 6 | (uintptr_t)(slot & 63);
}

static bool err_ok(alloc_err_t got, model_err_t me)
{
	/* an inexact prediction only ever chooses between two errors */
	return got == me.err || (got == me.alt && me.err != ALLOC_OK && me.alt != ALLOC_OK);
}

/* ---- the ops ---- */

/* Run: heap_alloc on every lane, each error against the prediction. True if
 * every lane allocated (ex->last_err is ALLOC_OK); false if they all failed
 * as predicted (last_err says how), differed, or lockstep ended. */
static bool alloc_run(exec_t *ex, const op_t *op, const model_alloc_t *pred, void *ptr[2])
{
	int nok = 0, nnomem = 0, nrun = 0;
	FOR_LANES(ex, l) {
		alloc_err_t e = heap_alloc(l->h, ex->proc, op->a, op->b, ex->stack, &ptr[lane_index(ex, l)]);
		nrun++;
		if (e == ALLOC_ERR_NOMEM && (pred->err == ALLOC_ERR_NOMEM || (pred->err == ALLOC_OK && pred->may_nomem)))
			nnomem++;
		else if (e != pred->err)
			differ(ex, l, "heap_alloc(P%d, %llu, ptrs=%llu) returned %s, the model predicts %s",
			       ex->proc, (unsigned long long)op->a, (unsigned long long)op->b,
			       alloc_errname(e), alloc_errname(pred->err));
		else if (e == ALLOC_OK)
			nok++;
	}
	if (ex->stop)
		return false;
	if (nok && nnomem) {
		/* Eager and lazy heaps free spans in different orders, so near the
		 * cap their page heaps may fit a large object differently: whether
		 * it fits is not an observable the modes must share (DECISIONS), and
		 * the model allows either answer here (may_nomem). The heaps no
		 * longer hold the same objects, so lockstep ends: the run stops
		 * without a difference. Span and legacy heaps must agree exactly. */
		if (ex->cfg.mode == EXEC_TWIN_SWEEP && pred->may_nomem) {
			snprintf(ex->res, sizeof ex->res, "NOMEM in one heap only (allowed): lockstep ends");
			ex->stop = true;
			return false;
		}
		differ(ex, &ex->lane[1], "the heaps disagree: one allocated, the other said NOMEM");
		return false;
	}
	ex->last_err = nrun ? (nnomem ? ALLOC_ERR_NOMEM : pred->err) : pred->err;
	if (ex->last_err != ALLOC_OK) {
		snprintf(ex->res, sizeof ex->res, "%s", alloc_errname(ex->last_err));
		return false;
	}
	return true;
}

/* Verify: the new object's address in lane l is one the model allows (zero
 * base, alignment, the tiny block's next offset, no live object there), the
 * heap finds it, and its memory is zero; then it is filled with its pattern. */
static void alloc_verify(exec_t *ex, lane_t *l, int32_t pid, int32_t mid, const model_alloc_t *out,
                         uint64_t size, uint64_t ptrs)
{
	char tmp[24];
	uintptr_t a = l->addr[mid];
	if (out->zerobase) {
		if (a != (uintptr_t)heap_zerobase(l->h))
			differ(ex, l, "alloc of 0 bytes returned %#lx, not the zero base", rel(l, a));
		return;
	}
	if (a % out->align) {
		differ(ex, l, "%s at %#lx is not %zu-aligned", pname(ex, pid, tmp), rel(l, a), out->align);
		return;
	}
	if (out->tiny && a != l->addr[out->tiny_block] + out->tiny_off) {
		differ(ex, l, "tiny %s at %#lx, the model expects block %s + %u = %#lx",
		       pname(ex, pid, tmp), rel(l, a), mname(ex, out->tiny_block, tmp), out->tiny_off,
		       rel(l, l->addr[out->tiny_block] + out->tiny_off));
		return;
	}
	int32_t other = amap_get(&l->map, a);
	if (other != MODEL_NIL) {
		differ(ex, l, "%s was given %#lx, the address of live object %s",
		       pname(ex, pid, tmp), rel(l, a), mname(ex, other, tmp));
		return;
	}
	if (!check_found(ex, l, mid))
		return;
	uint8_t *p = (uint8_t *)a;
	size_t from = ptrs * OP_WORD_BYTES, nz = walk(l->h, p, mid, 0, from, W_ZERO);
	if (nz == from)   /* the pattern goes where the zero check passed */
		nz = walk(l->h, p, mid, from, size, W_ZERO_FILL);
	if (nz != size) {
		differ(ex, l, "byte %zu of new %s (%llu bytes) is %#x, not zero", nz,
		       pname(ex, pid, tmp), (unsigned long long)size, p[nz]);
		return;
	}
	amap_put(&l->map, a, mid);
}

/* Span and legacy heaps place every object at the same arena offset; the
 * op's result for -v. */
static void alloc_result(exec_t *ex, int32_t pid, const model_alloc_t *out, void *ptr[2])
{
	char tmp[24];
	if (ex->cfg.mode == EXEC_TWIN_SPECIALS && !ex->stop && !ex->lane[0].broken && !ex->lane[1].broken &&
	    !out->zerobase && rel(&ex->lane[0], (uintptr_t)ptr[0]) != rel(&ex->lane[1], (uintptr_t)ptr[1]))
		differ(ex, &ex->lane[1], "%s is at %#lx in the span heap but at %#lx in the legacy heap",
		       pname(ex, pid, tmp), rel(&ex->lane[0], (uintptr_t)ptr[0]),
		       rel(&ex->lane[1], (uintptr_t)ptr[1]));
	if (out->zerobase)
		snprintf(ex->res, sizeof ex->res, "OK zerobase");
	else if (ex->nlanes)
		snprintf(ex->res, sizeof ex->res, "OK @%#lx elemsize %zu%s", rel(&ex->lane[0], (uintptr_t)ptr[0]),
		         out->elemsize, out->tiny ? " tiny" : "");
	else
		snprintf(ex->res, sizeof ex->res, "OK elemsize %zu%s", out->elemsize, out->tiny ? " tiny" : "");
}

/* alloc: predict (the model says which errors and placements are allowed),
 * run (every heap), verify (each heap's object against the model's). */
static void op_alloc(exec_t *ex, const op_t *op)
{
	int32_t pid = new_pobj(ex, op->a, op->b);
	model_alloc_t pred;
	model_alloc_predict(ex->m, ex->proc, op->a, op->b, &pred);
	void *ptr[2] = { 0, 0 };
	if (!alloc_run(ex, op, &pred, ptr))
		return;
	model_alloc_t out;
	int32_t mid = model_alloc(ex->m, ex->proc, op->a, op->b, ex->stack, &out);
	if (mid == MODEL_NIL) {
		differ(ex, NULL, "model_alloc refused an allocation its prediction allowed");
		return;
	}
	new_mobj(ex, pid, mid);
	const model_obj_t *o = mobj(ex, mid);
	FOR_LANES(ex, l) {
		l->addr[mid] = (uintptr_t)ptr[lane_index(ex, l)];
		if (!out.zerobase)   /* the block the heap zeroed and the executor fills */
			note_fresh(l, l->addr[mid] - o->boff, l->addr[mid] - o->boff + o->elemsize);
		alloc_verify(ex, l, pid, mid, &out, op->a, op->b);
	}
	if (out.tiny) {
		FOR_LANES(ex, l)
			check_tiny(ex, l, ex->proc);
	}
	alloc_result(ex, pid, &out, ptr);
}

static void op_free(exec_t *ex, const op_t *op)
{
	int32_t mid = ex->p2m[op->obj];
	model_err_t me = model_free(ex->m, mid, 0);
	int p = ex->proc < ex->cfg.nprocs ? ex->proc : 0;
	char tmp[24];
	if (me.err != ALLOC_OK) {
		snprintf(ex->refusing, sizeof ex->refusing, "heap_free(%s)", pname(ex, op->obj, tmp));
		ex->refuse_err = me.err;
	}
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
	ex->refusing[0] = 0;
	ex->last_err = me.err;
	if (me.err == ALLOC_OK) {
		note_death(ex, mid, false);
		live_filter(ex);
		ex->freed_last = op->obj + 1;
	}
	snprintf(ex->res, sizeof ex->res, "%s", alloc_errname(me.err));
}

void set_fin(exec_t *ex, int32_t mid, uint64_t off, uintptr_t fn)
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

void set_root(exec_t *ex, uint64_t slot, model_ref_t r)
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
		void *slot = (void *)(l->addr[mid] + op->a * OP_WORD_BYTES);
		memcpy(slot, &v, sizeof v);
		heap_note_write(l->h, slot, sizeof v);
	}
	ref_dec(ex, old);
	ref_inc(ex, r);
}

/* sweep N: up to N spans in each heap (fewer when none is left); sweep 0:
 * finish the sweep. */
static void op_sweep(exec_t *ex, const op_t *op)
{
	FOR_LANES(ex, l) {
		if (op->a == 0)
			heap_finish_sweep(l->h);
		else
			for (uint64_t swept = 0; swept < op->a && heap_sweepone(l->h); swept++)
				;
	}
}

/* Runs one resolved op (validated: every object it names is live). */
void exec_op(exec_t *ex, const op_t *op)
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
	case OP_SWEEP:
		op_sweep(ex, op);
		ex->last_err = ALLOC_OK;
		break;
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
		FOR_LANES(ex, l) {
			heap_scavenge(l->h);
			check_released(ex, l);
		}
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
const char *precheck(exec_t *ex, const op_t *op, char *why, size_t n)
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
		/* A double free (the object freed last, nothing allocated since):
		 * the model predicts NOT_ALLOCATED, or NOT_IN_HEAP if its span went
		 * back to the page heap. Any other dead object may share its slot
		 * with a newer one: no answer is predictable. */
		if (!is_live_mid(ex, ex->p2m[objs[i]]) &&
		    !(op->code == OP_FREE && objs[i] + 1 == ex->freed_last &&
		      !model_free(ex->m, ex->p2m[objs[i]], 0).stale)) {
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
