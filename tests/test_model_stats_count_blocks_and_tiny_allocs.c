/* memstats as alloc.h documents them: nmalloc counts allocation calls that
 * returned heap memory (tiny fits too, size 0 not), nfree and heap_objects
 * count blocks, byte counts use block sizes, large objects count in class 0
 * and in the large_* fields. check_stats names the first field that differs. */
#include "tests/model_t.h"

int main(void)
{
	model_t *m = mt_new(1, 0, 0);
	int32_t s = mt_alloc(m, 100, 0);    /* class 8: 112 */
	mt_alloc(m, 40000, 0);              /* large: 40960 */
	mt_alloc(m, 4, 0);                  /* new tiny block (class 2) */
	mt_alloc(m, 4, 0);                  /* tiny fit */
	mt_alloc(m, 0, 0);                  /* zero base */
	CHECK_EQ(model_free(m, s, 0).err, ALLOC_OK);
	model_gc_result_t r;
	model_gc(m, &r);                    /* the large one dies; the tiny block is current */
	heap_stats_t e;
	model_expected_stats(m, &e);
	CHECK_EQ(e.nmalloc, 4);
	CHECK_EQ(e.tiny_allocs, 1);
	CHECK_EQ(e.total_alloc, 112 + 40960 + 16);
	CHECK_EQ(e.nfree, 2);
	CHECK_EQ(e.heap_objects, 1);
	CHECK_EQ(e.heap_alloc, 16);
	CHECK_EQ(e.by_class_nmalloc[8], 1);
	CHECK_EQ(e.by_class_nfree[8], 1);
	CHECK_EQ(e.by_class_nmalloc[0], 1);
	CHECK_EQ(e.by_class_nfree[0], 1);
	CHECK_EQ(e.by_class_nmalloc[2], 1);
	CHECK_EQ(e.large_alloc, 40960);
	CHECK_EQ(e.large_nmalloc, 1);
	CHECK_EQ(e.large_free, 40960);
	CHECK_EQ(e.large_nfree, 1);
	CHECK_EQ(e.numgc, 1);

	char why[256] = "";
	heap_stats_t st = e;
	st.heap_sys = 12345;                /* not predicted: ignored */
	CHECK(model_check_stats(m, &st, why, sizeof why));
	st.tiny_allocs = 2;
	CHECK(!model_check_stats(m, &st, why, sizeof why));
	CHECK(strstr(why, "tiny_allocs") != NULL);
	st = e;
	st.by_class_nfree[2] = 1;
	CHECK(!model_check_stats(m, &st, why, sizeof why));

	model_reset(m);
	model_expected_stats(m, &e);
	CHECK_EQ(e.nmalloc, 0);
	CHECK_EQ(model_nobjs(m), 0);
	CHECK_EQ(mt_alloc(m, 8, 0), 0);     /* ids restart after reset */
	model_destroy(m);
	return T_DONE();
}
