/*
 * Property: every byte string is a program. For seeded random strings:
 *   - opbin_split cuts it into records that tile it exactly (each >= 1 byte);
 *   - a truncated record decodes as if the missing bytes were zero;
 *   - decoding is context free (a record decodes the same inside the string
 *     and alone), which is what lets a mutator move records around;
 *   - it runs on the heap and the model without an input error, every op it
 *     runs names only live objects (re-parsing its disassembly succeeds), and
 *     with no difference (the allocator as it stands, all checks on).
 */
#include "harness/exec.h"
#include "tests/t.h"

#include <string.h>

static uint64_t rng = 12345;
static uint32_t rnd(void)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng >> 33);
}

static bool same_raw(const opbin_raw_t *a, const opbin_raw_t *b)
{
	return a->code == b->code && a->action == b->action && a->sel == b->sel &&
	       a->sel2 == b->sel2 && a->off == b->off && a->off2 == b->off2 &&
	       a->a == b->a && a->b == b->b;
}

int main(void)
{
	exec_config_t cfg = { .mode = EXEC_ONE };
	exec_t *ex = exec_new(&cfg);
	REQUIRE(ex);
	opbin_rec_t recs[1024];
	int clean = 0, runs = 400;
	for (int iter = 0; iter < runs; iter++) {
		size_t n = 1 + rnd() % 600;
		uint8_t *d = malloc(n + 16);
		for (size_t i = 0; i < n; i++)
			d[i] = (uint8_t)rnd();
		size_t nrec = opbin_split(d, n, recs, 1024);
		REQUIRE(nrec <= 1024);
		size_t at = 0;
		for (size_t r = 0; r < nrec; r++) {
			CHECK_EQ(recs[r].off, at);
			CHECK(recs[r].len >= 1);
			at += recs[r].len;
			/* context free: the record alone decodes the same */
			opbin_raw_t in_place, alone;
			opbin_decode(d + recs[r].off, n - recs[r].off, 0, &in_place);
			uint8_t *copy = malloc(recs[r].len);
			memcpy(copy, d + recs[r].off, recs[r].len);
			opbin_decode(copy, recs[r].len, 0, &alone);
			CHECK(same_raw(&in_place, &alone));
			free(copy);
		}
		CHECK_EQ(at, n);
		/* truncation reads zeros: the last record, cut short, decodes as if
		 * padded with zero bytes */
		opbin_raw_t cut, padded;
		size_t last = recs[nrec - 1].off, k = n - last;
		opbin_decode(d + last, k, 0, &cut);
		memset(d + n, 0, 16);
		opbin_decode(d + last, k + 16, 0, &padded);
		CHECK(same_raw(&cut, &padded));

		program_t rec;
		program_init(&rec);
		exec_status_t st = exec_run_binary(ex, d, n, &rec);
		CHECK(st != EXEC_INPUT);
		if (st != EXEC_OK)
			fprintf(stderr, "seed %d:\n%s", iter, exec_report(ex));
		clean += st == EXEC_OK;
		/* what ran is a valid text program */
		char *text = NULL;
		size_t tl = 0;
		FILE *f = open_memstream(&text, &tl);
		program_print(&rec, f);
		fclose(f);
		program_t back;
		program_init(&back);
		ops_error_t err;
		CHECK(ops_parse_text(text, tl, &back, &err));
		CHECK_EQ(back.nops, rec.nops);
		program_free(&back);
		program_free(&rec);
		free(text);
		free(d);
	}
	CHECK_EQ(clean, runs);
	exec_destroy(ex);
	return T_DONE();
}
