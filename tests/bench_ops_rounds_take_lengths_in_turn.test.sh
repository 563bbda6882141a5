#!/usr/bin/env bash
# bench ops (ci/bench's time-per-op figure) runs every length in each round
# and reports one line per length and the flatness of the rounds' medians;
# a bad --rounds is a usage error, not a run. `allocfuzz bench ops` is the same.
set -euo pipefail
out=$("$1/bench" ops --ops 60 --rounds 3 --lengths 5,20)
[ "$(grep -c '^ops [0-9]* records: [0-9]* programs, [0-9]* ops, .* us/op$' <<<"$out")" = 2 ] ||
	{ echo "want one clean line per length: $out"; exit 1; }
# at least one program per length per round: with a budget of one op per
# round, 3 rounds run more programs than 1
progs() { "$1/bench" ops --ops "$2" --rounds "$2" --lengths 5 | awk '/^ops 5 records:/ { print $4 }'; }
p1=$(progs "$1" 1) p3=$(progs "$1" 3)
[ "$p3" -ge 3 ] && [ "$p3" -gt "$p1" ] || { echo "5 records: $p1 programs in 1 round, $p3 in 3"; exit 1; }
grep -q '^ops flatness: slowest/fastest = [0-9.]* (medians of 3 rounds)$' <<<"$out" ||
	{ echo "no flatness line: $out"; exit 1; }
# the same benchmark through the command-line tool
"$1/allocfuzz" bench ops --ops 10 --rounds 1 --lengths 5 | grep -q '^ops 5 records: ' ||
	{ echo "allocfuzz bench ops: no figure"; exit 1; }
rc=0; err=$("$1/bench" ops --rounds 0 2>&1 >/dev/null) || rc=$?
[ "$rc" = 2 ] && grep -q "rounds is 1" <<<"$err" || { echo "--rounds 0: rc $rc: $err"; exit 1; }
echo ok
