#!/usr/bin/env bash
# ci/fuzz groups findings by bug key (ci/lib.sh af_bug_key): signatures that
# name one heap invariant are one bug, different invariants stay apart, and
# the throw table neither goes stale nor names an invariant the checker does
# not have. Under a second.
set -euo pipefail
cd "$(dirname "$0")/../.."
source ci/lib.sh
fail=0
same() {
  local a b; a=$(af_bug_key "$1"); b=$(af_bug_key "$2")
  [ "$a" = "$b" ] || { echo "bug-keys: '$1' ($a) and '$2' ($b) should be one bug" >&2; fail=1; }
}
apart() {
  local a b; a=$(af_bug_key "$1"); b=$(af_bug_key "$2")
  [ "$a" != "$b" ] || { echo "bug-keys: '$1' and '$2' should stay apart (both $a)" >&2; fail=1; }
}
# One bug, two checks (measured on the plants sweep_skips_special_unlink and
# alloccache_shift_keeps_slot).
same "DIFFERENCE: heap_check: specials_object" "THROW: mheap_free: span ADDR still has specials @ mheap_free_locked"
same "DIFFERENCE: heap_check: alloccache" "THROW: mallocgc: slot N of span ADDR already allocated @ take_slot"
same "DIFFERENCE: heap_check: alloccache" \
  "THROW: mcentral_uncache_span: span ADDR handed over invalid: alloccache: span ADDR freeindex N alloccache ADDR: slot N allocbit N @ mspan_assert_valid"
# Different invariants, other checks: apart.
apart "DIFFERENCE: heap_check: free_adjacent" "DIFFERENCE: heap_check: specials_object"
apart "DIFFERENCE: heap_check: free_adjacent" "THROW: mheap_free: span ADDR still has specials @ mheap_free_locked"
apart "DIFFERENCE: memstats: heap_alloc" "DIFFERENCE: memstats: heap_objects"
apart "THROW: found bad pointer in heap: ADDR from NAME ADDR: page not in use @ scanobject" \
      "THROW: mheap_free: span ADDR still has specials @ mheap_free_locked"
k=$(af_bug_key "DIFFERENCE: memstats: heap_alloc")
[ "$k" = "DIFFERENCE: memstats: heap_alloc" ] || { echo "bug-keys: a signature naming no invariant must be its own key, got '$k'" >&2; fail=1; }

# Every throw message in the table is one the allocator throws today (its
# format string, numbers and addresses blanked as af_signature blanks them),
# and every invariant it names is one alloc/mcheck.c documents.
fmts=$(grep -ho 'heap_throw(h, "[^"]*"' alloc/*.c | sed 's/^heap_throw(h, "//; s/"$//' |
  sed -E 's/%#l?x|%p/ADDR/g; s/%(l|z)?[dux]/N/g')
invs=$(sed -n 's/^ \*   \([a-z_]*\)  .*/\1/p' alloc/mcheck.c)
while IFS=$'\t' read -r msg inv; do
  grep -qxF "$msg" <<<"$fmts" || { echo "bug-keys: af_bug_key's throw '$msg' is no heap_throw in alloc/ any more" >&2; fail=1; }
  grep -qxF "$inv" <<<"$invs" || { echo "bug-keys: af_bug_key names '$inv', not an invariant of alloc/mcheck.c" >&2; fail=1; }
done < <(sed -n 's/^ *t\["\(.*\)"\] = "\([a-z_]*\)"$/\1\t\2/p' ci/lib.sh)
n=$(sed -n 's/^ *t\["\(.*\)"\] = "\([a-z_]*\)"$/\1/p' ci/lib.sh | wc -l)
[ "$n" -gt 0 ] || { echo "bug-keys: found no throw table in ci/lib.sh" >&2; fail=1; }
[ "$fail" = 0 ] && echo "bug-keys: $n throw sites mapped to checker invariants, all current; one bug one key, different invariants apart"
exit "$fail"
