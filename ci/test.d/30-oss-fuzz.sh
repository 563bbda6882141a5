#!/usr/bin/env bash
# The OSS-Fuzz / ClusterFuzzLite build works: ci/oss-fuzz-check builds every
# target as OSS-Fuzz would (address, undefined, AFL++) and fuzzes each briefly.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec ci/oss-fuzz-check
