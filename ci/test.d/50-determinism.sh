#!/usr/bin/env bash
# Determinism: every corpus file (scenarios, compiled seeds, regressions)
# gives byte-identical `allocfuzz run -v` output in the default, asan and
# coverage builds, in every sweep/specials mode. Called by ci/test after the
# default and asan presets are built; builds allocfuzz in the coverage preset.
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake --preset coverage >/dev/null
cmake --build --preset coverage -j "$(nproc)" --target allocfuzz seeds >/dev/null
export LLVM_PROFILE_FILE=/dev/null
files=(corpus/scenarios/*.ops build/default/corpus/fuzz_ops/*)
while IFS= read -r -d '' f; do files+=("$f"); done < <(find corpus/regressions -type f ! -name '*.md' -print0)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0 bad=0
for f in "${files[@]}"; do
  for mode in "--sweep eager --specials span" "--sweep lazy --specials legacy"; do
    for b in default asan coverage; do
      # shellcheck disable=SC2086
      build/$b/allocfuzz run -v $mode "$f" > "$tmp/$b" 2>&1 || true
    done
    n=$((n + 1))
    if ! cmp -s "$tmp/default" "$tmp/asan" || ! cmp -s "$tmp/default" "$tmp/coverage"; then
      bad=$((bad + 1))
      echo "determinism: $f ($mode) differs between builds:" >&2
      diff "$tmp/default" "$tmp/asan" | head -5 >&2 || true
      diff "$tmp/default" "$tmp/coverage" | head -5 >&2 || true
    fi
  done
done
echo "determinism: $((n - bad)) passed, $bad failed"
[ "$bad" -eq 0 ] && [ "$n" -gt 0 ]
