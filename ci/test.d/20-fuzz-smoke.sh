#!/usr/bin/env bash
# Every fuzz target builds with libFuzzer and fuzzes: 2000 runs or 10 s per
# target from its seeds and dictionary, with a fixed seed (reproducible), so a
# target that crashes on start, rejects its seeds or hangs fails CI in seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
source ci/lib.sh
runs=${AF_SMOKE_RUNS:-2000} secs=${AF_SMOKE_SECONDS:-10}
mapfile -t targets < <(af_targets)
[ ${#targets[@]} -gt 0 ] || { echo "fuzz-smoke: no targets"; exit 0; }
af_build fuzz "" "${targets[@]}"
af_compile_seeds fuzz >/dev/null
af_sanitizer_env
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
for t in "${targets[@]}"; do
  mapfile -t seeds < <(af_seed_dirs "$t" fuzz)
  dict=(); d=$(af_dict "$t"); [ -n "$d" ] && dict=(-dict="$d")
  mkdir -p "$tmp/$t"
  # New inputs go to the scratch dir (first), never into the seed dirs.
  if { "build/fuzz/$t" -runs="$runs" -max_total_time="$secs" -seed=1 -timeout=25 \
         -artifact_prefix="$tmp/" -print_final_stats=1 "${dict[@]}" "$tmp/$t" "${seeds[@]}" >"$tmp/$t.log" 2>&1; } 2>/dev/null; then
    echo "fuzz-smoke: $t: $(grep -a -o 'stat::number_of_executed_units: [0-9]*' "$tmp/$t.log" | grep -o '[0-9]*$') runs, $(grep -a -o 'cov: [0-9]*' "$tmp/$t.log" | tail -n 1)"
  else
    tail -n 40 "$tmp/$t.log" >&2
    echo "fuzz-smoke: $t FAILED (reproduce: ci/repro --target $t <the crash file named above>)" >&2
    fail=1
  fi
done
exit $fail
