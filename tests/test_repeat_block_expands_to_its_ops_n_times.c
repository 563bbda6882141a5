/* The text compact form `repeat N { ... }` parses to exactly the ops of its
 * block N times (nested blocks multiply), a NAME bound inside names the
 * newest object, and malformed or too large blocks are input errors naming
 * the source line. */
#include "t.h"
#include "harness/ops.h"

#include <string.h>

static bool parse(const char *text, program_t *p, ops_error_t *err)
{
	program_init(p);
	return ops_parse_text(text, strlen(text), p, err);
}

int main(void)
{
	program_t p;
	ops_error_t err;

	REQUIRE(parse("profrate 512\nrepeat 3 {\n  x = alloc 256\n  repeat 2 {\n"
	              "    y = alloc 48 ptrs=1\n    store y.0 x\n  }\n}\nroot 0 y\n", &p, &err));
	CHECK_EQ(p.nops, 1 + 3 * (1 + 2 * 2) + 1);
	CHECK_EQ(p.nobjs, 3 * 3);
	size_t nalloc = 0;
	for (size_t i = 0; i < p.nops; i++)
		nalloc += p.ops[i].code == OP_ALLOC;
	CHECK_EQ(nalloc, 9);
	/* every store links the newest y to the newest x of its iteration */
	CHECK_EQ(p.ops[3].code, OP_STORE);
	CHECK_EQ(p.ops[3].obj, 1);
	CHECK_EQ(p.ops[3].obj2, 0);
	CHECK_EQ(p.ops[8].obj, 4);
	CHECK_EQ(p.ops[8].obj2, 3);
	/* the last root names the last y; ops keep their source lines */
	CHECK_EQ(p.ops[p.nops - 1].obj2, 8);
	CHECK_EQ(p.ops[p.nops - 1].line, 9);
	CHECK_EQ(p.ops[1].line, 3);
	program_free(&p);

	CHECK(!parse("gc\nrepeat 0 {\nx = alloc 8\n}\n", &p, &err));
	CHECK_EQ(err.line, 2);
	program_free(&p);

	CHECK(!parse("repeat 2 {\nx = alloc 8\n", &p, &err));
	CHECK_EQ(err.line, 1);
	CHECK(strstr(err.msg, "closing") != NULL);
	program_free(&p);
	CHECK(!parse("x = alloc 8\n}\n", &p, &err));
	CHECK_EQ(err.line, 2);
	program_free(&p);
	CHECK(!parse("repeat two {\n}\n", &p, &err));
	CHECK_EQ(err.line, 1);
	program_free(&p);
	CHECK(!parse("repeat 2 {\nfree nobody\n}\n", &p, &err));
	CHECK_EQ(err.line, 2);
	program_free(&p);
	/* bounded: 100000 x 100 ops is more than a program may expand to */
	CHECK(!parse("repeat 100000 {\nrepeat 100 {\ngc\n}\n}\n", &p, &err));
	CHECK(strstr(err.msg, "expands to more than") != NULL);
	program_free(&p);
	return T_DONE();
}
