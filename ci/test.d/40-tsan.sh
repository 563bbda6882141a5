#!/usr/bin/env bash
# ThreadSanitizer: the tsan preset (clang TSan+UBSan, debug asserts and the
# lock-rank check) builds; its CTest suite passes (the threaded tests run
# under TSan); every target's kept corpus and compiled seeds replay through
# its <target>_replay without a report, fuzz_threads' seeds with the Ps on
# threads of their own. Prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/../.."
source ci/lib.sh
af_sanitizer_env
t0=$SECONDS
af_step "tsan: configure+build"
af_build tsan
af_step "tsan: ctest"
ctest --test-dir build/tsan --output-on-failure -j "$(nproc)"
fail=0
for t in $(af_targets); do
  mapfile -t dirs < <(af_seed_dirs "$t" tsan)
  [ ${#dirs[@]} -gt 0 ] || { echo "tsan replay: $t: no corpus or seeds"; continue; }
  log=$(mktemp)
  if { "build/tsan/${t}_replay" "${dirs[@]}" >"$log" 2>&1; } 2>/dev/null; then
    echo "tsan replay: $t: $(grep -c '^ok ' "$log") inputs pass"
  else
    echo "tsan replay: $t: FAILED on $(grep -a '^replay: .*bytes)' "$log" | tail -n 1 | sed 's/^replay: //')" >&2
    tail -n 40 "$log" >&2
    fail=1
  fi
  rm -f "$log"
done
echo "tsan: $((SECONDS - t0)) s"
exit $fail
