/*
 * The op-aware mutator: mutates binary op programs record by record
 * (insert, delete, duplicate, swap, tweak an operand, change an opcode,
 * splice two programs). Byte-level mutation of a program mostly shifts
 * every later record into garbage; mutating whole records keeps the
 * structure that earned the parent its place in the corpus. Records come
 * from harness/ops.h (opbin_split / opbin_reclen); decoding is context
 * free, so any byte string we produce is still a program.
 *
 * Two front ends over one core:
 *  - libFuzzer: LLVMFuzzerCustomMutator / LLVMFuzzerCustomCrossOver. CMake
 *    links this file into every fuzz target; only targets that speak the op
 *    language get op mutations. The test is a weak reference to
 *    opbin_split: a weak reference never pulls a member out of a static
 *    library, so it is non-NULL exactly when the target links ops_bin.c
 *    (the op targets do, through exec.c). Other targets get LLVMFuzzerMutate
 *    and a plain byte splice. AF_MUTATOR=0 in the environment forces that
 *    fallback for every target.
 *  - AFL++ (built with AF_AFL_MUTATOR_LIB as the shared library
 *    afl_op_mutator): afl_custom_init / afl_custom_fuzz / afl_custom_deinit.
 */
#include "harness/ops.h"

#include <stdlib.h>
#include <string.h>

extern size_t opbin_split(const uint8_t *data, size_t n, opbin_rec_t *recs, size_t max)
	__attribute__((weak));
extern size_t opbin_reclen(const uint8_t *data, size_t n) __attribute__((weak));
extern bool opbin_is_repeat(const uint8_t *rec, size_t n) __attribute__((weak));
extern size_t opbin_put_repeat(uint8_t out[5], uint32_t count, uint8_t len) __attribute__((weak));
/* libFuzzer's own mutators (dictionary, CMP traces); absent under AFL++. */
extern size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max) __attribute__((weak));

#if defined(__has_feature)
#if __has_feature(memory_sanitizer)
#include <sanitizer/msan_interface.h>
#define AF_MSAN 1
#endif
#endif

/* LLVMFuzzerMutate through here: libFuzzer itself is not built with MSan, so
 * the bytes it writes (dictionary words, CMP values) carry no shadow and MSan
 * would report our first read of them. They are initialized: unpoison them,
 * the known fix for custom mutators under MSan. */
static size_t engine_mutate(uint8_t *data, size_t size, size_t max)
{
	size_t n = LLVMFuzzerMutate(data, size, max);
#ifdef AF_MSAN
	__msan_unpoison(data, n < max ? n : max);
#endif
	return n;
}

#define MAX_RECS 4096
#define REC_MAX 24   /* longer than any record (store: 1 + 3 + 2 + 3 + 5) */
#define MAX_INPUT (1 << 20) /* longer inputs are mutated in their first MiB */

typedef struct rng { uint64_t s; } rng_t;
static uint64_t rnd(rng_t *r)  /* splitmix64: seeded by the engine, deterministic */
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
static size_t below(rng_t *r, size_t n) { return n ? (size_t)(rnd(r) % n) : 0; }

typedef struct prog {
	const uint8_t *d;
	size_t n, nrec;
	opbin_rec_t rec[MAX_RECS];
} prog_t;

/* Splits buf[0..n) into records. buf must have REC_MAX bytes of room past
 * n: they are zeroed, and a truncated last record is completed with them
 * (zero operands, as the decoder reads it), so that moving it elsewhere
 * does not make it swallow the record that follows. Records beyond
 * MAX_RECS stay one opaque tail record. */
static void prog_split(prog_t *p, uint8_t *buf, size_t n)
{
	memset(buf + n, 0, REC_MAX);
	p->d = buf;
	p->n = n;
	size_t total = opbin_split(buf, n, p->rec, MAX_RECS);
	p->nrec = total < MAX_RECS ? total : MAX_RECS;
	if (total > MAX_RECS) {
		opbin_rec_t *last = &p->rec[MAX_RECS - 1];
		last->len = (uint32_t)(n - last->off);
	} else if (p->nrec) {
		opbin_rec_t *last = &p->rec[p->nrec - 1];
		last->len = (uint32_t)opbin_reclen(buf + last->off, n - last->off + REC_MAX);
	}
}

typedef struct out { uint8_t *b; size_t n, max; } out_t;
/* Whole records only: a record that does not fit is dropped. */
static void emit(out_t *o, const uint8_t *p, size_t n)
{
	if (o->n + n <= o->max) {
		memmove(o->b + o->n, p, n);
		o->n += n;
	}
}
static void emit_recs(out_t *o, const prog_t *p, size_t from, size_t to)
{
	for (size_t i = from; i < to && i < p->nrec; i++)
		emit(o, p->d + p->rec[i].off, p->rec[i].len);
}

/* Operand bytes: small values (the newest objects, slot 0, the first size
 * kinds) half the time, escape bytes sometimes, anything otherwise. */
static uint8_t operand_byte(rng_t *r)
{
	switch (below(r, 8)) {
	case 0: case 1: case 2: return (uint8_t)below(r, 4);
	case 3: return (uint8_t)(0xfc + below(r, 4));
	default: return (uint8_t)rnd(r);
	}
}

/* tmp holds a record padded with operand bytes; returns the length the
 * decoder takes, so the record never eats the next one. */
static size_t rec_fix(const uint8_t tmp[REC_MAX])
{
	return opbin_reclen(tmp, REC_MAX);
}

static size_t rec_random(rng_t *r, uint8_t tmp[REC_MAX])
{
	tmp[0] = (uint8_t)rnd(r);
	for (int i = 1; i < REC_MAX; i++)
		tmp[i] = operand_byte(r);
	return rec_fix(tmp);
}

static void rec_load(const prog_t *p, size_t i, uint8_t tmp[REC_MAX])
{
	size_t len = p->rec[i].len < REC_MAX ? p->rec[i].len : REC_MAX;
	memset(tmp, 0, REC_MAX);  /* operands the new layout may need read as zero */
	memcpy(tmp, p->d + p->rec[i].off, len);
}

/* One operand byte of record i gets a new value; or its opcode changes
 * (the operand bytes are reread under the new layout). */
static size_t rec_tweak(rng_t *r, const prog_t *p, size_t i, uint8_t tmp[REC_MAX], bool opcode)
{
	rec_load(p, i, tmp);
	size_t len = p->rec[i].len;
	if (opcode || len < 2) {
		tmp[0] = (uint8_t)rnd(r);
		return rec_fix(tmp);
	}
	size_t at = 1 + below(r, len - 1);
	switch (below(r, 4)) {
	case 0: tmp[at] = (uint8_t)(tmp[at] + 1 + below(r, 4)); break;
	case 1: tmp[at] = (uint8_t)(tmp[at] - 1 - below(r, 4)); break;
	case 2: tmp[at] ^= (uint8_t)(1u << below(r, 8)); break;
	default: tmp[at] = operand_byte(r); break;
	}
	return rec_fix(tmp);
}

/* libFuzzer's byte mutators confined to one record: dictionary entries and
 * CMP-derived values land in operands without shifting later records. */
static size_t rec_engine_mutate(const prog_t *p, size_t i, uint8_t tmp[REC_MAX])
{
	rec_load(p, i, tmp);
	size_t len = p->rec[i].len < REC_MAX ? p->rec[i].len : REC_MAX;
	engine_mutate(tmp, len, REC_MAX);
	return rec_fix(tmp);
}

/* The compact op (REPEAT count,len: the next len records count times).
 * Wrapping a run of records in a REPEAT, or scaling a REPEAT's count or
 * moving its len by one, builds the many-of-one-shape programs that reach
 * capacity boundaries in one step, and keeps every record whole: only the
 * header record changes. */
static uint32_t repeat_count(const prog_t *p, size_t i, uint8_t *len)
{
	const uint8_t *d = p->d + p->rec[i].off;
	uint32_t c = d[1] == 0xff ? (uint32_t)d[2] | (uint32_t)d[3] << 8 : d[1];
	*len = d[1] == 0xff ? d[4] : d[2];
	return c;
}

static size_t mutate_repeat(rng_t *r, const prog_t *p, uint8_t tmp[REC_MAX], size_t *at, bool *replace)
{
	size_t nr = p->nrec, j = below(r, nr), seen = 0;
	/* a REPEAT of the program, picked uniformly among them */
	for (size_t i = 0; i < nr; i++)
		if (opbin_is_repeat(p->d + p->rec[i].off, p->rec[i].len) && below(r, ++seen) == 0)
			j = i;
	if (!seen || below(r, 3) == 0) {
		/* wrap records j.. in a new REPEAT: count 2..1024, len 1..8 */
		*at = below(r, nr + 1);
		*replace = false;
		return opbin_put_repeat(tmp, (uint32_t)(2 + below(r, (size_t)2 << below(r, 10))),
		                        (uint8_t)(1 + below(r, 8)));
	}
	uint8_t len;
	uint32_t c = repeat_count(p, j, &len);
	switch (below(r, 5)) {
	case 0: c = c < 0x8000 ? 2 * c + 1 : c; break;
	case 1: c /= 2; break;
	case 2: c += 1 + (uint32_t)below(r, 8); break;
	case 3: len = (uint8_t)(len + 1); break;
	default: len = len ? (uint8_t)(len - 1) : 0; break;
	}
	*at = j;
	*replace = true;
	return opbin_put_repeat(tmp, c > 0xffff ? 0xffff : c, len);
}

/* The program with records a and b exchanged. */
static void emit_swapped(out_t *o, const prog_t *p, size_t a, size_t b)
{
	if (a > b) { size_t t = a; a = b; b = t; }
	emit_recs(o, p, 0, a);
	emit_recs(o, p, b, b + 1);
	emit_recs(o, p, a + 1, b);
	if (a != b)
		emit_recs(o, p, a, a + 1);
	emit_recs(o, p, b + 1, p->nrec);
}

static size_t mutate_ops(rng_t *r, const uint8_t *in, size_t n, uint8_t *outbuf, size_t max)
{
	static prog_t p;
	static uint8_t copy[MAX_INPUT + REC_MAX];
	uint8_t tmp[REC_MAX];
	/* the output may alias the input (libFuzzer mutates in place) */
	if (n > MAX_INPUT)
		n = MAX_INPUT;
	memcpy(copy, in, n);
	prog_split(&p, copy, n);
	out_t o = { outbuf, 0, max };
	size_t nr = p.nrec, i = below(r, nr + 1), j = below(r, nr), k;
	unsigned kind = nr ? (unsigned)below(r, LLVMFuzzerMutate ? 11 : 9) : 0;
	bool replace;
	switch (kind) {
	case 0:  /* insert a random record */
		emit_recs(&o, &p, 0, i);
		emit(&o, tmp, rec_random(r, tmp));
		emit_recs(&o, &p, i, nr);
		break;
	case 1:  /* insert a copy of another record */
		emit_recs(&o, &p, 0, i);
		emit_recs(&o, &p, j, j + 1);
		emit_recs(&o, &p, i, nr);
		break;
	case 2:  /* delete a run of 1..4 records */
		k = 1 + below(r, 4);
		emit_recs(&o, &p, 0, j);
		emit_recs(&o, &p, j + k, nr);
		break;
	case 3:  /* duplicate a run of 1..4 records 1..256 times: fill spans, queue
	          * more finalizers than one finalizer block, grow the legacy
	          * tables, sample hundreds of allocations (boundaries that need
	          * hundreds of ops of one shape; each doubling is equally likely) */
		k = 1 + below(r, 4);
		emit_recs(&o, &p, 0, j + k);
		for (size_t t = (size_t)1 << below(r, 9); t > 0; t--)
			emit_recs(&o, &p, j, j + k);
		emit_recs(&o, &p, j + k, nr);
		break;
	case 4:  /* swap two records */
		emit_swapped(&o, &p, i < nr ? i : j, below(r, nr));
		break;
	case 5: case 6: case 7:  /* tweak an operand (7: the opcode) */
		emit_recs(&o, &p, 0, j);
		emit(&o, tmp, rec_tweak(r, &p, j, tmp, kind == 7));
		emit_recs(&o, &p, j + 1, nr);
		break;
	case 8:  /* a REPEAT: wrap a run of records, or scale one's count or len */
		k = mutate_repeat(r, &p, tmp, &i, &replace);
		emit_recs(&o, &p, 0, i);
		emit(&o, tmp, k);
		emit_recs(&o, &p, i + replace, nr);
		break;
	case 9:  /* the engine's byte mutators inside one record */
		emit_recs(&o, &p, 0, j);
		emit(&o, tmp, rec_engine_mutate(&p, j, tmp));
		emit_recs(&o, &p, j + 1, nr);
		break;
	default:  /* the engine's byte mutators on the whole program */
		memcpy(outbuf, copy, n <= max ? n : max);
		return engine_mutate(outbuf, n <= max ? n : max, max);
	}
	return o.n;
}

/* Splice: a prefix of a with a run of b inserted, or a prefix of a
 * followed by a suffix of b; cut at record boundaries of both. */
static size_t crossover_ops(rng_t *r, const uint8_t *a, size_t na, const uint8_t *b,
                            size_t nb, uint8_t *outbuf, size_t max)
{
	static prog_t pa, pb;
	static uint8_t ca[MAX_INPUT + REC_MAX], cb[MAX_INPUT + REC_MAX];
	na = na < MAX_INPUT ? na : MAX_INPUT;
	nb = nb < MAX_INPUT ? nb : MAX_INPUT;
	memcpy(ca, a, na);
	memcpy(cb, b, nb);
	prog_split(&pa, ca, na);
	prog_split(&pb, cb, nb);
	out_t o = { outbuf, 0, max };
	size_t i = below(r, pa.nrec + 1), j = below(r, pb.nrec + 1);
	emit_recs(&o, &pa, 0, i);
	if (below(r, 2)) {
		emit_recs(&o, &pb, j, j + 1 + below(r, 16));
		emit_recs(&o, &pa, i, pa.nrec);
	} else {
		emit_recs(&o, &pb, j, pb.nrec);
	}
	return o.n;
}

#ifndef AF_AFL_MUTATOR_LIB
static size_t crossover_bytes(rng_t *r, const uint8_t *a, size_t na, const uint8_t *b,
                              size_t nb, uint8_t *outbuf, size_t max)
{
	size_t i = below(r, na + 1), j = below(r, nb + 1);
	if (i > max)
		i = max;
	size_t tail = nb - j < max - i ? nb - j : max - i;
	memcpy(outbuf, a, i);
	memcpy(outbuf + i, b + j, tail);
	return i + tail;
}

static bool op_mutations(void)
{
	static int enabled = -1;
	if (enabled < 0) {
		const char *e = getenv("AF_MUTATOR");
		enabled = opbin_split && opbin_reclen && opbin_is_repeat && opbin_put_repeat && !(e && strcmp(e, "0") == 0);
	}
	return enabled;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
                                 uint8_t *out, size_t max, unsigned int seed);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned int seed)
{
	if (!op_mutations())
		return LLVMFuzzerMutate ? engine_mutate(data, size, max) : size;
	rng_t r = { seed };
	size_t n = mutate_ops(&r, data, size, data, max);
	return n ? n : mutate_ops(&r, data, 0, data, max);  /* never hand back nothing */
}

size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
                                 uint8_t *out, size_t max, unsigned int seed)
{
	rng_t r = { seed };
	if (!op_mutations())
		return crossover_bytes(&r, d1, s1, d2, s2, out, max);
	return crossover_ops(&r, d1, s1, d2, s2, out, max);
}
#else
/* AFL++ custom mutator API (docs/custom_mutators.md): one mutant per call,
 * a stack of 1..4 op mutations, or a splice with add_buf (another queue
 * entry) a quarter of the time. The output buffer is ours. */
typedef struct afl_mut {
	rng_t r;
	uint8_t *buf, *tmp;
	size_t cap;
} afl_mut_t;

/* The library is built with hidden visibility so that the linker can drop
 * what the mutator does not use (ops_bin.c's encoder and its references);
 * only these three are exported. */
#define AFL_API __attribute__((visibility("default")))
AFL_API void *afl_custom_init(void *afl, unsigned int seed);
AFL_API size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                               uint8_t *add_buf, size_t add_buf_size, size_t max_size);
AFL_API void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed)
{
	(void)afl;
	afl_mut_t *m = calloc(1, sizeof *m);
	if (m)
		m->r.s = seed;
	return m;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
                       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
	afl_mut_t *m = data;
	if (max_size > (1u << 20))
		max_size = 1u << 20;
	if (m->cap < max_size) {
		free(m->buf);
		free(m->tmp);
		m->buf = malloc(max_size);
		m->tmp = malloc(max_size);
		m->cap = m->buf && m->tmp ? max_size : 0;
		if (!m->cap) {
			*out_buf = buf;
			return buf_size;
		}
	}
	size_t n;
	if (add_buf && add_buf_size && below(&m->r, 4) == 0) {
		n = crossover_ops(&m->r, buf, buf_size, add_buf, add_buf_size, m->buf, max_size);
	} else {
		n = buf_size < max_size ? buf_size : max_size;
		memcpy(m->buf, buf, n);
		for (size_t t = 1 + below(&m->r, 4); t > 0; t--) {
			n = mutate_ops(&m->r, m->buf, n, m->tmp, max_size);
			memcpy(m->buf, m->tmp, n);
		}
	}
	*out_buf = m->buf;
	return n;
}

void afl_custom_deinit(void *data)
{
	afl_mut_t *m = data;
	if (m) {
		free(m->buf);
		free(m->tmp);
		free(m);
	}
}
#endif
