/*
 * The executor's report: the first difference, throw or input error of a run,
 * with the op it happened at and the last RING ops as .ops text. ci/lib.sh's
 * af_signature parses its first lines ("DIFFERENCE|THROW at op ...").
 */
#include "harness/exec_internal.h"

#include <stdarg.h>
#include <execinfo.h>

/* Symbolizes a pc when a sanitizer runtime is linked in (fuzz and asan
 * builds); elsewhere frames print as module+offset (addr2line reads them). */
extern void __sanitizer_symbolize_pc(void *pc, const char *fmt, char *out, size_t n)
	__attribute__((weak));

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

/* The first finding of a run (a difference or a throw) makes the report:
 * "KIND at op N (line L): OP", the heap lane, the detail, the last ops. */
static void finding(exec_t *ex, const char *kind, lane_t *l, const char *fmt, va_list ap)
{
	if (ex->status != EXEC_OK)
		return;
	rep_op_header(ex, kind);
	if (l)
		rep_printf(ex, "  heap: %s\n", l->name);
	rep_printf(ex, "  ");
	rep_vprintf(ex, fmt, ap);
	rep_printf(ex, "\n");
	rep_ring(ex);
	ex->status = EXEC_DIFF;
}

static void finding_f(exec_t *ex, const char *kind, lane_t *l, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void finding_f(exec_t *ex, const char *kind, lane_t *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	finding(ex, kind, l, fmt, ap);
	va_end(ap);
}

void differ(exec_t *ex, lane_t *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	finding(ex, "DIFFERENCE", l, fmt, ap);
	va_end(ap);
	/* keep_going: a lane that differed stops, the model runs on */
	if (l && ex->cfg.keep_going)
		l->broken = true;
	else if (!ex->cfg.keep_going)
		ex->stop = true;
}

void report_throw(exec_t *ex, lane_t *l, const char *msg)
{
	if (ex->status != EXEC_OK)
		ex->nthrowpc = 0;  /* not the report's finding */
	/* A call that should have been refused went on and broke the heap: the
	 * first thing wrong is its result, as when it returns OK (one finding
	 * whether or not the damage throws inside it: ci/lib.sh af_bug_key). */
	if (ex->refusing[0])
		finding_f(ex, "DIFFERENCE", l, "%s threw instead of returning %s, as the model predicts: heap_throw: %s",
		          ex->refusing, alloc_errname(ex->refuse_err), msg);
	else
		finding_f(ex, "THROW", l, "heap_throw: %s", msg);
	/* a heap that threw is left mid-operation: it runs no more ops (exec_reset rebuilds it) */
	if (l)
		l->broken = true;
	if (!ex->cfg.keep_going || !l)
		ex->stop = true;
}

/* The stack at the throw the report describes, innermost first, from the
 * allocator function that threw (the hook's own frames left out) to the
 * executor's op. Printed by the fuzz targets after the report, not part of
 * it: addresses differ between builds, the report must not. */
void report_throw_stack(const exec_t *ex, FILE *f)
{
	if (ex->nthrowpc <= 0)
		return;
	char **names = __sanitizer_symbolize_pc ? NULL : backtrace_symbols(ex->throwpc, ex->nthrowpc);
	fprintf(f, "stack at the throw:\n");
	int shown = 0, past_hook = 0;
	for (int i = 0; i < ex->nthrowpc; i++) {
		char buf[512];
		/* a return address: the call is the byte before it */
		void *pc = (char *)ex->throwpc[i] - (i > 0);
		if (__sanitizer_symbolize_pc)
			__sanitizer_symbolize_pc(pc, "%p in %f %S", buf, sizeof buf);
		else
			snprintf(buf, sizeof buf, "%p in %s", pc, names ? names[i] : "?");
		if (!past_hook) {  /* frames up to heap_throw belong to the hook */
			past_hook = strstr(buf, " heap_throw") != NULL;
			continue;
		}
		fprintf(f, "    #%d %s\n", shown++, buf);
		if (strstr(buf, " exec_op ") || strstr(buf, " step ") || shown == 16)
			break;
	}
	free(names);
}

void input_error(exec_t *ex, const char *fmt, ...)
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
