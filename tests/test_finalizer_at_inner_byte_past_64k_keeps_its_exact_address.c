/* A finalizer set on an inner byte (element type noscan and < 16 bytes, as
 * Go allows) more than 64 KiB into its span stays at that exact address, in
 * every mode: it belongs to its own object (not to an object 64 KiB lower in
 * the same span), it is distinct from the finalizer 64 KiB lower, and it is
 * queued with its own address. Class 64 (27264-byte objects) has 10-page
 * spans, so its third object reaches past 64 KiB; large objects do too. */
#include "tests/gc_t.h"

#define K64 ((uintptr_t)1 << 16)

static void scenario(int mode)
{
	heap_t *h = gc_heap(mode, 0);
	finlog_t log;

	/* three objects of one fresh class-64 span: offsets 0, 27264, 54528 */
	char *o[3];
	for (int i = 0; i < 3; i++)
		o[i] = gc_alloc(h, 27264, 0);
	REQUIRE(o[1] == o[0] + 27264 && o[2] == o[1] + 27264);
	char *inner = o[2] + 20000;   /* span offset 74528 */
	REQUIRE((uintptr_t)(inner - o[0]) >= K64);
	CHECK_EQ(heap_setfinalizer(h, inner, 1, 0, 0x77), ALLOC_OK);
	STEP(h);
	/* the byte 64 KiB lower lies in o[0] and has no finalizer */
	CHECK_EQ(heap_free(h, 0, o[0]), ALLOC_OK);
	STEP(h);
	CHECK_EQ(heap_free(h, 0, o[2]), ALLOC_ERR_HAS_FINALIZER);

	/* a large object: two inner bytes exactly 64 KiB apart are two records */
	char *big = gc_alloc(h, 100000, 0);
	CHECK_EQ(heap_setfinalizer(h, big + 70000, 1, 0, 0x88), ALLOC_OK);
	CHECK_EQ(heap_setfinalizer(h, big + 70000 - K64, 1, 0, 0x99), ALLOC_OK);
	STEP(h);

	heap_roots(h)[0] = (uintptr_t)o[1];   /* o[2] and big die */
	gc_collect(h);
	CHECK_EQ(gc_runfin(h, &log), 3);
	CHECK(finlog_has(&log, inner));
	CHECK(finlog_has(&log, big + 70000));
	CHECK(finlog_has(&log, big + 70000 - K64));
	for (size_t i = 0; i < log.n && i < 512; i++) {
		if (log.obj[i] == inner)
			CHECK_EQ(log.fn[i], 0x77);
		if (log.obj[i] == big + 70000)
			CHECK_EQ(log.fn[i], 0x88);
	}
	gc_collect(h);
	CHECK(gc_live(h, o[1]));
	CHECK(!gc_live(h, o[2]));
	CHECK(!gc_live(h, big));
	heap_destroy(h);
}

int main(void) { return gc_main(scenario); }
