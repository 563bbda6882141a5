/* A collection that gets one object's reachability wrong is reported as that
 * object ("reachability: ..."), before memstats or the queue length, which
 * also differ: so one marking bug is one finding whichever count an input
 * shows it in first (ci/fuzz keys findings by the check that fails first).
 * Simulated behind the executor's back, after op 5, by the heap forgetting
 * a root:
 *   - b (no finalizer): the heap frees it; nfree differs too;
 *   - a (a finalizer): the heap queues its finalizer; the queue length
 *     differs too;
 * and by the heap freeing b outright (an explicit free the model did not
 * make, its root forgotten too): the same report, at the next check point. Unhooked, the program passes. */
#include "harness/exec.h"
#include "tests/t.h"
#include "tests/exec_hook_t.h"

#include <string.h>

static const char prog_text[] =
	"a = alloc 32 ptrs=1\n"   /* 0 */
	"b = alloc 32\n"          /* 1 */
	"root 0 a\n"              /* 2 */
	"root 1 b\n"              /* 3 */
	"setfin a keep\n"         /* 4 */
	"check\n"                 /* 5: corrupted after this op */
	"gc\n"                    /* 6 */
	"check\n";                /* 7 */

enum { NONE, UNROOT_B, UNROOT_A, FREE_B };

static void corrupt(exec_t *ex, size_t opindex, void *ctx)
{
	if (opindex != 5)
		return;
	heap_t *h = exec_heap(ex, 0);
	switch (*(int *)ctx) {
	case UNROOT_B: heap_roots(h)[1] = 0; break;
	case UNROOT_A: heap_roots(h)[0] = 0; break;
	case FREE_B:   /* (its root too: the heap throws on a root into a free slot) */
		heap_roots(h)[1] = 0;
		CHECK_EQ(heap_free(h, 0, exec_object(ex, 0, 1)), ALLOC_OK);
		break;
	}
}

static void expect(int what, const char *want)
{
	exec_status_t st;
	const char *r = run_with_hook(prog_text, strlen(prog_text), corrupt, &what, &st);
	CHECK_EQ(st, EXEC_DIFF);
	if (!strstr(r, want))
		fprintf(stderr, "case %d: want '%s' in:\n%s\n", what, want, r);
	CHECK(strstr(r, want) != NULL);
	CHECK(strstr(r, "memstats") == NULL && strstr(r, "finalizer queue holds") == NULL);
}

int main(void)
{
	exec_status_t st;
	int none = NONE;
	run_with_hook(prog_text, strlen(prog_text), corrupt, &none, &st);
	CHECK_EQ(st, EXEC_OK);
	expect(UNROOT_B, "reachability: b (@");
	expect(UNROOT_B, "is live in the model, the heap freed its block");
	expect(UNROOT_A, "reachability: a is reachable in the model, the heap queued its finalizer");
	expect(FREE_B, "reachability: b (@");
	return T_DONE();
}
