#!/usr/bin/env bash
# allocfuzz bench pages (what a page written again after madvise costs: the
# machine's share of what `scavenge` costs the op targets) reports all six
# cases, each a positive time, and refuses a bad size instead of running.
set -euo pipefail
out=$("$1/allocfuzz" bench pages --mib 2 --rounds 1)
for ps in 4k 2m; do
	for how in kept MADV_FREE MADV_DONTNEED; do
		line=$(grep "^pages $ps $how: [0-9.]* us per 4 KiB page written again (2 MiB, median of 1)$" <<<"$out") ||
			{ echo "no line for $ps $how: $out"; exit 1; }
		awk '{ exit !($4 > 0) }' <<<"$line" || { echo "not a positive time: $line"; exit 1; }
	done
done
[ "$(wc -l <<<"$out")" = 6 ] || { echo "want 6 lines: $out"; exit 1; }
rc=0; err=$("$1/allocfuzz" bench pages --mib 1 2>&1 >/dev/null) || rc=$?
[ "$rc" = 2 ] && grep -q "bad argument --mib" <<<"$err" || { echo "--mib 1: rc $rc: $err"; exit 1; }
echo ok
