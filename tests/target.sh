#!/usr/bin/env bash
# CTest tests of one fuzz target, from its kept corpus (corpus/<target>/) and
# its compiled seeds (BUILD_DIR/corpus/<target>/, the `seeds` fixture):
#   replay  corpus/<target>: every input passes through <target>_replay.
#           Regressions are tests of their own (regression/<target>/<file>).
#           Exits 77 (skipped) when the target has no inputs.
#   smoke   fuzz-smoke/<target> (fuzz preset): libFuzzer runs 2000 inputs or
#           10 s from the seeds and dictionary with a fixed seed, so a target
#           that crashes on start, rejects its seeds or hangs fails in seconds.
# Usage: tests/target.sh replay|smoke BUILD_DIR TARGET
set -euo pipefail
mode=${1:?usage: target.sh replay|smoke BUILD_DIR TARGET}
build=${2:?usage: target.sh replay|smoke BUILD_DIR TARGET}
t=${3:?usage: target.sh replay|smoke BUILD_DIR TARGET}
source "$(dirname "$0")/../ci/lib.sh"
af_sanitizer_env
mapfile -t dirs < <(af_seed_dirs "$t" "$(basename "$build")")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

if [ "$mode" = replay ]; then
  [ ${#dirs[@]} -gt 0 ] || { echo "corpus: $t: no corpus or seeds"; exit 77; }
  if { "$build/${t}_replay" "${dirs[@]}" >"$tmp/log" 2>&1; } 2>/dev/null; then
    echo "corpus: $t: $(grep -c '^ok ' "$tmp/log") inputs pass"
    exit 0
  fi
  echo "corpus: $t: FAILED on $(grep -a '^replay: .*bytes)' "$tmp/log" | tail -n 1 | sed 's/^replay: //')"
  tail -n 30 "$tmp/log"
  exit 1
fi

runs=${AF_SMOKE_RUNS:-2000} secs=${AF_SMOKE_SECONDS:-10}
dict=(); d=$(af_dict "$t"); [ -n "$d" ] && dict=(-dict="$d")
mkdir -p "$tmp/new"
# New inputs go to the scratch dir (first), never into the seed dirs.
if { "$build/$t" -runs="$runs" -max_total_time="$secs" -seed=1 -timeout=25 \
       -artifact_prefix="$tmp/" -print_final_stats=1 "${dict[@]}" "$tmp/new" "${dirs[@]}" >"$tmp/log" 2>&1; } 2>/dev/null; then
  echo "fuzz-smoke: $t: $(grep -a -o 'stat::number_of_executed_units: [0-9]*' "$tmp/log" | grep -o '[0-9]*$') runs, $(grep -a -o 'cov: [0-9]*' "$tmp/log" | tail -n 1)"
  exit 0
fi
tail -n 40 "$tmp/log"
echo "fuzz-smoke: $t FAILED (reproduce: ci/repro --target $t <the crash file named above>)"
exit 1
