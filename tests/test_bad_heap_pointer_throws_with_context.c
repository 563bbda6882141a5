/* A root or heap word that points into the arena but at no allocated
 * object is our caller's or our own bug: mark throws "found bad pointer in
 * heap" through the throw hook, naming the pointer and where it was found.
 * Values outside the arena (and the zero base) are ignored. */
#include "tests/gc_t.h"
#include <setjmp.h>
#include <stdio.h>

static jmp_buf env;
static char msg[512];

static void hook(heap_t *h, const char *m, void *ctx)
{
	(void)h;
	(void)ctx;
	snprintf(msg, sizeof msg, "%s", m);
	longjmp(env, 1);
}

static heap_t *hooked_heap(int mode)
{
	heap_config_t cfg;
	heap_t *h = NULL;
	memset(&cfg, 0, sizeof cfg);
	cfg.sweep = (mode & 1) ? HEAP_SWEEP_LAZY : HEAP_SWEEP_EAGER;
	cfg.specials = (mode & 2) ? HEAP_SPECIALS_LEGACY : HEAP_SPECIALS_SPAN;
	cfg.cap_bytes = (size_t)16 << 20;
	cfg.throw_hook = hook;
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	return h;
}

/* 0: heap_gc returned; 1: it threw */
static int gc_throws(heap_t *h)
{
	msg[0] = 0;
	if (setjmp(env) == 0) {
		heap_gc(h);
		return 0;
	}
	return 1;
}

static void scenario(int mode)
{
	heap_t *h = hooked_heap(mode);
	void **a = NULL, *b = NULL, *c = NULL;
	char needle[64];

	REQUIRE(heap_alloc(h, 0, 64, 1, 1, (void **)&a) == ALLOC_OK);
	REQUIRE(heap_alloc(h, 0, 64, 0, 1, &b) == ALLOC_OK);
	REQUIRE(heap_alloc(h, 0, 64, 0, 1, &c) == ALLOC_OK);
	heap_roots(h)[0] = (uintptr_t)a;
	heap_roots(h)[1] = (uintptr_t)heap_zerobase(h);
	heap_roots(h)[2] = (uintptr_t)&env;   /* outside the heap */
	heap_roots(h)[3] = (uintptr_t)b;
	heap_roots(h)[4] = (uintptr_t)c;
	CHECK_EQ(gc_throws(h), 0);
	STEP(h);

	heap_roots(h)[3] = 0;
	CHECK_EQ(heap_free(h, 0, b), ALLOC_OK);
	a[0] = (char *)b + 8;                   /* a heap word to a freed slot */
	CHECK_EQ(gc_throws(h), 1);
	CHECK(strstr(msg, "found bad pointer in heap") != NULL);
	snprintf(needle, sizeof needle, "%#lx", (unsigned long)((char *)b + 8));
	CHECK(strstr(msg, needle) != NULL);
	CHECK(strstr(msg, "object word") != NULL);
	heap_destroy(h);

	h = hooked_heap(mode);
	REQUIRE(heap_alloc(h, 0, 100000, 0, 1, &b) == ALLOC_OK);
	CHECK_EQ(heap_free(h, 0, b), ALLOC_OK);
	heap_roots(h)[7] = (uintptr_t)b;      /* a root to a freed large span */
	CHECK_EQ(gc_throws(h), 1);
	CHECK(strstr(msg, "found bad pointer in heap") != NULL);
	CHECK(strstr(msg, "root slot 0x7") != NULL);
	heap_destroy(h);
}

int main(void) { return gc_main(scenario); }
