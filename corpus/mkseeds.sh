#!/usr/bin/env bash
# corpus/mkseeds.sh ALLOCFUZZ OUTDIR: compiles the readable seeds into the
# seed corpus of every target, OUTDIR/<target>/ (called by the build). Which
# target gets which seeds: its input kind in harness/targets.txt.
#   corpus/scenarios/*.ops  -> every "ops" target (allocfuzz asm)
#   corpus/pageheap/*.ph    -> every "pageheap" target (encoded below)
#   corpus/threads/*.thr    -> every "threads" target (encoded below)
# Seeds are never hand-edited binaries: change the readable source.
set -euo pipefail
af=$1 out=$2
src=$(cd "$(dirname "$0")" && pwd)
targets() { awk -v want="$1" '!/^[ \t]*(#|$)/ && $2 == want { print $1 }' "$src/../harness/targets.txt"; }
mapfile -t ops < <(targets ops)
mapfile -t ph < <(targets pageheap)
mapfile -t th < <(targets threads)
mapfile -t sc < <(targets sizeclass)
for t in "${ops[@]}" "${ph[@]}" "${th[@]}" "${sc[@]}"; do
  rm -rf "$out/$t.tmp"; mkdir -p "$out/$t.tmp"
done
# asm runs each program with the fuzz targets' heap options, not the ones a
# file's "# run-with:" line names (OPS.md), so a program that needs those
# (e.g. a small --cap for NOMEM) fails its expect lines here, harmlessly: the
# binary seed carries no expect lines. That note is dropped for such files;
# any other file's note is a real problem with the seed and is shown.
# A program asm cannot encode (the allocator under test broke it: an alloc
# it needs failed) is left out with its report, and the others still become
# seeds: a changed allocator is fuzzed from every seed that still runs. The
# exit status is then 1, so a clean tree's build still fails on a bad seed.
log=$out/asm.log skipped=0
for f in "$src"/scenarios/*.ops; do
  n=$(basename "$f" .ops)
  if ! "$af" asm -o "$out/$n.bin" "$f" 2>"$log"; then
    echo "mkseeds: $f: not compiled, left out of the seeds:" >&2; cat "$log" >&2
    skipped=$((skipped + 1)); rm -f "$out/$n.bin"; continue
  fi
  if [ -s "$log" ] && ! grep -q '^# run-with:' "$f"; then
    echo "mkseeds: $f:" >&2; cat "$log" >&2
  fi
  for t in "${ops[@]}"; do cp "$out/$n.bin" "$out/$t.tmp/$n"; done
  rm -f "$out/$n.bin"
done
# encode_each DIR EXT AWKPROG TARGET...: each corpus/DIR/*.EXT through the
# awk encoder AWKPROG into the seed dir of every TARGET.
encode_each() {
  local dir=$1 ext=$2 prog=$3 f n t; shift 3
  for f in "$src/$dir"/*."$ext"; do
    [ -e "$f" ] || continue
    n=$(basename "$f" ."$ext")
    LC_ALL=C awk "$prog" "$f" > "$out/seed.bin"
    for t in "$@"; do cp "$out/seed.bin" "$out/$t.tmp/$n"; done
    rm -f "$out/seed.bin"
  done
}
# fuzz_pageheap: byte 0 = heap; then op bytes as harness/fuzz_pageheap.c
# decodes them (alloc: 0, then N-1 < 64 as one byte, else 0x80|0xc0 + N-1
# big-endian; free I: 1 I; scavenge: 2; freelast: 3).
encode_each pageheap ph '
    function b(v) { printf "%c", v }
    /^[ \t]*(#|$)/ { next }
    $1 == "heap"     { b($2); next }
    $1 == "alloc"    { b(0); n = $2 - 1
                       if (n < 64) b(n)
                       else { b(n < 1024 ? 128 : 192); b(int(n / 256)); b(n % 256) }
                       next }
    $1 == "free"     { b(1); b($2); next }
    $1 == "scavenge" { b(2); next }
    $1 == "freelast" { b(3); next }
    { print FILENAME ":" NR ": unknown op " $1 > "/dev/stderr"; exit 1 }
  ' "${ph[@]}"
# fuzz_threads: byte 0 = heap (Ps - 2 | lazy << 2 | legacy << 3), then the
# binary op form (harness/OPS.md) with exact operands; selectors count from
# the newest object in the P's view (OPS.md, "Threads"). A trailing xN
# repeats a line N times.
encode_each threads thr '
    function b(v) { printf "%c", v }
    function le(v, k,  i) { for (i = 0; i < k; i++) { b(v % 256); v = int(v / 256) } }
    function sel(s) { if (s == "nil") b(255); else if (s < 254) b(s); else { b(254); le(s, 2) } }
    function off(v) { b(255); le(v, 4) }
    function one() {
      if ($1 == "heap")          { b(($2 - 2) + ($3 == "lazy") * 4 + ($4 == "legacy") * 8) }
      else if ($1 == "proc")     { b(9); b(128 + $2) }
      else if ($1 == "alloc")    { b(0); b(255); le($2, 4); b(253); le($3 + 0, 4) }
      else if ($1 == "free")     { b(1); sel($2) }
      else if ($1 == "store")    { b(2); sel($2); le($3, 2); sel($4); off(0) }
      else if ($1 == "root")     { b(3); b($2); sel($3); off(0) }
      else if ($1 == "setfin")   { b(4); sel($2); off($3)
                                   if ($4 == "keep") b(0); else if ($4 == "refin") b(3)
                                   else { split($4, r, ":"); b(2 + 4 * r[2]) } }
      else if ($1 == "clearfin") { b(5); sel($2) }
      else if ($1 == "gc")       { b(6) }
      else if ($1 == "sweep")    { b(7); b($2 + 0) }
      else if ($1 == "runfin")   { b(8) }
      else if ($1 == "profrate") { b(10); b(255); le($2, 4) }
      else if ($1 == "stack")    { b(11); b($2) }
      else if ($1 == "check")    { b(12) }
      else if ($1 == "scavenge") { b(13) }
      else { print FILENAME ":" FNR ": unknown op " $1 > "/dev/stderr"; exit 1 }
    }
    { sub(/#.*/, "") }
    /^[ \t]*$/ { next }
    { k = 1; if ($NF ~ /^x[0-9]+$/) { k = substr($NF, 2); NF-- }
      for (j = 0; j < k; j++) one() }
  ' "${th[@]}"
# fuzz_sizeclass: 8-byte little-endian records ARG << 2 | MODE (one a line of
# corpus/sizeclass/*.sc; the file's header says what each mode queries).
encode_each sizeclass sc '
    function b(v) { printf "%c", v }
    function le(v, k,  i) { for (i = 0; i < k; i++) { b(v % 256); v = int(v / 256) } }
    { sub(/#.*/, "") }
    /^[ \t]*$/ { next }
    $1 == "small" { le($2 * 4, 8); next }
    $1 == "roundup" { le($2 * 4 + 1, 8); next }
    $1 == "nearmax" { le($2 * 4 + 2, 8); next }
    $1 == "objindex" { le($2 * 4 + 3, 8); next }
    { print FILENAME ":" FNR ": unknown query " $1 > "/dev/stderr"; exit 1 }
  ' "${sc[@]}"
rm -f "$log"
for t in "${ops[@]}" "${ph[@]}" "${th[@]}" "${sc[@]}"; do
  rm -rf "$out/$t"; mv "$out/$t.tmp" "$out/$t"
done
if [ "$skipped" -gt 0 ]; then
  echo "mkseeds: $skipped program(s) of corpus/scenarios left out of the seeds (above)" >&2
  exit 1
fi
