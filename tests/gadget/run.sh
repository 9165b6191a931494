#!/usr/bin/env bash
# Gadget tests: gadget.yaml parsing (good and malformed: one clear error
# each), and the example gadgets end to end on the real kernel while this
# script makes the events (an exec, an open of a missing file).
#
# usage: tests/gadget/run.sh BUILD_DIR [TEST...]   (default: every test)
# The kernel tests need root; without it they are reported as skipped.
set -uo pipefail

BUILD=${1:-build}
shift || true
WBPF=${WBPF:-$BUILD/wbpf}
EX=${EX:-$BUILD/examples} # EX=build/examples/rust: gadgets with the Rust operators
HERE=$(dirname "$0")

WORK=$(mktemp -d /tmp/wbpf-gadget.XXXXXX)
U=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
declare -A bg_pid=()
PIDS=() # servers tests/sink/services.sh starts

cleanup() {
	local p
	for p in "${bg_pid[@]}" "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

. "$(dirname "$0")/../lib.sh"

is_root() { [ "$(id -u)" -eq 0 ]; }

# start NAME DIR [OPTIONS...]: `wbpf gadget run` in the background, with a
# deadline so that nothing hangs the suite.
start() {
	local name=$1
	shift
	"$WBPF" gadget run --timeout 20s "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	bg_pid[$name]=$!
}

# ready NAME CONDITION: until the shell condition holds (checked afresh
# every 0.1 s, 10 s at most), or NAME's process has exited.
ready() {
	local tries=100
	while [ $tries -gt 0 ]; do
		eval "$2" && return 0
		kill -0 "${bg_pid[$1]}" 2>/dev/null || return 1
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# started NAME: until the header is out (the programs are attached).
started() { ready "$1" '[ -s "$WORK/$1.out" ]'; }

# attached NAME: until the process holds a BPF link (JSON has no header).
attached() { ready "$1" 'grep -qs "^link_id:" /proc/"${bg_pid[$1]}"/fdinfo/*'; }

# capturing NAME: until the process holds a socket (socket filters have
# no BPF link).
capturing() { ready "$1" 'find /proc/"${bg_pid[$1]}"/fd -lname "socket:*" 2>/dev/null | grep -q .'; }

# stop NAME: SIGINT, as a user's Ctrl-C; its status goes to rc.
stop() {
	rc=0
	kill -INT "${bg_pid[$1]}" 2>/dev/null
	wait "${bg_pid[$1]}" || rc=$?
	unset "bg_pid[$1]"
}

# A gadget directory with trace_open's object and the given gadget.yaml.
yaml_gadget() {
	local dir=$WORK/yaml_$(basename "$1" .yaml)
	mkdir -p "$dir"
	cp "$EX/trace_open/program.bpf.o" "$dir/"
	cp "$1" "$dir/gadget.yaml"
	echo "$dir"
}

# ------------------------------------------------------------ gadget.yaml

test_yaml_malformed() {
	local f dir want err rc n bad=0
	for f in "$HERE"/yaml/*.yaml; do
		want=$(sed -n 's/^# want: //p' "$f")
		[ -n "$want" ] || continue
		dir=$(yaml_gadget "$f")
		err=$("$WBPF" gadget inspect "$dir" 2>&1 >/dev/null)
		rc=$?
		n=$(printf '%s\n' "$err" | grep -c .)
		if [ $rc -ne 1 ] || [ "$n" -ne 1 ] || ! grep -Eq "^wbpf gadget: .*$want" <<<"$err"; then
			bad_run "yaml-malformed" "$(basename "$f"): status $rc, want one line matching '$want', got: $err"
			bad=1
		fi
	done
	[ $bad -eq 0 ] && ok yaml-malformed
}

test_yaml_full() {
	local dir out
	dir=$(yaml_gadget "$HERE/yaml/full.yaml")
	out=$("$WBPF" gadget inspect "$dir") || { bad_run yaml-full "inspect failed"; return; }
	local want
	for want in \
		'^    comm +cstring @8\+16 .*template=comm description=the process name columns.width=6 columns.ellipsis=end' \
		'^    pid +uint32 .*columns.width=9 columns.minwidth=9 columns.alignment=left' \
		'^    uid +uint32 .* hidden .*columns.hidden=true' \
		'^    fd +int32 .*columns.width=5 columns.alignment=right columns.fixed=true' \
		'^    flags +uint32 @40\+4 src:ebpf .*columns.hex=true' \
		'^    fname +cstring .*columns.maxwidth=12 columns.ellipsis=middle' \
		'^    error +string .*columns.ellipsis=none' \
		'^param --comm \(string, ebpf, default .*\): only this comm$' \
		'^program exit_openat: SEC\("tracepoint/syscalls/sys_exit_openat"\)$'; do
		grep -Eq "$want" <<<"$out" || { bad_run yaml-full "no line matching '$want' in: $out"; return; }
	done
	ok yaml-full
}

# The renderer applies those annotations: widths, alignment, ellipsis.
test_columns() {
	is_root || { skipped columns "needs root (eBPF)"; return; }
	local dir prog=$WORK/wbc_$U line want
	dir=$(yaml_gadget "$HERE/yaml/full.yaml")
	cp /bin/cat "$prog"
	start columns "$dir" --comm "wbc_$U"
	started columns || { bad_run columns "no header" columns; return; }
	"$prog" "$WORK/a_very_long_missing_name_$U" 2>/dev/null
	sleep 0.3
	stop columns
	want="COMM   PID          FD    FLAGS FNAME        ERROR"
	[ "$(head -1 "$WORK/columns.out")" = "$want" ] ||
		{ bad_run columns "header: want '$want', got '$(head -1 "$WORK/columns.out")'" columns; return; }
	line=$(grep " /tmp/w…" "$WORK/columns.out")
	# comm cut at 6 with an ellipsis, pid left-aligned in 9, fd right in 5,
	# flags in hex, fname cut in the middle to 12, error never cut.
	[[ "$line" =~ ^wbc_$(printf %.1s "$U")…\ [0-9]+\ +-1\ +0x[0-9a-f]+\ /tmp/w…[a-f0-9]{5}\ ENOENT$ ]] ||
		{ bad_run columns "row: '$line'" columns; return; }
	ok columns
}

# --------------------------------------------------------------- examples

test_trace_exec() {
	is_root || { skipped trace_exec "needs root (eBPF)"; return; }
	local prog=$WORK/wbx_$U pid line
	cp /bin/true "$prog"
	start exec "$EX/trace_exec"
	started exec || { bad_run trace_exec "no header" exec; return; }
	"$prog" "arg_$U" second &
	pid=$!
	wait $pid
	sleep 0.3
	stop exec
	[ "$rc" = 0 ] || { bad_run trace_exec "exit status $rc" exec; return; }
	# COMM PID FILE PCOMM USER; FILE is cut at its start to 32 columns
	line=$(awk -v p="$pid" '$2 == p' "$WORK/exec.out")
	read -r c p f pc us _ <<<"$line"
	[ "$c $p $pc $us" = "wbx_$U $pid bash root" ] && [ "${#f}" = 32 ] &&
		[[ "$f" == …* && "$prog" == *"${f#…}" ]] ||
		{ bad_run trace_exec "want 'wbx_$U $pid …${prog: -31} bash root', got '$line'" exec; return; }
	grep -Eq "^wbpf gadget: trace_exec: [1-9][0-9]* events, 0 lost" "$WORK/exec.err" ||
		{ bad_run trace_exec "no summary" exec; return; }
	ok trace_exec
}

test_trace_exec_json() {
	is_root || { skipped trace_exec-json "needs root (eBPF)"; return; }
	local prog=$WORK/wbj_$U pid
	cp /bin/true "$prog"
	start exec-json "$EX/trace_exec" -o json --fields comm,pid,ppid,uid,timestamp,args,argv \
		--filter "comm=wbj_$U"
	attached exec-json || { bad_run trace_exec-json "never attached" exec-json; return; }
	"$prog" "a $U" b,c &
	pid=$!
	wait $pid
	sleep 0.3
	stop exec-json
	[ "$(wc -l <"$WORK/exec-json.out")" = 1 ] ||
		{ bad_run trace_exec-json "want exactly the one exec --filter lets through" exec-json; return; }
	grep -Eq "^\{\"comm\":\"wbj_$U\",\"pid\":$pid,\"ppid\":$BASHPID,\"uid\":0,\"timestamp\":\"$(date +%Y-%m-%d)T[0-9:.]+(Z|[+-][0-9:]+)\",\"args\":\"$prog a $U b,c\",\"argv\":\[\"$prog\",\"a $U\",\"b,c\"\]\}$" \
		"$WORK/exec-json.out" || { bad_run trace_exec-json "bad JSON" exec-json; return; }
	ok trace_exec-json
}

# --comm filters in the kernel (a .rodata constant), errno is formatted.
test_trace_open() {
	is_root || { skipped trace_open "needs root (eBPF)"; return; }
	local prog=$WORK/wbo_$U pid others
	cp /bin/cat "$prog"
	start open "$EX/trace_open" --comm "wbo_$U" --fields=-uid,-user
	started open || { bad_run trace_open "no header" open; return; }
	"$prog" "$WORK/missing_$U" 2>/dev/null &
	pid=$!
	wait $pid
	cat "$WORK/missing_$U" 2>/dev/null
	sleep 0.3
	stop open
	[ "$(head -1 "$WORK/open.out" | tr -s " ")" = "COMM PID FD FNAME ERROR ACCESS" ] ||
		{ bad_run trace_open "--fields=-uid,-user: header '$(head -1 "$WORK/open.out")'" open; return; }
	awk -v p="$pid" -v f="$WORK/missing_$U" -v c="wbo_$U" \
		'$1 == c && $2 == p && $3 == -1 && $4 == f && $5 == "ENOENT" { ok = 1 } END { exit !ok }' \
		"$WORK/open.out" || { bad_run trace_open "no ENOENT open of $WORK/missing_$U by $pid" open; return; }
	others=$(awk -v c="wbo_$U" 'NR > 1 && $1 != c' "$WORK/open.out")
	[ -z "$others" ] || { bad_run trace_open "--comm let through: $others" open; return; }
	ok trace_open
}

# The `env` operator drops paths without --path_contains and adds ACCESS.
test_trace_open_operator() {
	is_root || { skipped trace_open-operator "needs root (eBPF)"; return; }
	local prog=$WORK/wbp_$U
	cp /bin/cat "$prog"
	start open-op "$EX/trace_open" --comm "wbp_$U" --path_contains "keep_$U" \
		--fields comm,fname,error,access
	started open-op || { bad_run trace_open-operator "no header" open-op; return; }
	"$prog" "$WORK/keep_$U" "$WORK/drop_$U" 2>/dev/null
	echo x >"$WORK/keep_$U"
	"$prog" "$WORK/keep_$U" >/dev/null
	sleep 0.3
	stop open-op
	[ "$(awk -v c="wbp_$U" '$1 == c' "$WORK/open-op.out" | tr -s ' ')" = \
	  "$(printf 'wbp_%s %s ENOENT read\nwbp_%s %s read' "$U" "$WORK/keep_$U" "$U" "$WORK/keep_$U")" ] ||
		{ bad_run trace_open-operator "want the two opens of keep_$U only" open-op; return; }
	grep -Eq " [1-9][0-9]* dropped, 0 operator errors" "$WORK/open-op.err" ||
		{ bad_run trace_open-operator "drops not counted" open-op; return; }
	ok trace_open-operator
}

# A map iterator: the map read every --interval into one JSON array, sorted
# by --sort; a process the test starts appears, and is gone once it exits.
test_snapshot_process() {
	is_root || { skipped snapshot_process "needs root (eBPF)"; return; }
	local prog=$WORK/wbs_$U pid out=$WORK/snap.out
	cp /bin/sleep "$prog"
	start snap "$EX/snapshot_process" -o json --interval 150ms --sort -syscalls,pid
	attached snap || { bad_run snapshot_process "never attached" snap; return; }
	"$prog" 30 &
	pid=$!
	sleep 0.6
	kill "$pid"; wait "$pid" 2>/dev/null
	local before=$(wc -l <"$out")
	sleep 0.6
	stop snap
	python3 - "$out" "$pid" "wbs_$U" "$before" <<'PY' || { bad_run snapshot_process "see above" snap; return; }
import json, sys
lines = open(sys.argv[1]).read().splitlines()
pid, comm, before = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
snaps = [json.loads(l) for l in lines]
assert len(snaps) >= 6, f"only {len(snaps)} snapshots"
for s in snaps:
    keys = [(-p["syscalls"], p["pid"]) for p in s]
    assert keys == sorted(keys), "not sorted by -syscalls,pid"
mine = lambda s: [p for p in s if p["pid"] == pid]
seen = [i for i, s in enumerate(snaps[:before]) if mine(s)]
assert seen, f"process {pid} never in a snapshot"
p = mine(snaps[seen[-1]])[0]
assert p["comm"] == comm and p["user"] == "root" and p["syscalls"] >= 1, p
assert not mine(snaps[-1]), "still there after its exit"
PY
	"$WBPF" gadget run "$EX/snapshot_process" --interval 100ms --max-rows 2 --timeout 1 \
		>"$WORK/snap2.out" 2>"$WORK/snap2.err"
	awk 'NR > 1 && NF { n++ } !NF { if (n > 2) bad = 1; rows += n; n = 0 } END { exit bad || !rows }' \
		"$WORK/snap2.out" || { bad_run snapshot_process "--max-rows 2 not kept" snap2; return; }
	ok snapshot_process
}

# A socket filter on lo captures dig's queries to a dnsmasq this test
# starts; the operator parses both directions and pairs them.
test_trace_dns() {
	is_root || { skipped trace_dns "needs root (eBPF)"; return; }
	command -v dig >/dev/null && command -v dnsmasq >/dev/null ||
		{ skipped trace_dns "dig or dnsmasq missing (scripts/deps.sh installs them)"; return; }
	local port=$((20000 + 0x${U:0:4} % 20000)) out=$WORK/dns.out
	dnsmasq -k --no-resolv --no-hosts --conf-file=/dev/null --pid-file= --bind-interfaces \
		--listen-address=127.0.0.1 -p "$port" --address=/wbpf-t.example/10.1.2.3 \
		--address=/nx.example/ 2>"$WORK/dnsmasq.err" &
	bg_pid[dnsmasq]=$!
	start dns "$EX/trace_dns" -o json --iface lo --port "$port"
	capturing dns || { bad_run trace_dns "never attached" dns; return; }
	dig @127.0.0.1 -p "$port" "a$U.wbpf-t.example" A +tries=3 +time=1 +short >"$WORK/dig1" &&
		dig @127.0.0.1 -p "$port" "b$U.nx.example" A +tries=3 +time=1 >"$WORK/dig2" ||
		{ bad_run trace_dns "dig failed: $(cat "$WORK/dig1" "$WORK/dnsmasq.err")" dns; return; }
	sleep 0.3
	stop dns
	python3 - "$out" "$port" "$U" <<'PY' || { bad_run trace_dns "see above" dns; return; }
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
port, u = sys.argv[2], sys.argv[3]
def pair(name):
    q = [r for r in recs if r["name"] == name and r["qr"] == "Q" and r["dst"].endswith(":" + port)]
    assert q, f"no query for {name}: {recs}"
    r = [r for r in recs if r["qr"] == "R" and r["id"] == q[-1]["id"] and r["src"] == q[-1]["dst"]
         and r["dst"] == q[-1]["src"]]
    assert r, f"no response to {q[-1]}"
    assert q[-1]["qtype"] == "A" and q[-1]["latency_ns"] == 0 and q[-1]["rcode"] == "", q[-1]
    assert 0 < r[-1]["latency_ns"] < 5e9, r[-1]
    return r[-1]
ok = pair(f"a{u}.wbpf-t.example")
assert ok["rcode"] == "NOERROR" and ok["answers"] == ["10.1.2.3"], ok
nx = pair(f"b{u}.nx.example")
assert nx["rcode"] == "NXDOMAIN" and nx["answers"] == [], nx
assert "dns" not in ok and "dns_len" not in ok, "the raw message is shown"
PY
	kill "${bg_pid[dnsmasq]}"; wait "${bg_pid[dnsmasq]}" 2>/dev/null; unset "bg_pid[dnsmasq]"
	ok trace_dns
}

# --output through the sink layer: records into a ClickHouse server this
# test starts (as tests/sink does), counters on --metrics.
test_sink_clickhouse() {
	is_root || { skipped sink-clickhouse "needs root (eBPF)"; return; }
	command -v clickhouse-server >/dev/null ||
		{ skipped sink-clickhouse "no clickhouse-server (scripts/deps.sh installs it)"; return; }
	# shellcheck source=../sink/services.sh
	source "$HERE/../sink/services.sh"
	CH_DIR=$WORK/ch
	ch_start || { bad_run sink-clickhouse "ClickHouse did not start: $(tail -n 3 "$CH_DIR/log")"; return; }
	local prog=$WORK/wbk_$U pid got mport
	mport=$(free_port)
	cp /bin/true "$prog"
	start ch "$EX/trace_exec" --fields comm,pid,args,argv --metrics "127.0.0.1:$mport" \
		-o "clickhouse=$CH_URL,table=exec_$U,batch=1,flush_ms=100,spool=$WORK/spool"
	attached ch || { bad_run sink-clickhouse "never attached" ch; ch_stop; return; }
	"$prog" "x $U" y &
	pid=$!
	wait $pid
	sleep 0.3
	curl -s "http://127.0.0.1:$mport/metrics" >"$WORK/ch.prom"
	stop ch
	got=$(ch_query "SELECT comm, pid, args, argv FROM exec_$U FINAL WHERE comm = 'wbk_$U' FORMAT TSV")
	ch_stop
	[ "$got" = "$(printf 'wbk_%s\t%s\t%s x %s y\t%s,x %s,y' "$U" "$pid" "$prog" "$U" "$prog" "$U")" ] ||
		{ bad_run sink-clickhouse "row: '$got'" ch; return; }
	grep -Eq '^wbpf_gadget_events_total\{gadget="trace_exec"\} [1-9]' "$WORK/ch.prom" ||
		{ bad_run sink-clickhouse "no counters on --metrics: $(head -c 300 "$WORK/ch.prom")" ch; return; }
	ok sink-clickhouse
}

# wbpf gadget run REF: the gadget directory built into an image, pushed to
# a docker-registry this test starts, removed from the store, then run by
# reference (pulled through the resolver `wbpf run REF` uses).
test_oci() {
	is_root || { skipped oci "needs root (eBPF)"; return; }
	command -v docker-registry >/dev/null ||
		{ skipped oci "no docker-registry (scripts/deps.sh installs it)"; return; }
	local dir=$WORK/reg port tries=100 ref prog=$WORK/wbr_$U pid
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir -p "$dir/data"
	printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
		"$dir/data" "$port" >"$dir/config.yml"
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	bg_pid[registry]=$!
	until curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || { bad_run oci "registry did not start: $(cat "$dir/log")"; return; }
		sleep 0.1
	done
	export WBPF_STORE=$WORK/store
	ref=127.0.0.1:$port/gadgets/trace_exec:v1
	"$WBPF" build -t "$ref" "$EX/trace_exec" >"$WORK/oci.err" 2>&1 &&
		"$WBPF" push "$ref" >>"$WORK/oci.err" 2>&1 && "$WBPF" rm "$ref" >>"$WORK/oci.err" 2>&1 ||
		{ bad_run oci "build/push/rm: $(cat "$WORK/oci.err")"; unset WBPF_STORE; return; }
	cp /bin/true "$prog"
	start oci "$ref" -o json --fields comm,args --filter "comm=wbr_$U"
	attached oci || { bad_run oci "never attached" oci; unset WBPF_STORE; return; }
	"$prog" "r $U" &
	pid=$!
	wait $pid
	sleep 0.3
	stop oci
	"$WBPF" gadget inspect "$ref" >"$WORK/oci-inspect.out" 2>&1
	unset WBPF_STORE
	[ "$(cat "$WORK/oci.out")" = "{\"comm\":\"wbr_$U\",\"args\":\"$prog r $U\"}" ] ||
		{ bad_run oci "want the exec with the operator's args" oci; return; }
	grep -q "^name: trace_exec$" "$WORK/oci-inspect.out" ||
		{ bad_run oci "inspect REF: $(head -3 "$WORK/oci-inspect.out")"; return; }
	ok oci
}

# ------------------------------------------------------------ IG's ABI

# Every host function, good and bad arguments, both generations; the
# lifecycle in order, gadgetPostStop included.
test_ig_abi() {
	is_root || { skipped ig-abi "needs root (eBPF)"; return; }
	local gen want
	for gen in env ig; do
		"$WBPF" gadget run "$EX/trace_open" --operator "$BUILD/tests/gadget/ig_abi-$gen.wasm" \
			--path_contains abc --timeout 1 --comm nobody_$U \
			>"$WORK/ig-$gen.out" 2>"$WORK/ig-$gen.err" ||
			{ bad_run ig-abi "$gen: exit status $?" "ig-$gen"; return; }
		grep -Eq "^operator info: ig_abi: [0-9]{4,} checks, 0 failed$" "$WORK/ig-$gen.err" ||
			{ bad_run ig-abi "$gen: checks failed" "ig-$gen"; return; }
		want="_initialize gadgetInit gadgetPreStart gadgetStart gadgetStop gadgetPostStop"
		[ "$(sed -n 's/^operator info: lifecycle: //p' "$WORK/ig-$gen.err" | xargs)" = "$want" ] ||
			{ bad_run ig-abi "$gen: lifecycle order" "ig-$gen"; return; }
		# each failing call said why, up to the cap
		[ "$(grep -c '^wbpf gadget: operator: [a-zA-Z]*: ' "$WORK/ig-$gen.err")" -ge 10 ] ||
			{ bad_run ig-abi "$gen: no reasons logged" "ig-$gen"; return; }
		# the records it emitted into its own datasources were shown
		grep -q "^hello  *42$" "$WORK/ig-$gen.out" ||
			{ bad_run ig-abi "$gen: emitted record not shown" "ig-$gen"; return; }
	done
	ok ig-abi
}

# wbpf's own ABI: every call with good and bad arguments, drop by return
# value, several fields in one call, an array field, an eBPF field edited
# in place, an emit from a callback, a timer.
test_wbpf_abi() {
	is_root || { skipped wbpf-abi "needs root (eBPF)"; return; }
	local prog=$WORK/wbw_$U pid out=$WORK/wbpf-abi.out
	cp /bin/cat "$prog"
	: >"$WORK/keep_$U"
	start wbpf-abi "$EX/trace_open" --operator "$BUILD/tests/gadget/wbpf-abi.wasm" \
		--path_contains abc --comm "wbw_$U" -o json --timeout 3
	attached wbpf-abi || { bad_run wbpf-abi "never attached" wbpf-abi; return; }
	"$prog" "$WORK/keep_$U" "$WORK/drop_$U" "$WORK/other_$U" 2>/dev/null &
	pid=$!
	wait $pid
	sleep 0.3
	stop wbpf-abi
	grep -Eq "^operator info: wbpf_abi: [0-9]{3,} checks, 0 failed, [1-9][0-9]* events, [1-9][0-9]* timer turns$" \
		"$WORK/wbpf-abi.err" || { bad_run wbpf-abi "checks failed" wbpf-abi; return; }
	grep -q "drop_$U" "$out" && { bad_run wbpf-abi "a dropped record was shown" wbpf-abi; return; }
	grep -q "\"fname\":\"$WORK/other_$U\",.*\"tag\":\"\"" "$out" ||
		{ bad_run wbpf-abi "an untouched record is missing" wbpf-abi; return; }
	grep -Eq "^\{\"comm\":\"wbw_$U\",\"pid\":$pid,.*\"fd\":4242,\"fname\":\"$WORK/keep_$U\",.*\"tag\":\"kept\",\"nums\":\[1,2,65535\]\}$" \
		"$out" || { bad_run wbpf-abi "set values or the edited fd missing" wbpf-abi; return; }
	grep -q "^{\"name\":\"echo:$WORK/keep_$U\",\"pid\":$pid}$" "$out" ||
		{ bad_run wbpf-abi "the emitted record is missing" wbpf-abi; return; }
	grep -Eq " [1-9][0-9]* dropped, 0 operator errors" "$WORK/wbpf-abi.err" ||
		{ bad_run wbpf-abi "drop not counted" wbpf-abi; return; }
	ok wbpf-abi
}

# --deterministic: IG's fake clocks and a fixed random stream, the same in
# two runs; without it the real clocks and entropy.
test_deterministic() {
	is_root || { skipped deterministic "needs root (eBPF)"; return; }
	local i line
	for i in 1 2 3; do
		"$WBPF" gadget run "$EX/trace_open" --operator "$BUILD/tests/gadget/wbpf-clock.wasm" \
			--timeout 100ms --comm "nobody_$U" $([ $i -lt 3 ] && echo --deterministic) \
			2>&1 >/dev/null | sed -n 's/^operator info: clock: //p' >"$WORK/clock$i"
	done
	line=$(cat "$WORK/clock1")
	[[ "$line" =~ ^realtime\ 1640995200000000000\ monotonic\ 0\ 1000000\ random\ [0-9a-f]{24}$ ]] &&
		cmp -s "$WORK/clock1" "$WORK/clock2" ||
		{ bad_run deterministic "fake clocks: '$line' / '$(cat "$WORK/clock2")'"; return; }
	read -r _ real _ m1 m2 _ rnd <"$WORK/clock3"
	[ "${real:-0}" -gt 1700000000000000000 ] && [ "$m2" -gt "$m1" ] && [ "$rnd" != "${line##* }" ] ||
		{ bad_run deterministic "real clocks: '$(cat "$WORK/clock3")'"; return; }
	ok deterministic
}

# Trap, endless loop and memory growth in callbacks: each contained and
# counted, events keep flowing, the run ends normally.
test_hostile() {
	is_root || { skipped hostile "needs root (eBPF)"; return; }
	local i
	start hostile "$EX/trace_exec" --operator "$BUILD/tests/gadget/hostile-ig.wasm" \
		--fuel 20000000 --max-memory 4MiB --fields comm
	started hostile || { bad_run hostile "no header" hostile; return; }
	for i in 1 2 3 4 5 6; do /bin/true; done
	sleep 0.5
	stop hostile
	[ "$rc" = 0 ] || { bad_run hostile "exit status $rc" hostile; return; }
	[ "$(grep -c 'dataSourceCallback: unreachable executed' "$WORK/hostile.err")" = 2 ] &&
		grep -q 'dataSourceCallback: fuel exhausted' "$WORK/hostile.err" ||
		{ bad_run hostile "traps not reported" hostile; return; }
	grep -Eq "^operator info: hostile: ([6-9]|[1-9][0-9]+) callbacks$" "$WORK/hostile.err" &&
		grep -Eq " 3 operator errors \(3 traps\)$" "$WORK/hostile.err" ||
		{ bad_run hostile "not counted, or the operator was not called on" hostile; return; }
	[ "$(grep -c '^true' "$WORK/hostile.out")" -ge 6 ] ||
		{ bad_run hostile "events were lost" hostile; return; }
	ok hostile
}

# ------------------------------------------------------------ bad usage

test_bad_usage() {
	local err rc
	err=$("$WBPF" gadget run "$EX/trace_open" -o nosuch 2>&1); rc=$?
	[ $rc = 2 ] && [ "$err" = "wbpf gadget: unknown output 'nosuch' (table, json[=FILE], clickhouse=URL,...)" ] ||
		{ bad_run bad-usage "unknown output: $rc '$err'"; return; }
	err=$("$WBPF" gadget run "$EX/snapshot_process" --sort nosuch 2>&1); rc=$?
	[ $rc = 2 ] && [ "$err" = "wbpf gadget: --sort: no field 'nosuch' (see 'wbpf gadget inspect')" ] ||
		{ bad_run bad-usage "--sort: $rc '$err'"; return; }
	err=$("$WBPF" gadget run "$EX/trace_open" --nosuch 1 2>&1); rc=$?
	[ $rc = 2 ] && [ "$err" = "wbpf gadget: unknown param 'nosuch'" ] ||
		{ bad_run bad-usage "unknown param: $rc '$err'"; return; }
	err=$("$WBPF" gadget run "$EX/trace_exec" --uid abc 2>&1); rc=$?
	[ $rc = 2 ] && [ "$err" = "wbpf gadget: param uid: 'abc' is not a valid integer or bool" ] ||
		{ bad_run bad-usage "bad value: $rc '$err'"; return; }
	err=$("$WBPF" gadget run "$EX/trace_open" --comm 0123456789abcdefX 2>&1); rc=$?
	[ $rc = 2 ] && [ "$err" = "wbpf gadget: param comm: '0123456789abcdefX' is not a valid string (too long)" ] ||
		{ bad_run bad-usage "long string: $rc '$err'"; return; }
	err=$("$WBPF" gadget run "$EX/trace_open" --fields comm,nosuch 2>&1); rc=$?
	[ $rc = 2 ] && [[ "$err" == "wbpf gadget: --fields: no field 'nosuch'"* ]] ||
		{ bad_run bad-usage "--fields: $rc '$err'"; return; }
	err=$("$WBPF" gadget run "$EX/trace_open" --filter 'fd<x' 2>&1); rc=$?
	[ $rc = 2 ] && [ "$err" = "wbpf gadget: --filter fd<x: 'x' is not a number" ] ||
		{ bad_run bad-usage "--filter: $rc '$err'"; return; }
	err=$("$WBPF" gadget inspect "$WORK/nonexistent" 2>&1); rc=$?
	[ $rc = 1 ] && [ "$err" = "wbpf gadget: $WORK/nonexistent/gadget.yaml: No such file or directory" ] ||
		{ bad_run bad-usage "missing dir: $rc '$err'"; return; }
	ok bad-usage
}

ALL="yaml_malformed yaml_full bad_usage trace_exec trace_exec_json trace_open columns snapshot_process trace_dns sink_clickhouse oci
	trace_open_operator ig_abi wbpf_abi deterministic hostile"
if ! is_root; then
	echo "gadget tests: not root: kernel tests are skipped"
elif [ ! -e /sys/kernel/btf/vmlinux ]; then
	echo "gadget tests: no kernel BTF: skipped"; exit 0
else
	mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
fi
for t in ${*:-$ALL}; do "test_$t"; done
tally "gadget tests"
