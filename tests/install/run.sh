#!/usr/bin/env bash
# `make install` into a temporary root, then what an embedder and a user
# meet there:
# 1. an embedder built with `pkg-config --cflags --libs wbpf` against the
#    installed files (shared library, then static) runs a WASI guest;
# 2. libwbpf.so exports exactly the public headers' functions, under its
#    versioned soname;
# 3. every man page renders with `man -l`, one per command `wbpf --help` lists;
# 4. the installed command, its --version and its bash completion work.
#   tests/install/run.sh GUEST.wasm
set -u
[ $# = 1 ] || { echo "usage: $0 GUEST.wasm" >&2; exit 2; }
GUEST=$(realpath "$1")
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/wbpf-install.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
ROOT=$TMP/root
PREFIX=/opt/wbpf

. "$TOP/tests/lib.sh"

if ! make -s -C "$TOP" install DESTDIR="$ROOT" PREFIX="$PREFIX" >"$TMP/install.log" 2>&1; then
	bad "make install" "$(tail -n 10 "$TMP/install.log")"
	tally install-test
	exit 1
fi
LIB=$ROOT$PREFIX/lib
ok "make install DESTDIR=... PREFIX=$PREFIX"

# 1. the embedder, through pkg-config with the staged root as sysroot
export PKG_CONFIG_PATH=$LIB/pkgconfig PKG_CONFIG_SYSROOT_DIR=$ROOT
flags=$(pkg-config --cflags --libs wbpf 2>&1)
want_out=$("$TOP/build/wbpf" run "$GUEST" world 2>&1)
if clang $flags -o "$TMP/embedder" "$TOP/tests/install/embedder.c" $flags 2>"$TMP/cc.err"; then
	out=$(LD_LIBRARY_PATH=$LIB "$TMP/embedder" "$GUEST" world 2>&1)
	rc=$?
	needed=$(readelf -d "$TMP/embedder" | grep -o 'libwbpf\.so\.[0-9]*')
	if [ $rc = 0 ] && [ "$(printf '%s\n' "$out" | tail -n +2)" = "$want_out" ] &&
		[[ $(printf '%s\n' "$out" | head -n 1) == "libwbpf "* ]] && [ -n "$needed" ]; then
		ok "an embedder built with pkg-config runs a guest against $needed"
	else
		bad "embedder (shared)" "rc=$rc needed=$needed" "$(printf '%s\n' "$out" | head -n 5)"
	fi
else
	bad "embedder does not build with: $flags" "$(head -n 5 "$TMP/cc.err")"
fi
# The static library with the system's shared ones (wbpf.pc's Libs.private).
private=$(pkg-config --static --libs-only-l wbpf | sed 's/-lwbpf\b//')
if clang -o "$TMP/embedder-static" "$TOP/tests/install/embedder.c" $(pkg-config --cflags wbpf) \
	"$LIB/libwbpf.a" $private 2>"$TMP/cc.err" &&
	[ "$("$TMP/embedder-static" "$GUEST" world 2>&1 | tail -n +2)" = "$want_out" ]; then
	ok "libwbpf.a links with wbpf.pc's private libraries ($(echo $private))"
else
	bad "embedder (static)" "$(head -n 5 "$TMP/cc.err")"
fi

# 2. exports = the public headers' functions
so=$(readlink "$LIB/libwbpf.so")
soname=$(readelf -d "$LIB/libwbpf.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
nm -D --defined-only "$LIB/libwbpf.so" | awk '$2 ~ /^[TDBRW]$/ {print $3}' |
	sed 's/@.*//' | grep -v '^WBPF_' | sort -u >"$TMP/exported"
bash "$TOP/scripts/public-symbols.sh" >"$TMP/public"
if [ "$soname" = "$so" ] && cmp -s "$TMP/exported" "$TMP/public"; then
	ok "libwbpf.so ($soname) exports the $(wc -l <"$TMP/public") public functions and nothing else"
else
	bad "exported symbols" "soname=$soname link=$so" \
		"$(diff "$TMP/public" "$TMP/exported" | head -n 10)"
fi

# 3. man pages
commands=$("$TOP/build/wbpf" --help | sed -n '/^commands:/,/^$/{s/^  \([a-z][a-z0-9-]*\) .*/\1/p}')
missing= broken=
for page in wbpf $(printf 'wbpf-%s ' $commands); do
	f=$ROOT$PREFIX/share/man/man1/$page.1
	if [ ! -f "$f" ]; then
		missing="$missing $page"
	elif ! MANWIDTH=80 man -l "$f" 2>"$TMP/man.err" | grep -q "^NAME" || [ -s "$TMP/man.err" ]; then
		broken="$broken $page"
	fi
done
if [ -z "$missing$broken" ]; then
	ok "man -l renders wbpf(1) and one page per command ($(echo $commands))"
else
	bad "man pages" "missing:$missing broken:$broken" "$(head -n 3 "$TMP/man.err")"
fi

# 4. the installed command and its completion
v=$("$ROOT$PREFIX/bin/wbpf" --version)
completion=$(bash -c "source '$ROOT$PREFIX/share/bash-completion/completions/wbpf'
	COMP_WORDS=('$ROOT$PREFIX/bin/wbpf' run --ti); COMP_CWORD=2; _wbpf; echo \"\${COMPREPLY[*]}\"")
if [[ $v == "wbpf "*"(commit "*")"*"features: "*wasm* ]] && [ "$completion" = --timeout ]; then
	ok "installed wbpf --version ($(head -n 1 <<<"$v")) and bash completion"
else
	bad "installed command" "$v" "completion: '$completion'"
fi

tally install-test
