#!/bin/bash
# The compiling tier's load-time figures (bench/README.md, "Compiling tier:
# load, cache, start-up, events"), every engine in one run:
#  1. module load time (decode, validate, compile; bench/startup.c) of the
#     generated 4 KiB, 100 KiB and 1 MiB modules: interpreter, compiling
#     tier without a cache, compiling tier from a warm cache; the
#     compiling tier's extra time per 100 KiB of module;
#  2. start to first attached program of execsnoop under `wbpf run`
#     (bench/bpf/startup.c, root) for the same engines and plain libbpf;
#  3. ring-buffer event throughput (bench/bpf/flood.c, root) per engine.
# usage: bench/jit/run.sh BUILD_DIR     (make bench-jit)
set -u
build=${1:-build}
bdir=$build/bench
cache=$(mktemp -d /tmp/wbpf-bench-cache.XXXXXX)
trap 'rm -rf "$cache"' EXIT

# Median module_ms of bench/startup for one module under the environment given.
load_ms() {
	env "$@" "$bdir/startup" -t 2 "$module" | tr ' ' '\n' | sed -n 's/^module_ms=//p'
}

echo "### Module load (median ms; decode, validate, compile)"
echo
echo "| module | KiB | interpreter | compiling tier, no cache | compiling tier, warm cache | tier extra per 100 KiB, no cache | warm |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for module in "$bdir"/startup-small.wasm "$bdir"/startup-100k.wasm "$bdir"/startup-1m.wasm; do
	[ -f "$module" ] || { echo "skipped: $module not built"; continue; }
	kib=$(( $(stat -c %s "$module") / 1024 ))
	i=$(load_ms WBPF_ENGINE=interp)
	c=$(load_ms WBPF_ENGINE=compile WBPF_CODE_CACHE=off)
	# The first load fills the cache; the median is of the hits after it.
	w=$(load_ms WBPF_ENGINE=compile WBPF_CODE_CACHE="$cache")
	awk -v m="$(basename "$module")" -v k="$kib" -v i="$i" -v c="$c" -v w="$w" 'BEGIN {
		printf "| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f |\n", m, k, i, c, w,
			(c - i) * 100 / (k ? k : 1), (w - i) * 100 / (k ? k : 1) }'
done
echo

if [ "$(id -u)" != 0 ]; then
	echo "skipped: start-up to attached and event throughput need root (eBPF)"
	exit 0
fi
snoop=$build/examples/execsnoop
echo "### execsnoop: start to first attached program (min / median / max ms)"
echo
rm -rf "$cache"/*
# The tools' own output (libbpf's notes included) is not what is measured.
attach() {
	local label=$1
	shift
	echo "- $label: $("$bdir"/bpf/startup -n 15 "$@" 2>/dev/null | sed 's/^[^ ]* *//')"
}
attach "libbpf, native" "$bdir"/bpf/attach_native "$snoop".bpf.o events
attach "interpreter" "$build"/wbpf run --engine interp "$snoop".wasm
attach "compiling tier, no cache (compiles at every start)" \
	"$build"/wbpf run --engine compile --code-cache off "$snoop".wasm
attach "compiling tier, warm cache" \
	"$build"/wbpf run --engine compile --code-cache "$cache" "$snoop".wasm
echo
for engine in interp compile; do
	echo "### Ring-buffer events, guest on the $engine engine"
	echo
	WBPF_ENGINE=$engine WBPF_CODE_CACHE=off "$bdir"/bpf/flood "$build"/bpf/bench/bpf/flood.bpf.o \
		"$bdir"/bpf/flood_guest.wasm 2000000
	echo
done
