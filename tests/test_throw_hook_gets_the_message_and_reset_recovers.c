/* An internal invariant violation goes to the heap's throw hook with the
 * formatted message (the hook may longjmp out, even with the page heap lock
 * held), and heap_reset afterwards gives a working heap. */
#include "tests/t.h"
#include "tests/heapwalk.h"
#include <setjmp.h>

static jmp_buf jb;
static char got[512];
static heap_t *got_heap;
static void *got_ctx;

static void hook(heap_t *h, const char *msg, void *ctx)
{
	got_heap = h;
	got_ctx = ctx;
	snprintf(got, sizeof got, "%s", msg);
	longjmp(jb, 1);
}

int main(void)
{
	int ctx;
	heap_config_t cfg = {0};
	cfg.throw_hook = hook;
	cfg.throw_ctx = &ctx;
	heap_t *h = NULL;
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);

	mspan_t *s = mheap_alloc(h, 3, LARGE_SC);
	REQUIRE(s);
	uintptr_t start = s->startaddr;
	mheap_free(h, s);
	volatile int thrown = 0;
	if (setjmp(jb) == 0)
		mheap_free(h, s);   /* a free run freed again: our bug, not the caller's */
	else
		thrown = 1;
	CHECK(thrown);
	CHECK(got_heap == h);
	CHECK(got_ctx == &ctx);
	char want[128];
	snprintf(want, sizeof want, "mheap_free: span %#lx npages 64 state 2 is not in use",
	         (unsigned long)start);
	CHECK(strcmp(got, want) == 0);
	CHECK(h->lock.held);   /* thrown from inside the lock */

	heap_reset(h);
	CHECK(!h->lock.held);
	walk_t w;
	mspan_t *t = t_large(h, 6);
	CHECK(t != NULL);
	CHECK_EQ(heapwalk_ok(h, &w), 1);
	heap_destroy(h);
	return T_DONE();
}
