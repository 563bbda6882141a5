/* GC issue: a finalizer runs once; an object its finalizer resurrects lives
 * on without a finalizer and is freed (not finalized) once unreachable. A
 * finalizer that sets a new finalizer (refin) runs again the next cycle. */
#include "tests/model_t.h"

enum { KEEP, RESURRECT, REFIN };
struct act { int what; int ran; int32_t last; };

static void on_fin(model_t *m, const model_fin_t *rec, void *ctx)
{
	struct act *a = ctx;
	a->ran++;
	a->last = rec->id;
	if (a->what == RESURRECT)
		CHECK(model_root(m, 5, mt_ref(rec->id, 0)));
	else if (a->what == REFIN)
		CHECK_EQ(model_setfin(m, rec->id, rec->off, 32, 0, 7).err, ALLOC_OK);
}

static void resurrect(void)
{
	model_t *m = mt_new(1, 0, 0);
	int32_t x = mt_alloc(m, 32, 0);
	CHECK_EQ(model_setfin(m, x, 0, 32, 0, 7).err, ALLOC_OK);
	model_gc_result_t r;
	model_gc(m, &r);
	CHECK_STR(mt_fins(&r), "0");
	struct act a = {RESURRECT, 0, -1};
	CHECK_EQ(model_runfin(m, on_fin, &a), 1);
	CHECK_EQ(a.ran, 1);
	CHECK_EQ(a.last, x);
	CHECK_EQ(model_root_get(m, 5).id, x);
	model_gc(m, &r);                    /* rooted, no finalizer: nothing happens */
	CHECK_STR(mt_fins(&r), "");
	CHECK_STR(mt_freed(&r), "");
	CHECK(model_root(m, 5, mt_nil()));
	model_gc(m, &r);                    /* unreachable again: freed, not finalized */
	CHECK_STR(mt_fins(&r), "");
	CHECK_STR(mt_freed(&r), "0");
	CHECK_EQ(model_runfin(m, on_fin, &a), 0);
	model_destroy(m);
}

static void refin(void)
{
	model_t *m = mt_new(1, 0, 0);
	mt_alloc(m, 8, 1);                  /* id 0: a bystander, also garbage */
	int32_t y = mt_alloc(m, 32, 0);
	CHECK_EQ(model_setfin(m, y, 0, 32, 0, 7).err, ALLOC_OK);
	model_gc_result_t r;
	model_gc(m, &r);
	CHECK_STR(mt_fins(&r), "1");
	CHECK_STR(mt_freed(&r), "0");
	struct act a = {REFIN, 0, -1};
	CHECK_EQ(model_runfin(m, on_fin, &a), 1);
	CHECK_EQ(model_fin_at(m, y, 0), 7);
	model_gc(m, &r);                    /* the new finalizer: queued again */
	CHECK_STR(mt_fins(&r), "1");
	CHECK_STR(mt_freed(&r), "");
	a.what = KEEP;
	CHECK_EQ(model_runfin(m, on_fin, &a), 1);
	model_gc(m, &r);
	CHECK_STR(mt_fins(&r), "");
	CHECK_STR(mt_freed(&r), "1");
	model_destroy(m);
}

int main(void)
{
	resurrect();
	refin();
	return T_DONE();
}
