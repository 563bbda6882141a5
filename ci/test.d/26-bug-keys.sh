#!/usr/bin/env bash
# ci/fuzz groups findings by bug key (ci/lib.sh af_bug_key): signatures that
# name one heap invariant are one bug, different invariants stay apart, and
# the throw table neither goes stale nor names an invariant the checker does
# not have; a race is one signature whichever access TSan reports first.
# Under a second.
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

# A data race has one stack per access, in the order the threads happened to
# reach it: either order is one signature.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
race() {  # FIRST SECOND: a ThreadSanitizer report, FIRST's access reported first
  printf 'WARNING: ThreadSanitizer: data race (pid=1)\n  Write of size 8 at 0x1 by thread T1:\n'
  printf '    #0 %s %s/alloc/a.c:1:1 (x+0x1)\n    #1 run_op %s/harness/threads_run.c:1:1 (x+0x2)\n\n' "$1" "$AF_ROOT" "$AF_ROOT"
  printf '  Previous atomic read of size 8 at 0x1 by thread T2:\n'
  printf '    #0 %s %s/alloc/b.c:1:1 (x+0x3)\n    #1 run_op %s/harness/threads_run.c:1:1 (x+0x2)\n\n' "$2" "$AF_ROOT" "$AF_ROOT"
  printf '  Thread T1 (tid=2, running) created by main thread at:\n    #0 pool_start %s/harness/threads_run.c:9:7 (x+0x4)\n' "$AF_ROOT"
}
race take_slot bit_get_atomic >"$tmp/r1"; race bit_get_atomic take_slot >"$tmp/r2"
s1=$(af_signature "$tmp/r1"); s2=$(af_signature "$tmp/r2")
[ "$s1" = "$s2" ] && [ "$s1" = "ThreadSanitizer: data race @ bit_get_atomic, take_slot" ] ||
  { echo "bug-keys: a race's signature depends on which access TSan saw first: '$s1' / '$s2'" >&2; fail=1; }

# fuzz_pageheap names the op that exposed a failure: left out of the signature.
printf 'fuzz_pageheap: op 12 (free all), cap 64 pages, committed 40: free runs at pages 3 and 7 are adjacent (not coalesced)\n' >"$tmp/p1"
printf 'fuzz_pageheap: op 3 (free), cap 9 pages, committed 8: free runs at pages 1 and 2 are adjacent (not coalesced)\n' >"$tmp/p2"
[ "$(af_signature "$tmp/p1")" = "$(af_signature "$tmp/p2")" ] ||
  { echo "bug-keys: fuzz_pageheap's signature keeps the op: '$(af_signature "$tmp/p1")' / '$(af_signature "$tmp/p2")'" >&2; fail=1; }

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
# The same for the failure lines of fuzz_pageheap it maps (harness/fuzz_pageheap.c).
pfmts=$(grep -ho 'fail("[^"]*"' harness/fuzz_pageheap.c | sed 's/^fail("//; s/"$//' | sed -E 's/%#l?x|%p/ADDR/g; s/%(l|z|ll)?[dux]/N/g')
while IFS=$'\t' read -r msg inv; do
  grep -qxF "$msg" <<<"$pfmts" || { echo "bug-keys: af_bug_key's fuzz_pageheap line '$msg' is no fail() in harness/fuzz_pageheap.c" >&2; fail=1; }
  grep -qxF "$inv" <<<"$invs" || { echo "bug-keys: af_bug_key names '$inv', not an invariant of alloc/mcheck.c" >&2; fail=1; }
done < <(sed -n 's/^ *p\["\(.*\)"\] = "\([a-z_]*\)"$/\1\t\2/p' ci/lib.sh)
same "DIFFERENCE: heap_check: free_adjacent" "fuzz_pageheap: free runs at pages N and N are adjacent (not coalesced)"
n=$(sed -n 's/^ *[tp]\["\(.*\)"\] = "\([a-z_]*\)"$/\1/p' ci/lib.sh | wc -l)
[ "$n" -gt 0 ] || { echo "bug-keys: found no throw table in ci/lib.sh" >&2; fail=1; }
[ "$fail" = 0 ] && echo "bug-keys: $n throw sites and fuzz_pageheap checks mapped to checker invariants, all current; one bug one key, different invariants apart"
exit "$fail"
