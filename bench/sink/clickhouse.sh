#!/usr/bin/env bash
# What the ClickHouse sink costs `wbpf l7` (not a test: nothing asserted).
#
#   bench/sink/clickhouse.sh [N]     (make bench-sink; N defaults to 100000)
#
# One generated capture of N HTTP and N DNS transactions (2N records), read
# by `wbpf l7` writing JSON lines to /dev/null (the pipeline alone), then
# into a ClickHouse server started here on 127.0.0.1. For each: wall time, records/s, CPU seconds (user +
# system, the sender thread included) per 100k records; the sink's share =
# extra CPU over the JSON run's. The store's own count closes the table.
#
# CPU time on a shared machine moves by tens of percent from run to run, so
# the outputs take turns, REPS rounds (default 5), and each row gives the
# median. BEFORE=path/to/an/older/wbpf adds its ClickHouse run to every
# round: before and after measured side by side.
set -u
N=${1:-100000}
REPS=${REPS:-5}
BUILD=${BUILD:-build}
WBPF=$(realpath "${WBPF:-$BUILD/wbpf}")
GEN=$(realpath "${GEN:-$BUILD/l7/gen_pcap}")
BEFORE=${BEFORE:+$(realpath "$BEFORE")}
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

# run KEY BINARY ARGS...: one run; appends "wall cpu" to $TMP/KEY
run() {
	local key=$1 bin=$2 t0 t1
	shift 2
	t0=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o "$TMP/time" "$bin" l7 --pcap "$CAP" -q "$@" >/dev/null
	t1=$(date +%s.%N)
	echo "$(awk "BEGIN{print $t1 - $t0}") $(awk '{print $1 + $2}' "$TMP/time")" >>"$TMP/$key"
}

# median COLUMN KEY
median() {
	cut -d' ' -f"$1" "$TMP/$2" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

# row KEY NAME: a table row of KEY's medians; sets CPU
row() {
	local w
	w=$(median 1 "$1")
	CPU=$(median 2 "$1")
	awk -v n="$((2 * N))" -v w="$w" -v c="$CPU" -v name="$2" \
		'BEGIN { printf "| %-44s | %7.2f | %10.0f | %8.3f |\n", name, w, n / w, c * 100000 / n }'
}

ch() { # TABLE [OPTIONS]: the ClickHouse output spec
	echo "clickhouse=$CH_URL,table=$1,spool=$TMP/spool-$1${2:+,$2}"
}

for ((r = 1; r <= REPS; r++)); do
	run json "$WBPF" --json
	run gzip "$WBPF" --output "$(ch "bench_gzip_$r")"
	[ -n "$BEFORE" ] && run before "$BEFORE" --output "$(ch "bench_before_$r")"
done

echo "wbpf l7 on $((2 * N)) records ($(basename "$CAP")), $(nproc) cores, $(date -u +%F)," \
	"median of $REPS interleaved rounds"
echo
echo "| output | wall s | records/s | CPU s per 100k |"
echo "|---|---:|---:|---:|"
row json "--json > /dev/null (pipeline alone)"
base=$CPU
share() {
	awk -v b="$base" -v s="$CPU" 'BEGIN { printf "%.1f%%", (s - b) * 100 / s }'
}
shares=""
if [ -n "$BEFORE" ]; then
	row before "--output clickhouse, before ($(basename "$BEFORE"))"
	shares+="before $(share), "
fi
row gzip "--output clickhouse (batch 10000)"
shares+="now $(share)"
echo
echo "sink share of the CPU: $shares"
echo "store: $(ch_query "SELECT count() FROM bench_gzip_$REPS FINAL") rows in bench_gzip_$REPS"
