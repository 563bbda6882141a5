/* GC issue: a pointer anywhere inside an object (root or heap slot) keeps
 * the whole object alive; a pointer past its block is not a model op. */
#include "tests/model_t.h"

int main(void)
{
	model_t *m = mt_new(1, 0, 0);
	int32_t a = mt_alloc(m, 60, 0);     /* class 64 */
	int32_t b = mt_alloc(m, 16, 2);
	int32_t c = mt_alloc(m, 5000, 0);   /* class 5376 */
	CHECK(model_root(m, 0, mt_ref(a, 40)));
	CHECK(model_root(m, 63, mt_ref(b, 8)));
	CHECK(model_store(m, b, 1, mt_ref(c, 5300))); /* past the size, inside the block */
	CHECK(!model_store(m, b, 2, mt_ref(c, 0)));   /* b has 2 slots */
	CHECK(!model_root(m, 1, mt_ref(a, 64)));      /* past a's block */
	CHECK(!model_root(m, 64, mt_ref(a, 0)));
	model_gc_result_t r;
	model_gc(m, &r);
	CHECK_STR(mt_freed(&r), "");
	CHECK(model_root(m, 0, mt_nil()));
	model_gc(m, &r);
	CHECK_STR(mt_freed(&r), "0");
	CHECK(model_store(m, b, 1, mt_nil()));
	model_gc(m, &r);
	CHECK_STR(mt_freed(&r), "2");
	CHECK(!model_root(m, 2, mt_ref(a, 0)));       /* dead objects cannot be named */
	CHECK(model_is_live(m, b));
	model_destroy(m);
	return T_DONE();
}
