#!/usr/bin/env bash
# Every kept regression input still passes: each file under
# corpus/regressions/<target>/ is replayed through <target>_replay of the build
# directory given as $1 (a .ops program is assembled with allocfuzz first; a
# .ops beside a .bin of the same name is the binary's text form and is not
# replayed twice; .txt files are notes). Fails naming every input that fails.
set -u
build=${1:?usage: regressions.test.sh BUILD_DIR}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0 failed=()
for dir in "$src"/corpus/regressions/*/; do
  [ -d "$dir" ] || continue
  t=$(basename "$dir")
  drv="$build/${t}_replay"
  if [ ! -x "$drv" ]; then
    failed+=("$t: no ${t}_replay in $build (a regression for a target that does not build?)")
    continue
  fi
  for f in "$dir"*; do
    [ -f "$f" ] || continue
    case "$f" in
      *.txt) continue ;;
      *.ops)
        [ -e "${f%.ops}.bin" ] && continue
        if ! "$build/allocfuzz" asm "$f" >"$tmp/in.bin" 2>"$tmp/asm.log"; then
          failed+=("${f#"$src"/}: allocfuzz asm: $(head -n 1 "$tmp/asm.log")"); continue
        fi
        in="$tmp/in.bin" ;;
      *) in=$f ;;
    esac
    n=$((n + 1))
    if ! { "$drv" "$in" >"$tmp/out.log" 2>&1; } 2>/dev/null; then
      failed+=("${f#"$src"/}: $(grep -m1 -i -E 'difference|error|mismatch|abort' "$tmp/out.log" || tail -n 1 "$tmp/out.log")")
    fi
  done
done
echo "regressions: replayed $n input(s), ${#failed[@]} failing"
for f in "${failed[@]}"; do echo "FAIL $f"; done
[ ${#failed[@]} -eq 0 ]
