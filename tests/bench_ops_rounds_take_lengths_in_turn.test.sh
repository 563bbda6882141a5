#!/usr/bin/env bash
# allocfuzz bench ops (ci/bench's time-per-op figure) runs every length in each round
# and reports one line per length (with the heap its programs end with) and the
# flatness of the rounds' medians;
# a bad --rounds or too many lengths is a usage error, not a run.
set -euo pipefail
out=$("$1/allocfuzz" bench ops --ops 60 --rounds 3 --lengths 5,20)
clean='^ops [0-9]* records: [0-9]* programs, [0-9]* ops, .* us/op; at a program.s end [0-9]* KiB live of [0-9]* KiB committed (mean of [1-9][0-9]*)$'
[ "$(grep -c "$clean" <<<"$out")" = 2 ] || { echo "want one clean line per length: $out"; exit 1; }
# the heap is read from the programs' ends: live within committed, and the
# seeded 200-record programs end with more committed than the 5-record ones
heap=$("$1/allocfuzz" bench ops --ops 600 --rounds 3 --lengths 5,200 |
	awk '/ records:/ { for (i = 1; i <= NF; i++) if ($i == "live") print $(i - 2), $(i + 2) }')
read -r live5 sys5 live200 sys200 <<<"$(tr '\n' ' ' <<<"$heap")"
[ "$live5" -le "$sys5" ] && [ "$live200" -le "$sys200" ] && [ "$sys200" -gt "$sys5" ] ||
	{ echo "heap at the end: 5 records $live5 of $sys5 KiB, 200 records $live200 of $sys200 KiB"; exit 1; }
# --cap bounds the heap the programs end with
sys=$("$1/allocfuzz" bench ops --cap 1048576 --ops 400 --rounds 1 --lengths 200 |
	awk '/ records:/ { for (i = 1; i <= NF; i++) if ($i == "committed") print $(i - 2) }')
[ "$sys" -gt 0 ] && [ "$sys" -le 1024 ] || { echo "--cap 1048576: $sys KiB committed"; exit 1; }
# at least one program per length per round: with a budget of one op per
# round, 3 rounds run more programs than 1
progs() { "$1/allocfuzz" bench ops --ops "$2" --rounds "$2" --lengths 5 | awk '/^ops 5 records:/ { print $4 }'; }
p1=$(progs "$1" 1) p3=$(progs "$1" 3)
[ "$p3" -ge 3 ] && [ "$p3" -gt "$p1" ] || { echo "5 records: $p1 programs in 1 round, $p3 in 3"; exit 1; }
grep -q '^ops flatness: slowest/fastest = [0-9.]* (medians of 3 rounds)$' <<<"$out" ||
	{ echo "no flatness line: $out"; exit 1; }
rc=0; err=$("$1/allocfuzz" bench ops --lengths 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17 2>&1 >/dev/null) || rc=$?
[ "$rc" = 2 ] && grep -q "at most 16 lengths" <<<"$err" || { echo "17 lengths: rc $rc: $err"; exit 1; }
rc=0; err=$("$1/allocfuzz" bench ops --rounds 0 2>&1 >/dev/null) || rc=$?
[ "$rc" = 2 ] && grep -q "rounds is 1" <<<"$err" || { echo "--rounds 0: rc $rc: $err"; exit 1; }
echo ok
