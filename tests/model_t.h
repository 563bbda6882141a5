/* Helpers for the tests of the reference model alone (tests/test_model_*.c):
 * a model from a small config, and short forms of the common ops. The
 * expected values in those tests are worked out by hand from the rules. */
#ifndef ALLOCFUZZ_MODEL_T_H
#define ALLOCFUZZ_MODEL_T_H
#include "tests/t.h"
#include "oracles/model.h"
#include <string.h>

static inline model_t *mt_new(int nprocs, int64_t profrate, size_t cap)
{
	heap_config_t cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.nprocs = nprocs;
	cfg.profrate = profrate;
	cfg.cap_bytes = cap;
	model_t *m = NULL;
	REQUIRE(model_new(&cfg, NULL, &m) == ALLOC_OK && m);
	return m;
}

/* Allocates through P 0, stack 0; the op must succeed. */
static inline int32_t mt_alloc(model_t *m, size_t size, size_t ptrs)
{
	int32_t id = model_alloc(m, 0, size, ptrs, 0, NULL);
	REQUIRE(id != MODEL_NIL);
	return id;
}

static inline model_ref_t mt_ref(int32_t id, uint32_t off) { return (model_ref_t){id, off}; }
static inline model_ref_t mt_nil(void) { return (model_ref_t){MODEL_NIL, 0}; }

/* The last gc's finalized or freed ids as a string "1 4 7" for CHECKs. */
static inline const char *mt_fins(const model_gc_result_t *r)
{
	static char buf[512];
	buf[0] = 0;
	for (size_t i = 0; i < r->nfin; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%d",
		         i ? " " : "", r->fin[i].id);
	return buf;
}
static inline const char *mt_freed(const model_gc_result_t *r)
{
	static char buf[512];
	buf[0] = 0;
	for (size_t i = 0; i < r->nfreed; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%d",
		         i ? " " : "", r->freed[i]);
	return buf;
}
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); t_checks++; \
	if (strcmp(_a, _b) != 0) { t_failures++; fprintf(stderr, \
	"%s:%d: CHECK_STR failed: %s == \"%s\" (got \"%s\")\n", __FILE__, __LINE__, #a, _b, _a); } \
	} while (0)
#endif
