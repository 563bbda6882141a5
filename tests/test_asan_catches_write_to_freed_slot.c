/* Under ASan the heap poisons what the program may not touch: a write to an
 * explicitly freed slot, to a slot the sweeper freed (its span still in use), past the requested size inside a slot, past a tiny
 * sub-object inside its block, or past a large object's size kills the
 * process with an ASan report, while writes to live bytes do not. Each case
 * runs in a forked child whose stderr is checked. Without ASan the test
 * exits 77, which CTest reports as skipped (SKIP_RETURN_CODE), not passed. */
#include "alloc/testing.h"

/* The compiler says whether this is an ASan build (gcc and clang). */
#if defined(__SANITIZE_ADDRESS__)
#define T_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_ASAN 1
#endif
#endif

#ifndef T_ASAN
#include <stdio.h>

int main(void)
{
	printf("skipped: not an ASan build (the asan preset runs this test)\n");
	return 77;
}
#else
#include "tests/t.h"
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef enum { W_FREED, W_SWEPT, W_SLOT_TAIL, W_TINY_GAP, W_LARGE_TAIL, W_LIVE } what_t;

static void child(what_t what)
{
	heap_t *h;
	void *a, *b;
	if (heap_new(&(heap_config_t){0}, &h) != ALLOC_OK)
		_exit(3);
	volatile unsigned char *p = NULL;
	switch (what) {
	case W_FREED:
		heap_alloc(h, 0, 64, 0, 0, &a);
		heap_alloc(h, 0, 64, 0, 0, &b);
		if (heap_free(h, 0, a) != ALLOC_OK)
			_exit(3);
		p = a;
		break;
	case W_SWEPT:              /* a dies at the gc, b (same span) is rooted */
		heap_alloc(h, 0, 64, 0, 0, &a);
		heap_alloc(h, 0, 64, 0, 0, &b);
		heap_roots(h)[0] = (uintptr_t)b;
		if (heap_gc(h) != ALLOC_OK || heap_find_object(h, b, NULL, NULL) != ALLOC_OK ||
		    heap_find_object(h, a, NULL, NULL) != ALLOC_ERR_NOT_ALLOCATED)
			_exit(3);
		p = a;
		break;
	case W_SLOT_TAIL:          /* 50 bytes in a 64-byte slot */
		heap_alloc(h, 0, 50, 0, 0, &a);
		p = (unsigned char *)a + 50;
		break;
	case W_TINY_GAP:           /* a 3-byte tiny object; byte 3 of its block is free */
		heap_alloc(h, 0, 3, 0, 0, &a);
		p = (unsigned char *)a + 3;
		break;
	case W_LARGE_TAIL:
		heap_alloc(h, 0, 40000, 0, 0, &a);
		p = (unsigned char *)a + 40000;
		break;
	case W_LIVE:
		heap_alloc(h, 0, 50, 0, 0, &a);
		heap_alloc(h, 0, 3, 0, 0, &b);
		((volatile unsigned char *)a)[49] = 1;
		p = (unsigned char *)b + 2;
		break;
	}
	*p = 0x5a;
	_exit(0);
}

/* Runs child(what); returns its exit status and whether stderr had an
 * ASan report. */
static int run(what_t what, bool *asan_report)
{
	int fd[2];
	REQUIRE(pipe(fd) == 0);
	fflush(NULL);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		close(fd[0]);
		dup2(fd[1], 2);
		child(what);
	}
	close(fd[1]);
	char buf[65536];
	size_t n = 0;
	ssize_t r;
	while ((r = read(fd[0], buf + n, sizeof buf - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	close(fd[0]);
	int status;
	REQUIRE(waitpid(pid, &status, 0) == pid);
	*asan_report = strstr(buf, "AddressSanitizer") != NULL &&
	               strstr(buf, "use-after-poison") != NULL;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(void)
{
	static const char *names[] = {"freed slot", "swept slot", "slot tail", "tiny gap", "large tail", "live bytes"};
	for (int w = W_FREED; w <= W_LIVE; w++) {
		bool report;
		int st = run((what_t)w, &report);
		fprintf(stderr, "%s: exit %d, asan report %d\n", names[w], st, report);
		if (w == W_LIVE) {
			CHECK_EQ(st, 0);
			CHECK(!report);
		} else {
			CHECK(st != 0 && st != 3);
			CHECK(report);
		}
	}
	return T_DONE();
}
#endif
