/*
 * The one window tests and the harness have into the allocator, in the
 * spirit of Go's export_test.go ("Export guts for testing"): nothing outside
 * alloc/ includes alloc/internal.h; what they need of the allocator beyond
 * its API (alloc.h) is declared here.
 *
 *   1. Accessors, for any code outside alloc/: the executor, the fuzz
 *      targets, the tests. The executor and the op decoder use only these.
 *   2. White-box access, for the component tests and the component fuzz
 *      targets that drive one part of the allocator directly (the page heap,
 *      the size table's divmagic, the fintab, the heap checker's corruption
 *      tests): a file that defines AF_WHITEBOX before including this header
 *      sees the allocator's structures (internal.h). `grep -l AF_WHITEBOX`
 *      lists every file that depends on the allocator's insides.
 */
#ifndef ALLOCFUZZ_TESTING_H
#define ALLOCFUZZ_TESTING_H

#include "alloc/alloc.h"

/* The start of h's arena reservation. An address minus this is the same in
 * every run and every build (traces and reports print addresses so). */
uintptr_t heap_arena_base(const heap_t *h);

/* Validators (mlegacy.c): true if every invariant holds, else false with the
 * first violation in why. */
/* The legacy tables' and special bits' invariants. */
bool mlegacy_is_valid(heap_t *h, char *why, size_t len);

/* Measurement only (allocfuzz bench exec --skip-checks, <target>_replay
 * --bench R --skip-checks): a comma-separated list of checks not computed at
 * all, so a benchmark can price them in one build: the heap checker's
 * costlier invariants legacy_tables, lazy_grow_before_reclaim; the
 * executor's heap_check (at its observation points) and observe (the whole
 * observation point but its sweep finish). NULL (the default): every check
 * runs. */
extern const char *heap_skip_checks;
bool heap_check_skipped(const char *invariant);

#endif

/* Outside the include guard: a white-box file may include this header
 * after a header that included it without AF_WHITEBOX. */
#ifdef AF_WHITEBOX
#include "alloc/internal.h"
#endif
