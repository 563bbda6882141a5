/*
 * The binary form of the op language: what fuzzers mutate. Every byte
 * string is a program (harness/OPS.md has the encoding table):
 *   - an opcode byte b selects opbin_table[b % OPBIN_NCODES];
 *   - its operands follow; bytes past the end read as zero;
 *   - objects are selectors into the live set, resolved when the op runs;
 *   - sizes are biased toward the edges that matter (0, tiny, class
 *     boundaries, 32 KiB, pages, multi-page), and every exact value has an
 *     escape form so that text programs can be assembled (opbin_encode).
 * Decoding a record is context free, so mutators can split a program into
 * records (opbin_split) and recombine them without understanding them.
 */
#include "harness/ops.h"
#include "alloc/alloc.h"
#include "oracles/ref_sizeclasses.h"

#include <stdlib.h>
#include <string.h>

/* Weighted: allocation, stores and frees are what reach the interesting
 * states, so they get more opcode values. The first index of a code is the
 * canonical one opbin_encode writes. */
const uint8_t opbin_table[OPBIN_NCODES] = {
	OP_ALLOC, OP_FREE, OP_STORE, OP_ROOT, OP_SETFIN, OP_CLEARFIN, OP_GC,
	OP_SWEEP, OP_RUNFIN, OP_PROC, OP_PROFRATE, OP_STACK, OP_CHECK, OP_SCAVENGE,
	OP_ALLOC, OP_ALLOC, OP_FREE, OP_STORE, OP_SETFIN, OP_REPEAT,
};

static const char *const layouts[OP__COUNT] = {
	[OP_ALLOC] = "zp", [OP_FREE] = "o", [OP_ROOT] = "stf", [OP_STORE] = "oitf",
	[OP_SETFIN] = "ofa", [OP_CLEARFIN] = "o", [OP_GC] = "", [OP_SWEEP] = "n",
	[OP_RUNFIN] = "", [OP_PROC] = "n", [OP_PROFRATE] = "r", [OP_STACK] = "n",
	[OP_CHECK] = "", [OP_SCAVENGE] = "", [OP_REPEAT] = "cl",
};

const char *opbin_layout(op_code_t c)
{
	return (unsigned)c < OP__COUNT && layouts[c] ? layouts[c] : "";
}

/* Reader: bytes past the end read as zero; pos may run past n. */
typedef struct rd { const uint8_t *d; size_t n, pos; } rd_t;
static uint8_t rd8(rd_t *r) { uint8_t v = r->pos < r->n ? r->d[r->pos] : 0; r->pos++; return v; }
static uint32_t rd16(rd_t *r) { uint32_t lo = rd8(r); return lo | (uint32_t)rd8(r) << 8; }
static uint32_t rd32(rd_t *r) { uint32_t lo = rd16(r); return lo | rd16(r) << 16; }

/* Escape bytes. */
#define Z_EXACT 0xff   /* size: 4-byte exact */
#define P_ALL   0xfc   /* ptrs: every word */
#define P_EXACT 0xfd   /* ptrs: 4-byte exact (may exceed size/8: BADARG) */
#define P_OVER  0xfe   /* ptrs: size/8 + 1 (BADARG) */
#define S_WIDE  0xfe   /* selector: 2-byte index */
#define S_NIL   0xff   /* target selector: nil (a subject reads it as 255) */
#define F_EXACT 0xff   /* offset: 4-byte exact */
#define R_EXACT 0xff   /* profile rate: 4-byte exact */
#define C_EXACT 0xff   /* repeat count: 2-byte exact */

/* The units of the binary form, Go's constants (not the allocator's: what a
 * corpus byte means must not depend on the code under test). */
#define PAGE_BYTES 8192     /* Go's _PageSize */
#define MAX_SMALL 32768     /* Go's maxSmallSize */

/* size operand: two bytes k,x; kind = k >> 5, lo = k & 31, v = lo << 8 | x.
 * Class sizes come from the reference table (oracles/ref_sizeclasses.h),
 * classes 1 .. n-1. */
static uint64_t read_size(rd_t *r)
{
	uint8_t k = rd8(r);
	if (k == Z_EXACT)
		return rd32(r);
	uint8_t x = rd8(r);
	uint32_t lo = k & 31, v = lo << 8 | x;
	const ref_sizeclasses_t *ref = ref_sizeclasses();
	int nsmall = ref->n - 1;
	switch (k >> 5) {
	case 0: return lo;                                  /* 0..31: zero, tiny, 16 */
	case 1: {                                           /* a class size -2..+2 */
		int64_t s = (int64_t)ref->size[1 + x % nsmall] + (int64_t)(lo % 5) - 2;
		return s < 0 ? 0 : (uint64_t)s;
	}
	case 2: return 1 + v % 1024;                        /* small */
	case 3: return 1 + (v * 37u) % MAX_SMALL;           /* any small size */
	case 4: return MAX_SMALL - 16 + v % 33;             /* around 32 KiB */
	case 5: return (1 + lo % 8) * PAGE_BYTES + x % 5 - 2; /* a few pages -2..+2 */
	case 6: return (1 + v % 256) * PAGE_BYTES;          /* multi-page, up to 2 MiB */
	default: return (uint64_t)ref->size[1 + v % nsmall]; /* exactly a class size */
	}
}

static uint64_t read_ptrs_uncapped(rd_t *r, uint64_t words)
{
	uint8_t k = rd8(r);
	if (k < 128)
		return 0;
	switch (k) {
	case P_ALL: return words;
	case P_EXACT: return rd32(r);
	case P_OVER: return words + 1;
	case 0xff: return words;
	default: return (uint64_t)(k - 127) < words ? (uint64_t)(k - 127) : words;
	}
}

/* A valid count is capped per object (OPBIN_MAX_PTRS_OBJ); one over size/8
 * stays, to reach BADARG. */
static uint64_t read_ptrs(rd_t *r, uint64_t size)
{
	uint64_t words = size / OP_WORD_BYTES, v = read_ptrs_uncapped(r, words);
	return v <= words && v > OPBIN_MAX_PTRS_OBJ ? OPBIN_MAX_PTRS_OBJ : v;
}

static uint32_t read_sel(rd_t *r, bool target)
{
	uint8_t k = rd8(r);
	if (k == S_WIDE)
		return rd16(r);
	if (k == S_NIL && target)
		return SEL_NIL;
	return k;
}

static uint64_t read_off(rd_t *r)
{
	uint8_t k = rd8(r);
	if (k == F_EXACT)
		return rd32(r);
	return k < 160 ? 0 : (uint64_t)(k - 159);
}

static const uint64_t rates[8] = { 0, 1, 16, 64, 512, 4096, 65536, 524288 };

size_t opbin_decode(const uint8_t *data, size_t n, uint32_t at, opbin_raw_t *raw)
{
	rd_t r = { data, n, 0 };
	memset(raw, 0, sizeof *raw);
	raw->at = at;
	raw->code = opbin_table[rd8(&r) % OPBIN_NCODES];
	raw->sel2 = SEL_NIL;
	switch ((op_code_t)raw->code) {
	case OP_ALLOC:
		raw->a = read_size(&r);
		raw->b = read_ptrs(&r, raw->a);
		break;
	case OP_FREE:
		raw->sel = read_sel(&r, true);   /* 0xff: the object freed last */
		break;
	case OP_CLEARFIN:
		raw->sel = read_sel(&r, false);
		break;
	case OP_ROOT:
		raw->a = rd8(&r) % HEAP_NROOTS;
		raw->sel2 = read_sel(&r, true);
		raw->off2 = read_off(&r);
		break;
	case OP_STORE:
		raw->sel = read_sel(&r, false);
		raw->a = rd16(&r);
		raw->sel2 = read_sel(&r, true);
		raw->off2 = read_off(&r);
		break;
	case OP_SETFIN: {
		raw->sel = read_sel(&r, false);
		raw->off = read_off(&r);
		uint8_t act = rd8(&r);
		raw->action = (act & 3) == 2 ? FIN_RESURRECT : (act & 3) == 3 ? FIN_REFIN : FIN_KEEP;
		raw->a = raw->action == FIN_RESURRECT ? (uint64_t)(act >> 2) % HEAP_NROOTS : 0;
		break;
	}
	case OP_SWEEP:
		raw->a = rd8(&r);
		break;
	case OP_PROC: {
		/* mostly the default 4 Ps and one invalid P; exact values above */
		uint8_t k = rd8(&r);
		raw->a = k < 0x80 ? k % 5 : (uint64_t)(k - 0x80);
		break;
	}
	case OP_PROFRATE: {
		uint8_t k = rd8(&r);
		raw->a = k == R_EXACT ? rd32(&r) : rates[k % 8];
		break;
	}
	case OP_STACK:
		raw->a = rd8(&r);
		break;
	case OP_REPEAT: {
		uint8_t k = rd8(&r);
		raw->a = k == C_EXACT ? rd16(&r) : k;
		raw->b = rd8(&r);
		break;
	}
	default:
		break;
	}
	return r.pos < n ? r.pos : n;
}

size_t opbin_reclen(const uint8_t *data, size_t n)
{
	opbin_raw_t raw;
	return opbin_decode(data, n, 0, &raw);
}

size_t opbin_split(const uint8_t *data, size_t n, opbin_rec_t *recs, size_t max)
{
	size_t count = 0;
	for (size_t at = 0; at < n;) {
		size_t len = opbin_reclen(data + at, n - at);
		if (count < max)
			recs[count] = (opbin_rec_t){ (uint32_t)at, (uint32_t)len };
		count++;
		at += len;
	}
	return count;
}

/* ---- the compact op: REPEAT blocks ---- */

bool opbin_is_heavy(op_code_t c)
{
	return c == OP_GC || c == OP_SWEEP || c == OP_RUNFIN || c == OP_CHECK || c == OP_SCAVENGE;
}

bool opbin_is_repeat(const uint8_t *rec, size_t n)
{
	return n && opbin_table[rec[0] % OPBIN_NCODES] == OP_REPEAT;
}

void opbin_iter_init(opbin_iter_t *it, const uint8_t *d, size_t n, uint32_t base)
{
	*it = (opbin_iter_t){ .d = d, .n = n, .base = base,
	                      .ops_left = OPBIN_REPEAT_OPS, .heavy_left = OPBIN_REPEAT_HEAVY };
}

/* A REPEAT at it->at - hdr with count and len: its body is the next len
 * records (fewer at the end of the input); it runs 1 + extra iterations,
 * extra as far as the budget allows. */
static void start_repeat(opbin_iter_t *it, size_t hdr, uint64_t count, uint64_t len)
{
	size_t end = it->at;
	uint64_t nrec = 0, nheavy = 0;
	while (nrec < len && end < it->n) {
		opbin_raw_t raw;
		end += opbin_decode(it->d + end, it->n - end, 0, &raw);
		nrec++;
		nheavy += opbin_is_heavy((op_code_t)raw.code);
	}
	if (!nrec)
		return;
	uint64_t extra = count > 1 ? count - 1 : 0;
	if (extra > it->ops_left / nrec)
		extra = it->ops_left / nrec;
	if (nheavy && extra > it->heavy_left / nheavy)
		extra = it->heavy_left / nheavy;
	it->ops_left -= extra * nrec;
	it->heavy_left -= extra * nheavy;
	it->body = it->at;
	it->end = end;
	it->iters = (uint32_t)(1 + extra);
	it->iter = 0;
	it->rep = it->base + (uint32_t)hdr + 1;
}

bool opbin_next(opbin_iter_t *it, opbin_raw_t *raw)
{
	for (;;) {
		if (it->iters && it->at >= it->end) {
			if (++it->iter < it->iters)
				it->at = it->body;
			else
				it->iters = 0;
			continue;
		}
		if (it->at >= it->n)
			return false;
		size_t at = it->at;
		it->at += opbin_decode(it->d + at, it->n - at, it->base + (uint32_t)at, raw);
		if (raw->code != OP_REPEAT) {
			raw->rep = it->iters ? it->rep : 0;
			raw->iter = it->iters ? it->iter : 0;
			return true;
		}
		if (!it->iters)  /* a REPEAT inside a body does nothing */
			start_repeat(it, at, raw->a, raw->b);
	}
}

size_t opbin_put_repeat(uint8_t out[5], uint32_t count, uint8_t len)
{
	size_t n = 0;
	out[n++] = OPBIN_NCODES - 1;  /* the table's only REPEAT slot */
	if (count < C_EXACT) {
		out[n++] = (uint8_t)count;
	} else {
		out[n++] = C_EXACT;
		out[n++] = (uint8_t)(count & 0xff);
		out[n++] = (uint8_t)(count >> 8);
	}
	out[n++] = len;
	return n;
}

/* ---- resolution against the live set ---- */

static int32_t pick(const opbin_ctx_t *ctx, uint32_t sel)
{
	return ctx->live[ctx->nlive - 1 - sel % ctx->nlive];
}

bool opbin_resolve(const opbin_raw_t *raw, const opbin_ctx_t *ctx, int32_t new_obj, op_t *op)
{
	memset(op, 0, sizeof *op);
	op->code = raw->code;
	op->action = raw->action;
	op->line = raw->at;
	op->a = raw->a;
	op->b = raw->b;
	op->obj = op->obj2 = OBJ_NONE;
	switch ((op_code_t)raw->code) {
	case OP_ALLOC:
		op->obj = new_obj;
		/* what is left of the program's pointer words (a BADARG count stays) */
		if (op->b <= op->a / OP_WORD_BYTES && ctx->ptrs_used + op->b > OPBIN_MAX_PTRS_PROG)
			op->b = ctx->ptrs_used < OPBIN_MAX_PTRS_PROG ? OPBIN_MAX_PTRS_PROG - ctx->ptrs_used : 0;
		return true;
	case OP_FREE:
		if (raw->sel == SEL_NIL) {
			/* a double free: the executor decides whether it can run */
			op->obj = ctx->freed_last - 1;
			return ctx->freed_last > 0;
		}
		__attribute__((fallthrough));
	case OP_CLEARFIN:
	case OP_SETFIN:
	case OP_STORE:
		if (!ctx->nlive)
			return false;
		op->obj = pick(ctx, raw->sel);
		if (raw->code == OP_SETFIN)
			op->off = ctx->size[op->obj] ? raw->off % ctx->size[op->obj] : 0;
		if (raw->code == OP_STORE) {
			if (!ctx->ptrs[op->obj])
				return false;
			op->a = raw->a % ctx->ptrs[op->obj];
		}
		if (raw->code != OP_STORE)
			return true;
		__attribute__((fallthrough)); /* to the target */
	case OP_ROOT:
		if (raw->sel2 == SEL_NIL || !ctx->nlive)
			return true;
		op->obj2 = pick(ctx, raw->sel2);
		op->off2 = ctx->size[op->obj2] ? raw->off2 % ctx->size[op->obj2] : 0;
		return true;
	default:
		return true;
	}
}

/* ---- encoding ---- */

void opbuf_put(opbuf_t *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		while (b->len + n > b->cap)
			b->cap = b->cap ? 2 * b->cap : 256;
		b->buf = realloc(b->buf, b->cap);
		if (!b->buf)
			abort();
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

void opbuf_free(opbuf_t *b)
{
	free(b->buf);
	memset(b, 0, sizeof *b);
}

static void put8(opbuf_t *b, unsigned v) { uint8_t c = (uint8_t)v; opbuf_put(b, &c, 1); }
static void put16(opbuf_t *b, uint32_t v) { put8(b, v & 0xff); put8(b, v >> 8); }
static void put32(opbuf_t *b, uint32_t v) { put16(b, v & 0xffff); put16(b, v >> 16); }

/* Position of obj counting from the newest live object. */
static bool sel_of(const opbin_ctx_t *ctx, int32_t obj, uint32_t *k)
{
	size_t lo = 0, hi = ctx->nlive;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ctx->live[mid] < obj)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == ctx->nlive || ctx->live[lo] != obj || ctx->nlive - 1 - lo > 0xffff)
		return false;
	*k = (uint32_t)(ctx->nlive - 1 - lo);
	return true;
}

static void put_sel(opbuf_t *b, uint32_t k)
{
	if (k < S_WIDE) {
		put8(b, k);
	} else {
		put8(b, S_WIDE);
		put16(b, k);
	}
}

static void put_off(opbuf_t *b, uint64_t off)
{
	if (off == 0) {
		put8(b, 0);
	} else if (off <= 255 - 160) {
		put8(b, (unsigned)(off + 159));
	} else {
		put8(b, F_EXACT);
		put32(b, (uint32_t)off);
	}
}

static bool put_target(opbuf_t *b, const opbin_ctx_t *ctx, int32_t obj, uint64_t off)
{
	uint32_t k;
	if (obj == OBJ_NONE) {
		put8(b, S_NIL);
		put8(b, 0);
		return true;
	}
	if (!sel_of(ctx, obj, &k) || off > UINT32_MAX)
		return false;
	put_sel(b, k);
	put_off(b, off);
	return true;
}

static unsigned canonical_opcode(op_code_t c)
{
	for (unsigned i = 0; i < OPBIN_NCODES; i++)
		if (opbin_table[i] == c)
			return i;
	return 0;
}

/* alloc: the exact size, then the shortest ptrs form. */
static bool put_alloc(opbuf_t *b, const op_t *op, const opbin_ctx_t *ctx)
{
	if (op->a > UINT32_MAX || op->b > UINT32_MAX)
		return false;
	/* Pointer words past the decoder's bounds would decode as fewer. */
	if (op->b <= op->a / OP_WORD_BYTES &&
	    (op->b > OPBIN_MAX_PTRS_OBJ || ctx->ptrs_used + op->b > OPBIN_MAX_PTRS_PROG))
		return false;
	put8(b, Z_EXACT);
	put32(b, (uint32_t)op->a);
	if (op->b == 0)
		put8(b, 0);
	else if (op->b < op->a / OP_WORD_BYTES && op->b <= P_ALL - 1 - 127)
		put8(b, (unsigned)(op->b + 127));
	else if (op->b == op->a / OP_WORD_BYTES)
		put8(b, P_ALL);
	else {
		put8(b, P_EXACT);
		put32(b, (uint32_t)op->b);
	}
	return true;
}

/* profrate: a rate of the table by index, else exact. */
static bool put_rate(opbuf_t *b, uint64_t rate)
{
	unsigned i = 0;
	while (i < 8 && rates[i] != rate)
		i++;
	if (i < 8) {
		put8(b, i);
		return true;
	}
	put8(b, R_EXACT);
	put32(b, (uint32_t)rate);
	return rate <= UINT32_MAX;
}

bool opbin_encode(const op_t *op, const opbin_ctx_t *ctx, opbuf_t *out)
{
	if (op_is_expect(op->code))
		return true;
	opbuf_t b = { 0 };
	uint32_t k;
	bool ok = true;
	put8(&b, canonical_opcode(op->code));
	switch ((op_code_t)op->code) {
	case OP_ALLOC:
		ok = put_alloc(&b, op, ctx);
		break;
	case OP_FREE:
		if (!sel_of(ctx, op->obj, &k)) {
			ok = op->obj >= 0 && op->obj == ctx->freed_last - 1;
			put8(&b, S_NIL);
			break;
		}
		put_sel(&b, k);
		break;
	case OP_CLEARFIN:
		ok = sel_of(ctx, op->obj, &k);
		put_sel(&b, k);
		break;
	case OP_ROOT:
		put8(&b, (unsigned)op->a);
		ok = put_target(&b, ctx, op->obj2, op->off2);
		break;
	case OP_STORE:
		ok = sel_of(ctx, op->obj, &k) && op->a <= 0xffff;
		put_sel(&b, k);
		put16(&b, (uint32_t)op->a);
		ok = ok && put_target(&b, ctx, op->obj2, op->off2);
		break;
	case OP_SETFIN:
		ok = sel_of(ctx, op->obj, &k) && op->off <= UINT32_MAX;
		put_sel(&b, k);
		put_off(&b, op->off);
		put8(&b, op->action == FIN_RESURRECT ? (unsigned)(op->a << 2 | 2) :
		         op->action == FIN_REFIN ? 3 : 0);
		break;
	case OP_SWEEP:
	case OP_STACK:
		ok = op->a <= 255;
		put8(&b, (unsigned)op->a);
		break;
	case OP_PROC:
		ok = op->a < 0x80;
		put8(&b, op->a < 5 ? (unsigned)op->a : (unsigned)(0x80 + op->a));
		break;
	case OP_PROFRATE:
		ok = put_rate(&b, op->a);
		break;
	default:
		break;
	}
	if (ok)
		opbuf_put(out, b.buf, b.len);
	opbuf_free(&b);
	return ok;
}

/* ---- repeat blocks for asm and disasm ---- */

/* Records of ops [from, to): each op encodes as one record (expect ops as
 * none); heavy ones counted apart. */
static void body_records(const program_t *p, size_t from, size_t to, const size_t *off,
                         uint64_t *nrec, uint64_t *nheavy)
{
	*nrec = *nheavy = 0;
	for (size_t i = from; i < to; i++)
		if (off[i + 1] > off[i]) {
			++*nrec;
			*nheavy += opbin_is_heavy((op_code_t)p->ops[i].code);
		}
}

void opbin_compact(const program_t *p, size_t nops, const size_t *off, opbuf_t *bin)
{
	opbuf_t out = { 0 };
	uint64_t ops_left = OPBIN_REPEAT_OPS, heavy_left = OPBIN_REPEAT_HEAVY;
	size_t r = 0;
	for (size_t i = 0; i < nops;) {
		while (r < p->nreps && p->reps[r].first < i)
			r++;
		const oprep_t *rp = r < p->nreps && p->reps[r].first == i ? &p->reps[r] : NULL;
		if (rp && rp->ok && rp->count >= 2 && rp->end <= nops && rp->nbody) {
			uint64_t nrec, nheavy, extra = rp->count - 1;
			body_records(p, i, i + rp->nbody, off, &nrec, &nheavy);
			size_t len = off[i + rp->nbody] - off[i];
			bool same = nrec >= 1 && nrec <= OPBIN_REPEAT_MAXLEN && rp->count <= OPBIN_REPEAT_MAXCOUNT &&
			            extra * nrec <= ops_left && extra * nheavy <= heavy_left;
			for (uint32_t t = 1; same && t < rp->count; t++) {
				size_t at = i + t * rp->nbody;
				same = off[at + rp->nbody] - off[at] == len &&
				       !memcmp(bin->buf + off[at], bin->buf + off[i], len);
			}
			if (same) {
				uint8_t hdr[5];
				opbuf_put(&out, hdr, opbin_put_repeat(hdr, rp->count, (uint8_t)nrec));
				opbuf_put(&out, bin->buf + off[i], len);
				ops_left -= extra * nrec;
				heavy_left -= extra * nheavy;
				i = rp->end;
				continue;
			}
		}
		opbuf_put(&out, bin->buf + off[i], off[i + 1] - off[i]);
		i++;
	}
	opbuf_free(bin);
	*bin = out;
}
