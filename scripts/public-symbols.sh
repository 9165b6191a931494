#!/usr/bin/env bash
# Prints the functions the public headers declare (include/wbpf/*.h), one a
# line, sorted: the symbols libwbpf.so exports and nothing else. A
# declaration starts at column 0 with its type; typedefs and static inline
# helpers are not symbols.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -hE '^[a-z].*\bwbpf_[a-z0-9_]+\(' include/wbpf/*.h |
	grep -vE '^(typedef|static)\b' |
	grep -oE '\bwbpf_[a-z0-9_]+\(' | tr -d '(' | sort -u
