/*
 * Property: for any byte string B, disasm(B) is a text program T that parses,
 * assembles to a binary B2, and disassembles to T again; and T runs on the
 * heap exactly as B does (same gc lines). Seeded random strings, biased
 * toward allocations so the live set is busy; some hold REPEAT records
 * (slot 19) whose iterations encode alike, so T has `repeat` blocks and B2
 * REPEAT records again.
 */
#include "harness/exec.h"
#include "tests/t.h"

#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

int main(void)
{
	/* exec_config_t.out is fixed at exec_new: one executor per stream */
	int programs = 0, nonempty = 0, blocks = 0;
	for (int iter = 0; iter < 150; iter++) {
		size_t n = 1 + rnd() % 300;
		uint8_t *d = malloc(n);
		for (size_t i = 0; i < n; i++) {
			uint32_t r = rnd();
			/* every fourth record-start-ish byte an alloc opcode */
			d[i] = (r % 4 == 0) ? (uint8_t)(20 * (r % 12)) : (uint8_t)(r >> 8);
			/* now and then a short REPEAT of the next 1..3 records */
			if (r % 16 == 1 && i + 3 < n) {
				d[i++] = 19;
				d[i++] = (uint8_t)(2 + (r >> 8) % 30);
				d[i] = (uint8_t)(1 + (r >> 16) % 3);
			}
		}
		char *gc1 = NULL, *gc2 = NULL, *gc3 = NULL;
		size_t l1 = 0, l2 = 0, l3 = 0;
		exec_config_t cfg = { .mode = EXEC_ONE, .keep_going = true };

		FILE *s1 = open_memstream(&gc1, &l1);
		cfg.out = s1;
		exec_t *ex = exec_new(&cfg);
		REQUIRE(ex);
		program_t rec;
		program_init(&rec);
		exec_status_t st1 = exec_run_binary(ex, d, n, &rec);
		fclose(s1);
		exec_destroy(ex);
		char *t1 = NULL;
		size_t tl1 = 0;
		FILE *f = open_memstream(&t1, &tl1);
		program_print(&rec, f);
		fclose(f);
		program_free(&rec);

		/* T parses and assembles */
		program_t p;
		program_init(&p);
		ops_error_t err;
		bool parsed = ops_parse_text(t1, tl1, &p, &err);
		CHECK(parsed);
		if (!parsed)
			fprintf(stderr, "seed %d: line %u: %s\n%s", iter, err.line, err.msg, t1);
		/* gc lines name objects: T's repeat blocks reuse names, so the
		 * text run prints them by id (h<id>) as the binary run does */
		for (size_t o = 0; o < p.nobjs; o++) {
			char h[24];
			snprintf(h, sizeof h, "h%zu", o);
			free(p.objname[o]);
			p.objname[o] = strdup(h);
		}
		FILE *s2 = open_memstream(&gc2, &l2);
		cfg.out = s2;
		ex = exec_new(&cfg);
		opbuf_t b2 = { 0 };
		exec_status_t st2 = exec_run_program(ex, &p, &b2);
		fclose(s2);
		exec_destroy(ex);
		CHECK(st2 != EXEC_INPUT);
		CHECK_EQ(st2, st1);

		/* B2 disassembles to T again and runs the same */
		FILE *s3 = open_memstream(&gc3, &l3);
		cfg.out = s3;
		ex = exec_new(&cfg);
		program_init(&rec);
		exec_run_binary(ex, b2.buf, b2.len, &rec);
		fclose(s3);
		exec_destroy(ex);
		char *t2 = NULL;
		size_t tl2 = 0;
		f = open_memstream(&t2, &tl2);
		program_print(&rec, f);
		fclose(f);
		program_free(&rec);
		bool same = tl1 == tl2 && !memcmp(t1, t2, tl1);
		CHECK(same);
		if (!same)
			fprintf(stderr, "seed %d: disasm(asm(T)) != T\n--- T\n%s--- again\n%s", iter, t1, t2);
		CHECK(l1 == l2 && !memcmp(gc1, gc2, l1));
		CHECK(l1 == l3 && !memcmp(gc1, gc3, l1));
		programs++;
		if (strstr(t1, "repeat ")) {
			/* a printed block is a REPEAT record of B2 */
			opbin_rec_t recs[1024];
			size_t nr = opbin_split(b2.buf, b2.len, recs, 1024), k = 0;
			for (size_t r = 0; r < nr && r < 1024; r++)
				k += opbin_is_repeat(b2.buf + recs[r].off, recs[r].len);
			CHECK(k > 0);
			blocks++;
		}
		nonempty += tl1 > 0;
		opbuf_free(&b2);
		program_free(&p);
		free(t1);
		free(t2);
		free(gc1);
		free(gc2);
		free(gc3);
		free(d);
	}
	/* the property is not vacuous: most random strings make real programs */
	CHECK(nonempty > programs * 3 / 4);
	CHECK(blocks > programs / 10);
	fprintf(stderr, "%d programs, %d with repeat blocks\n", programs, blocks);
	return T_DONE();
}
