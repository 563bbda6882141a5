# Shared helpers for ci/ scripts (sourced).
af_step() { printf '\n==> %s\n' "$*" >&2; }

# Packages every ci/ script may need; installed only when missing and root.
AF_DEB_PACKAGES="cmake clang gcc make llvm-14 libclang-rt-14-dev afl++ gnuplot-nox zip unzip"
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
  command -v unzip >/dev/null || missing+=(unzip)
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

# ---- fuzzing helpers shared by ci/fuzz, ci/repro, ci/coverage, ci/test.d ----
AF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Targets whose input is the op language (allocfuzz asm/disasm convert it).
AF_OPS_TARGETS="fuzz_ops fuzz_twin fuzz_sweep"

# Every fuzz target, one name a line: harness/fuzz_<x>.c -> fuzz_<x>.
af_targets() {
  local f
  for f in "$AF_ROOT"/harness/fuzz_*.c; do
    [ -e "$f" ] && basename "$f" .c
  done
  return 0
}

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
  grep -v -E '^\[ *[0-9]+%\] (Building|Linking|Built)|^Consolidate|^-- |^g?make' "$log" >&2 || true
  rm -f "$log"
  return $rc
}

# Directories holding a target's seeds: the kept corpus and the scenarios
# compiled into binary form at build time (build/<preset>/corpus/<target>).
af_seed_dirs() {
  local t=$1 preset=${2:-default} d
  for d in "$AF_ROOT/corpus/$t" "$AF_ROOT/build/$preset/corpus/$t"; do
    [ -d "$d" ] && [ -n "$(ls -A "$d" 2>/dev/null)" ] && echo "$d"
  done
  return 0
}

af_dict() { [ -f "$AF_ROOT/corpus/$1.dict" ] && echo "$AF_ROOT/corpus/$1.dict"; return 0; }

# Symbolized sanitizer reports everywhere.
af_sanitizer_env() {
  local s
  s=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || true)
  [ -n "$s" ] && export ASAN_SYMBOLIZER_PATH=$s UBSAN_SYMBOLIZER_PATH=$s
  export ASAN_OPTIONS=${ASAN_OPTIONS:-symbolize=1:abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:symbolize=1}
}

# af_signature LOG: one line naming a failure, used to de-duplicate findings.
# The oracle's difference line (numbers and addresses blanked) wins; else the
# sanitizer's error kind and the top three frames inside this repository;
# else the first line that looks like an error.
af_signature() {
  awk -v root="$AF_ROOT/" '
    function norm(s) { gsub(/0x[0-9a-fA-F]+/, "ADDR", s); gsub(/[0-9]+/, "N", s); gsub(/[ \t]+/, " ", s); return s }
    !diff && /[Dd]ifference|[Mm]ismatch|expected .* got/ { diff = norm($0) }
    !kind && /ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): / {
      k = $0; sub(/.*ERROR: /, "", k); sub(/ on .*/, "", k); sub(/ \(.*/, "", k); kind = k }
    !kind && /runtime error:/ { k = $0; sub(/.*runtime error: /, "", k); kind = "UBSan: " norm(k) }
    !kind && /fatal error|heap_throw|throw:/ { kind = norm($0) }
    !first && /[Ee]rror|FAIL|abort/ { first = norm($0) }
    # Frames in our sources (not the build tree, not the replay main).
    /^ *#[0-9]+ 0x[0-9a-f]+ in / && index($5, root) == 1 && index($5, root "build/") != 1 &&
      $5 !~ /harness\/driver\.c/ && nf < 3 {
      fn = $4; if (!(fn in seen)) { seen[fn] = 1; frames = frames (nf ? " < " : "") fn; nf++ } }
    END {
      if (diff) print diff
      else if (kind) print kind (frames ? " @ " frames : "")
      else if (first) print first
      else print "no failure reproduced"
    }' "$1"
}
