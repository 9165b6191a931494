#!/usr/bin/env bash
# Writes man pages from the command's own help texts, so they never drift:
# wbpf(1) from `wbpf --help`, and wbpf-CMD(1) from `wbpf CMD --help` for
# each command `wbpf --help` lists.
#   scripts/help2man.sh WBPF VERSION OUTDIR
set -euo pipefail
[ $# = 3 ] || { echo "usage: $0 WBPF VERSION OUTDIR" >&2; exit 2; }
wbpf=$1 version=$2 out=$3
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)

# roff: a leading '.' or "'" would be a request, and '\' an escape.
escape() {
	sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
}

# page NAME SUMMARY HELP_TEXT
page() {
	local name=$1 summary=$2 help=$3 upper
	upper=$(echo "$name" | tr a-z- A-Z-)
	{
		echo ".TH $upper 1 \"$date\" \"wbpf $version\" \"User Commands\""
		echo ".SH NAME"
		echo "$name \\- $summary"
		echo ".SH SYNOPSIS"
		printf '%s\n' "$help" | sed -n 's/^usage: //p;s/^       \(wbpf .*\)/\1/p' | escape | sed 's/$/\n.br/'
		echo ".SH DESCRIPTION"
		echo ".nf"
		printf '%s\n' "$help" | grep -v '^usage: \|^       wbpf ' | escape
		echo ".fi"
		if [ "$name" != wbpf ]; then
			echo ".SH SEE ALSO"
			echo ".BR wbpf (1)"
		fi
	} >"$out/$name.1"
}

main_help=$("$wbpf" --help)
commands=$(printf '%s\n' "$main_help" | sed -n '/^commands:/,/^$/{s/^  \([a-z][a-z0-9-]*\)  *\(.*\)/\1\t\2/p}')
page wbpf "run sandboxed WebAssembly plugins on eBPF observability" "$main_help"
while IFS=$'\t' read -r cmd summary; do
	[ -n "$cmd" ] || continue
	page "wbpf-$cmd" "$summary" "$("$wbpf" "$cmd" --help)"
done <<<"$commands"
ls "$out"
