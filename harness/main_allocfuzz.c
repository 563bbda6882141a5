/*
 * allocfuzz: the command-line tool. Runs op programs (text or binary) on
 * the real heap(s) and the reference model with every check, converts
 * between the two forms, and runs the benchmarks.
 *
 *   allocfuzz run [options] FILE...    exit 0: all held; 1: a difference; 2: input error
 *   allocfuzz asm [options] FILE       text -> binary
 *   allocfuzz disasm [options] FILE    binary -> text
 *   allocfuzz bench exec|malloc|specials|ops|pages ...
 */
#include "harness/exec.h"
#include "harness/ops.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/bench.h"
#include "alloc/testing.h"
#include "oracles/sampling.h"


static const char *const usage_top =
	"usage: allocfuzz COMMAND [options] ...\n"
	"\n"
	"commands:\n"
	"  run FILE...      run op programs (.ops text or binary) on the heap and the model\n"
	"  asm FILE         convert a text program to the binary form\n"
	"  disasm FILE      convert a binary program to text (objects h0, h1, ...)\n"
	"  bench KIND ...   benchmarks: exec (executor execs/s), malloc, specials, ops, pages\n"
	"\n"
	"'allocfuzz COMMAND --help' describes each. The op language: harness/OPS.md.\n";

static const char *const usage_opts =
	"heap options:\n"
	"  --procs N            number of Ps (1..8, default 4)\n"
	"  --sweep eager|lazy   sweep mode (default eager)\n"
	"  --specials span|legacy  finalizer/profile records (default span)\n"
	"  --twin specials|sweep   two heaps in lockstep: span+legacy, or eager+lazy\n"
	"  --cap BYTES          heap cap (default 16 MiB)\n"
	"  --profrate N         initial MemProfileRate (default 0: off)\n"
	"  --text | --binary    force the input form (default: .ops files and\n"
	"                       printable programs are text, the rest binary)\n";

/* Which heap options were given (a file's "# run-with:" fills the rest). */
enum { SET_PROCS = 1, SET_SWEEP = 2, SET_SPECIALS = 4, SET_TWIN = 8, SET_CAP = 16, SET_PROFRATE = 32 };

typedef struct opts {
	exec_config_t cfg;
	unsigned set;      /* SET_* */
	int form;          /* 0 auto, 't' text, 'b' binary */
	const char *out;   /* -o */
	bool profile_lines; /* run --profile-lines */
	char **files;
	int nfiles;
} opts_t;

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "allocfuzz %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see 'allocfuzz %s --help')\n", cmd);
	return 2;
}

/* One option that takes a value (a, its value v); 0 or 2 (usage error). */
static int parse_value_opt(const char *cmd, const char *a, const char *v, opts_t *o)
{
	char *end;
	if (!strcmp(a, "-o")) {
		o->out = v;
	} else if (!strcmp(a, "--procs")) {
		long n = strtol(v, &end, 10);
		if (*end || n < 1 || n > HEAP_MAX_PROCS)
			return usage_error(cmd, "--procs: 1..8, not '%s'", v);
		o->cfg.nprocs = (int)n;
		o->set |= SET_PROCS;
	} else if (!strcmp(a, "--sweep")) {
		if (strcmp(v, "eager") && strcmp(v, "lazy"))
			return usage_error(cmd, "--sweep: eager or lazy, not '%s'", v);
		o->cfg.sweep = v[0] == 'l' ? HEAP_SWEEP_LAZY : HEAP_SWEEP_EAGER;
		o->set |= SET_SWEEP;
	} else if (!strcmp(a, "--specials")) {
		if (strcmp(v, "span") && strcmp(v, "legacy"))
			return usage_error(cmd, "--specials: span or legacy, not '%s'", v);
		o->cfg.specials = v[0] == 'l' ? HEAP_SPECIALS_LEGACY : HEAP_SPECIALS_SPAN;
		o->set |= SET_SPECIALS;
	} else if (!strcmp(a, "--twin")) {
		if (strcmp(v, "specials") && strcmp(v, "sweep"))
			return usage_error(cmd, "--twin: specials or sweep, not '%s'", v);
		o->cfg.mode = v[1] == 'p' ? EXEC_TWIN_SPECIALS : EXEC_TWIN_SWEEP;
		o->set |= SET_TWIN;
	} else if (!strcmp(a, "--cap")) {
		unsigned long long n = strtoull(v, &end, 0);
		if (*end || n == 0)
			return usage_error(cmd, "--cap: a byte count, not '%s'", v);
		o->cfg.cap_bytes = (size_t)n;
		o->set |= SET_CAP;
	} else {
		long long n = strtoll(v, &end, 0);
		if (*end || n < 0)
			return usage_error(cmd, "--profrate: a rate >= 0, not '%s'", v);
		o->cfg.profrate = n;
		o->set |= SET_PROFRATE;
	}
	return 0;
}

/* Parses the shared options; returns 0, 1 (--help printed) or 2. */
static int parse_opts(const char *cmd, const char *help, int argc, char **argv, opts_t *o)
{
	memset(o, 0, sizeof *o);
	o->files = argv;   /* the FILE arguments, compacted in place */
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(help, stdout);
			fputs(usage_opts, stdout);
			return 1;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			o->cfg.verbose = true;
		} else if (!strcmp(a, "--profile-lines") && !strcmp(cmd, "run")) {
			o->profile_lines = true;
		} else if (!strcmp(a, "--text")) {
			o->form = 't';
		} else if (!strcmp(a, "--binary")) {
			o->form = 'b';
		} else if (!strcmp(a, "-o") || !strcmp(a, "--procs") || !strcmp(a, "--sweep") ||
		           !strcmp(a, "--specials") || !strcmp(a, "--twin") || !strcmp(a, "--cap") ||
		           !strcmp(a, "--profrate")) {
			if (!v)
				return usage_error(cmd, "%s needs a value", a);
			i++;
			int rc = parse_value_opt(cmd, a, v, o);
			if (rc)
				return rc;
		} else if (a[0] == '-' && a[1]) {
			return usage_error(cmd, "unknown option '%s'", a);
		} else {
			o->files[o->nfiles++] = argv[i];
		}
	}
	return 0;
}

static uint8_t *read_all(const char *path, size_t *n)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		fprintf(stderr, "allocfuzz: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap + 1);
	for (size_t k; buf && (k = fread(buf + len, 1, cap - len, f)) > 0;) {
		len += k;
		if (len == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	}
	if (f != stdin)
		fclose(f);
	if (!buf) {
		fprintf(stderr, "allocfuzz: out of memory\n");
		return NULL;
	}
	buf[len] = 0;
	*n = len;
	return buf;
}

static bool is_text(const opts_t *o, const char *path, const uint8_t *d, size_t n)
{
	if (o->form)
		return o->form == 't';
	size_t l = strlen(path);
	if (l > 4 && !strcmp(path + l - 4, ".ops"))
		return true;
	return ops_looks_like_text(d, n);
}

/* Parses a text program, printing FILE:LINE: on an error. */
static bool parse_file(const char *path, const uint8_t *d, size_t n, program_t *p)
{
	ops_error_t err;
	program_init(p);
	p->path = strdup(path);
	if (ops_parse_text((const char *)d, n, p, &err))
		return true;
	fprintf(stderr, "%s:%u: input error: %s\n", path, err.line, err.msg);
	return false;
}

/* A text program may name the heap options it needs in a comment line
 * "# run-with: OPTIONS" (e.g. a small --cap). Options given on the command
 * line win; the file's fill in the rest. Returns false on a bad line. */
static bool apply_run_with(const char *path, const uint8_t *d, size_t n, const opts_t *cmd,
                           exec_config_t *cfg)
{
	static const char key[] = "# run-with:";
	*cfg = cmd->cfg;
	for (const char *line = (const char *)d; line && line < (const char *)d + n;) {
		const char *nl = memchr(line, '\n', (size_t)((const char *)d + n - line));
		size_t len = nl ? (size_t)(nl - line) : (size_t)((const char *)d + n - line);
		if (len > sizeof key - 1 && !strncmp(line, key, sizeof key - 1)) {
			char *buf = strndup(line + sizeof key - 1, len - (sizeof key - 1));
			char *args[32];
			int na = 0;
			for (char *t = strtok(buf, " \t\r"); t && na < 32; t = strtok(NULL, " \t\r"))
				args[na++] = t;
			opts_t fo;
			int rc = parse_opts("run", "", na, args, &fo);
			bool ok = rc == 0 && fo.nfiles == 0;
			free(buf);
			if (!ok) {
				fprintf(stderr, "%s: bad '# run-with:' line\n", path);
				return false;
			}
			unsigned take = fo.set & ~cmd->set;
			if (take & SET_PROCS) cfg->nprocs = fo.cfg.nprocs;
			if (take & SET_SWEEP) cfg->sweep = fo.cfg.sweep;
			if (take & SET_SPECIALS) cfg->specials = fo.cfg.specials;
			if (take & SET_TWIN) cfg->mode = fo.cfg.mode;
			if (take & SET_CAP) cfg->cap_bytes = fo.cfg.cap_bytes;
			if (take & SET_PROFRATE) cfg->profrate = fo.cfg.profrate;
		}
		line = nl ? nl + 1 : NULL;
	}
	return true;
}

/* --profile-lines: the heap profile's totals after every gc op (what Go's
 * runtime.MemProfile shows after runtime.GC(); ci/gocheck compares them). */
typedef struct profile_lines {
	const program_t *prog;
	unsigned ngc;
} profile_lines_t;

static void sum_bucket(const heap_bucket_t *b, void *ctx)
{
	heap_bucket_t *t = ctx;
	t->allocs += b->allocs;
	t->alloc_bytes += b->alloc_bytes;
	t->frees += b->frees;
	t->free_bytes += b->free_bytes;
}

static void print_profile(exec_t *ex, size_t opindex, void *ctx)
{
	profile_lines_t *pl = ctx;
	heap_bucket_t t = { 0 };
	if (opindex >= pl->prog->nops || pl->prog->ops[opindex].code != OP_GC)
		return;
	heap_profile(exec_heap(ex, 0), sum_bucket, &t);
	/* heap_profile finishes a lazy sweep: do it in a twin's other heap too,
	 * or the two heaps leave lockstep (the next span comes from a sweep in
	 * one and from the free pages in the other). Its totals must agree. */
	heap_t *h;
	for (int lane = 1; (h = exec_heap(ex, lane)) != NULL; lane++) {
		heap_bucket_t u = { 0 };
		heap_profile(h, sum_bucket, &u);
		if (u.allocs != t.allocs || u.alloc_bytes != t.alloc_bytes ||
		    u.frees != t.frees || u.free_bytes != t.free_bytes)
			printf("gc %u profile: heap %d differs from heap 0\n", pl->ngc + 1, lane);
	}
	printf("gc %u profile: allocs %llu %llu frees %llu %llu\n", ++pl->ngc,
	       (unsigned long long)t.allocs, (unsigned long long)t.alloc_bytes,
	       (unsigned long long)t.frees, (unsigned long long)t.free_bytes);
}

/* Runs one text program on ex, or on heaps of its own when the file says
 * "# run-with:" options that differ from the command line's. */
static exec_status_t run_text(exec_t *ex, const opts_t *o, const char *path, const uint8_t *d, size_t n)
{
	program_t p;
	exec_config_t fc;
	exec_t *fx = ex;
	exec_status_t st = EXEC_INPUT;
	if (!apply_run_with(path, d, n, o, &fc)) {
		program_init(&p);
	} else if (parse_file(path, d, n, &p)) {
		if (fc.nprocs != o->cfg.nprocs || fc.sweep != o->cfg.sweep ||
		    fc.specials != o->cfg.specials || fc.mode != o->cfg.mode ||
		    fc.cap_bytes != o->cfg.cap_bytes || fc.profrate != o->cfg.profrate)
			fx = exec_new(&fc);
		profile_lines_t pl = { &p, 0 };
		if (fx && o->profile_lines)
			exec_set_op_hook(fx, print_profile, &pl);
		st = fx ? exec_run_program(fx, &p, NULL) : EXEC_INPUT;
		if (fx)
			exec_set_op_hook(fx, NULL, NULL);
		if (st != EXEC_OK && fx)
			fputs(exec_report(fx), stderr);
		if (fx != ex)
			exec_destroy(fx);
	}
	program_free(&p);
	return st;
}

static int cmd_run(int argc, char **argv)
{
	static const char help[] =
		"usage: allocfuzz run [options] FILE...\n"
		"Runs each program on the heap(s) and the reference model in lockstep with every\n"
		"check. Prints, for each gc, 'gc N finalized: NAMES' and 'gc N freed: NAMES'\n"
		"(names sorted; objects of binary programs are h0, h1, ... in allocation order).\n"
		"Exit status: 0 every check held; 1 a difference (the report goes to stderr);\n"
		"2 a usage or input error.\n"
		"  -v                   trace every op with its result\n"
		"  --profile-lines      after each gc of a text program, print the heap profile's\n"
		"                       totals over all stacks (the first heap):\n"
		"                       'gc N profile: allocs A B frees F G' (objects, bytes)\n";
	opts_t o;
	int rc = parse_opts("run", help, argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (!o.nfiles)
		return usage_error("run", "%s", "no FILE given");
	o.cfg.out = stdout;
	exec_t *ex = exec_new(&o.cfg);
	if (!ex)
		return 2;
	int worst = 0;
	for (int i = 0; i < o.nfiles; i++) {
		size_t n;
		uint8_t *d = read_all(o.files[i], &n);
		if (!d) {
			worst = 2;
			continue;
		}
		if (o.nfiles > 1)
			printf("== %s\n", o.files[i]);
		exec_status_t st;
		if (is_text(&o, o.files[i], d, n)) {
			st = run_text(ex, &o, o.files[i], d, n);
		} else {
			st = exec_run_binary(ex, d, n, NULL);
			if (st != EXEC_OK)
				fputs(exec_report(ex), stderr);
		}
		fflush(stdout);
		free(d);
		if (st == EXEC_INPUT)
			worst = 2;
		else if (st == EXEC_DIFF && worst == 0)
			worst = 1;
	}
	exec_destroy(ex);
	return worst;
}

/* asm (text -> binary) and disasm (binary -> text). Both run the program:
 * binary objects are positions in the live set at the time an op runs. */
static int cmd_convert(int argc, char **argv, bool to_binary)
{
	static const char help_asm[] =
		"usage: allocfuzz asm [options] [-o OUT] FILE\n"
		"Converts a text program to the binary form (to OUT or stdout). Objects are\n"
		"encoded by their position in the live set, so the program is run on the\n"
		"heap and the model while it is assembled; expect lines are dropped. The\n"
		"heap options must match the ones the binary will run with.\n";
	static const char help_disasm[] =
		"usage: allocfuzz disasm [options] [-o OUT] FILE\n"
		"Converts a binary program to .ops text (to OUT or stdout): the ops that run,\n"
		"with objects named h0, h1, ... in allocation order; ops the decoder skips\n"
		"(no live object, a free that would dangle) are left out. Objects are resolved\n"
		"by running the program, so the heap options must match the original run.\n";
	const char *cmd = to_binary ? "asm" : "disasm";
	opts_t o;
	int rc = parse_opts(cmd, to_binary ? help_asm : help_disasm, argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (o.nfiles != 1)
		return usage_error(cmd, "%s", "exactly one FILE");
	size_t n;
	uint8_t *d = read_all(o.files[0], &n);
	program_t p;
	program_init(&p);
	o.cfg.keep_going = true;
	exec_t *ex = NULL;
	if (!d || (to_binary && !parse_file(o.files[0], d, n, &p)) || !(ex = exec_new(&o.cfg))) {
		rc = 2;
		goto out;
	}
	opbuf_t bin = { 0 };
	exec_status_t st = to_binary ? exec_run_program(ex, &p, &bin) : exec_run_binary(ex, d, n, &p);
	if (st == EXEC_INPUT) {
		fputs(exec_report(ex), stderr);
		rc = 2;
	} else {
		if (st == EXEC_DIFF)
			fprintf(stderr, "allocfuzz %s: note: the program does not run clean:\n%s", cmd,
			        exec_report(ex));
		FILE *f = !o.out || !strcmp(o.out, "-") ? stdout : fopen(o.out, "wb");
		if (!f)
			fprintf(stderr, "allocfuzz: %s: %s\n", o.out, strerror(errno));
		else if (to_binary)
			rc = fwrite(bin.buf, 1, bin.len, f) == bin.len ? 0 : 2;
		else
			program_print(&p, f);
		if (!f)
			rc = 2;
		else if (f != stdout)
			fclose(f);
	}
	opbuf_free(&bin);
out:
	program_free(&p);
	exec_destroy(ex);
	free(d);
	return rc;
}

/* ---- bench exec: the executor's own speed on a corpus ---- */

typedef struct input { uint8_t *d; size_t n; bool text; char *path; } input_t;
static input_t *inputs;
static size_t ninputs, capinputs;

static void collect(const opts_t *o, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		struct dirent **ents;
		int n = scandir(path, &ents, NULL, alphasort);
		for (int i = 0; i < n; i++) {
			if (ents[i]->d_name[0] != '.') {
				char sub[4096];
				snprintf(sub, sizeof sub, "%s/%s", path, ents[i]->d_name);
				collect(o, sub);
			}
			free(ents[i]);
		}
		if (n >= 0)
			free(ents);
		return;
	}
	size_t n;
	uint8_t *d = read_all(path, &n);
	if (!d)
		return;
	if (ninputs == capinputs) {
		capinputs = capinputs ? 2 * capinputs : 64;
		inputs = realloc(inputs, capinputs * sizeof *inputs);
	}
	inputs[ninputs++] = (input_t){ d, n, is_text(o, path, d, n), strdup(path) };
}

/* The collected inputs parsed, text ones as programs; a text input that is
 * not a valid program runs as bytes. */
static program_t *parse_inputs(void)
{
	program_t *progs = calloc(ninputs, sizeof *progs);
	for (size_t i = 0; i < ninputs; i++) {
		ops_error_t err;
		program_init(&progs[i]);
		if (inputs[i].text && !ops_parse_text((const char *)inputs[i].d, inputs[i].n, &progs[i], &err))
			inputs[i].text = false;
	}
	return progs;
}

/* Runs every input again and again for secs CPU seconds, prints the rates
 * and frees the inputs; returns the number of runs that were not clean. */
static uint64_t bench_exec_loop(exec_t *ex, double secs)
{
	program_t *progs = parse_inputs();
	uint64_t execs = 0, diffs = 0, ops0 = exec_ops_run(ex);
	double t0 = bench_cpu_s(), t;
	do {
		for (size_t i = 0; i < ninputs; i++, execs++) {
			exec_status_t st = inputs[i].text ? exec_run_program(ex, &progs[i], NULL)
			                                  : exec_run_binary(ex, inputs[i].d, inputs[i].n, NULL);
			diffs += st != EXEC_OK;
		}
		t = bench_cpu_s() - t0;
	} while (t < secs);
	uint64_t ops = exec_ops_run(ex) - ops0;
	printf("bench exec: %zu inputs, %llu execs in %.2f s: %.0f execs/s, %.0f ops/s (%llu runs not clean)\n",
	       ninputs, (unsigned long long)execs, t, execs / t, ops / t, (unsigned long long)diffs);
	for (size_t i = 0; i < ninputs; i++) {
		program_free(&progs[i]);
		free(inputs[i].d);
		free(inputs[i].path);
	}
	free(progs);
	free(inputs);
	return diffs;
}

static int bench_exec(int argc, char **argv)
{
	static const char help[] =
		"usage: allocfuzz bench exec [options] [--seconds S] [--skip-checks LIST] [DIR|FILE...]\n"
		"Measures the executor: runs every program below the paths (default: corpus)\n"
		"again and again for S CPU seconds (default 3) with heaps reset between\n"
		"inputs, and prints execs and ops per CPU second. Programs with a difference\n"
		"still count; the exit status is then 1.\n"
		"--skip-checks LIST  do not compute these checks, to price them in one build\n"
		"                    (comma-separated: legacy_tables, lazy_grow_before_reclaim,\n"
		"                    sampling, heap_check, observe)\n";
	double secs = 3;
	char **rest = calloc((size_t)argc + 1, sizeof *rest);
	int nrest = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (!strcmp(argv[i], "--skip-checks") && i + 1 < argc) {
			heap_skip_checks = argv[++i];
			samp_skip = strstr(heap_skip_checks, "sampling") != NULL;
		} else
			rest[nrest++] = argv[i];
	}
	opts_t o;
	int rc = parse_opts("bench exec", help, nrest, rest, &o);
	if (rc) {
		free(rest);
		return rc == 1 ? 0 : 2;
	}
	if (!o.nfiles)
		collect(&o, "corpus");
	for (int i = 0; i < o.nfiles; i++)
		collect(&o, o.files[i]);
	free(rest);   /* o.files pointed into it */
	if (!ninputs) {
		fprintf(stderr, "allocfuzz bench exec: no inputs\n");
		return 2;
	}
	exec_t *ex = exec_new(&o.cfg);
	if (!ex)
		return 2;
	uint64_t diffs = bench_exec_loop(ex, secs);
	exec_destroy(ex);
	return diffs ? 1 : 0;
}

static int cmd_bench(int argc, char **argv)
{
	static const char help[] =
		"usage: allocfuzz bench KIND [options]\n"
		"  exec       the executor's execs/s on a corpus (allocfuzz bench exec --help)\n"
		"  malloc     the allocator's fast paths (allocfuzz bench malloc --help)\n"
		"  specials   span specials vs the legacy design (allocfuzz bench specials --help)\n"
		"  ops        the executor's time per op by program length (allocfuzz bench ops --help)\n"
		"  pages      what writing a page again costs after madvise (allocfuzz bench pages --help)\n";
	if (argc < 1 || !strcmp(argv[0], "-h") || !strcmp(argv[0], "--help")) {
		fputs(help, argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	if (!strcmp(argv[0], "exec"))
		return bench_exec(argc - 1, argv + 1);
	if (!strcmp(argv[0], "malloc"))
		return bench_malloc_main(argc, argv);
	if (!strcmp(argv[0], "specials"))
		return bench_specials_main(argc, argv);
	if (!strcmp(argv[0], "ops"))
		return bench_ops_main(argc, argv);
	if (!strcmp(argv[0], "pages"))
		return bench_pages_main(argc, argv);
	return usage_error("bench", "unknown benchmark '%s'", argv[0]);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage_top, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(cmd, "asm") || !strcmp(cmd, "disasm"))
		return cmd_convert(argc - 2, argv + 2, cmd[0] == 'a');
	if (!strcmp(cmd, "bench"))
		return cmd_bench(argc - 2, argv + 2);
	fprintf(stderr, "allocfuzz: unknown command '%s'\n%s", cmd, usage_top);
	return 2;
}
