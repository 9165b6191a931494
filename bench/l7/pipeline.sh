#!/usr/bin/env bash
# The L7 pipeline's throughput and memory (not a test: nothing asserted).
#
#   bench/l7/pipeline.sh [N]          (make bench-l7; N defaults to 100000)
#
# One generated capture of N HTTP/1.1 transactions (keep-alive, 10 per
# connection) and N DNS-over-UDP transactions, read in one run by:
#   wbpf l7 (built-ins, 1 and 2 workers), wbpf l7 with the Wasm DNS plugin
#   (examples/l7_dns) in place of the built-in when it is built,
#   tshark -T fields extracting the same fields, nDPI's ndpiReader.
# Records/s = 2N / CPU time. Then peak RSS of wbpf l7 holding 1M flows
# at once (default limits). Environment: WBPF, GEN, BUILD, DNS_PLUGIN.
set -u
N=${1:-100000}
BUILD=${BUILD:-build}
WBPF=${WBPF:-$BUILD/wbpf}
GEN=${GEN:-$BUILD/l7/gen_pcap}
DNS_PLUGIN=${DNS_PLUGIN:-$BUILD/examples/l7_dns.wasm}
OUT=$BUILD/bench/l7
mkdir -p "$OUT"
CAP=$OUT/mixed-$N.pcap
[ -s "$CAP" ] || "$GEN" bench "$CAP" "$N"
FLOWS=$OUT/flows-1M.pcap
[ -s "$FLOWS" ] || "$GEN" flows "$FLOWS" 1000000

# run NAME CMD...: wall seconds, CPU seconds (user + system) and peak RSS
# (KiB) of CMD, its stdout discarded. Records/s are computed on CPU time:
# on a shared machine the wall clock mostly measures the neighbours.
run() {
	local name=$1
	shift
	printf '%s\t%s\n' "$name" "$(/usr/bin/time -f '%e\t%U\t%S\t%M' "$@" 2>&1 >/dev/null | tail -1)"
}

{
	echo "capture: $(du -h "$CAP" | cut -f1), $(tcpdump -n -r "$CAP" 2>/dev/null | wc -l) packets, $((2 * N)) transactions"
	run "wbpf l7 (built-ins)" "$WBPF" l7 --pcap "$CAP" --json -q
	run "wbpf l7 --workers 2" "$WBPF" l7 --pcap "$CAP" --json -q --workers 2
	if [ -f "$DNS_PLUGIN" ]; then
		run "wbpf l7 + Wasm DNS plugin" "$WBPF" l7 --pcap "$CAP" --json -q --plugin "$DNS_PLUGIN"
	fi
	run "tshark -T fields" tshark -r "$CAP" -Y "http or dns" -T fields \
		-e http.request.method -e http.request.uri -e http.host -e http.response.code \
		-e dns.id -e dns.qry.name -e dns.qry.type -e dns.flags.rcode -e dns.count.answers
	run "ndpiReader (detection only)" ndpiReader -i "$CAP" -q
	run "wbpf l7, 1M flows held" "$WBPF" l7 --pcap "$FLOWS" --json -q
} | tee "$OUT/raw.tsv" | awk -F'\t' -v n="$N" '
	NR == 1 { print; print ""
		print "| reader | wall s | CPU s | records/s (CPU) | peak RSS MiB |"
		print "|---|---|---|---|---|"; next }
	{ cpu = $3 + $4
	  printf "| %s | %.2f | %.2f | %s | %.0f |\n", $1, $2, cpu,
		($1 ~ /1M flows/ || cpu == 0) ? "-" : sprintf("%.0f", 2 * n / cpu), $5 / 1024 }'
