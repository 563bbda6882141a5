#!/usr/bin/env bash
# Every kept input passes: corpus/<target>/ and the compiled scenarios
# (build/<preset>/corpus/<target>/) replayed through <target>_replay of the
# default and asan builds (ci/test built both; AF_REPLAY_PRESETS="tsan" for
# others: 40-tsan.sh). Regressions are a CTest of their own
# (tests/regressions.test.sh), so both presets already ran them.
set -euo pipefail
cd "$(dirname "$0")/../.."
source ci/lib.sh
af_sanitizer_env
fail=0
for preset in ${AF_REPLAY_PRESETS:-default asan}; do
  af_compile_seeds "$preset" >/dev/null
  for t in $(af_targets); do
    mapfile -t dirs < <(af_seed_dirs "$t" "$preset")
    [ ${#dirs[@]} -gt 0 ] || { echo "replay: $t: no corpus or seeds"; continue; }
    log=$(mktemp)
    if { "build/$preset/${t}_replay" "${dirs[@]}" >"$log" 2>&1; } 2>/dev/null; then
      echo "replay: $preset/$t: $(grep -c '^ok ' "$log") inputs pass"
    else
      echo "replay: $preset/$t: FAILED on $(grep -a '^replay: .*bytes)' "$log" | tail -n 1 | sed 's/^replay: //')" >&2
      tail -n 30 "$log" >&2
      fail=1
    fi
    rm -f "$log"
  done
done
exit $fail
