#!/usr/bin/env bash
# Fails when a program of a BPF object could need more than the 512 bytes
# of stack the verifier allows a program and the functions it calls
# together. The verifier finds out only at load, and only on the kernels
# whose accounting reaches the limit: socktrace.bpf.o's sock_recv loaded
# on Linux 6.12 and was refused on 6.18 (456 bytes, 536 with copy_iov's).
# Here, from the object: each program's deepest stack slot plus the
# deepest of the functions in .text (any of them, whether it calls them
# or not), each frame rounded up to 16 bytes as the JIT's verifier does.
#
#   scripts/bpf_stack.sh OBJ
set -eu
OBJ=$1
LIMIT=512
llvm-objdump -d --no-show-raw-insn "$OBJ" | awk -v obj="$OBJ" -v limit="$LIMIT" '
	function frame(n) { return int((n + 15) / 16) * 16 }
	/^Disassembly of section / { sec = $4; sub(/:$/, "", sec); next }
	/^[0-9a-f]+ <[A-Za-z_][A-Za-z_0-9]*>:$/ {
		name = $2; gsub(/[<>:]/, "", name)
		if (name !~ /^LBB/) { fn = name; secof[fn] = sec; depth[fn] += 0 }
		next
	}
	match($0, /r10 - [0-9]+/) {
		n = substr($0, RSTART + 6, RLENGTH - 6) + 0
		if (n > depth[fn]) depth[fn] = n
	}
	END {
		for (f in depth)
			if (secof[f] == ".text" && frame(depth[f]) > callee) { callee = frame(depth[f]); deepest = f }
		bad = 0
		for (f in depth) {
			if (secof[f] == ".text")
				continue
			total = frame(depth[f]) + callee
			if (total > limit) {
				printf "%s: program %s may need %d bytes of stack (%d of its own, %d in %s), over the verifier'\''s %d\n",
					obj, f, total, frame(depth[f]), callee, deepest, limit > "/dev/stderr"
				bad = 1
			}
		}
		exit bad
	}'
