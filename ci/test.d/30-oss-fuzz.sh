#!/usr/bin/env bash
# The OSS-Fuzz / ClusterFuzzLite build works: ci/oss-fuzz-check builds every
# target as OSS-Fuzz would for each build ci/oss-fuzz/project.yaml enables
# (address, undefined, memory with libFuzzer; AFL++) plus coverage, runs
# OSS-Fuzz's bad-build checks and fuzzes each target for 3 seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec ci/oss-fuzz-check
