/*
 * fuzz_twin: the same ops on a span-specials heap and a legacy heap plus the
 * model: addresses and observations must be identical.
 * Input: a binary op program (harness/OPS.md). A difference or a throw
 * prints the executor's report and aborts.
 */
#include "harness/exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return exec_fuzz_one(EXEC_TWIN_SPECIALS, data, size);
}
