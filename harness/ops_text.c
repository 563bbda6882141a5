/*
 * The text form of the op language (.ops files): the parser (the printer is
 * ops_format.c), and the program container both forms share. The syntax is a public interface
 * documented in harness/OPS.md; op_format prints exactly what the parser
 * reads, so a program printed and parsed again is the same program.
 */
#include "harness/ops.h"
#include "alloc/alloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void *ops_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fprintf(stderr, "allocfuzz: out of memory\n");
		abort();
	}
	return q;
}

#define xrealloc ops_xrealloc

void program_init(program_t *p) { memset(p, 0, sizeof *p); }

void program_free(program_t *p)
{
	for (size_t i = 0; i < p->nobjs; i++)
		free(p->objname[i]);
	free(p->objname);
	free(p->ops);
	free(p->lists);
	free(p->path);
	free(p->reps);
	opbuf_free(&p->enc);
	program_init(p);
}

size_t program_push(program_t *p, const op_t *op)
{
	if (p->nops == p->capops) {
		p->capops = p->capops ? 2 * p->capops : 64;
		p->ops = xrealloc(p->ops, p->capops * sizeof *p->ops);
	}
	p->ops[p->nops] = *op;
	return p->nops++;
}

int32_t program_new_obj(program_t *p, const char *name)
{
	if (p->nobjs == p->capobjs) {
		p->capobjs = p->capobjs ? 2 * p->capobjs : 64;
		p->objname = xrealloc(p->objname, p->capobjs * sizeof *p->objname);
	}
	size_t n = strlen(name) + 1;
	p->objname[p->nobjs] = memcpy(xrealloc(NULL, n), name, n);
	return (int32_t)p->nobjs++;
}

uint32_t program_push_list(program_t *p, const int32_t *ids, size_t n)
{
	if (p->nlists + n > p->caplists) {
		while (p->nlists + n > p->caplists)
			p->caplists = p->caplists ? 2 * p->caplists : 64;
		p->lists = xrealloc(p->lists, p->caplists * sizeof *p->lists);
	}
	uint32_t at = (uint32_t)p->nlists;
	if (n)
		memcpy(p->lists + at, ids, n * sizeof *ids);
	p->nlists += n;
	return at;
}

oprep_t *program_push_rep(program_t *p)
{
	if (p->nreps == p->capreps) {
		p->capreps = p->capreps ? 2 * p->capreps : 16;
		p->reps = xrealloc(p->reps, p->capreps * sizeof *p->reps);
	}
	oprep_t *r = &p->reps[p->nreps++];
	memset(r, 0, sizeof *r);
	return r;
}

/* A recorded binary run (disasm): the op, its canonical encoding in the
 * state it ran in, and which REPEAT iteration it belongs to. (Here and not
 * in ops_bin.c: the AFL++ mutator library links ops_bin.c alone.) */
void program_record(program_t *p, const op_t *op, const opbin_ctx_t *ctx, const opbin_raw_t *raw)
{
	size_t i = program_push(p, op);
	size_t at = p->enc.len;
	bool ok = opbin_encode(op, ctx, &p->enc);
	p->ops[i].enc = (uint32_t)at;
	p->ops[i].nenc = ok ? (uint32_t)(p->enc.len - at) : OPS_NOENC;
	if (!raw->rep)
		return;
	oprep_t *r = p->nreps ? &p->reps[p->nreps - 1] : NULL;
	if (!r || r->rep != raw->rep || r->end != i) {
		r = program_push_rep(p);
		*r = (oprep_t){ .first = i, .end = i, .count = 1, .rep = raw->rep, .iter = raw->iter,
		                .ok = raw->iter == 0 };
	}
	if (raw->iter != r->iter) {
		/* every iteration records as many ops as the first (none skipped) */
		if (raw->iter != r->iter + 1 || r->cur != r->nbody)
			r->ok = false;
		r->iter = raw->iter;
		r->cur = 0;
		r->count++;
	}
	r->cur++;
	if (r->count == 1)
		r->nbody++;
	r->end = i + 1;
}

bool op_is_expect(op_code_t c)
{
	return c >= OP_EXPECT_FINALIZED && c <= OP_EXPECT_ERR;
}

/* ---- parsing ---- */

#define MAXTOK 4096

/* Name -> current object id; open addressing, rebuilt when 1/2 full. A name
 * bound by a later alloc names the new object from then on. */
typedef struct names {
	const char **key;
	int32_t *val;
	size_t cap, n;
} names_t;

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ull;
	return h;
}

static int32_t *names_slot(names_t *t, const char *k, bool insert)
{
	if (insert && 2 * (t->n + 1) > t->cap) {
		names_t nt = { 0, 0, t->cap ? 2 * t->cap : 256, 0 };
		nt.key = xrealloc(NULL, nt.cap * sizeof *nt.key);
		nt.val = xrealloc(NULL, nt.cap * sizeof *nt.val);
		memset(nt.key, 0, nt.cap * sizeof *nt.key);
		for (size_t i = 0; i < t->cap; i++)
			if (t->key[i])
				*names_slot(&nt, t->key[i], true) = t->val[i];
		free(t->key);
		free(t->val);
		*t = nt;
	}
	if (!t->cap)
		return NULL;
	for (size_t i = hash_str(k) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		if (!t->key[i]) {
			if (!insert)
				return NULL;
			t->key[i] = k;
			t->n++;
			return &t->val[i];
		}
		if (!strcmp(t->key[i], k))
			return &t->val[i];
	}
}

/* Object sizes and ptr words as declared by the alloc ops so far. */
typedef struct objdecl { uint64_t size, ptrs; } objdecl_t;

typedef struct parser {
	program_t *p;
	objdecl_t *decls;   /* per object id */
	names_t names;
	ops_error_t *err;
	uint32_t line;
	char *tok[MAXTOK];
	int ntok;
} parser_t;

static bool perr(parser_t *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool perr(parser_t *ps, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ps->err->line = ps->line;
	vsnprintf(ps->err->msg, sizeof ps->err->msg, fmt, ap);
	va_end(ap);
	return false;
}

static bool is_name(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

static bool parse_u64(parser_t *ps, const char *s, uint64_t max, const char *what, uint64_t *out)
{
	if (!isdigit((unsigned char)*s))
		return perr(ps, "%s: expected a number, got '%s'", what, s);
	char *end;
	errno = 0;
	unsigned long long v = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ?
		strtoull(s + 2, &end, 16) : strtoull(s, &end, 10);
	if (*end || errno || v > max)
		return perr(ps, "%s: bad number '%s' (at most %llu)", what, s, (unsigned long long)max);
	*out = v;
	return true;
}

static bool lookup(parser_t *ps, const char *name, int32_t *id)
{
	int32_t *v = is_name(name) ? names_slot(&ps->names, name, false) : NULL;
	if (!v)
		return perr(ps, "unknown object '%s'", name);
	*id = *v;
	return true;
}

/* NAME[+OFF] (or nil if allow_nil); OFF < the object's size. */
static bool parse_ref(parser_t *ps, char *s, bool allow_nil, int32_t *id, uint64_t *off)
{
	*off = 0;
	if (allow_nil && !strcmp(s, "nil")) {
		*id = OBJ_NONE;
		return true;
	}
	char *plus = strchr(s, '+');
	if (plus) {
		*plus = 0;
		if (!parse_u64(ps, plus + 1, UINT32_MAX, "offset", off))
			return false;
	}
	if (!lookup(ps, s, id))
		return false;
	if (*off && *off >= ps->decls[*id].size)
		return perr(ps, "offset %llu is outside '%s' (%llu bytes)",
		            (unsigned long long)*off, s, (unsigned long long)ps->decls[*id].size);
	return true;
}

static bool want(parser_t *ps, int n, const char *usage)
{
	if (ps->ntok != n)
		return perr(ps, "usage: %s", usage);
	return true;
}

static bool parse_alloc(parser_t *ps, op_t *op)
{
	if (ps->ntok < 4 || ps->ntok > 5 || strcmp(ps->tok[1], "=") || strcmp(ps->tok[2], "alloc"))
		return perr(ps, "usage: NAME = alloc SIZE [ptrs=K]");
	if (!is_name(ps->tok[0]) || !strcmp(ps->tok[0], "nil"))
		return perr(ps, "bad object name '%s'", ps->tok[0]);
	if (!parse_u64(ps, ps->tok[3], UINT32_MAX, "size", &op->a))
		return false;
	if (ps->ntok == 5) {
		if (strncmp(ps->tok[4], "ptrs=", 5))
			return perr(ps, "expected ptrs=K, got '%s'", ps->tok[4]);
		if (!parse_u64(ps, ps->tok[4] + 5, UINT32_MAX, "ptrs", &op->b))
			return false;
	}
	op->code = OP_ALLOC;
	op->obj = program_new_obj(ps->p, ps->tok[0]);
	ps->decls = xrealloc(ps->decls, ps->p->nobjs * sizeof *ps->decls);
	ps->decls[op->obj] = (objdecl_t){ op->a, op->b };
	*names_slot(&ps->names, ps->p->objname[op->obj], true) = op->obj;
	return true;
}

static bool parse_action(parser_t *ps, const char *s, op_t *op)
{
	if (!strcmp(s, "keep")) {
		op->action = FIN_KEEP;
	} else if (!strcmp(s, "refin")) {
		op->action = FIN_REFIN;
	} else if (!strncmp(s, "resurrect:", 10)) {
		op->action = FIN_RESURRECT;
		return parse_u64(ps, s + 10, HEAP_NROOTS - 1, "resurrect slot", &op->a);
	} else {
		return perr(ps, "unknown finalizer action '%s' (keep | resurrect:SLOT | refin)", s);
	}
	return true;
}

static bool parse_list(parser_t *ps, op_t *op)
{
	int32_t ids[MAXTOK];
	int n = 0;
	for (int i = 2; i < ps->ntok; i++)
		if (!lookup(ps, ps->tok[i], &ids[n++]))
			return false;
	op->nlist = (uint32_t)n;
	op->list = program_push_list(ps->p, ids, (size_t)n);
	return true;
}

static bool parse_expect(parser_t *ps, op_t *op)
{
	const char *what = ps->ntok >= 2 ? ps->tok[1] : "";
	if (!strcmp(what, "finalized"))
		op->code = OP_EXPECT_FINALIZED;
	else if (!strcmp(what, "live"))
		op->code = OP_EXPECT_LIVE;
	else if (!strcmp(what, "dead"))
		op->code = OP_EXPECT_DEAD;
	else if (!strcmp(what, "err"))
		op->code = OP_EXPECT_ERR;
	else
		return perr(ps, "usage: expect finalized|live|dead NAME... | expect err CODE");
	if (op->code != OP_EXPECT_ERR)
		return parse_list(ps, op);
	if (!want(ps, 3, "expect err CODE"))
		return false;
	for (int e = 0; e < ALLOC_ERR__COUNT; e++)
		if (!strcmp(ps->tok[2], alloc_errname((alloc_err_t)e)) ||
		    (e == ALLOC_OK && !strcmp(ps->tok[2], "OK"))) {
			op->a = (uint64_t)e;
			return true;
		}
	return perr(ps, "unknown error code '%s'", ps->tok[2]);
}

static bool parse_line(parser_t *ps, op_t *op)
{
	char **t = ps->tok;
	const char *kw = t[0];
	if (ps->ntok >= 2 && !strcmp(t[1], "="))
		return parse_alloc(ps, op);
	if (!strcmp(kw, "free") || !strcmp(kw, "clearfin")) {
		op->code = kw[0] == 'f' ? OP_FREE : OP_CLEARFIN;
		return want(ps, 2, kw[0] == 'f' ? "free NAME" : "clearfin NAME") &&
		       lookup(ps, t[1], &op->obj);
	}
	if (!strcmp(kw, "root")) {
		op->code = OP_ROOT;
		return want(ps, 3, "root SLOT NAME[+OFF]|nil") &&
		       parse_u64(ps, t[1], HEAP_NROOTS - 1, "root slot", &op->a) &&
		       parse_ref(ps, t[2], true, &op->obj2, &op->off2);
	}
	if (!strcmp(kw, "store")) {
		op->code = OP_STORE;
		if (!want(ps, 3, "store NAME.I NAME2[+OFF]|nil"))
			return false;
		char *dot = strchr(t[1], '.');
		if (!dot)
			return perr(ps, "usage: store NAME.I NAME2[+OFF]|nil");
		*dot = 0;
		if (!lookup(ps, t[1], &op->obj) || !parse_u64(ps, dot + 1, UINT32_MAX, "slot", &op->a))
			return false;
		if (op->a >= ps->decls[op->obj].ptrs)
			return perr(ps, "'%s' has %llu pointer slots, no slot %llu", t[1],
			            (unsigned long long)ps->decls[op->obj].ptrs, (unsigned long long)op->a);
		return parse_ref(ps, t[2], true, &op->obj2, &op->off2);
	}
	if (!strcmp(kw, "setfin")) {
		op->code = OP_SETFIN;
		return want(ps, 3, "setfin NAME[+OFF] keep|resurrect:SLOT|refin") &&
		       parse_ref(ps, t[1], false, &op->obj, &op->off) &&
		       parse_action(ps, t[2], op);
	}
	static const struct { const char *kw; op_code_t code; int maxargs; uint64_t max; } simple[] = {
		{ "gc", OP_GC, 0, 0 },           { "runfin", OP_RUNFIN, 0, 0 },
		{ "check", OP_CHECK, 0, 0 },     { "scavenge", OP_SCAVENGE, 0, 0 },
		{ "sweep", OP_SWEEP, 1, UINT32_MAX }, { "proc", OP_PROC, 1, 255 },
		{ "profrate", OP_PROFRATE, 1, UINT32_MAX }, { "stack", OP_STACK, 1, UINT32_MAX },
	};
	for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
		if (strcmp(kw, simple[i].kw))
			continue;
		op->code = (uint8_t)simple[i].code;
		bool optional = simple[i].code == OP_SWEEP;
		if (ps->ntok - 1 > simple[i].maxargs || (!optional && ps->ntok - 1 < simple[i].maxargs))
			return perr(ps, "usage: %s%s", kw, simple[i].maxargs ? (optional ? " [N]" : " N") : "");
		if (ps->ntok == 2)
			return parse_u64(ps, t[1], simple[i].max, kw, &op->a);
		return true;
	}
	if (!strcmp(kw, "expect"))
		return parse_expect(ps, op);
	return perr(ps, "unknown op '%s'", kw);
}

/* The source as lines: [off, off+len) of the text, 1-based line numbers. */
typedef struct srcline { size_t off, len; } srcline_t;

static srcline_t *grow_lines(srcline_t *l, size_t *cap, size_t need)
{
	if (need <= *cap)
		return l;
	*cap = *cap ? 2 * *cap : 256;
	return xrealloc(l, *cap * sizeof *l);
}

/* Tokenizes line i of the source into ps->tok (comments dropped). */
static bool tokenize(parser_t *ps, const char *text, const srcline_t *l, uint32_t lineno,
                     char **buf, size_t *cap)
{
	ps->line = lineno;
	if (l->len + 1 > *cap) {
		*cap = l->len + 1;
		*buf = xrealloc(*buf, *cap);
	}
	memcpy(*buf, text + l->off, l->len);
	(*buf)[l->len] = 0;
	char *hash = strchr(*buf, '#');
	if (hash)
		*hash = 0;
	ps->ntok = 0;
	for (char *s = strtok(*buf, " \t\r\v\f"); s; s = strtok(NULL, " \t\r\v\f")) {
		if (ps->ntok == MAXTOK)
			return perr(ps, "too many words on one line");
		ps->tok[ps->ntok++] = s;
	}
	return true;
}

static bool is_repeat_open(const parser_t *ps)
{
	return ps->ntok >= 1 && !strcmp(ps->tok[0], "repeat");
}
static bool is_block_close(const parser_t *ps)
{
	return ps->ntok == 1 && !strcmp(ps->tok[0], "}");
}

typedef struct src {
	const char *text;
	const srcline_t *lines;
	size_t nlines;
	char *buf;
	size_t cap;
} src_t;

/* Parses lines [from, to) into ops; a `repeat N {` ... `}` block is parsed N
 * times (expanded here, so the executor and the binary form see ordinary
 * ops; a NAME bound inside names the newest object, as everywhere). */
static bool parse_range(parser_t *ps, src_t *sc, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		if (!tokenize(ps, sc->text, &sc->lines[i], (uint32_t)(i + 1), &sc->buf, &sc->cap))
			return false;
		if (ps->ntok == 0)
			continue;
		if (is_block_close(ps))
			return perr(ps, "'}' without an open repeat");
		if (is_repeat_open(ps)) {
			uint64_t n;
			if (ps->ntok != 3 || strcmp(ps->tok[2], "{"))
				return perr(ps, "usage: repeat N {   (the block ends at a line '}')");
			if (!parse_u64(ps, ps->tok[1], OPS_REPEAT_MAX, "repeat count", &n))
				return false;
			if (n == 0)
				return perr(ps, "repeat count: at least 1");
			uint32_t open = ps->line;
			size_t close = i + 1;
			bool nested = false;
			for (int depth = 1; close < to; close++) {
				if (!tokenize(ps, sc->text, &sc->lines[close], (uint32_t)(close + 1), &sc->buf, &sc->cap))
					return false;
				nested |= is_repeat_open(ps);
				depth += is_repeat_open(ps) ? 1 : is_block_close(ps) ? -1 : 0;
				if (depth == 0)
					break;
			}
			if (close >= to) {
				ps->line = open;
				return perr(ps, "repeat without its closing '}'");
			}
			size_t first = ps->p->nops;
			for (uint64_t k = 0; k < n; k++)
				if (!parse_range(ps, sc, i + 1, close))
					return false;
			/* an innermost block is what asm can write as one REPEAT */
			if (!nested && ps->p->nops > first) {
				oprep_t *r = program_push_rep(ps->p);
				*r = (oprep_t){ .first = first, .end = ps->p->nops, .nbody = (ps->p->nops - first) / n,
				                .count = (uint32_t)n, .ok = true };
			}
			i = close;
			continue;
		}
		op_t op = { .line = ps->line, .obj = OBJ_NONE, .obj2 = OBJ_NONE };
		if (!parse_line(ps, &op))
			return false;
		if (ps->p->nops >= OPS_TEXT_MAX_OPS)
			return perr(ps, "the program expands to more than %d ops", OPS_TEXT_MAX_OPS);
		program_push(ps->p, &op);
	}
	return true;
}

bool ops_parse_text(const char *text, size_t len, program_t *p, ops_error_t *err)
{
	parser_t ps = { .p = p, .err = err };
	memset(err, 0, sizeof *err);
	src_t sc = { .text = text };
	size_t caplines = 0;
	srcline_t *lines = NULL;
	for (size_t at = 0; at < len;) {
		size_t end = at;
		while (end < len && text[end] != '\n')
			end++;
		lines = grow_lines(lines, &caplines, sc.nlines + 1);
		lines[sc.nlines++] = (srcline_t){ at, end - at };
		at = end + 1;
	}
	sc.lines = lines;
	bool ok = parse_range(&ps, &sc, 0, sc.nlines);
	free(sc.buf);
	free(lines);
	free(ps.names.key);
	free(ps.names.val);
	free(ps.decls);
	return ok;
}

bool ops_looks_like_text(const uint8_t *data, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(isprint(data[i]) || data[i] == '\n' || data[i] == '\t' || data[i] == '\r'))
			return false;
	/* the first word of the first op line is a keyword or a NAME before '=' */
	size_t i = 0;
	for (;;) {
		while (i < len && isspace(data[i]))
			i++;
		if (i < len && data[i] == '#') {
			while (i < len && data[i] != '\n')
				i++;
			continue;
		}
		break;
	}
	if (i == len)
		return true;  /* only comments: an empty text program */
	size_t w = i;
	while (w < len && (isalnum(data[w]) || data[w] == '_'))
		w++;
	static const char *const kws[] = { "free", "root", "store", "setfin", "clearfin", "gc", "repeat",
		"sweep", "runfin", "proc", "profrate", "stack", "check", "scavenge", "expect" };
	for (size_t k = 0; k < sizeof kws / sizeof kws[0]; k++)
		if (strlen(kws[k]) == w - i && !memcmp(kws[k], data + i, w - i))
			return true;
	while (w < len && (data[w] == ' ' || data[w] == '\t'))
		w++;
	return w > i && w < len && data[w] == '=';
}
