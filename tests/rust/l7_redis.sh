#!/usr/bin/env bash
# The Rust port of the Redis L7 plugin gives the C plugin's records: both
# are fed the same Redis exchanges (commands, pipelining, every reply type,
# errors, RESP3, a cut message, binary and long arguments, a non-Redis
# flow) through the plugin host (tests/l7/plugin_feed), and their outputs
# must be equal, and hold what the exchanges say.
#
# usage: tests/rust/l7_redis.sh BUILD_DIR
set -uo pipefail

BUILD=${1:-build}
FEED=$BUILD/l7plug/plugin_feed
C_PLUGIN=$BUILD/examples/l7_redis.wasm
RUST_PLUGIN=$BUILD/examples/rust/l7_redis.wasm
WORK=$(mktemp -d /tmp/wbpf-rust-l7.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PORT=6391

hex() { printf '%b' "$1" | od -An -v -tx1 | tr -d ' \n'; }

frame=0
# seg FROM_CLIENT(1|0) SPORT_OF_CLIENT PAYLOAD
seg() {
	local c2s=$1 cport=$2 hexed
	hexed=$(hex "$3")
	frame=$((frame + 1))
	if [ "$c2s" = 1 ]; then
		printf '%s\t127.0.0.1\t%s\t127.0.0.1\t%s\t6\t%s\n' $frame "$cport" $PORT "$hexed"
	else
		printf '%s\t127.0.0.1\t%s\t127.0.0.1\t%s\t6\t%s\n' $frame $PORT "$cport" "$hexed"
	fi
}

long=$(printf 'k%.0s' $(seq 300))
{
	seg 1 40001 '*2\r\n$3\r\nGET\r\n$1\r\na\r\n'
	seg 0 40001 '$5\r\nhello\r\n'
	seg 1 40001 '*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$2\r\nvv\r\n*1\r\n$4\r\nping\r\n'
	seg 0 40001 '+OK\r\n+PONG\r\n'
	seg 1 40001 '*1\r\n$3\r\nFOO\r\n'
	seg 0 40001 "-ERR unknown command 'FOO'\r\n"
	seg 1 40001 '*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n'
	seg 0 40001 ':42\r\n'
	seg 1 40001 '*2\r\n$7\r\nHGETALL\r\n$1\r\nh\r\n'
	seg 0 40001 '%1\r\n+k\r\n:1\r\n'
	seg 1 40001 '*2\r\n$3\r\nGET\r\n$4\r\nnone\r\n'
	seg 0 40001 '$-1\r\n'
	seg 1 40001 '*3\r\n$3\r\nSET\r\n$3\r\na\x00b\r\n$1\r\nv\r\n'
	seg 1 40001 "*2\r\n\$3\r\nGET\r\n\$300\r\n$long\r\n"
	seg 1 40001 '*2\r\n$3\r\nGET\r\n$1\r\n'
	seg 1 40002 '*1\r\n$4\r\nPING\r\n'
	seg 0 40002 '!5\r\nERROR\r\n'
	seg 1 40003 'GET / HTTP/1.1\r\n\r\n'
} >"$WORK/in.tsv"

"$FEED" --server-port $PORT --plugin "$C_PLUGIN" --plugin-arg port=$PORT <"$WORK/in.tsv" \
	>"$WORK/c.out" 2>"$WORK/c.err" || { echo "FAIL rust-l7-redis: the C plugin: $(cat "$WORK/c.err")"; exit 1; }
"$FEED" --server-port $PORT --plugin "$RUST_PLUGIN" --plugin-arg port=$PORT <"$WORK/in.tsv" \
	>"$WORK/rust.out" 2>"$WORK/rust.err" || { echo "FAIL rust-l7-redis: the Rust plugin: $(cat "$WORK/rust.err")"; exit 1; }
if ! diff -u "$WORK/c.out" "$WORK/rust.out" >"$WORK/diff"; then
	echo "FAIL rust-l7-redis: records differ from the C plugin's"; head -n 40 "$WORK/diff"; exit 1
fi
n=$(grep -c . "$WORK/rust.out")
# Frame 3: two pipelined commands; 6: an error reply (status 3, server
# error); 15: a cut command (no record); 18: not Redis (not claimed).
grep -Pq '^3\tc2s\treq\tRedis\tSET\tSET b vv\t' "$WORK/rust.out" &&
	grep -Pq '^3\tc2s\treq\tRedis\tPING\tping\t' "$WORK/rust.out" &&
	grep -Pq '^6\ts2c\tresp\tRedis\t\t\t-\t-\t3\t' "$WORK/rust.out" &&
	! grep -Pq '^(15|18)\t' "$WORK/rust.out" && [ "$n" -eq 18 ] ||
	{ echo "FAIL rust-l7-redis: records not as the exchanges say:"; cat "$WORK/rust.out"; exit 1; }
echo "PASS rust-l7-redis ($n records, equal to the C plugin's)"
