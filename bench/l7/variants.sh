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
# a round, N=40000) as in bench/l7/socket.sh, each on a CPU of its own
# (PIN: tests/l7/traffic.sh's pin_bench_load); each round runs ab untraced,
# then under each configuration in turn, ROUNDS times (ROUNDS=8), and one
# untraced round closes the last, with bpf_stats off. Each round's
# configurations are measured against the mean of the untraced rounds that
# bracket them. This machine's other tenants move its speed in phases of
# seconds: a round whose brackets differ by more than STEADY percent
# (STEADY=5) straddled such a change and is set aside, whatever its traced
# figures (so the choice cannot favour a configuration). For each
# configuration, the medians over the rounds kept of: the CPU nginx's
# worker and ab spent per request above the brackets (µs), the requests/s
# lost against them (%), and wbpf's CPU per request (µs); and the records
# lost over all rounds (a configuration that loses records does less
# work, and looks cheaper than it is).
set -u
N=${N:-40000}
ROUNDS=${ROUNDS:-8}
STEADY=${STEADY:-5}
SRC=$(cd "$(dirname "$0")/../../tests/l7" && pwd)
. "$SRC/../lib.sh"
scratch l7sock-variants

[ "$(id -u)" -eq 0 ] || { echo "variants: needs root (eBPF)"; exit 0; }
[ $# -gt 0 ] || { echo "usage: $0 'LABEL|WBPF|ARGS' ..." >&2; exit 2; }
# shellcheck source=tests/l7/traffic.sh
. "$SRC/traffic.sh"
start_servers >/dev/null || exit 1
WORKER=$(pgrep -P "${PIDS[0]}" -x nginx | head -1)
pin_bench_load "$WORKER" || exit 1
URL="http://$HTTP_ADDR:$HTTP_PORT/index.html"

cpu_ns() {
	cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { print s }'
}

# load: "cpu-µs-per-request requests/s" (nginx's worker + ab)
load() {
	local before after
	before=$(cpu_ns "$WORKER")
	/usr/bin/time -f '%U %S' -o "$TMP/ab.time" "${LOADGEN[@]}" ab -q -k -n "$N" -c 8 "$URL" >"$TMP/ab.out" 2>&1
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
"${LOADGEN[@]}" ab -q -k -n 2000 -c 8 "$URL" >/dev/null 2>&1 # warm up
# $TMP/bases: a line per untraced round; $TMP/runs: "round index cpu rps wcpu lost"
load >"$TMP/bases"
for r in $(seq "$ROUNDS"); do
	i=0
	for cfg in "$@"; do
		IFS='|' read -r label wbpf args <<<"$cfg"
		read -r cpu rps wcpu lost < <(run "$wbpf" "$args")
		echo "$label: $cpu µs/request, $rps requests/s, wbpf $wcpu, ${lost:-?} records lost" \
			"(untraced before: $(tail -1 "$TMP/bases"))"
		echo "$r $i $cpu $rps $wcpu ${lost:-0}" >>"$TMP/runs"
		i=$((i + 1))
	done
	load >>"$TMP/bases"
	echo "untraced after: $(tail -1 "$TMP/bases")"
done
sysctl -qw kernel.bpf_stats_enabled="$stats"

# "index cpu-added rps-lost% wcpu lost" for each configuration's run in a
# steady round; "steady N" first
awk -v steady="$STEADY" 'NR == FNR { bc[NR] = $1; br[NR] = $2; n = NR; next }
	FNR == 1 { for (r = 1; r < n; r++)
			 if ((ok[r] = (br[r] > br[r + 1] ? br[r] - br[r + 1] : br[r + 1] - br[r]) * 200 <= steady * (br[r] + br[r + 1])))
				 kept++
		   print "steady", kept + 0 }
	ok[$1] { c = (bc[$1] + bc[$1 + 1]) / 2; b = (br[$1] + br[$1 + 1]) / 2
		 print $2, $3 - c, (b - $4) * 100 / b, $5, $6 }' "$TMP/bases" "$TMP/runs" >"$TMP/deltas"
echo "medians of $(awk '/^steady/ { print $2 }' "$TMP/deltas") steady rounds of $ROUNDS (untraced brackets within $STEADY%)" \
	"against their brackets, ab -k -c 8, $N requests:"
i=0
for cfg in "$@"; do
	IFS='|' read -r label _ <<<"$cfg"
	awk -v i=$i '$1 == i' "$TMP/deltas" >"$TMP/delta.$i"
	if [ ! -s "$TMP/delta.$i" ]; then
		echo "  $label: no steady round"
		i=$((i + 1))
		continue
	fi
	awk -v l="$label" -v c="$(cut -d' ' -f2 "$TMP/delta.$i" | median)" \
		-v r="$(cut -d' ' -f3 "$TMP/delta.$i" | median)" -v w="$(cut -d' ' -f4 "$TMP/delta.$i" | median)" \
		-v lost="$(awk -v i=$i '$2 == i { s += $6 } END { print s + 0 }' "$TMP/runs")" \
		'BEGIN { printf "  %s: nginx + ab %+.2f µs a request, requests/s lost %.1f%%, wbpf %.2f µs a request", l, c, r, w
			 # a configuration that drops records does less work: its figures flatter it
			 if (lost) printf "; %d records LOST over the rounds: not comparable", lost
			 printf "\n" }'
	i=$((i + 1))
done
