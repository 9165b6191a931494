#!/usr/bin/env bash
# Push and pull of a 50 MiB image against a local docker-registry: wbpf vs
# skopeo in the same run (bench/README.md).
#   bench/oci/push_pull.sh WBPF [RUNS]
# Each run and each tool gets its own freshly generated image (so neither
# can skip or mount a blob the other sent), pushed to a new repository and
# pulled into an empty store or layout. Prints the medians.
set -eu
WBPF=$(realpath "$1")
RUNS=${2:-3}
TMP=$(mktemp -d /tmp/wbpf-bench-oci.XXXXXX)
REG_PID=
cleanup() {
	[ -z "$REG_PID" ] || { kill "$REG_PID" 2>/dev/null; wait "$REG_PID" 2>/dev/null; }
	rm -rf "$TMP"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
	"$TMP/reg" "$port" >"$TMP/config.yml"
docker-registry serve "$TMP/config.yml" >"$TMP/reg.log" 2>&1 &
REG_PID=$!
until curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; do sleep 0.1; done
REG=127.0.0.1:$port

mkdir -p "$TMP/app"
export WBPF_STORE=$TMP/store

# image NAME: a new 50 MiB image in the store.
image() {
	head -c $((50 << 20)) /dev/urandom >"$TMP/app/big.wasm"
	"$WBPF" build -t "$REG/bench/$1:v1" "$TMP/app" >/dev/null
}

# secs CMD...: wall-clock seconds of one run.
secs() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

sk=(skopeo --insecure-policy)
for i in $(seq "$RUNS"); do
	image "w$i"
	image "s$i"
	secs "$WBPF" push "$REG/bench/w$i:v1" >>"$TMP/wpush"
	secs "${sk[@]}" copy --dest-tls-verify=false "oci:$WBPF_STORE:$REG/bench/s$i:v1" \
		"docker://$REG/bench/s$i:v1" >>"$TMP/spush"
	secs env WBPF_STORE="$TMP/pull-w$i" "$WBPF" pull "$REG/bench/w$i:v1" >>"$TMP/wpull"
	secs "${sk[@]}" copy --src-tls-verify=false "docker://$REG/bench/s$i:v1" \
		"oci:$TMP/pull-s$i:x" >>"$TMP/spull"
done
printf '%-22s %8s %8s\n' "50 MiB image, $RUNS runs" wbpf skopeo
printf '%-22s %7.2fs %7.2fs\n' "push (median)" "$(median <"$TMP/wpush")" "$(median <"$TMP/spush")"
printf '%-22s %7.2fs %7.2fs\n' "pull (median)" "$(median <"$TMP/wpull")" "$(median <"$TMP/spull")"
