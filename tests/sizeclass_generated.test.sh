#!/usr/bin/env bash
# alloc/msize.c is exactly what the committed generator prints: nobody
# hand-edited the table and the generator was not changed without
# regenerating it. Usage: sizeclass_generated.test.sh <build dir>
set -euo pipefail
build=${1:?usage: $0 <build dir>}
src=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$build/mksizeclasses" > "$out"
if ! diff -u "$src/alloc/msize.c" "$out"; then
	echo "alloc/msize.c differs from mksizeclasses output; regenerate:" >&2
	echo "  $build/mksizeclasses > alloc/msize.c" >&2
	exit 1
fi
echo "alloc/msize.c reproduced byte for byte"
