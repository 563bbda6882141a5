/*
 * fuzz_threads: the Ps on threads of their own, racing, against the model.
 *
 * Input: byte 0 chooses the heap (bits 0-1: 2 + b % 3 Ps; bit 2: lazy
 * sweep; bit 3: legacy specials), the rest is a binary op program
 * (harness/OPS.md) read as rounds (OPS.md, "Threads"): `proc P` sends the
 * ops that follow to P's stream; `gc`, `sweep`, `runfin`, `check` and
 * `profrate` end a round. A round's streams run at once, one thread per P
 * (threads_pool.c); at its end the world stops and the model replays the
 * round in program order, which must predict every answer the heap gave
 * (threads_resolve.c chooses the ops so that any interleaving gives the
 * same answers), then the barrier op and the checks run single-threaded.
 *
 * A finding is a difference (printed as "fuzz_threads: ..."), a throw
 * (including the debug build's lock-order check), or a sanitizer report:
 * under the tsan preset a data race or lock-order inversion.
 */
#include "harness/threads.h"

/* ThreadSanitizer: stop at the first report so the engine records it. It
 * runs while TSan initializes, so neither TSan nor coverage may instrument
 * it. */
#if defined(__clang__)
#define AF_NO_SANITIZE __attribute__((disable_sanitizer_instrumentation, no_sanitize("coverage")))
#else
#define AF_NO_SANITIZE
#endif
const char *__tsan_default_options(void);
AF_NO_SANITIZE const char *__tsan_default_options(void)
{
	return "halt_on_error=1:abort_on_error=1:second_deadlock_stack=1:report_signal_unsafe=0";
}

/* libFuzzer's inline coverage counters are bumped by every P's thread, and
 * clang 14's TSan instruments those bumps: each would be reported as a race
 * on the counters' section, which the symbolizer names after the symbol
 * before it (__TMC_END__ with the GNU toolchain). Heap memory is never a
 * global, so no race of the allocator's hides behind this. */
const char *__tsan_default_suppressions(void);
AF_NO_SANITIZE const char *__tsan_default_suppressions(void)
{
	return "race:__TMC_END__\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	th_run(th_get(data[0]), data + 1, size - 1);
	return 0;
}
