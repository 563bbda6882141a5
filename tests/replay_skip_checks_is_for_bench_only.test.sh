#!/usr/bin/env bash
# <target>_replay --skip-checks (ci/bench prices the checks with it) is
# refused without --bench, so a replay meant to find bugs never runs with
# checks off; a target without the allocator has none to skip; with --bench
# it runs the inputs and prints its rate.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
in=$src/corpus/bench/fuzz_ops
rc=0; out=$("$1/fuzz_ops_replay" --skip-checks heap_check "$in" 2>&1) || rc=$?
[ "$rc" = 2 ] && grep -q "for --bench only" <<<"$out" || { echo "without --bench: rc $rc: $out"; exit 1; }
rc=0; out=$("$1/fuzz_floor_replay" --bench 1 --skip-checks heap_check "$in" 2>&1) || rc=$?
[ "$rc" = 2 ] && grep -q "no checks to skip" <<<"$out" || { echo "floor: rc $rc: $out"; exit 1; }
out=$("$1/fuzz_ops_replay" --bench 1 --skip-checks heap_check,observe "$in" 2>/dev/null)
grep -q "^bench: [1-9][0-9]* execs" <<<"$out" || { echo "with --bench: $out"; exit 1; }
