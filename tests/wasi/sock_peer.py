# SPDX-License-Identifier: MIT
"""Runs `wbpf run --listen-fd` on a listening socket of 127.0.0.1 and plays
its client (tests/wasi/run.sh, with guest/sock_echo.c).

    sock_peer.py MODE WBPF [WBPF-ARGS...]

The socket reaches wbpf as fd 3 (--listen-fd 3 is the caller's to give).
MODE: "echo" sends two lines on two connections and prints the replies;
"silent" connects and sends nothing; "none" never connects. Then it
prints wbpf's exit status, stdout and stderr. Everything is bounded: wbpf
is killed after 20 s.
"""
import os
import socket
import subprocess
import sys

mode, cmd = sys.argv[1], sys.argv[2:]
lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen(4)
port = lsock.getsockname()[1]
if lsock.fileno() != 3:
    os.dup2(lsock.fileno(), 3)
proc = subprocess.Popen(cmd, pass_fds=[3], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
if lsock.fileno() != 3:
    os.close(3)
lsock.close()
conns = []
try:
    if mode == "echo":
        for line in (b"hello\n", b"again, wasi\n"):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
                c.sendall(line)
                reply = b""
                while chunk := c.recv(256):
                    reply += chunk
                print("reply:", reply.decode().strip())
    elif mode == "silent":
        conns.append(socket.create_connection(("127.0.0.1", port), timeout=10))
    out, err = proc.communicate(timeout=20)
except (OSError, subprocess.TimeoutExpired) as e:
    proc.kill()
    out, err = proc.communicate()
    print("peer:", e)
for c in conns:
    c.close()
print("status:", proc.returncode)
sys.stdout.write(out.decode())
sys.stdout.write(err.decode())
