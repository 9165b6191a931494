#!/usr/bin/env bash
# `wbpf l7 --metrics` with a plugin: per plugin and hook, calls, failures
# and call-time histograms in the Prometheus exposition. wbpf captures
# loopback live while a python3 client and server talk the line protocol
# of tests/l7/plugins/df_merge.c on 127.0.0.1; Debian's prometheus, started
# here, scrapes wbpf (the client starts once it has, once); `promtool
# query instant` must see the plugin's parse
# calls rise and its histogram count them, and `promtool check metrics`
# must accept the exposition. Needs root (live capture) and prometheus:
# skipped with the reason otherwise.
# Usage: metrics.sh WBPF GUEST.wasm
set -uo pipefail

WBPF=${1:?usage: metrics.sh WBPF GUEST.wasm}
GUEST=${2:?}
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh" # l7_setup, l7_need, wait_port
l7_setup l7-metrics
l7_need l7-metrics prometheus promtool python3 curl
. "$(dirname "$0")/../sink/services.sh" # wait_http, prom_start, prom_query
APP=$(free_port)
MET=$(free_port)
PROM=$(free_port)

# The server answers each "Q id=N ..." line with "A id=N c=200".
python3 - "$APP" >"$T/server.log" 2>&1 <<'PY' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
s.settimeout(30)
c, _ = s.accept()
f = c.makefile("rb")
for line in f:
    rid = line.split()[1].decode()
    c.sendall(b"A " + rid.encode() + b" c=200\n")
PY
PIDS+=($!)
wait_port t "$APP" || bad "the server did not start: $(cat "$T/server.log")"

"$WBPF" l7 --iface lo --filter "tcp port $APP" --duration 60 --plugin "$GUEST" \
	--metrics "127.0.0.1:$MET" --json >"$T/out.json" 2>"$T/wbpf.err" &
WBPF_PID=$!
PIDS+=($WBPF_PID)
prom_start "$T" "$PROM" "127.0.0.1:$MET"
wait_http "http://127.0.0.1:$MET/metrics" 10 || bad "wbpf l7 does not serve /metrics"
# the client's requests must come after a first scrape, so that one sees
# the count rise
prom_scraped "$PROM" 60 || bad "prometheus did not scrape wbpf: $(tail -n 2 "$T/prometheus.log")"

# The client: one request a quarter second, so scrapes see the count rise.
python3 - "$APP" >"$T/client.log" 2>&1 <<'PY' &
import socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = c.makefile("rb")
for i in range(1, 25):
    c.sendall(b"Q id=%d t=GET r=/m\n" % i)
    f.readline()
    time.sleep(0.25)
c.close()
PY
CLIENT=$!
PIDS+=($CLIENT)

SEL='plugin="df_merge.wasm",abi="deepflow",hook="parse"'
first= second=
for _ in $(seq 60); do
	v=$(prom_query "$PROM" "wbpf_l7_plugin_calls_total{$SEL}")
	if [ -n "$v" ] && [ -z "$first" ]; then
		first=$v
	elif [ -n "$v" ] && awk "BEGIN{exit !($v > $first)}"; then
		second=$v
		break
	fi
	sleep 0.25
done
if [ -n "$first" ] && [ -n "$second" ]; then
	ok "prometheus sees the plugin's parse calls rise from $first to $second"
else
	bad "parse calls did not rise: first='$first' second='$second' $(tail -n 2 "$T/prometheus.log")"
fi
wait "$CLIENT" || bad "the client failed: $(tail -n 3 "$T/client.log")"
sleep 1.5 # the last exchanges reach the counters
curl -s "http://127.0.0.1:$MET/metrics" >"$T/expo"
if [ -s "$T/expo" ] && promtool check metrics <"$T/expo" >"$T/check" 2>&1; then
	ok "promtool check metrics accepts the exposition"
else
	bad "promtool check metrics: $(head -n 5 "$T/check")"
fi
calls=$(sed -n "s/^wbpf_l7_plugin_calls_total{$SEL} //p" "$T/expo")
count=$(sed -n "s/^wbpf_l7_plugin_call_seconds_count{$SEL} //p" "$T/expo")
inf=$(sed -n "s/^wbpf_l7_plugin_call_seconds_bucket{$SEL,le=\"+Inf\"} //p" "$T/expo")
fails=$(sed -n "s/^wbpf_l7_plugin_failures_total{$SEL} //p" "$T/expo")
# 24 requests and 24 responses: one parse call each
[ "$calls" = 48 ] || bad "parse calls: '$calls', expected 48"
[ "$count" = "$calls" ] && [ "$inf" = "$calls" ] ||
	bad "histogram count '$count' / +Inf bucket '$inf' differ from the calls '$calls'"
[ "$fails" = 0 ] || bad "parse failures: '$fails', expected 0"
grep -q "^wbpf_l7_plugin_call_seconds_bucket{plugin=\"df_merge.wasm\",abi=\"deepflow\",hook=\"check\",le=\"0.001\"}" "$T/expo" ||
	bad "no check-hook histogram"
grep -q '^wbpf_l7_plugin_calls_total{plugin="df_merge.wasm",abi="deepflow",hook="load"}' "$T/expo" ||
	bad "no load-time series"
kill -INT "$WBPF_PID" 2>/dev/null
wait "$WBPF_PID"
n=$(wc -l <"$T/out.json")
[ "$n" = 24 ] || bad "records: $n, expected 24 ($(tail -n 3 "$T/wbpf.err"))"
[ "$fail" = 0 ] && ok "per-plugin, per-hook calls, failures and histograms; 24 records"
tally l7-metrics
