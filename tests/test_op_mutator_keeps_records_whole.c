/*
 * The op-aware mutator (harness/mutator.c) mutates programs record by
 * record: every mutant differs from its parent in at most one record that
 * was not already in the parent (insert, tweak), every splice is made of
 * its parents' records, outputs respect the size limit, the same seed gives
 * the same mutant, and mutants do differ from their parents. Some mutants
 * change only a REPEAT header (a new one, or a count or len scaled) and so
 * run many more or fewer ops from the same records.
 */
#include "harness/mutator.c"
#include "tests/t.h"
#include "tests/opbin_t.h"

/* mutator.c declares the op functions weak, and a weak reference does not
 * pull ops_bin.o out of af_harness: this strong one does, as exec*.c do in
 * the op targets. */
const uint8_t *const af_link_ops_bin = opbin_table;

#define NPROG 40
#define NSEED 400
#define MAXLEN 512

static uint64_t st = 12345;
static uint8_t next_byte(void)
{
	st = st * 6364136223846793005ull + 1442695040888963407ull;
	return (uint8_t)(st >> 56);
}

/* Records of b as (offset, length) pairs; true if rec occurs among them. */
static bool has_record(const uint8_t *d, size_t n, const uint8_t *rec, size_t len)
{
	static opbin_rec_t recs[MAX_RECS];
	size_t nr = opbin_split(d, n, recs, MAX_RECS);
	for (size_t i = 0; i < nr && i < MAX_RECS; i++)
		if (recs[i].len == len && !memcmp(d + recs[i].off, rec, len))
			return true;
	return false;
}

/* Records of out that occur in neither parent. */
static size_t foreign_records(const uint8_t *out, size_t n, const uint8_t *a, size_t na,
                              const uint8_t *b, size_t nb)
{
	static opbin_rec_t recs[MAX_RECS];
	size_t nr = opbin_split(out, n, recs, MAX_RECS), foreign = 0;
	for (size_t i = 0; i < nr && i < MAX_RECS; i++) {
		const uint8_t *r = out + recs[i].off;
		if (!has_record(a, na, r, recs[i].len) && !(b && has_record(b, nb, r, recs[i].len)))
			foreign++;
	}
	return foreign;
}

int main(void)
{
	static uint8_t prog[NPROG][MAXLEN], buf[MAXLEN], again[MAXLEN];
	size_t len[NPROG];
	for (int p = 0; p < NPROG; p++) {
		len[p] = 16 + next_byte() % 200;
		for (size_t i = 0; i < len[p]; i++)
			prog[p][i] = next_byte();
		/* complete a truncated last record with zeros, as the decoder reads it */
		while (opbin_split(prog[p], len[p], NULL, 0) ==
		       opbin_split(prog[p], len[p] + 1, NULL, 0))
			prog[p][len[p]++] = 0;
	}
	CHECK(op_mutations());  /* this binary links ops_bin.c */

	size_t changed = 0, total = 0, grew = 0, shrank = 0, rescaled = 0;
	for (int p = 0; p < NPROG; p++) {
		for (unsigned seed = 1; seed <= NSEED / NPROG * 10; seed++) {
			memcpy(buf, prog[p], len[p]);
			size_t n = LLVMFuzzerCustomMutator(buf, len[p], MAXLEN, seed);
			CHECK(n <= MAXLEN);
			CHECK(foreign_records(buf, n, prog[p], len[p], NULL, 0) <= 1);
			memcpy(again, prog[p], len[p]);
			CHECK(LLVMFuzzerCustomMutator(again, len[p], MAXLEN, seed) == n);
			CHECK(!memcmp(buf, again, n));
			total++;
			changed += n != len[p] || memcmp(buf, prog[p], n);
			grew += n > len[p];
			shrank += n < len[p];
			/* one foreign record, a REPEAT header, and at least 8 ops more or fewer */
			size_t before = opbin_run_length(prog[p], len[p]), after = opbin_run_length(buf, n);
			if (foreign_records(buf, n, prog[p], len[p], NULL, 0) == 1 &&
			    (after > before + 8 || after + 8 < before)) {
				opbin_rec_t recs[MAX_RECS];
				size_t nr = opbin_split(buf, n, recs, MAX_RECS);
				for (size_t i = 0; i < nr && i < MAX_RECS; i++)
					if (!has_record(prog[p], len[p], buf + recs[i].off, recs[i].len))
						rescaled += opbin_is_repeat(buf + recs[i].off, recs[i].len);
			}
		}
	}
	CHECK(changed * 10 >= total * 9);  /* at least 90% of mutants differ */
	CHECK(grew > 0 && shrank > 0);
	CHECK(rescaled * 50 >= total);  /* REPEAT mutations: at least 2% of mutants */
	fprintf(stderr, "%zu mutants, %zu changed, %zu rescaled by a REPEAT header\n", total, changed, rescaled);

	for (int p = 0; p + 1 < NPROG; p++) {
		for (unsigned seed = 1; seed <= 20; seed++) {
			size_t n = LLVMFuzzerCustomCrossOver(prog[p], len[p], prog[p + 1], len[p + 1],
			                                     buf, MAXLEN / 2, seed);
			CHECK(n <= MAXLEN / 2);
			CHECK(foreign_records(buf, n, prog[p], len[p], prog[p + 1], len[p + 1]) == 0);
		}
	}
	return T_DONE();
}
