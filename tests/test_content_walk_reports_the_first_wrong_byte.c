/*
 * The executor's content walks (harness/exec_check.c: the zero check and
 * fill of a new object, the pattern check of a live one) go a block of words
 * at a time; a wrong byte must still be reported exactly: for objects below,
 * at and above one block, and in the sampled parts of a large one, with the
 * walk starting at 0 or after pointer words, a byte flipped at the first,
 * last, block-edge and inner positions is the byte returned (the pattern
 * check), and a non-zero byte left in a new object is the byte returned (the
 * zero check), where a byte-by-byte reference finds it.
 */
#include "harness/exec_internal.h"
#include "tests/t.h"
#include <stdlib.h>
#include <string.h>

static heap_t *h;

static void one(size_t size, size_t from)
{
	uint8_t *p = calloc(1, size), *ref = malloc(size);
	REQUIRE(p && ref);
	/* zero check then fill (the object id is arbitrary) */
	CHECK_EQ(walk(h, p, 7, from, size, W_ZERO_FILL), size);
	CHECK_EQ(walk(h, p, 7, from, size, W_PATTERN), size);
	memcpy(ref, p, size);
	size_t at[] = {from, from + 1, from + 7, from + 8, from + 255, from + 256, from + 257,
	               from + 511, from + 1000, size / 2, size - 257, size - 9, size - 1};
	for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
		size_t k = at[i];
		if (k < from || k >= size)
			continue;
		bool sampled = size - from <= 64 * 1024 || k < from + 4096 || k >= ((size - 4096) & ~(size_t)7);
		if (!sampled)
			continue;   /* between the samples of a large object: not read by design */
		p[k] ^= 0x40;
		CHECK_EQ(walk(h, p, 7, from, size, W_PATTERN), k);
		/* a second flip later in the object: the first one still wins */
		if (k + 3 < size)
			p[k + 3] ^= 0x40;
		CHECK_EQ(walk(h, p, 7, from, size, W_PATTERN), k);
		memcpy(p, ref, size);
		/* the zero check of a new object */
		memset(p, 0, size);
		p[k] = 1;
		CHECK_EQ(walk(h, p, 7, from, size, W_ZERO), k);
		CHECK_EQ(walk(h, p, 7, from, size, W_ZERO_FILL), k);
		memcpy(p, ref, size);
	}
	/* the wrong object id's pattern is wrong at the first byte */
	CHECK_EQ(walk(h, p, 8, from, size, W_PATTERN), from);
	free(p);
	free(ref);
}

int main(void)
{
	heap_config_t cfg = {.nprocs = 1, .cap_bytes = 64 << 20};
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	size_t sizes[] = {8, 24, 255, 256, 264, 512, 1000, 4096, 65536, 70000, 300000};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		one(sizes[i], 0);
		if (sizes[i] > 16)
			one(sizes[i], 16);
	}
	heap_destroy(h);
	return T_DONE();
}
