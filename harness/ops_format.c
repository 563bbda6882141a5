/*
 * The op language's printer: an op as its .ops text line (op_format), a
 * program as text (program_print), and object names (program_objname). The
 * parser is ops_text.c; harness/OPS.md has the text form.
 */
#include "harness/ops.h"
#include "alloc/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const code_names[OP__COUNT] = {
	[OP_ALLOC] = "alloc", [OP_FREE] = "free", [OP_ROOT] = "root",
	[OP_STORE] = "store", [OP_SETFIN] = "setfin", [OP_CLEARFIN] = "clearfin",
	[OP_GC] = "gc", [OP_SWEEP] = "sweep", [OP_RUNFIN] = "runfin",
	[OP_PROC] = "proc", [OP_PROFRATE] = "profrate", [OP_STACK] = "stack",
	[OP_CHECK] = "check", [OP_SCAVENGE] = "scavenge",
	[OP_EXPECT_FINALIZED] = "expect finalized", [OP_EXPECT_LIVE] = "expect live",
	[OP_EXPECT_DEAD] = "expect dead", [OP_EXPECT_ERR] = "expect err",
};

typedef struct sbuf { char *buf; size_t n, len; } sbuf_t;

static void sb_printf(sbuf_t *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf_t *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = sb->len < sb->n ? sb->n - sb->len : 0;
	int k = vsnprintf(room ? sb->buf + sb->len : NULL, room, fmt, ap);
	va_end(ap);
	if (k > 0)
		sb->len += (size_t)k;
}

/* Text programs name objects as written; binary ones (no names) h0, h1... */
const char *program_objname(const program_t *p, int32_t id, char tmp[24])
{
	if (id >= 0 && (size_t)id < p->nobjs)
		return p->objname[id];
	snprintf(tmp, 24, "h%d", (int)id);
	return tmp;
}

static void sb_ref(sbuf_t *sb, const program_t *p, int32_t id, uint64_t off)
{
	char tmp[24];
	if (id == OBJ_NONE)
		sb_printf(sb, "nil");
	else if (off)
		sb_printf(sb, "%s+%llu", program_objname(p, id, tmp), (unsigned long long)off);
	else
		sb_printf(sb, "%s", program_objname(p, id, tmp));
}

static void sb_expect(sbuf_t *sb, const program_t *p, const op_t *op)
{
	char tmp[24];
	if (op->code == OP_EXPECT_ERR) {
		sb_printf(sb, "expect err %s", op->a < ALLOC_ERR__COUNT ?
		          alloc_errname((alloc_err_t)op->a) : "?");
		return;
	}
	sb_printf(sb, "%s", code_names[op->code]);
	for (uint32_t i = 0; i < op->nlist; i++)
		sb_printf(sb, " %s", program_objname(p, p->lists[op->list + i], tmp));
}

int op_format(const program_t *p, const op_t *op, char *buf, size_t n)
{
	sbuf_t sb = { buf, n, 0 };
	char tmp[24];
	if (n)
		buf[0] = 0;
	unsigned long long a = (unsigned long long)op->a;
	switch ((op_code_t)op->code) {
	case OP_ALLOC:
		sb_printf(&sb, "%s = alloc %llu", program_objname(p, op->obj, tmp), a);
		if (op->b)
			sb_printf(&sb, " ptrs=%llu", (unsigned long long)op->b);
		break;
	case OP_FREE:
	case OP_CLEARFIN:
		sb_printf(&sb, "%s %s", code_names[op->code], program_objname(p, op->obj, tmp));
		break;
	case OP_ROOT:
		sb_printf(&sb, "root %llu ", a);
		sb_ref(&sb, p, op->obj2, op->off2);
		break;
	case OP_STORE:
		sb_printf(&sb, "store %s.%llu ", program_objname(p, op->obj, tmp), a);
		sb_ref(&sb, p, op->obj2, op->off2);
		break;
	case OP_SETFIN:
		sb_printf(&sb, "setfin ");
		sb_ref(&sb, p, op->obj, op->off);
		if (op->action == FIN_RESURRECT)
			sb_printf(&sb, " resurrect:%llu", a);
		else
			sb_printf(&sb, " %s", op->action == FIN_REFIN ? "refin" : "keep");
		break;
	case OP_SWEEP:
		if (op->a)
			sb_printf(&sb, "sweep %llu", a);
		else
			sb_printf(&sb, "sweep");
		break;
	case OP_PROC:
	case OP_PROFRATE:
	case OP_STACK:
		sb_printf(&sb, "%s %llu", code_names[op->code], a);
		break;
	case OP_GC:
	case OP_RUNFIN:
	case OP_CHECK:
	case OP_SCAVENGE:
		sb_printf(&sb, "%s", code_names[op->code]);
		break;
	case OP_EXPECT_FINALIZED:
	case OP_EXPECT_LIVE:
	case OP_EXPECT_DEAD:
	case OP_EXPECT_ERR:
		sb_expect(&sb, p, op);
		break;
	default:
		sb_printf(&sb, "# unknown op %u", op->code);
	}
	return (int)sb.len;
}

void program_print(const program_t *p, FILE *out)
{
	char line[512];
	for (size_t i = 0; i < p->nops; i++) {
		op_format(p, &p->ops[i], line, sizeof line);
		fprintf(out, "%s\n", line);
	}
}
