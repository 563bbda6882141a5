#!/usr/bin/env bash
# CTest determinism (coverage preset): every corpus file (scenarios, compiled
# seeds, regressions) gives byte-identical `allocfuzz run -v` output in the
# default, asan and coverage builds, in two sweep/specials modes. Exits 77
# (skipped) when the default or asan build has no allocfuzz (ci/test builds
# them first).
# Usage: tests/determinism.sh BUILD_DIR (the coverage build)
set -euo pipefail
build=${1:?usage: determinism.sh BUILD_DIR}
src=$(cd "$(dirname "$0")/.." && pwd)
for b in default asan; do
  [ -x "$src/build/$b/allocfuzz" ] || { echo "determinism: no build/$b/allocfuzz (build the $b preset first)"; exit 77; }
done
export LLVM_PROFILE_FILE=/dev/null
files=("$src"/corpus/scenarios/*.ops "$build"/corpus/fuzz_ops/*)
while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$src/corpus/regressions" -type f ! -name '*.md' ! -name '.keep' -print0)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0 bad=0
for f in "${files[@]}"; do
  for mode in "--sweep eager --specials span" "--sweep lazy --specials legacy"; do
    for b in "$src/build/default" "$src/build/asan" "$build"; do
      # shellcheck disable=SC2086
      "$b/allocfuzz" run -v $mode "$f" > "$tmp/$(basename "$b")" 2>&1 || true
    done
    n=$((n + 1))
    c=$(basename "$build")
    if ! cmp -s "$tmp/default" "$tmp/asan" || ! cmp -s "$tmp/default" "$tmp/$c"; then
      bad=$((bad + 1))
      echo "determinism: $f ($mode) differs between builds:"
      diff "$tmp/default" "$tmp/asan" | head -5 || true
      diff "$tmp/default" "$tmp/$c" | head -5 || true
    fi
  done
done
echo "determinism: $((n - bad)) passed, $bad failed"
[ "$bad" -eq 0 ] && [ "$n" -gt 0 ]
