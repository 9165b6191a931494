# Real traffic for tests/l7/run.sh (sourced: uses its ok/bad/check, $TMP,
# $WBPF and PIDS, which its EXIT trap kills). nginx on a free port of
# 127.0.0.1 and dnsmasq on port 53 of an address of 127.53.0.0/16 picked
# at random (so that two runs do not meet) are started here; all of it
# stays on lo.

HTTP_ADDR=127.0.0.1
HTTP_PORT=$(free_port)
DNS_ADDR=127.53.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
CAP_FILTER="(host $HTTP_ADDR and tcp port $HTTP_PORT) or (host $DNS_ADDR and port 53)"

# start_nginx DIR HTTP: nginx with its files in DIR and HTTP (directives
# of its http block) as the rest of its configuration; the master's pid
# goes to PIDS, its stderr to DIR/stderr.
start_nginx() {
	local dir=$1
	cat >"$dir/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $dir/pid;
error_log $dir/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $dir/body;
	proxy_temp_path $dir/proxy;
	fastcgi_temp_path $dir/fcgi;
	uwsgi_temp_path $dir/uwsgi;
	scgi_temp_path $dir/scgi;
$2
}
EOF
	nginx -c "$dir/nginx.conf" -p "$dir" 2>"$dir/stderr" &
	PIDS+=($!)
}

start_servers() {
	mkdir -p "$TMP/www" "$TMP/nginx"
	chmod a+rx "$TMP" "$TMP/www" # nginx's workers run as nobody
	head -c 20000 /dev/zero | tr '\0' 'z' >"$TMP/www/big.txt"
	echo hello >"$TMP/www/index.html"
	start_nginx "$TMP/nginx" "
	gzip on;
	gzip_min_length 1;
	gzip_types text/plain;
	server {
		listen $HTTP_ADDR:$HTTP_PORT;
		root $TMP/www;
		location /err { return 503; }
		location /post { return 201 \"made\\n\"; }
	}"
	dnsmasq -k -C /dev/null --port=53 --listen-address=$DNS_ADDR --bind-interfaces \
		--no-resolv --no-hosts --user=root --pid-file="$TMP/dnsmasq.pid" \
		--host-record=www.example.test,192.0.2.1,2001:db8::1 \
		--host-record=api.example.test,192.0.2.2 \
		--cname=alias.example.test,www.example.test \
		--mx-host=example.test,mail.example.test,10 \
		--txt-record=example.test,"v=test" \
		--auth-zone=example.test --auth-server=ns.example.test \
		2>"$TMP/dnsmasq.err" &
	PIDS+=($!)
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://$HTTP_ADDR:$HTTP_PORT/" &&
			dig +time=1 +tries=1 @$DNS_ADDR www.example.test >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "servers did not start: $(cat "$TMP/nginx/stderr" "$TMP/dnsmasq.err")" >&2
	return 1
}

# Waits until tcpdump (stderr in $1) says it is listening.
wait_listening() {
	for _ in $(seq 50); do
		grep -q "listening on" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# The clients: keep-alive, chunked (gzip), pipelined, POST, errors; DNS
# over UDP and TCP, several types, a name that does not exist.
talk() {
	local u="http://$HTTP_ADDR:$HTTP_PORT"
	curl -s -o /dev/null -o /dev/null -o /dev/null "$u/" "$u/index.html?a=1" "$u/missing" \
		-H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' \
		-H 'X-Request-ID: req-42'
	curl -s -o /dev/null --compressed "$u/big.txt"
	curl -s -o /dev/null -d 'name=value' "$u/post"
	curl -s -o /dev/null -I "$u/index.html"
	curl -s -o /dev/null "$u/err"
	# pipelined: three requests in one write, on one connection
	exec 3<>/dev/tcp/$HTTP_ADDR/$HTTP_PORT
	printf 'GET /index.html HTTP/1.1\r\nHost: pipe.test\r\n\r\nGET /big.txt HTTP/1.1\r\nHost: pipe.test\r\nAccept-Encoding: gzip\r\n\r\nGET /nothere HTTP/1.1\r\nHost: pipe.test\r\nConnection: close\r\n\r\n' >&3
	timeout 5 cat <&3 >/dev/null
	exec 3<&-
	for q in "www.example.test A" "www.example.test AAAA" "alias.example.test A" \
		"example.test MX" "example.test TXT" "nothing.example.test A"; do
		dig +time=2 +tries=1 @$DNS_ADDR $q >/dev/null
		dig +time=2 +tries=1 +tcp @$DNS_ADDR $q >/dev/null
	done
}

# HTTP: "method uri host status" per request, from tshark and from wbpf.
# tshark lists pipelined messages of one frame comma-joined: they are
# split, and requests pair with responses in order on each TCP stream, as
# HTTP/1.1 pairs them. The port is random, and tshark gives many ports to
# other protocols (57000 is IRC to it): HTTP is named on it.
tshark_http() {
	tshark -r "$1" -d "tcp.port==$HTTP_PORT,http" -Y 'http.request or http.response' \
		-T fields -E separator='|' \
		-e tcp.stream -e http.request.method -e http.request.uri -e http.host \
		-e http.response.code 2>/dev/null |
		awk -F'|' '
		{
			s = $1
			if ($2 != "") {
				n = split($2, m, ","); split($3, u, ","); split($4, h, ",")
				for (i = 1; i <= n; i++) q[s, nq[s]++] = m[i] " " u[i] " " h[i]
			}
			if ($5 != "") {
				n = split($5, c, ",")
				for (i = 1; i <= n; i++) print q[s, nr[s]++] " " c[i]
			}
		}
		END { for (k in nq) for (i = nr[k]; i < nq[k]; i++) print q[k, i] " null" }' | sort
}

# pin_bench_load WORKER: for the benches, pins nginx's worker to one CPU
# and sets LOADGEN, the prefix that runs the load generator on another,
# from PIN ("SERVER-CPU LOADGEN-CPU", default "1 0"; PIN= leaves both to
# the scheduler, as does a machine with one CPU). Left free on this VM,
# the worker served at one of two speeds from one ab run to the next
# (32,000 or 48,000 requests/s, by the CPU it landed on), which swamped
# the few percent the benches measure.
# shellcheck disable=SC2034 # LOADGEN is for the caller
pin_bench_load() {
	local server_cpu loadgen_cpu
	LOADGEN=()
	read -r server_cpu loadgen_cpu <<<"${PIN-1 0}"
	[ -n "${loadgen_cpu:-}" ] && [ "$(nproc)" -gt 1 ] || return 0
	taskset -pc "$server_cpu" "$1" >/dev/null || return 1
	LOADGEN=(taskset -c "$loadgen_cpu")
	echo "nginx's worker on CPU $server_cpu, the load generator on CPU $loadgen_cpu (PIN=\"$server_cpu $loadgen_cpu\")"
}

# record_counts FILE: "sent seen lost" from the socket source's summary
# line in wbpf's stderr, FILE
record_counts() {
	sed -n 's/.*: \([0-9]*\) records sent, \([0-9]*\) seen, \([0-9]*\) lost.*/\1 \2 \3/p' "$1"
}

wbpf_http() {
	jq -r 'select(.l7_protocol_str == "HTTP") |
		"\(.request_type) \(.request_resource) \(.request_domain) \(.response_code)"' "$1" | sort
}

# DNS: "id name type rcode answers" per query/response pair.
tshark_dns() {
	tshark -r "$1" -Y 'dns.flags.response == 1' -T fields -e dns.id -e dns.qry.name \
		-e dns.qry.type -e dns.flags.rcode -e dns.count.answers 2>/dev/null |
		awk '{printf "%d %s %s %s %s\n", $1, $2, $3, $4, $5}' | sort
}

wbpf_dns() {
	jq -r 'def types: {"A":1,"NS":2,"CNAME":5,"SOA":6,"PTR":12,"MX":15,"TXT":16,"AAAA":28,"SRV":33,"ANY":255};
		select(.l7_protocol_str == "DNS" and (.timeout | not)) |
		"\(.request_id) \(.request_resource) \(types[.request_type]) \(.response_code) \(.attributes.answer_count)"' "$1" | sort
}

# compare NAME A_FILE B_FILE: equal and not empty
compare() {
	if [ -s "$2" ] && cmp -s "$2" "$3"; then
		ok "$1 ($(wc -l <"$2") requests)"
	else
		bad "$1" "tshark / wbpf:" "$(diff "$2" "$3" | head -20)"
	fi
}

check_capture() {
	local tag=$1 pcap=$2 json=$3
	tshark_http "$pcap" >"$TMP/$tag.http.tshark"
	wbpf_http "$json" >"$TMP/$tag.http.wbpf"
	compare "$tag: HTTP method, URI, host, status equal tshark's" "$TMP/$tag.http.tshark" "$TMP/$tag.http.wbpf"
	tshark_dns "$pcap" >"$TMP/$tag.dns.tshark"
	wbpf_dns "$json" >"$TMP/$tag.dns.wbpf"
	compare "$tag: DNS id, name, type, rcode, answers equal tshark's" "$TMP/$tag.dns.tshark" "$TMP/$tag.dns.wbpf"
}

traffic_tests() {
	if ! start_servers; then
		bad "real traffic: nginx and dnsmasq start"
		return
	fi
	# 1. tcpdump captures, wbpf reads the file
	tcpdump -i lo --immediate-mode -B 65536 -U -w "$TMP/real.pcap" "$CAP_FILTER" 2>"$TMP/tcpdump.err" &
	local tp=$!
	PIDS+=($tp)
	wait_listening "$TMP/tcpdump.err" || bad "tcpdump did not start" "$(cat "$TMP/tcpdump.err")"
	talk
	sleep 0.5
	kill -INT $tp
	wait $tp
	"$WBPF" l7 --pcap "$TMP/real.pcap" --json >"$TMP/real.json" 2>"$TMP/real.err"
	check_capture "capture file" "$TMP/real.pcap" "$TMP/real.json"
	check "capture file: traceparent and x-request-id into trace fields" \
		"4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 req-42" \
		"$(jq -r 'select(.request_resource == "/index.html?a=1") | "\(.trace_id) \(.span_id) \(.x_request_id)"' "$TMP/real.json")"
	check "capture file: chunked gzip body length" "yes" \
		"$(jq -r 'select(.request_resource == "/big.txt" and .request_domain != "pipe.test") | if .response_length > 0 and .response_length < 20000 then "yes" else "no: \(.response_length)" end' "$TMP/real.json")"
	check "capture file: latencies measured" "0" \
		"$(jq -r 'select(.timeout | not) | select(.response_duration == null or .response_duration < 0)' "$TMP/real.json" | wc -l)"

	# 2. the same traffic, wbpf capturing live on lo (tcpdump alongside for tshark)
	tcpdump -i lo --immediate-mode -B 65536 -U -w "$TMP/live.pcap" "$CAP_FILTER" 2>"$TMP/tcpdump2.err" &
	tp=$!
	PIDS+=($tp)
	wait_listening "$TMP/tcpdump2.err"
	"$WBPF" l7 --iface lo --filter "$CAP_FILTER" --json --duration 30 >"$TMP/live.json" 2>"$TMP/live.err" &
	local wp=$!
	PIDS+=($wp)
	sleep 1
	talk
	sleep 0.5
	kill -INT $tp $wp
	wait $tp
	wait $wp
	check "live: exits cleanly on SIGINT with a summary" "1" "$(grep -c '^summary:' "$TMP/live.err")"
	check_capture "live on lo" "$TMP/live.pcap" "$TMP/live.json"
}
