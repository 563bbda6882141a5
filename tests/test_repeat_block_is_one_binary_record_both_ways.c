/* The compact op both ways: asm writes a text `repeat N { ... }` whose
 * iterations encode identically as one REPEAT record followed by one
 * iteration's records; the decoder runs it N times; disasm prints it as a
 * `repeat` block again (names bI_K); a block whose iterations encode
 * differently is written op by op and still runs the same; REPEAT's
 * expansion stays within its budget and does not nest. */
#include "harness/exec.h"
#include "tests/t.h"
#include "tests/opbin_t.h"

#include <string.h>

static char *disasm(const uint8_t *d, size_t n, size_t *nops)
{
	exec_config_t cfg = { .mode = EXEC_ONE, .keep_going = true };
	exec_t *ex = exec_new(&cfg);
	REQUIRE(ex);
	program_t rec;
	program_init(&rec);
	CHECK_EQ(exec_run_binary(ex, d, n, &rec), EXEC_OK);
	char *t = NULL;
	size_t tl = 0;
	FILE *f = open_memstream(&t, &tl);
	program_print(&rec, f);
	fclose(f);
	*nops = rec.nops;
	program_free(&rec);
	exec_destroy(ex);
	return t;
}

static opbuf_t assemble(const char *text, size_t *nops)
{
	program_t p;
	program_init(&p);
	ops_error_t err;
	REQUIRE(ops_parse_text(text, strlen(text), &p, &err));
	exec_config_t cfg = { .mode = EXEC_ONE };
	exec_t *ex = exec_new(&cfg);
	REQUIRE(ex);
	opbuf_t b = { 0 };
	CHECK_EQ(exec_run_program(ex, &p, &b), EXEC_OK);
	*nops = p.nops;
	exec_destroy(ex);
	program_free(&p);
	return b;
}

static size_t count_repeats(const opbuf_t *b)
{
	opbin_rec_t recs[4096];
	size_t n = opbin_split(b->buf, b->len, recs, 4096), k = 0;
	for (size_t i = 0; i < n && i < 4096; i++)
		k += opbin_is_repeat(b->buf + recs[i].off, recs[i].len);
	return k;
}

int main(void)
{
	size_t nops, nrec;
	/* fresh objects with finalizers, then three collections */
	const char *text = "x = alloc 16\nrepeat 300 {\n  y = alloc 48\n  setfin y keep\n}\n"
	                   "gc\nrepeat 3 {\n  gc\n}\n";
	opbuf_t b = assemble(text, &nops);
	CHECK_EQ(nops, 1 + 600 + 1 + 3);
	CHECK_EQ(count_repeats(&b), 2);
	CHECK_EQ(opbin_split(b.buf, b.len, NULL, 0), 7);  /* alloc, R, alloc, setfin, gc, R, gc */
	CHECK(b.len < 40);
	CHECK_EQ(opbin_run_length(b.buf, b.len), nops);
	char *t = disasm(b.buf, b.len, &nrec);
	CHECK_EQ(nrec, nops);
	CHECK(strstr(t, "repeat 300 {\n  b0_0 = alloc 48\n  setfin b0_0 keep\n}\ngc\nrepeat 3 {\n  gc\n}\n") != NULL);
	/* the printed text assembles to the same bytes */
	size_t n2;
	opbuf_t b2 = assemble(t, &n2);
	CHECK(b2.len == b.len && !memcmp(b2.buf, b.buf, b.len));
	free(t);
	opbuf_free(&b);
	opbuf_free(&b2);

	/* a store into an older object: its selector grows every iteration, so
	 * the block is written op by op, and disasm prints it op by op */
	b = assemble("keep = alloc 64 ptrs=1\nroot 0 keep\nrepeat 5 {\n  y = alloc 48 ptrs=1\n"
	             "  store keep.0 y\n}\n", &nops);
	CHECK_EQ(count_repeats(&b), 0);
	CHECK_EQ(opbin_run_length(b.buf, b.len), nops);
	t = disasm(b.buf, b.len, &nrec);
	CHECK_EQ(nrec, nops);
	CHECK(strstr(t, "repeat") == NULL);
	free(t);
	opbuf_free(&b);

	/* budget: extra iterations of all REPEATs share OPBIN_REPEAT_OPS records
	 * and OPBIN_REPEAT_HEAVY whole-heap ops; a repeat past it runs once */
	uint8_t big[] = { 19, 0xff, 0xff, 0xff, 1, 0, 16, 0, 0, /* REPEAT 65535 { alloc 16 } */
	                  19, 200, 1, 0, 16, 0, 0 };           /* REPEAT 200 { alloc 16 }: once */
	CHECK_EQ(opbin_run_length(big, sizeof big), 1 + OPBIN_REPEAT_OPS + 1);
	uint8_t heavy[] = { 19, 100, 2, 0, 16, 0, 0, 6,        /* REPEAT 100 { alloc 16; gc } */
	                    19, 100, 1, 12 };                  /* REPEAT 100 { check }: once */
	CHECK_EQ(opbin_run_length(heavy, sizeof heavy), 2 * (1 + OPBIN_REPEAT_HEAVY) + 1);
	/* no nesting: a REPEAT in a body is a no-op record of the body */
	uint8_t nest[] = { 19, 3, 2, 19, 5, 1, 0, 16, 0, 0 }; /* REPEAT 3 { REPEAT 5 1; alloc 16 } */
	CHECK_EQ(opbin_run_length(nest, sizeof nest), 3);
	/* a body past the end of the input is what is left of it (records
	 * are 1..n bytes; an alloc is 4) */
	uint8_t tail[] = { 6, 19, 4, 9 };
	CHECK_EQ(opbin_run_length(tail, sizeof tail), 1);
	uint8_t tail2[] = { 19, 4, 9, 6 };
	CHECK_EQ(opbin_run_length(tail2, sizeof tail2), 4);
	return T_DONE();
}
