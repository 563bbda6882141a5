/* Test support: run a text program on one heap with an op hook (which
 * corrupts something behind the executor's back) and keep the report. */
#ifndef ALLOCFUZZ_EXEC_HOOK_T_H
#define ALLOCFUZZ_EXEC_HOOK_T_H
#include "harness/exec.h"
#include "tests/t.h"
#include <stdio.h>

/* The report of running text[0..n) with hook(ctx) after every op; *st its status. */
static const char *run_with_hook(const char *text, size_t n, exec_op_hook_t hook, void *ctx,
                                 exec_status_t *st)
{
	static char report[4096];
	exec_config_t cfg = { .mode = EXEC_ONE };
	exec_t *ex = exec_new(&cfg);
	REQUIRE(ex);
	exec_set_op_hook(ex, hook, ctx);
	program_t p;
	program_init(&p);
	ops_error_t err;
	REQUIRE(ops_parse_text(text, n, &p, &err));
	*st = exec_run_program(ex, &p, NULL);
	snprintf(report, sizeof report, "%s", exec_report(ex));
	program_free(&p);
	exec_destroy(ex);
	return report;
}
#endif
