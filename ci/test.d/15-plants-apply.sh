#!/usr/bin/env bash
# Every planted bug (ci/plants/*.patch, and ci/plants/*/*.patch such as the
# gocheck ones) still applies to the tree as it is,
# and says what it plants: a one-line 'Component:' header that ci/plant-check
# groups its kill matrix by. A plant that went stale after an edit to alloc/
# fails here in a second, instead of weeks later in the weekly plant-check.
# Each hunk's context must occur once in its file: patch applies an ambiguous
# hunk at the nearest match, which may be another branch than the one the
# plant's header describes.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail=0 n=0
for p in ci/plants/*.patch ci/plants/*/*.patch; do
  n=$((n + 1))
  if git rev-parse --git-dir >/dev/null 2>&1; then
    ok() { git apply --check "$p" 2>&1; }
  else
    ok() { patch -s -p1 --dry-run <"$p" 2>&1; }
  fi
  if ! out=$(ok); then
    echo "plants: $p no longer applies (regenerate it with diff -U1 against alloc/):" >&2
    echo "$out" | sed 's/^/  /' >&2
    fail=1
  fi
  out=$(python3 - "$p" 2>&1 <<'PY'
import sys
f = hunk = None; hunks = []
for line in open(sys.argv[1]).read().split("\n"):
    if line.startswith("--- a/"): f = line[6:].split("\t")[0]
    elif line.startswith("@@"): hunk = []; hunks.append((f, hunk))
    elif hunk is not None and line[:1] in (" ", "-"): hunk.append(line[1:])
for f, h in hunks:
    n = open(f).read().count("\n".join(h) + "\n")
    if n != 1: print(f"{f}: the hunk's context occurs {n} times")
PY
) || out="cannot read it: $out"
  if [ -n "$out" ]; then
    echo "plants: $p is ambiguous (give it more context lines): $out" >&2
    fail=1
  fi
  # plant-check's matrix covers only the top level (the gocheck plants are
  # killed by ci/gocheck, not grouped by component)
  [[ $p == ci/plants/*/* ]] || grep -q '^Component: ' "$p" || { echo "plants: $p has no 'Component:' header line" >&2; fail=1; }
done
[ "$fail" = 0 ] && echo "plants: all $n plants apply cleanly"
exit $fail
