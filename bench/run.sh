#!/usr/bin/env bash
# Runs the benchmark suite and prints markdown tables (see bench/README.md).
#
#   bench/run.sh [--quick] [--reps N] [--scale S] [--kernels a,b,...]
#                [--runners native,wbpf,wbpf-jit,node] [--no-kernels] [--no-startup]
#                (wbpf: the interpreter; wbpf-jit: the compiling tier;
#                runners wbpf-simd, node-simd: the kernel built with -msimd128)
#                [--timeout SECONDS]
#
# Expects `make bench-build` to have built $BUILD/bench. Tables go to
# stdout and to $BUILD/bench/results.md; progress to stderr. A runner that
# is missing or fails on a kernel shows "-" in its column; the run goes on
# and the reason is printed on stderr. Exit status: 1 if any run failed
# (a missing runner is not a failure).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2

BUILD=${BUILD:-build}
BDIR=$BUILD/bench
WBPF=${WBPF:-$BUILD/wbpf}
NODE=${NODE:-node}

reps=3
scale=1
kernels=
runners="native wbpf wbpf-jit node"
do_kernels=1
do_startup=1
startup_seconds=1
startup_kernel=crc32
# The ten small kernels of the earlier tables: their geometric mean is also
# given on its own, so that figures stay comparable across the addition of
# the larger, plugin-like kernels (json, protobuf, regex, lz).
small_kernels="crc32 fib hashtable mandelbrot matmul nbody quicksort sha256 strsearch tokenizer"
timeout=300

usage() {
	sed -n '2,12s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--quick) scale=0.1 reps=1 startup_seconds=0.2 ;;
	--reps) reps=$2; shift ;;
	--scale) scale=$2; shift ;;
	--kernels) kernels=${2//,/ }; shift ;;
	--runners) runners=${2//,/ }; shift ;;
	--no-kernels) do_kernels=0 ;;
	--no-startup) do_startup=0 ;;
	--timeout) timeout=$2; shift ;;
	*) usage ;;
	esac
	shift
done

if [ -z "$kernels" ]; then
	for f in bench/kernels/*.c; do
		kernels+=" $(basename "$f" .c)"
	done
fi

failed=0
geomean_wbpf=
geomean_jit=
startup_100k=
errlog=$(mktemp)
trap 'rm -f "$errlog"' EXIT

note() {
	echo "bench: $*" >&2
}

warn() {
	note "$@"
	failed=1
}

# The command line that runs kernel $2 on runner $1, or nothing if the
# runner is not available.
command_for() {
	local runner=$1 k=$2
	case $runner in
	native) [ -x "$BDIR/$k" ] && echo "$BDIR/$k" ;;
	wbpf) [ -x "$WBPF" ] && [ -f "$BDIR/$k.wasm" ] && echo "$WBPF run --engine interp $BDIR/$k.wasm" ;;
	wbpf-jit) [ -x "$WBPF" ] && [ -f "$BDIR/$k.wasm" ] && echo "$WBPF run --engine compile $BDIR/$k.wasm" ;;
	wbpf-simd) [ -x "$WBPF" ] && [ -f "$BDIR/$k.simd.wasm" ] && echo "$WBPF run $BDIR/$k.simd.wasm" ;;
	node-simd) command -v "$NODE" >/dev/null && [ -f "$BDIR/$k.simd.wasm" ] &&
		echo "$NODE --no-warnings bench/node-wasi.mjs $BDIR/$k.simd.wasm" ;;
	node) command -v "$NODE" >/dev/null && [ -f "$BDIR/$k.wasm" ] &&
		echo "$NODE --no-warnings bench/node-wasi.mjs $BDIR/$k.wasm" ;;
	esac
}

# Runs one kernel once; prints "KERNEL_SECONDS WALL_SECONDS" or fails with
# the reason in $errlog.
run_once() {
	local cmd=$1 out rc t0 t1 secs
	t0=$EPOCHREALTIME
	# shellcheck disable=SC2086 # the command line is split on purpose
	out=$(timeout "$timeout" $cmd "$scale" 2>"$errlog")
	rc=$?
	t1=$EPOCHREALTIME
	if [ $rc -eq 124 ]; then
		echo "timed out after $timeout s" >"$errlog"
		return 1
	elif [ $rc -ne 0 ] || ! grep -q ' ok$' <<<"$out"; then
		echo "exit $rc: $(head -c 300 "$errlog" | head -n 3 | tr '\n' ' ')" >"$errlog"
		return 1
	fi
	secs=$(sed -n 's/^bench-seconds: //p' <<<"$out")
	awk -v k="$secs" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f %.6f\n", k, b - a }'
}

# Prints a markdown table from "ROW RUNNER SECONDS" lines on stdin: one
# column of seconds per runner and, for runners other than the first (the
# baseline), one of ratios to it; then a geometric-mean row over the rows
# where both are present and, when the table mixes the small kernels with
# others, one row for each group. Absent values are "-".
print_table() {
	awk -v runners="$runners" -v small="$small_kernels" '
	{ t[$1, $2] = $3; if (!($1 in seen)) { seen[$1] = 1; rows[++nr] = $1 } }
	END {
		nrun = split(runners, r, " ")
		base = r[1]
		ns = split(small, s, " ")
		for (i = 1; i <= ns; i++)
			is_small[s[i]] = 1
		head = "| kernel | " base " s"; rule = "|---|---:"
		for (j = 2; j <= nrun; j++) {
			head = head " | " r[j] " s | " r[j] "/" base
			rule = rule "|---:|---:"
		}
		print head " |"; print rule "|"
		for (i = 1; i <= nr; i++) {
			k = rows[i]
			g = (k in is_small) ? "small" : "large"
			rows_in[g]++
			line = "| " k " | " cell(k, base)
			for (j = 2; j <= nrun; j++) {
				line = line " | " cell(k, r[j]) " | "
				if ((k, r[j]) in t && (k, base) in t && t[k, base] > 0) {
					q = t[k, r[j]] / t[k, base]
					line = line sprintf("%.2fx", q)
					lsum[j, "all"] += log(q); cnt[j, "all"]++
					lsum[j, g] += log(q); cnt[j, g]++
				} else
					line = line "-"
			}
			print line " |"
		}
		rows_in["all"] = nr
		geomean_row("**geomean**", "all")
		if (rows_in["small"] && rows_in["large"]) {
			geomean_row("geomean, the " rows_in["small"] " small kernels", "small")
			geomean_row("geomean, the " rows_in["large"] " larger kernels", "large")
		}
	}
	function geomean_row(label, g,    line, j, v) {
		line = "| " label " | "
		for (j = 2; j <= nrun; j++) {
			v = cnt[j, g] ? sprintf("**%.2fx**", exp(lsum[j, g] / cnt[j, g])) : "-"
			if (cnt[j, g] && cnt[j, g] < rows_in[g])
				v = v sprintf(" (%d of %d)", cnt[j, g], rows_in[g])
			line = line " | | " v
		}
		print line " |"
	}
	function cell(k, run) { return (k, run) in t ? sprintf("%.3f", t[k, run]) : "-" }'
}

machine_notes() {
	local cpu
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "- cpu: ${cpu:-unknown}, $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- native: $(${CC:-clang} --version | head -n 1), -O2; node $($NODE --version 2>/dev/null || echo 'missing')"
	if [ -x "$WBPF" ]; then
		echo "- wbpf: $WBPF built $(date -u -r "$WBPF" '+%Y-%m-%d %H:%M UTC')"
	fi
	echo "- scale $scale, best of $reps rounds (each round runs every kernel on every runner once)"
}

# Fills best_k and best_w ("KERNEL RUNNER" -> seconds) with the minimum
# over $reps rounds. Each round runs every kernel on every runner once, so
# a burst of load from elsewhere on the machine hits one round, not every
# run of one kernel.
measure() {
	local round k runner cmd res key missing=
	declare -gA best_k=() best_w=() dead=()
	for ((round = 1; round <= reps; round++)); do
		for k in $kernels; do
			for runner in $runners; do
				key="$k $runner"
				[ -n "${dead[$key]:-}" ] && continue
				cmd=$(command_for "$runner" "$k")
				if [ -z "$cmd" ]; then
					[[ " $missing " == *" $runner "* ]] ||
						note "$runner: not available, column left empty"
					missing+=" $runner"
					dead[$key]=1
					continue
				fi
				if ! res=$(run_once "$cmd"); then
					warn "$runner failed on $k: $(cat "$errlog")"
					dead[$key]=1
					unset "best_k[$key]" "best_w[$key]"
					continue
				fi
				echo "bench: round $round/$reps: $k on $runner: ${res% *} s" >&2
				best_k[$key]=$(min "${best_k[$key]:-}" "${res% *}")
				best_w[$key]=$(min "${best_w[$key]:-}" "${res#* }")
			done
		done
	done
}

min() {
	awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'
}

# From "ROW RUNNER SECONDS" lines: runner $1's geometric-mean ratio to
# native over the small kernels and over all, as one phrase.
geomean_summary() {
	awk -v runner="$1" -v small="$small_kernels" '
		{ t[$1, $2] = $3 }
		END {
			split(small, s, " ")
			for (i in s)
				is_small[s[i]] = 1
			for (key in t) {
				split(key, p, SUBSEP)
				if (p[2] != runner || !((p[1], "native") in t))
					continue
				q = log(t[key] / t[p[1], "native"])
				sum += q; n++
				if (p[1] in is_small) { ssum += q; sn++ }
			}
			if (sn && sn < n)
				printf "%.2fx over the %d small kernels, %.2fx over all %d", \
					exp(ssum / sn), sn, exp(sum / n), n
			else if (n)
				printf "%.2fx over %d kernels", exp(sum / n), n
		}'
}

kernel_tables() {
	local k runner kt=() wt=()
	measure
	for k in $kernels; do
		for runner in $runners; do
			[ -n "${best_k[$k $runner]:-}" ] || continue
			kt+=("$k $runner ${best_k[$k $runner]}")
			wt+=("$k $runner ${best_w[$k $runner]}")
		done
	done
	echo "### Kernels: compute time (timed inside the program)"
	echo
	printf '%s\n' "${kt[@]}" | print_table
	geomean_wbpf=$(printf '%s\n' "${kt[@]}" | geomean_summary wbpf)
	geomean_jit=$(printf '%s\n' "${kt[@]}" | geomean_summary wbpf-jit)
	echo
	echo "### Kernels: whole process (start-up, compile and exit included)"
	echo
	printf '%s\n' "${wt[@]}" | print_table
	echo
}

# Value of field $2 in a "startup: FILE k=v ..." line, or "-".
field() {
	local v
	v=$(tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p")
	echo "${v:--}"
}

startup_table() {
	local m w n mods label
	echo "### Start-up: bytes in memory to a ready instance (median, ms)"
	echo
	echo "| module | size KiB | wbpf decode+validate+compile | wbpf store+instantiate | wbpf total | node total |"
	echo "|---|---:|---:|---:|---:|---:|"
	[ -x "$BDIR/startup" ] || note "$BDIR/startup not built (needs $BUILD/libwbpf.a)"
	# A kernel (a real WASI program), then the generated modules, smallest
	# first.
	mapfile -t mods < <(ls -1Sr "$BDIR"/startup-*.wasm 2>/dev/null)
	for m in "$BDIR/$startup_kernel.wasm" "${mods[@]}"; do
		[ -f "$m" ] || continue
		w='' n=''
		if [ -x "$BDIR/startup" ]; then
			w=$("$BDIR/startup" -t "$startup_seconds" "$m" 2>"$errlog") ||
				{ warn "startup failed on $m: $(cat "$errlog")"; w=; }
		fi
		n=$($NODE --no-warnings bench/node-startup.mjs -t "$startup_seconds" "$m" 2>"$errlog") ||
			{ warn "node start-up failed on $m: $(cat "$errlog")"; n=; }
		local bytes inst=-
		bytes=$(stat -c %s "$m")
		if [ -n "$w" ]; then
			inst=$(awk -v s="$(field "$w" store_ms)" -v i="$(field "$w" instance_ms)" \
				'BEGIN { printf "%.4f", s + i }')
		fi
		[[ $m == */startup-100k.wasm ]] && startup_100k=$(field "$w" total_ms)
		label=$(basename "$m" .wasm)
		[ "$label" = "$startup_kernel" ] && label="$label (WASI kernel)"
		printf '| %s | %.0f | %s | %s | %s | %s |\n' "$label" \
			"$(awk -v b="$bytes" 'BEGIN { print b / 1024 }')" \
			"$(field "$w" module_ms)" "$inst" "$(field "$w" total_ms)" "$(field "$n" total_ms)"
	done
	echo
}

# The issue's targets against this run's figures.
targets() {
	echo "### Targets"
	echo
	if [ "$do_kernels" = 1 ]; then
		echo "- geometric-mean slowdown of wbpf versus native (compute time), target at most 6x:" \
			"${geomean_wbpf:-not measured}"
		echo "- the same for the compiling tier (wbpf-jit), target at most 1.5x:" \
			"${geomean_jit:-not measured}"
	fi
	if [ "$do_startup" = 1 ]; then
		echo "- start-up of the 100 KiB module, target under 2 ms: ${startup_100k:-not measured} ms"
	fi
	echo "- for reference (issue's figures, not measured here): wasm3 and WAMR interpreters 15-23x"
	echo
}

main() {
	echo "## wbpf benchmarks"
	echo
	machine_notes
	echo
	[ "$do_kernels" = 1 ] && kernel_tables
	[ "$do_startup" = 1 ] && startup_table
	targets
	return $failed
}

mkdir -p "$BDIR"
main | tee "$BDIR/results.md"
exit "${PIPESTATUS[0]}"
