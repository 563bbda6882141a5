/*
 * The reference size class table loader (see ref_sizeclasses.h).
 */
#include "oracles/ref_sizeclasses.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifndef AF_REFERENCE_DIR   /* CMake defines it as <source>/reference */
#define AF_REFERENCE_DIR "reference"
#endif

int ref_sizeclasses_parse(FILE *f, const char *path, ref_sizeclasses_t *r)
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
	if (r->n == 1)
		fprintf(stderr, "%s: no size classes\n", path);
	return r->n == 1 ? -1 : 0;
}

int ref_sizeclasses_load(ref_sizeclasses_t *r, const char *dir)
{
	char path[4096];
	const char *env = getenv("AF_REFERENCE_DIR");
	if (!dir)
		dir = env && env[0] ? env : AF_REFERENCE_DIR;
	int n = snprintf(path, sizeof path, "%s/go-sizeclasses.tsv", dir);
	FILE *f = (n > 0 && (size_t)n < sizeof path) ? fopen(path, "r") : NULL;
	if (!f) {
		fprintf(stderr, "ref_sizeclasses: cannot open %s/go-sizeclasses.tsv (AF_REFERENCE_DIR=%s)\n",
		        dir, env ? env : "unset");
		return -1;
	}
	int rc = ref_sizeclasses_parse(f, path, r);
	fclose(f);
	return rc;
}

static ref_sizeclasses_t deftab;
static pthread_once_t defonce = PTHREAD_ONCE_INIT;

static void load_default(void)
{
	if (ref_sizeclasses_load(&deftab, NULL) != 0) {
		fprintf(stderr, "ref_sizeclasses: no reference table (set AF_REFERENCE_DIR to the "
		        "directory holding go-sizeclasses.tsv)\n");
		exit(2);
	}
}

const ref_sizeclasses_t *ref_sizeclasses(void)
{
	pthread_once(&defonce, load_default);
	return &deftab;
}

int ref_class_for(const ref_sizeclasses_t *r, long size)
{
	if (size <= 0)
		return 0;
	for (int c = 1; c < r->n; c++)
		if (r->size[c] >= size)
			return c;
	return 0;
}
