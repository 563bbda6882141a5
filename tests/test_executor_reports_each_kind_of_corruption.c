/*
 * The executor's checks fire: a program runs clean, and each corruption made
 * behind its back (after op 5, before the "check" at op 6) is reported as a
 * difference naming what was wrong: a payload byte, a pointer slot (one the
 * model set, a nil one after it, one of an object with none set), a heap
 * invariant (an alloc bit cleared under a live object), and a heap_throw
 * (caught by the throw hook inside the op that threw).
 */
#include "harness/exec.h"
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"
#include "tests/exec_hook_t.h"

#include <string.h>

static const char prog_text[] =
	"a = alloc 64 ptrs=4\n"   /* 0 */
	"b = alloc 32\n"          /* 1 */
	"c = alloc 2048 ptrs=256\n"  /* 2 */
	"store a.0 b\n"           /* 3 */
	"root 0 a\n"              /* 4 */
	"root 1 c\n"              /* 5 */
	"check\n"                 /* 6 */
	"gc\n"                    /* 7 */
	"expect live a b c\n";    /* 8 */

enum { NONE, PAYLOAD, POINTER, NIL_AFTER_SET, NIL_OF_NONE, ALLOCBIT, THROW };

static void corrupt(exec_t *ex, size_t opindex, void *ctx)
{
	int what = *(int *)ctx;
	if (opindex != 5)
		return;
	uint8_t *a = exec_object(ex, 0, 0), *b = exec_object(ex, 0, 1), *c = exec_object(ex, 0, 2);
	heap_t *h = exec_heap(ex, 0);
	switch (what) {
	case PAYLOAD:
		b[5] ^= 0xff;
		break;
	case POINTER:
	case NIL_AFTER_SET:
	case NIL_OF_NONE: {
		uintptr_t v = (uintptr_t)c;
		uint8_t *at = what == POINTER ? a : what == NIL_AFTER_SET ? a + 3 * 8 : c + 200 * 8;
		memcpy(at, &v, sizeof v);
		break;
	}
	case ALLOCBIT: {
		mspan_t *s = mheap_span_of_inuse(h, (uintptr_t)b);
		bit_clear(s->allocbits, mspan_objindex(s, (uintptr_t)b));
		break;
	}
	case THROW:
		heap_throw(h, "planted by the test");
	}
}

static const char *run(int what, exec_status_t *st)
{
	return run_with_hook(prog_text, sizeof prog_text - 1, corrupt, &what, st);
}

int main(void)
{
	exec_status_t st;
	const char *r = run(NONE, &st);
	CHECK_EQ(st, EXEC_OK);

	/* a throw is caught inside the op that threw (here: the hook of op 5) */
	static const struct { int what; const char *says, *where, *ring; } cases[] = {
		{ PAYLOAD, "byte 5 of b (32 bytes)", "DIFFERENCE at op 6 (line 7): check", "last 7 ops:\n" },
		{ POINTER, "pointer slot 0 of a holds", "DIFFERENCE at op 6 (line 7): check", "last 7 ops:\n" },
		{ NIL_AFTER_SET, "pointer slot 3 of a holds", "DIFFERENCE at op 6 (line 7): check", "last 7 ops:\n" },
		{ NIL_OF_NONE, "pointer slot 200 of c holds", "DIFFERENCE at op 6 (line 7): check", "last 7 ops:\n" },
		{ ALLOCBIT, "heap_check: ", "DIFFERENCE at op 6 (line 7): check", "last 7 ops:\n" },
		{ THROW, "heap_throw: planted by the test", "THROW at op 5 (line 6): root 1 c", "last 6 ops:\n" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r = run(cases[i].what, &st);
		CHECK_EQ(st, EXEC_DIFF);
		bool named = strstr(r, cases[i].says) != NULL;
		CHECK(named);
		/* the report places it, and lists the ops that led there */
		CHECK(strstr(r, cases[i].where) != NULL);
		CHECK(strstr(r, cases[i].ring) != NULL);
		CHECK(strstr(r, "  a = alloc 64 ptrs=4\n  b = alloc 32\n") != NULL);
		if (!named)
			fprintf(stderr, "case %zu report:\n%s", i, r);
	}
	return T_DONE();
}
