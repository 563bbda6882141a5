/*
 * The accessors of alloc/testing.h (the window tests and the harness have
 * into the allocator).
 */
#include "alloc/testing.h"
#include "alloc/internal.h"

uintptr_t heap_arena_base(const heap_t *h)
{
	return h->arena_start;
}
