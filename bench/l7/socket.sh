#!/usr/bin/env bash
# What the socket source costs the traced application (not a test:
# nothing asserted). Root.
#
#   bench/l7/socket.sh [N]     (make bench-l7-sock; N requests a round, 20000)
#
# nginx on 127.0.0.1 (tests/l7/traffic.sh's server) driven by ab (keep-
# alive, 8 connections). Rounds alternate without and with
# `wbpf l7 --source socket` running, in one run, so that the neighbours'
# load falls on both alike; the medians are compared. Then one round at
# 32 connections: records/s the source delivered and how many it lost.
set -u
N=${1:-20000}
BUILD=${BUILD:-build}
WBPF=$(realpath "${WBPF:-$BUILD/wbpf}")
ROUNDS=${ROUNDS:-5}
SRC=$(cd "$(dirname "$0")/../../tests/l7" && pwd)
TMP=$(mktemp -d /tmp/wbpf-l7sock-bench.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || { echo "bench-l7-sock: needs root (eBPF)"; exit 0; }
# shellcheck source=tests/l7/traffic.sh
. "$SRC/traffic.sh"
start_servers >/dev/null || exit 1
URL="http://$HTTP_ADDR:$HTTP_PORT/index.html"

# ab's requests/s
load() {
	ab -q -k -n "$1" -c "$2" "$URL" 2>/dev/null | awk '/^Requests per second/ { print $4 }'
}

# traced CMD...: runs CMD while wbpf traces the server's port; prints
# CMD's output, then "sent seen lost" from wbpf's summary and CMD's
# seconds.
traced() {
	"$WBPF" l7 --source socket --port "$HTTP_PORT" --json >/dev/null 2>"$TMP/w.err" &
	local wp=$!
	PIDS+=($wp)
	for _ in $(seq 300); do
		grep -q "attached" "$TMP/w.err" && break
		sleep 0.1
	done
	local t0 t1
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	kill -INT $wp
	wait $wp
	echo "$(sed -n 's/.*: \([0-9]*\) records sent, \([0-9]*\) seen, \([0-9]*\) lost.*/\1 \2 \3/p' "$TMP/w.err") $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

load 2000 8 >/dev/null # warm up
for r in $(seq "$ROUNDS"); do
	load "$N" 8 >>"$TMP/base"
	traced load "$N" 8 | head -1 >>"$TMP/traced"
done
base=$(median <"$TMP/base")
with=$(median <"$TMP/traced")
echo "nginx on loopback, ab -k -c 8, $N requests a round, $ROUNDS rounds each, medians:"
printf '| %-34s | %12s |\n' "" "requests/s"
printf '| %-34s | %12s |\n' "no tracing" "$base"
printf '| %-34s | %12s |\n' "wbpf l7 --source socket" "$with"
awk -v b="$base" -v w="$with" 'BEGIN { printf "throughput lost: %.1f%%\n", (b - w) * 100 / b }'
echo "rounds without: $(tr '\n' ' ' <"$TMP/base")"
echo "rounds with:    $(tr '\n' ' ' <"$TMP/traced")"

out=$(traced load $((N * 2)) 32)
read -r rps < <(echo "$out" | head -1)
read -r sent seen lost secs < <(echo "$out" | tail -1)
awk -v s="$sent" -v n="$seen" -v l="$lost" -v t="$secs" -v r="$rps" 'BEGIN {
	printf "ab -c 32 under tracing: %s requests/s; records sent %d, seen %d, lost %d: %.0f records/s\n",
		r, s, n, l, s / t }'
