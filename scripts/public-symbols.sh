#!/usr/bin/env bash
# Prints the functions the public headers declare (include/wbpf/*.h), one a
# line, sorted: the symbols libwbpf.so exports and nothing else. A
# declaration starts at column 0 with its type and names the function just
# before its '('; typedefs, static inline helpers and attributes are not
# symbols.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -hE '^[a-z].*\b[a-z_][a-z0-9_]*\(' include/wbpf/*.h |
	grep -vE '^(typedef|static|#)' |
	sed -E 's/\(.*//; s/.*[^a-z0-9_]([a-z_][a-z0-9_]*)$/\1/' |
	grep -v '^__' | sort -u
