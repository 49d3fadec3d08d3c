#!/usr/bin/env bash
# fuzz.sh DURATION: runs each Go fuzz target in the module for DURATION and
# reports every failing target at the end (new crashers are written under the
# package's testdata/fuzz, where `go test` replays them from then on).
set -uo pipefail
dur=${1:-60s}
cd "$(dirname "$0")/.."
failed=()
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "== $pkg $target ($dur)"
    # Minimising a new input can take a minute per input and counts no
    # executions meanwhile; 5 s keeps the run fuzzing.
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$dur" -fuzzminimizetime 5s "$pkg"; then
      failed+=("$pkg $target")
    fi
  done
done
if [ ${#failed[@]} -gt 0 ]; then
  printf 'fuzz: failing targets:\n'; printf '  %s\n' "${failed[@]}"
  exit 1
fi
echo "fuzz: every target passed"
