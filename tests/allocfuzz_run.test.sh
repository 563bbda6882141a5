#!/usr/bin/env bash
# allocfuzz run / asm / disasm as users meet them: exit status 0 / 1 / 2, the
# per-gc lines with sorted names, the -v trace, input errors with FILE:LINE,
# and the difference report. Usage: allocfuzz_run.test.sh BUILD_DIR
set -u
af="$1/allocfuzz"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect_rc RC NAME CMD...: runs CMD, keeps stdout/stderr in $tmp/out, $tmp/err
expect_rc() {
  local want=$1 name=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  [ "$rc" = "$want" ] || { fail "$name: exit $rc, want $want"; sed 's/^/  | /' "$tmp/err" >&2; }
}
has() { grep -qF -- "$2" "$tmp/$1" || fail "$3: '$2' not in $1"; }

# --- a finalizer cycle: c is queued by gc 1, freed by gc 2; a, b live (root)
cat >"$tmp/fin.ops" <<'EOF'
a = alloc 100 ptrs=3
b = alloc 8
c = alloc 40 ptrs=1
store a.2 b+4       # interior pointer keeps b
root 3 a
setfin c keep
gc
expect finalized c
expect live a b c
runfin
gc
expect dead c
EOF
expect_rc 0 "finalizer cycle" "$af" run "$tmp/fin.ops"
cat >"$tmp/want" <<'EOF'
gc 1 finalized: c
gc 1 freed:
gc 2 finalized:
gc 2 freed: c
EOF
diff -u "$tmp/want" "$tmp/out" >&2 || fail "finalizer cycle: gc lines"
for m in "--sweep lazy" "--specials legacy" "--twin specials" "--twin sweep" "--procs 1"; do
  expect_rc 0 "finalizer cycle $m" "$af" run $m "$tmp/fin.ops"
  diff -q "$tmp/want" "$tmp/out" >/dev/null || fail "finalizer cycle $m: gc lines differ"
done

# --- names are sorted naturally (h2 before h10), whatever the order of allocation
{ for i in $(seq 0 11); do echo "x$((11 - i)) = alloc 24"; done; echo gc; } >"$tmp/sort.ops"
expect_rc 0 "sorted names" "$af" run "$tmp/sort.ops"
has out "gc 1 freed: x0 x1 x2 x3 x4 x5 x6 x7 x8 x9 x10 x11" "sorted names"

# --- -v traces every op with its result
expect_rc 0 "-v" "$af" run -v "$tmp/fin.ops"
[ "$(grep -c -- ' -> \|^[0-9]*: ' "$tmp/out")" -ge 10 ] || fail "-v: too few trace lines"
has out "0: a = alloc 100 ptrs=3 -> OK" "-v"
has out "runfin -> ran 1" "-v"

# --- a failed expectation is a difference: exit 1 with the report
printf 'a = alloc 32\nsetfin a keep\ngc\nexpect finalized\n' >"$tmp/bad_expect.ops"
expect_rc 1 "failed expect" "$af" run "$tmp/bad_expect.ops"
has err "DIFFERENCE at op 3 (line 4): expect finalized" "failed expect"
has err "last 4 ops:" "failed expect"
printf 'a = alloc 16 ptrs=3\nexpect err OK\n' >"$tmp/bad_err.ops"
expect_rc 1 "expect err" "$af" run "$tmp/bad_err.ops"
has err "previous op returned BADARG" "expect err"

# --- input errors: exit 2 with FILE:LINE
printf 'a = alloc 32\ngc\nfree a\n' >"$tmp/dead.ops"
expect_rc 2 "dead object" "$af" run "$tmp/dead.ops"
has err "dead.ops:3: input error: 'a' is dead" "dead object"
printf 'a = alloc 32\ngc\nexpect dead a\n' >"$tmp/dead_ok.ops"
expect_rc 0 "expect may name the dead" "$af" run "$tmp/dead_ok.ops"
printf 'p = alloc 32 ptrs=1\nq = alloc 32\nstore p.0 q\nroot 0 p\nfree q\n' >"$tmp/dangle.ops"
expect_rc 2 "free of a referenced object" "$af" run "$tmp/dangle.ops"
has err "dangle.ops:5: input error" "free of a referenced object"
printf '# comment\n\na = alloc\n' >"$tmp/syntax.ops"
expect_rc 2 "syntax" "$af" run "$tmp/syntax.ops"
has err "syntax.ops:3: input error: usage: NAME = alloc SIZE [ptrs=K]" "syntax"
printf 'a = alloc 8\nstore a.0 nil\n' >"$tmp/slot.ops"
expect_rc 2 "no pointer slot" "$af" run "$tmp/slot.ops"
expect_rc 2 "unknown option" "$af" run --bogus "$tmp/fin.ops"
expect_rc 2 "missing file" "$af" run "$tmp/nonexistent.ops"
expect_rc 2 "no command" "$af"

# --- --help on every subcommand
for c in "" run asm disasm bench "bench exec"; do
  expect_rc 0 "help $c" "$af" $c --help
  has out "usage: allocfuzz" "help $c"
done

# --- heap_reset between programs restores the configured profile rate
# (regression: a rate set by one program leaked into the next)
printf 'profrate 1\na = alloc 100\ngc\n' >"$tmp/prof.ops"
printf 'a = alloc 100\ngc\ncheck\n' >"$tmp/plain.ops"
expect_rc 0 "reset restores profrate" "$af" run "$tmp/prof.ops" "$tmp/plain.ops"

# --- "# run-with:" options apply unless the command line gives them
printf '# run-with: --cap 1048576\na = alloc 524288\nb = alloc 786432\nexpect err NOMEM\n' >"$tmp/cap.ops"
expect_rc 0 "run-with cap" "$af" run "$tmp/cap.ops"
expect_rc 1 "command line beats run-with" "$af" run --cap 4194304 "$tmp/cap.ops"
printf '# run-with: --bogus\n' >"$tmp/badrw.ops"
expect_rc 2 "bad run-with" "$af" run "$tmp/badrw.ops"

# --- asm then disasm names objects h0, h1, ... and keeps the program
expect_rc 0 "asm" "$af" asm "$tmp/fin.ops" -o "$tmp/fin.bin"
expect_rc 0 "disasm" "$af" disasm "$tmp/fin.bin"
cat >"$tmp/want" <<'EOF'
h0 = alloc 100 ptrs=3
h1 = alloc 8
h2 = alloc 40 ptrs=1
store h0.2 h1+4
root 3 h0
setfin h2 keep
gc
runfin
gc
EOF
diff -u "$tmp/want" "$tmp/out" >&2 || fail "disasm of asm"
expect_rc 0 "run binary" "$af" run "$tmp/fin.bin"
has out "gc 1 finalized: h2" "run binary"

[ "$fails" = 0 ] && echo "allocfuzz_run: all passed"
exit $((fails > 0))
