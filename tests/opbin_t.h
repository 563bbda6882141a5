/* Test helper for the binary op form (harness/ops.h). */
#ifndef ALLOCFUZZ_OPBIN_T_H
#define ALLOCFUZZ_OPBIN_T_H
#include "harness/ops.h"

/* Ops the decoder runs for d (REPEAT blocks expanded). */
static inline size_t opbin_run_length(const uint8_t *d, size_t n)
{
	opbin_iter_t it;
	opbin_raw_t raw;
	size_t k = 0;
	opbin_iter_init(&it, d, n, 0);
	while (opbin_next(&it, &raw))
		k++;
	return k;
}
#endif
