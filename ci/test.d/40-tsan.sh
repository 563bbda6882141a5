#!/usr/bin/env bash
# ThreadSanitizer: the tsan workflow preset (clang TSan+UBSan, debug asserts
# and the lock-rank check) configures, builds and passes its CTest run: the
# unit tests (the threaded ones under TSan) and every target's corpus replay
# through its <target>_replay, fuzz_threads' seeds with the Ps on threads of
# their own. The tsan test preset leaves out the heaviest single-threaded
# tests (minutes under TSan, and a thread that never races itself gives TSan
# nothing to see); the default and asan workflows run them, asan with the
# same lock-rank check. Prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/../.."
source ci/lib.sh
af_sanitizer_env
t0=$SECONDS
cmake --workflow --preset tsan
echo "tsan: $((SECONDS - t0)) s"
