# Shell helpers of the L7 tests that start servers and capture loopback,
# sourced after tests/lib.sh (ok, bad, skipped, tally, free_port):
#   l7_setup NAME   a temporary directory $T (kept with KEEP=1); PIDS killed
#                   and $T removed at exit
#   l7_need NAME TOOL...  exits 0 after one skip line unless root and every TOOL
#   wait_port t|u PORT    a listener on PORT within 5 s
#   capture_start NAME FILTER / capture_stop NAME   tcpdump on lo into $T/NAME.pcap

l7_setup() {
	T=$(mktemp -d "/tmp/wbpf-$1.XXXXXX")
	PIDS=()
	trap l7_cleanup EXIT
}

l7_cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}

l7_need() { # name tools...
	local name=$1 t
	shift
	[ "$(id -u)" -eq 0 ] || { skipped "$name" "capturing loopback needs root"; tally "$name"; exit 0; }
	for t in "$@"; do
		command -v "$t" >/dev/null || { skipped "$name" "$t is not installed"; tally "$name"; exit 0; }
	done
}

wait_port() { # t|u port
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
