/*
 * fuzz_floor: the speed an allocator fuzz target can reach on this machine,
 * for `ci/bench` to divide the op targets' execs/s by (issue 9). It is not a
 * fuzz target of allocfuzz (ci/fuzz never runs it) and checks nothing.
 *
 * It reads the same bytes as the op targets and turns them into a stream of
 * glibc malloc/free on a 64-slot table: per byte b, slot b & 63; if the slot
 * is empty, malloc a size from the next two bytes (1..4096) and write its
 * first and last byte, else free it. Everything left is freed at the end.
 * Built with the same flags as fuzz_ops (libFuzzer + ASan + UBSan in the fuzz
 * preset), so the ratio measures the op targets, not the flags.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *slot[64] = {0};
	for (size_t i = 0; i < size; i++) {
		unsigned k = data[i] & 63;
		if (slot[k]) {
			free(slot[k]);
			slot[k] = NULL;
			continue;
		}
		size_t n = 1;
		if (i + 2 < size) {
			n += data[i + 1] | (size_t)(data[i + 2] & 15) << 8;
			i += 2;
		}
		slot[k] = malloc(n);
		if (slot[k]) {
			slot[k][0] = data[i];
			slot[k][n - 1] = (unsigned char)n;
		}
	}
	for (int k = 0; k < 64; k++)
		free(slot[k]);
	return 0;
}
