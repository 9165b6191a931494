#!/usr/bin/env bash
# What the socket source costs the traced application (not a test:
# nothing asserted). Root.
#
#   bench/l7/socket.sh [N]     (make bench-l7-sock; N requests a round, 20000)
#   HOOKS=raw bench/l7/socket.sh   the same with --hooks raw (or per-call)
#   BEFORE=path/to/older/wbpf bench/l7/socket.sh   each round also traced
#       by that build, reported beside this one's (a change's effect in
#       one run, with the neighbours' load falling on both)
#
# nginx on 127.0.0.1 (tests/l7/traffic.sh's server) driven by ab (keep-
# alive, 8 connections), each on a CPU of its own (PIN: traffic.sh's
# pin_bench_load). Rounds alternate without and with
# `wbpf l7 --source socket` running (tracing both ends, then nginx alone),
# in one run, so that the neighbours' load falls on all alike. Measures, medians of the rounds: requests/s
# (wall clock: on a shared machine mostly the neighbours' noise; also the
# median of each pair of rounds' loss); the CPU
# time (user + system, from /proc and /usr/bin/time) nginx's worker and ab
# spend per request (what the tracing adds to the traced processes); and
# that plus wbpf's own CPU per request (on a machine with few cores wbpf's
# CPU is taken from the server too). Then the CPU one traced socket call
# costs the process making it (bench/l7/sockcall.c, getrusage: the
# steadiest figure), what an untraced system call (getppid) and a file's
# open and close pay while the source is attached; the CPU the tracing
# takes per request counted from the programs' run time and wbpf's CPU,
# with both ends traced and the server alone; and one round at 32
# connections: records/s delivered and how many were lost.
set -u
N=${1:-20000}
BUILD=${BUILD:-build}
WBPF=$(realpath "${WBPF:-$BUILD/wbpf}")
THIS=$WBPF
SOCKCALL=$(realpath "${SOCKCALL:-$BUILD/bench/l7/sockcall}")
ROUNDS=${ROUNDS:-5}
SRC=$(cd "$(dirname "$0")/../../tests/l7" && pwd)
. "$SRC/../lib.sh"
scratch l7sock-bench

[ "$(id -u)" -eq 0 ] || { echo "bench-l7-sock: needs root (eBPF)"; exit 0; }
# shellcheck source=tests/l7/traffic.sh
. "$SRC/traffic.sh"
start_servers >/dev/null || exit 1
WORKER=$(pgrep -P "${PIDS[0]}" -x nginx | head -1)
pin_bench_load "$WORKER" || exit 1
URL="http://$HTTP_ADDR:$HTTP_PORT/index.html"
HOOKS_ARGS=()
[ -z "${HOOKS:-}" ] || HOOKS_ARGS=(--hooks "$HOOKS")
TRACE=(--port "$HTTP_PORT") # what traced() gives wbpf
HZ=$(getconf CLK_TCK)

ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# cpu_ns PID: the CPU time PID's threads have run, in ns. wbpf spends a
# tick or two (10 ms) a round: counted in ticks, its figure was mostly
# rounding.
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { print s }'
}

# load N C: "requests/s cpu-µs-per-request" (nginx's worker + ab)
load() {
	local before after ab_cpu rps
	before=$(ticks "$WORKER")
	/usr/bin/time -f '%U %S' -o "$TMP/ab.time" "${LOADGEN[@]}" ab -q -k -n "$1" -c "$2" "$URL" >"$TMP/ab.out" 2>&1
	after=$(ticks "$WORKER")
	rps=$(awk '/^Requests per second/ { print $4 }' "$TMP/ab.out")
	ab_cpu=$(awk '{ print $1 + $2 }' "$TMP/ab.time")
	awk -v r="$rps" -v a="$ab_cpu" -v t=$((after - before)) -v hz="$HZ" -v n="$1" \
		'BEGIN { printf "%s %.2f\n", r, (a + t / hz) * 1e6 / n }'
}

# progs PID: "name ns-per-run runs" for each BPF program PID holds that
# ran (kernel.bpf_stats_enabled on), from the programs' fdinfo.
progs() {
	local f id
	for f in /proc/"$1"/fdinfo/*; do
		grep -q '^run_cnt:' "$f" 2>/dev/null || continue
		id=$(awk '/^prog_id:/ { print $2 }' "$f")
		awk -v n="$(bpftool prog show id "$id" | sed -n '1s/.* name \([^ ]*\) .*/\1/p')" \
			'/^run_time_ns:/ { t = $2 } /^run_cnt:/ { c = $2 }
			END { if (c) printf "%s %.0f %d\n", n, t / c, c }' "$f"
	done | sort -u
}

# traced CMD...: CMD while wbpf traces (TRACE: the server's port); CMD's output,
# then "sent seen lost wbpf-cpu-seconds CMD-seconds". With PROGS set, the
# programs' run times go to $TMP/progs.
traced() {
	"$THIS" l7 --source socket "${HOOKS_ARGS[@]}" "${TRACE[@]}" --json >/dev/null 2>"$TMP/w.err" &
	local wp=$! t0 t1 cpu c0
	PIDS+=("$wp")
	for _ in $(seq 300); do
		grep -q "attached" "$TMP/w.err" && break
		sleep 0.1
	done
	c0=$(cpu_ns $wp) # start-up (load, verify, attach: ~0.3 s) is not per record
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	cpu=$(($(cpu_ns $wp) - c0))
	[ -z "${PROGS:-}" ] || progs $wp >"$TMP/progs"
	kill -INT $wp
	wait $wp
	echo "$(record_counts "$TMP/w.err")" \
		"$(awk -v c="$cpu" 'BEGIN { print c / 1e9 }')" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# lost_of: the records lost, from traced's last line on stdin
lost_of() {
	tail -1 | cut -d' ' -f3
}

# lost_note FILE: nothing if the records lost listed in FILE (one count a
# line) add up to 0, else a warning: a run whose ring refused records did
# less work (no record written) and looks cheaper than it is
lost_note() {
	awk '{ s += $1 } END { if (s) printf "; %d records LOST in these runs: the figures flatter the source", s }' "$1"
}

# calls: CPU ns per traced call of sockcall, 100-byte writes and reads
calls() {
	"$SOCKCALL" 100000 100
}

# replies: the same with nginx's replies' shape, 240 bytes written by a
# writev of two pieces (header and body)
replies() {
	"$SOCKCALL" 100000 240 2
}

# others: CPU ns of an untraced system call (getppid)
others() {
	"$SOCKCALL" 500000 getppid
}

# files: CPU ns of a file's open and close
files() {
	"$SOCKCALL" 200000 close
}

load 2000 8 >/dev/null # warm up
for _ in $(seq "$ROUNDS"); do
	load "$N" 8 >>"$TMP/base"
	traced load "$N" 8 >"$TMP/t"
	head -1 "$TMP/t" >>"$TMP/traced"
	tail -1 "$TMP/t" >>"$TMP/wbpf"
	# nginx + ab + wbpf, µs per request
	paste -d' ' <(head -1 "$TMP/t") <(tail -1 "$TMP/t") |
		awk -v n="$N" '{ printf "%.2f\n", $2 + $6 * 1e6 / n }' >>"$TMP/total"
	# the server alone, as a load generator on another machine would leave it
	TRACE=(--port "$HTTP_PORT" --comm nginx)
	traced load "$N" 8 | head -1 >>"$TMP/server"
	TRACE=(--port "$HTTP_PORT")
	if [ -n "${BEFORE:-}" ]; then
		THIS=$(realpath "$BEFORE")
		traced load "$N" 8 | head -1 >>"$TMP/before"
		TRACE=()
		traced calls | head -1 >>"$TMP/call.before"
		traced files | head -1 >>"$TMP/file.before"
		TRACE=(--port "$HTTP_PORT")
		THIS=$WBPF
	fi
	calls >>"$TMP/call.base"
	TRACE=() # every process: sockcall's port is not known beforehand
	traced calls >"$TMP/c"
	head -1 "$TMP/c" >>"$TMP/call.traced"
	lost_of <"$TMP/c" >>"$TMP/call.lost"
	others >>"$TMP/other.base"
	traced others >"$TMP/c"
	head -1 "$TMP/c" >>"$TMP/other.traced"
	files >>"$TMP/file.base"
	traced files >"$TMP/c"
	head -1 "$TMP/c" >>"$TMP/file.traced"
	TRACE=(--port "$HTTP_PORT")
done
col() {
	cut -d' ' -f"$1" "$2" | median
}
b_rps=$(col 1 "$TMP/base")
t_rps=$(col 1 "$TMP/traced")
b_cpu=$(col 2 "$TMP/base")
t_cpu=$(col 2 "$TMP/traced")
t_all=$(median <"$TMP/total")
echo "nginx on loopback, ab -k -c 8, $N requests a round, $ROUNDS rounds each, medians:"
printf '| %-24s | %10s | %18s | %24s |\n' "" "requests/s" "CPU µs/request" "CPU µs/request"
printf '| %-24s | %10s | %18s | %24s |\n' "" "" "(nginx + ab)" "(nginx + ab + wbpf)"
printf '| %-24s | %10s | %18s | %24s |\n' "no tracing" "$b_rps" "$b_cpu" "$b_cpu"
printf '| %-24s | %10s | %18s | %24s |\n' "wbpf l7 --source socket" "$t_rps" "$t_cpu" "$t_all"
printf '| %-24s | %10s | %18s | %24s |\n' "the same, --comm nginx" "$(col 1 "$TMP/server")" \
	"$(col 2 "$TMP/server")" ""
if [ -n "${BEFORE:-}" ]; then
	printf '| %-24s | %10s | %18s | %24s |\n' "the same, BEFORE's build" "$(col 1 "$TMP/before")" \
		"$(col 2 "$TMP/before")" ""
	echo "rounds with BEFORE's build:              $(tr '\n' ';' <"$TMP/before")"
	echo "sockcall traced by BEFORE's build (ns): $(tr '\n' ' ' <"$TMP/call.before")(median $(median <"$TMP/call.before"))"
	echo "open + close traced by BEFORE's build (ns): $(tr '\n' ' ' <"$TMP/file.before")(median $(median <"$TMP/file.before"))"
fi
awk -v b="$b_rps" -v w="$t_rps" -v bc="$b_cpu" -v tc="$t_cpu" -v ta="$t_all" 'BEGIN {
	printf "requests/s lost: %.1f%%; CPU added per request: %.1f%% to nginx + ab, %.1f%% with wbpf\n",
		(b - w) * 100 / b, (tc - bc) * 100 / bc, (ta - bc) * 100 / bc }'
# A round's neighbours' load falls mostly on the traced round that follows
# it too: the median of the pairs' losses is steadier than the loss
# between the medians.
# pair_loss FILE: the median of FILE's rounds' losses against the untraced
# rounds before them
pair_loss() {
	paste -d' ' "$TMP/base" "$1" | awk '{ printf "%.1f\n", ($1 - $3) * 100 / $1 }' | median
}
echo "requests/s lost, median of the rounds' pairs (each traced round against the untraced one before it):" \
	"both ends $(pair_loss "$TMP/traced")%, the server alone (--comm nginx) $(pair_loss "$TMP/server")%"
echo "rounds without (requests/s, µs/request): $(tr '\n' ';' <"$TMP/base")"
echo "rounds with:                             $(tr '\n' ';' <"$TMP/traced")"
echo "rounds with, the server alone:           $(tr '\n' ';' <"$TMP/server")"
awk '{ s += $1; c += $4 } END { printf "wbpf itself: %.3f µs of CPU per record (%d records)\n", c * 1e6 / s, s }' "$TMP/wbpf"
awk -v b="$(median <"$TMP/call.base")" -v t="$(median <"$TMP/call.traced")" 'BEGIN {
	printf "one socket call (sockcall, 100 bytes): %d ns of CPU untraced, %d ns traced: +%d ns\n",
		b, t, t - b }'
echo "sockcall rounds (ns): without $(tr '\n' ' ' <"$TMP/call.base"); with $(tr '\n' ' ' <"$TMP/call.traced")$(lost_note "$TMP/call.lost")"
awk -v b="$(median <"$TMP/other.base")" -v t="$(median <"$TMP/other.traced")" 'BEGIN {
	printf "an untraced system call (getppid): %d ns of CPU without the source, %d ns with: +%d ns\n",
		b, t, t - b }'
echo "getppid rounds (ns): without $(tr '\n' ' ' <"$TMP/other.base"); with $(tr '\n' ' ' <"$TMP/other.traced")"
awk -v b="$(median <"$TMP/file.base")" -v t="$(median <"$TMP/file.traced")" 'BEGIN {
	printf "a file opened and closed: %d ns of CPU without the source, %d ns with: +%d ns\n",
		b, t, t - b }'
echo "system call hooks: ${HOOKS:-default}; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

# The programs' own time per run, from the kernel's BPF statistics (they
# cost a clock read or two per run, so not in the rounds above); the
# tracepoint dispatch around each program is not in it.
stats=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
TRACE=()
# progs_line BUILD WORK: that build's programs, three runs of WORK
# (calls or replies), alternated
progs_line() {
	awk '{ printf "%s%s %s (%d runs)", (NR > 1 ? ", " : ""), $1, $2, $3 }' "$TMP/progs.$1.$2"
	lost_note "$TMP/progs.$1.$2.lost"
}
# progs_of BUILD WORK: one run of WORK, its programs' times to BUILD's
progs_of() {
	PROGS=1 traced "$2" | lost_of >>"$TMP/progs.$1.$2.lost"
	cat "$TMP/progs" >>"$TMP/progs.$1.$2"
}
for _ in 1 2 3; do
	for work in calls replies; do
		progs_of this $work
		[ -n "${BEFORE:-}" ] || continue
		THIS=$(realpath "$BEFORE")
		progs_of before $work
		THIS=$WBPF
	done
done
TRACE=(--port "$HTTP_PORT")
echo "BPF programs under sockcall, ns per run (bpf_stats, three runs): $(progs_line this calls)"
[ -z "${BEFORE:-}" ] || echo "the same, BEFORE's build: $(progs_line before calls)"
echo "the same, 240 bytes written by a writev of two pieces: $(progs_line this replies)"
[ -z "${BEFORE:-}" ] || echo "the same, BEFORE's build: $(progs_line before replies)"

# The CPU the tracing takes per request, counted rather than subtracted:
# the programs' run time (bpf_stats, whose own clock reads are in it:
# about 0.1 µs a run) and wbpf's CPU, against nginx + ab's untraced CPU
# per request. The rounds above subtract two measurements that each carry
# the neighbours' load; these counts barely move with it. Left out: the
# tracepoints' dispatch and what the records do to the traced processes'
# caches. Both ends (ab's calls and nginx's: four records a request), and
# the server alone (--comm nginx: two; ab's calls still run the programs,
# which leave at the name filter), as a load generator on another machine
# would leave it.
# budget_round BUILD ARGS...: "programs-µs wbpf-µs" per request, BUILD
# tracing with ARGS
budget_round() {
	local trace=("${TRACE[@]}")
	THIS=$1
	TRACE=(--port "$HTTP_PORT" "${@:2}")
	PROGS=1 traced load "$N" 8 >"$TMP/t"
	THIS=$WBPF
	TRACE=("${trace[@]}")
	echo "$(awk -v n="$N" '{ t += $2 * $3 } END { printf "%.2f", t / 1e3 / n }' "$TMP/progs")" \
		"$(tail -1 "$TMP/t" | awk -v n="$N" '{ printf "%.2f", $4 * 1e6 / n }')"
}
for _ in $(seq "$ROUNDS"); do
	load "$N" 8 | cut -d' ' -f2 >>"$TMP/budget.base"
	budget_round "$WBPF" >>"$TMP/budget.this"
	budget_round "$WBPF" --comm nginx >>"$TMP/budget.server"
	[ -z "${BEFORE:-}" ] || budget_round "$(realpath "$BEFORE")" >>"$TMP/budget.before"
done
sysctl -qw kernel.bpf_stats_enabled="$stats"
# budget_line NAME: the medians of budget.NAME's rounds against the
# untraced CPU, then the rounds
budget_line() {
	awk -v b="$(median <"$TMP/budget.base")" -v p="$(col 1 "$TMP/budget.$1")" \
		-v w="$(col 2 "$TMP/budget.$1")" 'BEGIN {
		printf "programs %.2f + wbpf %.2f = %.2f µs a request: %.1f%% of nginx + ab'"'"'s %.2f\n",
			p, w, p + w, (p + w) * 100 / b, b }'
	echo "    rounds (programs, wbpf): $(paste -sd';' "$TMP/budget.$1")"
}
echo "CPU the tracing takes, counted (bpf_stats on, $ROUNDS rounds, medians);" \
	"untraced rounds: $(paste -sd' ' "$TMP/budget.base") µs a request"
echo "  both ends: $(budget_line this)"
echo "  the server alone (--comm nginx): $(budget_line server)"
[ -z "${BEFORE:-}" ] || echo "  both ends, BEFORE's build: $(budget_line before)"

out=$(traced load $((N * 2)) 32)
read -r rps _ < <(echo "$out" | head -1)
read -r sent seen lost _ secs < <(echo "$out" | tail -1)
awk -v s="$sent" -v n="$seen" -v l="$lost" -v t="$secs" -v r="$rps" 'BEGIN {
	printf "ab -c 32 under tracing: %s requests/s; records sent %d, seen %d, lost %d: %.0f records/s\n",
		r, s, n, l, s / t }'
