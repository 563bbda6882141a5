/* A double free is expressible: text `free NAME` of the object freed last,
 * binary `free` with subject 0xff, while nothing was allocated since. The
 * model expects NOT_ALLOCATED (or NOT_IN_HEAP), so an allocator that
 * accepts it (OK) is reported; a dead object after an allocation stays an
 * input error (text) or a skipped op (binary), and asm/disasm keep it. */
#include "harness/exec.h"
#include "tests/t.h"

#include <string.h>

static exec_status_t run_text(const char *text, opbuf_t *bin)
{
	program_t p;
	program_init(&p);
	ops_error_t err;
	REQUIRE(ops_parse_text(text, strlen(text), &p, &err));
	exec_config_t cfg = { .mode = EXEC_TWIN_SPECIALS };
	exec_t *ex = exec_new(&cfg);
	REQUIRE(ex);
	exec_status_t st = exec_run_program(ex, &p, bin);
	exec_destroy(ex);
	program_free(&p);
	return st;
}

static size_t run_binary(const uint8_t *d, size_t n, char **text)
{
	exec_config_t cfg = { .mode = EXEC_TWIN_SPECIALS };
	exec_t *ex = exec_new(&cfg);
	REQUIRE(ex);
	program_t rec;
	program_init(&rec);
	CHECK_EQ(exec_run_binary(ex, d, n, &rec), EXEC_OK);
	size_t tl = 0;
	FILE *f = open_memstream(text, &tl);
	program_print(&rec, f);
	fclose(f);
	size_t nops = rec.nops;
	program_free(&rec);
	exec_destroy(ex);
	return nops;
}

int main(void)
{
	opbuf_t b = { 0 };
	CHECK_EQ(run_text("x = alloc 64\ny = alloc 64\nfree x\nfree x\nexpect err NOT_ALLOCATED\n"
	                  "gc\nfree x\nexpect err NOT_ALLOCATED\n", &b), EXEC_OK);
	/* alloc, alloc, free sel 1, free 0xff, gc, free 0xff */
	const uint8_t want[] = { 0, 0xff, 64, 0, 0, 0, 0, 0, 0xff, 64, 0, 0, 0, 0, 1, 1, 1, 0xff, 6, 1, 0xff };
	CHECK(b.len == sizeof want && !memcmp(b.buf, want, sizeof want));
	char *t = NULL;
	CHECK_EQ(run_binary(b.buf, b.len, &t), 6);
	CHECK(strstr(t, "free h0\nfree h0\ngc\nfree h0\n") != NULL);
	free(t);
	opbuf_free(&b);

	/* the object freed last, after an allocation: its slot may be reused */
	CHECK_EQ(run_text("x = alloc 64\nfree x\nz = alloc 64\nfree x\n", NULL), EXEC_INPUT);
	/* not the object freed last */
	CHECK_EQ(run_text("x = alloc 64\ny = alloc 64\nfree x\nfree y\nfree x\n", NULL), EXEC_INPUT);
	/* binary: skipped in both cases, and with nothing freed yet */
	const uint8_t skip[] = { 1, 0xff, 0, 16, 0, 0, 1, 0, 0, 16, 0, 0, 1, 0xff };
	CHECK_EQ(run_binary(skip, sizeof skip, &t), 3);   /* alloc, free, alloc */
	free(t);
	return T_DONE();
}
