#!/usr/bin/env bash
# DeepFlow's multi-record exchanges and large result batches through
# `wbpf l7`: a `deepflow` guest (tests/l7/plugins/df_merge.c, the Go SDK's
# bytes from C) parses a line protocol whose lines say which records to
# send; the capture comes from gen_pcap's "lines" scenario.
#   - parts with need_merge merge until both directions sent is_end, in the
#     legacy and the "PB" format: one record, fields and attributes of all
#     parts, latency from the first request part to the first response part
#   - a plain exchange beside them is paired as before
#   - an exchange whose end never comes goes out as a timeout
#   - 40 records from one call all arrive; with --max-records 16 the rest
#     are dropped and counted in the summary
# Usage: merge.sh WBPF GEN_PCAP GUEST.wasm
set -uo pipefail

WBPF=${1:?usage: merge.sh WBPF GEN_PCAP GUEST.wasm}
GEN=${2:?}
GUEST=${3:?}
T=$(mktemp -d /tmp/wbpf-l7merge.XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/../lib.sh"

cat >"$T/conv" <<'CONV'
> Q merge=1 id=1 t=GET k=part:q1
> Q merge=1 id=1 end=1 d=example r=/a k=part:q2
< A merge=1 id=1 c=200 k=part:a1
< A merge=1 id=1 end=1 res=done x=none k=part:a2
> Q pb=1 merge=1 id=2 t=GET k=part:q1
> Q pb=1 merge=1 id=2 end=1 d=example r=/b k=part:q2
< A pb=1 merge=1 id=2 c=200 k=part:a1
< A pb=1 merge=1 id=2 end=1 res=done x=none k=part:a2
> Q id=3 t=PUT r=/c
< A id=3 c=201
> Q merge=1 id=4 t=LOST
> Q many=40 id=100 t=M
< A many=40 id=100 c=204
CONV
"$GEN" lines "$T/c.pcap" <"$T/conv" || { bad "gen_pcap"; tally l7-merge; exit; }

"$WBPF" l7 --pcap "$T/c.pcap" --plugin "$GUEST" --json >"$T/out.json" 2>"$T/err" ||
	bad "wbpf l7 exited $?: $(head -3 "$T/err")"
grep -q ", 9 parts of multi-record exchanges merged" "$T/err" && ok "9 parts merged, counted" || bad "summary: $(grep sessions "$T/err")"
python3 - "$T/out.json" <<'PY' && ok "merged exchanges (legacy and PB), a plain one, an unended one, a 40-record batch" || bad "records"
import json, sys
recs = [json.loads(l, object_pairs_hook=lambda kv: kv if kv and kv[0][0] == "part" or not kv else dict(kv))
        for l in open(sys.argv[1])]
bad = []
def expect(what, got, want):
    if got != want:
        bad.append(f"{what}: {got!r}, expected {want!r}")
by_id = {}
for r in recs:
    by_id.setdefault(r["request_id"], []).append(r)
for rid, res in ((1, "/a"), (2, "/b")):
    rs = by_id.get(rid, [])
    expect(f"records of exchange {rid}", len(rs), 1)
    if not rs:
        continue
    r = rs[0]
    for k, v in (("request_type", "GET"), ("request_domain", "example"), ("request_resource", res),
                 ("response_code", 200), ("response_result", "done"), ("response_exception", "none"),
                 ("response_status", 0), ("timeout", False), ("l7_protocol_str", "mrg"),
                 ("response_duration", 200)):
        expect(f"exchange {rid} {k}", r[k], v)
    expect(f"exchange {rid} attributes", [v for _, v in r["attributes"]], ["q1", "q2", "a1", "a2"])
r = by_id.get(3, [{}])[0]
expect("plain exchange", (r.get("request_type"), r.get("response_code"), r.get("response_duration")), ("PUT", 201, 100))
r = by_id.get(4, [{}])[0]
expect("unended exchange", (r.get("request_type"), r.get("timeout"), r.get("response_status")), ("LOST", True, 2))
many = sorted(k for k in by_id if 100 <= k < 140 and by_id[k][0]["response_code"] == 204)
expect("records of the 40-record batch", many, list(range(100, 140)))
expect("records in all", len(recs), 44)
for b in bad:
    print("       " + b)
sys.exit(1 if bad else 0)
PY

"$WBPF" l7 --pcap "$T/c.pcap" --plugin "$GUEST" --json --max-records 16 >"$T/cap.json" 2>"$T/err" ||
	bad "wbpf l7 --max-records 16 exited $?"
[ "$(wc -l <"$T/cap.json")" -eq 20 ] && ok "--max-records 16: 20 records" || bad "--max-records 16: $(wc -l <"$T/cap.json") records, expected 20"
grep -q "48 records over --max-records dropped" "$T/err" && ok "--max-records 16: 48 dropped, counted" ||
	bad "--max-records 16: the dropped records are not counted: $(grep plugin "$T/err")"
"$WBPF" l7 --pcap "$T/c.pcap" --max-records 0 2>"$T/err" >/dev/null
[ $? -eq 2 ] && grep -q "max-records takes 1 to 4096" "$T/err" && ok "--max-records 0 refused" || bad "--max-records 0 is not refused"

tally l7-merge
