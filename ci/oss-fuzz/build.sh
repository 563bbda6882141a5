#!/bin/bash -eu
# Builds every allocfuzz fuzz target (harness/targets.txt) for OSS-Fuzz and
# ClusterFuzzLite; ci/oss-fuzz-check runs it without Docker on every ci/test.
#
# The OSS-Fuzz contract: the compilers and every flag come from the
# environment (CC, CXX, CFLAGS, CXXFLAGS), the fuzzing engine only through
# $LIB_FUZZING_ENGINE, targets are linked with $CXX against static archives of
# our code, and $OUT receives, for each target <t>:
#   <t>  <t>_seed_corpus.zip  <t>.options  <t>.dict (when corpus/<t>.dict exists)
# plus go-sizeclasses.tsv, the reference table the model and fuzz_sizeclass
# read at run time (refdir.c points AF_REFERENCE_DIR at the binary's
# directory, since ClusterFuzz runs targets from a copy of $OUT only).
src=${AF_SRC:-$SRC/allocfuzz}
build=$WORK/allocfuzz-build
host=$WORK/allocfuzz-host

# Our libraries, with the environment's flags. -Werror stays a developer
# setting: a newer compiler's new warning must not stop the fuzzing. The
# debug asserts (lock ranks) and the span validators at hand-overs are on, as
# in the fuzz and asan presets: OSS-Fuzz fuzzes with every check we have.
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS -DALLOCFUZZ_FUZZING=1" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DAF_WERROR=OFF -DAF_DEBUG=ON -DAF_EXPENSIVE=ON >/dev/null
have_target() { cmake --build "$1" --target help | grep -q "^\.\.\. $2\$"; }
libs=()
for l in af_harness af_oracles af_alloc; do
  have_target "$build" "$l" && libs+=("$l")
done
cmake --build "$build" -j"$(nproc)" --target "${libs[@]}"
archives=()
for l in "${libs[@]}"; do archives+=("$build/lib$l.a"); done

# Objects every target links besides its own file.
extra=()
$CC $CFLAGS -c "$src/ci/oss-fuzz/refdir.c" -o "$WORK/refdir.o"
extra+=("$WORK/refdir.o")
if [ -f "$src/harness/mutator.c" ]; then
  $CC $CFLAGS -DALLOCFUZZ_FUZZING=1 -I"$src" -c "$src/harness/mutator.c" -o "$WORK/mutator.o"
  extra+=("$WORK/mutator.o")
fi

# Seeds compiled from readable sources (the CMake target `seeds`: corpus/
# mkseeds.sh) need allocfuzz at build time: a helper built without
# instrumentation, as the OSS-Fuzz guide says ("Temporarily disabling code
# instrumentation during builds"): no CFLAGS, and AFL_NOOPT=1 so that
# afl-clang-fast compiles plain code under AFL++.
seeds_built=0
if have_target "$build" seeds; then
  AFL_NOOPT=1 cmake -S "$src" -B "$host" -DCMAKE_BUILD_TYPE=None -DCMAKE_C_COMPILER="$CC" \
    -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_C_FLAGS="-O0" -DCMAKE_CXX_FLAGS="-O0" -DAF_WERROR=OFF >/dev/null
  AFL_NOOPT=1 cmake --build "$host" -j"$(nproc)" --target seeds && seeds_built=1
fi

cp "$src/reference/go-sizeclasses.tsv" "$OUT/"
# The targets: harness/targets.txt (first word of each line).
for t in $(awk '!/^[ \t]*(#|$)/ { print $1 }' "$src/harness/targets.txt"); do
  f=$src/harness/$t.c
  [[ "$t" =~ ^[A-Za-z0-9_-]+$ ]] || { echo "build.sh: bad target name: $t" >&2; exit 1; }
  $CC $CFLAGS -DALLOCFUZZ_FUZZING=1 -I"$src" -c "$f" -o "$WORK/$t.o"
  $CXX $CXXFLAGS "$WORK/$t.o" "${extra[@]}" "${archives[@]}" -lm -lpthread \
    $LIB_FUZZING_ENGINE -o "$OUT/$t"

  # Seed corpus: the kept corpus, the compiled seeds and the regressions'
  # binary inputs, named by content.
  stage=$WORK/seeds/$t
  rm -rf "$stage"; mkdir -p "$stage"
  for d in "$src/corpus/$t" "$host/corpus/$t" "$src/corpus/regressions/$t"; do
    [ -d "$d" ] || continue
    [ "$d" != "$host/corpus/$t" ] || [ $seeds_built = 1 ] || continue
    find "$d" -type f ! -name '*.ops' ! -name '*.txt' ! -name '.*' -print0 |
      while IFS= read -r -d '' s; do cp "$s" "$stage/$(sha1sum <"$s" | cut -c1-40)"; done
  done
  # No seeds at all: one zero record (AFL++ refuses an empty file).
  [ -n "$(ls -A "$stage")" ] || head -c 8 /dev/zero >"$stage/zero"
  rm -f "$OUT/${t}_seed_corpus.zip"
  (cd "$stage" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)

  {
    echo "[libfuzzer]"
    if [ -f "$src/corpus/$t.dict" ]; then
      cp "$src/corpus/$t.dict" "$OUT/$t.dict"
      echo "dict = $t.dict"
    fi
  } >"$OUT/$t.options"
done
