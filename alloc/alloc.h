/*
 * allocfuzz public API: a C port of Go's runtime allocator and sweeper as
 * resettable heap instances. See alloc/malloc.c for the design essay.
 *
 * Every entry point returns an alloc_err_t (or a count) and never aborts on
 * caller misuse. Internal invariant violations go to the heap's throw hook.
 * A heap is not thread-safe across Ps sharing one P index: each P index must
 * be used by one thread at a time (as one mcache per P in Go).
 */
#ifndef ALLOCFUZZ_ALLOC_H
#define ALLOCFUZZ_ALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct heap heap_t;

typedef enum alloc_err {
	ALLOC_OK = 0,
	ALLOC_ERR_NOMEM,         /* heap cap reached; nothing changed */
	ALLOC_ERR_BADCONFIG,     /* heap_new: a config field is out of range */
	ALLOC_ERR_BADARG,        /* e.g. ptrwords*8 > size, bad root slot, bad P */
	ALLOC_ERR_NOT_IN_HEAP,   /* pointer outside every in-use span (incl. the zero base) */
	ALLOC_ERR_INTERIOR,      /* pointer not at the start of an object */
	ALLOC_ERR_NOT_ALLOCATED, /* the object is free (double free, stale pointer) */
	ALLOC_ERR_TINY,          /* explicit free of a tiny-allocator object */
	ALLOC_ERR_HAS_FINALIZER, /* explicit free of an object with a finalizer */
	ALLOC_ERR_FIN_EXISTS,    /* SetFinalizer: finalizer already set */
	ALLOC_ERR_BUSY,          /* re-entrant call (e.g. heap_gc from a finalizer callback run) */
	ALLOC_ERR_CHECK,         /* heap_check found a violation (see the report) */
	ALLOC_ERR__COUNT
} alloc_err_t;

const char *alloc_strerror(alloc_err_t err);  /* "ALLOC_ERR_NOMEM: heap cap reached" */
const char *alloc_errname(alloc_err_t err);   /* "NOMEM", as the op language spells it */

typedef enum { HEAP_SWEEP_EAGER = 0, HEAP_SWEEP_LAZY = 1 } heap_sweep_mode_t;
typedef enum { HEAP_SPECIALS_SPAN = 0, HEAP_SPECIALS_LEGACY = 1 } heap_specials_mode_t;

/* Receives the message of an internal invariant violation (our bug, not the
 * caller's). It may longjmp out; if it returns, the process aborts. */
typedef void (*heap_throw_hook_t)(heap_t *h, const char *msg, void *ctx);

#define HEAP_MAX_PROCS 8
#define HEAP_NROOTS 64

typedef struct heap_config {
	size_t cap_bytes;           /* most heap bytes (pages) ever committed; 0 = 256 MiB */
	int nprocs;                 /* number of Ps (mcaches), 1..HEAP_MAX_PROCS; 0 = 1 */
	heap_sweep_mode_t sweep;    /* eager: sweep all at the end of heap_gc; lazy: sweepgen */
	heap_specials_mode_t specials; /* span: per-span special lists; legacy: 2013 side tables */
	int64_t profrate;           /* MemProfileRate: sample every ~N bytes; 1 = all; 0 = off */
	uint64_t seed;              /* seed of the profiling sampler (deterministic) */
	heap_throw_hook_t throw_hook; /* NULL: print to stderr and abort() */
	void *throw_ctx;
	/* The caller reports every write it makes to heap memory (heap_note_write).
	 * heap_reset then zeroes exactly those ranges and the pages it keeps are
	 * as a fresh heap's: zero, and not needzero. Without it kept pages are
	 * dirty and needzero (zeroed where reused). */
	bool log_writes;
	/* heap_scavenge gives pages back with MADV_FREE (Go's GODEBUG=madvdontneed=0)
	 * instead of MADV_DONTNEED (Go 1.19's default): the kernel takes them only
	 * under memory pressure, so memory reused before that costs no page fault.
	 * Nothing else changes: reused released memory is zeroed in either mode,
	 * as Go 1.19 zeroes it. */
	bool madv_free;
	/* heap_scavenge keeps the pages: it zeroes in place what the caller
	 * wrote inside the runs it releases (the write log), so they read zero
	 * as after MADV_DONTNEED, and does all else as ever (npreleased,
	 * heap_released, heap_released_ranges). For a fuzzer's heaps: the run
	 * does not depend on memory pressure as with MADV_FREE, and a VM's
	 * exit per page written again after madvise (allocfuzz bench pages) is
	 * not paid. Needs log_writes, excludes madv_free (else BADCONFIG);
	 * where the write log is lost a range goes to MADV_DONTNEED. */
	bool scavenge_in_place;
} heap_config_t;

alloc_err_t heap_new(const heap_config_t *cfg, heap_t **out);
/* Back to the state heap_new left, in time proportional to what was touched. */
void heap_reset(heap_t *h);
/* log_writes: [p, p+n) of heap memory was written by the caller. NOT_IN_HEAP
 * if the range is not inside the heap's committed pages; a no-op without
 * log_writes. */
alloc_err_t heap_note_write(heap_t *h, const void *p, size_t n);
void heap_destroy(heap_t *h);
const heap_config_t *heap_config(const heap_t *h);

/* mallocgc. size 0 returns the shared zero base (not a heap object).
 * ptrwords: the first ptrwords words are pointer slots the GC scans
 * (Go's ptrdata/8); 0 means noscan. ptrwords*8 must be <= size.
 * stack: the call stack ID that heap profiling attributes the object to.
 * The returned memory is zeroed. */
alloc_err_t heap_alloc(heap_t *h, int p, size_t size, size_t ptrwords,
                       uint32_t stack, void **out);
/* The 2014 runtime's free(): returns the object to its span. Errors:
 * NOT_IN_HEAP, INTERIOR, NOT_ALLOCATED, TINY, HAS_FINALIZER; nothing changes
 * on error. NULL is a no-op that returns ALLOC_OK. */
alloc_err_t heap_free(heap_t *h, int p, void *ptr);
/* Where the object containing ptr starts and its rounded size (elemsize).
 * Errors as heap_free for NOT_IN_HEAP / NOT_ALLOCATED. */
alloc_err_t heap_find_object(heap_t *h, const void *ptr, void **base, size_t *elemsize);
void *heap_zerobase(const heap_t *h);
/* Returns free pages to the OS (madvise); returns bytes released. */
size_t heap_scavenge(heap_t *h);
/* What the last heap_scavenge gave to madvise, in address order: for checkers
 * (memory a live object holds must never be there), read while no other
 * thread scavenges. false if the list is incomplete (no memory for it); *n
 * is then what it holds. */
typedef struct heap_range { uintptr_t lo, hi; } heap_range_t;
bool heap_released_ranges(const heap_t *h, const heap_range_t **r, size_t *n);

/* Root slots: HEAP_NROOTS words the collector scans precisely. A word holds
 * 0, a pointer outside the heap (ignored), or a pointer into a live object
 * (interior pointers keep the whole object alive). */
uintptr_t *heap_roots(heap_t *h);

/* A full stop-the-world collection. Eager: marks and sweeps everything.
 * Lazy: finishes the previous cycle's sweep, marks, and leaves the spans to
 * be swept on demand (allocation, heap_sweepone, heap_finish_sweep). */
alloc_err_t heap_gc(heap_t *h);
/* Sweeps one unswept span; returns 1 if it swept one, 0 if none is left. */
int heap_sweepone(heap_t *h);
void heap_finish_sweep(heap_t *h);
uint32_t heap_numgc(const heap_t *h);

/* runtime.SetFinalizer. fn is an opaque non-zero finalizer identity (Go's
 * FuncVal*); fn == 0 removes the finalizer (no error if none was set).
 * elem_size / elem_ptrwords describe the pointer's element type (Go's ot.elem):
 * an interior pointer is accepted only when elem_ptrwords == 0 and
 * elem_size < 16 (the object may live in a tiny block), as Go allows.
 * The zero base is accepted and ignored. */
alloc_err_t heap_setfinalizer(heap_t *h, void *ptr, size_t elem_size,
                              size_t elem_ptrwords, uintptr_t fn);

/* Drains the finalizer queue: finishes any pending sweep first (a queue
 * observation point), then calls cb once per queued record, in queue order
 * (unspecified, as in Go: callers wanting an order sort). The callback may
 * allocate, store pointers, set finalizers and resurrect the object.
 * Returns the number of finalizers run. */
typedef void (*heap_finalizer_cb)(heap_t *h, void *obj, uintptr_t fn, void *ctx);
size_t heap_runfinalizers(heap_t *h, heap_finalizer_cb cb, void *ctx);
size_t heap_finq_len(const heap_t *h);
/* Calls cb once per queued, not yet run record, in queue order, and changes
 * nothing: a read-only view of the queue for checkers (the executor compares
 * it with the model's queue). cb must not call into the heap. */
void heap_finq_walk(heap_t *h, heap_finalizer_cb cb, void *ctx);

/* P p's current tiny block (Go's mcache.tiny; 0 if it has none) and, through
 * offset, the offset of its next free byte (mcache.tinyoffset): a read-only
 * view for checkers. 0 for a P the heap does not have. */
uintptr_t heap_tiny_block(const heap_t *h, int p, size_t *offset);

/* Heap profiling (runtime.MemProfileRate). Takes effect for later allocations. */
void heap_set_profrate(heap_t *h, int64_t rate);
typedef struct heap_bucket {
	uint32_t stack;
	uint64_t allocs, frees, alloc_bytes, free_bytes; /* published at each GC (MProf_GC) */
} heap_bucket_t;
/* Calls cb for every bucket, in increasing stack order. */
void heap_profile(heap_t *h, void (*cb)(const heap_bucket_t *b, void *ctx), void *ctx);

typedef struct heap_stats {
	/* Objects: a tiny allocation counts as one object in nmalloc and in
	 * tiny_allocs when it fits in an existing tiny block; blocks are what
	 * the heap frees, so nfree/heap_objects count blocks. */
	uint64_t nmalloc;        /* allocation calls that returned heap memory */
	uint64_t nfree;          /* blocks freed (sweep or explicit free) */
	uint64_t tiny_allocs;    /* tiny allocations that fit in an existing block */
	uint64_t heap_objects;   /* live blocks (small + large) */
	uint64_t total_alloc;    /* cumulative bytes of blocks allocated (rounded) */
	uint64_t heap_alloc;     /* bytes of live blocks (rounded) */
	uint64_t by_class_nmalloc[67], by_class_nfree[67]; /* blocks; class 0 = large */
	uint64_t large_alloc, large_nmalloc, large_free, large_nfree;
	uint64_t heap_sys;       /* bytes of pages committed */
	uint64_t heap_inuse;     /* bytes in in-use spans */
	uint64_t heap_idle;      /* bytes in free spans (incl. released) */
	uint64_t heap_released;  /* bytes of free spans returned to the OS */
	uint64_t mspan_inuse, mspan_sys, mcache_inuse, mcache_sys;
	uint64_t specials_inuse, specials_sys; /* special records (span mode) */
	uint64_t legacy_inuse;   /* side tables of the legacy design */
	uint64_t buckhash_sys;   /* profile buckets and their hash */
	uint64_t other_sys;      /* other metadata (arena maps, bitmaps) */
	uint64_t numgc;
} heap_stats_t;
void heap_read_stats(heap_t *h, heap_stats_t *st);

/* The heap checker (Go's ReadMemStatsSlow plus mimalloc's page validation):
 * walks every arena and span and proves the invariants. Never aborts.
 * Returns ALLOC_OK, or ALLOC_ERR_CHECK with the first violation named. */
typedef struct heap_check_report {
	char invariant[48];  /* short stable name, e.g. "alloccount" (see mcheck.c) */
	char detail[256];    /* the context: span, index, values */
} heap_check_report_t;
alloc_err_t heap_check(heap_t *h, heap_check_report_t *rep);
/* heap_check, and on ALLOC_OK *st (when not NULL) holds heap_read_stats as
 * the check read it: a caller that compares the stats too reads them once. */
alloc_err_t heap_check_stats(heap_t *h, heap_check_report_t *rep, heap_stats_t *st);

#ifdef __cplusplus
}
#endif
#endif
