/* GC issue: what a finalizer object points to survives while the finalizer
 * is pending (the queue is a root), and dies with it after it ran. Also:
 * an unreachable object with a finalizer keeps its referents alive even in
 * the cycle that queues it (markrootSpans scans it without marking it). */
#include "tests/model_t.h"

int main(void)
{
	model_t *m = mt_new(1, 0, 0);
	int32_t a = mt_alloc(m, 24, 2);     /* A -> C -> D */
	int32_t c = mt_alloc(m, 16, 1);
	int32_t d = mt_alloc(m, 100, 0);
	CHECK(model_store(m, a, 1, mt_ref(c, 8)));
	CHECK(model_store(m, c, 0, mt_ref(d, 0)));
	CHECK_EQ(model_setfin(m, a, 0, 24, 2, 1).err, ALLOC_OK);
	model_gc_result_t r;
	model_gc(m, &r);
	CHECK_STR(mt_fins(&r), "0");
	CHECK_STR(mt_freed(&r), "");
	model_gc(m, &r);
	model_gc(m, &r);                    /* still pending: everything stays */
	CHECK_STR(mt_fins(&r), "");
	CHECK_STR(mt_freed(&r), "");
	CHECK(model_is_live(m, c) && model_is_live(m, d));
	CHECK_EQ(model_runfin(m, NULL, NULL), 1);
	model_gc(m, &r);
	CHECK_STR(mt_freed(&r), "0 1 2");
	CHECK_EQ(r.numgc, 4);
	model_destroy(m);
	return T_DONE();
}
