/* Size rounding, alignment and argument checks: small sizes go to the
 * smallest class of the reference table that holds them, large ones to
 * whole 8 KiB pages; an object's address is a multiple of the largest power
 * of two dividing its block size (spans are page aligned); BADARG and the
 * capacity bound. */
#include "tests/model_t.h"

static model_alloc_t pred(model_t *m, int p, size_t size, size_t ptrs)
{
	model_alloc_t a;
	model_alloc_predict(m, p, size, ptrs, &a);
	return a;
}

int main(void)
{
	model_t *m = mt_new(2, 0, (size_t)1 << 20);
	CHECK_EQ(model_roundup(m, 1), 8);
	CHECK_EQ(model_roundup(m, 9), 16);
	CHECK_EQ(model_roundup(m, 17), 32);    /* this table has no 24 */
	CHECK_EQ(model_roundup(m, 33), 48);
	CHECK_EQ(model_roundup(m, 1024), 1024);
	CHECK_EQ(model_roundup(m, 1025), 1152);
	CHECK_EQ(model_roundup(m, 32768), 32768);
	CHECK_EQ(model_roundup(m, 32769), 40960);
	CHECK_EQ(model_roundup(m, 40960), 40960);
	CHECK_EQ(model_size_class(m, 32769), 0);
	CHECK_EQ(model_size_class(m, 8), 1);
	CHECK_EQ(model_size_class(m, 32768), 66);

	model_alloc_t a = pred(m, 0, 48, 6);
	CHECK_EQ(a.err, ALLOC_OK);
	CHECK_EQ(a.elemsize, 48);
	CHECK_EQ(a.align, 16);
	CHECK_EQ(pred(m, 0, 24, 1).align, 32);
	CHECK_EQ(pred(m, 0, 1500, 0).align, 512);   /* 1536 = 3 * 512 */
	CHECK_EQ(pred(m, 0, 20000, 0).align, 4096); /* 20480 */
	CHECK_EQ(pred(m, 0, 40000, 0).align, 8192);
	CHECK_EQ(pred(m, 0, 40000, 0).elemsize, 40960);

	CHECK_EQ(pred(m, 0, 15, 2).err, ALLOC_ERR_BADARG);  /* 16 bytes of pointers > 15 */
	CHECK_EQ(pred(m, 0, 16, 2).err, ALLOC_OK);
	CHECK_EQ(pred(m, 0, 0, 1).err, ALLOC_ERR_BADARG);
	CHECK_EQ(pred(m, 2, 8, 0).err, ALLOC_ERR_BADARG);
	CHECK_EQ(pred(m, -1, 8, 0).err, ALLOC_ERR_BADARG);
	CHECK_EQ(model_alloc(m, 2, 8, 0, 0, NULL), MODEL_NIL);
	CHECK_EQ(model_nobjs(m), 0);

	a = pred(m, 1, 0, 0);
	CHECK(a.zerobase);
	CHECK_EQ(a.err, ALLOC_OK);
	CHECK_EQ(model_alloc(m, 1, 0, 0, 0, NULL), 0);  /* size 0 still gets an id */
	heap_stats_t st;
	model_expected_stats(m, &st);
	CHECK_EQ(st.nmalloc, 0);

	/* Cap 1 MiB: 2 MiB can never fit; 600 KiB fits a perfect packing but a
	 * heap that grows in 512 KiB steps may not manage; 8 bytes surely fit. */
	CHECK_EQ(pred(m, 0, 2 << 20, 0).err, ALLOC_ERR_NOMEM);
	a = pred(m, 0, 600 << 10, 0);
	CHECK_EQ(a.err, ALLOC_OK);
	CHECK(a.may_nomem);
	a = pred(m, 0, 8, 0);
	CHECK_EQ(a.err, ALLOC_OK);
	CHECK(!a.may_nomem);
	CHECK_EQ(a.id, 1);
	CHECK(model_alloc(m, 0, 600 << 10, 0, 0, NULL) == 1);
	/* 600 KiB live + 480 KiB more > 1 MiB: certain now. */
	CHECK_EQ(pred(m, 0, 480 << 10, 0).err, ALLOC_ERR_NOMEM);
	CHECK_EQ(pred(m, 0, 400 << 10, 0).err, ALLOC_OK);
	/* A tiny allocation that fits the current block never fails. */
	CHECK(model_alloc(m, 0, 1, 0, 0, NULL) == 2);
	a = pred(m, 0, 1, 0);
	CHECK(a.tiny_fit && !a.may_nomem && a.err == ALLOC_OK);
	model_destroy(m);
	return T_DONE();
}
