/* The legacy finalizer tables follow the deleted mfinal.c (seed 003): a
 * table starts at 27 slots; before an insert, a table with
 * nkey >= max/2 + max/4 (nkey counts dead slots too) is resized: x3 when
 * fewer than nkey/2 slots are dead, else rehashed at the same size, which
 * drops the dead markers. An insert reuses a dead slot on its probe path;
 * a removal leaves a dead marker that later lookups probe past. The
 * numbers below are computed from those rules, not read from the code. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"
#include "tests/heapcheck.h"

#define NOBJ 100000   /* one object in 17 * 81 qualifies */
#define NKEYS 61

static void *objs[NOBJ];

int main(void)
{
	heap_t *h;
	REQUIRE(heap_new(&(heap_config_t){.specials = HEAP_SPECIALS_LEGACY}, &h) == ALLOC_OK);

	/* NKEYS objects that hash to one table, (p >> 3) % 17, and to one home
	 * slot in a 27- and an 81-slot table (p % 81): every key collides, so
	 * lookups and inserts probe through the others and their dead markers */
	uintptr_t k[NKEYS];
	int n = 0, tab = -1, home = -1;
	for (int i = 0; i < NOBJ && n < NKEYS; i++) {
		REQUIRE(heap_alloc(h, 0, 16, 1, 1, &objs[i]) == ALLOC_OK);
		uintptr_t p = (uintptr_t)objs[i];
		if (tab < 0)
			tab = (int)((p >> 3) % LEGACY_TABSZ), home = (int)(p % 81);
		if ((int)((p >> 3) % LEGACY_TABSZ) == tab && (int)(p % 81) == home)
			k[n++] = p;
	}
	REQUIRE(n == NKEYS);
	fintab_t *t = &h->fintab[tab];
	CHECK_EQ(t->max, 0);

	/* the first insert makes 27 slots */
	for (int i = 0; i < 10; i++)
		CHECK_EQ(heap_setfinalizer(h, (void *)k[i], 16, 0, 0x100 + (uintptr_t)i), ALLOC_OK);
	CHECK_EQ(t->max, 27);
	CHECK_EQ(t->nkey, 10);
	CHECK_EQ(t->ndead, 0);

	/* remove: a dead marker; re-insert the same key: its own dead slot is
	 * the first free one on its probe path, so it is reused */
	CHECK_EQ(heap_setfinalizer(h, (void *)k[5], 16, 0, 0), ALLOC_OK);
	CHECK_EQ(t->nkey, 10);
	CHECK_EQ(t->ndead, 1);
	CHECK_EQ(heap_free(h, 0, (void *)k[6]), ALLOC_ERR_HAS_FINALIZER);  /* probes past it */
	CHECK_EQ(heap_setfinalizer(h, (void *)k[5], 16, 0, 0x105), ALLOC_OK);
	CHECK_EQ(t->nkey, 10);
	CHECK_EQ(t->ndead, 0);
	CHECK_EQ(t->max, 27);
	HEAP_OK(h);

	/* 27/2 + 27/4 = 19 keys fit; the 20th grows the table x3 */
	for (int i = 10; i < 19; i++)
		CHECK_EQ(heap_setfinalizer(h, (void *)k[i], 16, 0, 0x100 + (uintptr_t)i), ALLOC_OK);
	CHECK_EQ(t->max, 27);
	CHECK_EQ(t->nkey, 19);
	CHECK_EQ(heap_setfinalizer(h, (void *)k[19], 16, 0, 0x119), ALLOC_OK);
	CHECK_EQ(t->max, 81);
	CHECK_EQ(t->nkey, 20);
	CHECK_EQ(t->ndead, 0);

	/* 81/2 + 81/4 = 60 keys fit */
	for (int i = 20; i < 60; i++)
		CHECK_EQ(heap_setfinalizer(h, (void *)k[i], 16, 0, 0x100 + (uintptr_t)i), ALLOC_OK);
	CHECK_EQ(t->max, 81);
	CHECK_EQ(t->nkey, 60);
	/* 40 removed: 40 dead >= 60/2, so the next insert rehashes in place */
	for (int i = 0; i < 40; i++)
		CHECK_EQ(heap_setfinalizer(h, (void *)k[i], 16, 0, 0), ALLOC_OK);
	CHECK_EQ(t->nkey, 60);
	CHECK_EQ(t->ndead, 40);
	/* lookups probe past the dead markers: every live key is found */
	for (int i = 40; i < 60; i++)
		CHECK_EQ(heap_setfinalizer(h, (void *)k[i], 16, 0, 0x1), ALLOC_ERR_FIN_EXISTS);
	CHECK_EQ(t->nkey, 60);
	CHECK_EQ(heap_setfinalizer(h, (void *)k[60], 16, 0, 0x160), ALLOC_OK);
	CHECK_EQ(t->max, 81);
	CHECK_EQ(t->nkey, 21);
	CHECK_EQ(t->ndead, 0);
	HEAP_OK(h);

	/* every live key is still found after the rehash, no removed one is */
	for (int i = 0; i < NKEYS; i++) {
		alloc_err_t want = i < 40 ? ALLOC_OK : ALLOC_ERR_HAS_FINALIZER;
		CHECK_EQ(heap_free(h, 0, (void *)k[i]), want);
	}
	HEAP_OK(h);
	heap_destroy(h);
	return T_DONE();
}
