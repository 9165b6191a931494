#!/usr/bin/env bash
# The example plugins on real traffic: real servers and clients talk on
# 127.0.0.1 while the test captures loopback; each segment's payload goes
# through the plugin host (build/l7plug/plugin_feed) and the fields each
# plugin gives are compared with tshark's dissection of the same capture:
#   Redis  redis-server + redis-cli   command per request, error replies (tshark `resp`)
#   MQTT   mosquitto + mosquitto_pub/sub   packet types and topics (tshark `mqtt`);
#          MQTT 5 (-V mqttv5 -D ...): version, reason codes, properties
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
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh" # l7_setup, wait_port, capture_start/stop
l7_setup l7plug

need() { # part, tools...
	local part=$1 t
	shift
	[ "$(id -u)" -eq 0 ] || { skipped "$part" "capturing loopback needs root"; return 1; }
	for t in tcpdump tshark "$@"; do
		command -v "$t" >/dev/null || { skipped "$part" "$t is not installed"; return 1; }
	done
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
# A broker of its own on a free port, MQ_PORT (not in a subshell: its pid
# must reach PIDS).
mosquitto_start() { # name
	MQ_PORT=$(free_port) || return 1
	printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$MQ_PORT" >"$T/$1.conf"
	mosquitto -c "$T/$1.conf" >"$T/$1.log" 2>&1 &
	PIDS+=($!)
	wait_port t "$MQ_PORT" || { bad "$1: mosquitto did not start"; return 1; }
}
mqtt_part() {
	need mqtt mosquitto mosquitto_pub mosquitto_sub || return 0
	mosquitto_start mqtt || return
	local port=$MQ_PORT
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

# ------------------------------------------------------- MQTT 5 properties
# mosquitto_pub/sub -V mqttv5 with properties on CONNECT, SUBSCRIBE,
# PUBLISH and DISCONNECT; per frame, the plugin's packet types, version,
# topics, reason codes and properties (ids in order, user properties,
# numbers, strings) must equal tshark's.
mqtt5_part() {
	need mqtt5 mosquitto mosquitto_pub mosquitto_sub python3 || return 0
	mosquitto_start mqtt5 || return
	local port=$MQ_PORT
	capture_start mqtt5 "tcp port $port" || return
	timeout 10 mosquitto_sub -V mqttv5 -h 127.0.0.1 -p "$port" -t wbpf/v5 -q 1 -C 2 \
		-D connect session-expiry-interval 30 -D subscribe user-property sk sv >"$T/sub5.out" &
	local sub=$!
	sleep 0.5
	mosquitto_pub -V mqttv5 -h 127.0.0.1 -p "$port" -t wbpf/v5 -m hello -q 1 \
		-D connect session-expiry-interval 30 -D connect user-property ck cv \
		-D publish user-property k1 v1 -D publish user-property k2 v2 \
		-D publish content-type text/plain -D publish message-expiry-interval 60 \
		-D publish response-topic wbpf/reply -D publish correlation-data abc \
		-D publish payload-format-indicator 1
	mosquitto_pub -V mqttv5 -h 127.0.0.1 -p "$port" -t wbpf/v5 -m again -q 2 \
		-D publish user-property k3 v3 -D disconnect reason-string bye
	wait "$sub" || bad "mqtt5: the subscriber did not get both messages"
	capture_stop mqtt5
	tshark -r "$T/mqtt5.pcap" -d "tcp.port==$port,mqtt" -Y mqtt -T json -e frame.number \
		-e mqtt.msgtype -e mqtt.ver -e mqtt.topic -e mqtt.property_id -e mqtt.prop_key \
		-e mqtt.prop_value -e mqtt.prop_number -e mqtt.prop_string -e mqtt.property.content_type \
		-e mqtt.connack.reason_code 2>/dev/null >"$T/mqtt5.tshark.json"
	feed mqtt5 "$port" "$EX/l7_mqtt.wasm" >"$T/mqtt5.out" 2>"$T/mqtt5.err" || bad "mqtt5: $(cat "$T/mqtt5.err")"
	python3 - "$T/mqtt5.tshark.json" "$T/mqtt5.out" >"$T/mqtt5.want" 3>"$T/mqtt5.got" <<'PY' ||
import json, os, sys
TYPES = "RESERVED CONNECT CONNACK PUBLISH PUBACK PUBREC PUBREL PUBCOMP SUBSCRIBE SUBACK UNSUBSCRIBE UNSUBACK PINGREQ PINGRESP DISCONNECT AUTH".split()
# property name -> (id, form): n number, s string, b binary (hex in the plugin)
PROPS = {"payload_format_indicator": (0x01, "n"), "message_expiry_interval": (0x02, "n"),
         "content_type": (0x03, "c"), "response_topic": (0x08, "s"), "correlation_data": (0x09, "b"),
         "subscription_identifier": (0x0b, "n"), "session_expiry_interval": (0x11, "n"),
         "assigned_client_identifier": (0x12, "s"), "server_keep_alive": (0x13, "n"),
         "authentication_method": (0x15, "s"), "authentication_data": (0x16, "b"),
         "request_problem_information": (0x17, "n"), "will_delay_interval": (0x18, "n"),
         "request_response_information": (0x19, "n"), "response_information": (0x1a, "s"),
         "server_reference": (0x1c, "s"), "reason_string": (0x1f, "s"), "receive_maximum": (0x21, "n"),
         "topic_alias_maximum": (0x22, "n"), "topic_alias": (0x23, "n"), "maximum_qos": (0x24, "n"),
         "retain_available": (0x25, "n"), "maximum_packet_size": (0x27, "n"),
         "wildcard_subscription_available": (0x28, "n"),
         "subscription_identifier_available": (0x29, "n"), "shared_subscription_available": (0x2a, "n")}
def line(frame, types, ver, topics, ids, users, nums, strs, ctype, connack):
    return "\t".join([frame, ",".join(types), ver, ",".join(topics), ",".join("0x%02x" % i for i in ids),
                      ",".join(users), ",".join(nums), ",".join(strs), ctype, connack])
want = []
for p in json.load(open(sys.argv[1])):
    f = p["_source"]["layers"]
    g = lambda k: f.get(k, [])
    want.append(line(g("frame.number")[0], [TYPES[int(t)] for t in g("mqtt.msgtype")], ",".join(g("mqtt.ver")),
                     g("mqtt.topic"), [int(i, 16) for i in g("mqtt.property_id")],
                     ["%s=%s" % kv for kv in zip(g("mqtt.prop_key"), g("mqtt.prop_value"))],
                     g("mqtt.prop_number"), g("mqtt.prop_string"), ",".join(g("mqtt.property.content_type")),
                     ",".join(g("mqtt.connack.reason_code"))))
frames = {}
for l in open(sys.argv[2]):
    c = l.rstrip("\n").split("\t")
    frames.setdefault(c[0], []).append(c)
got = []
for frame, recs in frames.items():
    types, ver, topics, ids, users, nums, strs, ctype, connack = [], "", [], [], [], [], [], "", ""
    for c in recs:
        types.append(c[4])
        if c[5]:
            topics.append(c[5])
        if c[4] == "CONNACK":
            connack = c[7]
        for a in c[10:]:
            k, v = a.split("=", 1)
            if k == "version":
                ver = ("5" if v == "5.0" else v) if c[4] == "CONNECT" else ver
            elif k in PROPS:
                pid, form = PROPS[k]
                ids.append(pid)
                if form == "n":
                    nums.append(v)
                elif form == "c":
                    ctype = v
                else:
                    strs.append(bytes.fromhex(v).decode() if form == "b" else v)
            elif k != "client_id":
                ids.append(0x26)
                users.append("%s=%s" % (k, v))
    got.append(line(frame, types, ver, topics, ids, users, nums, strs, ctype, connack))
print("\n".join(want))
os.write(3, ("\n".join(got) + "\n").encode())
PY
		bad "mqtt5: comparing failed"
	compare "MQTT 5 properties" "$T/mqtt5.want" "$T/mqtt5.got"
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
mqtt5_part
dns_part
tally l7plug-e2e
