/*
 * Linked into the OSS-Fuzz / ClusterFuzzLite builds only (ci/oss-fuzz/build.sh).
 * ClusterFuzz runs a target from a copy of $OUT, far from the source tree whose
 * reference/ directory is compiled in; build.sh puts go-sizeclasses.tsv beside
 * the targets, and this constructor points AF_REFERENCE_DIR there (unless the
 * environment already chose), before LLVMFuzzerInitialize loads the table.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((constructor)) static void af_reference_beside_binary(void)
{
	if (getenv("AF_REFERENCE_DIR"))
		return;
	char dir[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
	if (n <= 0)
		return;
	dir[n] = 0;
	char *slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = 0;
	char tsv[PATH_MAX + 32];
	snprintf(tsv, sizeof tsv, "%s/go-sizeclasses.tsv", dir);
	if (access(tsv, R_OK) == 0)
		setenv("AF_REFERENCE_DIR", dir, 0);
}
