#!/usr/bin/env bash
# WASI tests for `wbpf run`.
#
#   tests/wasi/run.sh [--quick] WBPF [OUT]
#
# 1. Every tests/wasi/*.c program with a main (but *_test.c, native
#    tests of the library built by mk/wasi.mk) is compiled
#    natively (clang -O2) and to wasm32-wasi into OUT (default
#    build/wasi-tests), run both ways in fresh temporary directories, and
#    must give identical stdout, stderr, exit status and directory contents.
#    Lines at the top of a program set how it runs:
#      //! args: WORDS...      its arguments (shell words)
#      //! env: K=V...         its environment (the only variables it gets)
#      //! stdin: self         stdin is the program's own source
#      //! slow                skipped with --quick
#      //! wasm-cflags: FLAGS  extra flags for the wasm build (e.g. -msimd128)
# 2. Sandbox (guest/sandbox.c, wasm only): escapes through '..', absolute paths and symlinks refused,
#    no file access without --dir, bad guest pointers answered EFAULT.
# 3. Limits (guest/*.c and wat/*.wat): --timeout (spinning, sleeping, blocked on stdin), --fuel,
#    --max-memory, recursion, traps and their exit statuses.
# 4. The command line: --invoke values, --help, one-line errors.
# 5. Hardening (guest/*.c): --timeout reaches a write to a full pipe and
#    the open of a FIFO, and reading the module from one; flag changes on inherited stdio stay the guest's;
#    WASI rights are enforced; sockets (--listen-fd) serve a client on
#    127.0.0.1 and their waits end at the deadline; no fds leak (WASI_LEAK: the library test).
#
# --quick (used with the sanitizer build) skips programs marked slow.
set -u

quick=0
if [ "${1:-}" = --quick ]; then
	quick=1
	shift
fi
[ $# -ge 1 ] || { echo "usage: $0 [--quick] WBPF [OUT]" >&2; exit 2; }
WBPF=$(realpath "$1")
SRC=$(cd "$(dirname "$0")" && pwd)
OUT=$(realpath -m "${2:-$SRC/../../build/wasi-tests}")
CFLAGS=(-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2)
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/wbpf-wasi.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

. "$SRC/../lib.sh"
label=$(basename "$WBPF")
[ "$quick" = 1 ] && label="$label --quick"


# ------------------------------------------------------------- building

# build NAME: NAME.native and NAME.wasm from NAME.c; build_guest NAME:
# only NAME.wasm, from guest/NAME.c. Rebuilt when a source changed.
fresh() {
	local f
	[ -e "$1" ] || return 1
	for f in "${@:2}"; do
		[ "$1" -nt "$f" ] || return 1
	done
}

to_wasm() {
	# Two steps: clang-14 runs wasm-opt when linking with -O.
	# shellcheck disable=SC2046 # the directive's flags are words
	clang --target=wasm32-wasi "${CFLAGS[@]}" $(sed -n 's|^//! wasm-cflags: *||p' "$1") \
		-I"$SRC" -c "$1" -o "$2.o" &&
		clang --target=wasm32-wasi "$2.o" -o "$2" -lm
}

build() {
	local src=$SRC/$1.c
	fresh "$OUT/$1.wasm" "$src" "$SRC/common.h" && fresh "$OUT/$1.native" "$src" "$SRC/common.h" &&
		return 0
	clang "${CFLAGS[@]}" "$src" -o "$OUT/$1.native" -lm && to_wasm "$src" "$OUT/$1.wasm"
}

build_guest() {
	local src=$SRC/guest/$1.c
	fresh "$OUT/$1.wasm" "$src" || to_wasm "$src" "$OUT/$1.wasm"
}

build_wat() {
	local name=$1
	if [ ! -e "$OUT/$name.wasm" ] || [ "$SRC/wat/$name.wat" -nt "$OUT/$name.wasm" ]; then
		wat2wasm --debug-names "$SRC/wat/$name.wat" -o "$OUT/$name.wasm" || return 1
	fi
}

# ------------------------------------------------------ native vs. wasm

directive() {
	sed -n "s|^//! $2:\{0,1\} *||p" "$SRC/$1.c" | head -1
}

# What a run left behind: types, names, sizes.
tree() {
	(cd "$1" && find . -mindepth 1 -printf '%y %P %s\n' | sort)
}

compare() {
	local name=$1 mode=$2 n w args=() envs=() env_flags=() stdin=/dev/null
	eval "args=($(directive "$name" args))"
	eval "envs=($(directive "$name" env))"
	[ "$(directive "$name" stdin)" = self ] && stdin=$SRC/$name.c
	n=$TMP/$name-$mode.native
	w=$TMP/$name-$mode.wasm
	mkdir -p "$n/dir" "$w/dir"
	# stdin arrives through a pipe, as in 'producer | program'.
	cat "$stdin" | (cd "$n/dir" && env -i "${envs[@]}" "$OUT/$name.native" "${args[@]}" \
		>"$n/out" 2>"$n/err")
	echo "${PIPESTATUS[1]}" >"$n/status"
	if [ "$mode" = inherit ]; then
		cat "$stdin" | (cd "$w/dir" && env -i "${envs[@]}" "$WBPF" run --dir . \
			--inherit-env "$OUT/$name.wasm" "${args[@]}" >"$w/out" 2>"$w/err")
	else
		for e in "${envs[@]}"; do
			env_flags+=(--env "$e")
		done
		cat "$stdin" | (cd "$w/dir" && "$WBPF" run --dir . "${env_flags[@]}" \
			"$OUT/$name.wasm" "${args[@]}" >"$w/out" 2>"$w/err")
	fi
	echo "${PIPESTATUS[1]}" >"$w/status"
	tree "$n/dir" >"$n/tree"
	tree "$w/dir" >"$w/tree"
	local what diffs=()
	for what in out err status tree; do
		if ! cmp -s "$n/$what" "$w/$what"; then
			diffs+=("$what differs (native <, wasm >):")
			mapfile -t -O ${#diffs[@]} diffs < <(diff "$n/$what" "$w/$what" | head -8)
		fi
	done
	local title="$name: native and wasm agree"
	[ "$mode" = inherit ] && title="$name --inherit-env: native and wasm agree"
	if [ ${#diffs[@]} -eq 0 ]; then
		ok "$title"
	else
		bad "$title" "${diffs[@]}"
	fi
}

programs() {
	local src name
	for src in "$SRC"/*.c; do
		name=$(basename "$src" .c)
		case $name in *_test) continue ;; esac
		grep -q '^int main' "$src" || continue
		if [ "$quick" = 1 ] && grep -q '^//! slow' "$src"; then
			continue
		fi
		if ! build "$name"; then
			bad "$name: build"
			continue
		fi
		compare "$name" env
		[ "$name" = args_env ] && compare "$name" inherit
	done
}

# -------------------------------------------------------------- sandbox

sandbox_fixture() {
	local d=$1
	mkdir -p "$d/box/sub" "$d/outside"
	echo secret >"$d/outside/secret.txt"
	echo inside >"$d/box/file.txt"
	ln -s file.txt "$d/box/link_in"
	ln -s .. "$d/box/link_up"
	ln -s ../outside/secret.txt "$d/box/link_esc"
	ln -s "$d/outside/secret.txt" "$d/box/link_abs"
	ln -s /proc/self/root "$d/box/link_proc"
	ln -s loop2 "$d/box/loop1"
	ln -s loop1 "$d/box/loop2"
	ln -s ../outside/new.txt "$d/box/dangling_esc"
}

# The host side after the escape attempts: nothing outside the box moved.
sandbox_outside() {
	local d=$1
	(cd "$d" && find . \( -path ./box -o -path ./scratch \) -prune -o -printf '%y %P\n' | sort)
	cat "$d/outside/secret.txt"
}

# guest/hostile.c: thousands of WASI calls with hostile arguments, in a
# scratch directory beside the sandbox fixture. The host answers each with
# an errno (no crash, no sanitizer report) and nothing outside moves.
hostile() {
	local d=$1 before seed st
	build_guest hostile || { bad "hostile: build"; return; }
	mkdir -p "$d/scratch"
	before=$(sandbox_outside "$d")
	for seed in 1 2 3; do
		(cd "$d" && "$WBPF" run --dir "$d/scratch" --timeout 60s "$OUT/hostile.wasm" $seed \
			</dev/null >"$TMP/hostile.out" 2>"$TMP/hostile.err")
		st=$?
		if [ "$st" != 0 ]; then
			bad "hostile WASI calls (seed $seed): status $st" "$(grep -a -m5 . "$TMP/hostile.err")"
			return
		fi
	done
	if [ "$before" = "$(sandbox_outside "$d")" ]; then
		ok "hostile WASI calls: 3 x 40000 answered, nothing escaped"
	else
		bad "hostile WASI calls: something changed outside" \
			"$(diff <(echo "$before") <(sandbox_outside "$d"))"
	fi
	rm -rf "$d/scratch"
}

sandbox() {
	local d=$TMP/sandbox before after
	build_guest sandbox || { bad "sandbox: build"; return; }
	sandbox_fixture "$d"
	before=$(sandbox_outside "$d")
	(cd "$d" && "$WBPF" run --dir "$d/box::/box" "$OUT/sandbox.wasm" box \
		>"$TMP/sandbox.out" 2>&1 </dev/null)
	if [ $? -eq 0 ]; then
		ok "sandbox: '..', absolute paths, symlinks and bad pointers refused ($(grep -c '^ok' "$TMP/sandbox.out") cases)"
	else
		bad "sandbox: escapes refused" "$(grep -v '^ok' "$TMP/sandbox.out" | head -20)"
	fi
	after=$(sandbox_outside "$d")
	if [ "$before" = "$after" ]; then
		ok "sandbox: nothing outside the granted directory changed"
	else
		bad "sandbox: outside changed" "$(diff <(echo "$before") <(echo "$after"))"
	fi
	hostile "$d"
	(cd "$d" && "$WBPF" run "$OUT/sandbox.wasm" nodir >"$TMP/nodir.out" 2>&1 </dev/null)
	if [ $? -eq 0 ] && [ ! -e "$d/x" ] && [ ! -e /tmp/x ] && [ ! -e "$d/d" ]; then
		ok "sandbox: no --dir, no file access"
	else
		bad "sandbox: no --dir, no file access" "$(grep -v '^ok' "$TMP/nodir.out")"
	fi
}

# --------------------------------------------------------------- limits

# expect_run TITLE STATUS PATTERN MAX_MS -- COMMAND...: the command must
# exit with STATUS, print PATTERN (grep -E; unless empty) on stderr and
# take < MAX_MS.
expect_run() {
	local title=$1 want=$2 pattern=$3 max_ms=$4 start ms st
	shift 5
	start=$(date +%s%N)
	"$@" >"$TMP/lim.out" 2>"$TMP/lim.err"
	st=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	if [ "$st" = "$want" ] && { [ -z "$pattern" ] || grep -Eq -- "$pattern" "$TMP/lim.err"; } &&
		[ "$ms" -lt "$max_ms" ]; then
		ok "$title (${ms}ms)"
	else
		bad "$title" "status $st (want $want), ${ms}ms (limit $max_ms), stderr:" \
			"$(head -5 "$TMP/lim.err")"
	fi
}

# expect_out TITLE EXPECTED -- COMMAND...: exit 0 and exactly this stdout.
expect_out() {
	local title=$1 want=$2 got st
	shift 3
	got=$("$@" 2>"$TMP/out.err")
	st=$?
	if [ "$st" = 0 ] && [ "$got" = "$want" ]; then
		ok "$title"
	else
		bad "$title" "status $st, stdout: $(echo "$got" | tr '\n' ' ')" "$(head -3 "$TMP/out.err")"
	fi
}

limits() {
	local n
	for n in loop grow rec traps values needs_env; do
		build_wat $n || { bad "limits: wat2wasm $n"; return; }
	done
	for n in spin sleeper reader bigalloc deep recurse; do
		build_guest $n || { bad "limits: build $n"; return; }
	done
	expect_run "--timeout 200ms stops an infinite loop" 142 'timed out after 200ms' 3000 \
		-- "$WBPF" run --timeout 200ms "$OUT/loop.wasm"
	expect_run "--timeout stops a spinning C program" 142 'timed out after 0.3s' 3000 \
		-- "$WBPF" run --timeout 0.3s "$OUT/spin.wasm"
	expect_run "--timeout interrupts sleep()" 142 'timed out.*|poll_oneoff' 3000 \
		-- "$WBPF" run --timeout 200ms "$OUT/sleeper.wasm"
	expect_run "--timeout interrupts a blocked read of stdin" 142 'timed out' 3000 \
		-- bash -c "exec '$WBPF' run --timeout 200ms '$OUT/reader.wasm' < <(sleep 5)"
	expect_run "--fuel stops an infinite loop" 152 'fuel exhausted' 5000 \
		-- "$WBPF" run --fuel 1000000 "$OUT/loop.wasm"
	expect_run "--fuel stops a long C loop" 152 'fuel exhausted' 5000 \
		-- "$WBPF" run --fuel 2000000 "$OUT/spin.wasm"
	expect_out "--fuel leaves enough for a short program" "Hello, world! (from WebAssembly)" \
		-- "$WBPF" run --fuel 10000000 "$OUT/../examples/hello.wasm"
	expect_out "memory.grow past --max-memory returns -1" "-1" \
		-- "$WBPF" run --max-memory 1MiB --invoke grow "$OUT/grow.wasm" 16
	expect_out "memory.grow up to --max-memory works" "1" \
		-- "$WBPF" run --max-memory 1MiB --invoke grow "$OUT/grow.wasm" 15
	expect_out "malloc fails cleanly under --max-memory" "16 MiB: refused, 1 MiB: ok" \
		-- "$WBPF" run --max-memory 4MiB "$OUT/bigalloc.wasm"
	expect_out "malloc succeeds without --max-memory" "16 MiB: ok, 1 MiB: ok" \
		-- "$WBPF" run "$OUT/bigalloc.wasm"
	expect_run "unbounded recursion (wasm) traps" 139 "call stack exhausted.*'recurse'" 10000 \
		-- "$WBPF" run --invoke recurse "$OUT/rec.wasm" 0
	expect_run "unbounded recursion (C) traps" 139 "call stack exhausted" 10000 \
		-- "$WBPF" run "$OUT/deep.wasm"
	expect_out "recursion 5000 calls deep runs" "depth 5000: 440042" \
		-- "$WBPF" run "$OUT/recurse.wasm" 5000
	expect_run "recursion 50000 calls deep traps by default" 139 "call stack exhausted" 10000 \
		-- "$WBPF" run "$OUT/recurse.wasm" 50000
	expect_out "--max-stack 16MiB allows 50000 calls" "depth 50000: 945429" \
		-- "$WBPF" run --max-stack 16MiB "$OUT/recurse.wasm" 50000
	expect_run "--max-stack 64KiB: recursion traps sooner" 139 "call stack exhausted" 10000 \
		-- "$WBPF" run --max-stack 64KiB --invoke recurse "$OUT/rec.wasm" 0
	expect_run "unreachable: 134, trap, function and backtrace" 134 \
		"unreachable.*'inner'" 3000 -- "$WBPF" run --invoke nested "$OUT/traps.wasm"
	if grep -q '^  at inner' "$TMP/lim.err" && grep -q '^  at outer' "$TMP/lim.err"; then
		ok "backtrace names both guest frames"
	else
		bad "backtrace names both guest frames" "$(cat "$TMP/lim.err")"
	fi
	expect_run "integer divide by zero: 136" 136 "divide by zero" 3000 \
		-- "$WBPF" run --invoke div0 "$OUT/traps.wasm" 0
	expect_run "out of bounds memory access: 139" 139 "out of bounds" 3000 \
		-- "$WBPF" run --invoke oob "$OUT/traps.wasm"
}

# ------------------------------------------------------------- hardening

# The file status flags of our own fd N: those of its open file
# description, which a child given that fd shares.
fd_flags() {
	sed -n 's/^flags:[[:space:]]*//p' "/proc/$BASHPID/fdinfo/$1"
}

# A pipe whose reader never reads (a FIFO we hold open both ways) as
# stdout: the guest's write blocks once it is full.
full_pipe() {
	local before
	mkfifo "$1/full"
	exec 7<>"$1/full"
	before=$(fd_flags 7)
	expect_run "--timeout interrupts a write blocked on a full pipe" 142 'blocked in fd_write' \
		5000 -- bash -c "exec timeout -s KILL 20 '$WBPF' run --timeout 1s '$OUT/flood.wasm' >&7"
	expect_run "Ctrl-C ends a write blocked on a full pipe" 130 '' 5000 \
		-- bash -c "exec timeout --preserve-status -s INT 0.5 '$WBPF' run '$OUT/flood.wasm' >&7"
	if [ "$(fd_flags 7)" = "$before" ]; then
		ok "the full pipe's caller keeps its flags ($before)"
	else
		bad "the full pipe's caller keeps its flags" "before $before, after $(fd_flags 7)"
	fi
	exec 7>&-
}

# A FIFO in a granted directory: open(2) waits for the other side.
fifo_opens() {
	local box=$1/box mode
	mkdir -p "$box"
	mkfifo "$box/fifo"
	for mode in r w; do
		expect_run "--timeout interrupts path_open of a FIFO nobody opens ($mode)" 142 \
			'blocked in path_open' 5000 -- timeout -s KILL 20 "$WBPF" run --timeout 1s \
			--dir "$box::/box" "$OUT/fifo_open.wasm" /box/fifo $mode
	done
	timeout 20 bash -c "sleep 0.3; echo hi >'$box/fifo'" &
	expect_out "path_open of a FIFO still waits for a writer" $'opened\nread: hi' \
		-- timeout -s KILL 20 "$WBPF" run --dir "$box::/box" "$OUT/fifo_open.wasm" /box/fifo r
	wait
	# A writer that opens and stays silent: open(2) returns, read waits.
	timeout 20 bash -c "exec 3>'$box/fifo'; sleep 3; echo late >&3" &
	timeout -s KILL 20 "$WBPF" run --dir "$box::/box" "$OUT/fifo_open.wasm" /box/fifo r \
		>"$1/early.out" 2>&1 &
	sleep 1.5
	if [ "$(cat "$1/early.out")" = opened ]; then
		ok "path_open of a FIFO returns once a writer opens, before it writes"
	else
		bad "path_open of a FIFO returns once a writer opens" "got: $(head -3 "$1/early.out")"
	fi
	wait
	timeout 20 bash -c "sleep 0.3; cat '$box/fifo' >'$1/fifo.out'" &
	expect_out "path_open of a FIFO still waits for a reader" "" \
		-- timeout -s KILL 20 "$WBPF" run --dir "$box::/box" "$OUT/fifo_open.wasm" /box/fifo w
	wait
	if [ "$(cat "$1/fifo.out")" = hello ]; then
		ok "the reader got what the guest wrote"
	else
		bad "the reader got what the guest wrote" "got: $(head -c 100 "$1/fifo.out")"
	fi
}

# The module itself from a FIFO: reading it counts against --timeout
# (open(2) and read(2) of it once blocked for good with no writer).
module_fifo() {
	mkfifo "$1/module.fifo"
	expect_run "--timeout interrupts reading a module from a FIFO nobody writes" 142 \
		'interrupted while reading' 5000 -- timeout -s KILL 20 "$WBPF" run --timeout 300ms \
		"$1/module.fifo"
	timeout 20 bash -c "sleep 0.3; cat '$OUT/fifo_open.wasm' >'$1/module.fifo'" &
	expect_run "a module from a FIFO is still read once a writer comes" 2 '' \
		5000 -- timeout -s KILL 20 "$WBPF" run --timeout 10s "$1/module.fifo"
	wait
}

# WASI sockets on a listening socket of 127.0.0.1 given with --listen-fd,
# a real client at the other end (sock_peer.py); blocked sock_accept and
# sock_recv end at the deadline.
sockets() {
	local out want mode call
	want=$'reply: HELLO\nreply: AGAIN, WASI\nstatus: 0\nserved 6 bytes, send after shutdown: EPIPE\nserved 12 bytes, send after shutdown: EPIPE'
	out=$(python3 "$SRC/sock_peer.py" echo "$WBPF" run --timeout 20s --listen-fd 3 \
		"$OUT/sock_echo.wasm" 3 2 2>&1)
	if [ "$out" = "$want" ]; then
		ok "sock_accept, sock_recv (peek), sock_send, sock_shutdown with a client on 127.0.0.1"
	else
		bad "sockets with a client on 127.0.0.1" "$(echo "$out" | head -8)"
	fi
	for mode in none:sock_accept silent:sock_recv; do
		call=${mode#*:}
		out=$(python3 "$SRC/sock_peer.py" "${mode%%:*}" "$WBPF" run --timeout 300ms \
			--listen-fd 3 "$OUT/sock_echo.wasm" 3 1 2>&1)
		if grep -q '^status: 142$' <<<"$out" && grep -q "blocked in $call" <<<"$out"; then
			ok "--timeout interrupts $call"
		else
			bad "--timeout interrupts $call" "$(echo "$out" | head -5)"
		fi
	done
	expect_run "--listen-fd refuses what is not a socket" 1 'socket fd 0: Socket operation on' \
		5000 -- bash -c "exec '$WBPF' run --listen-fd 0 '$OUT/sock_echo.wasm' 3 1 </dev/null"
}

# The guest makes its stdin non-blocking, its stdout append, its stderr
# both: it sees the change, the caller's descriptions do not.
stdio_flags() {
	local d=$1 before after st
	mkfifo "$d/in"
	printf 0123456789 >"$d/out"
	: >"$d/err"
	exec 5<>"$d/in" 6<>"$d/out" 8>>"$d/err"
	before="$(fd_flags 5) $(fd_flags 6) $(fd_flags 8)"
	timeout -s KILL 20 "$WBPF" run --timeout 10s "$OUT/stdio_flags.wasm" <&5 >&6 2>&8
	st=$?
	after="$(fd_flags 5) $(fd_flags 6) $(fd_flags 8)"
	exec 5>&- 6>&- 8>&-
	if [ "$st" = 0 ] && [ "$(cat "$d/err")" = $'stdin: nonblock\nstdout: append\nstderr: nonblock append\nread: EAGAIN' ]; then
		ok "fd_fdstat_set_flags on stdio: the guest sees non-blocking and append"
	else
		bad "fd_fdstat_set_flags on stdio: the guest sees non-blocking and append" \
			"status $st" "$(head -5 "$d/err")"
	fi
	if [ "$(cat "$d/out")" = $'0123456789appended' ]; then
		ok "append on a shared stdout file: emulated, written at the end"
	else
		bad "append on a shared stdout file: emulated" "$(head -c 100 "$d/out")"
	fi
	if [ "$before" = "$after" ]; then
		ok "the caller's stdin, stdout and stderr keep their flags ($before)"
	else
		bad "the caller's stdin, stdout and stderr keep their flags" "before $before" \
			"after  $after"
	fi
}

# The same on a terminal (a pty from script(1)) as stdin and stdout, which
# share one description: the guest's flags stay on descriptions of its own.
tty_flags() {
	local d=$1 want
	if ! command -v script >/dev/null; then
		echo "  skip stdio flags on a terminal: no script(1) to make one"
		return
	fi
	cat >"$d/tty.sh" <<-EOF
		before=\$(grep flags /proc/\$\$/fdinfo/0 /proc/\$\$/fdinfo/1)
		'$WBPF' run --timeout 10s '$OUT/stdio_flags.wasm' 2>'$d/tty.err'
		after=\$(grep flags /proc/\$\$/fdinfo/0 /proc/\$\$/fdinfo/1)
		[ "\$before" = "\$after" ] && echo "flags kept" || echo "flags changed"
	EOF
	# script's own stdin: a FIFO with a writer, so that it never sends EOF.
	mkfifo "$d/ttyin"
	exec 5<>"$d/ttyin"
	timeout -s KILL 30 script -qec "bash '$d/tty.sh'" /dev/null <&5 >"$d/tty.out" 2>&1
	exec 5>&-
	want=$'stdin: nonblock\nstdout: append\nstderr: nonblock append\nread: EAGAIN'
	if [ "$(cat "$d/tty.err")" = "$want" ] && grep -q '^flags kept' "$d/tty.out"; then
		ok "fd_fdstat_set_flags on a terminal: the guest sees them, the terminal's flags stay"
	else
		bad "fd_fdstat_set_flags on a terminal" "$(head -5 "$d/tty.err")" \
			"$(tr -d '\r' <"$d/tty.out" | head -3)"
	fi
}

# guest/rights.c checks each call itself; here, what it must not have done.
rights() {
	local box=$1/rbox st
	mkdir -p "$box/sub"
	echo hello >"$box/file.txt"
	"$WBPF" run --dir "$box::/box" "$OUT/rights.wasm" >"$1/rights.out" 2>"$1/rights.err" \
		</dev/null
	st=$?
	if [ "$st" = 0 ]; then
		ok "WASI rights enforced, base and inheriting ($(grep -c '^ok' "$1/rights.err") cases)"
	else
		bad "WASI rights enforced, base and inheriting" "status $st" \
			"$(grep -v '^ok' "$1/rights.err" | head -10)"
	fi
	if [ ! -s "$1/rights.out" ] && [ "$(cd "$box" && find . | sort | tr '\n' ' ')" = \
		". ./file.txt ./sub ./sub/new.txt " ]; then
		ok "refused calls had no effect: nothing written, created or removed"
	else
		bad "refused calls had no effect" "stdout: $(head -c 100 "$1/rights.out")" \
			"box: $(cd "$box" && find . | sort | tr '\n' ' ')"
	fi
}

# WASI_LEAK (tests/wasi/leak_test.c): the hostile guests in-process.
leaks() {
	local box=$1/leakbox
	build_guest hostile || { bad "leaks: build hostile"; return; }
	mkdir -p "$box/sub"
	mkfifo "$box/fifo"
	echo hello >"$box/file.txt"
	if timeout -s KILL 120 "$WASI_LEAK" "$box" "$OUT/flood.wasm" "$OUT/fifo_open.wasm,/box/fifo,r" \
		"$OUT/fifo_open.wasm,/box/fifo,w" "$OUT/stdio_flags.wasm" "$OUT/rights.wasm" \
		"$OUT/hostile.wasm,1" >"$1/leak.out" 2>&1; then
		ok "no fd leaks: $(grep -c '^  ok' "$1/leak.out") hostile guests, in-process, stopped or done"
	else
		bad "no fd leaks" "$(grep -v '^  ok' "$1/leak.out" | head -10)"
	fi
}

hardening() {
	local d=$TMP/hard n
	for n in flood fifo_open stdio_flags rights sock_echo; do
		build_guest $n || { bad "hardening: build $n"; return; }
	done
	mkdir -p "$d"
	full_pipe "$d"
	fifo_opens "$d"
	module_fifo "$d"
	sockets
	stdio_flags "$d"
	tty_flags "$d"
	rights "$d"
	if [ -n "${WASI_LEAK:-}" ]; then
		leaks "$d"
	else
		echo "  skip no fd leaks: WASI_LEAK (the leak_test program) not given"
	fi
}

# ---------------------------------------------------------- command line

# One line on stderr, this status, and the line matches PATTERN.
expect_error() {
	local title=$1 want=$2 pattern=$3 st lines
	shift 4
	"$@" >/dev/null 2>"$TMP/err" </dev/null
	st=$?
	lines=$(wc -l <"$TMP/err")
	if [ "$st" = "$want" ] && [ "$lines" = 1 ] && grep -Eq -- "$pattern" "$TMP/err"; then
		ok "$title"
	else
		bad "$title" "status $st (want $want), $lines lines:" "$(head -3 "$TMP/err")"
	fi
}

cli() {
	local v=$OUT/values.wasm
	expect_out "--invoke i32" "5" -- "$WBPF" run --invoke add "$v" 2 3
	expect_out "--invoke negative and hex" "15" -- "$WBPF" run --invoke add "$v" -1 0x10
	expect_out "--invoke i32 wraps" "-2147483648" -- "$WBPF" run --invoke add "$v" 2147483647 1
	expect_out "--invoke i64" "9223372036854775807" \
		-- "$WBPF" run --invoke add64 "$v" -9223372036854775808 -1
	expect_out "--invoke f64" "0.3333333333333333" -- "$WBPF" run --invoke div "$v" 1 3
	expect_out "--invoke f64 inf" "inf" -- "$WBPF" run --invoke div "$v" 1 0
	expect_out "--invoke f32" "0.05" -- "$WBPF" run --invoke half "$v" 0.1
	expect_out "--invoke two results" $'-1\n1' -- "$WBPF" run --invoke pair "$v"
	expect_out "--invoke runs _initialize first" "42" -- "$WBPF" run --invoke initialized "$v"
	expect_out "--env KEY takes the value from wbpf's environment" "FOO=from host" \
		-- bash -c "FOO='from host' '$WBPF' run --env FOO '$OUT/args_env.wasm' | grep '^FOO='"
	expect_error "--env KEY not set" 2 "not set" -- env -u NOPE_UNSET "$WBPF" run --env NOPE_UNSET "$v"
	mkdir -p "$TMP/dir-a/only-in-a" "$TMP/dir-b/only-in-b"
	expect_out "two --dir grants, each under its guest name" "  only-in-b" \
		-- bash -c "'$WBPF' run --dir '$TMP/dir-a::/a' --dir '$TMP/dir-b::/b' \
			'$OUT/../examples/hello.wasm' x /b | tail -1"
	expect_error "--invoke: wrong number of values" 2 "takes 2 values" \
		-- "$WBPF" run --invoke add "$v" 1
	expect_error "--invoke: bad value" 2 "not a valid i32" -- "$WBPF" run --invoke add "$v" 1 x
	expect_error "--invoke: no such export" 1 "no exported function 'nope'" \
		-- "$WBPF" run --invoke nope "$v"
	expect_error "library without --invoke" 1 "exports no _start" -- "$WBPF" run "$v"
	expect_error "missing module file" 1 "cannot read .*missing.wasm" \
		-- "$WBPF" run "$TMP/missing.wasm"
	head -c 64 /dev/urandom >"$TMP/junk.wasm"
	expect_error "garbage module" 1 "junk.wasm: invalid module" -- "$WBPF" run "$TMP/junk.wasm"
	expect_error "directory as module" 1 "is a directory" -- "$WBPF" run "$TMP"
	expect_error "unknown import" 1 "env.*missing_function" -- "$WBPF" run "$OUT/needs_env.wasm"
	expect_error "--dir on a missing directory" 1 "cannot open directory" \
		-- "$WBPF" run --dir "$TMP/nope" "$v"
	expect_error "unknown option" 2 "unknown option '--bogus'" -- "$WBPF" run --bogus "$v"
	expect_error "option without its value" 2 "--fuel needs a value" -- "$WBPF" run --fuel
	expect_error "bad --fuel" 2 "bad count" -- "$WBPF" run --fuel lots "$v"
	expect_error "bad --timeout" 2 "bad duration" -- "$WBPF" run --timeout soon "$v"
	expect_error "bad --max-memory" 2 "bad size" -- "$WBPF" run --max-memory 5GiB "$v"
	expect_error "no module" 2 "missing MODULE" -- "$WBPF" run
	expect_error "unknown command" 2 "unknown command 'nope'" -- "$WBPF" nope
	if "$WBPF" --help | grep -q '^  run ' && "$WBPF" run --help >"$TMP/help" &&
		[ "$(grep -cE -- '--(dir|env|inherit-env|fuel|timeout|max-memory|max-stack|invoke)' "$TMP/help")" -ge 8 ]; then
		ok "wbpf --help and wbpf run --help explain every option"
	else
		bad "wbpf --help and wbpf run --help explain every option"
	fi
}

echo "wasi-test ($label):"
programs
sandbox
limits
hardening
cli
tally "wasi-test ($label)"
