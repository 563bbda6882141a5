/* heap_new returns ALLOC_ERR_BADCONFIG (and no heap) for every config field
 * out of range, fills in the documented defaults for zero fields, and the
 * error names and messages are the ones the op language spells. */
#include "tests/t.h"
#define AF_WHITEBOX
#include "alloc/testing.h"
#include <string.h>

static alloc_err_t try_new(heap_config_t cfg)
{
	heap_t *h = (heap_t *)1;
	alloc_err_t err = heap_new(&cfg, &h);
	if (err != ALLOC_OK)
		CHECK(h == NULL);
	heap_destroy(h);
	return err;
}

int main(void)
{
	heap_config_t ok = {0};
	CHECK_EQ(try_new(ok), ALLOC_OK);

	heap_config_t c = ok;
	c.cap_bytes = PAGE_SIZE - 1;            /* less than one page */
	CHECK_EQ(try_new(c), ALLOC_ERR_BADCONFIG);
	c.cap_bytes = (size_t)MAX_ARENAS * ARENA_BYTES + PAGE_SIZE;
	CHECK_EQ(try_new(c), ALLOC_ERR_BADCONFIG);
	c.cap_bytes = PAGE_SIZE;                /* the smallest heap */
	CHECK_EQ(try_new(c), ALLOC_OK);
	c = ok;
	c.nprocs = HEAP_MAX_PROCS + 1;
	CHECK_EQ(try_new(c), ALLOC_ERR_BADCONFIG);
	c.nprocs = -1;
	CHECK_EQ(try_new(c), ALLOC_ERR_BADCONFIG);
	c.nprocs = HEAP_MAX_PROCS;
	CHECK_EQ(try_new(c), ALLOC_OK);
	c = ok;
	c.sweep = (heap_sweep_mode_t)2;
	CHECK_EQ(try_new(c), ALLOC_ERR_BADCONFIG);
	c = ok;
	c.specials = (heap_specials_mode_t)2;
	CHECK_EQ(try_new(c), ALLOC_ERR_BADCONFIG);
	c = ok;
	c.profrate = -1;
	CHECK_EQ(try_new(c), ALLOC_ERR_BADCONFIG);

	heap_t *h = NULL;
	REQUIRE(heap_new(NULL, &h) == ALLOC_OK);   /* NULL = all defaults */
	const heap_config_t *got = heap_config(h);
	CHECK_EQ(got->cap_bytes, DEFAULT_CAP);
	CHECK_EQ(got->nprocs, 1);
	CHECK(h->mcaches[0] != NULL && h->mcaches[1] == NULL);
	CHECK_EQ(h->arena_end - h->arena_start, DEFAULT_CAP);
	CHECK_EQ(h->arena_start % ARENA_BYTES, 0);
	heap_destroy(h);
	heap_destroy(NULL);
	CHECK_EQ(heap_new(NULL, NULL), ALLOC_ERR_BADARG);   /* nowhere to put it */

	CHECK(strcmp(alloc_errname(ALLOC_ERR_NOMEM), "NOMEM") == 0);
	CHECK(strcmp(alloc_errname(ALLOC_OK), "OK") == 0);
	CHECK(strcmp(alloc_errname(ALLOC_ERR_NOT_IN_HEAP), "NOT_IN_HEAP") == 0);
	CHECK(strcmp(alloc_strerror(ALLOC_ERR_NOMEM), "ALLOC_ERR_NOMEM: heap cap reached") == 0);
	CHECK(strcmp(alloc_errname((alloc_err_t)99), "UNKNOWN") == 0);
	for (int e = 0; e < ALLOC_ERR__COUNT; e++) {
		const char *name = alloc_errname((alloc_err_t)e), *msg = alloc_strerror((alloc_err_t)e);
		REQUIRE(name && msg);
		/* "ALLOC_ERR_<NAME>: ..." (ALLOC_OK for OK) */
		char want[64];
		snprintf(want, sizeof want, e ? "ALLOC_ERR_%s: " : "ALLOC_%s: ", name);
		CHECK(strncmp(msg, want, strlen(want)) == 0);
	}
	return T_DONE();
}
