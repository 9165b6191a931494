#!/usr/bin/env bash
# What the ClickHouse sink costs `wbpf l7` (not a test: nothing asserted).
#
#   bench/sink/clickhouse.sh [N]     (make bench-sink; N defaults to 100000)
#
# One generated capture of N HTTP and N DNS transactions (2N records), read
# by `wbpf l7` writing JSON lines to /dev/null (the pipeline alone), then
# into a ClickHouse server started here on 127.0.0.1. For each: wall time,
# records/s, CPU seconds (user + system, the sender thread included) per
# 100k records; the sink's share = extra CPU over the JSON run's. The
# store's own count and the insert batches it logged close the table.
set -u
N=${1:-100000}
BUILD=${BUILD:-build}
WBPF=$(realpath "${WBPF:-$BUILD/wbpf}")
GEN=$(realpath "${GEN:-$BUILD/l7/gen_pcap}")
OUT=$BUILD/bench/sink
mkdir -p "$OUT"
CAP=$(realpath "$OUT")/mixed-$N.pcap
[ -s "$CAP" ] || "$GEN" bench "$CAP" "$N"
TMP=$(mktemp -d /tmp/wbpf-bench-sink.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"' EXIT
source "$(dirname "$0")/../../tests/lib.sh"
source "$(dirname "$0")/../../tests/sink/services.sh"
CH_DIR=$TMP/clickhouse
ch_start || { echo "clickhouse-server did not start"; exit 1; }

# run NAME ARGS...: prints a table row; sets CPU (seconds) for the sink share
run() {
	local name=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o "$TMP/time" "$WBPF" l7 --pcap "$CAP" -q "$@" >/dev/null
	t1=$(date +%s.%N)
	CPU=$(awk '{print $1 + $2}' "$TMP/time")
	awk -v n="$((2 * N))" -v w="$(echo "$t1 - $t0" | bc -l 2>/dev/null || awk "BEGIN{print $t1 - $t0}")" \
		-v c="$CPU" -v name="$name" \
		'BEGIN { printf "| %-34s | %7.2f | %10.0f | %8.3f |\n", name, w, n / w, c * 100000 / n }'
}

echo "wbpf l7 on $((2 * N)) records ($(basename "$CAP")), $(nproc) cores, $(date -u +%F)"
echo
echo "| output | wall s | records/s | CPU s per 100k |"
echo "|---|---:|---:|---:|"
run "--json > /dev/null (pipeline alone)" --json
base=$CPU
run "--output clickhouse (batch 10000)" --output "clickhouse=$CH_URL,table=bench,spool=$TMP/spool"
sink=$CPU
echo
awk -v b="$base" -v s="$sink" 'BEGIN { printf "sink share of the CPU: %.1f%%\n", (s - b) * 100 / s }'
echo "store: $(ch_query 'SELECT count() FROM bench FINAL') rows in table bench"
