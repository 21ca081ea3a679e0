#!/bin/bash
# Regenerates gen/testdata/build_constraints/d_state_windows.go: the output
# stategen writes on Windows for d_windows.go, which a loader on Linux cannot
# see. The case keeps it as input, to check that a run elsewhere leaves it
# alone and that the package still builds for Windows (TestGoldenCompiles).
# Run it after a change to the generated code, as go test ./gen -update is
# run for the goldens.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/stategen" "$repo/cmd/stategen"
mkdir "$tmp/case"
cp "$repo"/gen/testdata/build_constraints/*.go "$tmp/case/"
rm -f "$tmp"/case/*_state*.go
printf 'module example.com/golden/build_constraints\n\ngo 1.26\n\nrequire github.com/statekit/statekit v0.0.0\n\nreplace github.com/statekit/statekit => %s\n' "$repo" > "$tmp/case/go.mod"
cp "$repo/go.sum" "$tmp/case/"
(cd "$tmp/case" && GOFLAGS=-mod=mod GOOS=windows "$tmp/stategen" $(cat "$repo/gen/testdata/build_constraints/flags"))
cp "$tmp/case/d_state_windows.go" "$repo/gen/testdata/build_constraints/"
