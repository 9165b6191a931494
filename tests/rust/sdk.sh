#!/usr/bin/env bash
# The Rust SDK on the real kernel (tests/rust/sdk_test.rs): every check of
# the guest must pass, and a panicking callback must end the instance with
# a trap that wbpf reports, not take the host down.
#
# usage: tests/rust/sdk.sh BUILD_DIR   (root and a BTF kernel, else skipped)
set -uo pipefail

BUILD=${1:-build}
WBPF=${WBPF:-$BUILD/wbpf}
GUEST=$BUILD/rust/tests/sdk_test.wasm
OUT=$(mktemp -d /tmp/wbpf-rust-sdk.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
failed=0

if [ "$(id -u)" -ne 0 ]; then
	echo "rust-sdk-test: SKIP: eBPF needs root"; exit 0
fi
if [ ! -e /sys/kernel/btf/vmlinux ]; then
	echo "rust-sdk-test: SKIP: kernel has no BTF (CO-RE needs /sys/kernel/btf/vmlinux)"; exit 0
fi
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing || {
	echo "rust-sdk-test: SKIP: cannot mount tracefs"; exit 0
}

"$WBPF" run --timeout 30s "$GUEST" >"$OUT/sdk.out" 2>"$OUT/sdk.err"
rc=$?
summary=$(grep '^rust-sdk:' "$OUT/sdk.out")
if [ $rc = 0 ] && [[ $summary =~ ^rust-sdk:\ ([0-9]+)/([0-9]+)\ checks\ passed$ ]] &&
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[1]}" -gt 40 ]; then
	echo "PASS rust-sdk (${summary#rust-sdk: })"
else
	echo "FAIL rust-sdk: exit status $rc"; grep '^FAIL' "$OUT/sdk.out"; tail -n 5 "$OUT/sdk.err"
	failed=1
fi

"$WBPF" run --timeout 20s "$GUEST" panic >"$OUT/panic.out" 2>"$OUT/panic.err"
rc=$?
if [ $rc = 134 ] && grep -q "panicked at 'a Rust callback panicked'" "$OUT/panic.err" &&
	grep -q 'unreachable executed' "$OUT/panic.err" && ! grep -q '^panic:' "$OUT/panic.out"; then
	echo "PASS rust-sdk-panic (the callback's panic trapped the instance, exit 134)"
else
	echo "FAIL rust-sdk-panic: exit status $rc"; tail -n 5 "$OUT/panic.err"
	failed=1
fi
exit $failed
