/*
 * The AFL++ custom mutator library (afl_op_mutator.so, built beside this
 * test) loads with every symbol resolved (RTLD_NOW, as afl-fuzz loads it),
 * exports the AFL++ API, and returns mutants within max_size that differ
 * from their parent, splicing with add_buf too.
 */
#include "tests/t.h"

#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

typedef void *(*init_fn)(void *afl, unsigned int seed);
typedef size_t (*fuzz_fn)(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                          uint8_t *add_buf, size_t add_buf_size, size_t max_size);
typedef void (*deinit_fn)(void *data);

int main(int argc, char **argv)
{
	(void)argc;
	char dir[PATH_MAX], path[PATH_MAX + 32];
	REQUIRE(realpath(argv[0], dir) != NULL);
	snprintf(path, sizeof path, "%s/afl_op_mutator.so", dirname(dir));
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		fprintf(stderr, "dlopen: %s\n", dlerror());
	REQUIRE(lib != NULL);
	init_fn init = (init_fn)(uintptr_t)dlsym(lib, "afl_custom_init");
	fuzz_fn fuzz = (fuzz_fn)(uintptr_t)dlsym(lib, "afl_custom_fuzz");
	deinit_fn deinit = (deinit_fn)(uintptr_t)dlsym(lib, "afl_custom_deinit");
	REQUIRE(init && fuzz && deinit);

	/* a = alloc 48 ptrs=all; root 0 a; setfin a keep; gc; runfin; gc */
	uint8_t prog[] = { 0, 0xe0, 3, 0xfc, 3, 0, 0, 0, 4, 0, 0, 0, 6, 8, 6 };
	uint8_t other[] = { 0, 8, 0, 0, 0, 4, 0, 0, 1, 1, 6 };
	void *m = init(NULL, 7);
	REQUIRE(m != NULL);
	int differ = 0;
	for (int i = 0; i < 200; i++) {
		uint8_t *out = NULL;
		size_t max = 8 + (size_t)i % 64;
		size_t n = fuzz(m, prog, sizeof prog, &out, i % 2 ? other : NULL,
		                i % 2 ? sizeof other : 0, max);
		CHECK(out != NULL);
		CHECK(n <= max);
		differ += n != sizeof prog || (out && memcmp(out, prog, n));
	}
	CHECK(differ >= 180);
	deinit(m);
	dlclose(lib);
	return T_DONE();
}
