#!/usr/bin/env bash
# The socket source's user side without the kernel (make l7-feed-test):
# bench/l7/sockfeed's records through the pipeline into JSON lines.
#   tests/l7/feed.sh SOCKFEED
set -u
FEED=$1
. "$(dirname "$0")/../lib.sh"
scratch l7feed

# ab's request and nginx's response, 8 keep-alive connections: each
# exchange is one request log on each side, answered, with its fields.
"$FEED" 1000 >"$TMP/ab.json" 2>"$TMP/ab.err"
check "1000 exchanges: 2000 request logs" 2000 "$(wc -l <"$TMP/ab.json")"
check "half on the server's side (nginx)" 1000 \
	"$(grep -c '"process_kname":"nginx","process_id":4242,"tap_side":"s-p"' "$TMP/ab.json")"
check "half on the client's side (ab)" 1000 \
	"$(grep -c '"process_kname":"ab","process_id":4343,"tap_side":"c-p"' "$TMP/ab.json")"
check "every one a GET /index.html answered 200" 2000 \
	"$(grep -c '"request_type":"GET","request_domain":"127.0.0.1:18080","request_resource":"/index.html".*"response_code":200,.*"response_length":6,' "$TMP/ab.json")"
check "no timeouts" 0 "$(grep -c '"timeout":true' "$TMP/ab.json")"

# Varied traffic: the same seed gives the same bytes, and the lines are
# JSON objects.
"$FEED" --mix 7 2000 >"$TMP/m1.json" 2>/dev/null
"$FEED" --mix 7 2000 >"$TMP/m2.json" 2>/dev/null
if cmp -s "$TMP/m1.json" "$TMP/m2.json" && [ -s "$TMP/m1.json" ]; then
	ok "--mix: the same output twice ($(wc -l <"$TMP/m1.json") lines)"
else
	bad "--mix: the output changed between two runs"
fi
if jq -e . "$TMP/m1.json" >/dev/null 2>"$TMP/jq.err"; then
	ok "--mix: every line is JSON"
else
	bad "--mix: a line is not JSON" "$(head -3 "$TMP/jq.err")"
fi
check "--mix: escaped strings kept" 1 "$(grep -q 'with \\"quotes\\"' "$TMP/m1.json" && echo 1)"
tally "l7 feed"
