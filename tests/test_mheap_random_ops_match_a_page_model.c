/* Random page-heap traffic agrees with a model that knows only pages: spans
 * never overlap and stay inside the committed range, an allocation takes the
 * front of a smallest fitting free run (or grows the heap by at least
 * HEAP_GROW_PAGES, never past the cap, and fails only when no run could
 * fit), free runs are exactly the maximal stretches of unallocated committed
 * pages, scavenging releases exactly the unreleased free bytes, and a span
 * with needzero == 0 reads zero although freed memory was dirtied.
 * Works at the mheap_alloc/mheap_free level: spans here hold no objects,
 * so heap_check (which expects mallocgc's objects) does not apply; the
 * page-level walk in heapwalk.h does. */
#include "tests/t.h"
#include "tests/heapwalk.h"

#define CAP_PAGES 1024
#define NSPANS 256
#define NOPS 6000

static int owner[CAP_PAGES];   /* span slot + 1 holding the page, 0 = none */
static uintptr_t committed;    /* pages */

/* Free runs of the model: maximal stretches of unowned committed pages. */
static int model_runs(uintptr_t runs[][2])
{
	int n = 0;
	for (uintptr_t p = 0; p < committed;) {
		if (owner[p]) {
			p++;
			continue;
		}
		uintptr_t q = p;
		while (q < committed && !owner[q])
			q++;
		runs[n][0] = p;
		runs[n][1] = q - p;
		n++;
		p = q;
	}
	return n;
}

static int all_zero(uintptr_t p, size_t n)
{
	UNPOISON((void *)p, n);
	const uint64_t *w = (const uint64_t *)p;
	int z = 1;
	for (size_t i = 0; i < n / 8 && z; i++)
		z = w[i] == 0;
	POISON((void *)p, n);
	return z;
}

int main(void)
{
	heap_t *h = t_heap(CAP_PAGES * PAGE_SIZE, HEAP_SWEEP_EAGER);
	static mspan_t *spans[NSPANS];
	static uintptr_t runs[CAP_PAGES][2];
	static walk_t w;
	uint64_t seed = 2026;
	int nalloc = 0, nfail = 0, ngrow = 0;

	for (int op = 0; op < NOPS; op++) {
		uint64_t r = t_rand(&seed);
		int slot = (int)(r % NSPANS);
		if (op % 500 == 499) {
			uint64_t want = h->stats.heap_idle - h->stats.heap_released;
			CHECK_EQ(heap_scavenge(h), want);
			CHECK_EQ(h->stats.heap_released, h->stats.heap_idle);
		} else if (spans[slot]) {
			mspan_t *s = spans[slot];
			uintptr_t first = (s->startaddr - h->arena_start) / PAGE_SIZE;
			for (uintptr_t p = first; p < first + s->npages; p++)
				owner[p] = 0;
			/* dirty it so reuse must be zeroed or flagged needzero */
			span_unpoison(s, (void *)s->startaddr, s->npages * PAGE_SIZE);
			memset((void *)s->startaddr, 0xcd, s->npages * PAGE_SIZE);
			mheap_free(h, s);
			spans[slot] = NULL;
		} else {
			unsigned k = (unsigned)(r >> 16) % 100;
			uintptr_t n = k < 70 ? 1 + (r >> 24) % 8 : k < 90 ? 9 + (r >> 24) % 122 : 130 + (r >> 24) % 271;
			int nruns = model_runs(runs);
			uintptr_t best = 0;   /* smallest fitting run size, 0 = none */
			for (int i = 0; i < nruns; i++)
				if (runs[i][1] >= n && (!best || runs[i][1] < best))
					best = runs[i][1];
			uintptr_t top = nruns && runs[nruns - 1][0] + runs[nruns - 1][1] == committed
			                ? runs[nruns - 1][1] : 0;
			uintptr_t old_committed = committed;
			mspan_t *s = mheap_alloc(h, n, LARGE_SC);
			if (!best) {
				uintptr_t need = n - top, avail = CAP_PAGES - committed;
				if (need > avail) {
					CHECK(s == NULL);
					nfail++;
				} else {
					CHECK(s != NULL);
					uintptr_t ask = need < HEAP_GROW_PAGES ? HEAP_GROW_PAGES : need;
					committed += ask < avail ? ask : avail;
					ngrow++;
				}
			}
			CHECK_EQ(h->stats.heap_sys, committed * PAGE_SIZE);
			if (!s)
				continue;
			nalloc++;
			CHECK_EQ(s->npages, n);
			uintptr_t first = (s->startaddr - h->arena_start) / PAGE_SIZE;
			CHECK(first + n <= committed);
			if (best) {
				/* the front of a smallest fitting run; among big runs
				 * (freelarge) of that size, the lowest */
				int ok = 0, lowest = -1;
				for (int i = 0; i < nruns; i++) {
					ok |= runs[i][0] == first && runs[i][1] == best;
					if (runs[i][1] == best && lowest < 0)
						lowest = i;
				}
				CHECK(ok);
				if (best >= FREE_LIST_PAGES)
					CHECK_EQ(first, runs[lowest][0]);
			} else {
				CHECK_EQ(first, old_committed - top);
			}
			for (uintptr_t p = first; p < first + n && p < CAP_PAGES; p++) {
				CHECK_EQ(owner[p], 0);
				owner[p] = slot + 1;
			}
			if (!s->needzero)
				CHECK(all_zero(s->startaddr, n * PAGE_SIZE));
			spans[slot] = s;
		}
		/* the heap's free runs are the model's */
		int nruns = model_runs(runs);
		CHECK_EQ(heapwalk(h, &w), 0);
		CHECK_EQ(w.nfree_listed, nruns);
		int k = 0;
		for (int i = 0; i < w.n; i++) {
			if (w.runs[i].state != MSPAN_FREE)
				continue;
			if (k < nruns) {
				CHECK_EQ(w.runs[i].off, runs[k][0]);
				CHECK_EQ(w.runs[i].npages, runs[k][1]);
			}
			k++;
		}
		if (t_failures)
			break;
	}
	/* the scenario really exercised growth to the cap and failure */
	CHECK(nalloc > 1000);
	CHECK(ngrow > 3);
	CHECK(nfail > 10);
	CHECK(committed <= CAP_PAGES && committed > CAP_PAGES - HEAP_GROW_PAGES);
	fprintf(stderr, "%d allocations, %d grows, %d NOMEM\n", nalloc, ngrow, nfail);
	heap_destroy(h);
	return T_DONE();
}
