// SPDX-License-Identifier: MIT
/*
 * Serves N connections on the socket at fd FD (wbpf run --listen-fd):
 * accepts, peeks, reads a line, sends it back in capitals, shuts its
 * side down, then checks that sending after the shutdown fails with
 * EPIPE (the host lives on: no SIGPIPE). Also: stdout holds no
 * SOCK_ACCEPT right, and a file is not a socket.
 *   sock_echo FD N
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <wasi/api.h>

static int serve(__wasi_fd_t lfd)
{
	char buf[256], peek[256];
	__wasi_iovec_t in = { (uint8_t *)buf, sizeof(buf) }, pin = { (uint8_t *)peek, sizeof(peek) };
	__wasi_size_t got, peeked, sent;
	__wasi_roflags_t ro;
	__wasi_fd_t fd;
	__wasi_errno_t e;

	if ((e = __wasi_sock_accept(lfd, 0, &fd)))
		return printf("accept: %d\n", e), 1;
	if ((e = __wasi_sock_recv(fd, &pin, 1, __WASI_RIFLAGS_RECV_PEEK, &peeked, &ro)))
		return printf("peek: %d\n", e), 1;
	if ((e = __wasi_sock_recv(fd, &in, 1, 0, &got, &ro)) || got < peeked || ro)
		return printf("recv: %d (%lu after a peek of %lu)\n", e, got, peeked), 1;
	for (__wasi_size_t i = 0; i < got; i++)
		buf[i] = (char)toupper((unsigned char)buf[i]);
	__wasi_ciovec_t out = { (const uint8_t *)buf, got };
	if ((e = __wasi_sock_send(fd, &out, 1, 0, &sent)) || sent != got)
		return printf("send: %d\n", e), 1;
	if ((e = __wasi_sock_shutdown(fd, __WASI_SDFLAGS_WR)))
		return printf("shutdown: %d\n", e), 1;
	e = __wasi_sock_send(fd, &out, 1, 0, &sent);
	printf("served %lu bytes, send after shutdown: %s\n", got,
	       e == __WASI_ERRNO_PIPE ? "EPIPE" : "not EPIPE");
	fflush(stdout);
	return close(fd) != 0;
}

int main(int argc, char **argv)
{
	__wasi_fd_t fd;
	int n;

	if (argc != 3)
		return 2;
	if (__wasi_sock_accept(1, 0, &fd) != __WASI_ERRNO_NOTCAPABLE)
		return puts("stdout: sock_accept not refused"), 1;
	if (__wasi_sock_shutdown(0, __WASI_SDFLAGS_RD) != __WASI_ERRNO_NOTCAPABLE &&
	    __wasi_sock_shutdown(0, __WASI_SDFLAGS_RD) != __WASI_ERRNO_NOTSOCK)
		return puts("stdin: sock_shutdown not refused"), 1;
	n = atoi(argv[2]);
	for (int i = 0; i < n; i++)
		if (serve((__wasi_fd_t)atoi(argv[1])))
			return 1;
	return 0;
}
