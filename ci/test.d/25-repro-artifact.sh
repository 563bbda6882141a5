#!/usr/bin/env bash
# ci/repro takes what ClusterFuzzLite uploads and keeps to OSS-Fuzz's limits:
# a slow input laid out as the artifact crashes-fuzz_ops (zip of
# address/timeout-<sha1> + .summary) must be found in the zip, its target
# inferred, its summary printed, and reported as a timeout within the limit
# (--timeout 2 here; the input runs far longer). About 10 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# A 256 KiB object of pointer words (the binary form's per-object bound) and
# an 8 MiB noscan one, collected and checked 50000 times (about 8 s in the
# default build). (asm runs what it assembles, so only the head is assembled;
# the gc+check pair is the bytes the second program adds to the first,
# repeated.)
printf 'a = alloc 262144 ptrs=32768\nroot 0 a\nb = alloc 8388608\nroot 1 b\n' >"$tmp/head.ops"
{ cat "$tmp/head.ops"; printf 'gc\ncheck\n'; } >"$tmp/pair.ops"
build/default/allocfuzz asm -o "$tmp/head.bin" "$tmp/head.ops"
build/default/allocfuzz asm -o "$tmp/pair.bin" "$tmp/pair.ops"
n=$(stat -c %s "$tmp/head.bin")
tail -c +$(( n + 1 )) "$tmp/pair.bin" >"$tmp/gc_check.bin"
cp "$tmp/head.bin" "$tmp/slow.bin"
python3 -c 'import sys; sys.stdout.buffer.write(open(sys.argv[1], "rb").read() * 50000)' \
  "$tmp/gc_check.bin" >>"$tmp/slow.bin"
sha=$(sha1sum <"$tmp/slow.bin" | cut -c1-40)
mkdir -p "$tmp/art/address"
cp "$tmp/slow.bin" "$tmp/art/address/timeout-$sha"
echo "/github/workspace/build-out/fuzz_ops -timeout=25 -runs=100 /testcase" >"$tmp/art/address/timeout-$sha.summary"
(cd "$tmp/art" && zip -q -r "$tmp/crashes-fuzz_ops.zip" .)
t0=$SECONDS
rc=0; ci/repro --timeout 2 "$tmp/crashes-fuzz_ops.zip" >"$tmp/log" 2>&1 || rc=$?
took=$(( SECONDS - t0 ))
fail() { echo "repro-artifact: $*" >&2; tail -n 20 "$tmp/log" >&2; exit 1; }
[ "$rc" = 1 ] || fail "exit $rc, expected 1 (reproduces)"
grep -q "summary (address build)" "$tmp/log" || fail "the .summary was not printed"
grep -q "program (fuzz_ops," "$tmp/log" || fail "target not inferred as fuzz_ops"
grep -q "fails: timeout (over 2 s in fuzz_ops_replay)" "$tmp/log" || fail "not reported as a timeout"
echo "repro-artifact: crashes-fuzz_ops.zip -> fuzz_ops, summary shown, timeout within --timeout 2 (${took}s in all)"
