#!/usr/bin/env bash
# CTest regression/<target>/<file>: one kept regression input still passes,
# replayed through <target>_replay of the build directory (a .ops program is
# assembled with allocfuzz first). CMakeLists.txt registers one test per file
# of corpus/regressions/<target>/ (a .ops beside a .bin of the same name is
# the binary's text form and is not replayed twice; .txt and .md are notes).
# Usage: tests/regression.sh BUILD_DIR FILE
set -u
build=${1:?usage: regression.sh BUILD_DIR FILE}
f=${2:?usage: regression.sh BUILD_DIR FILE}
t=$(basename "$(dirname "$f")")
drv="$build/${t}_replay"
[ -x "$drv" ] || { echo "FAIL $f: no ${t}_replay in $build (a regression for a target that does not build?)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
in=$f
if [ "${f%.ops}" != "$f" ]; then
  if ! "$build/allocfuzz" asm "$f" >"$tmp/in.bin" 2>"$tmp/asm.log"; then
    echo "FAIL $f: allocfuzz asm: $(head -n 1 "$tmp/asm.log")"; exit 1
  fi
  in="$tmp/in.bin"
fi
if ! { "$drv" "$in" >"$tmp/out.log" 2>&1; } 2>/dev/null; then
  echo "FAIL $f: $(grep -m1 -i -E 'difference|error|mismatch|abort' "$tmp/out.log" || tail -n 1 "$tmp/out.log")"
  tail -n 30 "$tmp/out.log"
  exit 1
fi
echo "regression $(basename "$f"): passes"
