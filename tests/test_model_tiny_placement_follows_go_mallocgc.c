/* DECISIONS / Go 1.19 mallocgc tiny path: noscan sizes < 16 share 16-byte
 * blocks per P; the offset is aligned by the size's low bits; a block that
 * does not fit is replaced only if the new one has more room left. */
#include "tests/model_t.h"

static model_alloc_t al(model_t *m, int p, size_t size, size_t ptrs)
{
	model_alloc_t a;
	CHECK(model_alloc(m, p, size, ptrs, 0, &a) != MODEL_NIL);
	return a;
}

int main(void)
{
	model_t *m = mt_new(2, 0, 0);
	model_alloc_t a;
	a = al(m, 0, 1, 0);                 /* id 0: new block 0, tinyoffset 1 */
	CHECK(a.tiny && !a.tiny_fit);
	CHECK_EQ(a.tiny_block, 0);
	CHECK_EQ(a.tiny_off, 0);
	CHECK_EQ(a.align, 16);
	CHECK_EQ(a.elemsize, 16);
	a = al(m, 0, 2, 0);                 /* id 1: 2-aligned: offset 2, tinyoffset 4 */
	CHECK(a.tiny_fit);
	CHECK_EQ(a.tiny_block, 0);
	CHECK_EQ(a.tiny_off, 2);
	CHECK_EQ(a.align, 2);
	a = al(m, 0, 8, 0);                 /* id 2: 8-aligned: offset 8, fills the block */
	CHECK(a.tiny_fit);
	CHECK_EQ(a.tiny_off, 8);
	CHECK_EQ(a.align, 8);
	a = al(m, 0, 1, 0);                 /* id 3: no room: new block, 1 < 16: replaces */
	CHECK(!a.tiny_fit);
	CHECK_EQ(a.tiny_block, 3);
	a = al(m, 0, 12, 0);                /* id 4: 4-aligned: offset 4, 4+12 = 16 fits */
	CHECK(a.tiny_fit);
	CHECK_EQ(a.tiny_block, 3);
	CHECK_EQ(a.tiny_off, 4);
	CHECK_EQ(a.align, 4);
	a = al(m, 0, 15, 0);                /* id 5: new block; 15 < 16: replaces */
	CHECK_EQ(a.tiny_block, 5);
	a = al(m, 0, 8, 0);                 /* id 6: offset 16: new block; 8 < 15: replaces */
	CHECK_EQ(a.tiny_block, 6);
	a = al(m, 1, 8, 0);                 /* id 7: P 1 has no block yet */
	CHECK(!a.tiny_fit);
	CHECK_EQ(a.tiny_block, 7);
	a = al(m, 0, 9, 0);                 /* id 8: 8+9 > 16: new block; 9 >= 8: P 0 keeps 6 */
	CHECK(!a.tiny_fit);
	CHECK_EQ(a.tiny_block, 8);
	a = al(m, 0, 4, 0);                 /* id 9: into block 6 at offset 8 */
	CHECK(a.tiny_fit);
	CHECK_EQ(a.tiny_block, 6);
	CHECK_EQ(a.tiny_off, 8);
	a = al(m, 1, 3, 0);                 /* id 10: P 1's block 7, offset 8 */
	CHECK_EQ(a.tiny_block, 7);
	CHECK_EQ(a.tiny_off, 8);
	a = al(m, 0, 8, 1);                 /* id 11: has a pointer: not tiny, class 8 */
	CHECK(!a.tiny);
	CHECK_EQ(a.elemsize, 8);
	a = al(m, 0, 16, 0);                /* id 12: 16 is not < 16: a plain class-2 object */
	CHECK(!a.tiny);
	CHECK_EQ(a.elemsize, 16);
	a = al(m, 0, 1, 0);                 /* id 13: block 6 again: offset 12 */
	CHECK_EQ(a.tiny_block, 6);
	CHECK_EQ(a.tiny_off, 12);

	CHECK_EQ(model_obj(m, 9)->block, 6);
	CHECK_EQ(model_obj(m, 9)->boff, 8);
	CHECK_EQ(model_obj(m, 6)->block, 6);

	/* A gc drops every P's tiny block: the next tiny allocation starts one. */
	model_gc_result_t r;
	model_gc(m, &r);
	a = al(m, 0, 1, 0);
	CHECK(!a.tiny_fit);
	CHECK_EQ(a.tiny_block, 14);

	/* The 14 allocations before gc: blocks 0 3 5 6 7 8 (tiny), 11, 12. */
	heap_stats_t st;
	model_expected_stats(m, &st);
	CHECK_EQ(st.nmalloc, 15);
	CHECK_EQ(st.tiny_allocs, 6);        /* ids 1 2 4 9 10 13 */
	CHECK_EQ(st.by_class_nmalloc[2], 8);/* 7 tiny blocks + id 12 */
	CHECK_EQ(st.by_class_nmalloc[1], 1);
	model_destroy(m);
	return T_DONE();
}
