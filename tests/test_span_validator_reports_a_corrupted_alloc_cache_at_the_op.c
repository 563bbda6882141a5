/*
 * The span validators (issue 11, AF_EXPENSIVE: fuzz, asan and coverage
 * presets) report a corruption at the op where the span changes hands. After
 * op 2 the test corrupts the free list of the span P0 allocates 64-byte
 * objects from (freeindex moved back onto an allocated slot, and the
 * alloccache offering it); op 3 does not touch the span; op 4 (gc) hands it
 * back to mcentral, where the validator throws, naming the hand-over, the
 * span and the invariant. Without the validators the hand-over rebuilds the
 * cache from the alloc bits and the corruption is never seen, which is what
 * the plain build shows.
 */
#include "harness/exec.h"
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"

#include <string.h>

static const char prog_text[] =
	"a = alloc 64\n"      /* 0 */
	"b = alloc 64\n"      /* 1 */
	"c = alloc 64\n"      /* 2 */
	"root 0 a\n"          /* 3 */
	"gc\n";               /* 4 */

static void corrupt(exec_t *ex, size_t opindex, void *ctx)
{
	(void)ctx;
	if (opindex != 2)
		return;
	uintptr_t c = (uintptr_t)exec_object(ex, 0, 2);
	mspan_t *s = mheap_span_of_inuse(exec_heap(ex, 0), c);
	REQUIRE(s && s->cachedby == 0);
	REQUIRE(s->freeindex == 3);
	s->freeindex = 2;        /* c's slot, allocated */
	s->alloccache |= 1;      /* and offered */
}

int main(void)
{
	exec_config_t cfg = { .mode = EXEC_ONE, .nprocs = 1 };
	exec_t *ex = exec_new(&cfg);
	REQUIRE(ex);
	program_t p;
	program_init(&p);
	ops_error_t err;
	REQUIRE(ops_parse_text(prog_text, sizeof prog_text - 1, &p, &err));
	CHECK_EQ(exec_run_program(ex, &p, NULL), EXEC_OK);   /* clean without the corruption */
	exec_set_op_hook(ex, corrupt, NULL);
	exec_status_t st = exec_run_program(ex, &p, NULL);
	const char *r = exec_report(ex);
#if AF_EXPENSIVE
	CHECK_EQ(st, EXEC_DIFF);
	CHECK(strstr(r, "THROW at op 4 (line 5): gc") != NULL);
	CHECK(strstr(r, "mcentral_uncache_span: span ") != NULL);
	CHECK(strstr(r, "handed over invalid: alloccache: ") != NULL);
	if (st != EXEC_DIFF || !strstr(r, "alloccache"))
		fprintf(stderr, "report:\n%s", r);
#else
	CHECK_EQ(st, EXEC_OK);
	CHECK_EQ(r[0], 0);
	fprintf(stderr, "plain build (no AF_EXPENSIVE): the corruption goes unseen, as expected\n");
#endif
	program_free(&p);
	exec_destroy(ex);
	return T_DONE();
}
