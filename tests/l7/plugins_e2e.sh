#!/usr/bin/env bash
# The example plugins on real traffic: real servers and clients talk on
# 127.0.0.1 while the test captures loopback; each segment's payload goes
# through the plugin host (build/l7plug/plugin_feed) and the fields each
# plugin gives are compared with tshark's dissection of the same capture:
#   Redis  redis-server + redis-cli   command per request, error replies (tshark `resp`)
#   MQTT   mosquitto + mosquitto_pub/sub   packet types and topics (tshark `mqtt`)
#   DNS    dnsmasq + dig, UDP and TCP  id, name, type, rcode, answer count (tshark `dns`)
# The Redis plugin also runs as the `deepflow`-ABI builds (both result
# formats), which must give the same records as the `wbpf_l7` one; the
# Redis and DNS plugins also run in `wbpf l7` itself, and a plugin that
# never returns must leave the built-in DNS parser every record.
# Needs root for the capture; each part is skipped, with its reason, when a
# tool is missing. Usage: plugins_e2e.sh BUILD_DIR (KEEP=1 keeps the files).
set -uo pipefail

B=${1:?usage: plugins_e2e.sh BUILD_DIR}
FEED=$B/l7plug/plugin_feed
WBPF=${WBPF:-$B/wbpf}
EX=$B/examples
T=$(mktemp -d /tmp/wbpf-l7plug.XXXXXX)
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

. "$(dirname "$0")/../lib.sh"

need() { # part, tools...
	local part=$1 t
	shift
	[ "$(id -u)" -eq 0 ] || { skipped "$part" "capturing loopback needs root"; return 1; }
	for t in tcpdump tshark "$@"; do
		command -v "$t" >/dev/null || { skipped "$part" "$t is not installed"; return 1; }
	done
}

wait_port() { # proto port
	for _ in $(seq 100); do
		ss -Hln"${1:0:1}" "sport = :$2" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

capture_start() { # name filter
	tcpdump -i lo -U -n -s 0 -w "$T/$1.pcap" "$2" 2>"$T/$1.cap.log" &
	CAP=$!
	PIDS+=("$CAP")
	for _ in $(seq 100); do
		grep -q "listening on" "$T/$1.cap.log" && return 0
		sleep 0.05
	done
	bad "$1: tcpdump did not start: $(cat "$T/$1.cap.log")"
	return 1
}

# Stops once the file has not grown for half a second: a loaded machine
# can leave tcpdump behind the traffic.
capture_stop() { # name
	local size=-1 now
	for _ in $(seq 40); do
		sleep 0.5
		now=$(stat -c %s "$T/$1.pcap" 2>/dev/null || echo 0)
		[ "$now" = "$size" ] && break
		size=$now
	done
	kill -INT "$CAP" 2>/dev/null
	wait "$CAP" 2>/dev/null
}

# Every payload of the capture, one line each, as plugin_feed reads them
# (which reassembles nothing: retransmitted copies are left out, as tshark
# leaves them undissected).
payloads() { # name
	{
		tshark -r "$T/$1.pcap" -Y "tcp.len > 0 && !tcp.analysis.retransmission" -T fields -e frame.number -e ip.src \
			-e tcp.srcport -e ip.dst -e tcp.dstport -e ip.proto -e tcp.payload
		tshark -r "$T/$1.pcap" -Y "udp" -T fields -e frame.number -e ip.src \
			-e udp.srcport -e ip.dst -e udp.dstport -e ip.proto -e udp.payload
	} 2>/dev/null | tr -d ':' | sort -n
}

# `wbpf l7` on the capture with one plugin: its records, JSON lines in
# request order.
l7() { # name plugin [args...]
	local name=$1 plugin=$2
	shift 2
	"$WBPF" l7 --pcap "$T/$name.pcap" --plugin "$plugin" "$@" --json 2>"$T/$name.l7.err" |
		jq -c -s 'sort_by(.start_time)[]'
}

# plugin_feed's records: frame dir type proto request_type resource id code status trace attrs...
feed() { # name port plugin [args...]
	local name=$1 port=$2 plugin=$3
	shift 3
	payloads "$name" | "$FEED" --server-port "$port" --plugin "$plugin" "$@"
}

compare() { # what expected-file got-file
	if [ ! -s "$2" ]; then
		bad "$1: tshark found nothing to compare"
	elif ! diff -u "$2" "$3" >"$T/diff" 2>&1; then
		bad "$1: differs from tshark:"
		cat "$T/diff" >&2
	else
		ok "$1: $(wc -l <"$2") messages as tshark"
	fi
}

# ------------------------------------------------------------------ Redis
redis_part() {
	need redis redis-server redis-cli || return 0
	local port
	port=$(free_port)
	redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
		--daemonize no >"$T/redis.log" 2>&1 &
	PIDS+=($!)
	wait_port t "$port" || { bad "redis-server did not start"; return; }
	capture_start redis "tcp port $port" || return
	for cmd in "SET greeting hello" "GET greeting" "GET missing" "INCR counter" \
		"RPUSH list a b c" "LRANGE list 0 -1" "HSET h f v" "NOSUCHCOMMAND x" "DEL greeting"; do
		# shellcheck disable=SC2086
		redis-cli -h 127.0.0.1 -p "$port" $cmd >/dev/null 2>&1 || bad "redis-cli $cmd failed"
	done
	capture_stop redis
	# tshark: per request frame the command (its first bulk string, which
	# tshark shows in hex); per reply frame whether it is an error.
	tshark -r "$T/redis.pcap" -d "tcp.port==$port,resp" -Y "resp && tcp.dstport == $port" -T fields -e frame.number \
		-e resp.bulk_string.value 2>/dev/null |
		awk -F'\t' 'function unhex(h,  i, s) { h = toupper(h); s = ""
				for (i = 1; i < length(h); i += 2)
					s = s sprintf("%c", (index("0123456789ABCDEF", substr(h, i, 1)) - 1) * 16 + index("0123456789ABCDEF", substr(h, i + 1, 1)) - 1)
				return s }
			{ split($2, v, ","); print $1 "\treq\t" toupper(unhex(v[1])) }' >"$T/redis.want"
	tshark -r "$T/redis.pcap" -d "tcp.port==$port,resp" -Y "resp && tcp.srcport == $port" -T fields -e frame.number \
		-e resp.error 2>/dev/null |
		awk -F'\t' '{ print $1 "\tresp\t" ($2 != "" ? "error" : "ok") }' >>"$T/redis.want"
	sort -n -o "$T/redis.want" "$T/redis.want"
	for p in l7_redis l7_redis_deepflow_pb l7_redis_deepflow_legacy; do
		feed redis "$port" "$EX/$p.wasm" >"$T/$p.out" 2>"$T/$p.err" || bad "$p: $(cat "$T/$p.err")"
		awk -F'\t' '$3 == "req" { print $1 "\treq\t" $5 }
			$3 == "resp" { print $1 "\tresp\t" ($9 == 3 ? "error" : "ok") }' "$T/$p.out" |
			sort -n >"$T/$p.got"
		compare "redis ($p)" "$T/redis.want" "$T/$p.got"
	done
	# The DeepFlow builds, both result formats, give the same records.
	for p in l7_redis_deepflow_pb l7_redis_deepflow_legacy; do
		cut -f1-3,5-10 "$T/l7_redis.out" >"$T/a"
		cut -f1-3,5-10 "$T/$p.out" >"$T/b"
		diff -q "$T/a" "$T/b" >/dev/null || { bad "$p differs from l7_redis:"; diff "$T/a" "$T/b" >&2; }
	done
	grep -q $'\tresp\t.*\t3\t' "$T/l7_redis.out" || bad "redis: the error reply was not a server error"
	# The whole pipeline: one record per command, paired with its reply.
	awk -F'\t' '$2 == "req" { c = $3 } $2 == "resp" { print c "\t" $3 }' "$T/redis.want" >"$T/redis.pairs"
	for p in l7_redis l7_redis_deepflow_pb l7_redis_deepflow_legacy; do
		l7 redis "$EX/$p.wasm" --plugin-arg port="$port" |
			jq -r '[.request_type, (if .response_status == 3 then "error" else "ok" end)] | @tsv' \
			>"$T/$p.l7"
		compare "wbpf l7 + $p" "$T/redis.pairs" "$T/$p.l7"
	done
}

# ------------------------------------------------------------------- MQTT
mqtt_part() {
	need mqtt mosquitto mosquitto_pub mosquitto_sub || return 0
	local port
	port=$(free_port)
	printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port" >"$T/mosquitto.conf"
	mosquitto -c "$T/mosquitto.conf" >"$T/mosquitto.log" 2>&1 &
	PIDS+=($!)
	wait_port t "$port" || { bad "mosquitto did not start"; return; }
	capture_start mqtt "tcp port $port" || return
	timeout 10 mosquitto_sub -h 127.0.0.1 -p "$port" -t wbpf/test -q 1 -C 2 >"$T/sub.out" &
	local sub=$!
	sleep 0.5
	mosquitto_pub -h 127.0.0.1 -p "$port" -t wbpf/test -m hello -q 1
	mosquitto_pub -h 127.0.0.1 -p "$port" -t wbpf/test -m again -q 0
	wait "$sub" || bad "mqtt: the subscriber did not get both messages"
	capture_stop mqtt
	local types="RESERVED CONNECT CONNACK PUBLISH PUBACK PUBREC PUBREL PUBCOMP SUBSCRIBE SUBACK UNSUBSCRIBE UNSUBACK PINGREQ PINGRESP DISCONNECT AUTH"
	tshark -r "$T/mqtt.pcap" -d "tcp.port==$port,mqtt" -Y mqtt -T fields -e frame.number -e mqtt.msgtype -e mqtt.topic \
		2>/dev/null | awk -F'\t' -v names="$types" '
		BEGIN { split(names, n, " ") }
		{ k = split($2, t, ","); s = ""; for (i = 1; i <= k; i++) s = s (i > 1 ? "," : "") n[t[i] + 1]
		  print $1 "\t" s "\t" $3 }' >"$T/mqtt.want"
	feed mqtt "$port" "$EX/l7_mqtt.wasm" >"$T/mqtt.out" 2>"$T/mqtt.err" || bad "mqtt: $(cat "$T/mqtt.err")"
	awk -F'\t' '{ if ($1 != f && f != "") { print f "\t" t "\t" r }
		      if ($1 != f) { t = ""; r = "" }
		      f = $1; t = t (t != "" ? "," : "") $5
		      if ($6 != "") r = r (r != "" ? "," : "") $6 }
		    END { if (f != "") print f "\t" t "\t" r }' "$T/mqtt.out" >"$T/mqtt.got"
	compare mqtt "$T/mqtt.want" "$T/mqtt.got"
}

# -------------------------------------------------------------------- DNS
dns_part() {
	need dns dnsmasq dig || return 0
	local port
	port=$(free_port)
	dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
		--listen-address=127.0.0.1 --port="$port" --address=/example.test/10.1.2.3 \
		--address=/multi.test/10.0.0.1 --local=/test/ --pid-file="$T/dnsmasq.pid" \
		>"$T/dnsmasq.log" 2>&1 &
	PIDS+=($!)
	wait_port u "$port" || { bad "dnsmasq did not start"; return; }
	capture_start dns "port $port" || return
	for q in "example.test A" "nothere.test A" "example.test MX" "multi.test A"; do
		# shellcheck disable=SC2086
		dig @127.0.0.1 -p "$port" +tries=1 +time=2 $q >/dev/null
		# shellcheck disable=SC2086
		dig @127.0.0.1 -p "$port" +tcp +tries=1 +time=2 $q >/dev/null
	done
	capture_stop dns
	tshark -r "$T/dns.pcap" -d "udp.port==$port,dns" -d "tcp.port==$port,dns" -Y dns -T fields -e frame.number -e dns.flags.response -e dns.id \
		-e dns.qry.name -e dns.qry.type -e dns.flags.rcode -e dns.count.answers 2>/dev/null |
		awk -F'\t' 'function hex(s,  i, v) { v = 0; s = tolower(substr(s, 3))
				for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
				return v }
			{ r = ($2 == "True" || $2 == 1)
			  printf "%s\t%s\t%d\t%s\t%s\t%s\n", $1, r ? "resp" : "req", hex($3), $4, $5, r ? $6 "\t" $7 : "-\t-" }' \
		>"$T/dns.want"
	feed dns "$port" "$EX/l7_dns.wasm" --plugin-arg port="$port" >"$T/dns.out" 2>"$T/dns.err" ||
		bad "dns: $(cat "$T/dns.err")"
	awk -F'\t' 'BEGIN { split("A:1 MX:15 AAAA:28 TXT:16", m, " "); for (i in m) { split(m[i], kv, ":"); num[kv[1]] = kv[2] } }
		{ ans = "-"; for (i = 11; i <= NF; i++) if ($i ~ /^answers=/) ans = substr($i, 9)
		  printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", $1, $3, $7, $6, num[$5], $3 == "resp" ? $8 : "-", ans }' \
		"$T/dns.out" >"$T/dns.got"
	compare dns "$T/dns.want" "$T/dns.got"
	# The whole pipeline with the plugin in place of the built-in parser
	# (only the plugin adds the `answers` attribute).
	awk -F'\t' '$2 == "resp" { print $3 "\t" $4 "\t" $6 "\t" $7 }' "$T/dns.want" >"$T/dns.pairs"
	l7 dns "$EX/l7_dns.wasm" --plugin-arg port="$port" |
		jq -r '[.request_id, .request_resource, .response_code, .attributes.answers] | @tsv' \
		>"$T/dns.l7"
	compare "wbpf l7 + l7_dns" "$T/dns.pairs" "$T/dns.l7"
	# A plugin whose check never returns, ahead of the built-in DNS parser:
	# cut at each deadline, counted, and every record still made (the
	# verdict is cached per server, so it is asked once per endpoint).
	cut -f1-3 "$T/dns.pairs" >"$T/dns.pairs3"
	"$WBPF" l7 --pcap "$T/dns.pcap" --plugin "$B/l7plug/hostile.wasm" --plugin-arg mode=loop_check \
		--hook-timeout 1ms --json 2>"$T/hostile.err" | jq -c -s 'sort_by(.start_time)[]' |
		jq -r '[.request_id, .request_resource, .response_code] | @tsv' >"$T/dns.hostile"
	compare "wbpf l7 + a looping plugin, built-in DNS" "$T/dns.pairs3" "$T/dns.hostile"
	grep -Eq "plugin hostile.wasm: ([1-9][0-9]*) calls, \1 failures" "$T/hostile.err" ||
		bad "the looping plugin's calls were not all counted as failures: $(cat "$T/hostile.err")"
}

redis_part
mqtt_part
dns_part
tally l7plug-e2e
