/* HEAP_OK(h): the heap checker must find nothing; prints its report if it
 * does. Include after t.h. */
#ifndef ALLOCFUZZ_HEAPCHECK_H
#define ALLOCFUZZ_HEAPCHECK_H
#include "alloc/alloc.h"
#include <stdio.h>

static inline void heap_ok(heap_t *h, const char *file, int line)
{
	heap_check_report_t rep;
	memset(&rep, 0, sizeof rep);
	alloc_err_t err = heap_check(h, &rep);
	t_checks++;
	if (err != ALLOC_OK) {
		t_failures++;
		fprintf(stderr, "%s:%d: heap_check: %s: %s\n", file, line, rep.invariant, rep.detail);
	}
}
#define HEAP_OK(h) heap_ok((h), __FILE__, __LINE__)
#endif
