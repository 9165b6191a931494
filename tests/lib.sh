# Shared by the tests/*/run.sh scripts (sourced). Each script counts its
# checks with ok/bad/skipped and ends with `tally NAME`, whose status is
# the script's: one line per check, one summary line, nonzero on failure.

pass=0
fail=0
skip=0

ok() {
	pass=$((pass + 1))
	echo "  ok   $1"
}

# bad NAME [DETAIL...]: each detail on its own indented line.
bad() {
	fail=$((fail + 1))
	echo "  FAIL $1"
	shift
	for line in "$@"; do
		printf '       %s\n' "$line"
	done
}

# check NAME EXPECTED ACTUAL: ok when they are equal, else both shown.
check() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		bad "$1" "expected: $2" "got:      $3"
	fi
}

# skipped NAME [REASON]: a check that could not run here, and why.
skipped() {
	skip=$((skip + 1))
	echo "  skip $1${2:+: $2}"
}

# show_tail FILE...: the end of a run's output, after a failure.
show_tail() {
	local f
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "  ---- $f (tail)"
		tail -n 20 "$f" | sed 's/^/       /'
	done
}

tally() {
	echo "$1: $pass passed, $fail failed, $skip skipped"
	[ "$fail" = 0 ]
}

# scratch NAME: a fresh temporary directory in TMP and an empty PIDS array;
# at exit, every process in PIDS is stopped and TMP removed.
scratch() {
	TMP=$(mktemp -d "/tmp/wbpf-$1.XXXXXX")
	PIDS=()
	trap stop_scratch EXIT
}

stop_scratch() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}

# free_port: a port of 127.0.0.1 that no TCP or UDP socket uses, picked at
# random so that stages running side by side do not meet. It is taken from
# below the kernel's ephemeral range: a port from inside it can be handed to
# some client's connection between this check and the server's bind.
free_port() {
	local p low
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range
	[ "$low" -gt 11024 ] || low=32768
	for p in $(shuf -i 10000-$((low - 1)) -n 100); do
		ss -Htuan "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
	echo "free_port: no free port found" >&2
	return 1
}

# bad_run NAME WHY [RUN]: a failed check, with the end of what RUN printed
# ($WORK/RUN.out and $WORK/RUN.err) when the check ran something.
bad_run() {
	bad "$1: $2"
	[ -z "${3:-}" ] || show_tail "$WORK/$3.out" "$WORK/$3.err"
}
