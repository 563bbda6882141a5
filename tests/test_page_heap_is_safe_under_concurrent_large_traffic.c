/* Several threads, each on its own P, allocating and freeing large objects
 * (straight from the page heap) and small ones at once never get
 * overlapping memory: every object keeps the owner's stamp at both ends
 * until its owner frees it, and afterwards the page heap's accounting and
 * structure check out. */
#include "tests/t.h"
#include "tests/heapwalk.h"
#include <pthread.h>

#define NTHREADS 4
#define NOPS 1500
#define NKEEP 16

typedef struct job { heap_t *h; int p; int bad, fails; } job_t;

static void *worker(void *arg)
{
	job_t *j = arg;
	uint64_t seed = 77 + (uint64_t)j->p;
	void *keep[NKEEP] = {0};
	size_t ksize[NKEEP] = {0};
	for (int i = 0; i < NOPS; i++) {
		uint64_t r = t_rand(&seed);
		int k = (int)(r % NKEEP);
		if (keep[k]) {
			uint64_t *w = keep[k];
			uint64_t stamp = (uint64_t)j->p << 32 | (uint64_t)k;
			j->bad += w[0] != stamp || w[ksize[k] / 8 - 1] != stamp;
			j->bad += heap_free(j->h, j->p, keep[k]) != ALLOC_OK;
			keep[k] = NULL;
			continue;
		}
		size_t size = (r >> 8) % 4 ? 32768 + 8 * ((r >> 16) % 40000) : 16 + 8 * ((r >> 16) % 500);   /* 16+: not tiny */
		void *x;
		if (heap_alloc(j->h, j->p, size, 0, 1, &x) != ALLOC_OK) {
			j->fails++;
			continue;
		}
		uint64_t *w = x;
		w[0] = w[size / 8 - 1] = (uint64_t)j->p << 32 | (uint64_t)k;
		keep[k] = x;
		ksize[k] = size;
	}
	for (int k = 0; k < NKEEP; k++)
		if (keep[k])
			j->bad += heap_free(j->h, j->p, keep[k]) != ALLOC_OK;
	return NULL;
}

int main(void)
{
	heap_config_t cfg = {0};
	cfg.nprocs = NTHREADS;
	cfg.cap_bytes = (size_t)64 << 20;
	heap_t *h = NULL;
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	static job_t jobs[NTHREADS];
	pthread_t th[NTHREADS];
	for (int round = 0; round < 2; round++) {
		for (int t = 0; t < NTHREADS; t++) {
			jobs[t] = (job_t){h, t, 0, 0};
			REQUIRE(pthread_create(&th[t], NULL, worker, &jobs[t]) == 0);
		}
		for (int t = 0; t < NTHREADS; t++) {
			pthread_join(th[t], NULL);
			CHECK_EQ(jobs[t].bad, 0);
			CHECK_EQ(jobs[t].fails, 0);
		}
		walk_t w;
		heapwalk_ok(h, &w);
		CHECK_EQ(h->stats.heap_inuse, w.inuse);
		CHECK_EQ(h->large.n, 0);   /* every large object was freed */
		heap_reset(h);
	}
	heap_destroy(h);
	return T_DONE();
}
