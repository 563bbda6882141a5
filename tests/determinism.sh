#!/usr/bin/env bash
# CTest determinism (coverage preset): every corpus file (scenarios, compiled
# seeds, regressions) gives byte-identical `allocfuzz run -v` output and exit
# status in the default, asan and coverage builds, and in the fuzz
# (libFuzzer+ASan+UBSan instrumentation) and afl (afl-clang-fast) builds when
# they have an allocfuzz (ci/test builds both), in two sweep/specials modes.
# Exits 77 (skipped) when the default or asan build has no allocfuzz (ci/test
# builds them first).
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
builds=("$src/build/default" "$src/build/asan" "$build")
for b in fuzz afl; do
  [ -x "$src/build/$b/allocfuzz" ] && builds+=("$src/build/$b")
done
echo "determinism: builds compared: $(for b in "${builds[@]}"; do printf '%s ' "$(basename "$b")"; done)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0 bad=0
for f in "${files[@]}"; do
  for mode in "--sweep eager --specials span" "--sweep lazy --specials legacy"; do
    for b in "${builds[@]}"; do
      o=$tmp/$(basename "$b")
      # A failing program is part of the trace: its exit status is compared too.
      # shellcheck disable=SC2086
      if "$b/allocfuzz" run -v $mode "$f" >"$o" 2>&1; then rc=0; else rc=$?; fi
      echo "exit $rc" >>"$o"
    done
    n=$((n + 1))
    differs=()
    for b in "${builds[@]:1}"; do
      cmp -s "$tmp/default" "$tmp/$(basename "$b")" || differs+=("$(basename "$b")")
    done
    if [ ${#differs[@]} -gt 0 ]; then
      bad=$((bad + 1))
      echo "determinism: $f ($mode) differs between default and: ${differs[*]}"
      for c in "${differs[@]}"; do diff "$tmp/default" "$tmp/$c" | head -5 || true; done
    fi
  done
done
echo "determinism: $((n - bad)) passed, $bad failed"
[ "$bad" -eq 0 ] && [ "$n" -gt 0 ]
