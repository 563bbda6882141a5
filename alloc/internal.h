/*
 * allocfuzz internals: every structure of the allocator in one header, with
 * the invariants beside the fields, and the cross-file prototypes grouped by
 * the file that defines them. See malloc.c for the overview.
 *
 * Naming: internal functions are <gofile>_<go identifier> (mheap_alloc,
 * mcentral_cache_span, mspan_next_free_index), so they read side by side
 * with Go's runtime. Functions ending in _locked require the named lock.
 * A field that ports a Go field keeps Go's spelling, camelCase or not
 * (allocCount, freeindex, nelems, tinyoffset, tinyAllocs, nextSample,
 * flushGen, sweepgen); our own fields are lowercase (cachedby, npreleased).
 * Not yet so: allocbits, gcmarkbits, alloccache (Go's allocBits,
 * gcmarkBits, allocCache).
 */
#ifndef ALLOCFUZZ_INTERNAL_H
#define ALLOCFUZZ_INTERNAL_H

#include "alloc/alloc.h"
#include <pthread.h>
#include <string.h>

/* ---- constants (Go's malloc.go) ---- */
#define PAGE_SHIFT        13
#define PAGE_SIZE         ((uintptr_t)1 << PAGE_SHIFT)
#define PAGE_MASK         (PAGE_SIZE - 1)
#define PTR_SIZE          8
#define NUM_SIZE_CLASSES  67               /* class 0 = large */
#define MAX_SMALL_SIZE    32768
#define SMALL_SIZE_DIV    8
#define SMALL_SIZE_MAX    1024
#define LARGE_SIZE_DIV    128
#define TINY_SIZE         16
#define TINY_SIZE_CLASS   2
#define NUM_SPAN_CLASSES  (NUM_SIZE_CLASSES << 1)
#define MAX_OBJS_PER_SPAN 1024             /* 8 KiB / 8 B */
#define ALLOC_BITS_WORDS  (MAX_OBJS_PER_SPAN / 64)
#define ARENA_SHIFT       26
#define ARENA_BYTES       ((uintptr_t)1 << ARENA_SHIFT)   /* heapArenaBytes: 64 MiB */
#define PAGES_PER_ARENA   (ARENA_BYTES / PAGE_SIZE)
#define MAX_ARENAS        64               /* so the cap is at most 4 GiB */
#define HEAP_GROW_PAGES   64               /* mheap_grow commits at least 512 KiB */
#define FREE_LIST_PAGES   128              /* mheap.free[1..127]; larger runs in freelarge */
#define DEFAULT_CAP       ((size_t)256 << 20)

/* ---- generated size class table: msize.c (mksizeclasses.c) ---- */
extern const uint16_t class_to_size[NUM_SIZE_CLASSES];
extern const uint8_t class_to_allocnpages[NUM_SIZE_CLASSES];
extern const uint32_t class_to_divmagic[NUM_SIZE_CLASSES]; /* ceil(2^32 / size) */
extern const uint8_t size_to_class8[SMALL_SIZE_MAX / SMALL_SIZE_DIV + 1];
extern const uint8_t size_to_class128[(MAX_SMALL_SIZE - SMALL_SIZE_MAX) / LARGE_SIZE_DIV + 1];

/* size (1..MAX_SMALL_SIZE) -> size class */
static inline int msize_size_to_class(size_t size)
{
	if (size <= SMALL_SIZE_MAX - 8)
		return size_to_class8[(size + SMALL_SIZE_DIV - 1) / SMALL_SIZE_DIV];
	return size_to_class128[(size - SMALL_SIZE_MAX + LARGE_SIZE_DIV - 1) / LARGE_SIZE_DIV];
}
/* Go's roundupsize: the size mallocgc really allocates. */
size_t msize_roundupsize(size_t size);

/* span class = size class << 1 | noscan */
typedef uint8_t spanclass_t;
static inline spanclass_t make_spanclass(int sizeclass, bool noscan)
{ return (spanclass_t)((sizeclass << 1) | (noscan ? 1 : 0)); }
static inline int spanclass_sizeclass(spanclass_t sc) { return sc >> 1; }
static inline bool spanclass_noscan(spanclass_t sc) { return sc & 1; }

/* ---- locks ---- */
/* Lock ranks: a thread may take a lock only while every lock it holds has a
 * lower rank (the order is the table at the end of malloc.c's essay). Debug
 * builds (ALLOCFUZZ_DEBUG) keep a per-thread list of held locks and throw,
 * through the lock's heap, on the first acquisition out of order, so an
 * inversion is found even when no deadlock happens. */
typedef enum lockrank {
	LOCKRANK_NONE = 0,         /* unranked (never checked) */
	LOCKRANK_MCENTRAL,         /* h->central[sc].lock */
	LOCKRANK_MHEAP,            /* h->lock, the page heap */
	LOCKRANK_SPAN_SPECIALS,    /* mspan.speciallock, a span's special records */
	LOCKRANK_SPECIALS,         /* h->speciallock: special record pools, legacy tables */
	LOCKRANK_PROF,             /* h->proflock, profile buckets */
	LOCKRANK_FIN,              /* h->finlock, the finalizer queue */
	LOCKRANK_PERSISTENT,       /* h->persistent.lock, a leaf */
} lockrank_t;

/* A mutex that knows whether it is held, so _locked functions can check. */
typedef struct lock {
	pthread_mutex_t mu;
	int held;       /* 1 while locked; checked by assert_locked */
	uint8_t rank;   /* lockrank_t */
	heap_t *h;      /* the heap whose throw hook reports an order violation */
} lock_t;
void lock_init(lock_t *l, heap_t *h, lockrank_t rank);
void lock_acquire(lock_t *l);
void lock_release(lock_t *l);
/* Debug builds: forgets the calling thread's held locks of h (a throw hook
 * that longjmp'd out left them listed; heap_reset calls it). */
void lockrank_forget(heap_t *h);
#define assert_locked(h, l) \
	do { if (!(l)->held) heap_throw((h), "lock not held: %s", #l); } while (0)

/* ---- throw and check tiers ---- */
/* Our bugs: prints context, calls the heap's throw hook, never returns. */
void heap_throw(heap_t *h, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
#ifdef ALLOCFUZZ_DEBUG
#define af_assert(h, cond) do { if (!(cond)) heap_throw((h), "assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); } while (0)
#else
#define af_assert(h, cond) do { if (0 && (cond)) {} } while (0)
#endif

/* Expensive checks (CMake AF_EXPENSIVE: on in the fuzz, asan and coverage
 * presets): mcheck.c's validators where a span changes hands. Off, the call
 * still type-checks and compiles to nothing. */
#ifdef ALLOCFUZZ_EXPENSIVE
#define AF_EXPENSIVE 1
#else
#define AF_EXPENSIVE 0
#endif
#include "alloc/no_coverage.h"
#define af_assert_span_valid(h, s, where) \
	do { if (AF_EXPENSIVE) mspan_assert_valid((h), (s), (where)); } while (0)
/* The same under a lock: a cached span, which other Ps may be freeing into,
 * under its mcentral's (every explicit free holds it, so the validator sees
 * no free half done: allocCount and the bit change in two steps); a large
 * span on h->large under the heap's, which guards its neighbours' links. */
#define af_assert_span_valid_under(h, lk, s, where) \
	do { \
		if (AF_EXPENSIVE) { \
			lock_acquire(lk); \
			mspan_assert_valid((h), (s), (where)); \
			lock_release(lk); \
		} \
	} while (0)

/* ---- ASan: the heap poisons its own free memory ---- */
#ifdef AF_ASAN   /* no_coverage.h */
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* ---- persistentalloc and fixalloc: mfixalloc.c ---- */
/* Off-heap metadata comes from heap-owned mmap'd chunks. heap_reset rewinds
 * them (keeping the mappings), so reset is proportional to what was used. */
typedef struct pchunk {
	struct pchunk *next;
	size_t size, used;
} pchunk_t;
typedef struct persistent {
	pchunk_t *chunks;   /* chunks[0] is being carved; the rest are full or dedicated */
	pchunk_t *spare;    /* mapped, zeroed, kept by the last reset for reuse (not in sys) */
	uint64_t sys;       /* bytes mapped */
	uint64_t used;      /* bytes handed out */
	lock_t lock;        /* leaf lock: callers hold h->lock, speciallock, finlock or proflock */
} persistent_t;

typedef struct mlink { struct mlink *next; } mlink_t;
/* Free-list allocator of fixed-size records (Go's fixalloc).
 * inuse == (records handed out and not freed) * size. */
typedef struct fixalloc {
	size_t size;            /* record size */
	mlink_t *list;          /* free records */
	uint8_t *chunk;         /* bump region */
	size_t nchunk;          /* bytes left in chunk */
	uint64_t inuse;         /* bytes in use */
	uint64_t sys;           /* bytes obtained from persistentalloc */
	const char *name;
} fixalloc_t;

/* ---- special records (span mode): mspecial.c ---- */
enum {
	KIND_SPECIAL_FINALIZER = 1, /* sorts before profile at the same offset */
	KIND_SPECIAL_PROFILE = 2,
};
typedef struct special {
	struct special *next;   /* sorted by (offset, kind), unique per pair */
	uint32_t offset;        /* byte offset of the object (or tiny sub-object) in the span:
	                         * 32 bits, since spans reach 80 KiB (class 64) or more (large) */
	uint8_t kind;
} special_t;
typedef struct special_finalizer {
	special_t s;
	uintptr_t fn;
} special_finalizer_t;
struct bucket;
typedef struct special_profile {
	special_t s;
	struct bucket *b;
} special_profile_t;

/* ---- mspan ---- */
enum {
	MSPAN_DEAD = 0,   /* not describing memory (on fixalloc free list) */
	MSPAN_INUSE = 1,  /* holds objects; in an mcentral set, an mcache, or (large) nowhere */
	MSPAN_FREE = 2,   /* a free run of pages in mheap.free / freelarge */
};
typedef struct mspan mspan_t;
typedef struct mspan_list { mspan_t *first, *last; uint32_t n; } mspan_list_t;

struct mspan {
	mspan_t *next, *prev;   /* in *list */
	mspan_list_t *list;     /* the list holding the span, or NULL */
	uintptr_t startaddr;    /* first byte; page aligned */
	uintptr_t npages;
	uintptr_t limit;        /* end of the last object */
	/* Objects (state INUSE):
	 *   allocCount == popcount(allocbits[0..nelems))
	 *   freeindex <= nelems; slots >= freeindex are free iff their allocbit is 0;
	 *   alloccache bit i == !allocbit(freeindex + i) for i < 64 - freeindex%64
	 *   (the 64-bit window holding freeindex, shifted so bit 0 is freeindex),
	 *   except for a span cached by a P (cachedby >= 0): an explicit free on
	 *   another P clears the allocbit but cannot touch the owner's cache, so
	 *   there only "alloccache bit i implies !allocbit(freeindex + i)" holds.
	 *   Slots below freeindex may be free too, after an explicit free on
	 *   another P. Both exceptions need such a free (foreignfree): a P's own
	 *   free rewinds freeindex and reloads the cache.
	 *   allocbits and allocCount change under atomic RMW (see mbitmap.c). */
	uint16_t freeindex;
	uint16_t nelems;
	uint16_t allocCount;
	spanclass_t spanclass;
	uint8_t state;          /* MSPAN_* */
	uint8_t needzero;       /* 1: memory may be dirty, zero on allocation */
	int8_t cachedby;        /* P owning it in its mcache, or -1 */
	uint8_t foreignfree;    /* since it was last cached, a P other than the
	                         * owner freed a slot (which the owner's freeindex
	                         * and cache may hide until it caches the span again) */
	uint8_t large;          /* a large-object span (size class 0) */
	uint8_t unpoisoned;     /* ASan: bytes of it were unpoisoned since mheap_alloc
	                         * (span_unpoison), so mheap_free poisons it again;
	                         * 0: all of it is still poisoned, as allocated */
	uint64_t alloccache;
	uintptr_t scanbytes;    /* a large span: bytes of its object's leading pointer
	                         * words (ptrwords * 8); the scan stops there, as Go's
	                         * heap bits end at an object's last pointer word */
	uint64_t *allocbits;    /* points into bits[0] or bits[1] */
	uint64_t *gcmarkbits;   /* the other one; swapped by sweep */
	uint64_t bits[2][ALLOC_BITS_WORDS];
	/* span class (2, noscan) only: slots handed out as tiny blocks (explicit
	 * free refuses them). tinybits is a subset of allocbits; sweep keeps it so. */
	uint64_t tinybits[8];
	uintptr_t elemsize;     /* object size; npages*PAGE_SIZE for large spans */
	uint32_t divmagic;      /* objindex(p) = ((p - startaddr) * divmagic) >> 32; 0 for large */
	/* sweepgen, relative to heap sweepgen (sg), as Go's mspan.sweepgen:
	 *   == sg - 2: needs sweeping
	 *   == sg - 1: being swept
	 *   == sg:     swept, ready to use
	 *   == sg + 1: cached before sweep began, still cached, needs sweeping
	 *   == sg + 3: swept and then cached, still cached
	 * heap sweepgen grows by 2 every GC. Other Ps CAS it to claim the span
	 * for sweeping (even a failed CAS is a write to TSan): read it with
	 * span_sweepgen wherever the span is not locked against them. */
	uint32_t sweepgen;
	uintptr_t npreleased;   /* FREE spans: pages returned to the OS */
	special_t *specials;    /* sorted by (offset, kind); see mspecial.c */
	lock_t speciallock;
};

static inline uint32_t span_sweepgen(const mspan_t *s)
{
	return __atomic_load_n(&s->sweepgen, __ATOMIC_ACQUIRE);
}

/* ---- per-arena metadata (Go's heapArena) ---- */
typedef struct heaparena {
	/* spans[i] describes page i of the arena: for an INUSE span every page
	 * maps to it; for a FREE run exactly its first and last page do and its
	 * interior pages are NULL; NULL also = not committed. */
	mspan_t *spans[PAGES_PER_ARENA];
	/* heap bitmap: 1 bit per word, 1 = pointer slot (Go's mbitmap). Only
	 * meaningful inside allocated scan objects; cleared for the whole
	 * object at allocation. */
	uint64_t ptrbits[ARENA_BYTES / PTR_SIZE / 64];
	/* legacy design only: 1 bit per word, set at an object's first word
	 * when the object has a special record (the 2013 bitSpecial). */
	uint64_t specialbits[ARENA_BYTES / PTR_SIZE / 64];
	/* Bits [0, bits_end) of the two bitmaps may be set since the last reset,
	 * which clears only those (arena_note_bits). */
	uintptr_t bits_end;
} heaparena_t;

/* mbitmap.c: the bitmaps of a were written below bit end: raises a->bits_end. */
void arena_note_bits(heaparena_t *a, uintptr_t end);

/* ---- mcentral: mcentral.c ---- */
/* Spans of one span class not cached by any P. Go 1.19's partial/full span
 * sets, indexed by sweepgen: [sg/2 % 2] holds swept spans, the other
 * unswept ones (lazy mode). Eager mode uses only the swept sets. */
typedef struct mcentral {
	lock_t lock;
	spanclass_t spanclass;
	mspan_list_t partial[2];  /* have a free object */
	mspan_list_t full[2];     /* no free object */
} mcentral_t;

/* ---- mcache: mcache.c ---- */
typedef struct mcache {
	mspan_t *alloc[NUM_SPAN_CLASSES]; /* span to allocate from, or &h->emptyspan */
	uintptr_t tiny;         /* current tiny block, or 0 */
	uintptr_t tinyoffset;
	uint64_t tinyAllocs;
	int64_t nextSample;     /* bytes until the next profiled allocation */
	/* stats not yet flushed to the heap (Go's heapStatsDelta) */
	uint64_t nmalloc_local[NUM_SIZE_CLASSES];
	uint64_t nfree_local[NUM_SIZE_CLASSES];   /* explicit frees called on this P */
	uint32_t flushGen;      /* heap sweepgen when last flushed (Go's mcache.flushGen) */
} mcache_t;

/* ---- heap profiling: mprof.c ---- */
typedef struct profcounts { uint64_t allocs, frees, alloc_bytes, free_bytes; } profcounts_t;
typedef struct bucket {
	struct bucket *next;     /* in the hash chain */
	struct bucket *allnext;  /* all buckets, sorted by stack */
	uint32_t stack;
	profcounts_t pub;        /* published */
	profcounts_t recent;     /* since the last mark: allocations, explicit frees */
	/* the cycle being swept: counts up to its mark plus its sweep frees;
	 * published when its sweep finishes (Go 1.19 mProf_PostSweep) */
	profcounts_t pending;
} bucket_t;
/* Every event recorded in b, published or not. */
static inline profcounts_t bucket_total(const bucket_t *b)
{
	profcounts_t t = b->pub;
	t.allocs += b->recent.allocs + b->pending.allocs;
	t.frees += b->recent.frees + b->pending.frees;
	t.alloc_bytes += b->recent.alloc_bytes + b->pending.alloc_bytes;
	t.free_bytes += b->recent.free_bytes + b->pending.free_bytes;
	return t;
}

/* ---- finalizer queue: mfinal.c ---- */
typedef struct finalizer { uintptr_t fn; void *arg; } finalizer_t;
#define FINBLOCK_CAP 64
typedef struct finblock {
	struct finblock *next;
	uint32_t cnt;
	finalizer_t fin[FINBLOCK_CAP];
} finblock_t;

/* ---- the legacy (pre-specials) design: mlegacy.c ---- */
#define LEGACY_TABSZ 17
typedef struct fintab {
	uintptr_t *key;      /* 0 = empty, 1 = dead (was occupied) */
	uintptr_t *val;      /* finalizer fn */
	int32_t nkey, ndead, max;
} fintab_t;

/* Up to this much address space stays mapped across heap_reset, dirty and
 * poisoned, to be zeroed where it is reused (needzero). Above it, reset zeroes
 * what was used and gives the range back, so one huge run does not keep its
 * memory for the rest of a campaign. The op targets' default cap (16 MiB) and
 * fuzz_pageheap's largest heap (72 MiB) are below it: their runs never fault
 * the heap's pages in twice (ci/bench: fuzz_pageheap replay 600 -> 1000
 * execs/s against a 32 MiB bound). */
#define RESET_KEEP_MAX ((uintptr_t)128 << 20)

/* ---- the heap instance ---- */
/* A growing list of address ranges (heap.c ranges_push). */
typedef struct ranges {
	heap_range_t *r;
	size_t n, cap;
	bool lost;
} ranges_t;

struct heap {
	heap_config_t cfg;
	lock_t lock;                 /* the page heap (mheap) lock */
	/* address space: one reservation of cap bytes rounded up to arenas */
	uintptr_t arena_start, arena_end; /* reserved [start, end), ARENA_BYTES aligned */
	uintptr_t arena_used;        /* committed heap memory is [arena_start, arena_used) */
	uintptr_t arena_hwm;         /* end of the highest span handed out since reset:
	                              * [arena_start, arena_hwm) may be dirty (reset cost) */
	uintptr_t arena_mapped;      /* [arena_start, arena_mapped) is read-write: the
	                              * committed range plus what heap_reset kept mapped */
	uintptr_t arena_dirty;       /* [arena_start, arena_dirty) was kept by heap_reset
	                              * without zeroing: mheap_grow marks runs there needzero */
	heaparena_t *arenas[MAX_ARENAS]; /* metadata of committed arenas, else NULL */
	heaparena_t *arena_maps[MAX_ARENAS]; /* mheap.c: metadata mappings kept across reset */
	/* page heap free runs: free[n] holds runs of n pages (n < FREE_LIST_PAGES),
	 * freelarge the bigger ones. No two free runs are adjacent. */
	mspan_list_t free[FREE_LIST_PAGES];
	mspan_list_t freelarge;
	mspan_list_t large;          /* in-use large-object spans (malloc.c links them, under lock) */
	mcentral_t central[NUM_SPAN_CLASSES];
	mcache_t *mcaches[HEAP_MAX_PROCS];
	mspan_t emptyspan;           /* mcache placeholder: nelems == 0, never allocates */
	/* metadata allocators */
	persistent_t persistent;
	fixalloc_t spanalloc, cachealloc, specialfinalizeralloc, specialprofilealloc;
	lock_t speciallock;          /* guards the special fixallocs */
	/* GC */
	uint32_t sweepgen;           /* see mspan.sweepgen */
	bool sweepdone;              /* the cycle's sweep is over (set by the last sweeper) */
	/* Go 1.19's sweep.active: the sweepers at work (low bits), plus
	 * SWEEP_DRAINED once no unswept span is left to take. The sweeper whose
	 * end brings it to SWEEP_DRAINED alone ends the cycle (sweepdone, the
	 * profile's publish), so no sweep still under way is left out of it. */
	uint32_t sweep_active;
	/* Lazy mode grew the heap for grow_unreclaimed_npages pages although the
	 * reclaim before it freed fewer and grow_dead_pages pages of unswept,
	 * entirely dead spans were left: Go 1.19 reclaims those first (heap
	 * checker: lazy_grow_before_reclaim). The first such growth; 0: none. */
	uintptr_t grow_unreclaimed_npages, grow_dead_pages;
	uint32_t numgc;
	bool ingc, inrunfin;         /* re-entrancy guards */
	uintptr_t roots[HEAP_NROOTS];
	uintptr_t *gcwork;           /* mgcmark.c: mark stack of objects to scan (persistentalloc) */
	size_t gcwork_n, gcwork_cap;
	uint8_t zerobase[8];         /* heap_alloc(0) */
	/* finalizer queue (Go's finq/finc) */
	lock_t finlock;
	finblock_t *finq, *finc;
	size_t nfinq;
	/* profiling */
	lock_t proflock;
	bucket_t **buckhash;         /* hash of stack -> bucket */
	bucket_t *buckets;           /* all buckets sorted by stack */
	uint64_t sample_state;       /* seeded PRNG for nextSample */
	int64_t profrate;            /* MemProfileRate now (heap_set_profrate); heap_new and
	                                heap_reset set it from cfg.profrate */
	/* legacy design side tables */
	fintab_t fintab[LEGACY_TABSZ];
	void *addrhash;              /* mlegacy.c: address -> bucket */
	/* stats (Go's memstats + consistent heapStats) */
	heap_stats_t stats;
	struct mcheck_scratch *check; /* mcheck.c scratch, lazily allocated */
	/* cfg.log_writes: what the caller wrote since the last reset, merged
	 * where ranges touch; lost: more than WLOG_MAX ranges, so reset
	 * zeroes everything handed out instead (heap.c) */
	ranges_t wlog;
	ranges_t rlog;   /* what the last scavenge madvised (heap_released_ranges) */
};

/* heap.c: appends [lo, hi); false (and lost set) past max ranges or without memory. */
bool ranges_push(ranges_t *l, uintptr_t lo, uintptr_t hi, size_t max);

/* ---- cross-file prototypes, by defining file ---- */

/* "mem_linux.c": the OS layer (Go's mem_linux.go). */
void *sys_reserve(size_t n, size_t align);  /* PROT_NONE, aligned; NULL on failure */
bool sys_map(void *v, size_t n);            /* commit reserved memory read/write */
void sys_fault(void *v, size_t n);          /* back to PROT_NONE (contents kept) */
void sys_unused(void *v, size_t n, bool lazy); /* MADV_DONTNEED (read back as zero) or, lazy, MADV_FREE */
void *sys_alloc(size_t n);                  /* fresh zeroed read/write mapping, or NULL */
void sys_free(void *v, size_t n);
void sys_zero(void *v, size_t n);           /* memset small ranges, MADV_DONTNEED big ones */

/* "mfixalloc.c" */
void *persistentalloc(heap_t *h, size_t size, size_t align);
void persistent_reset(persistent_t *p);
void persistent_destroy(persistent_t *p);
void fixalloc_init(fixalloc_t *f, size_t size, const char *name);
void *fixalloc_alloc(heap_t *h, fixalloc_t *f);  /* zeroed record */
void fixalloc_free(fixalloc_t *f, void *p);
void fixalloc_reset(fixalloc_t *f);

/* "mheap.c" */
bool mheap_init(heap_t *h);          /* after cfg is set; reserves address space; false = NOMEM */
void mheap_reset(heap_t *h);
void mheap_destroy(heap_t *h);
/* Allocates an in-use span of npages for spanclass (class 0 = large). The
 * span's object fields are initialised (mspan_init_objects). NULL = NOMEM. */
mspan_t *mheap_alloc(heap_t *h, uintptr_t npages, spanclass_t sc);
void mheap_free(heap_t *h, mspan_t *s);                /* back to free runs, coalesced */
void mheap_free_locked(heap_t *h, mspan_t *s);
mspan_t *mheap_span_of(const heap_t *h, uintptr_t p);  /* spanOf: any state, or NULL */
mspan_t *mheap_span_of_inuse(const heap_t *h, uintptr_t p); /* INUSE span holding p, or NULL */
/* The arena metadata holding p, or NULL. Inline: the heap checker and the
 * mark phase call it in loops, and in the fuzz preset only the allocator's
 * own files carry comparison tracing (CMakeLists.txt), so the checker's
 * copies are not traced. */
static inline heaparena_t *mheap_arena_of(const heap_t *h, uintptr_t p)
{
	if (p < h->arena_start || p >= h->arena_end)
		return NULL;
	return __atomic_load_n(&h->arenas[(p - h->arena_start) >> ARENA_SHIFT], __ATOMIC_ACQUIRE);
}
size_t mheap_scavenge_all(heap_t *h);                 /* takes h->lock */
void mspan_list_init(mspan_list_t *l);
void mspan_list_insert(heap_t *h, mspan_list_t *l, mspan_t *s);   /* at front */
void mspan_list_insert_back(heap_t *h, mspan_list_t *l, mspan_t *s);
void mspan_list_remove(heap_t *h, mspan_list_t *l, mspan_t *s);

/* "mbitmap.c" */
void mspan_init_objects(heap_t *h, mspan_t *s, spanclass_t sc); /* nelems, elemsize, bits, divmagic */
/* Every unpoisoning of an in-use span's memory goes through here (the
 * allocator's object handouts, and white-box code that writes into a span):
 * mheap_free then knows whether the span needs poisoning again, and a span
 * nothing was handed out of (as fuzz_pageheap's) costs no shadow write at
 * free. The flag is written once per span. */
static inline void span_unpoison(mspan_t *s, void *p, size_t n)
{
#ifdef AF_ASAN
	if (!s->unpoisoned)
		s->unpoisoned = 1;
#endif
	(void)s;
	UNPOISON(p, n);
}

static inline uintptr_t mspan_objindex(const mspan_t *s, uintptr_t p)
{ return (uintptr_t)(((uint64_t)(p - s->startaddr) * s->divmagic) >> 32); }
static inline bool bit_get(const uint64_t *b, uintptr_t i) { return (b[i >> 6] >> (i & 63)) & 1; }
static inline void bit_set(uint64_t *b, uintptr_t i) { b[i >> 6] |= (uint64_t)1 << (i & 63); }
static inline void bit_clear(uint64_t *b, uintptr_t i) { b[i >> 6] &= ~((uint64_t)1 << (i & 63)); }
/* allocbits/tinybits of a span a P may be allocating from: another P may
 * clear a bit of the same word (explicit free) at the same time. */
static inline bool bit_get_atomic(const uint64_t *b, uintptr_t i)
{ return (__atomic_load_n(&b[i >> 6], __ATOMIC_RELAXED) >> (i & 63)) & 1; }
static inline void bit_set_atomic(uint64_t *b, uintptr_t i)
{ __atomic_fetch_or(&b[i >> 6], (uint64_t)1 << (i & 63), __ATOMIC_RELAXED); }
static inline void bit_clear_atomic(uint64_t *b, uintptr_t i)
{ __atomic_fetch_and(&b[i >> 6], ~((uint64_t)1 << (i & 63)), __ATOMIC_RELAXED); }
void mspan_refill_alloc_cache(mspan_t *s, uintptr_t whichword); /* allocCache from allocBits */
uintptr_t mspan_next_free_index(mspan_t *s);  /* Go's nextFreeIndex; nelems if full */
void mspan_reset_alloc_cache(mspan_t *s);     /* alloccache for the current freeindex */
uintptr_t mspan_lowest_free_index(const mspan_t *s); /* lowest slot with allocbit 0, or nelems */
/* heap bitmap: mark the first ptrwords words of [p, p+size) as pointers, the rest scalar */
void heapbits_set_type(heap_t *h, uintptr_t p, size_t size, size_t ptrwords);
bool heapbits_is_pointer(const heap_t *h, uintptr_t wordaddr);

/* "mcentral.c" */
void mcentral_init(heap_t *h, mcentral_t *c, spanclass_t sc);
/* A span with a free slot (freeindex = lowest free slot), or NULL (NOMEM).
 * Lazy mode: sweeps unswept spans of the class as Go's tryAcquire + sweep:
 * s->sweepgen = sg - 1, then mgcsweep_sweep(h, s, true), while holding
 * c->lock, so a preserving sweep
 * must not take c->lock or free the span; it is called without c->lock
 * held only around mheap_alloc (which may reclaim, i.e. sweep). */
mspan_t *mcentral_cache_span(heap_t *h, mcentral_t *c);
/* The P gives the span back; a stale one (sweepgen == sg + 1) is swept with
 * mgcsweep_sweep(h, s, false) without c->lock held. */
void mcentral_uncache_span(heap_t *h, mcentral_t *c, mspan_t *s);
/* Sweep or explicit free returns a span here (c->lock held). s is INUSE
 * and not cached by a P; its allocCount is already updated. It is taken
 * off whatever list holds it and goes to the swept partial or full set, or
 * to the page heap when empty (mheap_free, so the lock order is mcentral
 * then mheap). wasempty: the span was full before (Go's name); checked. */
void mcentral_free_span_locked(heap_t *h, mcentral_t *c, mspan_t *s, bool wasempty);

/* "mcache.c" */
mcache_t *mcache_new(heap_t *h);
void mcache_refill(heap_t *h, mcache_t *c, spanclass_t sc); /* may leave &h->emptyspan on NOMEM */
void mcache_release_all(heap_t *h, mcache_t *c);  /* uncache every span, drop the tiny block */
void mcache_flush_stats(heap_t *h, mcache_t *c);

/* "malloc.c" */
void *mallocgc(heap_t *h, mcache_t *c, size_t size, size_t ptrwords, uint32_t stack, alloc_err_t *err);

/* "mstats.c" */
/* Object counters (see heap_stats_t): mcaches count allocations locally
 * (nmalloc_local, tinyAllocs) and flush them into h->stats; frees and large
 * allocations are added to h->stats at once through these (atomic, any
 * thread, any lock held). heap_read_stats derives the totals. */
void mstats_note_small_free(heap_t *h, int sizeclass, uint64_t n);
void mstats_note_large_alloc(heap_t *h, uintptr_t bytes);
void mstats_note_large_free(heap_t *h, uintptr_t bytes);
void mstats_reset(heap_t *h);  /* zeroes the object counters only */

/* "mspecial.c" (span mode) */
bool mspecial_add(heap_t *h, uintptr_t p, special_t *s);        /* false: (offset, kind) exists */
special_t *mspecial_remove(heap_t *h, uintptr_t p, uint8_t kind);
bool mspecial_free(heap_t *h, special_t *s, uintptr_t p, size_t size, bool bysweep); /* false: keep the object */
bool mspecial_free_all(heap_t *h, mspan_t *s, uintptr_t p, size_t size); /* false: has a finalizer */
special_t *mspecial_new(heap_t *h, uint8_t kind);   /* a zeroed record of kind, or NULL */
void mspecial_dispose(heap_t *h, special_t *s);      /* back to its fixalloc */
void mspecial_sweep(heap_t *h, mspan_t *s);          /* sweep's specials pass (span mode) */

/* "mfinal.c" */
void mfinal_queue(heap_t *h, void *p, uintptr_t fn);
bool mfinal_is_queued(heap_t *h, uintptr_t base, size_t size); /* a queued record points into it */
bool mfinal_add(heap_t *h, uintptr_t p, uintptr_t fn);   /* dispatches on specials mode */
void mfinal_remove(heap_t *h, uintptr_t p);
void mfinal_walk_queue(heap_t *h, void (*fn)(heap_t *h, void *arg, uintptr_t fn, void *ctx), void *ctx);

/* "mprof.c" */
void mprof_malloc(heap_t *h, uintptr_t p, size_t size, uint32_t stack);
void mprof_free(heap_t *h, bucket_t *b, size_t size, bool bysweep);
void mprof_gc(heap_t *h);          /* at mark: close the cycle (mProf_NextCycle) */
void mprof_post_sweep(heap_t *h);  /* its sweep finished: publish (mProf_PostSweep) */
int64_t mprof_next_sample(heap_t *h);
void mprof_seed(heap_t *h);   /* sample PRNG from cfg.seed */
void mprof_reset(heap_t *h);

/* "mgc.c": heap_new calls mgc_init after mheap_init; heap_reset calls
 * mgc_reset (after mheap_reset and persistent_reset is fine: it only forgets
 * the pointers the GC, finalizer, profile and legacy state hold into
 * persistent memory, and mheap_reset zeroes the legacy special bits). */
void mgc_init(heap_t *h);
void mgc_reset(heap_t *h);

/* "mgcmark.c" */
void mgcmark_mark(heap_t *h);
/* scans the object holding p (a finalizer's) without marking it */
void mgcmark_scan_finalizer_object(heap_t *h, mspan_t *s, uintptr_t p);
/* every INUSE span in address order (the arenas' span maps) */
void mgc_for_each_inuse_span(heap_t *h, void (*fn)(heap_t *h, mspan_t *s, void *ctx), void *ctx);

/* "mgcsweep.c" */
bool mgcsweep_sweep(heap_t *h, mspan_t *s, bool preserve); /* true: span still in use */
bool mspan_ensure_swept(heap_t *h, mspan_t *s);
void mgcsweep_start_cycle(heap_t *h);  /* bump sweepgen; eager: sweep everything */
/* Lazy mode: sweeps unswept spans until npages pages went back to the page
 * heap or none is left; returns the pages freed. mheap_alloc calls it
 * without h->lock before a large allocation and when the heap cannot grow. */
uintptr_t mgcsweep_reclaim(heap_t *h, uintptr_t npages);
/* Go's sweep.active.begin / end around taking and sweeping unswept spans:
 * begin is false once the cycle is drained (take nothing then). */
#define SWEEP_DRAINED 0x80000000u
bool mgcsweep_begin(heap_t *h);
void mgcsweep_end(heap_t *h);

/* "mlegacy.c" (legacy design) */
void mlegacy_reset(heap_t *h);
bool mlegacy_addfinalizer(heap_t *h, uintptr_t p, uintptr_t fn);  /* false: exists */
void mlegacy_removefinalizer(heap_t *h, uintptr_t p);
void mlegacy_setaddrbucket(heap_t *h, uintptr_t p, bucket_t *b);
bool mlegacy_free_all(heap_t *h, uintptr_t base, size_t size);     /* explicit free */
void mlegacy_markroots(heap_t *h);
void mlegacy_sweep_span(heap_t *h, mspan_t *s);
/* every record: kind KIND_SPECIAL_FINALIZER at its exact address,
 * KIND_SPECIAL_PROFILE at its object's start (for the heap checker) */
void mlegacy_walk(heap_t *h, void (*fn)(heap_t *h, uintptr_t addr, int kind, void *ctx), void *ctx);
/* The bucket a legacy profile record at addr names, or NULL (read-only). */
bucket_t *mlegacy_profile_bucket(heap_t *h, uintptr_t addr);
/* The finalizer tables alone: every key in its table and found by a lookup,
 * with a function; nkey/ndead/load; the key count. The heap checker checks
 * the records, bits and buckets itself (check_legacy, check_profile). */
bool mlegacy_tables_valid(heap_t *h, char *why, size_t len);
/* mlegacy_is_valid (all of it, for tests without the heap checker):
 * alloc/testing.h */

/* "mcheck.c" */
/* (legacy design) every object start of s whose special bit is set, until fn returns false */
void mlegacy_each_specialbit(heap_t *h, const mspan_t *s,
                             bool (*fn)(heap_t *h, const mspan_t *s, uintptr_t idx, uintptr_t base, void *ctx),
                             void *ctx);
void mcheck_destroy(heap_t *h);
/* heap_check without stopping at the first violation: fills out[0..max)
 * and returns how many violations there were (0 = clean). */
size_t mcheck_collect(heap_t *h, heap_check_report_t *out, size_t max);
/* Validators (af_assert_span_valid): one span's object invariants (in use)
 * and its own list links; a whole list. false with the violation in why. */
bool mspan_is_valid(heap_t *h, const mspan_t *s, heap_check_report_t *why);
bool mspan_list_is_valid(heap_t *h, const mspan_list_t *l, heap_check_report_t *why);
/* mspan_is_valid or heap_throw naming where, the invariant and the detail. */
void mspan_assert_valid(heap_t *h, const mspan_t *s, const char *where);
/* The same for the alloc cache window only. */
void mspan_assert_cache_valid(heap_t *h, const mspan_t *s, const char *where);

#endif
