#!/bin/bash
# The compiling tier's load-time figures (bench/README.md, "Compiling tier:
# load, cache, start-up, events"), every engine in one run:
#  1. module load time (decode, validate, compile; bench/loadspeed.c) of the
#     generated 4 KiB, 100 KiB and 1 MiB modules: interpreter, compiling
#     tier without a cache, compiling tier from a warm cache; the
#     compiling tier's extra time per 100 KiB of module;
#  2. start to first attached program of execsnoop under `wbpf run`
#     (bench/bpf/startup.c, root) for the same engines and plain libbpf;
#  3. ring-buffer event cost (bench/bpf/flood.c, root): native and each
#     engine's guest paths, CPU time per event with and without production.
# usage: bench/jit/run.sh BUILD_DIR     (make bench-jit)
set -u
build=${1:-build}
bdir=$build/bench
cache=$(mktemp -d /tmp/wbpf-bench-cache.XXXXXX)
trap 'rm -rf "$cache"' EXIT

# Best-of-7 CPU ms of loading each module (bench/loadspeed.c: the three
# generated start-up modules and its "bulk" shape, 100k ordinary
# functions) under the environment given, one "name bytes ms" line each.
# CPU time, as the 2-core machine is shared and wall time there measures
# the neighbours.
loads() {
	env "$@" "$bdir/loadspeed" -r 7 -f "$bdir"/startup-small.wasm -f "$bdir"/startup-100k.wasm \
		-f "$bdir"/startup-1m.wasm bulk |
		awk -F'|' 'NR > 2 { gsub(/ /, ""); print $2, $4, $7 }'
}

echo "### Module load (best of 7, CPU ms: decode, validate, compile)"
echo
echo "| module | KiB | interpreter | compiling tier, no cache | compiling tier, warm cache | tier's extra per 100 KiB, no cache | warm cache |"
echo "|---|---:|---:|---:|---:|---:|---:|"
loads WBPF_ENGINE=interp >"$cache.i"
loads WBPF_ENGINE=compile WBPF_CODE_CACHE=off >"$cache.c"
# The first load of each fills the cache; the best of 7 is a hit.
loads WBPF_ENGINE=compile WBPF_CODE_CACHE="$cache" >"$cache.w"
join "$cache.i" <(cut -d' ' -f1,3 "$cache.c") | join - <(cut -d' ' -f1,3 "$cache.w") |
	awk '{ k = $2 / 1024; printf "| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f |\n",
		$1, k, $3, $4, $5, ($4 - $3) * 100 / k, ($5 - $3) * 100 / k }'
rm -f "$cache".[icw]
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
attach "auto (the default), no cache (interpreted while it compiles)" \
	"$build"/wbpf run --code-cache off "$snoop".wasm
attach "auto, warm cache" "$build"/wbpf run --code-cache "$cache" "$snoop".wasm
echo
echo "### Ring-buffer events, native and each engine's guest paths"
echo
"$bdir"/bpf/flood "$build"/bpf/bench/bpf/flood.bpf.o "$bdir"/bpf/flood_guest.wasm 2000000
