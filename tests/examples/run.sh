#!/usr/bin/env bash
# End-to-end tests of the eBPF examples and of hostile guests, each run
# under `wbpf run` on the real kernel while this script makes the events
# happen (a uniquely named program, a unique file, a getenv() call, a
# signal) and then checks the output fields.
#
# usage: tests/examples/run.sh BUILD_DIR [TEST...]   (default: every test)
# Needs root (eBPF). Without it, or on a kernel without BTF, it reports a
# skip and exits 0.
set -uo pipefail

BUILD=${1:-build}
shift || true
WBPF=${WBPF:-$BUILD/wbpf} # WBPF=build/san/wbpf: the same tests under ASan+UBSan
EX=${EX:-$BUILD/examples} # EX=build/examples/rust: the Rust builds of the examples
GUESTS=$BUILD/tests/examples
LIBC=$(ldd /bin/true | awk '/libc\.so/ { print $3 }')

WORK=$(mktemp -d /tmp/wbpf-e2e.XXXXXX)
# 6 hex digits: names stay under the kernel's 15-character comm.
U=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
declare -A guest_pid=()

cleanup() {
	local p
	for p in "${guest_pid[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

. "$(dirname "$0")/../lib.sh"

# start NAME WASM [WBPF_OPTIONS...] -- [GUEST_ARGS...]: runs a guest in the
# background; stdout in $WORK/NAME.out, stderr in $WORK/NAME.err.
start() {
	local name=$1 wasm=$2 opts=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
	shift || true
	# Nothing may hang the suite: a deadline unless the test sets its own.
	[[ " ${opts[*]} " == *" --timeout "* ]] || opts+=(--timeout 30s)
	"$WBPF" run "${opts[@]}" "$wasm" "$@" \
		>"$WORK/$name.out" 2>"$WORK/$name.err" &
	guest_pid[$name]=$!
}

# wait_for NAME REGEX [SECONDS]: until the guest printed a matching line.
wait_for() {
	local name=$1 re=$2 tries=$(( ${3:-10} * 10 ))
	while [ $tries -gt 0 ]; do
		grep -Eq "$re" "$WORK/$name.out" 2>/dev/null && return 0
		kill -0 "${guest_pid[$name]}" 2>/dev/null || break
		sleep 0.1
		tries=$((tries - 1))
	done
	grep -Eq "$re" "$WORK/$name.out" 2>/dev/null
}

# finish NAME: waits for the guest; its exit status goes to rc (the
# caller's local, by bash's dynamic scoping; not $(...): a subshell cannot
# wait for this shell's children).
finish() {
	rc=0
	wait "${guest_pid[$1]}" || rc=$?
	unset "guest_pid[$1]"
}

# run NAME WASM [WBPF_OPTIONS...] -- [GUEST_ARGS...]: in the foreground.
run() {
	start "$@"
	finish "$1"
}

# The BPF programs and links process PID holds, as "prog ID" / "link ID"
# lines from its fds' fdinfo: exactly this run's, whatever else runs.
held_bpf() {
	grep -h -E '^(prog|link)_id:' /proc/"$1"/fdinfo/* 2>/dev/null |
		sed 's/_id:[[:space:]]*/ /' | sort -u
}

# still_there LINES: which of those programs/links the kernel still has,
# after up to 2 s for deferred frees.
still_there() {
	local tries=20 kind id left
	while :; do
		left=""
		while read -r kind id; do
			[ -n "$kind" ] || continue
			bpftool "$kind" show id "$id" >/dev/null 2>&1 && left+="$kind $id; "
		done <<<"$1"
		[ -z "$left" ] || [ $tries -eq 0 ] && break
		tries=$((tries - 1))
		sleep 0.1
	done
	echo "$left"
}

# released TEST GUEST HELD: fails TEST if what GUEST held (held_bpf)
# outlived it.
released() {
	local left
	grep -q '^link' <<<"$3" || { bad_run "$1" "held no link while running: '$3'" "$2"; return 1; }
	left=$(still_there "$3")
	[ -z "$left" ] || { bad_run "$1" "left behind after exit: $left" "$2"; return 1; }
}

# ---------------------------------------------------------------- examples

test_execsnoop() {
	local prog=$WORK/wbx_$U rc line want
	cp /bin/true "$prog"
	start execsnoop "$EX/execsnoop.wasm" -- -d 3
	wait_for execsnoop '^PID' || { bad_run execsnoop "no header" execsnoop; return; }
	local held
	held=$(held_bpf "${guest_pid[execsnoop]}")
	"$prog" "arg_$U" second &
	local pid=$!
	wait $pid
	finish execsnoop
	[ "$rc" = 0 ] || { bad_run execsnoop "exit status $rc" execsnoop; return; }
	line=$(awk -v pid="$pid" '$1 == pid' "$WORK/execsnoop.out")
	want="$pid $BASHPID 0 wbx_$U $prog $prog arg_$U second"
	[ "$(echo $line)" = "$want" ] ||
		{ bad_run execsnoop "want '$want', got '$line'" execsnoop; return; }
	grep -Eq '^execsnoop: [1-9][0-9]* execs seen, 0 dropped$' "$WORK/execsnoop.out" ||
		{ bad_run execsnoop "no .bss summary" execsnoop; return; }
	released execsnoop execsnoop "$held" || return
	ok execsnoop
}

# .rodata set before load: a uid filter nobody matches.
test_execsnoop_filter() {
	local prog=$WORK/wbf_$U rc
	cp /bin/true "$prog"
	start execsnoop-uid "$EX/execsnoop.wasm" -- -d 2 -u 4242
	wait_for execsnoop-uid '^PID' || { bad_run execsnoop-filter "no header" execsnoop-uid; return; }
	"$prog"
	finish execsnoop-uid
	[ "$rc" = 0 ] || { bad_run execsnoop-filter "exit status $rc" execsnoop-uid; return; }
	! grep -q "wbf_$U" "$WORK/execsnoop-uid.out" ||
		{ bad_run execsnoop-filter "uid filter let root's exec through" execsnoop-uid; return; }
	ok execsnoop-filter
}

test_opensnoop() {
	local prog=$WORK/wbo_$U file=$WORK/file_$U rc ok missing others
	cp /bin/cat "$prog"
	echo hello >"$file"
	start opensnoop "$EX/opensnoop.wasm" -- -d 3 -c "wbo_$U"
	wait_for opensnoop '^PID' || { bad_run opensnoop "no header" opensnoop; return; }
	"$prog" "$file" >/dev/null &
	local pid=$!
	wait $pid
	"$prog" "$WORK/missing_$U" 2>/dev/null &
	local pid2=$!
	wait $pid2
	finish opensnoop
	[ "$rc" = 0 ] || { bad_run opensnoop "exit status $rc" opensnoop; return; }
	# columns: PID COMM FD ERR PATH
	ok=$(awk -v p="$pid" -v f="$file" -v c="wbo_$U" \
		'$1 == p && $2 == c && $3 >= 3 && $4 == 0 && $5 == f' "$WORK/opensnoop.out")
	missing=$(awk -v p="$pid2" -v f="$WORK/missing_$U" \
		'$1 == p && $3 == -1 && $4 == 2 && $5 == f' "$WORK/opensnoop.out")
	others=$(awk -v c="wbo_$U" 'NR > 1 && $2 != c' "$WORK/opensnoop.out")
	[ -n "$ok" ] || { bad_run opensnoop "no successful open of $file by $pid" opensnoop; return; }
	[ -n "$missing" ] || { bad_run opensnoop "no ENOENT open by $pid2" opensnoop; return; }
	[ -z "$others" ] || { bad_run opensnoop "comm filter let through: $others" opensnoop; return; }
	ok opensnoop
}

# -p: this shell opens a file itself.
test_opensnoop_pid() {
	# $BASHPID inside $(...) would be the subshell's
	local file=$WORK/pfile_$U rc me=$BASHPID
	echo hello >"$file"
	start opensnoop-pid "$EX/opensnoop.wasm" -- -d 2 -p "$me"
	wait_for opensnoop-pid '^PID' || { bad_run opensnoop-pid "no header" opensnoop-pid; return; }
	exec {fd}<"$file"
	exec {fd}<&-
	cat "$file" >/dev/null
	finish opensnoop-pid
	[ "$rc" = 0 ] || { bad_run opensnoop-pid "exit status $rc" opensnoop-pid; return; }
	awk -v p="$me" -v f="$file" '$1 == p && $5 == f { found = 1 } END { exit !found }' \
		"$WORK/opensnoop-pid.out" ||
		{ bad_run opensnoop-pid "the shell's own open is missing" opensnoop-pid; return; }
	[ -z "$(awk -v p="$me" 'NR > 1 && $1 != p' "$WORK/opensnoop-pid.out")" ] ||
		{ bad_run opensnoop-pid "pid filter let other processes through" opensnoop-pid; return; }
	ok opensnoop-pid
}

# A 0.3 s clock_nanosleep (syscall 230) lands in the 262144..524287 us slot.
test_syslat() {
	local prog=$WORK/wbs_$U rc
	cp /bin/sleep "$prog"
	start syslat "$EX/syslat.wasm" -- -d 2.5 -i 1 -c "wbs_$U" -s 230
	wait_for syslat '^syslat: tracing' || { bad_run syslat "no header" syslat; return; }
	"$prog" 0.3
	finish syslat
	[ "$rc" = 0 ] || { bad_run syslat "exit status $rc" syslat; return; }
	grep -Eq '^ *262144 -> 524287 +: 1 ' "$WORK/syslat.out" ||
		{ bad_run syslat "no count in the 262144 -> 524287 us slot" syslat; return; }
	grep -Eq '^syslat: [1-9][0-9]* syscalls$' "$WORK/syslat.out" ||
		{ bad_run syslat "no .bss summary" syslat; return; }
	ok syslat
}

test_getenvsnoop() {
	local prog=$WORK/wbg_$U rc
	if [ ! -d /sys/bus/event_source/devices/uprobe ]; then
		skipped getenvsnoop "kernel has no uprobe PMU"; return
	fi
	cp "$GUESTS/getenv-caller" "$prog"
	start getenv "$EX/getenvsnoop.wasm" --allow-uprobe "$LIBC" -- -d 3
	wait_for getenv '^PID' || { bad_run getenvsnoop "no header" getenv; return; }
	local runner=${guest_pid[getenv]} held
	held=$(held_bpf "$runner")
	env "WBPF_E2E_$U=value_$U" "$prog" "WBPF_E2E_$U" "WBPF_NONE_$U" >/dev/null &
	local pid=$!
	wait $pid
	finish getenv
	[ "$rc" = 0 ] || { bad_run getenvsnoop "exit status $rc" getenv; return; }
	grep -Eq "^$pid +wbg_$U +yes +WBPF_E2E_$U=value_$U\$" "$WORK/getenv.out" ||
		{ bad_run getenvsnoop "no event for the set variable" getenv; return; }
	grep -Eq "^$pid +wbg_$U +no +WBPF_NONE_$U=\$" "$WORK/getenv.out" ||
		{ bad_run getenvsnoop "no event for the unset variable" getenv; return; }
	[ -z "$(grep "libbpf_${runner}_" /sys/kernel/tracing/uprobe_events 2>/dev/null)" ] ||
		{ bad_run getenvsnoop "legacy uprobe events left behind" getenv; return; }
	released getenvsnoop getenv "$held" || return
	ok getenvsnoop
}

# Without --allow-uprobe the attach is refused and the host names the flag.
test_getenvsnoop_denied() {
	local rc
	run getenv-denied "$EX/getenvsnoop.wasm" -- -d 1
	[ "$rc" = 1 ] || { bad_run getenvsnoop-denied "exit status $rc" getenv-denied; return; }
	grep -q "Operation not permitted" "$WORK/getenv-denied.err" ||
		{ bad_run getenvsnoop-denied "guest did not see EPERM" getenv-denied; return; }
	grep -q -- "--allow-uprobe" "$WORK/getenv-denied.err" ||
		{ bad_run getenvsnoop-denied "host did not name --allow-uprobe" getenv-denied; return; }
	ok getenvsnoop-denied
}

# The wasm-bpf ABI example.
test_sigsnoop() {
	local prog=$WORK/wbk_$U rc
	cp /bin/sleep "$prog"
	start sigsnoop "$EX/sigsnoop.wasm" -- -d 3
	wait_for sigsnoop '^sigsnoop: tracing' || { bad_run sigsnoop "no header" sigsnoop; return; }
	local held
	held=$(held_bpf "${guest_pid[sigsnoop]}")
	"$prog" 10 &
	local pid=$!
	sleep 0.3 # past its exec, so the target's comm is wbk_...
	kill -USR1 $pid
	wait $pid 2>/dev/null
	finish sigsnoop
	[ "$rc" = 0 ] || { bad_run sigsnoop "exit status $rc" sigsnoop; return; }
	grep -Eq "^SIGNAL sig=10 from_pid=$BASHPID from_comm=[^ ]+ to_pid=$pid to_comm=wbk_$U result=0\$" \
		"$WORK/sigsnoop.out" || { bad_run sigsnoop "no SIGUSR1 event for $pid" sigsnoop; return; }
	grep -Eq '^COUNT sig=10 count=[1-9]' "$WORK/sigsnoop.out" ||
		{ bad_run sigsnoop "no per-signal count from the hash map" sigsnoop; return; }
	released sigsnoop sigsnoop "$held" || return
	ok sigsnoop
}

# ----------------------------------------------------------- helper policy

# policy_case NAME MODE WANT_RC STDERR_REGEX [WBPF_OPTIONS...]: policy.wasm's
# programs call bpf_send_signal (from a subprogram) and bpf_probe_write_user.
policy_case() {
	local name=$1 mode=$2 want_rc=$3 re=$4 rc
	shift 4
	run "$name" "$GUESTS/policy.wasm" "$@" -- "$mode"
	[ "$rc" = "$want_rc" ] || { bad_run "$name" "exit status $rc, want $want_rc" "$name"; return; }
	if [ -n "$re" ]; then
		grep -Eq "$re" "$WORK/$name.err" || { bad_run "$name" "no line matching '$re'" "$name"; return; }
		grep -q '^load: -1$' "$WORK/$name.out" || { bad_run "$name" "guest did not see -EPERM" "$name"; return; }
	else
		grep -q '^attach: ok$' "$WORK/$name.out" || { bad_run "$name" "not attached" "$name"; return; }
	fi
	ok "$name"
}

test_policy() {
	local sig="program 'signal_target' calls bpf_send_signal \\(helper 109\\) at instruction [0-9]+: not allowed \\(allow with --allow-helper bpf_send_signal or --allow-helper signal\\)"
	local wr="program 'policy_write_user' calls bpf_probe_write_user \\(helper 36\\) at instruction [0-9]+"
	policy_case policy-refused all 1 "$sig"
	policy_case policy-other-class all 1 "$sig" --allow-helper user-write
	policy_case policy-one-class all 1 "$wr" --allow-helper signal
	policy_case policy-granted-class signal-only 0 "" --allow-helper signal
	policy_case policy-granted-name signal-only 0 "" --allow-helper bpf_send_signal
}

# ----------------------------------------------------------- SDK and hostile

test_sdk() {
	local rc
	run sdk "$GUESTS/sdk_test.wasm"
	if [ "$rc" != 0 ] || grep -q '^FAIL' "$WORK/sdk.out"; then
		bad_run sdk "exit status $rc; $(grep -c '^FAIL' "$WORK/sdk.out") checks failed" sdk
		grep '^FAIL' "$WORK/sdk.out"
		return
	fi
	ok "sdk ($(tail -n 1 "$WORK/sdk.out"))"
}

# Suites of checks inside one guest: each prints ok/FAIL lines.
test_hostile_suite() {
	local suite=$1 rc
	run "hostile-$suite" "$GUESTS/hostile.wasm" -- "$suite"
	if [ "$rc" != 0 ] || ! grep -Eq "^$suite: ([0-9]+)/\\1 checks passed" "$WORK/hostile-$suite.out"; then
		bad_run "hostile-$suite" "exit status $rc" "hostile-$suite"
		grep '^FAIL' "$WORK/hostile-$suite.out"
		return
	fi
	ok "hostile-$suite ($(tail -n 1 "$WORK/hostile-$suite.out"))"
}

# A callback that traps, loops or exits ends the instance; wbpf must exit
# as stated, and the programs and links it held must be gone. The guest
# waits for $WORK/go once armed, so they can be listed first.
test_hostile_callback() {
	local suite=$1 want_rc=$2 timeout=$3 name="hostile-$1" rc start_s held left
	start_s=$(date +%s)
	rm -f "$WORK/go"
	start "$name" "$GUESTS/hostile.wasm" --timeout "$timeout" --dir "$WORK::/w" -- "$suite"
	wait_for "$name" '^armed' || { bad_run "$name" "never armed" "$name"; finish "$name"; return; }
	held=$(held_bpf "${guest_pid[$name]}")
	touch "$WORK/go"
	finish "$name"
	[ "$rc" = "$want_rc" ] || { bad_run "$name" "exit status $rc, want $want_rc" "$name"; return; }
	[ $(( $(date +%s) - start_s )) -lt 15 ] || { bad_run "$name" "took too long" "$name"; return; }
	! grep -q '^FAIL' "$WORK/$name.out" || { bad_run "$name" "the callback never ran" "$name"; return; }
	grep -q '^prog' <<<"$held" && grep -q '^link' <<<"$held" ||
		{ bad_run "$name" "held no program and link while armed: '$held'" "$name"; return; }
	left=$(still_there "$held")
	[ -z "$left" ] || { bad_run "$name" "left behind after exit: $left" "$name"; return; }
	ok "$name ($(grep -c . <<<"$held") programs/links released)"
}

# The corrupted object is refused with one line saying why; wbpf goes on.
test_hostile_corrupt() {
	test_hostile_suite corrupt
	grep -q "BPF object 'corrupt' refused: it crashes libbpf's parser" "$WORK/hostile-corrupt.err" ||
		bad_run hostile-corrupt-reason "no line giving the reason" hostile-corrupt
}

ALL_TESTS=(
	execsnoop execsnoop_filter opensnoop opensnoop_pid syslat getenvsnoop
	getenvsnoop_denied sigsnoop sdk policy
	"hostile_suite ptrs" "hostile_suite handles" "hostile_suite foreign" "hostile_suite names"
	"hostile_suite sizes" "hostile_suite perms" "hostile_suite oversized"
	"hostile_suite reentry" "hostile_suite gocb" hostile_corrupt
	"hostile_callback cb-trap 134 20s" "hostile_callback cb-loop 142 2s"
	"hostile_callback cb-exit 7 20s"
)

main() {
	local t
	if [ "$(id -u)" -ne 0 ]; then
		echo "examples-test: SKIP: eBPF needs root"; exit 0
	fi
	if [ ! -e /sys/kernel/btf/vmlinux ]; then
		echo "examples-test: SKIP: kernel has no BTF (CO-RE needs /sys/kernel/btf/vmlinux)"; exit 0
	fi
	mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing || {
		echo "examples-test: SKIP: cannot mount tracefs"; exit 0
	}
	if [ $# -gt 0 ]; then
		for t in "$@"; do eval "test_$t"; done
	else
		for t in "${ALL_TESTS[@]}"; do eval "test_$t"; done
	fi
	tally "examples-test"
}

main "$@"
