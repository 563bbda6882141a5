#!/usr/bin/env bash
# CTest fuzz-smoke/<target> (fuzz preset): the target fuzzes with libFuzzer
# for 2000 runs or 10 s from its seeds (the `seeds` fixture) and dictionary,
# with a fixed seed (reproducible), so a target that crashes on start,
# rejects its seeds or hangs fails CI in seconds.
# Usage: tests/fuzz_smoke.sh BUILD_DIR TARGET
set -euo pipefail
build=${1:?usage: fuzz_smoke.sh BUILD_DIR TARGET}
t=${2:?usage: fuzz_smoke.sh BUILD_DIR TARGET}
src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/ci/lib.sh"
af_sanitizer_env
runs=${AF_SMOKE_RUNS:-2000} secs=${AF_SMOKE_SECONDS:-10}
seeds=()
for d in "$src/corpus/$t" "$build/corpus/$t"; do
  [ -d "$d" ] && [ -n "$(ls -A "$d" 2>/dev/null)" ] && seeds+=("$d")
done
dict=(); d=$(af_dict "$t"); [ -n "$d" ] && dict=(-dict="$d")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/new"
# New inputs go to the scratch dir (first), never into the seed dirs.
if { "$build/$t" -runs="$runs" -max_total_time="$secs" -seed=1 -timeout=25 \
       -artifact_prefix="$tmp/" -print_final_stats=1 "${dict[@]}" "$tmp/new" "${seeds[@]}" >"$tmp/log" 2>&1; } 2>/dev/null; then
  echo "fuzz-smoke: $t: $(grep -a -o 'stat::number_of_executed_units: [0-9]*' "$tmp/log" | grep -o '[0-9]*$') runs, $(grep -a -o 'cov: [0-9]*' "$tmp/log" | tail -n 1)"
else
  tail -n 40 "$tmp/log"
  echo "fuzz-smoke: $t FAILED (reproduce: ci/repro --target $t <the crash file named above>)"
  exit 1
fi
