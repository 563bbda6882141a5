/*
 * The reference size class table: reference/go-sizeclasses.tsv (the repo's
 * copy of shared/reference/, the table of the seed's Go), read independently
 * of alloc/msize.c so that the judges (the model, the sizeclass target, the
 * tests) and the op decoder's size biases rest on data the allocator did not
 * produce. The one loader of that file; nothing else opens it.
 */
#ifndef ALLOCFUZZ_REF_SIZECLASSES_H
#define ALLOCFUZZ_REF_SIZECLASSES_H

#include <stdio.h>

#define REF_MAX_CLASSES 128

typedef struct ref_sizeclasses {
	int n;                          /* classes including class 0 (large) */
	long size[REF_MAX_CLASSES];     /* bytes_per_obj; size[0] = 0 */
	long span[REF_MAX_CLASSES];     /* bytes_per_span */
	long objects[REF_MAX_CLASSES];
	long tail[REF_MAX_CLASSES];     /* tail_waste_bytes */
} ref_sizeclasses_t;

/* Parses one TSV file. Returns 0, or -1 with a message on stderr (a
 * malformed row, classes out of order, no rows). */
int ref_sizeclasses_parse(FILE *f, const char *path, ref_sizeclasses_t *r);
/* Loads go-sizeclasses.tsv from dir; dir NULL: $AF_REFERENCE_DIR if set and
 * not empty, else the compiled-in <source>/reference. Returns 0, or -1 with
 * a message on stderr. */
int ref_sizeclasses_load(ref_sizeclasses_t *r, const char *dir);
/* The default table (dir NULL), loaded on first use and kept; on failure
 * prints why and exits (a build without its reference table cannot judge
 * anything). */
const ref_sizeclasses_t *ref_sizeclasses(void);
/* The smallest class whose objects hold size bytes (0 for size 0 or large). */
int ref_class_for(const ref_sizeclasses_t *r, long size);

#endif
