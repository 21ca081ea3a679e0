#!/usr/bin/env bash
# Fuzz every Fuzz target of the module for a while, then copy a sample of the
# inputs the fuzzer found interesting (its cache) into the package's
# testdata/fuzz/<Name>, where `go test` runs them as ordinary test cases.
#
#   scripts/fuzz-corpus.sh [fuzztime]     (default 30s per target)
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-30s}
keep=${KEEP:-60}   # inputs kept per target
cache=$(go env GOCACHE)/fuzz

git grep -l '^func Fuzz' -- '*_test.go' | while read -r file; do
	dir=$(dirname "$file")
	pkg=$(go list "./$dir")
	for name in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
		echo "== $pkg $name ($fuzztime)"
		go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 2s "./$dir"
		src="$cache/$pkg/$name"
		dst="$dir/testdata/fuzz/$name"
		mkdir -p "$dst"
		# the smallest inputs first: they are the readable ones
		ls -S -r "$src" 2>/dev/null | head -n "$keep" | while read -r f; do
			cp "$src/$f" "$dst/$f"
		done
		echo "   $(ls "$dst" | wc -l) inputs in $dst"
	done
done
