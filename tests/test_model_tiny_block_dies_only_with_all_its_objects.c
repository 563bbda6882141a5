/* A tiny block is the unit of marking and freeing: any reachable object in
 * it (or a pointer anywhere into it) keeps all its objects; a P's current
 * block survives the gc that drops it (gcMarkTinyAllocs); a finalizer on
 * one sub-object runs only when the whole block is unreachable. */
#include "tests/model_t.h"

int main(void)
{
	model_t *m = mt_new(1, 0, 0);
	int32_t a = mt_alloc(m, 4, 0), b = mt_alloc(m, 4, 0); /* one block, b at 4 */
	model_gc_result_t r;
	model_gc(m, &r);                    /* current tiny block: a root this once */
	CHECK_STR(mt_freed(&r), "");
	model_gc(m, &r);
	CHECK_STR(mt_freed(&r), "0 1");

	int32_t c = mt_alloc(m, 4, 0), d = mt_alloc(m, 4, 0); /* ids 2, 3 */
	int32_t e = mt_alloc(m, 8, 0);      /* id 4 at offset 8 */
	CHECK_EQ(model_obj(m, e)->block, c);
	CHECK(model_root(m, 0, mt_ref(d, 2)));  /* interior of d only */
	CHECK(!model_root(m, 1, mt_ref(d, 12)));          /* past the block */
	CHECK(!model_root(m, 1, mt_ref(d, UINT32_MAX - 3))); /* 4 + off wraps to 0 */
	model_gc(m, &r);
	model_gc(m, &r);
	CHECK_STR(mt_freed(&r), "");
	CHECK(model_is_live(m, c) && model_is_live(m, e));

	/* A finalizer on e (an interior address of the block: allowed for a
	 * noscan element < 16 bytes) waits while d keeps the block. */
	CHECK_EQ(model_setfin(m, e, 0, 8, 0, 9).err, ALLOC_OK);
	model_gc(m, &r);
	CHECK_STR(mt_fins(&r), "");
	CHECK(model_root(m, 0, mt_nil()));
	model_gc(m, &r);                    /* block unreachable: kept, e's finalizer queued */
	CHECK_STR(mt_fins(&r), "4");
	CHECK_EQ(r.fin[0].block, c);
	CHECK_EQ(r.fin[0].boff, 8);
	CHECK_STR(mt_freed(&r), "");
	CHECK_EQ(model_runfin(m, NULL, NULL), 1);
	model_gc(m, &r);
	CHECK_STR(mt_freed(&r), "2 3 4");

	heap_stats_t st;
	model_expected_stats(m, &st);
	CHECK_EQ(st.nmalloc, 5);
	CHECK_EQ(st.tiny_allocs, 3);
	CHECK_EQ(st.nfree, 2);              /* two blocks */
	CHECK_EQ(st.heap_objects, 0);
	CHECK_EQ(st.heap_alloc, 0);
	CHECK_EQ(st.total_alloc, 32);
	CHECK_EQ(st.by_class_nfree[2], 2);
	(void)a, (void)b;
	model_destroy(m);
	return T_DONE();
}
