/*
 * Op semantics of the collector ops: gc (compare what each heap and the model
 * freed and finalized), runfin (the finalizers each side ran, and their
 * actions) and the expect ops.
 */
#include "harness/exec_internal.h"

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

void op_gc(exec_t *ex)
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
	FOR_LANES(ex, l)   /* every P dropped its tiny block (releaseAll) */
		for (int p = 0; p < ex->cfg.nprocs; p++)
			check_tiny(ex, l, p);
	if (ex->stop)
		return;
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
			check_objects(ex, l);
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

static int32_t pid_of_fn(const exec_t *ex, uintptr_t fn)
{
	size_t pid = (fn >> FIN_SHIFT) - 1;
	return pid < ex->npobj ? (int32_t)pid : -1;
}

AF_NO_COVERAGE static bool has_pid(const int32_t *v, size_t n, int32_t pid)
{
	return n && bsearch(&pid, v, n, sizeof *v, i32_cmp) != NULL;
}

/* Every object live in the model is allocated in the heap, and every one
 * the model freed since the last observation is gone. The one
 * heap_find_object of each live object per check point: a block found at
 * the wrong base or size is check_found's report, and check_objects (called
 * after this) does not look the objects up again. */
AF_NO_COVERAGE static bool objects_agree(exec_t *ex, lane_t *l)
{
	char tmp[24];
	for (size_t i = 0; i < ex->nlive; i++) {
		int32_t mid = ex->p2m[ex->live[i]];
		const model_obj_t *o = mobj(ex, mid);
		void *base;
		size_t es;
		if (o->state != MODEL_LIVE)
			continue;
		if (heap_find_object(l->h, (void *)l->addr[mid], &base, &es) != ALLOC_OK) {
			differ(ex, l, "reachability: %s (@%#lx) is live in the model, the heap freed its block",
			       mname(ex, mid, tmp), rel(l, l->addr[mid]));
			return false;
		}
		if (((uintptr_t)base != l->addr[mid] - o->boff || es != o->elemsize) && !check_found(ex, l, mid))
			return false;
	}
	for (size_t i = 0; i < l->ndead; i++) {
		int32_t mid = l->dead[i];
		void *base;
		size_t es;
		if (heap_find_object(l->h, (void *)l->addr[mid], &base, &es) != ALLOC_OK)
			continue;
		/* (or its address now belongs to a block that is live in the model) */
		int32_t owner = amap_get(&l->map, (uintptr_t)base);
		if (owner != MODEL_NIL && mobj(ex, owner)->boff == 0)
			continue;
		differ(ex, l, "reachability: %s (@%#lx) is dead in the model, the heap still holds "
		       "a block there (elemsize %zu)", mname(ex, mid, tmp), rel(l, l->addr[mid]), es);
		return false;
	}
	return true;
}

/*
 * What the collections decided per object, compared before any count (an
 * observation point, the sweep finished): a reachability bug then names the
 * object it got wrong, however the input reaches it, instead of showing as
 * whichever count (memstats nfree, the queue length) differs first. Every
 * object live in the model is allocated in the heap; every object the model
 * freed since the last observation is gone; the heap's finalizer queue
 * (heap_finq_walk, what is judged) holds a record of an object iff the
 * model's own queue does. The counts are still compared after this.
 * Like check_objects, a judge's walk over every object: no coverage
 * counters (their hit counts grow with the heap and steer the fuzzer to
 * bigger heaps, not to new allocator behaviour; plant
 * tiny_profile_hides_finalizer, 6 seeds: median 2900 executions to the
 * finding with them, 1250 without).
 */
AF_NO_COVERAGE bool check_reachability(exec_t *ex, lane_t *l)
{
	char tmp[24];
	if (!objects_agree(ex, l))
		return false;
	l->ndead = 0;
	l->nfins = 0;
	heap_finq_walk(l->h, heap_fin_cb, l);
	GROW(l->qpids, l->capqpids, l->nfins + 1);
	int32_t *q = l->qpids;
	size_t nq = 0;
	bool ok = true;
	for (size_t i = 0; i < l->nfins && ok; i++) {
		int32_t pid = pid_of_fn(ex, l->fins[i].fn);
		if (pid < 0 || ex->p2m[pid] == MODEL_NIL) {
			differ(ex, l, "reachability: the heap queued fn %#lx on %#lx: no such finalizer was set",
			       (unsigned long)l->fins[i].fn, rel(l, l->fins[i].obj));
			ok = false;
		} else if (!model_is_pending(ex->m, ex->p2m[pid])) {
			differ(ex, l, "reachability: %s is reachable in the model, the heap queued its finalizer",
			       pname(ex, pid, tmp));
			ok = false;
		}
		q[nq++] = pid;
	}
	nq = sort_unique(q, nq);
	for (size_t i = 0; i < ex->nlastfin && ok; i++) {
		int32_t pid = ex->lastfin[i];
		if (model_is_pending(ex->m, ex->p2m[pid]) && !has_pid(q, nq, pid)) {
			differ(ex, l, "reachability: %s is unreachable in the model, the heap did not queue "
			       "its finalizer", pname(ex, pid, tmp));
			ok = false;
		}
	}
	l->nfins = 0;
	return ok;
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

void op_runfin(exec_t *ex)
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

void expect_list(exec_t *ex, const op_t *op)
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
