/* The heap checker compares each bucket's allocs - frees with the profile
 * records that name it, in legacy mode as in span mode (profile_live). One
 * alloc moved from one stack's count to another's leaves the total equal, so
 * a check of the total alone passes it. (The per-bucket count used to be
 * done a second time inside mlegacy_is_valid and reported as legacy_tables;
 * the checker now runs only that function's table part.) */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"
#include <string.h>

int main(void)
{
	heap_config_t cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.specials = HEAP_SPECIALS_LEGACY;
	cfg.profrate = 1;   /* every allocation is profiled */
	heap_t *h = NULL;
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	void *p;
	for (uint32_t stack = 1; stack <= 2; stack++)
		for (int i = 0; i < 3; i++)
			REQUIRE(heap_alloc(h, 0, 64, 0, stack, &p) == ALLOC_OK);
	heap_check_report_t rep;
	CHECK_EQ(heap_check(h, &rep), ALLOC_OK);

	bucket_t *b1 = NULL, *b2 = NULL;
	for (bucket_t *b = h->buckets; b; b = b->allnext) {
		if (b->stack == 1)
			b1 = b;
		if (b->stack == 2)
			b2 = b;
	}
	REQUIRE(b1 && b2 && bucket_total(b1).allocs == 3 && bucket_total(b2).allocs == 3);
	b1->recent.allocs++;   /* one alloc counted under the wrong stack */
	b2->recent.allocs--;
	CHECK(heap_check(h, &rep) != ALLOC_OK);
	CHECK(strcmp(rep.invariant, "profile_live") == 0);
	CHECK(strstr(rep.detail, "stack 1: 4 allocs - frees, 3 live profile records") != NULL);
	b1->recent.allocs--;
	b2->recent.allocs++;
	CHECK_EQ(heap_check(h, &rep), ALLOC_OK);
	heap_destroy(h);
	return T_DONE();
}
