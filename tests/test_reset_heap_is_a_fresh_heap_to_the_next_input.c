/* The executor's heaps log their writes (heap_config_t.log_writes), so the
 * state heap_reset leaves is a fresh heap's as the allocator sees it: after a
 * heavy input (large and small objects filled with patterns, pointer stores,
 * frees, gcs), every kept page reads zero and the page heap hands the kept
 * range out without needzero, exactly as on a fresh heap. The same input then
 * gives the same trace after the heavy one as on a fresh executor, and finds
 * every object zero before it is filled. The control: a heap that does not
 * log (the default) keeps the dirt and hands the range out needzero. */
#include "harness/exec.h"
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"
#include "tests/heapwalk.h"

#include <stdio.h>
#include <string.h>

static const char heavy[] =
	"big = alloc 3000000 ptrs=4\n"
	"mid = alloc 70000\n"
	"a = alloc 64 ptrs=2\n"
	"b = alloc 48\n"
	"t = alloc 5\n"
	"store a.0 b\n"
	"store a.1 big\n"
	"store big.3 a\n"
	"root 0 a\n"
	"free mid\n"
	"gc\n"
	"c = alloc 200000 ptrs=1\n"
	"root 1 c\n"
	"check\n";

static const char input[] =
	"x = alloc 3000000 ptrs=2\n"
	"y = alloc 64 ptrs=1\n"
	"z = alloc 70000\n"
	"w = alloc 5\n"
	"store y.0 x\n"
	"root 0 y\n"
	"gc\n"
	"check\n";

static void parse(const char *text, program_t *p)
{
	ops_error_t err;
	program_init(p);
	REQUIRE(ops_parse_text(text, strlen(text), p, &err));
}

int main(void)
{
	program_t ph, pi;
	parse(heavy, &ph);
	parse(input, &pi);
	static char fresh[1 << 16], after[1 << 17];
	FILE *ff = fmemopen(fresh, sizeof fresh, "w"), *fa = fmemopen(after, sizeof after, "w");
	REQUIRE(ff && fa);
	exec_config_t cfg = { .mode = EXEC_TWIN_SWEEP, .out = ff, .verbose = true };

	exec_t *ex = exec_new(&cfg);
	REQUIRE(ex);
	CHECK_EQ(exec_run_program(ex, &pi, NULL), EXEC_OK);
	exec_destroy(ex);
	fclose(ff);

	cfg.out = fa;
	ex = exec_new(&cfg);
	REQUIRE(ex);
	CHECK_EQ(exec_run_program(ex, &ph, NULL), EXEC_OK);
	for (int lane = 0; lane < 2; lane++) {
		heap_t *h = exec_heap(ex, lane);
		REQUIRE(h->arena_used - h->arena_start >= 3000000);
		CHECK(heapwalk_mapped_nonzero(h) > 0);   /* the heavy input's patterns and pointers */
		heap_reset(h);
		CHECK_EQ(heapwalk_mapped_nonzero(h), 0);
		mspan_t *s = mheap_alloc(h, 400, make_spanclass(0, true));
		REQUIRE(s);
		CHECK_EQ(s->needzero, 0);   /* as mheap_grow on fresh pages */
		mheap_free(h, s);
	}
	CHECK_EQ(exec_run_program(ex, &ph, NULL), EXEC_OK);   /* dirty again */
	fflush(fa);
	long at = ftell(fa);
	CHECK_EQ(exec_run_program(ex, &pi, NULL), EXEC_OK);
	exec_destroy(ex);
	fclose(fa);
	CHECK(strlen(fresh) > 100);
	CHECK(strcmp(fresh, after + at) == 0);

	/* control: without the log, reset keeps the dirt and says so */
	heap_t *h;
	heap_config_t hc = { .cap_bytes = 16u << 20 };
	REQUIRE(heap_new(&hc, &h) == ALLOC_OK);
	void *p;
	REQUIRE(heap_alloc(h, 0, 100000, 0, 0, &p) == ALLOC_OK);
	memset(p, 0xee, 100000);
	CHECK_EQ(heap_note_write(h, p, 100000), ALLOC_OK);   /* a no-op here */
	heap_reset(h);
	CHECK(heapwalk_mapped_nonzero(h) >= 100000);
	mspan_t *s = mheap_alloc(h, 13, make_spanclass(0, true));
	REQUIRE(s);
	CHECK_EQ(s->needzero, 1);
	mheap_free(h, s);
	/* a write outside the committed heap is refused, not logged */
	hc.log_writes = true;
	heap_t *g;
	REQUIRE(heap_new(&hc, &g) == ALLOC_OK);
	CHECK_EQ(heap_note_write(g, p, 8), ALLOC_ERR_NOT_IN_HEAP);
	heap_destroy(g);
	heap_destroy(h);
	program_free(&ph);
	program_free(&pi);
	return T_DONE();
}
