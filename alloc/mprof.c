/*
 * Heap profiling (Go's mprof.go / the 2014 mprof.goc). See malloc.c for the
 * overview.
 *
 * mallocgc samples allocations: with rate R > 0 an allocation is profiled
 * when the mcache's byte countdown (nextSample) runs out; the countdown is
 * drawn from an exponential distribution with mean R (malloc.go's
 * fastexprand), so samples form a Poisson process over allocated bytes. The
 * generator is a seeded PRNG owned by the heap: the same seed and the same
 * operations give the same profile.
 *
 * A profiled object is charged to the bucket of the call stack ID the caller
 * passed; the object carries a link to its bucket (a profile special in span
 * mode, the address hash in legacy mode) so that its death, found by the
 * sweeper, is charged to the same bucket. Publication follows Go 1.19's
 * cycles: allocations and explicit frees accumulate in recent; at a GC's
 * mark they become that GC's pending cycle, which also takes the frees its
 * sweep finds; when the sweep finishes the cycle is published. So after a GC
 * whose sweep is done, the profile holds everything up to that GC, and that
 * GC's frees (what Go's runtime.GC() shows).
 */
#include "alloc/internal.h"
#include <math.h>

#define BUCKHASH_SIZE 1024   /* stack IDs are dense small integers in practice */

void heap_set_profrate(heap_t *h, int64_t rate)
{
	h->profrate = rate < 0 ? 0 : rate;
}

/* xorshift64*: small, fast, and good enough for sampling intervals. Every
 * P draws from the one state (a P refills its nextSample without a lock),
 * so a step is a compare-and-swap: one thread gives the sequential stream,
 * several split it between them. */
static uint64_t prof_rand(heap_t *h)
{
	uint64_t old = __atomic_load_n(&h->sample_state, __ATOMIC_RELAXED), x;
	do {
		x = old;
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
	} while (!__atomic_compare_exchange_n(&h->sample_state, &old, x, true,
	                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return x * 0x2545F4914F6CDD1DULL;
}

void mprof_seed(heap_t *h)
{
	/* splitmix64 of the seed, so nearby seeds give unrelated streams and
	 * the state is never zero (a fixed point of xorshift) */
	uint64_t z = h->cfg.seed + 0x9E3779B97F4A7C15ULL;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	h->sample_state = z ? z : 1;
}

/* malloc.go's fastexprand: -ln(q) * mean for q uniform in (0, 1], with q
 * drawn from 26 random bits. */
static int64_t fastexprand(heap_t *h, int64_t mean)
{
	enum { RANDOM_BIT_COUNT = 26 };
	double qlog;
	uint64_t q;

	if (mean > 0x7000000)
		mean = 0x7000000;
	else if (mean == 0)
		return 0;
	q = (prof_rand(h) >> (64 - RANDOM_BIT_COUNT)) + 1;
	qlog = log2((double)q) - RANDOM_BIT_COUNT;
	if (qlog > 0)
		qlog = 0;
	return (int64_t)(qlog * (-0.6931471805599453 * (double)mean)) + 1;
}

/* Go 1.19 nextSample: with rate 1 every allocation is sampled and the
 * countdown is not consulted. */
int64_t mprof_next_sample(heap_t *h)
{
	int64_t rate = h->profrate;

	if (rate == 1)
		return 0;
	return fastexprand(h, rate);
}

static bucket_t *stkbucket(heap_t *h, uint32_t stack)
{
	bucket_t *b, **l;
	uint32_t i = (stack * 2654435769u) >> (32 - 10);

	if (h->buckhash == NULL) {
		h->buckhash = persistentalloc(h, BUCKHASH_SIZE * sizeof *h->buckhash, 8);
		if (h->buckhash == NULL)
			return NULL;
		h->stats.buckhash_sys += BUCKHASH_SIZE * sizeof *h->buckhash;
	}
	for (b = h->buckhash[i]; b != NULL; b = b->next)
		if (b->stack == stack)
			return b;
	b = persistentalloc(h, sizeof *b, 8);
	if (b == NULL)
		return NULL;
	h->stats.buckhash_sys += sizeof *b;
	b->stack = stack;
	b->next = h->buckhash[i];
	h->buckhash[i] = b;
	for (l = &h->buckets; *l != NULL && (*l)->stack < stack; l = &(*l)->allnext)
		;
	b->allnext = *l;
	*l = b;
	return b;
}

/* MProf_Malloc: p was just allocated with rounded size. */
void mprof_malloc(heap_t *h, uintptr_t p, size_t size, uint32_t stack)
{
	bucket_t *b;

	lock_acquire(&h->proflock);
	b = stkbucket(h, stack);
	if (b == NULL)
		heap_throw(h, "MProf_Malloc: out of metadata memory");
	b->recent.allocs++;
	b->recent.alloc_bytes += size;
	lock_release(&h->proflock);

	if (h->cfg.specials == HEAP_SPECIALS_LEGACY) {
		mlegacy_setaddrbucket(h, p, b);
		return;
	}
	special_profile_t *sp = (special_profile_t *)mspecial_new(h, KIND_SPECIAL_PROFILE);
	if (sp == NULL)
		heap_throw(h, "setprofilebucket: out of metadata memory");
	sp->b = b;
	if (!mspecial_add(h, p, &sp->s))
		heap_throw(h, "setprofilebucket: profile already set at %#lx", (unsigned long)p);
}

/* MProf_Free: a sweep free belongs to the cycle being swept (pending); an
 * explicit free to the next one (recent), as Go 1.19 accounts GC frees to
 * C+1 and explicit frees to C+2. */
void mprof_free(heap_t *h, bucket_t *b, size_t size, bool bysweep)
{
	lock_acquire(&h->proflock);
	profcounts_t *c = bysweep ? &b->pending : &b->recent;
	c->frees++;
	c->free_bytes += size;
	lock_release(&h->proflock);
}

/* Adds *from into *to and clears *from (a cycle moving one stage on). */
static void counts_move(profcounts_t *to, profcounts_t *from)
{
	to->allocs += from->allocs;
	to->frees += from->frees;
	to->alloc_bytes += from->alloc_bytes;
	to->free_bytes += from->free_bytes;
	*from = (profcounts_t){0, 0, 0, 0};
}

/* At mark (Go's mProf_NextCycle): what happened before this GC becomes the
 * cycle its sweep completes. The previous cycle was published when its sweep
 * finished, which heap_gc waits for before marking. */
void mprof_gc(heap_t *h)
{
	lock_acquire(&h->proflock);
	for (bucket_t *b = h->buckets; b != NULL; b = b->allnext)
		counts_move(&b->pending, &b->recent);
	lock_release(&h->proflock);
}

/* The cycle's sweep finished (Go's mProf_PostSweep): publish it, so after a
 * GC whose sweep is done the profile shows that GC's frees, as after Go's
 * runtime.GC() (and the 2014 runtime, which swept before MProf_GC). */
void mprof_post_sweep(heap_t *h)
{
	lock_acquire(&h->proflock);
	for (bucket_t *b = h->buckets; b != NULL; b = b->allnext)
		counts_move(&b->pub, &b->pending);
	lock_release(&h->proflock);
}

/* An observation point: finishes the sweep first, so eager and lazy sweep
 * publish the same cycle. The buckets are copied under the lock a chunk at
 * a time (Go's MemProfile holds it for its whole walk; a lock per bucket
 * was most of a profile read's cost with hundreds of buckets) and cb runs
 * unlocked, so it may call into the heap (not heap_reset or heap_destroy,
 * which free the buckets: nothing else does, so the walk goes on from the
 * next one after each chunk). Past 64 buckets the copy is not one snapshot:
 * a bucket linked in before the walk's place between two chunks is not
 * reported, and a GC between chunks publishes in the middle, as when the
 * lock was taken per bucket. */
#define PROFILE_CHUNK 64

void heap_profile(heap_t *h, void (*cb)(const heap_bucket_t *b, void *ctx), void *ctx)
{
	heap_bucket_t out[PROFILE_CHUNK];

	heap_finish_sweep(h);
	lock_acquire(&h->proflock);
	bucket_t *next = h->buckets;
	lock_release(&h->proflock);
	while (next != NULL) {
		size_t n = 0;
		lock_acquire(&h->proflock);
		for (; next != NULL && n < PROFILE_CHUNK; next = next->allnext, n++)
			out[n] = (heap_bucket_t){ .stack = next->stack, .allocs = next->pub.allocs,
						  .frees = next->pub.frees, .alloc_bytes = next->pub.alloc_bytes,
						  .free_bytes = next->pub.free_bytes };
		lock_release(&h->proflock);
		for (size_t i = 0; i < n; i++)
			cb(&out[i], ctx);
	}
}

void mprof_reset(heap_t *h)
{
	h->buckhash = NULL;
	h->buckets = NULL;
	mprof_seed(h);
}
