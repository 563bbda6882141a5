/*
 * The reference size class table, read from reference/ (the repo's copy of shared/reference/)
 * go-sizeclasses.tsv independently of alloc/msize.c, so the tests and the
 * sizeclass fuzz target judge the generated table against data it did not
 * produce. Header-only: one static loader per includer.
 */
#ifndef ALLOCFUZZ_REF_SIZECLASSES_H
#define ALLOCFUZZ_REF_SIZECLASSES_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
static inline int ref_sizeclasses_parse(FILE *f, const char *path, ref_sizeclasses_t *r)
{
	char line[512];
	memset(r, 0, sizeof *r);
	r->n = 1;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		long c, sz, sp, ob, tw;
		if (sscanf(line, "%ld %ld %ld %ld %ld", &c, &sz, &sp, &ob, &tw) != 5 ||
		    c != r->n || r->n == REF_MAX_CLASSES) {
			fprintf(stderr, "%s: bad row for class %d: %s", path, r->n, line);
			return -1;
		}
		r->size[c] = sz, r->span[c] = sp, r->objects[c] = ob, r->tail[c] = tw;
		r->n++;
	}
	return r->n == 1 ? -1 : 0;
}

/* Loads go-sizeclasses.tsv from $AF_REFERENCE_DIR if set, else from refdir
 * (the compiled-in <source>/reference, the repo's copy of shared/reference;
 * srcdir is kept for callers but no longer needed). Returns 0 or -1. */
static inline int ref_sizeclasses_load(ref_sizeclasses_t *r, const char *refdir,
				       const char *srcdir)
{
	char path[4096];
	const char *env = getenv("AF_REFERENCE_DIR");
	(void)srcdir;
	if (env && !env[0])
		env = NULL;
	int n = snprintf(path, sizeof path, "%s/go-sizeclasses.tsv", env ? env : refdir);
	FILE *f = (n > 0 && (size_t)n < sizeof path) ? fopen(path, "r") : NULL;
	if (!f) {
		fprintf(stderr, "ref_sizeclasses: cannot open %s/go-sizeclasses.tsv (AF_REFERENCE_DIR=%s)\n",
			env ? env : refdir, env ? env : "unset");
		return -1;
	}
	int rc = ref_sizeclasses_parse(f, path, r);
	fclose(f);
	return rc;
}

/* The smallest class whose objects hold size bytes (0 for size 0 or large). */
static inline int ref_class_for(const ref_sizeclasses_t *r, long size)
{
	if (size <= 0)
		return 0;
	for (int c = 1; c < r->n; c++)
		if (r->size[c] >= size)
			return c;
	return 0;
}
#endif
