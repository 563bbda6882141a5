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
 * text programs and skipped in binary ones (reference counts: precheck in
 * exec_ops.c).
 *
 * This file holds the lifecycle (lanes, reset, the throw hook) and the run
 * loops; harness/exec_internal.h lists the files of the other roles.
 */
#include "harness/exec_internal.h"

#include <execinfo.h>

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
	/* where the allocator threw (the sweep, the page heap ...): the report
	 * would otherwise show only the executor's abort */
	ex->nthrowpc = backtrace(ex->throwpc, (int)(sizeof ex->throwpc / sizeof ex->throwpc[0]));
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
		.log_writes = true,   /* every write is the executor's: a reset heap is a fresh one */
		/* a scavenge keeps the pages and zeroes what was written there, as
		 * MADV_DONTNEED would read: no page fault, and no VM exit per page
		 * when reused (allocfuzz bench pages), and check_released proves
		 * that no live block was among them */
		.scavenge_in_place = true,
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
	free(l->qpids);
	free(l->bk);
	free(l->fresh);
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
		l->ndead = l->nfresh = 0;
		l->ncontent = 0;
		l->broken = false;
	}
	model_reset(ex->m);
	ex->npobj = ex->nlive = ex->nlastfin = 0;
	ex->ptrs_used = 0;
	ex->freed_last = 0;
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
	ex->nthrowpc = 0;
	ex->prog = prog;
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
		report_throw(ex, l, ex->throwmsg);
		ex->refusing[0] = 0;
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
	return (opbin_ctx_t){ ex->live, ex->nlive, ex->psize, ex->pptrs, ex->ptrs_used, ex->freed_last };
}

/* The binary form's budget of pointer words counts every alloc that ran. */
static void count_ptrs(exec_t *ex, const op_t *op)
{
	if (op->code == OP_ALLOC && op->b <= op->a / OP_WORD_BYTES)
		ex->ptrs_used += op->b;
}

exec_status_t exec_run_program(exec_t *ex, const program_t *prog, opbuf_t *asm_out)
{
	exec_reset(ex, prog);
	ex->binary = false;
	char why[200];
	uint32_t lastline = 0;
	/* asm: each op's encoding starts at off[i]; repeat blocks are
	 * compacted once all are known (opbin_compact) */
	size_t *off = asm_out ? ops_xrealloc(NULL, (prog->nops + 1) * sizeof *off) : NULL, i;
	for (i = 0; i < prog->nops && !ex->stop; i++) {
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
		if (asm_out)
			off[i] = asm_out->len;
		if (asm_out && !opbin_encode(op, &ctx, asm_out)) {
			input_error(ex, "this op has no binary encoding");
			break;
		}
		count_ptrs(ex, op);
		step(ex, op);
	}
	if (asm_out) {
		off[i] = asm_out->len;
		opbin_compact(prog, i, off, asm_out);
		free(off);
	}
	return finish(ex, lastline + 1);
}

exec_status_t exec_run_binary(exec_t *ex, const uint8_t *data, size_t n, program_t *record)
{
	static const program_t noname;
	exec_reset(ex, record ? record : &noname);
	ex->binary = true;
	char why[200];
	opbin_iter_t it;
	opbin_raw_t raw;
	opbin_iter_init(&it, data, n, 0);
	while (!ex->stop && opbin_next(&it, &raw)) {
		opbin_ctx_t ctx = live_ctx(ex);
		op_t op;
		if (!opbin_resolve(&raw, &ctx, (int32_t)ex->npobj, &op))
			continue;
		if (precheck(ex, &op, why, sizeof why))
			continue;
		if (record)  /* encoded in the state it runs in, before it changes it */
			program_record(record, &op, &ctx, &raw);
		count_ptrs(ex, &op);
		step(ex, &op);
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
		/* A campaign may start every input at one profile rate (the
		 * sampling oracle's false-alarm campaign); inputs still change it. */
		const char *rate = getenv("AF_PROFRATE");
		cfg.profrate = rate ? strtoll(rate, NULL, 0) : 0;
		ex[mode] = exec_new(&cfg);
		if (!ex[mode])
			abort();
	}
	if (exec_run_binary(ex[mode], data, n, NULL) != EXEC_OK) {
		fputs(exec_report(ex[mode]), stderr);
		report_throw_stack(ex[mode], stderr);
		abort();
	}
	return 0;
}
