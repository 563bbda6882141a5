/* Filling several spans of every size class from 2..8 Ps, interleaved and
 * then from one thread per P (with frees of other Ps' objects meanwhile),
 * hands out distinct slots, each inside a span of its class, and the
 * per-class counters equal the number of calls. */
#define AF_WHITEBOX
#include "alloc/testing.h"
#include "tests/t.h"
#include "tests/heapcheck.h"
#include <pthread.h>
#include <sched.h>

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

static size_t count_dups(uintptr_t *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_ptr);
	size_t d = 0;
	for (size_t i = 1; i < n; i++)
		d += v[i] == v[i - 1];
	return d;
}

static void interleaved(int nprocs)
{
	heap_t *h;
	REQUIRE(heap_new(&(heap_config_t){.nprocs = nprocs, .cap_bytes = (size_t)1 << 30}, &h) == ALLOC_OK);
	size_t total = 0, cap = 0;
	for (int cls = 1; cls < NUM_SIZE_CLASSES; cls++)
		cap += 3 * (class_to_allocnpages[cls] * PAGE_SIZE / class_to_size[cls]) * nprocs;
	uintptr_t *all = malloc(cap * sizeof *all);
	REQUIRE(all);
	uint64_t want[NUM_SIZE_CLASSES] = {0};
	for (int cls = 1; cls < NUM_SIZE_CLASSES; cls++) {
		size_t size = class_to_size[cls];
		size_t per_p = 3 * (class_to_allocnpages[cls] * PAGE_SIZE / size);  /* 3 spans each */
		for (size_t i = 0; i < per_p * nprocs; i++) {
			void *x;
			int p = (int)(i % nprocs);
			alloc_err_t err = heap_alloc(h, p, size, cls % 2 ? 1 : 0, 0, &x);
			CHECK_EQ(err, ALLOC_OK);
			if (err != ALLOC_OK)
				continue;
			void *base;
			size_t es;
			CHECK_EQ(heap_find_object(h, x, &base, &es), ALLOC_OK);
			CHECK(base == x && es == size);
			mspan_t *s = mheap_span_of_inuse(h, (uintptr_t)x);
			REQUIRE(s != NULL);
			CHECK_EQ(spanclass_sizeclass(s->spanclass), cls);
			CHECK_EQ(spanclass_noscan(s->spanclass), !(cls % 2));
			all[total++] = (uintptr_t)x;
			want[cls]++;
		}
	}
	CHECK_EQ(count_dups(all, total), 0);
	heap_stats_t st;
	heap_read_stats(h, &st);
	for (int cls = 1; cls < NUM_SIZE_CLASSES; cls++)
		CHECK_EQ(st.by_class_nmalloc[cls], want[cls]);
	CHECK_EQ(st.nmalloc, total);
	CHECK_EQ(st.heap_objects, total);
	HEAP_OK(h);
	free(all);
	heap_destroy(h);
}

/* One thread per P. Each allocates N objects of mixed classes, writes its
 * P number into them, and frees every other object allocated by the
 * previous P's thread (cross-P frees while that P may still allocate). */
enum { NTHREAD_OBJS = 20000 };
static heap_t *th;
static int tnprocs;
static uintptr_t *tobjs[HEAP_MAX_PROCS];
static volatile int published[HEAP_MAX_PROCS];
static int tfail;

static void *worker(void *arg)
{
	int p = (int)(intptr_t)arg;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (uint64_t)(p + 1);
	for (int i = 0; i < NTHREAD_OBJS; i++) {
		rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
		size_t size = 16 + rng % 2000;
		void *x;
		if (heap_alloc(th, p, size, 0, 0, &x) != ALLOC_OK) {
			__atomic_store_n(&tfail, 1, __ATOMIC_RELAXED);
			return NULL;
		}
		memset(x, p + 1, 16);
		tobjs[p][i] = (uintptr_t)x;
	}
	__atomic_store_n(&published[p], 1, __ATOMIC_RELEASE);
	int q = (p + tnprocs - 1) % tnprocs;
	while (!__atomic_load_n(&published[q], __ATOMIC_ACQUIRE))
		sched_yield();
	for (int i = 0; i < NTHREAD_OBJS; i += 2) {
		unsigned char *x = (unsigned char *)tobjs[q][i];
		if (x[0] != q + 1 || heap_free(th, p, x) != ALLOC_OK)
			__atomic_store_n(&tfail, 1, __ATOMIC_RELAXED);
		tobjs[q][i] = 0;
		/* and keep allocating meanwhile, into the freed holes */
		void *y;
		if (heap_alloc(th, p, 48, 0, 0, &y) != ALLOC_OK)
			__atomic_store_n(&tfail, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void threaded(int nprocs)
{
	REQUIRE(heap_new(&(heap_config_t){.nprocs = nprocs, .cap_bytes = (size_t)1 << 30}, &th) == ALLOC_OK);
	tnprocs = nprocs;
	tfail = 0;
	pthread_t t[HEAP_MAX_PROCS];
	for (int p = 0; p < nprocs; p++) {
		tobjs[p] = calloc(NTHREAD_OBJS, sizeof(uintptr_t));
		published[p] = 0;
	}
	for (int p = 0; p < nprocs; p++)
		REQUIRE(pthread_create(&t[p], NULL, worker, (void *)(intptr_t)p) == 0);
	for (int p = 0; p < nprocs; p++)
		pthread_join(t[p], NULL);
	CHECK_EQ(tfail, 0);
	/* Survivors are distinct, intact and still allocated. */
	size_t n = 0;
	uintptr_t *live = malloc((size_t)nprocs * NTHREAD_OBJS * sizeof *live);
	for (int p = 0; p < nprocs; p++)
		for (int i = 1; i < NTHREAD_OBJS; i += 2) {
			unsigned char *x = (unsigned char *)tobjs[p][i];
			CHECK_EQ(x[0], p + 1);
			void *base;
			CHECK_EQ(heap_find_object(th, x, &base, NULL), ALLOC_OK);
			live[n++] = (uintptr_t)x;
		}
	CHECK_EQ(count_dups(live, n), 0);
	heap_stats_t st;
	heap_read_stats(th, &st);
	uint64_t calls = (uint64_t)nprocs * (NTHREAD_OBJS + NTHREAD_OBJS / 2);
	CHECK_EQ(st.nmalloc, calls);
	CHECK_EQ(st.nfree, (uint64_t)nprocs * NTHREAD_OBJS / 2);
	CHECK_EQ(st.heap_objects, calls - st.nfree);
	HEAP_OK(th);
	free(live);
	for (int p = 0; p < nprocs; p++)
		free(tobjs[p]);
	heap_destroy(th);
}

int main(void)
{
	for (int nprocs = 2; nprocs <= HEAP_MAX_PROCS; nprocs *= 2)
		interleaved(nprocs);
	interleaved(3);
	for (int nprocs = 2; nprocs <= HEAP_MAX_PROCS; nprocs *= 2)
		threaded(nprocs);
	return T_DONE();
}
