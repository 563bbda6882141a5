#!/usr/bin/env bash
# CTest scenario/<name>: one scenario passes `allocfuzz run` (its expect
# lines, the model and every oracle) in every mode: 1 and 4 Ps, eager and
# lazy sweep, span and legacy specials, and both twins (span+legacy and
# eager+lazy heaps in lockstep). A scenario may say, in a comment:
#   # requires: procs>=4     (skipped with fewer Ps)
#   # run-with: OPTIONS      (extra allocfuzz options, e.g. --cap)
# With --errors instead of FILE (CTest scenario/every_error_is_proved):
# every error the op language can produce is expected by some scenario.
# Usage: tests/scenario.sh BUILD_DIR FILE|--errors
set -u
build=${1:?usage: scenario.sh BUILD_DIR FILE|--errors}
f=${2:?usage: scenario.sh BUILD_DIR FILE|--errors}
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$f" = --errors ]; then
  fail=0
  for code in OK NOMEM BADARG NOT_IN_HEAP INTERIOR TINY HAS_FINALIZER FIN_EXISTS; do
    if ! grep -qx "expect err $code" "$src"/corpus/scenarios/*.ops; then
      echo "FAIL no scenario proves 'expect err $code'"
      fail=1
    fi
  done
  exit $fail
fi
af=$build/allocfuzz
[ -x "$af" ] || { echo "no $af"; exit 1; }
fail=0 runs=0 skips=0
name=$(basename "$f")
grep -q '^# Rule: ' "$f" || { echo "FAIL $name: no '# Rule:' comment saying what it proves"; fail=1; }
minp=$(sed -n 's/^# requires: procs>=\([0-9]*\).*/\1/p' "$f" | head -1)
extra=$(sed -n 's/^# run-with: //p' "$f" | head -1)
for procs in 1 4; do
  if [ -n "$minp" ] && [ "$procs" -lt "$minp" ]; then skips=$((skips + 1)); continue; fi
  for mode in "--sweep eager --specials span" "--sweep lazy --specials span" \
              "--sweep eager --specials legacy" "--sweep lazy --specials legacy" \
              "--twin specials" "--twin specials --sweep lazy" "--twin sweep"; do
    runs=$((runs + 1))
    # shellcheck disable=SC2086  # mode and extra are lists of options
    if ! out=$("$af" run --procs "$procs" $mode $extra "$f" 2>&1); then
      echo "FAIL $name (--procs $procs $mode):"
      echo "$out" | tail -25 | sed 's/^/    /'
      fail=1
    fi
  done
done
echo "scenario $name: $runs runs, $skips skipped by 'requires', $([ $fail = 0 ] && echo passed || echo FAILED)"
exit $fail
