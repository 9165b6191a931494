#!/usr/bin/env bash
# Tests for `wbpf l7` (see mk/l7.mk).
#
#   tests/l7/run.sh [--quick] WBPF GEN_PCAP
#
# 1. Hand-made captures (GEN_PCAP writes them): reordering, retransmission,
#    overlaps, a gap, snaplen-cut packets, a message over many segments,
#    pipelining, flow-table overflow, link types, IPv6, VLAN, fragments,
#    DNS; each checked field by field with jq.
# 2. One-line errors: not a capture, truncated capture, unknown link type,
#    bad filter, bad options.
# 3. Real traffic (root, skipped with the reason otherwise): nginx + curl
#    (keep-alive, chunked, pipelined, errors) and dnsmasq + dig (UDP, TCP)
#    on 127.0.0.0/8, captured by tcpdump; every request's fields must equal
#    tshark's dissection of the same capture. Then the same traffic again
#    with wbpf capturing live on lo, compared with tshark on a capture
#    taken at the same time.
# --quick (the sanitizer build) runs 1 and 2 only.
set -u

quick=0
if [ "${1:-}" = --quick ]; then
	quick=1
	shift
fi
[ $# -ge 2 ] || { echo "usage: $0 [--quick] WBPF GEN_PCAP" >&2; exit 2; }
WBPF=$(realpath "$1")
GEN=$(realpath "$2")
SRC=$(cd "$(dirname "$0")" && pwd)
. "$SRC/../lib.sh"
scratch l7

label=$(basename "$WBPF")
[ "$quick" = 1 ] && label="$label --quick"

# run_json SCENARIO [OPTIONS...]: records in $TMP/SCENARIO.json, summary in .err
run_json() {
	local sc=$1
	shift
	"$GEN" "$sc" "$TMP/$sc.pcap" || { bad "$sc: generator"; return 1; }
	"$WBPF" l7 --pcap "$TMP/$sc.pcap" --json "$@" >"$TMP/$sc.json" 2>"$TMP/$sc.err"
}

# field SCENARIO JQ: the jq expression over all records, one line each
field() {
	jq -r "$2" "$TMP/$1.json" | tr '\n' ' ' | sed 's/ $//'
}

summary() {
	grep -o "$2" "$TMP/$1.err" | head -1
}

# ------------------------------------------------------------ hand-made

echo "l7 ($label): hand-made captures"

run_json basic
check "basic: request and response paired" \
	"GET /basic example.test 200 5 100 HTTP 20 1.1" \
	"$(field basic '"\(.request_type) \(.request_resource) \(.request_domain) \(.response_code) \(.response_length) \(.response_duration) \(.l7_protocol_str) \(.l7_protocol) \(.version)"')"
check "basic: 5-tuple, client first" "10.0.1.1 40001 10.0.0.2 80 tcp" \
	"$(field basic '"\(.ip_0) \(.client_port) \(.ip_1) \(.server_port) \(.protocol)"')"

run_json reorder
check "reordered segments: one whole request" "GET /reordered/path reorder.test 200" \
	"$(field reorder '"\(.request_type) \(.request_resource) \(.request_domain) \(.response_code)"')"

run_json retrans
check "retransmissions: one record" "/retransmitted 200" \
	"$(field retrans '"\(.request_resource) \(.response_code)"')"
check "retransmissions: counted" "94 bytes retransmitted" "$(summary retrans '[0-9]* bytes retransmitted')"

run_json overlap
check "overlap in order: the first copy wins" "/aaaaaaaaaaaaaaa" "$(field overlap .request_resource)"
run_json overlap_ooo
check "overlap, early segment first: the first copy wins" "/aaaaabbbbbbbbbb" \
	"$(field overlap_ooo .request_resource)"

run_json gap
check "gap: reported" "1 gaps (16 bytes)" "$(summary gap '[0-9]* gaps ([0-9]* bytes)')"
check "gap: the cut request and the next one" "/one - 200 | /two two.test 404" \
	"$(jq -r '"\(.request_resource) \(if .request_domain == "" then "-" else .request_domain end) \(.response_code)"' "$TMP/gap.json" | paste -sd'|' | sed 's/|/ | /g')"

run_json split
check "message over 12 segments: parsed whole (the host follows a 3 KiB URI)" "split.test 511" \
	"$(field split '"\(.request_domain) \(.request_resource|length)"')"
check "message over 12 segments: response body over 24" "200 6000" \
	"$(field split '"\(.response_code) \(.response_length)"')"

run_json split --max-msg 1k
check "message over --max-msg: cut and counted" "1 over the size limit" \
	"$(summary split '[0-9]* over the size limit')"

run_json snap
check "snaplen-cut packets: gaps, still one record" "1 /split 200" \
	"$(jq -r '"\(.request_resource|split("?")[0]) \(.response_code)"' "$TMP/snap.json" | sort | uniq -c | awk '{print $1, $2, $3}')"

run_json pipeline
check "pipelined requests, chunked and HEAD responses" \
	"GET /p1 200 3 | GET /p2 201 9 | HEAD /p3 500 99" \
	"$(jq -r '"\(.request_type) \(.request_resource) \(.response_code) \(.response_length)"' "$TMP/pipeline.json" | paste -sd'|' | sed 's/|/ | /g')"

run_json overflow --max-flows 10
check "flow-table overflow: evictions counted" "41 evicted" "$(summary overflow '[0-9]* evicted')"
check "flow-table overflow: every request logged (timeouts when evicted)" "41 true 9 false" \
	"$(jq -r .timeout "$TMP/overflow.json" | sort | uniq -c | sort -rn | awk '{print $1, $2}' | paste -sd' ')"

for lt in vlan sll sll2 raw null ipv6; do
	run_json "$lt"
	check "link/network variant $lt" "GET /basic 200" \
		"$(field "$lt" '"\(.request_type) \(.request_resource) \(.response_code)"')"
done

run_json frag
check "IP fragments: reassembled, even out of order" \
	"4 IP fragments (2 datagrams reassembled|/basic fragmented.example 192.0.2.7" \
	"$(summary frag '[0-9]* IP fragments ([0-9]* datagrams reassembled')|$(field frag '"\(.request_resource)\(if .response_result != "" then " " + .response_result else "" end)"')"

run_json dns
check "DNS over UDP: answered and timed out" \
	"4660 answered.example A 0 192.0.2.7 1 false | 17185 unanswered.example A null  null true" \
	"$(jq -r '"\(.request_id) \(.request_resource) \(.request_type) \(.response_code) \(.response_result) \(.attributes.answer_count) \(.timeout)"' "$TMP/dns.json" | paste -sd'|' | sed 's/|/ | /g')"
run_json dns6
check "DNS over UDP/IPv6" "fd00::1 fd00::53 answered.example" \
	"$(jq -r 'select(.timeout|not) | "\(.ip_0) \(.ip_1) \(.request_resource)"' "$TMP/dns6.json")"

"$GEN" basic "$TMP/w.pcap"
for w in 1 2 4; do
	"$GEN" overflow "$TMP/o$w.pcap"
	"$WBPF" l7 --pcap "$TMP/o$w.pcap" --json --workers "$w" -q | jq -c 'del(.flow_id)' | sort >"$TMP/o$w.json"
done
if cmp -s "$TMP/o1.json" "$TMP/o2.json" && cmp -s "$TMP/o1.json" "$TMP/o4.json" &&
	[ "$(wc -l <"$TMP/o1.json")" = 50 ]; then
	ok "--workers 1, 2, 4: the same records"
else
	bad "--workers 1, 2, 4: the same records" "$(wc -l "$TMP"/o?.json)"
fi

# ------------------------------------------------------------ errors

echo "l7 ($label): errors"

# expect_error NAME STATUS PATTERN ARGS...: one line on stderr matching PATTERN
expect_error() {
	local name=$1 want=$2 pat=$3 rc
	shift 3
	"$WBPF" l7 "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" = "$want" ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "$pat" "$TMP/err"; then
		ok "$name"
	else
		bad "$name" "status $rc (want $want)" "$(cat "$TMP/err")"
	fi
}

expect_error "not a capture file" 1 "not a readable capture file" --pcap "$SRC/run.sh" -q
expect_error "missing file" 1 "No such file" --pcap "$TMP/none.pcap" -q
"$GEN" pipeline "$TMP/p.pcap"
head -c $(($(stat -c %s "$TMP/p.pcap") - 20)) "$TMP/p.pcap" >"$TMP/cut.pcap"
expect_error "truncated capture" 1 "truncated" --pcap "$TMP/cut.pcap" -q
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x93\x00\x00\x00' >"$TMP/user0.pcap"
expect_error "unknown link type" 1 "unsupported link type 147" --pcap "$TMP/user0.pcap" -q
expect_error "bad filter" 1 "bad capture filter" --pcap "$TMP/w.pcap" --filter "port port" -q
expect_error "no such interface" 1 "nosuchif0" --iface nosuchif0 -q
expect_error "no source" 2 "give one source" --json
expect_error "bad --workers" 2 "workers" --pcap "$TMP/w.pcap" --workers 0
expect_error "--plugin-arg before --plugin" 2 "must follow" --pcap "$TMP/w.pcap" --plugin-arg a=b
"$WBPF" l7 --pcap "$TMP/cut.pcap" --json -q >"$TMP/cut.json" 2>/dev/null
check "truncated capture: the records before the damage" "3" "$(wc -l <"$TMP/cut.json")"
"$WBPF" l7 --pcap "$TMP/w.pcap" --filter "port 81" --json -q >"$TMP/f.json"
check "capture filter applies" "0" "$(wc -l <"$TMP/f.json")"
"$WBPF" l7 --help | grep -q -- "--plugin-arg" && ok "--help" || bad "--help"

# ------------------------------------------------------------ real traffic

if [ "$quick" = 1 ]; then
	tally "l7 ($label)"
	exit
fi

echo "l7 ($label): real traffic on lo"
missing=""
for t in nginx dnsmasq dig curl tcpdump tshark jq; do
	command -v "$t" >/dev/null || missing="$missing $t"
done
if [ "$(id -u)" != 0 ]; then
	skipped "real traffic: capturing on lo needs root"
elif [ -n "$missing" ]; then
	skipped "real traffic: missing$missing"
else
	. "$SRC/traffic.sh"
	traffic_tests
fi

tally "l7 ($label)"
