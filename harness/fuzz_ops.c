/*
 * fuzz_ops: every op on one heap (span specials, eager sweep) against the
 * model, with all checks.
 * Input: a binary op program (harness/OPS.md). A difference or a throw
 * prints the executor's report and aborts.
 */
#include "harness/exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return exec_fuzz_one(EXEC_ONE, data, size);
}
