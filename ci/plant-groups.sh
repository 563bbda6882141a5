# ci/plant-check --groups (sourced by ci/plant-check, which made the scratch
# tree $tree): does each plant give exactly one finding group in ci/fuzz, the
# same after ci/repro --minimize? Per plant, in $tree: apply the patch, run
# the tree's own ci/fuzz (its campaign, triage and grouping, unchanged) on the
# plant's first target for $budget seconds (-fork mode, which goes on past
# a failure, so one plant yields many failing inputs to group), then the tree's ci/repro
# --minimize on each finding it kept, and revert.
# Columns: inputs (failing inputs the campaign found), raw (distinct raw
# signatures, before ci/fuzz groups them by bug key, ci/lib.sh af_bug_key),
# groups (findings in ci/fuzz's report), after (distinct bug keys of the
# findings after ci/repro --minimize), drift (minimizing rounds that failed
# as another bug and were dropped, with the key they showed).
gout=$root/out/plant-groups.md
[ "$out" = "$root/out/plants.md" ] || gout=$out   # --out FILE
gwork=$scratch/groups
mkdir -p "$gwork" "$(dirname "$gout")"
grows=() gstatus=0 gone=0 gfound=0 gn=0
gsigs=$gwork/signatures.tsv   # plant <TAB> final signature, for the collision check
: >"$gsigs"
write_groups() {
  {
    echo "# Finding groups per plant"
    echo
    echo "ci/plant-check --groups --time $budget --min-time $mintime, tree $treerev."
    echo "Per plant: ci/fuzz --time $budget --jobs 1 --libfuzzer-mode fork on its first target, then ci/repro --minimize --time $mintime on each finding."
    echo
    echo "plants: $gn of ${#plants[@]}; with a finding: $gfound; exactly one group before and after minimizing: $gone"
    echo
    echo "| plant | target | inputs | raw | groups | after minimize | signature | minimizing rounds dropped |"
    echo "|---|---|--:|--:|--:|--:|---|---|"
    printf '%s\n' "${grows[@]}"
    echo
    echo "Bug keys shared by two plants (a fuzzing campaign that hit both would report them as one group):"
    echo
    awk -F'\t' '{ p[$2] = (n[$2]++ ? p[$2] ", " : "") $1 }
      END { for (s in n) if (n[s] > 1) { print "- `" s "`: " p[s]; k++ } if (!k) print "none" }' "$gsigs" | sort
  } >"$gout"
}
for name in "${plants[@]}"; do
  gn=$((gn + 1))
  read -r -a parts <<<"${name//+/ }"   # A+B: both plants at once
  read -r -a order <<<"$(sed -n 's/^Targets: *//p' "$root/ci/plants/${parts[0]}.patch" | head -1)"
  [ ${#order[@]} -gt 0 ] || order=(fuzz_ops)
  t=${order[0]}
  af_step "plant $gn/${#plants[@]}: $name ($t, ${budget}s)"
  applied=()
  for part in "${parts[@]}"; do
    patch -s -p1 -d "$tree" <"$root/ci/plants/$part.patch" || break
    applied=("$part" "${applied[@]}")
  done
  unplant() { local part; for part in "${applied[@]}"; do patch -s -R -p1 -d "$tree" <"$root/ci/plants/$part.patch"; done; }
  if [ ${#applied[@]} != ${#parts[@]} ]; then
    unplant
    grows+=("| $name | $t | STALE: the patch does not apply |||||||"); gstatus=1; write_groups; continue
  fi
  pw=$gwork/$name
  mkdir -p "$pw"
  rc=0
  "$tree/ci/fuzz" --time "$budget" --jobs 1 --libfuzzer-mode fork --no-gocheck --targets "$t" --out "$pw/fuzz" >"$pw/fuzz.log" 2>&1 || rc=$?
  if [ "$rc" -ge 2 ]; then
    unplant
    grows+=("| $name | $t | ci/fuzz exit $rc (see $pw/fuzz.log; build failed?) |||||||"); gstatus=1; write_groups; continue
  fi
  tw=$pw/fuzz/work/$t
  inputs=$(cat "$tw/signatures.tsv" 2>/dev/null | wc -l || true)
  raw=$(cat "$tw/raw-groups.tsv" 2>/dev/null | wc -l || true)
  # Findings of the target itself (the Go oracle's go: lines are another check).
  mapfile -t fnd < <(awk -F'\t' '$1 !~ /^go: / { print $4 }' "$pw/fuzz/work/findings.tsv" 2>/dev/null)
  ngroups=${#fnd[@]}
  after=() drift=()
  for f in "${fnd[@]}"; do
    case "$f" in /*) ;; *) f=$tree/$f ;; esac
    "$tree/ci/repro" --minimize --time "$mintime" "$f" >"$pw/repro-$(basename "$f").log" 2>&1 || true
    s=$(sed -n 's/^==> \[[0-9:]*\] fails: //p' "$pw/repro-$(basename "$f").log" | tail -n 1)
    after+=("$(af_bug_key "${s:-does not reproduce in ci/repro}")")
    while IFS= read -r d; do drift+=("$(af_bug_key "$d")"); done < <(sed -n 's/^ci\/repro: round \([0-9]\): the smaller input fails differently (\(.*\)); dropped$/\2/p' \
      "$pw/repro-$(basename "$f").log")
  done
  unplant
  nafter=$(printf '%s\n' "${after[@]}" | sort -u | grep -c . || true)
  sigs=$(cut -f1 "$pw/fuzz/work/findings.tsv" | { grep -v '^go: ' || true; } | sed 's/|/\\|/g' | paste -sd';' | sed 's/;/; /g')
  dr=$(printf '%s\n' "${drift[@]}" | grep . | sort | uniq -c | sed -E 's/^ *([0-9]+) (.*)/\1x `\2`/' | paste -sd';' || true)
  if [ "$ngroups" = 0 ]; then
    grows+=("| $name | $t | $inputs | $raw | 0 | - | no finding in ${budget}s | |")
    gstatus=1
  else
    gfound=$((gfound + 1))
    [ "$ngroups" = 1 ] && [ "$nafter" = 1 ] && gone=$((gone + 1)) || gstatus=1
    grows+=("| $name | $t | $inputs | $raw | $ngroups | $nafter | \`$sigs\` | ${dr:-none} |")
    cut -f1 "$pw/fuzz/work/findings.tsv" | { grep -v '^go: ' || true; } |
      while IFS= read -r k; do printf '%s\t%s\n' "$name" "$(af_bug_key "$k")"; done >>"$gsigs"
  fi
  echo "  $name: inputs $inputs, raw $raw, groups $ngroups, after minimize $nafter: $sigs" >&2
  write_groups
done
write_groups
af_step "plant groups (also in ${gout#"$root"/})"
cat "$gout"
exit $gstatus
