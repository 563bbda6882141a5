# Shared helpers for ci/ scripts (sourced).
# Steps carry the time since the outermost ci/ script started (phase timings).
: "${AF_T0:=$(date +%s)}"; export AF_T0
af_step() { local t=$(( $(date +%s) - AF_T0 )); printf '\n==> [%d:%02d] %s\n' $(( t / 60 )) $(( t % 60 )) "$*" >&2; }

# Packages every ci/ script may need; installed only when missing and root.
AF_DEB_PACKAGES="cmake clang gcc make llvm-14 libclang-rt-14-dev afl++ gnuplot-nox zip unzip python3-yaml"
af_install_deps() {
  local missing=()
  command -v cmake >/dev/null || missing+=(cmake)
  command -v clang >/dev/null || missing+=(clang)
  command -v gcc >/dev/null || missing+=(gcc)
  command -v llvm-profdata-14 >/dev/null || command -v llvm-profdata >/dev/null || missing+=(llvm-14)
  [ -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ] ||
    ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
    missing+=(libclang-rt-14-dev)
  command -v afl-clang-fast >/dev/null || missing+=(afl++)
  command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
  command -v zip >/dev/null || missing+=(zip)
  command -v jq >/dev/null || missing+=(jq)
  command -v unzip >/dev/null || missing+=(unzip)
  python3 -c "import yaml" 2>/dev/null || missing+=(python3-yaml)  # ci/check-workflows
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "ci: missing packages: ${missing[*]} (run as root, or apt-get install them)" >&2
    return 1
  fi
  af_step "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ---- fuzzing helpers shared by ci/fuzz, ci/repro, ci/coverage, tests/*.sh ----
AF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The fuzz targets and their input kinds: harness/targets.txt (also read by
# CMakeLists.txt and corpus/mkseeds.sh).
# af_targets [INPUT]: every target, or those whose input is INPUT, one a line.
af_targets() {
  awk -v want="${1:-}" '!/^[ \t]*(#|$)/ && (want == "" || $2 == want) { print $1 }' \
    "$AF_ROOT/harness/targets.txt"
}
# Targets whose input is the op language (allocfuzz asm/disasm convert it).
AF_OPS_TARGETS=$(af_targets ops | tr '\n' ' ')

af_is_ops_target() { case " $AF_OPS_TARGETS " in *" $1 "*) return 0 ;; esac; return 1; }

# af_build PRESET [BUILD_DIR] [TARGET...]: configure (cheap when nothing
# changed) and build the named CMake targets, or everything.
af_build() {
  local preset=$1 dir=${2:-}; shift; [ $# -gt 0 ] && shift
  local cfg=(--preset "$preset") bld=(--build)
  if [ -n "$dir" ]; then cfg+=(-B "$AF_ROOT/$dir"); bld+=("$AF_ROOT/$dir"); else bld+=(--preset "$preset"); fi
  (cd "$AF_ROOT" && cmake "${cfg[@]}" >/dev/null) || return 1
  local tg=()
  [ $# -gt 0 ] && tg=(--target "$@")
  # Progress lines hidden; warnings and errors shown.
  local rc=0 log
  log=$(mktemp)
  (cd "$AF_ROOT" && cmake "${bld[@]}" -j "${AF_JOBS:-$(nproc)}" "${tg[@]}") >"$log" 2>&1 || rc=$?
  grep -v -E '^\[ *[0-9]+%\] (Building|Linking|Built|Generating)|^Consolidate|^-- |^g?make' "$log" >&2 || true
  rm -f "$log"
  return $rc
}

# af_has_target PRESET NAME: the configured build has that CMake target.
af_has_target() {
  (cd "$AF_ROOT" && cmake --build --preset "$1" --target help 2>/dev/null) |
    awk -v n="... $2" '$0 == n { f = 1 } END { exit !f }'
}

# af_compile_seeds PRESET: the readable seeds (corpus/scenarios/*.ops,
# corpus/pageheap/*.ph) compiled into build/PRESET/corpus/<target>/ by the
# CMake target `seeds` (corpus/mkseeds.sh with that preset's allocfuzz).
af_compile_seeds() {
  af_has_target "$1" seeds || return 0
  af_build "$1" "" seeds
}

# Directories holding a target's seeds: the kept corpus and the compiled
# seeds (af_compile_seeds). Regressions (corpus/regressions/<target>) are
# replayed by CTest; ci/fuzz adds them as seeds itself.
af_seed_dirs() {
  local t=$1 preset=${2:-default} d
  for d in "$AF_ROOT/corpus/$t" "$AF_ROOT/build/$preset/corpus/$t"; do
    [ -d "$d" ] && [ -n "$(ls -A "$d" 2>/dev/null)" ] && echo "$d"
  done
  return 0
}

af_dict() { [ -f "$AF_ROOT/corpus/$1.dict" ] && echo "$AF_ROOT/corpus/$1.dict"; return 0; }

# af_reap_orphans PREFIX...: AFL++'s forkservers run in sessions of their own
# and now and then one is left behind, stopped, when afl-fuzz exits. Ends, by
# pid, the orphans (parent 1) whose binary lies under one of the PREFIXes.
af_reap_orphans() {
  local d exe pre
  for d in /proc/[0-9]*; do
    exe=$(readlink "$d/exe" 2>/dev/null) || continue
    for pre in "$@"; do
      case "$exe" in "$pre"*)
        [ "$(awk '{ print $4 }' "$d/stat" 2>/dev/null)" = 1 ] && kill -KILL "${d#/proc/}" 2>/dev/null ;;
      esac
    done
  done
  return 0
}

# Symbolized sanitizer reports everywhere.
af_sanitizer_env() {
  local s
  s=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || true)
  [ -n "$s" ] && export ASAN_SYMBOLIZER_PATH=$s UBSAN_SYMBOLIZER_PATH=$s
  export ASAN_OPTIONS=${ASAN_OPTIONS:-symbolize=1:abort_on_error=1:handle_abort=1:detect_leaks=1:allocator_may_return_null=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:symbolize=1}
}

# Numbers, addresses, object names and quoted names blanked, spaces collapsed
# (an awk function, for af_signature and af_bug_key).
AF_AWK_NORM='
    function norm(s) { gsub(/0x[0-9a-fA-F]+/, "ADDR", s); gsub(/\<h[0-9]+\>/, "hN", s)
                       gsub(/'"'"'[^'"'"']*'"'"'/, "NAME", s)
                       gsub(/[0-9]+/, "N", s); gsub(/[ \t]+/, " ", s); return s }'

# af_signature LOG: one line naming a failure, used to group findings by the
# bug rather than by the op that exposed it (numbers, addresses and object
# names blanked; the op, its line and the heap lane left out, so minimizing
# an input keeps its signature). In order of preference:
#  1. the executor's report (harness/exec_report.c):
#     THROW: the throw message @ the function that threw (the first frame of
#       "stack at the throw", printed by the fuzz targets);
#     DIFFERENCE: the kind of difference: the heap checker's invariant name,
#       the memstats field or profile check, else the detail line;
#  2. a target's own failure line ("fuzz_pageheap: op N (...): ...");
#  3. the sanitizer's error kind and the top three frames in our sources;
#  4. the first line that looks like an error.
af_signature() {
  awk -v root="$AF_ROOT/" '
'"$AF_AWK_NORM"'
    # The kind of a difference: named checks by name, the rest by template.
    function kindof(d,   m) {
      if (match(d, /^heap_check: [^:]*/)) return substr(d, 1, RLENGTH)
      if (match(d, /^(memstats|heap profile): [^: ]*/)) return norm(substr(d, 1, RLENGTH))
      # exec_gc.c check_reachability: the object (a program name) blanked
      if (d ~ /^reachability: [^ ]+ (\(@|is )/) { sub(/^reachability: [^ ]+/, "reachability: OBJ", d)
                                                        sub(/ \(@[^)]*\)/, "", d); return norm(d) }
      return norm(d) }
    !ex && /^(DIFFERENCE|THROW) at / { ex = 1; kind = $1; next }
    ex == 1 && /^last [0-9]+ ops:/ { ex = 2; next }
    ex == 1 && /^  heap: / { next }
    ex == 1 && /^  / && detail == "" { detail = substr($0, 3); next }
    /^stack at the throw:/ { st = 1; next }
    st && /^    #0 / { site = $4; st = 0; next }
    # (the op that exposed it and the heap size are left out, as for the executor)
    !own && /^fuzz_[a-z_]+: / { own = norm($0); sub(/ op N \([^)]*\), cap N pages, committed N:/, "", own) }
    !kind2 && /ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): / {
      k = $0; sub(/.*ERROR: /, "", k); sub(/ on .*/, "", k); sub(/ \(.*/, "", k); kind2 = k }
    # a sanitizer runtime CHECK (e.g. poisoning a range that ends before it
    # starts: an object larger than its slot) is a failure too
    !kind2 && /(Address|Thread|UndefinedBehavior)Sanitizer: CHECK failed: / {
      k = $0; sub(/^.*Sanitizer: CHECK failed: [^ ]* /, "", k); sub(/ \(0x.*/, "", k)
      s = $0; sub(/: CHECK failed: .*/, "", s); sub(/^.*[^A-Za-z]/, "", s); kind2 = s ": CHECK failed: " k }
    !kind2 && /WARNING: ThreadSanitizer: / { k = $0; sub(/.*WARNING: ThreadSanitizer: /, "", k)
      sub(/ \(pid=.*/, "", k); kind2 = "ThreadSanitizer: " k }
    !kind2 && /runtime error:/ { k = $0; sub(/.*runtime error: /, "", k); kind2 = "UBSan: " norm(k) }
    !first && /[Ee]rror|FAIL|abort|[Dd]ifference/ { first = norm($0) }
    # Frames in our sources (not the build tree, not the replay main).
    /^ *#[0-9]+ 0x[0-9a-f]+ in / && index($5, root) == 1 && index($5, root "build/") != 1 &&
      $5 !~ /harness\/driver\.c/ && nf < 3 {
      fn = $4; if (!(fn in seen)) { seen[fn] = 1; frames = frames (nf ? " < " : "") fn; nf++ } }
    # ThreadSanitizer frames: "#N function file:line:col (module+offset)".
    # A report has one stack per access (or per lock); which access comes
    # first depends on the threads timing, so the signature takes the top
    # frame in our sources of each stack, sorted (the stacks of thread
    # creation that follow are left out). A data race is a defect of the
    # plain access: its atomic side (which reader or clearer of the word met
    # it) and the stack where a mutex was created depend on the input, so a
    # race with a plain access is keyed by its plain accesses only.
    kind2 ~ /^ThreadSanitizer/ && /^  Thread T[0-9]+ .*created by/ { tdone = 1 }
    kind2 ~ /^ThreadSanitizer/ && /^  [A-Z]/ { tblk++
      tacc[tblk] = $0 ~ /^  (Previous )?([Aa]tomic )?([Rr]ead|[Ww]rite) of size/
      tatom[tblk] = $0 ~ /[Aa]tomic/; if (tacc[tblk] && !tatom[tblk]) tplain = 1 }
    kind2 ~ /^ThreadSanitizer/ && !tdone && /^ *#[0-9]+ [A-Za-z_][A-Za-z0-9_]* / && index($3, root) == 1 &&
      !(tblk in ttop) { ttop[tblk] = $2 }
    END {
      if (ex == 0) {}
      else if (kind == "THROW") { d = detail; sub(/^heap_throw: /, "", d)
                                  print "THROW: " norm(d) (site != "" ? " @ " site : ""); exit }
      else { print "DIFFERENCE: " kindof(detail); exit }
      if (own) print own
      else if (kind2 ~ /^ThreadSanitizer/) {
        nt = 0; for (b in ttop) if (!(ttop[b] in tseen) && (!tplain || (tacc[b] && !tatom[b]))) {
          tseen[ttop[b]] = 1; tf[++nt] = ttop[b] }
        for (i = 2; i <= nt; i++) for (j = i; j > 1 && tf[j] < tf[j - 1]; j--) { x = tf[j]; tf[j] = tf[j - 1]; tf[j - 1] = x }
        out = ""; for (i = 1; i <= nt; i++) out = out (i > 1 ? ", " : "") tf[i]
        print kind2 (out != "" ? " @ " out : "") }
      else if (kind2) print kind2 (frames ? " @ " frames : "")
      else if (first) print first
      else print "no failure reproduced"
    }' "$1"
}

# af_throw_formats: the format string of every heap_throw in alloc/, one a
# line (adjacent literals joined).
af_throw_formats() {
  perl -0777 -ne 'while (/heap_throw\(\s*[\w>.-]+\s*,\s*((?:"(?:[^"\\]|\\.)*"\s*)+)/g) {
    my ($f, $s) = ($1, ""); $s .= $1 while $f =~ /"((?:[^"\\]|\\.)*)"/g; print "$s\n" }' "$AF_ROOT"/alloc/*.c
}

# af_bug_key SIGNATURE: what ci/fuzz groups findings by. One bug is often
# caught by different checks, or by one check on different fields or objects,
# depending on the input. The rule: the key is the named check that fails
# first.
#  - A heap invariant by its name: a heap_check difference; a span
#    validator's throw ("... handed over invalid: X: ..."); an inline throw
#    that restates an invariant of alloc/mcheck.c (the table below, one line
#    per throw site: a special left on a freed slot fails specials_object at
#    the next check, or throws in mheap_free when its span is freed first);
#    three of fuzz_pageheap's own checks.
#  - A model comparison by its name, not by the field or object that
#    differed first: "check memstats", "check heap profile", "check
#    reachability", "check tiny block" (exec_check.c observe and
#    check_tiny, exec_gc.c check_reachability).
#    The checker's profile invariants are the heap profile's check too (plant
#    large_elemsize_unrounded: profile_bucket after a free, the model's
#    comparison before it).
#  - A call the model refuses (an error) that the heap accepted by its
#    function and the refusal: returning OK, or throwing inside the call.
#  - Any other throw by its site and its format string (the message's
#    constant part: the pointer that was bad, or where it was found, is the
#    input's, not the bug's).
#  - Any other signature is its own key.
af_bug_key() {
  awk '
    BEGIN {
      # throw message (normalized, as af_signature prints it) -> invariant
      t["mheap_free: span ADDR still has specials"] = "specials_object"
      t["mark: finalizer record at ADDR on a free slot N of span ADDR"] = "specials_object"
      t["mallocgc: slot N of span ADDR already allocated"] = "alloccache"
      t["mallocgc: allocCount=N > nelems=N"] = "alloccount"
      t["mcentral_cache_span: allocCount=N but no free allocbit"] = "alloccount"
      t["sweep increased allocation count: span ADDR class N nelems N allocCount N nalloc N"] = "alloccount"
      t["sweep: freed N slots but allocCount N - marked N differ (span ADDR)"] = "alloccount"
      t["next_free: freeindex N not valid (nelems N, spanclass N)"] = "freeindex"
      t["mspan_list_remove: span ADDR is in list ADDR, not ADDR"] = "list_link"
      t["mspan_list_insert: span ADDR already in list ADDR"] = "list_link"
      t["mspan_list_insert_back: span ADDR already in list ADDR"] = "list_link"
      t["mcache_refill: bad sweepgen N (heap N) spanclass=N"] = "sweepgen"
      t["mcentral_uncache_span: bad sweepgen N (heap N)"] = "sweepgen"
      t["mcentral: span on an unswept list has sweepgen N (heap N)"] = "sweepgen"
      t["sweepone: span ADDR in an unswept set of class N has sweepgen N (heap N)"] = "sweepgen"
      t["mcache_refill: span has no free space: allocCount=N nelems=N"] = "central_set"
      t["mcentral_cache_span: span has no free objects: allocCount=N nelems=N"] = "central_set"
      # heap_alloc is derived from the per-class free counts (mstats.c), so a
      # free counted under a class that does not exist is the defect
      # stats_bytes names; the throw stops it before the count is made
      t["mstats_note_small_free: bad size class N"] = "stats_bytes"
      # the own checks of fuzz_pageheap that restate one (its failure line, as
      # af_signature prints it)
      p["free runs at pages N and N are adjacent (not coalesced)"] = "free_adjacent"
      p["free run at page N of N pages is not on its free list"] = "free_list"
      p["last page of free run at page N does not map to it"] = "spanmap_free_ends"
    }
    FILENAME != "-" { fmt[++nfmt] = $0; next }
    /^fuzz_pageheap: / { m = substr($0, 16); if (m in p) { print "invariant " p[m]; next } }
    /^DIFFERENCE: (memstats|heap profile|reachability|tiny block): / { m = substr($0, 13); sub(/:.*/, "", m); print "check " m; next }
    # the invariants of the heap checker on the profile buckets judge what
    # the profile comparison of the model judges (the counts of a bucket:
    # frees above allocs, or off its live records), from the heap side: which
    # one fails first depends on the input (a free before the check or not)
    /^DIFFERENCE: heap_check: profile_(bucket|live)$/ { print "check heap profile"; next }
    /^DIFFERENCE: heap_check: / { print "invariant " substr($0, 25); next }
    # a call the model refuses that the heap accepted, whether the damage
    # threw inside the call or not (exec_report.c report_throw; plant
    # free_double_free_accepted: the second free empties the span or not)
    match($0, /^DIFFERENCE: heap_[a-z_]+\(/) && (match($0, / returned OK, the model predicts [A-Z_]+$/) ||
        match($0, / threw instead of returning [A-Z_]+, as the model predicts/)) {
      f = $0; sub(/^DIFFERENCE: /, "", f); sub(/\(.*/, "", f)
      e = $0; sub(/.*(predicts|returning) /, "", e); sub(/[^A-Z_].*/, "", e)
      print "check " f " accepts what the model refuses (" e ")"; next }
    /^THROW: / {
      m = substr($0, 8); sub(/ @ [^ ]*$/, "", m)
      if (match(m, /handed over invalid: [a-z_]+/)) { print "invariant " substr(m, RSTART + 21, RLENGTH - 21); next }
      if (m in t) { print "invariant " t[m]; next }
      site = $0; if (!sub(/.* @ /, "", site)) site = ""
      best = 0
      for (i = 1; i <= nfmt; i++) {
        if (!(i in fre)) compile(fmt[i], i)
        if (m ~ fre[i] && (!best || length(fkey[i]) > length(fkey[best]))) best = i }
      if (best) { print "throw " fkey[best] (site != "" ? " @ " site : ""); next }
    }
    { print }
    function lit(s,   r, i, c) {   # normalized constant text, as a regex
      s = norm(s); r = ""
      for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); r = r (index(".[]()*+?^$\\|{}/", c) ? "\\" c : c) }
      return r }
    # a format string as a regex that matches its normalized message, and
    # as a key (conversions blanked as norm blanks their output; %s kept)
    function compile(f, k,   rest, re, key, sp, c) {
      rest = f; re = ""; key = ""
      while (match(rest, /%[-#0-9.]*(hh|h|ll|l|z|j|t)?[diuxXpsc%]/)) {
        re = re lit(substr(rest, 1, RSTART - 1)); key = key norm(substr(rest, 1, RSTART - 1))
        sp = substr(rest, RSTART, RLENGTH); c = substr(sp, length(sp))
        if (c == "s") { re = re ".*"; key = key "%s" }
        else if (c == "%") { re = re "%"; key = key "%" }
        else if (c == "c") { re = re "."; key = key "%c" }
        else { re = re "-?(ADDR|N)"; key = key (c == "p" || sp ~ /#/ ? "ADDR" : "N") }
        rest = substr(rest, RSTART + RLENGTH) }
      fre[k] = "^" re lit(rest) "$"; fkey[k] = key norm(rest) }'"$AF_AWK_NORM" <(af_throw_formats) - <<<"$1"
}
