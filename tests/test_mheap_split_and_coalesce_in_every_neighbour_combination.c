/* Freeing a span merges it with exactly its free neighbours, whatever they
 * are (in use, free, or the heap's ends), so the free runs always equal the
 * maximal stretches of freed pages; allocating splits a run at its front and
 * leaves the tail free. Checked against a model of the pages for every
 * subset of 8 spans filling the heap, in two free orders. */
#include "tests/t.h"
#include "tests/heapwalk.h"

#define NSPANS 8
#define SPAN_PAGES 8   /* 8 x 8 pages = HEAP_GROW_PAGES = the whole cap */
#define SPLIT_PAGES 5  /* the smallest large object: 40 KiB */

/* The model's free runs (start page, npages) for a set of freed spans. */
static int model_runs(unsigned freed, uintptr_t runs[][2])
{
	int n = 0;
	for (int i = 0; i < NSPANS;) {
		if (!(freed >> i & 1)) {
			i++;
			continue;
		}
		int j = i;
		while (j < NSPANS && (freed >> j & 1))
			j++;
		runs[n][0] = (uintptr_t)i * SPAN_PAGES;
		runs[n][1] = (uintptr_t)(j - i) * SPAN_PAGES;
		n++;
		i = j;
	}
	return n;
}

static void check_runs(heap_t *h, unsigned freed)
{
	uintptr_t want[NSPANS][2];
	walk_t w;
	int nwant = model_runs(freed, want);
	CHECK_EQ(heapwalk_ok(h, &w), nwant);
	int k = 0;
	for (int i = 0; i < w.n; i++) {
		if (w.runs[i].state != MSPAN_FREE)
			continue;
		if (k < nwant) {
			CHECK_EQ(w.runs[i].off, want[k][0]);
			CHECK_EQ(w.runs[i].npages, want[k][1]);
			CHECK_EQ(w.runs[i].needzero, 1);
		}
		k++;
	}
}

int main(void)
{
	heap_t *h = t_heap(NSPANS * SPAN_PAGES * PAGE_SIZE, HEAP_SWEEP_EAGER);
	for (unsigned subset = 0; subset < (1u << NSPANS); subset++) {
		for (int order = 0; order < 2; order++) {
			heap_reset(h);
			mspan_t *s[NSPANS];
			uintptr_t start[NSPANS];
			for (int i = 0; i < NSPANS; i++) {
				s[i] = t_large(h, SPAN_PAGES);
				REQUIRE(s[i]);
				start[i] = s[i]->startaddr;
				CHECK_EQ(start[i], h->arena_start + (uintptr_t)i * SPAN_PAGES * PAGE_SIZE);
			}
			CHECK(t_large(h, 5) == NULL);   /* full */
			unsigned freed = 0;
			for (int k = 0; k < NSPANS; k++) {
				int i = order ? NSPANS - 1 - k : (k * 3) % NSPANS; /* 0,3,6,1,4,7,2,5 */
				if (!(subset >> i & 1))
					continue;
				t_free(h, s[i]);
				freed |= 1u << i;
				check_runs(h, freed);
			}
			/* Split: SPLIT_PAGES come from the front of the smallest fitting
			 * run; its tail stays free, so the runs are the model's with
			 * that run shortened. */
			uintptr_t runs[NSPANS][2];
			int n = model_runs(subset, runs);
			if (n == 0)
				continue;
			int best = 0;
			for (int r = 1; r < n; r++)
				if (runs[r][1] < runs[best][1])
					best = r;
			mspan_t *t = t_large(h, SPLIT_PAGES);
			REQUIRE(t);
			/* among equal-size runs the list decides; it must be one of them */
			int found = -1;
			for (int r = 0; r < n; r++)
				if (runs[r][1] == runs[best][1] &&
				    t->startaddr == h->arena_start + runs[r][0] * PAGE_SIZE)
					found = r;
			CHECK(found >= 0);
			if (found < 0)
				continue;
			CHECK_EQ(t->needzero, 1);   /* carved from freed pages */
			walk_t w;
			CHECK_EQ(heapwalk_ok(h, &w), n);
			for (int i = 0; i < w.n; i++)
				if (w.runs[i].off == runs[found][0] + SPLIT_PAGES) {
					CHECK_EQ(w.runs[i].state, MSPAN_FREE);
					CHECK_EQ(w.runs[i].npages, runs[found][1] - SPLIT_PAGES);
				}
			/* and freeing it restores the unsplit run */
			t_free(h, t);
			check_runs(h, subset);
		}
	}
	heap_destroy(h);
	return T_DONE();
}
