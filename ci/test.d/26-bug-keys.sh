#!/usr/bin/env bash
# ci/fuzz groups findings by bug key (ci/lib.sh af_bug_key): signatures that
# name one heap invariant or one model comparison are one bug, a throw is
# keyed by its site and format, different checks stay apart, and
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
apart "THROW: found bad pointer in heap: ADDR from NAME ADDR: page not in use @ scanobject" \
      "THROW: mheap_free: span ADDR still has specials @ mheap_free_locked"
k=$(af_bug_key "DIFFERENCE: finalizer queue holds N records, the model N")
[ "$k" = "DIFFERENCE: finalizer queue holds N records, the model N" ] ||
  { echo "bug-keys: a signature naming no check must be its own key, got '$k'" >&2; fail=1; }

# A model comparison is keyed by its name, not by the field or the object
# that differed first (plants large_elemsize_unrounded, profile_post_sweep_
# missing: the profile's stack or sampling; finalizer_object_not_scanned: a
# freed child or a queued finalizer).
same "DIFFERENCE: memstats: heap_alloc" "DIFFERENCE: memstats: nfree"
same "DIFFERENCE: heap profile: stack" "DIFFERENCE: heap profile: sampling"
same "DIFFERENCE: reachability: OBJ is live in the model, the heap freed its block" \
     "DIFFERENCE: reachability: OBJ is reachable in the model, the heap queued its finalizer"
apart "DIFFERENCE: memstats: nfree" "DIFFERENCE: reachability: OBJ is live in the model, the heap freed its block"
apart "DIFFERENCE: memstats: nfree" "DIFFERENCE: heap profile: stack"
# The tiny-block check, named at the alloc or gc that decided (plants
# tiny_replace_rule_le, mcache_release_keeps_tiny); the placement check apart.
same "DIFFERENCE: tiny block: PN holds ADDR + N, the model hN = ADDR + N" \
     "DIFFERENCE: tiny block: PN holds ADDR + N, the model none"
apart "DIFFERENCE: tiny block: PN holds ADDR + N, the model none" \
      "DIFFERENCE: tiny hN at ADDR, the model expects block hN + N = ADDR"
# A refused call the heap accepted: whether the damage threw inside the call
# or not (plant free_double_free_accepted); another refusal or a refusal
# returned as another error stays apart.
same "DIFFERENCE: heap_free(hN) returned OK, the model predicts NOT_ALLOCATED" \
     "DIFFERENCE: heap_free(hN) threw instead of returning NOT_ALLOCATED, as the model predicts: heap_throw: mheap_free: span ADDR handed over invalid: alloccount: span ADDR allocCount N, N allocbits set"
apart "DIFFERENCE: heap_free(hN) returned OK, the model predicts NOT_ALLOCATED" \
      "DIFFERENCE: heap_free(hN) returned OK, the model predicts HAS_FINALIZER"
apart "DIFFERENCE: heap_free(hN) returned OK, the model predicts NOT_ALLOCATED" \
      "DIFFERENCE: heap_free(hN) returned INTERIOR, the model predicts NOT_ALLOCATED"
# Validators named by the invariant they check (plants legacy_lookup_stops_
# at_dead, a delete; the checker's table invariant at the next check point).
same "DIFFERENCE: heap_check: legacy_tables" \
     "THROW: lookfintab: finalizer table N handed over invalid: legacy_tables: finalizer key ADDR unreachable in table N @ fintab_assert_valid"
same "DIFFERENCE: heap profile: stack" "DIFFERENCE: heap_check: profile_bucket"
apart "DIFFERENCE: heap profile: stack" "DIFFERENCE: heap_check: profile_bucketX"
[ "$(af_bug_key "DIFFERENCE: heap profile: stack")" = "check heap profile" ] ||
  { echo "bug-keys: a model comparison's key is not its name: '$(af_bug_key "DIFFERENCE: heap profile: stack")'" >&2; fail=1; }
# ... and the object a reachability difference names is the input's: blanked.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf 'DIFFERENCE at op 9 (line 10) in lane 0:\n  reachability: back (@0x40) is live in the model, the heap freed its block\n' >"$tmp/d1"
printf 'DIFFERENCE at op 3 (line 4) in lane 1:\n  reachability: h12 (@0) is live in the model, the heap freed its block\n' >"$tmp/d2"
printf 'DIFFERENCE at op 5 (line 6) in lane 0:\n  tiny block: P2 holds 0x40 + 3, the model h4 = 0x60 + 3\n' >"$tmp/t1"
[ "$(af_signature "$tmp/t1")" = "DIFFERENCE: tiny block: PN holds ADDR + N, the model hN = ADDR + N" ] ||
  { echo "bug-keys: a tiny block difference normalizes to '$(af_signature "$tmp/t1")'" >&2; fail=1; }
[ "$(af_signature "$tmp/d1")" = "$(af_signature "$tmp/d2")" ] ||
  { echo "bug-keys: the object is part of a reachability signature: '$(af_signature "$tmp/d1")' / '$(af_signature "$tmp/d2")'" >&2; fail=1; }

# A throw no table line maps is keyed by its site and its format string:
# what %s named (plant interior_large_ptr_ignored: an object word or a root
# slot) is the input's; another format or another site is another key.
bad="found bad pointer in heap: ADDR from %s ADDR: slot N of span [ADDR, +N pages) class N elemsize N nelems N not allocated"
same "THROW: ${bad/\%s ADDR/object word ADDR} @ mark_pointer" "THROW: ${bad/\%s ADDR/root slot N} @ mark_pointer"
apart "THROW: ${bad/\%s ADDR/root slot N} @ mark_pointer" "THROW: found bad pointer in heap: ADDR from root slot N: page not in use @ mark_pointer"
apart "THROW: ${bad/\%s ADDR/root slot N} @ mark_pointer" "THROW: ${bad/\%s ADDR/root slot N} @ scanobject"
# Every heap_throw format in alloc/ is recognized in a message it prints
# (conversions filled as a throw fills them, then blanked as af_signature
# blanks them): the format compiler has no blind spot.
fmts_all=$(af_throw_formats)
msgs=$(sed -E 's/%s/some where/g; s/%#l?x|%p/0x1f0/g; s/%(l|z|ll)?[dux]/17/g' <<<"$fmts_all" |
  sed -E 's/0x[0-9a-fA-F]+/ADDR/g; s/[0-9]+/N/g; s/^/THROW: /; s/$/ @ somewhere/')
nf=0
while IFS=$'\t' read -r f k; do
  case $k in "throw "*|"invariant "*) nf=$((nf + 1)) ;; *) echo "bug-keys: the throw '$f' is not recognized by its format: '$k'" >&2; fail=1 ;; esac
done < <(paste <(printf '%s\n' "$fmts_all") <(af_bug_key "$msgs"))
[ "$nf" -gt 40 ] || { echo "bug-keys: only $nf heap_throw formats found in alloc/" >&2; fail=1; }

# A data race has one stack per access, in the order the threads happened to
# reach it: either order is one signature. It is the plain access's defect:
# which atomic access met it, and where a mutex was made, are the input's
# (plant allocbit_plain_rmw_alloc_fast_path: take_slot's plain store against
# heap_free's atomic clear or a reader's atomic load).
access() {  # HEADER FN
  printf '  %s at 0x1 by thread T1:\n    #0 %s %s/alloc/a.c:1:1 (x+0x1)\n' "$1" "$2" "$AF_ROOT"
  printf '    #1 run_op %s/harness/threads_run.c:1:1 (x+0x2)\n\n' "$AF_ROOT"
}
race() {  # then HEADER FN pairs, in the order TSan reports them
  printf 'WARNING: ThreadSanitizer: data race (pid=1)\n'
  while [ $# -gt 0 ]; do access "$1" "$2"; shift 2; done
  printf '  Mutex M0 (0x7b) created at:\n    #0 pthread_mutex_init <null> (x+0x5)\n'
  printf '    #1 lock_init %s/alloc/heap.c:18:2 (x+0x6)\n\n' "$AF_ROOT"
  printf '  Thread T1 (tid=2, running) created by main thread at:\n    #0 pool_start %s/harness/threads_run.c:9:7 (x+0x4)\n' "$AF_ROOT"
}
race "Write of size 8" take_slot "Previous atomic read of size 8" bit_get_atomic >"$tmp/r1"
race "Atomic read of size 8" bit_get_atomic "Previous write of size 8" take_slot >"$tmp/r2"
race "Write of size 8" take_slot "Previous atomic write of size 8" bit_clear_atomic >"$tmp/r3"
s1=$(af_signature "$tmp/r1"); s2=$(af_signature "$tmp/r2"); s3=$(af_signature "$tmp/r3")
[ "$s1" = "$s2" ] && [ "$s1" = "$s3" ] && [ "$s1" = "ThreadSanitizer: data race @ take_slot" ] ||
  { echo "bug-keys: a race's signature depends on the order or the atomic side: '$s1' / '$s2' / '$s3'" >&2; fail=1; }
# Two plain accesses: both sites, sorted.
race "Write of size 8" b_site "Previous read of size 8" a_site >"$tmp/r4"
[ "$(af_signature "$tmp/r4")" = "ThreadSanitizer: data race @ a_site, b_site" ] ||
  { echo "bug-keys: a race of two plain accesses: '$(af_signature "$tmp/r4")'" >&2; fail=1; }

# A sanitizer runtime CHECK is a failure with a signature, not "no failure
# reproduced" (plant sizeclass_round_down: an object larger than its slot).
printf 'AddressSanitizer: CHECK failed: asan_poisoning.cpp:110 "((beg.offset)) < ((end.offset))" (0x5, 0x0) (tid=1)\n    #0 0x1 in __asan::CheckUnwind() asan_rtl.cpp.o\n    #3 0x2 in prepare_slot %s/alloc/malloc.c:201:3\n    #4 0x3 in mallocgc %s/alloc/malloc.c:287:4\n' "$AF_ROOT" "$AF_ROOT" >"$tmp/c1"
[ "$(af_signature "$tmp/c1")" = 'AddressSanitizer: CHECK failed: "((beg.offset)) < ((end.offset))" @ prepare_slot < mallocgc' ] ||
  { echo "bug-keys: a sanitizer CHECK failure: '$(af_signature "$tmp/c1")'" >&2; fail=1; }

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
[ "$fail" = 0 ] && echo "bug-keys: $n throw sites and fuzz_pageheap checks mapped to checker invariants, all current; $nf throw formats recognized; one bug one key, different checks apart"
exit "$fail"
