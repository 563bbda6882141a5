#!/usr/bin/env bash
# ThreadSanitizer: the tsan preset (clang TSan+UBSan, debug asserts and the
# lock-rank check) builds; its CTest suite passes (the threaded tests run
# under TSan); every target's kept corpus and compiled seeds replay through
# its <target>_replay without a report, fuzz_threads' seeds with the Ps on
# threads of their own. Prints how long it took.
# Left out of the tsan CTest run: the heaviest single-threaded tests (minutes
# under TSan, and a thread that never races itself gives TSan nothing to
# see); the default and asan presets run them, the asan one with the same
# debug lock-rank check.
set -euo pipefail
cd "$(dirname "$0")/../.."
source ci/lib.sh
af_sanitizer_env
t0=$SECONDS
af_step "tsan: configure+build"
af_build tsan
af_step "tsan: ctest"
heavy='scenarios|allocfuzz_run|every_size_gets_its_class_size_and_alignment'
heavy+='|heap_reset_after_heavy_use_equals_fresh_heap|asm_disasm_round_trip_random_programs'
heavy+='|any_byte_string_decodes_to_a_valid_program|bench_specials_prints_the_commit_table'
ctest --test-dir build/tsan --output-on-failure -j "$(nproc)" -E "^($heavy)\$"
af_step "tsan: replay"
fail=0
AF_REPLAY_PRESETS=tsan bash ci/test.d/10-replay.sh || fail=1
echo "tsan: $((SECONDS - t0)) s"
exit $fail
