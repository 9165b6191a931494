#!/usr/bin/env bash
# Sinks and metrics against the real services, all on 127.0.0.1 and
# stopped by this script whatever happens.
#
#   tests/sink/run.sh WBPF EMITTER.wasm GEN_PCAP [SAN_WBPF]
#
# 1. json and table outputs of a guest's records (release and sanitizer
#    builds); malformed records refused with their errno.
# 2. ClickHouse (Debian's clickhouse-server in a temporary directory): every
#    record lands once (count, sums and node columns checked in the store);
#    `wbpf l7 --output clickhouse` on a generated capture stores what
#    `wbpf l7 --json` prints, record for record.
#    The fresh table has narrow integer columns (UInt16 ports, ...); a table
#    made beforehand with the 64-bit columns of earlier wbpf versions gets
#    the same values; a column of another class is refused, named; one
#    too narrow for some values stores the others, the rest counted.
#    Spools: a batch spooled without column types (as wbpf wrote them
#    before) replays into a table of the old types and is refused, named,
#    by one with narrow types; narrow batches spooled while the store was
#    away replay into a table made meanwhile with 64-bit columns.
# 3. Fault: the server is stopped in the middle of a run and started again:
#    the store ends with exactly the records emitted, nothing lost or doubled.
# 4. A tiny spool bound with the store away: drops are counted and reported,
#    the spool stays under its bound.
# 5. Prometheus (Debian's prometheus) scrapes wbpf --metrics: promtool sees
#    the counters rise, and `promtool check metrics` accepts the exposition;
#    with root, `wbpf run` of execsnoop (ring buffer) and opensnoop (perf
#    buffer; EXECSNOOP and OPENSNOOP name the guests) counts each buffer's
#    events and losses.
set -u

[ $# -ge 3 ] || { echo "usage: $0 WBPF EMITTER.wasm GEN_PCAP [SAN_WBPF]" >&2; exit 2; }
WBPF=$(realpath "$1")
EMITTER=$(realpath "$2")
GEN_PCAP=$(realpath "$3")
SAN_WBPF=${4:+$(realpath "$4")}
TMP=$(mktemp -d /tmp/wbpf-sink.XXXXXX)
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

SRC=$(cd "$(dirname "$0")" && pwd)
. "$SRC/../lib.sh"
# shellcheck source=services.sh
source "$SRC/services.sh"

# ------------------------------------------------------------ 1. streams

for w in "$WBPF" ${SAN_WBPF:+"$SAN_WBPF"}; do
	label=$(basename "$(dirname "$w")")/$(basename "$w")
	out=$("$w" run --output json "$EMITTER" 500 0 bad 2>"$TMP/err")
	rc=$?
	lines=$(printf '%s\n' "$out" | grep -c '^{"seq":')
	last=$(printf '%s\n' "$out" | tail -n 1)
	want='{"seq":499,"name":"rec-499","value":124.75,"odd":true,"tags":"[\"t\",499]"}'
	if [ $rc = 0 ] && [ "$lines" = 500 ] && [ "$last" = "$want" ]; then
		ok "$label: json lines, malformed records refused"
	else
		bad "$label: json lines" "rc=$rc lines=$lines last=$last" "$(head -c 300 "$TMP/err")"
	fi
done

# Memcheck sees what the sanitizers do not: a record's field read before
# it was set (a stale integer size made the first record fail now and then)
if ! command -v valgrind >/dev/null; then
	skipped "memcheck of the record ABI" "valgrind is not installed"
elif valgrind -q --error-exitcode=9 "$WBPF" run --output json "$EMITTER" 20 0 bad >/dev/null 2>"$TMP/err"; then
	ok "memcheck: the records and the refused ones read no uninitialised memory"
else
	bad "memcheck of the record ABI" "$(grep -m 3 -A 3 '==[0-9]*== [A-Z]' "$TMP/err")"
fi

"$WBPF" run --output "json=$TMP/out.json" "$EMITTER" 50 >/dev/null 2>&1
"$WBPF" run --output table "$EMITTER" 50 >"$TMP/table" 2>&1
if [ "$(wc -l <"$TMP/out.json")" = 50 ] && head -n 1 "$TMP/table" | grep -q '^seq  *name  *value  *odd  *tags$' &&
	[ "$(grep -c 'rec-' "$TMP/table")" = 50 ]; then
	ok "json=FILE and table outputs"
else
	bad "json=FILE and table outputs" "$(head -n 3 "$TMP/table")"
fi

msg=$("$WBPF" run --output bogus "$EMITTER" 1 2>&1)
rc=$?
if [ $rc = 1 ] && [ "$(printf '%s\n' "$msg" | wc -l)" = 1 ] && [[ $msg == *"unknown output 'bogus'"* ]]; then
	ok "an unknown output is one clear error"
else
	bad "unknown output" "rc=$rc: $msg"
fi

# ------------------------------------------------------------ ClickHouse

CH_DIR=$TMP/clickhouse

if ! command -v clickhouse-server >/dev/null; then
	echo "  skip ClickHouse tests: clickhouse-server is not installed"
elif ! ch_start; then
	bad "clickhouse-server did not start" "$(tail -n 5 "$CH_DIR/log")"
else
	# 2. every record, once
	"$WBPF" run --output "clickhouse=$CH_URL,table=basic,batch=1000,spool=$TMP/spool-basic" \
		"$EMITTER" 20000 >/dev/null 2>"$TMP/err"
	got=$(ch_query "SELECT count(), sum(seq), sum(odd), uniqExact(wbpf_node), min(wbpf_seq), max(wbpf_seq) FROM basic FINAL")
	want=$(printf '20000\t199990000\t10000\t1\t0\t19999')
	if [ "$got" = "$want" ]; then
		ok "clickhouse: 20000 records stored once, with node and sequence columns"
	else
		bad "clickhouse: stored records" "got '$got' want '$want'" "$(head -c 300 "$TMP/err")"
	fi

	# the L7 pipeline's request logs, against its own JSON lines
	"$GEN_PCAP" bench "$TMP/l7.pcap" 500
	"$WBPF" l7 --pcap "$TMP/l7.pcap" --json -q |
		jq -r '[.l7_protocol_str, .request_type, .request_resource, (.response_code // -1),
			(.response_duration // -1), .ip_0, .client_port] | @tsv' | sort >"$TMP/l7.want"
	"$WBPF" l7 --pcap "$TMP/l7.pcap" --workers 2 -q \
		--output "clickhouse=$CH_URL,table=l7,batch=256,spool=$TMP/spool-l7" 2>"$TMP/l7.err"
	ch_query "SELECT l7_protocol_str, request_type, request_resource, response_code,
		response_duration, ip_0, client_port FROM l7 FINAL FORMAT TSV" | sort >"$TMP/l7.got"
	if [ -s "$TMP/l7.want" ] && cmp -s "$TMP/l7.want" "$TMP/l7.got"; then
		ok "wbpf l7 --output clickhouse: the $(wc -l <"$TMP/l7.got") records --json prints, field for field"
	else
		bad "wbpf l7 into clickhouse" "want $(wc -l <"$TMP/l7.want") got $(wc -l <"$TMP/l7.got")" \
			"$(diff "$TMP/l7.want" "$TMP/l7.got" | head -n 4)" "$(head -c 300 "$TMP/l7.err")"
	fi

	# the fresh table's narrow columns
	got=$(ch_query "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'l7'
		AND name IN ('client_port', 'server_port', 'l7_protocol', 'process_id', 'response_status',
		'response_code', 'biz_type', 'start_time') ORDER BY name FORMAT TSV" | tr '\t\n' ': ')
	want="biz_type:UInt8 client_port:UInt16 l7_protocol:UInt16 process_id:Int32 response_code:Int32 response_status:UInt8 server_port:UInt16 start_time:Int64 "
	if [ "$got" = "$want" ]; then
		ok "wbpf l7's fresh table has narrow integer columns"
	else
		bad "narrow columns" "got '$got'" "want '$want'"
	fi

	# wide_table NAME: NAME made with l7's columns as earlier wbpf versions
	# made them (every number Int64, booleans UInt8)
	wide_table() {
		local cols
		cols=$(ch_query "SELECT name, type FROM system.columns WHERE database = currentDatabase()
			AND table = 'l7' FORMAT TSV" |
			awk -F'\t' '{t = $2; if (t ~ /^U?Int(8|16|32)$/ && $1 != "timeout") t = "Int64";
				printf "%s`%s` %s", (NR > 1 ? ", " : ""), $1, t}')
		ch_query "CREATE TABLE $1 ($cols) ENGINE = ReplacingMergeTree ORDER BY (wbpf_node, wbpf_run, wbpf_seq)"
	}
	l7_rows() { # TABLE: the compared columns, sorted
		ch_query "SELECT l7_protocol_str, request_type, request_resource, response_code,
			response_duration, ip_0, client_port FROM $1 FINAL FORMAT TSV" | sort
	}

	wide_table l7wide
	"$WBPF" l7 --pcap "$TMP/l7.pcap" -q \
		--output "clickhouse=$CH_URL,table=l7wide,batch=50,spool=$TMP/spool-wide" 2>"$TMP/wide.err"
	l7_rows l7wide >"$TMP/wide.got"
	wide_types() { # TABLE: the types of three narrow columns of wbpf l7's own tables
		ch_query "SELECT groupUniqArray(type) FROM system.columns WHERE database = currentDatabase()
			AND table = '$1' AND name IN ('client_port', 'response_status', 'process_id')"
	}
	types=$(wide_types l7wide)
	if [ -s "$TMP/l7.want" ] && cmp -s "$TMP/l7.want" "$TMP/wide.got" && [ "$types" = "['Int64']" ] &&
		grep -q 'rows are encoded in them' "$TMP/wide.err"; then
		ok "a table made with 64-bit columns gets the $(wc -l <"$TMP/wide.got") records --json prints"
	else
		bad "l7 into a 64-bit table" "types $types, got $(wc -l <"$TMP/wide.got")" \
			"$(diff "$TMP/l7.want" "$TMP/wide.got" | head -n 4)" "$(head -c 300 "$TMP/wide.err")"
	fi

	# emitter_table NAME SEQ_TYPE: the emitter's columns, its seq in SEQ_TYPE
	emitter_table() {
		ch_query "CREATE TABLE $1 (wbpf_node String, wbpf_host String, wbpf_run UInt64,
			wbpf_seq UInt64, wbpf_time_ms UInt64, seq $2, name String, value Float64, odd UInt8,
			tags String) ENGINE = ReplacingMergeTree ORDER BY (wbpf_node, wbpf_run, wbpf_seq)"
	}
	emitter_table mism String
	"$WBPF" run --output "clickhouse=$CH_URL,table=mism,batch=100,spool=$TMP/spool-mism" \
		"$EMITTER" 300 >/dev/null 2>"$TMP/mism.err"
	got=$(ch_query "SELECT count() FROM mism")
	if [ "$got" = 0 ] && grep -q "cannot go into mism (column 'seq' is String in the table" "$TMP/mism.err" &&
		grep -q 'run output: 300 records, 0 delivered, 300 dropped' "$TMP/mism.err"; then
		ok "a column of another class is refused, named: $(head -n 1 "$TMP/mism.err" | cut -c1-110)..."
	else
		bad "a mismatched column" "count $got" "$(head -c 300 "$TMP/mism.err")"
	fi

	# a table narrower than the values: what fits is stored, the rest is
	# dropped and counted, nothing misread
	emitter_table small UInt8
	"$WBPF" run --output "clickhouse=$CH_URL,table=small,batch=20,spool=$TMP/spool-small" \
		"$EMITTER" 600 >/dev/null 2>"$TMP/small.err"
	got=$(ch_query "SELECT count(), countIf(name != concat('rec-', toString(seq))) FROM small FINAL")
	n=${got%%$'\t'*}
	if [ "${got#*$'\t'}" = 0 ] && [ "$n" -le 256 ] &&
		grep -q "does not fit the table's UInt8\|does not fit small's UInt8 column" "$TMP/small.err" &&
		grep -q "run output: 600 records, $n delivered, $((600 - n)) dropped" "$TMP/small.err"; then
		ok "a table narrower than the values: $n records fit and are stored intact, the rest dropped and counted"
	else
		bad "a narrower table" "got '$got'" "$(head -c 400 "$TMP/small.err")"
	fi

	# Spools across versions and schemas. strip_types DIR: the spooled
	# batches without their TYPES line, as wbpf spooled them before.
	strip_types() {
		local f
		for f in "$1"/*.batch; do
			tail -n +2 "$f" >"$f.tmp" && mv "$f.tmp" "$f"
		done
	}
	dead=http://127.0.0.1:$(free_port)/
	"$WBPF" run --output "clickhouse=$dead,table=legacy,batch=100,spool=$TMP/spool-legacy" \
		"$EMITTER" 1000 >/dev/null 2>/dev/null
	strip_types "$TMP/spool-legacy"
	"$WBPF" run --output "clickhouse=$CH_URL,table=legacy,batch=100,spool=$TMP/spool-legacy" \
		"$EMITTER" 10 >/dev/null 2>"$TMP/legacy.err"
	got=$(ch_query "SELECT count(), sum(seq) FROM legacy FINAL")
	if [ "$got" = "$(printf '1010\t499545')" ] && [ -z "$(ls "$TMP/spool-legacy")" ]; then
		ok "batches spooled without types replay into a table of the old types"
	else
		bad "legacy spool replay" "got '$got'" "$(head -c 300 "$TMP/legacy.err")"
	fi

	"$WBPF" l7 --pcap "$TMP/l7.pcap" -q \
		--output "clickhouse=$dead,table=l7,batch=256,spool=$TMP/spool-l7old" 2>/dev/null
	strip_types "$TMP/spool-l7old"
	before=$(ch_query "SELECT count() FROM l7")
	"$WBPF" run --output "clickhouse=$CH_URL,table=l7,spool=$TMP/spool-l7old" \
		"$EMITTER" 1 >/dev/null 2>"$TMP/l7old.err"
	after=$(ch_query "SELECT count() FROM l7")
	if [ "$before" = "$after" ] && [ -z "$(ls "$TMP/spool-l7old")" ] &&
		grep -q "cannot go into l7 (column 'client_port' is UInt16 in the table, 64-bit (written by an older wbpf)" "$TMP/l7old.err"; then
		ok "batches spooled without types are refused, named, by a table with narrow columns"
	else
		bad "legacy spool into narrow columns" "count $before -> $after" "$(head -c 400 "$TMP/l7old.err")"
	fi

	"$WBPF" l7 --pcap "$TMP/l7.pcap" -q \
		--output "clickhouse=$dead,table=l7late,batch=256,spool=$TMP/spool-late" 2>/dev/null
	wide_table l7late
	"$WBPF" l7 --pcap "$TMP/l7.pcap" -q \
		--output "clickhouse=$CH_URL,table=l7late,batch=256,spool=$TMP/spool-late" 2>"$TMP/late.err"
	l7_rows l7late >"$TMP/late.got"
	types=$(wide_types l7late)
	if [ -s "$TMP/l7.want" ] && cmp -s <(sort "$TMP/l7.want" "$TMP/l7.want") "$TMP/late.got" &&
		[ "$types" = "['Int64']" ] && [ -z "$(ls "$TMP/spool-late")" ]; then
		ok "narrow batches spooled while the store was away replay into a 64-bit table made meanwhile"
	else
		bad "narrow spool into a 64-bit table" "types $types, got $(wc -l <"$TMP/late.got")" \
			"$(head -c 300 "$TMP/late.err")"
	fi

	# 3. the store goes away in the middle of a run and comes back
	"$WBPF" run --output "clickhouse=$CH_URL,table=fault,batch=500,flush_ms=200,spool=$TMP/spool-fault" \
		"$EMITTER" 30000 300 >/dev/null 2>"$TMP/fault.err" &
	run_pid=$!
	PIDS+=("$run_pid")
	sleep 1.5
	ch_stop
	sleep 2
	ch_start || bad "clickhouse-server did not restart" "$(tail -n 5 "$CH_DIR/log")"
	wait "$run_pid"
	rc=$?
	got=$(ch_query "SELECT count(), uniqExact(seq), sum(seq) FROM fault FINAL")
	want=$(printf '30000\t30000\t449985000')
	if [ $rc = 0 ] && [ "$got" = "$want" ] && grep -q spooling "$TMP/fault.err" &&
		[ -z "$(ls "$TMP/spool-fault")" ]; then
		ok "clickhouse stopped and restarted mid-run: nothing lost, nothing doubled"
	else
		bad "clickhouse fault" "rc=$rc got '$got' want '$want'" "$(head -c 400 "$TMP/fault.err")" \
			"spool: $(ls "$TMP/spool-fault" | head -n 3)"
	fi

	# 4. a tiny spool while the store is away: drops counted, bound kept
	dead=http://127.0.0.1:$(free_port)/
	"$WBPF" run --output "clickhouse=$dead,table=gone,batch=100,spool=$TMP/spool-tiny,spool_max=4096" \
		"$EMITTER" 3000 >/dev/null 2>"$TMP/tiny.err"
	size=$(find "$TMP/spool-tiny" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
	files=$(ls "$TMP/spool-tiny" | wc -l)
	if grep -Eq 'run output: 3000 records, 0 delivered, [1-9][0-9]* dropped' "$TMP/tiny.err" &&
		[ "$files" -ge 1 ] && [ "$size" -le 4096 ]; then
		ok "store away, spool at its bound: drops counted and reported ($files batches, $size bytes kept)"
	else
		bad "tiny spool" "$(tail -n 3 "$TMP/tiny.err")" "files=$files"
	fi
	ch_stop
fi

# ------------------------------------------------------------ Prometheus

# buffer_metrics GUEST MAP TYPE CMD...: `wbpf run --metrics` of an eBPF
# guest while CMD runs 30 times: /metrics counts at least 30 events of
# the guest's buffer MAP, none lost, and promtool accepts the exposition.
buffer_metrics() {
	local guest=$1 map=$2 type=$3 port pid events= lost= i
	shift 3
	port=$(free_port)
	"$WBPF" run --metrics "127.0.0.1:$port" "$guest" -d 8 >"$TMP/guest.out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_http "http://127.0.0.1:$port/metrics" 5
	# The buffer exists once the guest has attached: wait for its series.
	for ((i = 0; i < 50; i++)); do
		curl -s "http://127.0.0.1:$port/metrics" | grep -q "^wbpf_bpf_buffer_events_total{buffer=\"$map\"" && break
		sleep 0.1
	done
	for ((i = 0; i < 30; i++)); do "$@" >/dev/null; done
	for ((i = 0; i < 30; i++)); do
		curl -s "http://127.0.0.1:$port/metrics" >"$TMP/bpf.prom"
		events=$(sed -n "s/^wbpf_bpf_buffer_events_total{buffer=\"$map\",type=\"$type\"} //p" "$TMP/bpf.prom")
		lost=$(sed -n "s/^wbpf_bpf_buffer_lost_total{buffer=\"$map\",type=\"$type\"} //p" "$TMP/bpf.prom")
		[ -n "$events" ] && awk "BEGIN{exit !($events >= 30)}" && break
		sleep 0.2
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if [ -n "$events" ] && awk "BEGIN{exit !($events >= 30)}" && [ "$lost" = 0 ] &&
		promtool check metrics <"$TMP/bpf.prom" >"$TMP/check" 2>&1; then
		ok "wbpf run --metrics: $(basename "$guest") $type '$map': $events events, $lost lost; promtool accepts it"
	else
		bad "wbpf run --metrics $type" "events='$events' lost='$lost'" "$(head -n 3 "$TMP/check")" \
			"$(grep wbpf_bpf "$TMP/bpf.prom" | head -n 4)" "$(head -n 3 "$TMP/guest.out")"
	fi
}

M_PORT=$(free_port)
P_PORT=$(free_port)
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
	echo "  skip Prometheus tests: prometheus is not installed"
else
	"$WBPF" run --metrics "127.0.0.1:$M_PORT" --output "json=$TMP/slow.json" \
		"$EMITTER" 100000 3000 >/dev/null 2>"$TMP/metrics.err" &
	run_pid=$!
	PIDS+=("$run_pid")
	prom_start "$TMP" "$P_PORT" "127.0.0.1:$M_PORT"
	wait_http "http://127.0.0.1:$M_PORT/metrics" 10
	curl -s "http://127.0.0.1:$M_PORT/metrics" >"$TMP/exposition"
	if promtool check metrics <"$TMP/exposition" >"$TMP/check" 2>&1 &&
		grep -q '^wbpf_sink_records_in_total{producer="run",sink="json"}' "$TMP/exposition" &&
		grep -q '^process_resident_memory_bytes' "$TMP/exposition"; then
		ok "promtool check metrics accepts the exposition"
	else
		bad "exposition" "$(head -n 5 "$TMP/check")" "$(head -n 5 "$TMP/exposition")"
	fi
	first= second=
	for ((i = 0; i < 40; i++)); do
		[ -z "$second" ] || break
		v=$(prom_query "$P_PORT" 'wbpf_sink_records_in_total{sink="json"}')
		if [ -n "$v" ] && [ -z "$first" ]; then
			first=$v
		elif [ -n "$v" ] && awk "BEGIN{exit !($v > $first)}"; then
			second=$v
		fi
		sleep 0.5
	done
	if [ -n "$first" ] && [ -n "$second" ]; then
		ok "prometheus scrapes wbpf: records_in rose from $first to $second"
	else
		bad "prometheus scrape" "first='$first' second='$second'" "$(tail -n 3 "$TMP/prometheus.log")"
	fi
	kill "$run_pid" 2>/dev/null

	# wbpf l7's own counters (live capture: root), from the first scrape
	# on: one taken while the capture was being set up had none of them
	if [ "$(id -u)" = 0 ]; then
		L_PORT=$(free_port)
		"$WBPF" l7 --iface lo --duration 4 --metrics "127.0.0.1:$L_PORT" --json -q >/dev/null 2>&1 &
		PIDS+=("$!")
		wait_http "http://127.0.0.1:$L_PORT/metrics" 3
		curl -s "http://127.0.0.1:$L_PORT/metrics" >"$TMP/l7.prom"
		if grep -q '^wbpf_l7_packets_total ' "$TMP/l7.prom" && promtool check metrics <"$TMP/l7.prom" >/dev/null 2>&1; then
			ok "wbpf l7 --metrics: pipeline counters, accepted by promtool"
		else
			bad "wbpf l7 --metrics" "$(head -n 5 "$TMP/l7.prom")"
		fi
	else
		echo "  skip wbpf l7 --metrics: live capture needs root"
	fi

	# wbpf run's BPF buffers: execsnoop's ring buffer and opensnoop's perf
	# buffer each count the events the guest got, and their losses.
	if [ "$(id -u)" != 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
		echo "  skip wbpf run --metrics BPF buffers: needs root and kernel BTF"
	elif [ ! -f "${EXECSNOOP:-}" ] || [ ! -f "${OPENSNOOP:-}" ]; then
		echo "  skip wbpf run --metrics BPF buffers: EXECSNOOP and OPENSNOOP not given"
	else
		mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
		buffer_metrics "$EXECSNOOP" events ringbuf /bin/true
		buffer_metrics "$OPENSNOOP" events perfbuf cat /etc/hostname
	fi
fi

tally sink-test
