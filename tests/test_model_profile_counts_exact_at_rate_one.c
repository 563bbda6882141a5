/* Heap profile, Go 1.19 timing: at rate 1 every block allocation is
 * recorded (a new tiny block as 16 bytes, a tiny fit never), a gc publishes
 * everything before it and the frees its own sweep finds, and a
 * finalizer that resurrects its object does not free the record twice.
 * At other rates the model gives bounds that check_profile enforces. */
#include "tests/model_t.h"

static heap_bucket_t bk(uint32_t stack, uint64_t a, uint64_t f, uint64_t ab, uint64_t fb)
{
	heap_bucket_t b = {stack, a, f, ab, fb};
	return b;
}

static void rate_one(void)
{
	model_t *m = mt_new(1, 1, 0);
	char why[256];
	int32_t x = model_alloc(m, 0, 100, 0, 7, NULL);  /* 112 bytes */
	model_alloc(m, 0, 4, 0, 7, NULL);                /* new tiny block: 16 bytes */
	model_alloc(m, 0, 4, 0, 7, NULL);                /* tiny fit: not recorded */
	model_alloc(m, 0, 40000, 0, 9, NULL);            /* 40960 */
	CHECK(model_root(m, 0, mt_ref(x, 0)));
	heap_bucket_t b[3];
	b[0] = bk(7, 0, 0, 0, 0), b[1] = bk(9, 0, 0, 0, 0);
	CHECK(model_check_profile(m, b, 2, why, sizeof why)); /* buckets exist, unpublished */
	CHECK(!model_check_profile(m, b, 1, why, sizeof why));

	model_gc_result_t r;
	model_gc(m, &r);                    /* publishes the allocs; the large one dies */
	CHECK_STR(mt_freed(&r), "3");
	b[0] = bk(7, 2, 0, 128, 0), b[1] = bk(9, 1, 1, 40960, 40960);
	CHECK(model_check_profile(m, b, 2, why, sizeof why));
	b[1] = bk(9, 1, 0, 40960, 0);       /* its free is published with this gc */
	CHECK(!model_check_profile(m, b, 2, why, sizeof why));

	model_gc(m, &r);                    /* the tiny block dies now */
	CHECK_STR(mt_freed(&r), "1 2");
	b[0] = bk(7, 2, 1, 128, 16), b[1] = bk(9, 1, 1, 40960, 40960);
	CHECK(model_check_profile(m, b, 2, why, sizeof why));
	CHECK_EQ(model_free(m, x, 0).err, ALLOC_OK);
	CHECK(model_check_profile(m, b, 2, why, sizeof why)); /* explicit: next gc */
	model_gc(m, &r);
	b[0] = bk(7, 2, 2, 128, 128), b[1] = bk(9, 1, 1, 40960, 40960);
	CHECK(model_check_profile(m, b, 2, why, sizeof why));

	/* A finalizer that resurrects keeps the record; it is freed once. */
	int32_t p = model_alloc(m, 0, 64, 0, 11, NULL);
	CHECK_EQ(model_setfin(m, p, 0, 64, 0, 1).err, ALLOC_OK);
	model_gc(m, &r);
	CHECK_STR(mt_fins(&r), "4");
	CHECK(model_root(m, 1, mt_ref(p, 0)));
	CHECK_EQ(model_runfin(m, NULL, NULL), 1);
	model_gc(m, &r);
	CHECK(model_root(m, 1, mt_nil()));
	model_gc(m, &r);
	CHECK_STR(mt_freed(&r), "4");
	model_gc(m, &r);
	b[2] = bk(11, 1, 1, 64, 64);
	CHECK(model_check_profile(m, b, 3, why, sizeof why));
	b[2] = bk(11, 1, 2, 64, 128);
	CHECK(!model_check_profile(m, b, 3, why, sizeof why));
	b[2] = bk(12, 1, 1, 64, 64);        /* a stack that profiled nothing */
	CHECK(!model_check_profile(m, b, 3, why, sizeof why));

	/* Rate 0 records nothing: no bucket may appear. */
	model_set_profrate(m, 0);
	model_alloc(m, 0, 64, 0, 20, NULL);
	model_gc(m, &r);
	size_t n;
	model_expected_profile(m, &n);
	CHECK_EQ(n, 3);
	model_destroy(m);
}

static void rate_sampled(void)
{
	model_t *m = mt_new(1, 4096, 0);
	char why[256];
	model_alloc(m, 0, 100, 0, 3, NULL); /* 112, maybe */
	model_alloc(m, 0, 200, 0, 3, NULL); /* 208, maybe */
	model_gc_result_t r;
	model_gc(m, &r);
	CHECK(model_check_profile(m, NULL, 0, why, sizeof why)); /* may not exist */
	heap_bucket_t b[1];
	b[0] = bk(3, 1, 0, 112, 0);
	CHECK(model_check_profile(m, b, 1, why, sizeof why));
	b[0] = bk(3, 2, 0, 320, 0);
	CHECK(model_check_profile(m, b, 1, why, sizeof why));
	b[0] = bk(3, 1, 0, 100, 0);         /* 100 is no block size of that stack */
	CHECK(!model_check_profile(m, b, 1, why, sizeof why));
	b[0] = bk(3, 3, 0, 336, 0);
	CHECK(!model_check_profile(m, b, 1, why, sizeof why));
	b[0] = bk(3, 1, 1, 112, 112);       /* gc 1 freed them: frees published */
	CHECK(model_check_profile(m, b, 1, why, sizeof why));
	b[0] = bk(3, 1, 2, 112, 224);       /* more frees than allocs */
	CHECK(!model_check_profile(m, b, 1, why, sizeof why));
	model_destroy(m);
}

int main(void)
{
	rate_one();
	rate_sampled();
	return T_DONE();
}
