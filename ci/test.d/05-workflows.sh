#!/usr/bin/env bash
# The workflows and project.yaml files parse and use only inputs their actions
# define (ci/check-workflows), and the check itself catches each kind of
# mistake: a copy of the tree with one mistake planted must fail it. < 1 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
ci/check-workflows
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
plant() {  # NAME FILE SED-SCRIPT EXPECTED-MESSAGE
  local d="$tmp/$1"
  mkdir -p "$d/ci" "$d/.github"
  cp ci/workflow-actions.yaml "$d/ci/"; cp -r .github/workflows "$d/.github/"
  mkdir -p "$d/ci/oss-fuzz"; cp ci/oss-fuzz/project.yaml "$d/ci/oss-fuzz/"
  sed -i "$3" "$d/$2"
  if ci/check-workflows --root "$d" >"$d.log" 2>&1; then
    echo "workflows: check passed a tree with $1 planted" >&2; exit 1
  fi
  grep -q -- "$4" "$d.log" || { echo "workflows: $1: wrong message:" >&2; cat "$d.log" >&2; exit 1; }
}
plant unknown-input .github/workflows/cflite_build.yml 's/upload-build: true/upload-builds: true/' "has no input 'upload-builds'"
plant bad-mode .github/workflows/cflite_batch.yml "s/mode: 'batch'/mode: 'fuzz'/" "mode: 'fuzz' is not one of"
plant bad-matrix-sanitizer .github/workflows/cflite_pr.yml 's/sanitizer: \[address, undefined\]/sanitizer: [address, thread]/' "sanitizer: 'thread'"
plant missing-token .github/workflows/cflite_batch.yml '/github-token:/d' "needs input 'github-token'"
plant unsaved-sarif .github/workflows/cflite_batch.yml 's/mode: .batch./&\n          output-sarif: true/' "output-sarif is set"
plant unparsable .github/workflows/fuzz.yml 's/^jobs:/jobs: [/' "does not parse"
plant project-section ci/oss-fuzz/project.yaml 's/^homepage:/home_page:/' "'home_page' is not a valid section"
plant project-engine ci/oss-fuzz/project.yaml 's/^  - afl$/  - aflpp/' "'aflpp' is not one of"
echo "workflows: 8 planted mistakes each caught"
