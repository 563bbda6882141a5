/* The metadata allocators: fixalloc hands out zeroed records (also when it
 * reuses a freed one), keeps inuse/sys exact and reuses freed records
 * first; persistentalloc honours alignment, is safe from several threads at
 * once, gives big requests their own chunk, and persistent_reset rewinds to
 * a fresh state while keeping the mappings (the next run gets the same
 * addresses, zeroed). */
#include "tests/t.h"
#include "tests/heapwalk.h"
#include <pthread.h>

#define NTHREADS 4
#define PER_THREAD 2000

typedef struct job { heap_t *h; int id; uint32_t *blocks[PER_THREAD]; } job_t;

static void *worker(void *arg)
{
	job_t *j = arg;
	for (int i = 0; i < PER_THREAD; i++) {
		uint32_t *b = persistentalloc(j->h, 24 + (size_t)(i % 5) * 8, 8);
		if (!b)
			return NULL;
		b[0] = (uint32_t)j->id;
		b[1] = (uint32_t)i;
		j->blocks[i] = b;
	}
	return NULL;
}

int main(void)
{
	heap_t *h = t_heap(0, HEAP_SWEEP_EAGER);
	fixalloc_t f;
	fixalloc_init(&f, 40, "test");
	CHECK_EQ(f.size, 40);
	uint64_t pused0 = h->persistent.used, psys0 = h->persistent.sys;

	uint8_t *r[1000];
	for (int i = 0; i < 1000; i++) {
		r[i] = fixalloc_alloc(h, &f);
		REQUIRE(r[i]);
		for (int k = 0; k < 40; k++)
			CHECK_EQ(r[i][k], 0);
		memset(r[i], 0xff, 40);
	}
	CHECK_EQ(f.inuse, 1000 * 40);
	/* 16 KiB chunks, each holding 409 records */
	CHECK_EQ(f.sys, 3 * (16 << 10));
	for (int i = 0; i < 1000; i += 2)
		fixalloc_free(&f, r[i]);
	CHECK_EQ(f.inuse, 500 * 40);
	/* freed records come back first (newest first), zeroed */
	uint8_t *again = fixalloc_alloc(h, &f);
	CHECK(again == r[998]);
	int nonzero = 0;
	for (int k = 0; k < 40; k++)
		nonzero += again[k] != 0;
	CHECK_EQ(nonzero, 0);
	CHECK_EQ(f.sys, 3 * (16 << 10));

	/* alignment, and a big request gets its own chunk */
	uint8_t *a = persistentalloc(h, 100, 4096);
	CHECK_EQ((uintptr_t)a % 4096, 0);
	uint64_t sys_before = h->persistent.sys;
	uint8_t *big = persistentalloc(h, 300 << 10, 64);
	REQUIRE(big);
	CHECK_EQ(h->persistent.sys, sys_before + (512 << 10));
	big[(300 << 10) - 1] = 1;

	/* several threads at once: every block keeps what its owner wrote */
	static job_t jobs[NTHREADS];
	pthread_t th[NTHREADS];
	uint64_t used_before = h->persistent.used;
	for (int t = 0; t < NTHREADS; t++) {
		jobs[t].h = h;
		jobs[t].id = t;
		REQUIRE(pthread_create(&th[t], NULL, worker, &jobs[t]) == 0);
	}
	for (int t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);
	uint64_t want = 0;
	int bad = 0;
	for (int t = 0; t < NTHREADS; t++)
		for (int i = 0; i < PER_THREAD; i++) {
			want += 24 + (uint64_t)(i % 5) * 8;
			bad += !jobs[t].blocks[i] || jobs[t].blocks[i][0] != (uint32_t)t ||
			       jobs[t].blocks[i][1] != (uint32_t)i;
		}
	CHECK_EQ(bad, 0);
	CHECK_EQ(h->persistent.used - used_before, want);

	/* reset: back to a fresh heap's accounting, same memory, zeroed */
	heap_reset(h);
	CHECK_EQ(h->persistent.used, pused0);
	CHECK_EQ(h->persistent.sys, psys0);
	CHECK(h->persistent.spare != NULL);
	uint8_t *big2 = persistentalloc(h, 300 << 10, 64);
	CHECK(big2 == big);   /* the kept chunk, reused */
	CHECK_EQ(big2[(300 << 10) - 1], 0);
	fixalloc_init(&f, 40, "test");
	uint8_t *r2 = fixalloc_alloc(h, &f);
	REQUIRE(r2);
	nonzero = 0;
	for (int k = 0; k < 40; k++)
		nonzero += r2[k] != 0;
	CHECK_EQ(nonzero, 0);
	/* a second reset unmaps spares the run did not reuse */
	heap_reset(h);
	heap_reset(h);
	int nspare = 0;
	for (pchunk_t *c = h->persistent.spare; c; c = c->next)
		nspare++;
	CHECK(nspare <= 1);   /* at most the chunk heap_new's own records use */
	heap_destroy(h);
	return T_DONE();
}
