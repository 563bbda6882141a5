// Command gocheck compares allocfuzz with the real Go runtime: every
// program Go can express runs on `allocfuzz run -v` in each mode and on the
// oracle (../oracle), and their observations must be equal. ci/gocheck
// builds both and runs this; see its --help.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var modes = [][]string{
	{}, {"--sweep", "lazy"}, {"--specials", "legacy"},
	{"--twin", "specials"}, {"--twin", "sweep"}, {"--procs", "1"},
}

func modeName(m []string) string {
	if len(m) == 0 {
		return "default"
	}
	return strings.Join(m, " ")
}

type program struct {
	id, origin, text string
}

var (
	allocfuzz, oracle string
	tmp               string
	classes           *classTable
	goVersion         string
	saveDir           string
)

const usage = `usage: gocheck --allocfuzz BIN --oracle BIN --ours TSV --go-classes GO [--gen N] [--seed S] [--save DIR] [PATH...]
Runs .ops programs (files, directories, binary corpora through 'allocfuzz
disasm') and N generated programs on allocfuzz in every mode and on the Go
runtime oracle; prints each disagreement, shrunk, with both outputs side by
side. Exit 1 if any program disagrees (or allocfuzz itself fails one).
`

func main() {
	fs := flag.NewFlagSet("gocheck", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(os.Stderr, usage); fs.PrintDefaults() }
	gen := fs.Int("gen", 0, "generated programs")
	seed := fs.Int64("seed", 1, "generator seed")
	batch := fs.Int("batch", 250, "programs per process")
	fs.StringVar(&saveDir, "save", "", "write each shrunk disagreeing program to this directory")
	emit := fs.String("emit", "", "only write the generated programs to this directory (gen-S-I.ops)")
	fs.StringVar(&allocfuzz, "allocfuzz", "", "allocfuzz binary")
	fs.StringVar(&oracle, "oracle", "", "oracle binary")
	ours := fs.String("ours", "", "reference/go-sizeclasses.tsv")
	goClasses := fs.String("go-classes", "", "the running Go's runtime/sizeclasses.go")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if allocfuzz == "" || oracle == "" || *ours == "" || *goClasses == "" {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	if classes, err = loadClasses(*ours, *goClasses); err != nil {
		fatal("%v", err)
	}
	v, err := exec.Command(oracle, "--version").Output()
	if err != nil {
		fatal("%s --version: %v", oracle, err)
	}
	goVersion = strings.TrimSpace(string(v))
	if tmp, err = os.MkdirTemp("", "gocheck"); err != nil {
		fatal("%v", err)
	}
	defer os.RemoveAll(tmp)

	var progs []program
	for _, p := range fs.Args() {
		progs = append(progs, load(p)...)
	}
	for i := 0; i < *gen; i++ {
		progs = append(progs, program{id: fmt.Sprintf("gen-%d-%d", *seed, i), origin: fmt.Sprintf("--gen (seed %d, #%d)", *seed, i),
			text: generate(*seed<<20 + int64(i))})
	}
	if *emit != "" {
		for _, p := range progs {
			if err := os.WriteFile(filepath.Join(*emit, p.id+".ops"), []byte(p.text), 0o644); err != nil {
				fatal("%v", err)
			}
		}
		return
	}
	os.Exit(check(progs, *batch))
}

func fatal(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "gocheck: "+f+"\n", a...)
	os.Exit(2)
}

// load: an .ops file, a directory (recursively), or a binary program.
func load(path string) []program {
	st, err := os.Stat(path)
	if err != nil {
		fatal("%v", err)
	}
	if st.IsDir() {
		var ps []program
		ents, _ := os.ReadDir(path)
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".md") {
				ps = append(ps, load(filepath.Join(path, e.Name()))...)
			}
		}
		return ps
	}
	if filepath.Ext(path) == ".bin" && fileExists(strings.TrimSuffix(path, ".bin")+".ops") {
		return nil // a regression's text form sits beside it
	}
	data, err := os.ReadFile(path)
	if err != nil {
		fatal("%v", err)
	}
	if !printable(data) {
		out, err := exec.Command(allocfuzz, "disasm", path).Output()
		if err != nil {
			fmt.Fprintf(os.Stderr, "gocheck: %s: allocfuzz disasm failed (%v); skipped\n", path, err)
			return nil
		}
		data = out
	}
	return []program{{id: path, origin: path, text: expandRepeats(string(data))}}
}

// expandRepeats writes out the text form's `repeat N { ... }` blocks
// (harness/OPS.md: nested, each the lines up to its matching `}`, N times)
// as the lines they stand for: the oracle reads plain ops, and the shrinker
// then drops single ops. A malformed block is left as it is, for allocfuzz
// to report as an input error (counted as invalid).
func expandRepeats(text string) string {
	lines := strings.Split(text, "\n")
	out, next, brace, ok := expandBlock(lines, 0)
	if !ok || brace || next != len(lines) || len(out) > 1000000 {
		return text
	}
	return strings.Join(out, "\n")
}

// expandBlock expands lines[i:] up to the end, or up to an unmatched `}`
// (brace true; next is the index after it).
func expandBlock(lines []string, i int) (out []string, next int, brace, ok bool) {
	for i < len(lines) {
		w := strings.Fields(strings.SplitN(lines[i], "#", 2)[0])
		switch {
		case len(w) == 1 && w[0] == "}":
			return out, i + 1, true, true
		case len(w) == 3 && w[0] == "repeat" && w[2] == "{":
			n, err := strconv.Atoi(w[1])
			if err != nil || n < 1 || n > 100000 {
				return nil, 0, false, false
			}
			body, after, closed, ok := expandBlock(lines, i+1)
			if !ok || !closed {
				return nil, 0, false, false
			}
			for k := 0; k < n && len(out) <= 1000000; k++ {
				out = append(out, body...)
			}
			i = after
		default:
			out = append(out, lines[i])
			i++
		}
	}
	return out, i, false, true
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func printable(d []byte) bool {
	for _, c := range d {
		if c != '\n' && c != '\t' && c != '\r' && (c < 32 || c > 126) {
			return false
		}
	}
	return true
}

type outcome struct {
	skip     string   // not expressible (the reason), or invalid
	afFailed string   // allocfuzz's own checks failed (its report)
	mode     []string // the first mode that disagrees
	af, gov  []string // normalized outputs of that mode and Go
}

func check(progs []program, batch int) int {
	total, expressible, agree, invalid := 0, 0, 0, 0
	skipped := map[string]int{}
	failed := 0
	for start := 0; start < len(progs); start += batch {
		end := start + batch
		if end > len(progs) {
			end = len(progs)
		}
		outs := runBatch(progs[start:end])
		for i, o := range outs {
			p := progs[start+i]
			total++
			switch {
			case o.afFailed != "":
				failed++
				fmt.Printf("ALLOCFUZZ FAILS %s (%s):\n%s\n", p.origin, modeName(o.mode), o.afFailed)
			case o.skip == "invalid":
				invalid++
			case o.skip != "":
				skipped[o.skip]++
			case o.af != nil:
				expressible++
				failed++
				report(p, o)
			default:
				expressible++
				agree++
			}
		}
		if len(progs) > batch {
			fmt.Fprintf(os.Stderr, "gocheck: %d/%d programs, %d expressible, %d agree\n", end, len(progs), expressible, agree)
		}
	}
	var reasons []string
	for r := range skipped {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Printf("not expressible (%d): %s\n", skipped[r], r)
	}
	if invalid > 0 {
		fmt.Printf("invalid (allocfuzz input error, not run): %d\n", invalid)
	}
	fmt.Printf("size classes: %s; elemsize comparisons skipped: %d; runs with profile bytes skipped (counts compared): %d\n",
		classes.summary(), classes.skips, classes.profileSkips)
	fmt.Printf("Go: %s; modes: default, --sweep lazy, --specials legacy, --twin specials, --twin sweep, --procs 1\n", goVersion)
	fmt.Printf("%d programs, %d expressible, %d agree\n", total, expressible, agree)
	if failed > 0 {
		return 1
	}
	if total > 0 && expressible == 0 {
		// Nothing was compared: a run that checks nothing must not pass.
		fmt.Println("gocheck: no program was expressible in Go: nothing was compared")
		return 1
	}
	return 0
}

// runBatch: one oracle process and one allocfuzz process per mode for the
// whole batch.
func runBatch(ps []program) []outcome {
	files := make([]string, len(ps))
	var stdin bytes.Buffer
	for i, p := range ps {
		files[i] = filepath.Join(tmp, fmt.Sprintf("p%d.ops", i))
		if err := os.WriteFile(files[i], []byte(p.text), 0o644); err != nil {
			fatal("%v", err)
		}
		fmt.Fprintf(&stdin, "=== %d\n%s\n", i, p.text)
	}
	gov := runOracle(stdin.Bytes(), len(ps))
	outs := make([]outcome, len(ps))
	for _, m := range modes {
		af := runAllocfuzz(m, files)
		for i := range ps {
			o := &outs[i]
			if o.skip != "" || o.afFailed != "" || o.af != nil {
				continue
			}
			o.decide(m, af[i], gov[i])
		}
	}
	return outs
}

// decide: the outcome of one program in mode m, unless an earlier mode
// already settled it.
func (o *outcome) decide(m []string, af afResult, gov []string) {
	switch {
	case af.rc == 2:
		o.skip = "invalid"
	case af.rc != 0:
		o.afFailed, o.mode = af.report, m
	case af.notExpressible != "":
		o.skip = af.notExpressible
	case len(gov) == 1 && strings.HasPrefix(gov[0], "not expressible: "):
		o.skip = strings.TrimPrefix(gov[0], "not expressible: ")
	default:
		a, g := compareForm(af.lines, gov)
		if !equal(a, g) {
			o.mode, o.af, o.gov = m, a, g
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func runOracle(stdin []byte, n int) [][]string {
	cmd := exec.Command(oracle)
	cmd.Stdin = bytes.NewReader(stdin)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		fatal("the oracle failed: %v\n%s", err, errb.String())
	}
	res := make([][]string, n)
	cur := -1
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "=== ") {
			cur, _ = strconv.Atoi(strings.TrimPrefix(l, "=== "))
			continue
		}
		if cur >= 0 && cur < n && l != "" {
			res[cur] = append(res[cur], l)
		}
	}
	return res
}

// afArgs: the trace (alloc offsets, gc lines) and the heap profile at rate
// 1, as the oracle runs, in mode.
func afArgs(mode []string) []string {
	return append([]string{"run", "-v", "--profrate", "1", "--profile-lines"}, mode...)
}

type afResult struct {
	rc             int
	report         string
	lines          []string
	notExpressible string
}

func runAllocfuzz(mode, files []string) []afResult {
	cmd := exec.Command(allocfuzz, append(afArgs(mode), files...)...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, _ := cmd.Output()
	rc := cmd.ProcessState.ExitCode()
	res := make([]afResult, len(files))
	idx := map[string]int{}
	for i, f := range files {
		idx[f] = i
	}
	cur := 0
	var raw [][]string = make([][]string, len(files))
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "== ") && len(files) > 1 {
			cur = idx[strings.TrimPrefix(l, "== ")]
			continue
		}
		raw[cur] = append(raw[cur], l)
	}
	for i := range files {
		res[i] = normalizeAF(raw[i])
	}
	if rc != 0 {
		// which programs failed: run them one by one (rare)
		for i, f := range files {
			c := exec.Command(allocfuzz, append(afArgs(mode), f)...)
			var e bytes.Buffer
			c.Stderr = &e
			c.Run()
			if r := c.ProcessState.ExitCode(); r != 0 {
				res[i].rc, res[i].report = r, e.String()
			}
		}
	}
	return res
}

var (
	reAlloc = regexp.MustCompile(`^\d+: (\S+) = alloc (\S+)(?: ptrs=\S+)? -> (.*)$`)
	reOK    = regexp.MustCompile(`^OK(?: @(\S+))? elemsize (\d+)( tiny)?$`)
	reOp    = regexp.MustCompile(`^\d+: (.*) -> ([A-Z_]+)$`)
)

// normalizeAF turns `allocfuzz run -v` output into the oracle's lines.
func normalizeAF(raw []string) afResult {
	var r afResult
	blocks := map[uint64]string{}
	for _, l := range raw {
		l = strings.TrimRight(l, " ")
		if strings.HasPrefix(l, "gc ") {
			r.lines = append(r.lines, l)
			continue
		}
		if m := reAlloc.FindStringSubmatch(l); m != nil {
			size, _ := strconv.ParseUint(m[2], 0, 64)
			if m[3] == "OK zerobase" {
				r.lines = append(r.lines, fmt.Sprintf("alloc %s 0 zerobase", m[1]))
				continue
			}
			k := reOK.FindStringSubmatch(m[3])
			if k == nil {
				r.notExpressible = fmt.Sprintf("allocfuzz returns %s for an alloc (Go has no such error)", strings.Fields(m[3])[0])
				continue
			}
			line := fmt.Sprintf("alloc %s %d elemsize %s", m[1], size, k[2])
			if k[3] != "" {
				if k[1] == "" {
					line += " tiny ?" // a twin-sweep run prints no address
				} else {
					at, _ := strconv.ParseUint(k[1], 0, 64)
					if at%16 == 0 {
						blocks[at] = m[1]
					}
					line += fmt.Sprintf(" tiny %s+%d", blocks[at&^15], at%16)
				}
			}
			r.lines = append(r.lines, line)
			continue
		}
		if m := reOp.FindStringSubmatch(l); m != nil && m[2] != "OK" {
			r.notExpressible = fmt.Sprintf("allocfuzz returns %s for '%s' (Go throws or has no such error)", m[2], strings.Fields(m[1])[0])
		}
	}
	return r
}

// compareForm: what is compared. Where the two size-class tables round a
// size differently, elemsize is left out on both sides, and so are the
// heap profile's bytes of that program (counted); where the allocfuzz mode
// prints no addresses, so is the tiny placement.
func compareForm(af, gov []string) ([]string, []string) {
	a := append([]string(nil), af...)
	g := append([]string(nil), gov...)
	bytesDiffer := false
	for i := range a {
		f := strings.Fields(a[i])
		if len(f) < 5 || f[0] != "alloc" || f[3] != "elemsize" {
			continue
		}
		size, _ := strconv.ParseUint(f[2], 10, 64)
		same := classes.agree(size)
		for _, side := range [][]string{a, g} {
			if i >= len(side) {
				continue
			}
			s := strings.Fields(side[i])
			if len(s) >= 5 && s[0] == "alloc" && s[1] == f[1] && s[3] == "elemsize" {
				if !same {
					s[4] = "(skipped)"
				}
				if len(f) == 7 && f[6] == "?" && len(s) == 7 {
					s[6] = "?"
				}
				side[i] = strings.Join(s, " ")
			}
		}
		if !same {
			classes.skips++
			bytesDiffer = true
		}
	}
	if bytesDiffer { // profile bytes are class sizes: compare the counts only
		for _, side := range [][]string{a, g} {
			for i, l := range side {
				if f := strings.Fields(l); len(f) == 9 && f[2] == "profile:" {
					f[5], f[8] = "?", "?"
					side[i] = strings.Join(f, " ")
				}
			}
		}
		classes.profileSkips++
	}
	return a, g
}

// report: shrink the program while it still disagrees in the mode that
// showed it, then print it and both outputs side by side.
func report(p program, o outcome) {
	lines := strings.Split(strings.TrimRight(p.text, "\n"), "\n")
	stillBad := func(ls []string) (outcome, bool) {
		text := strings.Join(ls, "\n") + "\n"
		f := filepath.Join(tmp, "shrink.ops")
		os.WriteFile(f, []byte(text), 0o644)
		gov := runOracle([]byte("=== 0\n"+text), 1)
		af := runAllocfuzz(o.mode, []string{f})
		var n outcome
		n.decide(o.mode, af[0], gov[0])
		return n, n.af != nil
	}
	// chunks of halving size; single lines again until none can go
	// (removing a later line may free an earlier alloc)
	for chunk := len(lines) / 2; chunk >= 1; chunk /= 2 {
		for progress := true; progress; {
			progress = false
			for i := 0; i+chunk <= len(lines); {
				try := append(append([]string(nil), lines[:i]...), lines[i+chunk:]...)
				if n, bad := stillBad(try); bad {
					lines, o, progress = try, n, true
					continue
				}
				i += chunk
			}
			progress = progress && chunk == 1
		}
	}
	fmt.Printf("DISAGREEMENT %s, allocfuzz run %s against Go (%s); the program, shrunk:\n", p.origin, modeName(o.mode), goVersion)
	if saveDir != "" {
		save(p, o, lines)
	}
	for _, l := range lines {
		fmt.Printf("    %s\n", l)
	}
	w := 46
	fmt.Printf("  %-*s | %s\n", w, "allocfuzz run "+modeName(o.mode), "Go "+goVersion)
	n := len(o.af)
	if len(o.gov) > n {
		n = len(o.gov)
	}
	for i := 0; i < n; i++ {
		var a, g string
		if i < len(o.af) {
			a = o.af[i]
		}
		if i < len(o.gov) {
			g = o.gov[i]
		}
		mark := " "
		if a != g {
			mark = "*"
		}
		fmt.Printf("%s %-*s | %s\n", mark, w, a, g)
	}
	fmt.Println()
}

// The two size-class tables: the project's reference and the running Go's.
type classTable struct {
	ours, theirs []uint64
	skips        int // alloc lines whose elemsize was not compared
	profileSkips int // program runs whose profile bytes were not compared
}

func loadClasses(oursPath, goPath string) (*classTable, error) {
	t := &classTable{}
	f, err := os.Open(oursPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) >= 2 && !strings.HasPrefix(w[0], "#") {
			v, err := strconv.ParseUint(w[1], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: bad line %q", oursPath, sc.Text())
			}
			t.ours = append(t.ours, v)
		}
	}
	src, err := os.ReadFile(goPath)
	if err != nil {
		return nil, err
	}
	m := regexp.MustCompile(`class_to_size = \[_NumSizeClasses\]uint16\{([0-9, ]+)\}`).FindSubmatch(src)
	if m == nil {
		return nil, fmt.Errorf("%s: no class_to_size table", goPath)
	}
	for _, s := range strings.Split(string(m[1]), ",") {
		v, _ := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if v > 0 {
			t.theirs = append(t.theirs, v)
		}
	}
	return t, nil
}

func roundup(tab []uint64, size uint64) uint64 {
	for _, c := range tab {
		if c >= size {
			return c
		}
	}
	return 0 // large: whole pages in both
}

func (t *classTable) agree(size uint64) bool { return roundup(t.ours, size) == roundup(t.theirs, size) }

func (t *classTable) summary() string {
	differ := 0
	for s := uint64(1); s <= 32768; s++ {
		if !t.agree(s) {
			differ++
		}
	}
	return fmt.Sprintf("our table has %d classes, Go's %d; %d of the sizes 1..32768 round differently (elemsize not compared there)",
		len(t.ours), len(t.theirs), differ)
}

// save writes the shrunk program with a header saying what differs and how
// to reproduce it (the first differing line pair is the finding's signature).
func save(p program, o outcome, lines []string) {
	first := ""
	for i := 0; i < len(o.af) || i < len(o.gov); i++ {
		var a, g string
		if i < len(o.af) {
			a = o.af[i]
		}
		if i < len(o.gov) {
			g = o.gov[i]
		}
		if a != g {
			first = fmt.Sprintf("allocfuzz '%s', Go '%s'", a, g)
			break
		}
	}
	text := strings.Join(lines, "\n") + "\n"
	name := fmt.Sprintf("go-%08x.ops", crc32.ChecksumIEEE([]byte(text)))
	hdr := fmt.Sprintf("# gocheck: disagrees with %s (allocfuzz run %s): %s\n# from %s; reproduce: ci/gocheck THIS_FILE\n",
		goVersion, modeName(o.mode), first, p.origin)
	if err := os.MkdirAll(saveDir, 0o755); err == nil {
		os.WriteFile(filepath.Join(saveDir, name), []byte(hdr+text), 0o644)
	}
}
