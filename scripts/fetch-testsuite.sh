#!/usr/bin/env bash
# Fetches the official WebAssembly testsuite's .wast files into DIR
# (default: testsuite/ at the top of the repository, where the build looks
# when SPEC_DIR is not set). The commit is the one the engine is checked
# against: the newest whose every file Debian 12's wast2json (wabt 1.0.32)
# converts; later commits use Wasm 3.0 text syntax.
set -euo pipefail

COMMIT=3a04b2cf93bd8fce277458d419eea8d9c326345c
URL=https://github.com/WebAssembly/testsuite.git
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/testsuite}

if compgen -G "$dir/*.wast" >/dev/null; then
	echo "fetch-testsuite: $dir already holds the suite"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A shallow fetch of one commit keeps the download to the files we need.
git -C "$tmp" init -q
git -C "$tmp" remote add origin "$URL"
if ! git -C "$tmp" fetch -q --depth 1 origin "$COMMIT"; then
	echo "fetch-testsuite: cannot fetch $URL at $COMMIT (no network?)" >&2
	exit 1
fi
git -C "$tmp" checkout -q FETCH_HEAD
mkdir -p "$dir"
cp "$tmp"/*.wast "$tmp"/LICENSE "$dir"/
echo "fetch-testsuite: $(ls "$dir"/*.wast | wc -l) scripts in $dir (commit ${COMMIT:0:12})"
