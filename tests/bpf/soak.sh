#!/usr/bin/env bash
# The soak run behind `make test-long`: tests/bpf/test_leaks loops over the
# hostile guests and the eBPF examples for SECONDS while a load generator
# keeps the machine busy with execs, opens and context switches (the
# events the examples trace). test_leaks asserts that fds and the kernel's
# BPF objects come back to where they were after every guest, and that RSS
# stays flat after the first rounds.
#
# usage: tests/bpf/soak.sh BUILD_DIR SECONDS   (root; skipped otherwise)
set -uo pipefail

BUILD=$1
SECONDS_TOTAL=$2
load_pids=()

cleanup() {
	local p
	for p in "${load_pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

# One busy loop per CPU, niced: load without starving the guests.
load() {
	while :; do
		/bin/true
		head -c 64 /etc/os-release >/dev/null
	done
}

for _ in $(seq "$(nproc)"); do
	nice -n 10 bash -c "$(declare -f load); load" &
	load_pids+=($!)
done
echo "soak: ${SECONDS_TOTAL}s of guests under load (${#load_pids[@]} load loops)"
"$BUILD/tests/bpf/test_leaks" "$BUILD" "$SECONDS_TOTAL"
rc=$?
[ $rc -eq 77 ] && exit 0
exit $rc
