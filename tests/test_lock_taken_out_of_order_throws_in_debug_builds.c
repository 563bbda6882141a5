/* Debug builds check the lock order of alloc/malloc.c: taking an mcentral
 * lock while holding the page heap lock (the reverse of mcentral ->
 * mheap_free) throws through the heap's hook before it blocks, naming both
 * locks, whether or not another thread could deadlock; a lock of the same
 * rank taken twice throws too; the documented order never throws; and after
 * a throw (the hook longjmp'd out, the heap lock still on the thread's list)
 * heap_reset forgets the list, so locks work in order again. Release builds
 * do not check. */
#include "t.h"
#include "heapwalk.h"
#include <pthread.h>
#include <setjmp.h>
#include <string.h>

static jmp_buf jb;
static char got[512];
static int nthrown;

static void hook(heap_t *h, const char *msg, void *ctx)
{
	(void)h; (void)ctx;
	snprintf(got, sizeof got, "%s", msg);
	nthrown++;
	longjmp(jb, 1);
}

/* Takes a then b (then releases both); returns whether it threw. */
static int nest(heap_t *h, lock_t *a, lock_t *b)
{
	volatile int thrown = 0;
	got[0] = 0;
	lock_acquire(a);
	if (setjmp(jb) == 0) {
		lock_acquire(b);
		lock_release(b);
	} else {
		thrown = 1;
	}
	lock_release(a);
	(void)h;
	return thrown;
}

int main(void)
{
	heap_config_t cfg = {0};
	cfg.throw_hook = hook;
	heap_t *h = NULL;
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	lock_t *central = &h->central[5].lock, *central2 = &h->central[6].lock;

	/* the documented order, every adjacent pair and the ends */
	CHECK(!nest(h, central, &h->lock));
	CHECK(!nest(h, &h->lock, &h->persistent.lock));
	CHECK(!nest(h, central, &h->finlock));
	CHECK(!nest(h, &h->speciallock, &h->proflock));
	CHECK(!nest(h, &h->proflock, &h->finlock));
#ifdef ALLOCFUZZ_DEBUG
	CHECK(nest(h, &h->lock, central));
	CHECK(strstr(got, "lock order violation: acquiring the mcentral lock") != NULL);
	CHECK(strstr(got, "while holding the mheap lock") != NULL);
	CHECK(nest(h, central, central2));   /* one rank at a time */
	CHECK(strstr(got, "while holding the mcentral lock") != NULL);
	CHECK(nest(h, &h->finlock, &h->proflock));
	CHECK(strstr(got, "acquiring the profile lock") != NULL);
	CHECK_EQ(nthrown, 3);
#else
	CHECK(!nest(h, &h->lock, central));
	CHECK(!nest(h, central, central2));
	CHECK_EQ(nthrown, 0);
#endif

	/* thrown from inside: the hook leaves with the heap lock held */
	volatile int thrown = 0;
	lock_acquire(&h->lock);
	if (setjmp(jb) == 0)
		lock_acquire(central);
	else
		thrown = 1;
#ifdef ALLOCFUZZ_DEBUG
	CHECK(thrown);
	/* The mutex itself is unlocked behind the rank list's back (so TSan's
	 * own lock graph stays true); the list still names it until
	 * heap_reset forgets it, else the nest below would throw. */
	pthread_mutex_unlock(&h->lock.mu);
	heap_reset(h);
#else
	CHECK(!thrown);
	lock_release(central);
	lock_release(&h->lock);
#endif
	CHECK(!nest(h, central, &h->lock));
	walk_t w;
	CHECK(t_large(h, 2) != NULL);
	CHECK_EQ(heapwalk_ok(h, &w), 1);
	heap_destroy(h);
	return T_DONE();
}
