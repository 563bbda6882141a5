/* heap_reset forgets everything the collector keeps: queued finalizers,
 * finalizer and profile records (either design), profile buckets, the
 * changed profile rate, the sampler's state, roots, numgc. A scenario run
 * after a reset observes exactly what it observes on a new heap, down to
 * the addresses. */
#include "tests/gc_t.h"

typedef struct obs {
	uintptr_t v[4096];
	size_t n;
	uintptr_t base;   /* the first object: addresses are kept relative to it */
} obs_t;

static void put(obs_t *o, uintptr_t v)
{
	if (o->n < 4096)
		o->v[o->n] = v;
	o->n++;
}

static void fin_cb(heap_t *h, void *obj, uintptr_t fn, void *ctx)
{
	(void)h;
	obs_t *o = ctx;
	put(o, (uintptr_t)obj - o->base);
	put(o, fn);
}

static void bucket_cb(const heap_bucket_t *b, void *ctx)
{
	put(ctx, b->stack);
	put(ctx, b->allocs);
	put(ctx, b->frees);
}

/* Leaves records, a queue, buckets and a changed rate behind. */
static void dirty(heap_t *h)
{
	void *p = NULL;
	for (int i = 0; i < 300; i++) {
		REQUIRE(heap_alloc(h, i % 2, 16 + (size_t)i % 200, 1, (uint32_t)i % 5, &p) == ALLOC_OK);
		CHECK_EQ(heap_setfinalizer(h, p, 16, 1, 0x500 + (uintptr_t)i), ALLOC_OK);
		if (i % 7 == 0)
			heap_roots(h)[i % 64] = (uintptr_t)p;
	}
	CHECK_EQ(heap_gc(h), ALLOC_OK);
	heap_set_profrate(h, 100000);
	for (int i = 0; i < 50; i++)
		REQUIRE(heap_alloc(h, 0, 100, 0, 77, &p) == ALLOC_OK);
	STEP(h);
}

static void observe(heap_t *h, obs_t *o)
{
	void *p = NULL, *keep[64];
	heap_stats_t st;

	o->n = 0;
	put(o, heap_numgc(h));
	put(o, heap_finq_len(h));
	for (int i = 0; i < 64; i++) {
		put(o, heap_roots(h)[i]);
		REQUIRE(heap_alloc(h, i % 2, 8 + (size_t)i * 40, i % 3, (uint32_t)i % 4, &p) == ALLOC_OK);
		keep[i] = p;
		if (i == 0)
			o->base = (uintptr_t)p;
		put(o, (uintptr_t)p - o->base);
		if (i % 5 == 0)
			CHECK_EQ(heap_setfinalizer(h, p, 8, 0, 0x900 + (uintptr_t)i), ALLOC_OK);
	}
	heap_roots(h)[0] = (uintptr_t)keep[10];
	for (int c = 0; c < 3; c++) {
		CHECK_EQ(heap_gc(h), ALLOC_OK);
		put(o, heap_runfinalizers(h, fin_cb, o));
		STEP(h);
	}
	heap_profile(h, bucket_cb, o);
	heap_read_stats(h, &st);
	put(o, st.heap_objects);
	put(o, st.specials_inuse);
	put(o, st.legacy_inuse);
	put(o, st.buckhash_sys);
}

static void scenario(int mode)
{
	static obs_t fresh, after;
	heap_t *h = gc_heap(mode, 1);

	observe(h, &fresh);
	heap_destroy(h);

	h = gc_heap(mode, 1);
	dirty(h);
	heap_reset(h);
	STEP(h);
	observe(h, &after);
	heap_destroy(h);

	CHECK(fresh.n > 100);
	CHECK_EQ(after.n, fresh.n);
	for (size_t i = 0; i < fresh.n && i < 4096; i++)
		if (fresh.v[i] != after.v[i]) {
			fprintf(stderr, "observation %zu: new heap %#lx, after reset %#lx\n", i,
			        (unsigned long)fresh.v[i], (unsigned long)after.v[i]);
			CHECK(0);
			break;
		}
}

int main(void) { return gc_main(scenario); }
