#!/usr/bin/env bash
# allocfuzz bench ops (ci/bench's time-per-op figure) runs every length in each round
# and reports one line per length and the flatness of the rounds' medians;
# a bad --rounds or too many lengths is a usage error, not a run.
set -euo pipefail
out=$("$1/allocfuzz" bench ops --ops 60 --rounds 3 --lengths 5,20)
[ "$(grep -c '^ops [0-9]* records: [0-9]* programs, [0-9]* ops, .* us/op$' <<<"$out")" = 2 ] ||
	{ echo "want one clean line per length: $out"; exit 1; }
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
