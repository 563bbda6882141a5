#!/usr/bin/env bash
# CTest corpus/<target>: every kept input of the target passes: corpus/<target>/
# and the compiled seeds (BUILD_DIR/corpus/<target>/, the `seeds` fixture)
# replayed through <target>_replay of the build. Regressions are tests of
# their own (regression/<target>/<file>). Exits 77 (skipped) when the target
# has no inputs.
# Usage: tests/corpus.sh BUILD_DIR TARGET
set -euo pipefail
build=${1:?usage: corpus.sh BUILD_DIR TARGET}
t=${2:?usage: corpus.sh BUILD_DIR TARGET}
src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/ci/lib.sh"
af_sanitizer_env
dirs=()
for d in "$src/corpus/$t" "$build/corpus/$t"; do
  [ -d "$d" ] && [ -n "$(ls -A "$d" 2>/dev/null)" ] && dirs+=("$d")
done
[ ${#dirs[@]} -gt 0 ] || { echo "corpus: $t: no corpus or seeds"; exit 77; }
log=$(mktemp); trap 'rm -f "$log"' EXIT
if { "$build/${t}_replay" "${dirs[@]}" >"$log" 2>&1; } 2>/dev/null; then
  echo "corpus: $t: $(grep -c '^ok ' "$log") inputs pass"
else
  echo "corpus: $t: FAILED on $(grep -a '^replay: .*bytes)' "$log" | tail -n 1 | sed 's/^replay: //')"
  tail -n 30 "$log"
  exit 1
fi
