/*
 * The op language's printer: an op as its .ops text line (op_format), a
 * program as text (program_print), and object names (program_objname). The
 * parser is ops_text.c; harness/OPS.md has the text form.
 */
#include "harness/ops.h"
#include "alloc/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---- printing repeat blocks (disasm of a recorded binary run) ----
 *
 * A block prints as `repeat N {` with its first iteration when every
 * iteration encodes to the same bytes (so asm writes it back as the same
 * REPEAT record) and prints as the same lines. Objects allocated in a
 * printed block are named bI_K (the K-th alloc of the body of the I-th
 * printed block): each iteration binds the same names again, so a
 * reference must name the newest object bound to its name, else the block
 * prints op by op. Dropping a block renames its objects h<id>, which may
 * break another block's text: repeat until nothing changes. */

typedef struct pview {
	const program_t *p;
	bool *on;            /* per rep: printed as a block */
	int32_t *blk, *k;    /* per object: its block (-1: h<id>) and alloc index */
	size_t nobj;
	program_t named;     /* p with objname filled from blk/k */
} pview_t;

static bool enc_equal(const program_t *p, size_t a, size_t b)
{
	const op_t *x = &p->ops[a], *y = &p->ops[b];
	return x->nenc != OPS_NOENC && x->nenc == y->nenc &&
	       !memcmp(p->enc.buf + x->enc, p->enc.buf + y->enc, x->nenc);
}

static void pv_name(pview_t *v)
{
	for (size_t o = 0; o < v->nobj; o++) {
		free(v->named.objname[o]);
		v->named.objname[o] = NULL;
		v->blk[o] = -1;
	}
	int ord = 0;
	for (size_t r = 0; r < v->p->nreps; r++) {
		if (!v->on[r])
			continue;
		const oprep_t *rp = &v->p->reps[r];
		for (size_t i = rp->first; i < rp->end; i++) {
			const op_t *op = &v->p->ops[i];
			if (op->code != OP_ALLOC || op->obj < 0)
				continue;
			int32_t k = 0;
			for (size_t j = rp->first + (i - rp->first) / rp->nbody * rp->nbody; j < i; j++)
				k += v->p->ops[j].code == OP_ALLOC;
			v->blk[op->obj] = (int32_t)r;
			v->k[op->obj] = k;
			char name[48];
			snprintf(name, sizeof name, "b%d_%d", ord, (int)k);
			v->named.objname[op->obj] = strdup(name);
		}
		ord++;
	}
	for (size_t o = 0; o < v->nobj; o++)
		if (!v->named.objname[o]) {
			char name[24];
			snprintf(name, sizeof name, "h%zu", o);
			v->named.objname[o] = strdup(name);
		}
}

/* One pass: drops blocks whose iterations differ or whose names would bind
 * the wrong object, and blocks past the binary form's bounds. */
static bool pv_settle(pview_t *v)
{
	const program_t *p = v->p;
	bool changed = false;
	char l1[512], l2[512];
	uint64_t ops_left = OPBIN_REPEAT_OPS, heavy_left = OPBIN_REPEAT_HEAVY;
	for (size_t r = 0; r < p->nreps; r++) {
		const oprep_t *rp = &p->reps[r];
		if (!v->on[r])
			continue;
		bool same = true;
		uint64_t nrec = 0, nheavy = 0;
		for (size_t i = rp->first; same && i < rp->first + rp->nbody; i++) {
			nrec += p->ops[i].nenc > 0;
			nheavy += p->ops[i].nenc > 0 && opbin_is_heavy((op_code_t)p->ops[i].code);
		}
		for (size_t i = rp->first + rp->nbody; same && i < rp->end; i++) {
			size_t j = rp->first + (i - rp->first) % rp->nbody;
			op_format(&v->named, &p->ops[i], l1, sizeof l1);
			op_format(&v->named, &p->ops[j], l2, sizeof l2);
			same = enc_equal(p, i, j) && !strcmp(l1, l2);
		}
		uint64_t extra = rp->count - 1;
		same = same && nrec >= 1 && nrec <= OPBIN_REPEAT_MAXLEN && rp->count <= OPBIN_REPEAT_MAXCOUNT &&
		       extra * nrec <= ops_left && extra * nheavy <= heavy_left;
		if (!same) {
			v->on[r] = false;
			changed = true;
		} else {
			ops_left -= extra * nrec;
			heavy_left -= extra * nheavy;
		}
	}
	/* names: a reference to a block object must be the newest of its name */
	int32_t *newest = calloc(p->nreps * 256 + 1, sizeof *newest);
	for (size_t i = 0; i < p->nops && newest; i++) {
		const op_t *op = &p->ops[i];
		int32_t refs[2] = { op->code == OP_ALLOC ? OBJ_NONE : op->obj, op->obj2 };
		for (int t = 0; t < 2; t++) {
			int32_t o = refs[t];
			if (o < 0 || (size_t)o >= v->nobj || v->blk[o] < 0 || v->k[o] >= 256)
				continue;
			if (newest[v->blk[o] * 256 + v->k[o]] != o + 1 && v->on[v->blk[o]]) {
				v->on[v->blk[o]] = false;
				changed = true;
			}
		}
		if (op->code == OP_ALLOC && op->obj >= 0 && (size_t)op->obj < v->nobj && v->blk[op->obj] >= 0 &&
		    v->k[op->obj] < 256)
			newest[v->blk[op->obj] * 256 + v->k[op->obj]] = op->obj + 1;
	}
	free(newest);
	return changed;
}

void program_print(const program_t *p, FILE *out)
{
	char line[512];
	pview_t v = { .p = p, .named = *p };
	for (size_t i = 0; i < p->nops; i++)
		if (p->ops[i].code == OP_ALLOC && p->ops[i].obj >= 0 && (size_t)p->ops[i].obj >= v.nobj)
			v.nobj = (size_t)p->ops[i].obj + 1;
	bool blocks = p->enc.len && p->nreps && !p->nobjs;  /* recorded binary runs only */
	if (blocks) {
		v.on = calloc(p->nreps, sizeof *v.on);
		v.blk = calloc(v.nobj + 1, sizeof *v.blk);
		v.k = calloc(v.nobj + 1, sizeof *v.k);
		v.named.objname = calloc(v.nobj + 1, sizeof *v.named.objname);
		v.named.nobjs = v.nobj;
		if (!v.on || !v.blk || !v.k || !v.named.objname)
			abort();
		for (size_t r = 0; r < p->nreps; r++) {
			const oprep_t *rp = &p->reps[r];
			v.on[r] = rp->ok && rp->count >= 2 && rp->nbody && rp->end - rp->first == rp->count * rp->nbody;
		}
		do
			pv_name(&v);
		while (pv_settle(&v));
	}
	const program_t *np = blocks ? &v.named : p;
	for (size_t i = 0, r = 0; i < p->nops;) {
		while (blocks && r < p->nreps && p->reps[r].first < i)
			r++;
		if (blocks && r < p->nreps && p->reps[r].first == i && v.on[r]) {
			const oprep_t *rp = &p->reps[r];
			fprintf(out, "repeat %u {\n", rp->count);
			for (size_t j = i; j < i + rp->nbody; j++) {
				op_format(np, &p->ops[j], line, sizeof line);
				fprintf(out, "  %s\n", line);
			}
			fprintf(out, "}\n");
			i = rp->end;
			continue;
		}
		op_format(np, &p->ops[i], line, sizeof line);
		fprintf(out, "%s\n", line);
		i++;
	}
	if (blocks) {
		for (size_t o = 0; o < v.nobj; o++)
			free(v.named.objname[o]);
		free(v.named.objname);
		free(v.on);
		free(v.blk);
		free(v.k);
	}
}
