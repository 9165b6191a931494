// SPDX-License-Identifier: MIT
/*
 * WASI preview1: reads, writes and opens that never block where an
 * interrupt cannot reach them, and the fd flags a guest sees.
 *
 * A blocked read(2), write(2) or open(2) cannot be woken from another
 * thread, so the host never makes one on something that can wait forever
 * (pipes, FIFOs, terminals, sockets, devices). Each attempt is made
 * non-blocking, and when it would block the host waits in poll() beside
 * the interrupt eventfd instead:
 *
 * - Descriptions of our own (everything path_open opens, and inherited
 *   pipes and terminals, reopened through /proc/self/fd/N) are O_NONBLOCK
 *   underneath; the guest's own non-blocking flag is kept per guest fd.
 * - Inherited stdio is the embedder's: its open file description is
 *   shared with the calling shell, so its flags are never changed (they
 *   would outlive wbpf). Pipes and terminals are reopened instead (the
 *   same pipe or terminal, a new description; for them the description
 *   holds nothing but flags). Regular files are not: their offset is
 *   shared on purpose (`(wbpf run ...; echo done) >log`), and they never
 *   wait. Sockets cannot be reopened; MSG_DONTWAIT makes each call
 *   non-blocking alone. Anything else that cannot be reopened is polled
 *   first and written at most PIPE_BUF bytes at a time, which a writable
 *   pipe always takes at once.
 * - Guest flag changes on a shared description are emulated: append on
 *   a file by seeking to its end before each write; an append the
 *   caller's description already has cannot be taken away (ENOTSUP).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi/internal.h"

/* How often a FIFO opened for writing looks for its reader. */
#define FIFO_RETRY_MS 10

static bool is_stream(mode_t mode)
{
	return S_ISFIFO(mode) || S_ISCHR(mode) || S_ISSOCK(mode);
}

int wasi_fd_above_stdio(int fd)
{
	int high;

	if (fd < 0 || fd > 2)
		return fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return high;
}

static uint16_t fdflags_of(int fl)
{
	uint16_t flags = 0;

	if (fl & O_APPEND)
		flags |= WASI_FDFLAG_APPEND;
	if (fl & O_NONBLOCK)
		flags |= WASI_FDFLAG_NONBLOCK;
	/* O_SYNC includes the O_DSYNC bit on Linux. */
	if ((fl & O_SYNC) == O_SYNC)
		flags |= WASI_FDFLAG_SYNC | WASI_FDFLAG_RSYNC;
	else if (fl & O_DSYNC)
		flags |= WASI_FDFLAG_DSYNC;
	return flags;
}

/* Ready now for `events` (or hung up)? On an error, yes: the call made
 * next reports it. */
static bool io__ready(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};

	return poll(&p, 1, 0) != 0;
}

/* ------------------------------------------------------------ stdio */

/* The same pipe or terminal through a description of our own. */
static int stdio__reopen(int host, int fl)
{
	char proc[32];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", host);
	return wasi_fd_above_stdio(open(proc, (fl & O_ACCMODE) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
}

int wasi_io__stdio(struct wasi_fd *f, int host, const struct stat *st)
{
	int fl = fcntl(host, F_GETFL);

	if (fl < 0)
		return -errno;
	*f = (struct wasi_fd){.host = -1, .type = wasi_filetype(st->st_mode),
			      .fdflags = fdflags_of(fl)};
	if (S_ISFIFO(st->st_mode) || isatty(host))
		f->host = stdio__reopen(host, fl);
	if (f->host >= 0) {
		f->io = WASI_IO_NONBLOCK;
	} else {
		f->host = fcntl(host, F_DUPFD_CLOEXEC, 3);
		if (f->host < 0)
			return -errno;
		f->shared = true;
		f->io = S_ISSOCK(st->st_mode) ? WASI_IO_SOCKET
			: is_stream(st->st_mode) ? WASI_IO_POLL : WASI_IO_FILE;
	}
	f->rights = wasi_fd__rights(f->host, f->type);
	/* accept(2) has no per-call non-blocking flag, and a shared listening
	 * socket's description must stay blocking: --listen-fd is for those. */
	f->rights &= ~WASI_RIGHT_SOCK_ACCEPT;
	return 0;
}

/* ------------------------------------------------------------- open */

static bool is_fifo(struct wbpf_wasi *w, int dirfd, const char *path, int flags)
{
	int fd = wasi_path__open(&w->resolver, dirfd, path, O_PATH | (flags & O_NOFOLLOW), 0);
	struct stat st;
	bool fifo;

	if (fd < 0)
		return false;
	fifo = !fstat(fd, &st) && S_ISFIFO(st.st_mode);
	close(fd);
	return fifo;
}

/* Whether FIFO `fd` (ours, non-blocking, read side) has a writer or
 * data: tee() peeks without consuming, and answers EAGAIN (rather than 0,
 * end of file) while some writer holds the FIFO open. */
static bool fifo__has_writer(int fd, int scratch)
{
	ssize_t n;

	if (io__ready(fd, POLLIN)) /* data, or a writer came and went */
		return true;
	n = tee(fd, scratch, 1, SPLICE_F_NONBLOCK);
	return n > 0 || (n < 0 && errno == EAGAIN);
}

/* What open(2) of a FIFO for reading waits for: a writer. */
static int fifo__wait_writer(struct wbpf_wasi *w, struct wbpf_caller *c, int fd)
{
	int scratch[2], ret = 0;

	if (pipe2(scratch, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	while (!ret && !fifo__has_writer(fd, scratch[1]))
		ret = wasi_wait_fd(w, c, fd, POLLIN, FIFO_RETRY_MS);
	close(scratch[0]);
	close(scratch[1]);
	return ret;
}

/* Opens without waiting; where open(2) would block (a FIFO with nobody
 * at the other end) the waiting is done here, a few milliseconds at a
 * time: a peer that opens and closes again within them is missed, as if
 * it had come a little earlier or later. */
static int open__nonblock(struct wbpf_wasi *w, struct wbpf_caller *c, int dirfd,
			  const char *path, int flags, mode_t mode)
{
	bool block = !(flags & O_NONBLOCK);
	struct stat st;
	int fd, ret;

	for (;;) {
		fd = wasi_path__open(&w->resolver, dirfd, path, flags | O_NONBLOCK | O_NOCTTY,
				     mode);
		if (fd != -ENXIO || !block || !is_fifo(w, dirfd, path, flags))
			break;
		/* Opened for writing with no reader yet: look again shortly. */
		if (wasi_wait_fd(w, c, -1, 0, FIFO_RETRY_MS))
			return -EINTR;
	}
	if (fd < 0 || !block || (flags & O_ACCMODE) != O_RDONLY || fstat(fd, &st) ||
	    !S_ISFIFO(st.st_mode))
		return fd;
	ret = fifo__wait_writer(w, c, fd);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int wasi_io__open(struct wbpf_wasi *w, struct wbpf_caller *c, struct wasi_fd *f, int dirfd,
		  const char *path, int flags, mode_t mode)
{
	struct stat st;
	int fd = open__nonblock(w, c, dirfd, path, flags, mode);

	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		int e = errno;

		close(fd);
		return -e;
	}
	f->host = fd;
	f->type = wasi_filetype(st.st_mode);
	f->io = is_stream(st.st_mode) ? WASI_IO_NONBLOCK : WASI_IO_FILE;
	/* Files never wait: they keep the flags the guest asked for. */
	if (f->io == WASI_IO_FILE && !(flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return 0;
}

/* ------------------------------------------------------------ iovecs */

/* Turns the guest's iovec array into host iovecs. More than IOV_MAX
 * buffers are cut to IOV_MAX: a short read or write, which callers
 * handle anyway. */
static uint16_t iovs__get(struct wbpf_caller *c, uint32_t addr, uint32_t n, struct iovec *out,
			  int *cnt, size_t *total)
{
	const uint8_t *raw;

	if (n > IOV_MAX)
		n = IOV_MAX;
	raw = wbpf_caller__mem(c, addr, (uint64_t)n * 8);
	if (!raw)
		return WASI_EFAULT;
	*total = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = wasi_get_u32(raw + 8 * i + 4);

		out[i].iov_base = wbpf_caller__mem(c, wasi_get_u32(raw + 8 * i), len);
		out[i].iov_len = len;
		if (!out[i].iov_base)
			return WASI_EFAULT;
		*total += len;
	}
	*cnt = (int)n;
	return WASI_ESUCCESS;
}

/* Drops the first n bytes (and any empty buffers before what is left). */
static void iovs__advance(struct iovec **iov, int *cnt, size_t n)
{
	while (*cnt && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt) {
		(*iov)->iov_base = (char *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

/* ------------------------------------------------------ read, write */

enum io_kind { IO_READ, IO_WRITE, IO_PREAD, IO_PWRITE, IO_RECV, IO_SEND };

/* One call: its kind, offset (p-forms) and recvmsg flags (sock_recv). */
struct io_op {
	enum io_kind kind;
	uint64_t off;
	int msg;
};

static const struct {
	const char *name;
	uint64_t rights;
	int res;		/* slot of the result pointer */
} io_calls[] = {
	[IO_READ] = {"fd_read", WASI_RIGHT_FD_READ, 3},
	[IO_WRITE] = {"fd_write", WASI_RIGHT_FD_WRITE, 3},
	/* The spec: fd_read or fd_write, with fd_seek, allows the p-forms. */
	[IO_PREAD] = {"fd_pread", WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK, 4},
	[IO_PWRITE] = {"fd_pwrite", WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_SEEK, 4},
	[IO_RECV] = {"sock_recv", WASI_RIGHT_FD_READ, 4},
	[IO_SEND] = {"sock_send", WASI_RIGHT_FD_WRITE, 4},
};

static bool io__reads(enum io_kind kind)
{
	return kind == IO_READ || kind == IO_PREAD || kind == IO_RECV;
}

static ssize_t io__host(int fd, enum io_kind kind, const struct iovec *iov, int n, off_t off)
{
	switch (kind) {
	case IO_READ: return readv(fd, iov, n);
	case IO_WRITE: return writev(fd, iov, n);
	case IO_PREAD: return preadv(fd, iov, n, off);
	case IO_PWRITE: return pwritev(fd, iov, n, off);
	case IO_RECV: /* sockets only, handled in io__try */
	case IO_SEND: break;
	}
	errno = ENOTSOCK;
	return -1;
}

/* One attempt that does not block: -1 with EAGAIN when it would. A peer
 * gone gets EPIPE, never the SIGPIPE that would end the host. */
static ssize_t io__try(const struct wasi_fd *f, const struct io_op *op, const struct iovec *iov,
		       int n, size_t done)
{
	struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n};
	enum io_kind kind = op->kind;
	off_t off = (off_t)(op->off + done);
	struct iovec small;

	switch ((enum wasi_io)f->io) {
	case WASI_IO_SOCKET:
		if (kind == IO_READ || kind == IO_RECV)
			return recvmsg(f->host, &m, MSG_DONTWAIT | op->msg);
		if (kind == IO_WRITE || kind == IO_SEND)
			return sendmsg(f->host, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		break;
	case WASI_IO_POLL:
		if (!io__ready(f->host, io__reads(kind) ? POLLIN : POLLOUT)) {
			errno = EAGAIN;
			return -1;
		}
		if (io__reads(kind) || !n)
			break;
		/* A writable pipe takes PIPE_BUF bytes without blocking. */
		small = (struct iovec){iov->iov_base, iov->iov_len < PIPE_BUF ? iov->iov_len
									    : PIPE_BUF};
		return io__host(f->host, kind, &small, 1, off);
	case WASI_IO_FILE:
		if (kind == IO_WRITE && f->append && lseek(f->host, 0, SEEK_END) < 0)
			return -1;
		break;
	case WASI_IO_NONBLOCK:
		break;
	}
	return io__host(f->host, kind, iov, n, off);
}

/* Blocking semantics on top of non-blocking attempts: a read returns
 * what one attempt got (all of it for sock_recv's RECV_WAITALL), a write
 * goes on until all of it is written.
 * Returns the bytes moved, -errno, or -EINTR when interrupted. */
static ssize_t io__run(struct wbpf_wasi *w, struct wbpf_caller *c, const struct wasi_fd *f,
		       const struct io_op *op, struct iovec *iov, int cnt, size_t total)
{
	bool block = f->io != WASI_IO_FILE && !(f->fdflags & WASI_FDFLAG_NONBLOCK);
	enum io_kind kind = op->kind;
	bool one = io__reads(kind) && !(op->msg & MSG_WAITALL);
	size_t done = 0;

	iovs__advance(&iov, &cnt, 0);
	for (;;) {
		ssize_t n;

		if (wasi_stopped(w, c))
			return -EINTR;
		n = io__try(f, op, iov, cnt, done);
		if (n > 0) {
			done += (size_t)n;
			if (one || !block || done >= total)
				return (ssize_t)done;
			iovs__advance(&iov, &cnt, (size_t)n);
			continue;
		}
		if (n == 0)
			return (ssize_t)done;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || !block)
			return done ? (ssize_t)done : -errno;
		if (wasi_wait_fd(w, c, f->host, io__reads(kind) ? POLLIN : POLLOUT, -1))
			return -EINTR;
	}
}

/* sock_recv's ri_flags as recvmsg flags; -1 for unknown bits. PEEK
 * makes WAITALL meaningless (the same bytes again), so it wins. */
static int recv_flags(uint32_t ri)
{
	if (ri & ~(uint32_t)(WASI_RIFLAG_PEEK | WASI_RIFLAG_WAITALL))
		return -1;
	if (ri & WASI_RIFLAG_PEEK)
		return MSG_PEEK;
	return ri & WASI_RIFLAG_WAITALL ? MSG_WAITALL : 0;
}

/* s: fd, iovs, iovs_len, [offset | ri_flags | si_flags,] result pointer
 * [, ro_flags pointer] */
static int io__call(struct wbpf_caller *c, uint64_t *s, struct wbpf_wasi *w, enum io_kind kind)
{
	struct iovec iov[IOV_MAX];
	struct io_op op = {
		.kind = kind,
		.off = kind == IO_PREAD || kind == IO_PWRITE ? WASI_ARG64(s, 3) : 0,
		.msg = kind == IO_RECV ? recv_flags(WASI_ARG32(s, 3)) : 0,
	};
	uint8_t *out = wbpf_caller__mem(c, WASI_ARG32(s, io_calls[kind].res), 4);
	uint8_t *ro_flags = kind == IO_RECV ? wbpf_caller__mem(c, WASI_ARG32(s, 5), 2) : NULL;
	struct wasi_fd *f;
	size_t total;
	ssize_t n;
	uint16_t e;
	int cnt;

	f = wasi_fd__use(w, WASI_ARG32(s, 0), io_calls[kind].rights, &e);
	if (!f)
		return wasi_ret(s, e);
	if (!out || (kind == IO_RECV && !ro_flags))
		return wasi_ret(s, WASI_EFAULT);
	if ((kind == IO_RECV || kind == IO_SEND) && f->io != WASI_IO_SOCKET)
		return wasi_ret(s, WASI_ENOTSOCK);
	if (op.off > INT64_MAX || op.msg < 0)
		return wasi_ret(s, WASI_EINVAL);
	e = iovs__get(c, WASI_ARG32(s, 1), WASI_ARG32(s, 2), iov, &cnt, &total);
	if (e)
		return wasi_ret(s, e);
	n = io__run(w, c, f, &op, iov, cnt, total);
	if (n == -EINTR)
		return wasi_interrupted(c, io_calls[kind].name);
	if (n < 0)
		return wasi_ret(s, wasi_errno((int)n));
	/* Linux moves at most 2 GiB per call, and IOV_MAX buffers of a 4 GiB
	 * memory cannot hold more than 4 GiB: n fits. */
	wasi_put_u32(out, (uint32_t)n);
	if (ro_flags) /* RECV_DATA_TRUNCATED is for datagrams, never given */
		wasi_put_u16(ro_flags, 0);
	return wasi_ret(s, WASI_ESUCCESS);
}

WASI_FN(fd_read)
{
	return io__call(c, s, user, IO_READ);
}

WASI_FN(fd_write)
{
	return io__call(c, s, user, IO_WRITE);
}

WASI_FN(fd_pread)
{
	return io__call(c, s, user, IO_PREAD);
}

WASI_FN(fd_pwrite)
{
	return io__call(c, s, user, IO_PWRITE);
}

WASI_FN(sock_recv)
{
	return io__call(c, s, user, IO_RECV);
}

WASI_FN(sock_send)
{
	return io__call(c, s, user, IO_SEND);
}

/* ------------------------------------------------------------ flags */

/* Our own description: the kernel applies append; streams stay
 * non-blocking underneath whatever the guest asks. */
static uint16_t flags__apply(const struct wasi_fd *f, uint32_t flags)
{
	int fl = fcntl(f->host, F_GETFL);

	if (fl < 0)
		return wasi_errno(errno);
	fl &= ~(O_APPEND | O_NONBLOCK);
	if (flags & WASI_FDFLAG_APPEND)
		fl |= O_APPEND;
	if (f->io == WASI_IO_NONBLOCK || (flags & WASI_FDFLAG_NONBLOCK))
		fl |= O_NONBLOCK;
	return fcntl(f->host, F_SETFL, fl) ? wasi_errno(errno) : WASI_ESUCCESS;
}

/* The embedder's description: only emulated (see the top of this file). */
static uint16_t flags__emulate(struct wasi_fd *f, uint32_t flags)
{
	int fl = fcntl(f->host, F_GETFL);
	bool append = flags & WASI_FDFLAG_APPEND;

	if (fl < 0)
		return wasi_errno(errno);
	if ((fl & O_APPEND) && !append)
		return WASI_ENOTSUP;
	f->append = append && !(fl & O_APPEND) && f->io == WASI_IO_FILE;
	return WASI_ESUCCESS;
}

/* Linux changes only O_APPEND and O_NONBLOCK after open. */
WASI_FN(fd_fdstat_set_flags)
{
	const uint32_t settable = WASI_FDFLAG_APPEND | WASI_FDFLAG_NONBLOCK;
	uint32_t flags = WASI_ARG32(s, 1);
	struct wasi_fd *f;
	uint16_t e;

	(void)c;
	f = wasi_fd__use(user, WASI_ARG32(s, 0), WASI_RIGHT_FD_FDSTAT_SET_FLAGS, &e);
	if (!f)
		return wasi_ret(s, e);
	if (flags & ~settable)
		return wasi_ret(s, WASI_ENOTSUP);
	e = f->shared ? flags__emulate(f, flags) : flags__apply(f, flags);
	if (!e)
		f->fdflags = (uint16_t)((f->fdflags & ~settable) | flags);
	return wasi_ret(s, e);
}
