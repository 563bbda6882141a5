#!/usr/bin/env bash
# ThreadSanitizer: the tsan preset (clang TSan+UBSan, debug asserts and the
# lock-rank check) builds; its CTest suite passes (the threaded tests run
# under TSan); every target's kept corpus and compiled seeds replay through
# its <target>_replay without a report, fuzz_threads' seeds with the Ps on
# threads of their own. Prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/../.."
source ci/lib.sh
af_sanitizer_env
t0=$SECONDS
af_step "tsan: configure+build"
af_build tsan
af_step "tsan: ctest"
ctest --test-dir build/tsan --output-on-failure -j "$(nproc)"
af_step "tsan: replay"
fail=0
AF_REPLAY_PRESETS=tsan bash ci/test.d/10-replay.sh || fail=1
echo "tsan: $((SECONDS - t0)) s"
exit $fail
