#!/bin/bash -eu
# ClusterFuzzLite and OSS-Fuzz share one build script.
exec "$SRC/allocfuzz/ci/oss-fuzz/build.sh"
