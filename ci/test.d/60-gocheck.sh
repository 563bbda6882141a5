#!/usr/bin/env bash
# Go as the third oracle: the scenarios, the regressions and 500 generated
# programs run on Go 1.19 and on allocfuzz in every mode (ci/gocheck); every
# expressible program must agree. Installs golang-go when root; without Go
# this step fails (ci/gocheck exits 2 with the reason), it never passes
# silently. Uses the default preset's allocfuzz, which ci/test built.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$SECONDS
ci/gocheck corpus/scenarios corpus/regressions --gen 500 --seed 1
echo "gocheck: $(( SECONDS - start )) s"
