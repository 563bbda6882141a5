/* Every error of heap_free and heap_setfinalizer, in the order DECISIONS
 * fixes: free: NOT_IN_HEAP, INTERIOR, NOT_ALLOCATED, TINY, HAS_FINALIZER;
 * setfinalizer: NOT_IN_HEAP, NOT_ALLOCATED, INTERIOR, FIN_EXISTS. */
#include "tests/model_t.h"

#define ERR(e, want) do { model_err_t _e = (e); CHECK_EQ(_e.err, want); CHECK_EQ(_e.alt, want); \
	CHECK(!_e.stale); } while (0)
/* An ended object: its span may be gone (NOT_IN_HEAP) or not. */
#define ENDED(e, want) do { model_err_t _e = (e); CHECK_EQ(_e.err, want); \
	CHECK_EQ(_e.alt, ALLOC_ERR_NOT_IN_HEAP); CHECK(!_e.stale); } while (0)

int main(void)
{
	model_t *m = mt_new(1, 0, 0);
	int32_t z = mt_alloc(m, 0, 0);      /* the zero base */
	int32_t a = mt_alloc(m, 32, 1);
	int32_t t0 = mt_alloc(m, 4, 0), t1 = mt_alloc(m, 4, 0); /* tiny, t1 at offset 4 */

	ERR(model_free(m, MODEL_NIL, 0), ALLOC_OK);
	ERR(model_free(m, z, 0), ALLOC_ERR_NOT_IN_HEAP);
	ERR(model_setfin(m, z, 0, 0, 0, 1), ALLOC_OK);     /* accepted, ignored */
	ERR(model_free(m, a, 8), ALLOC_ERR_INTERIOR);
	ERR(model_free(m, t0, 0), ALLOC_ERR_TINY);
	ERR(model_free(m, t1, 0), ALLOC_ERR_INTERIOR);     /* block offset 4 */
	ERR(model_free(m, t0, 4), ALLOC_ERR_INTERIOR);

	/* setfinalizer: interior needs a noscan element smaller than 16 bytes. */
	ERR(model_setfin(m, a, 8, 32, 1, 1), ALLOC_ERR_INTERIOR);
	ERR(model_setfin(m, a, 8, 16, 0, 1), ALLOC_ERR_INTERIOR);
	ERR(model_setfin(m, a, 8, 8, 1, 1), ALLOC_ERR_INTERIOR);
	ERR(model_setfin(m, a, 8, 0, 0, 0), ALLOC_OK);     /* clearing passes the same check */
	ERR(model_setfin(m, a, 8, 8, 0, 1), ALLOC_OK);
	CHECK_EQ(model_fin_at(m, a, 8), 1);
	CHECK_EQ(model_fin_at(m, a, 0), 0);
	ERR(model_free(m, a, 0), ALLOC_ERR_HAS_FINALIZER); /* any finalizer inside the object */
	ERR(model_setfin(m, a, 0, 32, 1, 2), ALLOC_OK);
	ERR(model_setfin(m, a, 0, 32, 1, 3), ALLOC_ERR_FIN_EXISTS);
	CHECK_EQ(model_fin_at(m, a, 0), 2);
	ERR(model_setfin(m, a, 0, 32, 1, 0), ALLOC_OK);
	ERR(model_setfin(m, a, 0, 32, 1, 0), ALLOC_OK);    /* none there: still OK */
	ERR(model_free(m, a, 0), ALLOC_ERR_HAS_FINALIZER); /* the one at +8 is left */
	ERR(model_setfin(m, a, 8, 8, 0, 0), ALLOC_OK);

	/* Same address, two names: t0+4 is t1. */
	ERR(model_setfin(m, t1, 0, 4, 0, 5), ALLOC_OK);
	ERR(model_setfin(m, t0, 4, 4, 0, 6), ALLOC_ERR_FIN_EXISTS);
	ERR(model_free(m, t0, 0), ALLOC_ERR_TINY);         /* TINY comes before HAS_FINALIZER */

	ERR(model_free(m, a, 0), ALLOC_OK);
	CHECK_EQ(model_obj(m, a)->state, MODEL_FREED);
	ENDED(model_free(m, a, 0), ALLOC_ERR_NOT_ALLOCATED);
	ENDED(model_free(m, a, 8), ALLOC_ERR_INTERIOR);
	ENDED(model_setfin(m, a, 0, 32, 1, 1), ALLOC_ERR_NOT_ALLOCATED);
	ENDED(model_setfin(m, a, 8, 32, 1, 1), ALLOC_ERR_NOT_ALLOCATED);
	/* After another block is allocated the freed slot may be reused. */
	mt_alloc(m, 32, 1);
	CHECK(model_free(m, a, 0).stale);
	CHECK(!model_free(m, t1, 0).stale);

	/* A pending object (finalizer queued, not run) still has its
	 * finalizer: the free is refused and changes nothing. */
	int32_t p = mt_alloc(m, 48, 0);
	CHECK_EQ(model_setfin(m, p, 0, 48, 0, 1).err, ALLOC_OK);
	model_gc_result_t r;
	model_gc(m, &r);
	CHECK(model_is_pending(m, p));
	model_err_t e = model_free(m, p, 0);
	CHECK_EQ(e.err, ALLOC_ERR_HAS_FINALIZER);
	CHECK(model_is_pending(m, p));
	model_gc(m, &r);
	CHECK_EQ(r.dangling, 0);

	/* So does freeing an object a root still points to. */
	int32_t q = mt_alloc(m, 64, 0);
	CHECK(model_root(m, 3, mt_ref(q, 8)));
	CHECK_EQ(model_free(m, q, 0).err, ALLOC_OK);
	model_gc(m, &r);
	CHECK_EQ(r.dangling, 1);            /* the root */
	model_destroy(m);
	return T_DONE();
}
