#!/usr/bin/env bash
# The built-in NATS parser and the custom messages it sends to plugins.
# A real nats-server on 127.0.0.1, two python3 clients speaking the NATS
# client protocol (a subscriber, a publisher using PUB with a reply subject
# and HPUB with headers); the test captures loopback with tcpdump, then:
#   - `wbpf l7` on the capture gives a record per NATS message (INFO with
#     CONNECT, SUB, PUB, HPUB, MSG, HMSG, PING with PONG), subjects and
#     endpoints as sent (tshark has no NATS dissector to compare with);
#   - with tests/l7/plugins/df_nats.c (a `deepflow` guest hooking custom
#     messages of NATS, type code 104), each PUB, HPUB, MSG and HMSG's
#     record carries what the plugin read from the NatsMessage protobuf:
#     subject, reply-to and payload (without the headers) as sent.
# Needs root (capture), nats-server, tcpdump, python3: skipped otherwise.
# Usage: nats.sh WBPF GUEST.wasm
set -uo pipefail

WBPF=${1:?usage: nats.sh WBPF GUEST.wasm}
GUEST=${2:?}
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh" # l7_setup, l7_need, wait_port, capture_start/stop
l7_setup l7-nats
l7_need l7-nats nats-server tcpdump python3
PORT=$(free_port)

nats-server -a 127.0.0.1 -p "$PORT" -m 0 >"$T/nats.log" 2>&1 &
PIDS+=($!)
wait_port t "$PORT" || bad "nats-server did not start: $(cat "$T/nats.log")"
capture_start nats "tcp port $PORT" || exit 1

python3 - "$PORT" >"$T/client.log" 2>&1 <<'PY' || bad "the NATS clients failed: $(tail -n 3 "$T/client.log")"
import socket, sys, time
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    f = s.makefile("rb")
    assert f.readline().startswith(b"INFO ")
    s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"protocol":1}\r\n')
    return s, f
def expect(f, prefix):
    while True:
        line = f.readline()
        if line.startswith(b"PING"):
            continue
        assert line.startswith(prefix), (prefix, line)
        return line
sub, subf = conn()
sub.sendall(b"SUB wbpf.test 1\r\nSUB wbpf.hdr 2\r\nPING\r\n")
expect(subf, b"PONG")
pub, pubf = conn()
hdr = b"NATS/1.0\r\nX-Trace: t-1\r\n\r\n"
pub.sendall(b"PUB wbpf.test reply.inbox 5\r\nhello\r\n")
pub.sendall(b"HPUB wbpf.hdr %d %d\r\n%sworld\r\n" % (len(hdr), len(hdr) + 5, hdr))
pub.sendall(b"PING\r\n")
expect(pubf, b"PONG")
assert expect(subf, b"MSG wbpf.test 1 reply.inbox 5") and subf.readline() == b"hello\r\n"
expect(subf, b"HMSG wbpf.hdr 2")
time.sleep(0.2)
PY
capture_stop nats

"$WBPF" l7 --pcap "$T/nats.pcap" --json >"$T/plain.json" 2>"$T/plain.err" ||
	bad "wbpf l7 exited $?: $(head -n 3 "$T/plain.err")"
"$WBPF" l7 --pcap "$T/nats.pcap" --plugin "$GUEST" --json >"$T/hooked.json" 2>"$T/hooked.err" ||
	bad "wbpf l7 --plugin exited $?: $(head -n 3 "$T/hooked.err")"
grep -q "plugin df_nats.wasm: 4 calls, 0 failures" "$T/hooked.err" &&
	ok "the plugin's custom message hook: 4 calls, no failure" || bad "the plugin's custom message hook was not called 4 times: $(grep plugin "$T/hooked.err")"
python3 - "$T/plain.json" "$T/hooked.json" <<'PY' && ok "records from a real nats-server; custom messages to a deepflow plugin as sent" || bad "NATS records or custom messages differ"
import json, sys
bad = []
def load(p):
    return [json.loads(l) for l in open(p)]
def sig(r):
    return (r["request_type"], r["request_resource"], r["endpoint"])
plain, hooked = load(sys.argv[1]), load(sys.argv[2])
want = sorted([("INFO", "", ""), ("INFO", "", ""), ("SUB", "wbpf.test", "wbpf"), ("SUB", "wbpf.hdr", "wbpf"),
               ("PING", "", ""), ("PING", "", ""), ("PUB", "wbpf.test", "wbpf"), ("HPUB", "wbpf.hdr", "wbpf"),
               ("MSG", "wbpf.test", "wbpf"), ("HMSG", "wbpf.hdr", "wbpf")])
for name, recs in (("without plugin", plain), ("with the plugin", hooked)):
    got = sorted(sig(r) for r in recs)
    if got != want:
        bad.append(f"{name}: records {got}, expected {want}")
    for r in recs:
        if r["l7_protocol"] != 104:
            bad.append(f"{name}: l7_protocol {r['l7_protocol']}")
        if r["request_type"] in ("INFO", "PING") and (r["response_duration"] is None or r["timeout"]):
            bad.append(f"{name}: {r['request_type']} not paired with its answer: {r}")
expect = {"PUB": ("wbpf.test", "reply.inbox", "hello"), "MSG": ("wbpf.test", "reply.inbox", "hello"),
          "HPUB": ("wbpf.hdr", "", "world"), "HMSG": ("wbpf.hdr", "", "world")}
for r in hooked:
    a = r["attributes"]
    if r["request_type"] in expect:
        s, rt, p = expect[r["request_type"]]
        got = (a.get("hook_point"), a.get("type_code"), a.get("nats.subject"), a.get("nats.reply_to"),
               a.get("nats.payload"), r["l7_protocol_str"])
        if got != ("0", "104", s, rt, p, "NATS-hooked"):
            bad.append(f"custom message of {r['request_type']}: {got}")
    elif a:
        bad.append(f"{r['request_type']} has attributes {a}: no custom message is sent for it")
for r in plain:
    if r["attributes"] or r["l7_protocol_str"] != "NATS":
        bad.append(f"without plugin: {r['request_type']}: {r['attributes']} {r['l7_protocol_str']}")
for b in bad:
    print("       " + b)
sys.exit(1 if bad else 0)
PY
tally l7-nats
