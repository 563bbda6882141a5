/* GC issue: a chain A->B of finalizer objects is finalized A first, B one
 * cycle later, because A's finalizer special keeps what A points to alive
 * (markrootSpans) while A itself is queued. Without runfin in between,
 * the queued A is a root and B waits. */
#include "tests/model_t.h"

int main(void)
{
	model_t *m = mt_new(1, 0, 0);
	int32_t a = mt_alloc(m, 16, 1), b = mt_alloc(m, 16, 1);
	CHECK(model_store(m, a, 0, mt_ref(b, 0)));
	CHECK_EQ(model_setfin(m, a, 0, 16, 1, 100).err, ALLOC_OK);
	CHECK_EQ(model_setfin(m, b, 0, 16, 1, 200).err, ALLOC_OK);
	model_gc_result_t r;

	model_gc(m, &r);                    /* A unmarked, has a finalizer: queued; B marked */
	CHECK_EQ(r.numgc, 1);
	CHECK_STR(mt_fins(&r), "0");
	CHECK_EQ(r.fin[0].fn, 100);
	CHECK_STR(mt_freed(&r), "");
	CHECK_EQ(model_finq_len(m), 1);
	CHECK(model_is_pending(m, a));
	CHECK(!model_is_pending(m, b));

	model_gc(m, &r);                    /* A still queued: a root, so B stays marked */
	CHECK_STR(mt_fins(&r), "");
	CHECK_STR(mt_freed(&r), "");
	CHECK_EQ(model_finq_len(m), 1);

	CHECK_EQ(model_runfin(m, NULL, NULL), 1);
	CHECK_EQ(model_fin_at(m, a, 0), 0); /* the special went with the queueing */
	model_gc(m, &r);                    /* A now plain garbage; B's turn */
	CHECK_STR(mt_fins(&r), "1");
	CHECK_EQ(r.fin[0].fn, 200);
	CHECK_STR(mt_freed(&r), "0");
	CHECK(!model_is_live(m, a));
	CHECK(model_is_live(m, b));

	CHECK_EQ(model_runfin(m, NULL, NULL), 1);
	model_gc(m, &r);
	CHECK_STR(mt_fins(&r), "");
	CHECK_STR(mt_freed(&r), "1");
	CHECK_EQ(r.dangling, 0);
	CHECK_EQ(model_obj(m, a)->state, MODEL_DEAD);
	model_destroy(m);
	return T_DONE();
}
