#!/usr/bin/env bash
# The CPU one traced socket call costs under several configurations, run
# alternately so that the neighbours' load falls on all alike (not a test:
# nothing asserted). Root.
#
#   bench/l7/callalt.sh ROUNDS CALLS 'LABEL|WBPF|ARGS' ...
#
# Each configuration: LABEL, then a wbpf binary ("-" for none) started as
# `WBPF l7 --source socket --json ARGS` before bench/l7/sockcall's CALLS
# 100-byte writes and reads and stopped after; prints each configuration's
# ns per call, median and fastest run. Example (docs/l7.md's figures):
#   bench/l7/callalt.sh 5 300000 'none|-|' 'socket|build/wbpf|' \
#       'per-call|build/wbpf|--hooks per-call' 'filtered|build/wbpf|--pid 1'
set -u
[ $# -ge 3 ] || { sed -n '6,7p' "$0" >&2; exit 2; }
ROUNDS=$1
CALLS=$2
shift 2
SOCKCALL=$(realpath "${SOCKCALL:-build/bench/l7/sockcall}")
ERR=$(mktemp)
trap 'rm -f "$ERR"' EXIT
declare -A runs

# one CFG: ns per call of sockcall under it
run_one() {
	local wbpf args wp="" v
	IFS='|' read -r _ wbpf args <<<"$1"
	if [ "$wbpf" != - ]; then
		# shellcheck disable=SC2086
		"$wbpf" l7 --source socket --json $args >/dev/null 2>"$ERR" &
		wp=$!
		for _ in $(seq 300); do
			grep -q attached "$ERR" && break
			sleep 0.1
		done
	fi
	v=$("$SOCKCALL" "$CALLS" 100)
	if [ -n "$wp" ]; then
		kill -TERM "$wp"
		wait "$wp"
	fi
	echo "$v"
}

for _ in $(seq "$ROUNDS"); do
	for cfg in "$@"; do
		runs[${cfg%%|*}]+=" $(run_one "$cfg")"
	done
done
for cfg in "$@"; do
	label=${cfg%%|*}
	echo "$label: ${runs[$label]# } ns per call; $(tr ' ' '\n' <<<"${runs[$label]# }" | sort -n |
		awk '{ v[NR] = $1 } END { printf "median %d, fastest %d", v[int((NR + 1) / 2)], v[1] }')"
done
