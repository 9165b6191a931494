#!/usr/bin/env bash
# The bench kernels as a correctness test on both engine tiers (`make
# bench-check`, part of `make test`): each kernel, run for one repetition,
# must pass its self-tests and report the same checksum natively, on the
# interpreter and on the compiling tier.
#
#   bench/check.sh WBPF BENCH_DIR KERNEL...
set -uo pipefail

if [ $# -lt 3 ]; then
	echo "usage: bench/check.sh WBPF BENCH_DIR KERNEL..." >&2
	exit 2
fi
wbpf=$1 dir=$2
shift 2
scale=0.0001 # one repetition: bench.h rounds the count up to 1
limit=120    # seconds a run may take (a hang fails the test, not CI)
failed=0

# The checksum of an "ok" line of a kernel's output, or nothing.
checksum() {
	sed -n 's/^[a-z0-9_]*: checksum=\(0x[0-9a-f]*\) reps=[0-9]* ok$/\1/p'
}

# Runs "$@"; prints the checksum, or reports the failure and prints nothing.
run() {
	local out rc sum

	out=$(timeout "$limit" "$@" "$scale" 2>&1)
	rc=$?
	sum=$(checksum <<<"$out")
	if [ $rc = 0 ] && [ -n "$sum" ]; then
		echo "$sum"
		return
	fi
	echo "bench-check: $* $scale failed (exit $rc): $(head -n 3 <<<"$out" | tr '\n' ' ')" >&2
}

for k in "$@"; do
	want=$(run "$dir/$k")
	ok=${want:+1}
	for engine in interp compile; do
		[ -n "$want" ] || break
		got=$(run "$wbpf" run --engine "$engine" "$dir/$k.wasm")
		if [ "$got" != "$want" ]; then
			[ -n "$got" ] && echo "bench-check: $k on $engine: checksum $got, native $want" >&2
			ok=
		fi
	done
	if [ -n "$ok" ]; then
		echo "bench-check: $k: $want natively, on $wbpf's interp and compile"
	else
		failed=1
	fi
done
exit $failed
