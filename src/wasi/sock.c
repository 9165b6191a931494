// SPDX-License-Identifier: MIT
/*
 * WASI preview1 sockets: sock_accept and sock_shutdown (sock_recv and
 * sock_send are reads and writes, in io.c). Preview1 cannot create or
 * connect a socket: a guest only has those its embedder gave it (`wbpf
 * run --listen-fd N`, wbpf_wasi_opts.sockets, or stdio that is a socket)
 * and those it accepted on them. An accepted connection gets the
 * listening fd's inheriting rights, and is non-blocking underneath like
 * every stream: a blocking accept waits in poll() beside the interrupt.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/internal.h"

/* A socket of our own: a guest fd sharing nothing with the embedder. */
static struct wasi_fd sock__fd(int host, uint64_t rights, uint64_t inheriting, uint16_t flags)
{
	return (struct wasi_fd){
		.host = host, .type = WASI_FILETYPE_SOCKET_STREAM, .io = WASI_IO_SOCKET,
		.fdflags = flags, .rights = rights, .inheriting = inheriting,
	};
}

int wasi_sock__add(struct wbpf_wasi *w, int host)
{
	struct wasi_fd f;
	struct stat st;
	int fd, fl;

	if (fstat(host, &st))
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	fd = fcntl(host, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK)) {
		close(fd);
		return -errno;
	}
	f = sock__fd(fd, wasi_fd__rights(fd, WASI_FILETYPE_SOCKET_STREAM), WASI_RIGHTS_SOCKET, 0);
	return wasi_fd__add(w, &f);
}

/* One accept(2) that does not block; waits (interruptibly) while the
 * guest fd is blocking and nobody is connecting. */
static int sock__accept(struct wbpf_wasi *w, struct wbpf_caller *c, const struct wasi_fd *f)
{
	for (;;) {
		int fd;

		if (wasi_stopped(w, c))
			return -EINTR;
		fd = accept4(f->host, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			fd = wasi_fd_above_stdio(fd);
			return fd < 0 ? -errno : fd;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN || (f->fdflags & WASI_FDFLAG_NONBLOCK))
			return -errno;
		if (wasi_wait_fd(w, c, f->host, POLLIN, -1))
			return -EINTR;
	}
}

/* s: fd, flags (fdflags: NONBLOCK only), result fd pointer */
WASI_FN(sock_accept)
{
	struct wbpf_wasi *w = user;
	uint32_t flags = WASI_ARG32(s, 1);
	uint8_t *out = wbpf_caller__mem(c, WASI_ARG32(s, 2), 4);
	struct wasi_fd *f, nf;
	uint16_t e;
	int host, fd;

	f = wasi_fd__use(w, WASI_ARG32(s, 0), WASI_RIGHT_SOCK_ACCEPT, &e);
	if (!f)
		return wasi_ret(s, e);
	if (!out)
		return wasi_ret(s, WASI_EFAULT);
	if (flags & ~(uint32_t)WASI_FDFLAG_NONBLOCK)
		return wasi_ret(s, WASI_EINVAL);
	if (f->io != WASI_IO_SOCKET)
		return wasi_ret(s, WASI_ENOTSOCK);
	host = sock__accept(w, c, f);
	if (host == -EINTR)
		return wasi_interrupted(c, "sock_accept");
	if (host < 0)
		return wasi_ret(s, wasi_errno(-host));
	nf = sock__fd(host, f->inheriting & WASI_RIGHTS_SOCKET, f->inheriting & WASI_RIGHTS_SOCKET,
		      (uint16_t)flags);
	fd = wasi_fd__add(w, &nf);
	if (fd < 0)
		return wasi_ret(s, wasi_errno(-fd));
	wasi_put_u32(out, (uint32_t)fd);
	return wasi_ret(s, WASI_ESUCCESS);
}

/* s: fd, how (sdflags) */
WASI_FN(sock_shutdown)
{
	static const int how_of[] = {
		[WASI_SDFLAG_RD] = SHUT_RD, [WASI_SDFLAG_WR] = SHUT_WR,
		[WASI_SDFLAG_RD | WASI_SDFLAG_WR] = SHUT_RDWR,
	};
	uint32_t how = WASI_ARG32(s, 1);
	struct wasi_fd *f;
	uint16_t e;

	(void)c;
	f = wasi_fd__use(user, WASI_ARG32(s, 0), WASI_RIGHT_SOCK_SHUTDOWN, &e);
	if (!f)
		return wasi_ret(s, e);
	if (!how || how > (WASI_SDFLAG_RD | WASI_SDFLAG_WR))
		return wasi_ret(s, WASI_EINVAL);
	if (f->io != WASI_IO_SOCKET)
		return wasi_ret(s, WASI_ENOTSOCK);
	return wasi_ret(s, shutdown(f->host, how_of[how]) ? wasi_errno(errno) : WASI_ESUCCESS);
}
