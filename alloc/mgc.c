/*
 * The collector's driver (Go's mgc.go): one stop-the-world cycle per
 * heap_gc. See malloc.c for the overview.
 *
 * A cycle: finish the previous cycle's sweep (lazy mode leaves spans
 * unswept), mark from the roots (mgcmark.c), make every P give back its
 * spans and drop its tiny block (Go's releaseAll at sweep start: a cached
 * span cannot be swept), publish the profile (MProf_GC), bump sweepgen so
 * every span needs sweeping, and sweep now (eager) or on demand (lazy,
 * mgcsweep.c).
 *
 * The caller stops the world: no other thread may be inside the heap during
 * heap_gc. A finalizer callback may not collect (ALLOC_ERR_BUSY): the
 * records being run are no longer queued, so nothing would keep them alive.
 */
#include "alloc/internal.h"

alloc_err_t heap_gc(heap_t *h)
{
	if (h->ingc || h->inrunfin)
		return ALLOC_ERR_BUSY;
	h->ingc = true;
	heap_finish_sweep(h);
	mgcmark_mark(h);
	for (int p = 0; p < HEAP_MAX_PROCS; p++)
		if (h->mcaches[p] != NULL)
			mcache_release_all(h, h->mcaches[p]);
	mprof_gc(h);
	mgcsweep_start_cycle(h);
	h->numgc++;
	h->stats.numgc = h->numgc;
	h->ingc = false;
	return ALLOC_OK;
}

uint32_t heap_numgc(const heap_t *h)
{
	return h->numgc;
}

/* heap.c has made the locks and the special record pools. */
void mgc_init(heap_t *h)
{
	mgc_reset(h);
}

void mgc_reset(heap_t *h)
{
	h->sweepgen = 0;
	h->sweepdone = true;
	h->sweep_active = 0;
	h->numgc = 0;
	h->ingc = h->inrunfin = false;
	memset(h->roots, 0, sizeof h->roots);
	h->gcwork = NULL;
	h->gcwork_n = h->gcwork_cap = 0;
	h->finq = h->finc = NULL;
	h->nfinq = 0;
	h->stats.buckhash_sys = 0;
	mprof_reset(h);
	mlegacy_reset(h);   /* sets stats.legacy_inuse */
}
