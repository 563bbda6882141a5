#!/usr/bin/env bash
# ci/bench's libFuzzer rate (harness/floor/lf_clock.c): with AF_LF_CLOCK=H, a
# libFuzzer build replaying -runs=R FILE... counts each file's runs after its
# first H and prints them with their CPU time at exit; without it, nothing.
# Only where the libFuzzer builds exist (the fuzz preset).
set -euo pipefail
[ -x "$1/fuzz_floor" ] || { echo "no libFuzzer build here"; exit 77; }
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
printf 'abc' >"$d/a"; printf 'defgh' >"$d/b"; printf 'ijk\001' >"$d/c"
export ASAN_OPTIONS=detect_leaks=0
out=$(AF_LF_CLOCK=2 "$1/fuzz_floor" -runs=5 "$d/a" "$d/b" "$d/c" 2>&1)
grep -q '^lf-clock: 9 runs in [0-9.]* s CPU$' <<<"$out" ||
	{ echo "want 3 files x (5 - 2) counted runs: $(grep lf-clock <<<"$out")"; exit 1; }
out=$("$1/fuzz_floor" -runs=5 "$d/a" 2>&1)
! grep -q 'lf-clock' <<<"$out" || { echo "a line without AF_LF_CLOCK"; exit 1; }
echo ok
