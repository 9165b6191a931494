#!/usr/bin/env python3
"""A fault-injecting proxy in front of a registry, for tests/oci/run.sh.

    proxy.py MODE UPSTREAM_PORT PORT_FILE

Listens on a free port of 127.0.0.1 (written to PORT_FILE) and forwards to
http://127.0.0.1:UPSTREAM_PORT, except that, by MODE:
  drop        a blob GET sends its headers and half its body, then closes
  drop-once   the same for the first blob GET only (retries must recover)
  corrupt     a blob GET has one byte flipped
  truncate    a manifest GET gets the first half of the manifest
  rewrite     a manifest GET gets the manifest with a space added
  unknown     a manifest GET gets a manifest of an unknown media type
  bearer      the registry API wants a Bearer token from /token, which
              hands one out for Basic user:secret (or anonymously for pull)
"""
import base64
import http.client
import http.server
import json
import socketserver
import sys
import threading

MODE, UPSTREAM, PORT_FILE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
TOKEN = "t0ken-for-tests"
state = {"dropped": 0}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def token(self):
        auth = self.headers.get("Authorization", "")
        ok = auth == "Basic " + base64.b64encode(b"user:secret").decode()
        if not ok and "push" in self.path:
            return self.send(401, [], b'{"errors":[{"message":"bad credentials"}]}')
        self.send(200, [("Content-Type", "application/json")],
                  json.dumps({"token": TOKEN}).encode())

    def upstream(self):
        n = int(self.headers.get("Content-Length", 0) or 0)
        body = self.rfile.read(n) if n else None
        c = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=30)
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() not in ("host", "authorization", "connection")}
        c.request(self.command, self.path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r.getheaders(), data

    def handle_one(self):
        if MODE == "bearer":
            if self.path.startswith("/token"):
                return self.token()
            if self.headers.get("Authorization") != "Bearer " + TOKEN:
                realm = 'Bearer realm="http://127.0.0.1:%d/token",service="test"' % \
                    self.server.server_address[1]
                return self.send(401, [("WWW-Authenticate", realm)],
                                 b'{"errors":[{"message":"token required"}]}')
        status, headers, data = self.upstream()
        is_blob = self.command == "GET" and "/blobs/sha256:" in self.path and status == 200
        is_manifest = self.command == "GET" and "/manifests/" in self.path and status == 200
        if is_blob and MODE in ("drop", "drop-once"):
            with lock:
                drop = MODE == "drop" or state["dropped"] == 0
                state["dropped"] += 1
            if drop:
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
        if is_blob and MODE == "corrupt":
            data = bytes([data[0] ^ 1]) + data[1:]
        if is_manifest and MODE == "truncate":
            data = data[: len(data) // 2]
        if is_manifest and MODE == "rewrite":
            data = data + b" "
        if is_manifest and MODE == "unknown":
            m = json.loads(data)
            m["mediaType"] = "application/vnd.example.unknown.v1+json"
            data = json.dumps(m).encode()
            headers = [(k, v) for k, v in headers
                       if k.lower() not in ("content-type", "docker-content-digest")]
            headers.append(("Content-Type", m["mediaType"]))
        self.send(status, headers, data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_one


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(PORT_FILE + ".tmp", PORT_FILE)
srv.serve_forever()
