/* heap_scavenge returns every free page to the OS exactly once (with
 * MADV_DONTNEED the pages leave memory; heap_released counts them), merging
 * keeps the count exact, heap_released_ranges names exactly the free runs it
 * released, and memory reused after scavenging reads as zero although it was
 * written before it was freed: the runs stay needzero, so the allocator
 * zeroes them, with MADV_DONTNEED (pages dropped), MADV_FREE (cfg.madv_free:
 * they may keep their contents) and in place (cfg.scavenge_in_place: the
 * pages stay, and read zero right after the scavenge, as MADV_DONTNEED's do,
 * where a write the caller logged is zeroed up to the released run's edge
 * and not beyond) alike. */
#include "tests/t.h"
#include "tests/heapwalk.h"
#include <sys/mman.h>
#include <unistd.h>

#define PG(n) ((uint64_t)(n) * PAGE_SIZE)

/* OS pages of [p, p+n) resident in memory (mincore), not the heap's word. */
static size_t resident_os_pages(uintptr_t p, size_t n)
{
	size_t os = (size_t)sysconf(_SC_PAGESIZE), cnt = (n + os - 1) / os, res = 0;
	unsigned char vec[4096];
	REQUIRE(cnt <= sizeof vec);
	REQUIRE(mincore((void *)p, n, vec) == 0);
	for (size_t i = 0; i < cnt; i++)
		res += vec[i] & 1;
	return res;
}

enum mode { DONTNEED, MADV_FREE_MODE, IN_PLACE };

/* Writes c to a span of 3 pages or more but its second page, as two logged
 * writes: neighbours' writes touch and merge into ranges across spans,
 * and a span's first page is a range of its own (wholly inside a run). */
static void fill(heap_t *h, mspan_t *s, unsigned char c)
{
	uintptr_t p = s->startaddr;
	UNPOISON((void *)p, PG(s->npages));
	memset((void *)p, c, PG(1));
	memset((void *)(p + PG(2)), c, PG(s->npages - 2));
	CHECK_EQ(heap_note_write(h, (void *)p, PG(1)), ALLOC_OK);
	CHECK_EQ(heap_note_write(h, (void *)(p + PG(2)), PG(s->npages - 2)), ALLOC_OK);
}

static int all_byte(uintptr_t p, size_t n, unsigned char c);

/* What fill wrote is there, and its gap is zero. */
static int filled(const mspan_t *s, unsigned char c)
{
	uintptr_t p = s->startaddr;
	return all_byte(p, PG(1), c) && all_byte(p + PG(1), PG(1), 0) &&
	       all_byte(p + PG(2), PG(s->npages - 2), c);
}

static int all_byte(uintptr_t p, size_t n, unsigned char c)
{
	UNPOISON((void *)p, n);
	for (size_t i = 0; i < n; i++)
		if (((unsigned char *)p)[i] != c)
			return 0;
	return 1;
}

/* After a scavenge: the released pages [p, p+n) left memory or, in place,
 * stayed (the resident OS pages before the scavenge, resident) and read zero. */
static void check_gone(enum mode m, uintptr_t p, size_t n, size_t resident)
{
	if (m == DONTNEED)
		CHECK_EQ(resident_os_pages(p, n), 0);
	if (m == IN_PLACE) {
		CHECK(resident > 0);
		CHECK_EQ(resident_os_pages(p, n), resident);
		CHECK(all_byte(p, n, 0));
		POISON((void *)p, n);   /* free memory, as the heap keeps it */
	}
}

static int all_zero(uintptr_t p, size_t n)
{
	return all_byte(p, n, 0);
}

/* The ranges the last scavenge madvised are exactly [lo[i], hi[i]). */
static void check_released(heap_t *h, size_t n, const uintptr_t *lo, const uintptr_t *hi)
{
	const heap_range_t *r;
	size_t got;
	CHECK(heap_released_ranges(h, &r, &got));
	CHECK_EQ(got, n);
	for (size_t i = 0; i < n && i < got; i++) {
		CHECK_EQ(r[i].lo, lo[i]);
		CHECK_EQ(r[i].hi, hi[i]);
	}
}

static void run(enum mode m)
{
	heap_config_t cfg = { .sweep = HEAP_SWEEP_EAGER, .log_writes = true,
	                      .madv_free = m == MADV_FREE_MODE, .scavenge_in_place = m == IN_PLACE };
	heap_t *h = NULL;
	REQUIRE(heap_new(&cfg, &h) == ALLOC_OK);
	walk_t w;

	/* a | b | c | rest: a and c are freed, b keeps them apart */
	mspan_t *a = t_large(h, 10), *b = t_large(h, 6), *c = t_large(h, 12);
	REQUIRE(a && b && c);
	fill(h, a, 0xa5);
	fill(h, b, 0xb6);
	fill(h, c, 0x5a);   /* logged: a's first page; a's tail + b's first page; ...; c's tail */
	uintptr_t astart = a->startaddr, cstart = c->startaddr;
	CHECK(resident_os_pages(astart, PG(10)) >= PG(9) / (size_t)sysconf(_SC_PAGESIZE));
	t_free(h, a);
	t_free(h, c);   /* merges with the free rest above it */
	CHECK_EQ(heapwalk_ok(h, &w), 2);
	CHECK_EQ(h->stats.heap_released, 0);
	uint64_t idle = h->stats.heap_idle;
	CHECK_EQ(idle, PG(HEAP_GROW_PAGES - 6));

	size_t ra = resident_os_pages(astart, PG(10)), rc = resident_os_pages(cstart, PG(12));
	size_t rel = heap_scavenge(h);
	CHECK_EQ(rel, idle);
	CHECK_EQ(h->stats.heap_released, idle);
	uintptr_t top = h->arena_start + PG(HEAP_GROW_PAGES);
	check_released(h, 2, (uintptr_t[]){ astart, cstart }, (uintptr_t[]){ astart + PG(10), top });
	check_gone(m, astart, PG(10), ra);   /* MADV_FREE leaves them until the kernel needs memory */
	check_gone(m, cstart, PG(12), rc);
	CHECK(filled(b, 0xb6));   /* in use: kept, whatever the mode */
	POISON((void *)b->startaddr, PG(6));   /* as after the fill: all_byte unpoisons */
	UNPOISON((void *)b->startaddr, PG(6));
	CHECK_EQ(heapwalk_ok(h, &w), 2);
	for (int i = 0; i < w.n; i++)
		if (w.runs[i].state == MSPAN_FREE) {
			CHECK_EQ(w.runs[i].npreleased, w.runs[i].npages);
			/* both were written: reused, they are zeroed (Go's needzero),
			 * dropped by MADV_DONTNEED or not */
			CHECK_EQ(w.runs[i].needzero, 1);
		}
	CHECK_EQ(heap_scavenge(h), 0);            /* nothing new to release */
	CHECK_EQ(h->stats.heap_released, idle);
	check_released(h, 0, NULL, NULL);

	/* Reuse a's pages: they were written, freed and scavenged: zero. The
	 * run was fully released, so its tail stays counted as released. */
	mspan_t *a2 = t_large(h, 7);
	REQUIRE(a2);
	CHECK_EQ(a2->startaddr, astart);
	CHECK(all_zero(a2->startaddr, PG(7)));
	CHECK_EQ(h->stats.heap_released, idle - PG(7));
	CHECK_EQ(heapwalk_ok(h, &w), 2);

	/* A dirty span freed next to a released run: the merged run counts
	 * only the released pages, and scavenging releases exactly the rest. */
	mspan_t *d = t_large(h, 5);   /* the front of the top run: c's old place */
	REQUIRE(d);
	fill(h, d, 0x11);
	uint64_t released = h->stats.heap_released;
	uintptr_t dstart = d->startaddr;
	t_free(h, d);
	CHECK_EQ(h->stats.heap_released, released);
	CHECK_EQ(heapwalk_ok(h, &w), 2);
	for (int i = 0; i < w.n; i++)
		if (w.runs[i].state == MSPAN_FREE && w.runs[i].npages > 20) {
			CHECK_EQ(w.runs[i].npreleased, w.runs[i].npages - 5);
			CHECK_EQ(w.runs[i].needzero, 1);
		}
	size_t rd = resident_os_pages(dstart, PG(5));
	CHECK_EQ(heap_scavenge(h), PG(5));
	CHECK_EQ(h->stats.heap_released, h->stats.heap_idle);
	check_released(h, 1, (uintptr_t[]){ dstart }, (uintptr_t[]){ top });  /* the merged run, whole */
	check_gone(m, dstart, PG(5), rd);
	mspan_t *d2 = t_large(h, 5);
	REQUIRE(d2);
	CHECK(all_zero(d2->startaddr, PG(5)));
	CHECK_EQ(heapwalk_ok(h, &w), 2);

	/* Memory that was never released but is reused is zeroed too: by
	 * needzero, the allocator's business above the page heap. */
	fill(h, d2, 0x77);
	uintptr_t d2start = d2->startaddr;
	t_free(h, d2);
	mspan_t *d3 = t_large(h, 5);
	REQUIRE(d3);
	CHECK_EQ(d3->startaddr, d2start);
	CHECK(all_zero(d3->startaddr, PG(5)));
	CHECK_EQ(heapwalk_ok(h, &w), 2);

	/* Reset: what the log still names (b, d2) is zeroed, and the heap is a
	 * fresh one's, every byte it handed out zero. */
	heap_reset(h);
	CHECK(all_zero(astart, (size_t)(top - astart)));
	heap_destroy(h);
}

int main(void)
{
	run(DONTNEED);
	run(MADV_FREE_MODE);
	run(IN_PLACE);
	heap_t *h = NULL;   /* in place needs the write log, and is not MADV_FREE */
	CHECK_EQ(heap_new(&(heap_config_t){ .scavenge_in_place = true }, &h), ALLOC_ERR_BADCONFIG);
	CHECK_EQ(heap_new(&(heap_config_t){ .scavenge_in_place = true, .log_writes = true,
	                                    .madv_free = true }, &h), ALLOC_ERR_BADCONFIG);
	CHECK(h == NULL);
	return T_DONE();
}
