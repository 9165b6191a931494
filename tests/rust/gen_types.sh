#!/usr/bin/env bash
# `wbpf gen types` end to end: for every example object and for
# awkward.bpf.o (packed, unions, anonymous members, flexible arrays,
# bitfields, 64-bit long and pointers), the Rust and C outputs must compile
# for wasm32 with their layout checks, which state BTF's sizes and offsets
# (C also natively); a layout changed by hand must fail them; and guests
# decoding bytes a native program wrote through awkward.h's own
# declarations must print what that program printed.
#
# usage: tests/rust/gen_types.sh BUILD_DIR [SAN_WBPF]   (RUSTC, RUST_SDK from make)
# With SAN_WBPF (the ASan+UBSan build), only the generation runs, through
# it, for every object, language and mode: it must succeed cleanly and
# write exactly what the release build writes.
set -uo pipefail

BUILD=${1:-build}
SAN_WBPF=${2:-}
WBPF=$BUILD/wbpf
RUSTC=${RUSTC:-/usr/bin/rustc}
SDK=${RUST_SDK:-$BUILD/rust/libwbpf.rlib}
T=$BUILD/rust/tests
RUSTFLAGS=(--edition 2021 --target wasm32-wasi -D warnings --extern "wbpf=$SDK")
WORK=$(mktemp -d /tmp/wbpf-gen.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
passed=0 failed=0

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

rust_lib() { # FILE.rs: compiles as a library including it
	printf 'include!("%s");\n' "$(realpath "$1")" >"$1.lib.rs"
	"$RUSTC" "${RUSTFLAGS[@]}" --crate-type lib --crate-name gen "$1.lib.rs" -o "$1.rlib" 2>"$1.err"
}

c_header() { # FILE.h: compiles for wasm32 and natively
	printf '#include "%s"\n' "$(realpath "$1")" >"$1.c"
	clang --target=wasm32-wasi -std=c11 -Wall -Wextra -Werror -fsyntax-only "$1.c" 2>"$1.err" &&
		clang -std=c11 -Wall -Wextra -Werror -fsyntax-only "$1.c" 2>>"$1.err"
}

# WIT identifiers: lower-case words joined by '-', words starting with a letter.
wit_ok() {
	grep -Eq '^package wbpf:[a-z][a-z0-9-]*;$' "$1" &&
		! grep -Ev '^\s*(//.*|///.*|package .*|interface types \{|\}|)$' "$1" |
			grep -Ev '^\s*(record|variant|enum) %?[a-z][a-z0-9]*(-[a-z][a-z0-9]*)* \{$' |
			grep -Ev '^\s*type %?[a-z][a-z0-9-]* = u[0-9]+;$' |
			grep -Ev '^\s*%?[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*(: [a-z0-9<>%-]+|\([a-z0-9<>%-]+\))?, //.*$' |
			grep -q .
}

# check_object OBJ MODE...: every language, compiled.
check_object() {
	local obj=$1 name out lang
	shift
	name=$(basename "$obj" .bpf.o)${1:+-all}
	for lang in rust c wit; do
		out=$WORK/$name.$lang
		[ $lang = rust ] && out+=.rs
		[ $lang = c ] && out+=.h
		"$WBPF" gen types "$obj" --lang $lang "$@" -o "$out" 2>"$WORK/gen.err" ||
			{ fail "gen-$name-$lang" "$(cat "$WORK/gen.err")"; continue; }
		case $lang in
		rust) rust_lib "$out" || { fail "gen-$name-rust" "$(grep -m3 '^error' "$out.err")"; continue; } ;;
		c) c_header "$out" || { fail "gen-$name-c" "$(grep -m3 'error' "$out.err")"; continue; } ;;
		wit) wit_ok "$out" || { fail "gen-$name-wit" "not valid WIT"; continue; } ;;
		esac
		if [ $lang = wit ]; then
			pass "gen-$name-wit ($(grep -Ec '^    (record|variant|enum|type) ' "$out") types)"
		else
			pass "gen-$name-$lang ($(grep -Ec 'assert' "$out") layout checks)"
		fi
	done
}

# A wrong layout must not compile: the checks can fail.
check_mutants() {
	local rs=$WORK/awkward-all.rust.rs h=$WORK/awkward-all.c.h
	sed 's/pub tail: i16,/pub tail: i32,/' "$rs" >"$WORK/mut.rs"
	! rust_lib "$WORK/mut.rs" && grep -q 'evaluation of constant value failed' "$WORK/mut.rs.err" ||
		{ fail gen-mutant-rust "a widened field still compiled"; return; }
	sed 's/^\tuint32_t id;$/\tuint16_t id;/' "$h" >"$WORK/mut.h"
	! c_header "$WORK/mut.h" && grep -q 'packed_rec.ts at 5 in BTF' "$WORK/mut.h.err" ||
		{ fail gen-mutant-c "a narrowed field still compiled"; return; }
	pass "gen-mutants (Rust and C refuse a wrong layout)"
}

# Values through generated accessors equal the native program's.
check_decode() {
	local want got lang
	"$T/awkward_native" >"$WORK/native.out" || { fail gen-decode "native run failed"; return; }
	want=$(tail -n 2 "$WORK/native.out")
	for lang in rust c; do
		got=$("$WBPF" run "$T/gen_check_$lang.wasm" "$(sed -n 1p "$WORK/native.out")" \
			"$(sed -n 2p "$WORK/native.out")" 2>&1)
		[ "$got" = "$want" ] ||
			{ fail "gen-decode-$lang" "want '$want', got '$got'"; continue; }
		pass "gen-decode-$lang (bitfields, unions, packed, long, pointers)"
	done
}

check_errors() {
	local err
	err=$("$WBPF" gen types "$T/awkward.bpf.o" --lang rust --struct nope 2>&1 >/dev/null)
	[ $? = 1 ] && [ "$err" = "wbpf gen types: no struct, union, enum, typedef or section 'nope' in $T/awkward.bpf.o's BTF" ] ||
		{ fail gen-errors "unknown struct: '$err'"; return; }
	err=$("$WBPF" gen types /etc/hostname --lang c 2>&1 >/dev/null)
	[ $? = 1 ] && [ "$(wc -l <<<"$err")" = 1 ] && grep -q "not a BPF object" <<<"$err" ||
		{ fail gen-errors "not an object: '$err'"; return; }
	"$WBPF" gen types "$T/awkward.bpf.o" --lang go >/dev/null 2>&1
	[ $? = 2 ] || { fail gen-errors "bad --lang not a usage error"; return; }
	pass "gen-errors (one line each)"
}

# Every object, language and mode through the sanitized build.
check_sanitized() {
	local obj lang mode n=0
	for obj in "$BUILD"/examples/*.bpf.o "$T/awkward.bpf.o"; do
		for lang in rust c wit; do
			for mode in "" --all; do
				"$SAN_WBPF" gen types "$obj" --lang $lang $mode >"$WORK/san.out" 2>"$WORK/san.err" &&
					[ ! -s "$WORK/san.err" ] &&
					"$WBPF" gen types "$obj" --lang $lang $mode | cmp -s - "$WORK/san.out" ||
					{ fail "gen-san" "$obj --lang $lang $mode: $(head -n 3 "$WORK/san.err")"; return; }
				n=$((n + 1))
			done
		done
	done
	pass "gen-san ($n outputs under ASan+UBSan, equal to the release build's)"
}

if [ -n "$SAN_WBPF" ]; then
	check_sanitized
	echo "gen-types-test-san: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi

for obj in "$BUILD"/examples/*.bpf.o; do
	check_object "$obj"
done
check_object "$BUILD/examples/execsnoop.bpf.o" --all # kernel types: thousands of layouts
check_object "$T/awkward.bpf.o" --all
check_mutants
check_decode
check_errors
echo "gen-types-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
