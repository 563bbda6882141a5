/*
 * fuzz_threads' stopped world: the barrier ops (gc, sweep, runfin, check,
 * profrate) and the checks that run there, single-threaded, after the model
 * replayed the round (threads_run.c). See harness/OPS.md, "Threads".
 */
#include "harness/threads.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void th_fail(th_t *t, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "fuzz_threads: round %u: ", t->rounds);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	th_print_tail(t, stderr);
	fflush(stderr);
	abort();
}

/* ---- checks that need a stopped world ---- */

/* Live blocks sorted by address: none overlaps the next. */
static int cmp_block(const void *a, const void *b)
{
	const th_block_t *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void check_memory(th_t *t, bool swept)
{
	size_t nb = 0, nobjs = model_nobjs(t->m);
	for (int32_t id = 0; id < (int32_t)nobjs; id++) {
		const model_obj_t *o = model_obj(t->m, id);
		if (o->state != MODEL_LIVE)
			continue;
		uintptr_t a = t->obj[id].addr;
		size_t bad = th_pattern_bad(t, id);
		if (bad)
			th_fail(t, "check: byte %zu of h%d (%zu bytes at arena+%#lx) lost its pattern",
			        bad - 1, id, o->size, (unsigned long)(a - t->arena));
		for (size_t i = 0; i < o->ptrwords; i++) {
			model_ref_t r = o->slots[i];
			uintptr_t want = r.id == MODEL_NIL ? 0 : t->obj[r.id].addr + r.off;
			uintptr_t got = ((const uintptr_t *)a)[i];
			if (got != want)
				th_fail(t, "check: pointer slot %zu of h%d holds %#lx, the model says %#lx",
				        i, id, (unsigned long)got, (unsigned long)want);
		}
		if (o->block != id)
			continue;   /* a tiny sub-object: its block is checked as the owner */
		t->blocks[nb++] = (th_block_t){ a, o->elemsize, id };
		if (!swept)
			continue;
		void *base = NULL;
		size_t es = 0;
		alloc_err_t e = heap_find_object(t->h, (void *)a, &base, &es);
		if (e != ALLOC_OK || (uintptr_t)base != a || es != o->elemsize)
			th_fail(t, "check: heap_find_object(h%d) = %s, base arena+%#lx, elemsize %zu; "
			        "the model says OK, arena+%#lx, %zu", id, alloc_errname(e),
			        (unsigned long)((uintptr_t)base - t->arena), es,
			        (unsigned long)(a - t->arena), o->elemsize);
	}
	qsort(t->blocks, nb, sizeof t->blocks[0], cmp_block);
	for (size_t i = 1; i < nb; i++)
		if (t->blocks[i - 1].addr + t->blocks[i - 1].size > t->blocks[i].addr)
			th_fail(t, "check: live blocks h%d and h%d overlap (arena+%#lx, %zu bytes; arena+%#lx)",
			        t->blocks[i - 1].id, t->blocks[i].id,
			        (unsigned long)(t->blocks[i - 1].addr - t->arena), t->blocks[i - 1].size,
			        (unsigned long)(t->blocks[i].addr - t->arena));
	if (!swept)
		return;
	/* Freed since the last full check: gone, or the start of a live block. */
	for (size_t i = 0; i < t->ngone; i++) {
		int32_t id = t->gone[i];
		uintptr_t a = t->obj[id].addr;
		void *base = NULL;
		if (heap_find_object(t->h, (void *)a, &base, NULL) != ALLOC_OK || (uintptr_t)base != a)
			continue;
		th_block_t key = { a, 0, 0 };
		if (!bsearch(&key, t->blocks, nb, sizeof key, cmp_block))
			th_fail(t, "check: h%d was freed but the heap still has an object at arena+%#lx",
			        id, (unsigned long)(a - t->arena));
	}
	t->ngone = 0;
}

static void collect_bucket(const heap_bucket_t *b, void *ctx)
{
	th_t *t = ctx;
	if (t->nbuckets < TH_MAXBUCKETS)
		t->buckets[t->nbuckets] = *b;
	t->nbuckets++;
}

/* heap_check, memory and objects; swept (the sweep is finished, or eager):
 * also every object the heap finds, memstats, the profile, the queue. */
static void check_all(th_t *t, bool swept)
{
	heap_check_report_t rep;
	if (heap_check(t->h, &rep) != ALLOC_OK)
		th_fail(t, "heap_check: %s: %s", rep.invariant, rep.detail);
	check_memory(t, swept);
	if (!swept)
		return;
	char why[256];
	heap_stats_t st;
	heap_read_stats(t->h, &st);
	if (!model_check_stats(t->m, &st, why, sizeof why))
		th_fail(t, "memstats: %s", why);
	t->nbuckets = 0;
	heap_profile(t->h, collect_bucket, t);
	if (t->nbuckets > TH_MAXBUCKETS)
		th_fail(t, "heap profile: %zu buckets (the harness keeps %d)", t->nbuckets, TH_MAXBUCKETS);
	if (!model_check_profile(t->m, t->buckets, t->nbuckets, why, sizeof why))
		th_fail(t, "heap profile: %s", why);
	if (heap_finq_len(t->h) != model_finq_len(t->m))
		th_fail(t, "finalizer queue: %zu records, the model says %zu",
		        heap_finq_len(t->h), model_finq_len(t->m));
}

static bool lazy(const th_t *t) { return t->cfg.sweep == HEAP_SWEEP_LAZY; }

void th_finish(th_t *t)
{
	heap_finish_sweep(t->h);
	check_all(t, true);
}

/* ---- runfin: both sides in ascending (object, offset) order ---- */

static int cmp_fin(const void *a, const void *b)
{
	const th_fin_t *x = a, *y = b;
	return x->fn < y->fn ? -1 : x->fn > y->fn;
}

static void heap_fin_collect(heap_t *h, void *obj, uintptr_t fn, void *ctx)
{
	th_t *t = ctx;
	(void)h;
	if (t->nhfin == TH_MAXFINS)
		th_fail(t, "runfin: more than %d finalizers", TH_MAXFINS);
	t->hfin[t->nhfin++] = (th_fin_t){ fn, (uintptr_t)obj };
}

static void model_fin_collect(model_t *m, const model_fin_t *rec, void *ctx)
{
	th_t *t = ctx;
	(void)m;
	if (t->nmfin == TH_MAXFINS)
		th_fail(t, "runfin: the model ran more than %d finalizers", TH_MAXFINS);
	t->mfin[t->nmfin++] = (th_fin_t){ rec->fn, t->obj[rec->id].addr + rec->off };
}

static void barrier_runfin(th_t *t)
{
	t->nhfin = t->nmfin = 0;
	heap_runfinalizers(t->h, heap_fin_collect, t);
	model_runfin(t->m, model_fin_collect, t);
	qsort(t->hfin, t->nhfin, sizeof t->hfin[0], cmp_fin);
	if (t->nhfin != t->nmfin)
		th_fail(t, "runfin: the heap ran %zu finalizers, the model %zu", t->nhfin, t->nmfin);
	for (size_t i = 0; i < t->nhfin; i++) {
		th_fin_t f = t->hfin[i];
		if (f.fn != t->mfin[i].fn || f.obj != t->mfin[i].obj)
			th_fail(t, "runfin: record %zu is fn %#lx on arena+%#lx, the model says fn %#lx on arena+%#lx",
			        i, (unsigned long)f.fn, (unsigned long)(f.obj - t->arena),
			        (unsigned long)t->mfin[i].fn, (unsigned long)(t->mfin[i].obj - t->arena));
		int32_t id = th_fn_obj(f.fn);
		uint32_t off = th_fn_off(f.fn);
		switch (th_fn_action(f.fn)) {
		case FIN_RESURRECT: {
			unsigned slot = th_fn_slot(f.fn);
			heap_roots(t->h)[slot] = f.obj;
			model_root(t->m, (int)slot, (model_ref_t){ id, off });
			break;
		}
		case FIN_REFIN:
			th_setfin(t, id, off, th_fn(id, off, FIN_KEEP, 0));
			break;
		default:
			break;
		}
	}
	check_all(t, true);
}

/* ---- the barrier ops ---- */

void th_barrier(th_t *t, const op_t *op)
{
	model_gc_result_t res;
	switch ((op_code_t)op->code) {
	case OP_GC:
		if (lazy(t))
			th_finish(t);   /* the last cycle's frees are all visible now */
		if (heap_gc(t->h) != ALLOC_OK)
			th_fail(t, "gc: heap_gc failed");
		model_gc(t->m, &res);
		if (res.dangling)
			th_fail(t, "gc: the model found %zu dangling pointers (a harness bug: "
			        "threads_resolve.c frees only unreferenced objects)", res.dangling);
		for (size_t i = 0; i < res.nfreed; i++)
			th_note_gone(t, res.freed[i]);
		check_all(t, !lazy(t));
		break;
	case OP_SWEEP:
		if (op->a == 0)
			heap_finish_sweep(t->h);
		for (uint64_t i = 0; i < op->a && heap_sweepone(t->h); i++)
			;
		check_all(t, false);
		break;
	case OP_RUNFIN:
		barrier_runfin(t);
		break;
	case OP_CHECK:
		check_all(t, !lazy(t));
		break;
	case OP_PROFRATE:
		heap_set_profrate(t->h, (int64_t)op->a);
		model_set_profrate(t->m, (int64_t)op->a);
		break;
	default:
		th_fail(t, "op code %u is no barrier op", (unsigned)op->code);
	}
}
