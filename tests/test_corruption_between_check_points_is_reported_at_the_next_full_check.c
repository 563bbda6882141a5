/* Check points cost what changed, and nothing got weaker. A corruption made
 * behind the executor's back (after op 7, between the checks at ops 6 and 9):
 *   - in an object no block handed out since op 6 overlaps (b), the content
 *     check of ops 9..14 looks only at what changed and passes it by; the
 *     full content check every EXEC_CONTENT_FULL_EVERY-th check (op 15) names it,
 *     and so does the one at the end of an input that stops earlier;
 *   - in the object allocated at op 7 (d) it is found at the very next
 *     check point (op 9);
 *   - of the heap's metadata (b's alloc bit) it is found at the next check
 *     point with the heap checker's invariant name: heap_check runs in full
 *     at every check point.
 */
#include "harness/exec.h"
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"
#include "tests/exec_hook_t.h"

#include <string.h>

static const char prog_text[] =
	"a = alloc 64 ptrs=1\n"   /* 0 */
	"b = alloc 32\n"          /* 1 */
	"c = alloc 4000\n"        /* 2 */
	"root 0 a\n"              /* 3 */
	"root 1 b\n"              /* 4 */
	"root 2 c\n"              /* 5 */
	"check\n"                 /* 6: content check 1 */
	"d = alloc 48\n"          /* 7: corrupted after this op */
	"root 3 d\n"              /* 8 */
	"check\n"                 /* 9: 2 */
	"check\n"                 /* 10: 3 */
	"check\n"                 /* 11: 4 */
	"check\n"                 /* 12: 5 */
	"check\n"                 /* 13: 6 */
	"check\n"                 /* 14: 7 */
	"check\n";                /* 15: 8, every object */

enum { NONE, UNTOUCHED, TOUCHED, ALLOCBIT };

static void corrupt(exec_t *ex, size_t opindex, void *ctx)
{
	if (opindex != 7)
		return;
	uint8_t *b = exec_object(ex, 0, 1), *d = exec_object(ex, 0, 3);
	switch (*(int *)ctx) {
	case UNTOUCHED: b[5] ^= 0xff; break;
	case TOUCHED: d[5] ^= 0xff; break;
	case ALLOCBIT: {
		heap_t *h = exec_heap(ex, 0);
		mspan_t *s = mheap_span_of_inuse(h, (uintptr_t)b);
		bit_clear(s->allocbits, mspan_objindex(s, (uintptr_t)b));
		break;
	}
	}
}

/* Runs the first nlines lines of the program with the corruption `what`. */
static const char *run(int what, int nlines, exec_status_t *st)
{
	const char *end = prog_text;
	for (int i = 0; i < nlines; i++)
		end = strchr(end, '\n') + 1;
	return run_with_hook(prog_text, (size_t)(end - prog_text), corrupt, &what, st);
}

static void expect(int what, int nlines, const char *says, const char *where)
{
	exec_status_t st;
	const char *r = run(what, nlines, &st);
	CHECK_EQ(st, EXEC_DIFF);
	bool ok = strstr(r, says) && strstr(r, where);
	CHECK(ok);
	if (!ok)
		fprintf(stderr, "case %d/%d report:\n%s", what, nlines, r);
}

int main(void)
{
	exec_status_t st;
	run(NONE, 16, &st);
	CHECK_EQ(st, EXEC_OK);
	REQUIRE(EXEC_CONTENT_FULL_EVERY == 8);
	expect(UNTOUCHED, 16, "byte 5 of b (32 bytes)", "DIFFERENCE at op 15 (line 16): check");
	expect(UNTOUCHED, 11, "byte 5 of b (32 bytes)", "DIFFERENCE at the end of the program (after 11 ops)");
	expect(TOUCHED, 16, "byte 5 of d (48 bytes)", "DIFFERENCE at op 9 (line 10): check");
	expect(ALLOCBIT, 16, "heap_check: alloccount", "DIFFERENCE at op 9 (line 10): check");
	return T_DONE();
}
