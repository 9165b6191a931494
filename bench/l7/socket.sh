#!/usr/bin/env bash
# What the socket source costs the traced application (not a test:
# nothing asserted). Root.
#
#   bench/l7/socket.sh [N]     (make bench-l7-sock; N requests a round, 20000)
#
# nginx on 127.0.0.1 (tests/l7/traffic.sh's server) driven by ab (keep-
# alive, 8 connections). Rounds alternate without and with
# `wbpf l7 --source socket` running, in one run, so that the neighbours'
# load falls on both alike. Two measures: requests/s (wall clock: on a
# shared machine mostly the neighbours' noise) and the CPU time nginx's
# worker and ab spend per request (user + system, from /proc: what the
# tracing adds to the traced processes themselves, which is what limits a
# CPU-bound server's throughput), medians of the rounds. Then wbpf's own
# CPU per record, and one round at 32 connections: records/s delivered and
# how many were lost.
set -u
N=${1:-20000}
BUILD=${BUILD:-build}
WBPF=$(realpath "${WBPF:-$BUILD/wbpf}")
ROUNDS=${ROUNDS:-5}
SRC=$(cd "$(dirname "$0")/../../tests/l7" && pwd)
. "$SRC/../lib.sh"
scratch l7sock-bench

[ "$(id -u)" -eq 0 ] || { echo "bench-l7-sock: needs root (eBPF)"; exit 0; }
# shellcheck source=tests/l7/traffic.sh
. "$SRC/traffic.sh"
start_servers >/dev/null || exit 1
WORKER=$(pgrep -P "${PIDS[0]}" -x nginx | head -1)
URL="http://$HTTP_ADDR:$HTTP_PORT/index.html"
HZ=$(getconf CLK_TCK)

ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# load N C: "requests/s cpu-µs-per-request" (nginx's worker + ab)
load() {
	local before after ab_cpu rps
	before=$(ticks "$WORKER")
	/usr/bin/time -f '%U %S' -o "$TMP/ab.time" ab -q -k -n "$1" -c "$2" "$URL" >"$TMP/ab.out" 2>&1
	after=$(ticks "$WORKER")
	rps=$(awk '/^Requests per second/ { print $4 }' "$TMP/ab.out")
	ab_cpu=$(awk '{ print $1 + $2 }' "$TMP/ab.time")
	awk -v r="$rps" -v a="$ab_cpu" -v t=$((after - before)) -v hz="$HZ" -v n="$1" \
		'BEGIN { printf "%s %.2f\n", r, (a + t / hz) * 1e6 / n }'
}

# traced CMD...: CMD while wbpf traces the server's port; CMD's output,
# then "sent seen lost wbpf-cpu-seconds CMD-seconds"
traced() {
	"$WBPF" l7 --source socket --port "$HTTP_PORT" --json >/dev/null 2>"$TMP/w.err" &
	local wp=$! t0 t1 cpu
	PIDS+=($wp)
	for _ in $(seq 300); do
		grep -q "attached" "$TMP/w.err" && break
		sleep 0.1
	done
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	cpu=$(ticks $wp)
	kill -INT $wp
	wait $wp
	echo "$(sed -n 's/.*: \([0-9]*\) records sent, \([0-9]*\) seen, \([0-9]*\) lost.*/\1 \2 \3/p' "$TMP/w.err")" \
		"$(awk -v c="$cpu" -v hz="$HZ" 'BEGIN { print c / hz }')" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

load 2000 8 >/dev/null # warm up
for r in $(seq "$ROUNDS"); do
	load "$N" 8 >>"$TMP/base"
	traced load "$N" 8 >"$TMP/t"
	head -1 "$TMP/t" >>"$TMP/traced"
	tail -1 "$TMP/t" >>"$TMP/wbpf"
done
b_rps=$(cut -d' ' -f1 "$TMP/base" | median)
t_rps=$(cut -d' ' -f1 "$TMP/traced" | median)
b_cpu=$(cut -d' ' -f2 "$TMP/base" | median)
t_cpu=$(cut -d' ' -f2 "$TMP/traced" | median)
echo "nginx on loopback, ab -k -c 8, $N requests a round, $ROUNDS rounds each, medians:"
printf '| %-26s | %10s | %28s |\n' "" "requests/s" "CPU µs/request (nginx + ab)"
printf '| %-26s | %10s | %28s |\n' "no tracing" "$b_rps" "$b_cpu"
printf '| %-26s | %10s | %28s |\n' "wbpf l7 --source socket" "$t_rps" "$t_cpu"
awk -v b="$b_rps" -v w="$t_rps" -v bc="$b_cpu" -v tc="$t_cpu" 'BEGIN {
	printf "requests/s lost: %.1f%%; CPU added to the traced processes: %.1f%%\n",
		(b - w) * 100 / b, (tc - bc) * 100 / bc }'
echo "rounds without (requests/s, µs/request): $(tr '\n' ';' <"$TMP/base")"
echo "rounds with:                             $(tr '\n' ';' <"$TMP/traced")"
awk '{ s += $1; c += $4 } END { printf "wbpf itself: %.1f µs of CPU per record (%d records)\n", c * 1e6 / s, s }' "$TMP/wbpf"

out=$(traced load $((N * 2)) 32)
read -r rps _ < <(echo "$out" | head -1)
read -r sent seen lost _ secs < <(echo "$out" | tail -1)
awk -v s="$sent" -v n="$seen" -v l="$lost" -v t="$secs" -v r="$rps" 'BEGIN {
	printf "ab -c 32 under tracing: %s requests/s; records sent %d, seen %d, lost %d: %.0f records/s\n",
		r, s, n, l, s / t }'
