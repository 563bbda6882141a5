/*
 * What `allocfuzz run` prints while a program runs: the gc lines ("gc N
 * finalized: NAMES", names in natural order so h2 < h10) and, with -v, one
 * trace line per op with its result.
 */
#include "harness/exec_internal.h"

#include <ctype.h>

static int name_cmp(const void *a, const void *b)
{
	/* natural order: digit runs compare as numbers (h2 < h10) */
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	while (*x && *y) {
		if (isdigit((unsigned char)*x) && isdigit((unsigned char)*y)) {
			char *ex_, *ey;
			unsigned long long vx = strtoull(x, &ex_, 10), vy = strtoull(y, &ey, 10);
			if (vx != vy)
				return vx < vy ? -1 : 1;
			x = ex_;
			y = ey;
			continue;
		}
		if (*x != *y)
			return (unsigned char)*x - (unsigned char)*y;
		x++;
		y++;
	}
	return (unsigned char)*x - (unsigned char)*y;
}

/* "gc N WHAT: NAMES", names sorted. */
void print_names(exec_t *ex, uint32_t numgc, const char *what, const int32_t *mids,
                        const uint32_t *offs, size_t n)
{
	char **names = xrealloc(NULL, (n ? n : 1) * sizeof *names);
	for (size_t i = 0; i < n; i++) {
		char tmp[24], buf[64];
		const char *nm = mname(ex, mids[i], tmp);
		if (offs && offs[i])
			snprintf(buf, sizeof buf, "%s+%u", nm, offs[i]);
		else
			snprintf(buf, sizeof buf, "%s", nm);
		names[i] = strdup(buf);
	}
	if (n > 1)
		qsort(names, n, sizeof *names, name_cmp);
	fprintf(ex->cfg.out, "gc %u %s:", numgc, what);
	for (size_t i = 0; i < n; i++) {
		fprintf(ex->cfg.out, " %s", names[i]);
		free(names[i]);
	}
	fprintf(ex->cfg.out, "\n");
	free(names);
}


void trace(exec_t *ex, const op_t *op)
{
	char line[512];
	op_format(ex->prog, op, line, sizeof line);
	if (ex->res[0])
		fprintf(ex->cfg.out, "%zu: %s -> %s\n", ex->opindex, line, ex->res);
	else
		fprintf(ex->cfg.out, "%zu: %s\n", ex->opindex, line);
}
