/* Memory the page heap has not committed is PROT_NONE: a stray access
 * beyond the committed range, or to pages of a run before heap_reset,
 * kills the process instead of reading stale data; under ASan a write to a
 * freed large object's pages is reported too. Each case runs in a forked
 * child; a write to a live object is the control that must survive. */
#include "tests/t.h"
#define AF_WHITEBOX
#include "alloc/testing.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

typedef enum { BEYOND_COMMITTED, AFTER_RESET, FREED_PAGES, LIVE } what_t;

static void child(what_t what)
{
	heap_t *h;
	void *a;
	if (heap_new(NULL, &h) != ALLOC_OK || heap_alloc(h, 0, 100000, 0, 0, &a) != ALLOC_OK)
		_exit(3);
	volatile unsigned char *p = a;
	switch (what) {
	case BEYOND_COMMITTED:
		p = (unsigned char *)h->arena_used + PAGE_SIZE;
		break;
	case AFTER_RESET:
		heap_reset(h);
		break;
	case FREED_PAGES:
		if (heap_free(h, 0, a) != ALLOC_OK)
			_exit(3);
		break;
	case LIVE:
		p += 99999;
		break;
	}
	*p = 0x5a;
	_exit(0);
}

/* 1 if the child died (signal or ASan's non-zero exit), 0 if it exited 0. */
static int dies(what_t what)
{
	fflush(NULL);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		/* keep the expected SEGV and ASan reports out of the test log */
		if (!freopen("/dev/null", "w", stderr))
			_exit(4);
		child(what);
	}
	int st;
	REQUIRE(waitpid(pid, &st, 0) == pid);
	if (WIFEXITED(st) && (WEXITSTATUS(st) == 3 || WEXITSTATUS(st) == 4))
		REQUIRE(!"child setup failed");
	return !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
	CHECK_EQ(dies(LIVE), 0);
	CHECK_EQ(dies(BEYOND_COMMITTED), 1);
	CHECK_EQ(dies(AFTER_RESET), 1);
#ifdef AF_ASAN
	CHECK_EQ(dies(FREED_PAGES), 1);
#else
	/* without ASan freed pages stay committed: writable, no report */
	CHECK_EQ(dies(FREED_PAGES), 0);
#endif
	return T_DONE();
}
