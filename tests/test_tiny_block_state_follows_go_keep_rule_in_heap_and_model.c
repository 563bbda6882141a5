/* Go 1.19 mallocgc, tiny path: a new block replaces the P's current one only
 * if it has strictly more room left ("size < c.tinyoffset || c.tiny == 0"),
 * and a GC drops every P's block (releaseAll). The heap's and the model's
 * current block and offset (heap_tiny_block, model_tiny_block: what the
 * executor compares after each tiny alloc and gc) follow that rule on a
 * sequence worked out by hand, the equal-room case included (the plant
 * tiny_replace_rule_le turns < into <= in the heap). */
#include "tests/model_t.h"
#include "alloc/alloc.h"

static heap_t *h;
static model_t *m;
static uintptr_t addr[16];   /* by model id */
static int32_t n;

static void tiny(size_t size)
{
	void *p = NULL;
	REQUIRE(heap_alloc(h, 0, size, 0, 0, &p) == ALLOC_OK && p);
	REQUIRE(model_alloc(m, 0, size, 0, 0, NULL) == n);
	addr[n++] = (uintptr_t)p;
}

/* P 0's block is the one model id `block` starts (MODEL_NIL: none), with its
 * next free byte at `off`, in the heap and in the model. */
static void expect(int32_t block, uint32_t off)
{
	size_t hoff;
	uint32_t moff;
	uintptr_t hb = heap_tiny_block(h, 0, &hoff);
	int32_t mb = model_tiny_block(m, 0, &moff);
	CHECK_EQ(mb, block);
	CHECK_EQ(hb, block == MODEL_NIL ? 0 : addr[block]);
	if (block != MODEL_NIL) {
		CHECK_EQ(moff, off);
		CHECK_EQ(hoff, off);
	}
}

int main(void)
{
	heap_config_t cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.nprocs = 2;
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	m = mt_new(2, 0, 0);
	expect(MODEL_NIL, 0);
	tiny(12);            /* id 0: the first block, offset 12 */
	expect(0, 12);
	tiny(12);            /* id 1: 4-aligned 12 + 12 > 16: a new block with 4
	                        left, as much as block 0: block 0 stays */
	expect(0, 12);
	CHECK(addr[1] != addr[0] + 12);
	tiny(4);             /* id 2: into block 0 at 12, which is now full */
	CHECK_EQ(addr[2], addr[0] + 12);
	expect(0, 16);
	tiny(1);             /* id 3: no room: a new block with 15 left replaces it */
	expect(3, 1);
	tiny(15);            /* id 4: 1 + 15 = 16 fits: block 3 is full */
	CHECK_EQ(addr[4], addr[3] + 1);
	expect(3, 16);
	size_t off1;
	CHECK_EQ(heap_tiny_block(h, 1, &off1), 0);   /* P 1 never allocated */
	CHECK_EQ(heap_tiny_block(h, 7, &off1), 0);   /* no such P */
	uint32_t moff1;
	CHECK_EQ(model_tiny_block(m, 7, &moff1), MODEL_NIL);

	REQUIRE(heap_gc(h) == ALLOC_OK);   /* releaseAll: no P keeps a block */
	model_gc_result_t r;
	model_gc(m, &r);
	expect(MODEL_NIL, 0);
	model_destroy(m);
	heap_destroy(h);
	return T_DONE();
}
