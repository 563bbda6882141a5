#!/usr/bin/env bash
# allocfuzz bench specials runs (both designs, both record kinds) and prints
# each row of commit 020b39c3's table beside the port's measurement.
set -euo pipefail
out=$("$1/allocfuzz" bench specials)
for row in "finalizers old" "finalizers new" "profile old" "profile new"; do
  grep -q "^$row .* B" <<<"$out" || { echo "missing row: $row"; echo "$out"; exit 1; }
done
# the span design has no per-heap table: its cost is linear in the records
for kind in finalizer profile; do
  read -r n1 n1000 n100000 < <(awk -v k=$kind '$1=="span" && $2==k {print $3, $4, $5}' <<<"$out")
  [ "$((n1 * 1000))" = "$n1000" ] && [ "$((n1 * 100000))" = "$n100000" ] ||
    { echo "span $kind not linear: $n1 $n1000 $n100000"; exit 1; }
done
