#!/usr/bin/env bash
# Where the socket source's cost lands, build against build (not a test:
# nothing asserted). Root.
#
#   bench/l7/variants.sh 'LABEL|WBPF|ARGS' ...
#
# Each argument is a configuration: a label, a wbpf binary ('-' for none:
# an untraced round, which shows how much the order of the rounds alone
# moves the figures) and the extra arguments of its `wbpf l7 --source
# socket --port PORT` (may be empty). Throwaway builds (a program that
# leaves at once, a reader that drops what it drains) tell apart what the
# tracepoints' dispatch, the programs' work and wbpf's own work cost.
#
# nginx on 127.0.0.1 driven by ab (keep-alive, 8 connections, N requests
# a round, N=40000) as in bench/l7/socket.sh; each round runs ab untraced,
# then under each configuration in turn, ROUNDS times (ROUNDS=8), with
# bpf_stats off. For each configuration, the medians over the rounds of:
# the CPU nginx's worker and ab spent per request above the untraced round
# just before (µs), the requests/s lost against it (%), and wbpf's CPU per
# request (µs); and the records lost over all rounds (a configuration that
# loses records does less work, and looks cheaper than it is).
set -u
N=${N:-40000}
ROUNDS=${ROUNDS:-8}
SRC=$(cd "$(dirname "$0")/../../tests/l7" && pwd)
. "$SRC/../lib.sh"
scratch l7sock-variants

[ "$(id -u)" -eq 0 ] || { echo "variants: needs root (eBPF)"; exit 0; }
[ $# -gt 0 ] || { echo "usage: $0 'LABEL|WBPF|ARGS' ..." >&2; exit 2; }
# shellcheck source=tests/l7/traffic.sh
. "$SRC/traffic.sh"
start_servers >/dev/null || exit 1
WORKER=$(pgrep -P "${PIDS[0]}" -x nginx | head -1)
URL="http://$HTTP_ADDR:$HTTP_PORT/index.html"

cpu_ns() {
	cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { print s }'
}

# load: "cpu-µs-per-request requests/s" (nginx's worker + ab)
load() {
	local before after
	before=$(cpu_ns "$WORKER")
	/usr/bin/time -f '%U %S' -o "$TMP/ab.time" ab -q -k -n "$N" -c 8 "$URL" >"$TMP/ab.out" 2>&1
	after=$(cpu_ns "$WORKER")
	awk -v a="$before" -v b="$after" -v n="$N" \
		'{ printf "%.2f", ((b - a) / 1e9 + $1 + $2) * 1e6 / n }' "$TMP/ab.time"
	echo " $(awk '/^Requests per second/ { print $4 }' "$TMP/ab.out")"
}

# run WBPF ARGS: load under WBPF (none for '-'), then wbpf's CPU µs/request
# and the records it lost
run() {
	local wp c0 line
	if [ "$1" = - ]; then
		echo "$(load) 0 0"
		return
	fi
	# shellcheck disable=SC2086 # ARGS are words
	"$1" l7 --source socket --port "$HTTP_PORT" $2 --json >/dev/null 2>"$TMP/w.err" &
	wp=$!
	PIDS+=("$wp")
	for _ in $(seq 300); do
		grep -q attached "$TMP/w.err" && break
		sleep 0.1
	done
	c0=$(cpu_ns $wp)
	line="$(load) $(awk -v a="$c0" -v b="$(cpu_ns $wp)" -v n="$N" 'BEGIN { printf "%.2f", (b - a) / 1e3 / n }')"
	kill -INT $wp
	wait $wp
	echo "$line $(record_counts "$TMP/w.err" | cut -d' ' -f3)"
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }'
}

stats=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=0
ab -q -k -n 2000 -c 8 "$URL" >/dev/null 2>&1 # warm up
for _ in $(seq "$ROUNDS"); do
	read -r base_cpu base_rps < <(load)
	i=0
	for cfg in "$@"; do
		IFS='|' read -r label wbpf args <<<"$cfg"
		read -r cpu rps wcpu lost < <(run "$wbpf" "$args")
		echo "$label: $cpu µs/request, $rps requests/s, wbpf $wcpu, ${lost:-?} records lost" \
			"(untraced just before: $base_cpu, $base_rps)"
		awk -v bc="$base_cpu" -v br="$base_rps" -v c="$cpu" -v r="$rps" -v w="$wcpu" -v l="${lost:-0}" \
			'BEGIN { print c - bc, (br - r) * 100 / br, w, l }' >>"$TMP/delta.$i"
		i=$((i + 1))
	done
done
sysctl -qw kernel.bpf_stats_enabled="$stats"
echo "medians of $ROUNDS rounds against the untraced round before each, ab -k -c 8, $N requests:"
i=0
for cfg in "$@"; do
	IFS='|' read -r label _ <<<"$cfg"
	awk -v l="$label" -v c="$(cut -d' ' -f1 "$TMP/delta.$i" | median)" \
		-v r="$(cut -d' ' -f2 "$TMP/delta.$i" | median)" -v w="$(cut -d' ' -f3 "$TMP/delta.$i" | median)" \
		-v lost="$(awk '{ s += $4 } END { print s + 0 }' "$TMP/delta.$i")" \
		'BEGIN { printf "  %s: nginx + ab %+.2f µs a request, requests/s lost %.1f%%, wbpf %.2f µs a request", l, c, r, w
			 # a configuration that drops records does less work: its figures flatter it
			 if (lost) printf "; %d records LOST over the rounds: not comparable", lost
			 printf "\n" }'
	i=$((i + 1))
done
