/*
 * fuzz_sweep: the same ops on an eager-sweep heap and a lazy-sweep heap plus
 * the model, with `sweep N` anywhere: observations must be identical.
 * Input: a binary op program (harness/OPS.md). A difference or a throw
 * prints the executor's report and aborts.
 */
#include "harness/exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return exec_fuzz_one(EXEC_TWIN_SWEEP, data, size);
}
