#!/usr/bin/env bash
# Every scenario under corpus/scenarios/ (programs with expect lines, one per
# semantic rule of the GC issue and per error) holds when run through
# `allocfuzz run` in every mode: eager and lazy sweep, span and legacy
# specials, and both twins (span+legacy, eager+lazy in lockstep).
# Usage: scenarios_hold_in_every_mode.test.sh BUILD_DIR
set -u
af="$1/allocfuzz"
dir="$(cd "$(dirname "$0")/.." && pwd)/corpus/scenarios"
modes=("--sweep eager --specials span" "--sweep lazy --specials span"
       "--sweep eager --specials legacy" "--sweep lazy --specials legacy"
       "--twin specials" "--twin sweep" "--twin specials --sweep lazy")
fails=0 runs=0
for f in "$dir"/*.ops; do
  for m in "${modes[@]}"; do
    runs=$((runs + 1))
    if ! out=$("$af" run $m "$f" 2>&1); then
      echo "FAIL: allocfuzz run $m $f" >&2
      echo "$out" | sed 's/^/  | /' >&2
      fails=$((fails + 1))
    fi
  done
done
[ "$runs" -gt 0 ] || { echo "no scenarios in $dir" >&2; exit 1; }
echo "scenarios: $runs runs, $fails failed"
exit $((fails > 0))
