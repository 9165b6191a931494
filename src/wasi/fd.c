// SPDX-License-Identifier: MIT
/*
 * WASI preview1: the guest's fd table and the fd_* functions.
 *
 * Guest fds index a table of host fds. Every call that names a right
 * needs it (ENOTCAPABLE otherwise), as preview1 defines them; the host
 * kernel enforces access through the mode each file was opened with too.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wasi/internal.h"

/* Guest fds beyond this are refused with EMFILE: the table stays small
 * even if a guest leaks descriptors. */
#define WASI_MAX_FDS 65536u

struct wasi_fd *wasi_fd__get(struct wbpf_wasi *w, uint32_t fd)
{
	if (fd >= w->nfds || w->fds[fd].host < 0)
		return NULL;
	return &w->fds[fd];
}

static int fds__reserve(struct wbpf_wasi *w, uint32_t n)
{
	uint32_t cap = w->nfds ? w->nfds : 8;
	struct wasi_fd *fds;

	if (n <= w->nfds)
		return 0;
	if (n > WASI_MAX_FDS)
		return -EMFILE;
	while (cap < n)
		cap *= 2;
	fds = realloc(w->fds, cap * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	for (uint32_t i = w->nfds; i < cap; i++)
		fds[i] = (struct wasi_fd){.host = -1};
	w->fds = fds;
	w->nfds = cap;
	return 0;
}

struct wasi_fd *wasi_fd__use(struct wbpf_wasi *w, uint32_t fd, uint64_t need, uint16_t *e)
{
	struct wasi_fd *f = wasi_fd__get(w, fd);

	*e = !f ? WASI_EBADF : (f->rights & need) != need ? WASI_ENOTCAPABLE : WASI_ESUCCESS;
	return *e ? NULL : f;
}

int wasi_fd__place(struct wbpf_wasi *w, uint32_t fd, const struct wasi_fd *f)
{
	int ret = fds__reserve(w, fd + 1);

	if (ret) {
		if (f->host >= 0)
			close(f->host);
		return ret;
	}
	w->fds[fd] = *f;
	return 0;
}

int wasi_fd__add(struct wbpf_wasi *w, const struct wasi_fd *f)
{
	uint32_t fd = 3;
	int ret;

	while (fd < w->nfds && w->fds[fd].host >= 0)
		fd++;
	ret = wasi_fd__place(w, fd, f);
	return ret ? ret : (int)fd;
}

void wasi_fd__close(struct wasi_fd *f)
{
	if (f->dir)
		closedir(f->dir);
	if (f->host >= 0)
		close(f->host);
	free(f->preopen);
	*f = (struct wasi_fd){.host = -1};
}

uint64_t wasi_fd__rights(int host, uint8_t type)
{
	int fl = fcntl(host, F_GETFL);
	uint64_t rights = type == WASI_FILETYPE_DIRECTORY ? WASI_RIGHTS_DIR : WASI_RIGHTS_FILE;

	int listening = 0;
	socklen_t len = sizeof(listening);

	if (type == WASI_FILETYPE_UNKNOWN || isatty(host))
		rights = WASI_RIGHTS_STREAM;
	if (type == WASI_FILETYPE_SOCKET_STREAM)
		rights = WASI_RIGHTS_SOCKET |
			 (!getsockopt(host, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) && listening
				  ? WASI_RIGHT_SOCK_ACCEPT : 0);
	if (fl >= 0 && (fl & O_ACCMODE) == O_RDONLY)
		rights &= ~WASI_RIGHTS_WRITE;
	if (fl >= 0 && (fl & O_ACCMODE) == O_WRONLY)
		rights &= ~WASI_RIGHTS_READ;
	return rights;
}

/* f: guest fd s[0], which must hold the rights in `need`. */
#define WASI_GET_FD(f, w, s, need)                                          \
	uint16_t f##_e;                                                     \
	struct wasi_fd *f = wasi_fd__use((w), WASI_ARG32(s, 0), (need), &f##_e); \
	if (!f)                                                             \
		return wasi_ret(s, f##_e)

/* Returns WASI_ESUCCESS when a host call returned 0, else its errno. */
static uint16_t host_ret(int ret)
{
	return ret ? wasi_errno(errno) : WASI_ESUCCESS;
}

/* ---------------------------------------------------- position, sync */

/* s: fd, offset (signed), whence, newoffset pointer */
WASI_FN(fd_seek)
{
	static const int whences[] = {SEEK_SET, SEEK_CUR, SEEK_END};
	uint8_t *out = wbpf_caller__mem(c, WASI_ARG32(s, 3), 8);
	uint32_t whence = WASI_ARG32(s, 2);
	off_t pos;

	WASI_GET_FD(f, (struct wbpf_wasi *)user, s, WASI_RIGHT_FD_SEEK);
	if (whence > 2)
		return wasi_ret(s, WASI_EINVAL);
	if (!out)
		return wasi_ret(s, WASI_EFAULT);
	pos = lseek(f->host, (off_t)WASI_ARG64(s, 1), whences[whence]);
	if (pos < 0)
		return wasi_ret(s, wasi_errno(errno));
	wasi_put_u64(out, (uint64_t)pos);
	return wasi_ret(s, WASI_ESUCCESS);
}

WASI_FN(fd_tell)
{
	uint8_t *out = wbpf_caller__mem(c, WASI_ARG32(s, 1), 8);
	off_t pos;

	/* The spec: fd_seek implies fd_tell. */
	WASI_GET_FD(f, (struct wbpf_wasi *)user, s, 0);
	if (!(f->rights & (WASI_RIGHT_FD_TELL | WASI_RIGHT_FD_SEEK)))
		return wasi_ret(s, WASI_ENOTCAPABLE);
	if (!out)
		return wasi_ret(s, WASI_EFAULT);
	pos = lseek(f->host, 0, SEEK_CUR);
	if (pos < 0)
		return wasi_ret(s, wasi_errno(errno));
	wasi_put_u64(out, (uint64_t)pos);
	return wasi_ret(s, WASI_ESUCCESS);
}

WASI_FN(fd_sync)
{
	WASI_GET_FD(f, (struct wbpf_wasi *)user, s, WASI_RIGHT_FD_SYNC);
	(void)c;
	return wasi_ret(s, host_ret(fsync(f->host)));
}

WASI_FN(fd_datasync)
{
	WASI_GET_FD(f, (struct wbpf_wasi *)user, s, WASI_RIGHT_FD_DATASYNC);
	(void)c;
	return wasi_ret(s, host_ret(fdatasync(f->host)));
}

/* s: fd, offset, len, advice. posix_fadvise and posix_fallocate return
 * the error instead of setting errno. */
WASI_FN(fd_advise)
{
	static const int advice[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
				     POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
	uint32_t a = WASI_ARG32(s, 3);

	WASI_GET_FD(f, (struct wbpf_wasi *)user, s, WASI_RIGHT_FD_ADVISE);
	(void)c;
	if (a >= sizeof(advice) / sizeof(advice[0]) || WASI_ARG64(s, 1) > INT64_MAX ||
	    WASI_ARG64(s, 2) > INT64_MAX)
		return wasi_ret(s, WASI_EINVAL);
	return wasi_ret(s, wasi_errno(posix_fadvise(f->host, (off_t)WASI_ARG64(s, 1),
						    (off_t)WASI_ARG64(s, 2), advice[a])));
}

WASI_FN(fd_allocate)
{
	WASI_GET_FD(f, (struct wbpf_wasi *)user, s, WASI_RIGHT_FD_ALLOCATE);
	(void)c;
	if (WASI_ARG64(s, 1) > INT64_MAX || WASI_ARG64(s, 2) > INT64_MAX)
		return wasi_ret(s, WASI_EINVAL);
	return wasi_ret(s, wasi_errno(posix_fallocate(f->host, (off_t)WASI_ARG64(s, 1),
						      (off_t)WASI_ARG64(s, 2))));
}

/* ------------------------------------------------------------ fdstat */

WASI_FN(fd_fdstat_get)
{
	uint8_t *out = wbpf_caller__mem(c, WASI_ARG32(s, 1), 24);

	WASI_GET_FD(f, (struct wbpf_wasi *)user, s, 0);
	if (!out)
		return wasi_ret(s, WASI_EFAULT);
	memset(out, 0, 24);
	out[0] = f->type;
	wasi_put_u16(out + 2, f->fdflags);
	wasi_put_u64(out + 8, f->rights);
	wasi_put_u64(out + 16, f->inheriting);
	return wasi_ret(s, WASI_ESUCCESS);
}

/* Rights only ever shrink. */
WASI_FN(fd_fdstat_set_rights)
{
	uint64_t base = WASI_ARG64(s, 1), inheriting = WASI_ARG64(s, 2);

	WASI_GET_FD(f, (struct wbpf_wasi *)user, s, 0);
	(void)c;
	if ((base & ~f->rights) || (inheriting & ~f->inheriting))
		return wasi_ret(s, WASI_ENOTCAPABLE);
	f->rights = base;
	f->inheriting = inheriting;
	return wasi_ret(s, WASI_ESUCCESS);
}

/* ---------------------------------------------------------- filestat */

void wasi_filestat(uint8_t *out, const struct stat *st)
{
	memset(out, 0, 64);
	wasi_put_u64(out, (uint64_t)st->st_dev);
	wasi_put_u64(out + 8, (uint64_t)st->st_ino);
	out[16] = wasi_filetype(st->st_mode);
	wasi_put_u64(out + 24, (uint64_t)st->st_nlink);
	wasi_put_u64(out + 32, (uint64_t)st->st_size);
	wasi_put_u64(out + 40, wasi_timespec(&st->st_atim));
	wasi_put_u64(out + 48, wasi_timespec(&st->st_mtim));
	wasi_put_u64(out + 56, wasi_timespec(&st->st_ctim));
}

enum {
	WASI_FST_ATIM = 1,
	WASI_FST_ATIM_NOW = 2,
	WASI_FST_MTIM = 4,
	WASI_FST_MTIM_NOW = 8,
};

static int time_of(struct timespec *ts, uint64_t ns, uint32_t flags, uint32_t set, uint32_t now)
{
	if ((flags & set) && (flags & now))
		return -EINVAL;
	if (flags & set)
		*ts = (struct timespec){.tv_sec = (time_t)(ns / 1000000000u),
					.tv_nsec = (long)(ns % 1000000000u)};
	else
		*ts = (struct timespec){.tv_nsec = (flags & now) ? UTIME_NOW : UTIME_OMIT};
	return 0;
}

int wasi_times(struct timespec ts[2], uint64_t atim, uint64_t mtim, uint32_t fstflags)
{
	if (fstflags & ~15u)
		return -EINVAL;
	if (time_of(&ts[0], atim, fstflags, WASI_FST_ATIM, WASI_FST_ATIM_NOW))
		return -EINVAL;
	return time_of(&ts[1], mtim, fstflags, WASI_FST_MTIM, WASI_FST_MTIM_NOW);
}

WASI_FN(fd_filestat_get)
{
	uint8_t *out = wbpf_caller__mem(c, WASI_ARG32(s, 1), 64);
	struct stat st;

	WASI_GET_FD(f, (struct wbpf_wasi *)user, s, WASI_RIGHT_FD_FILESTAT_GET);
	if (!out)
		return wasi_ret(s, WASI_EFAULT);
	if (fstat(f->host, &st))
		return wasi_ret(s, wasi_errno(errno));
	wasi_filestat(out, &st);
	return wasi_ret(s, WASI_ESUCCESS);
}

WASI_FN(fd_filestat_set_size)
{
	WASI_GET_FD(f, (struct wbpf_wasi *)user, s, WASI_RIGHT_FD_FILESTAT_SET_SIZE);
	(void)c;
	if (WASI_ARG64(s, 1) > INT64_MAX)
		return wasi_ret(s, WASI_EINVAL);
	return wasi_ret(s, host_ret(ftruncate(f->host, (off_t)WASI_ARG64(s, 1))));
}

/* s: fd, atim, mtim, fstflags */
WASI_FN(fd_filestat_set_times)
{
	struct timespec ts[2];

	WASI_GET_FD(f, (struct wbpf_wasi *)user, s, WASI_RIGHT_FD_FILESTAT_SET_TIMES);
	(void)c;
	if (wasi_times(ts, WASI_ARG64(s, 1), WASI_ARG64(s, 2), WASI_ARG32(s, 3)))
		return wasi_ret(s, WASI_EINVAL);
	return wasi_ret(s, host_ret(futimens(f->host, ts)));
}

/* ---------------------------------------------------- close, renumber */

WASI_FN(fd_close)
{
	WASI_GET_FD(f, (struct wbpf_wasi *)user, s, 0);
	(void)c;
	wasi_fd__close(f);
	return wasi_ret(s, WASI_ESUCCESS);
}

/* Moves `from` over `to`, closing what `to` was; both must be open. */
WASI_FN(fd_renumber)
{
	struct wbpf_wasi *w = user;
	struct wasi_fd *to = wasi_fd__get(w, WASI_ARG32(s, 1));

	WASI_GET_FD(from, w, s, 0);
	(void)c;
	if (!to)
		return wasi_ret(s, WASI_EBADF);
	if (from != to) {
		wasi_fd__close(to);
		*to = *from;
		*from = (struct wasi_fd){.host = -1};
	}
	return wasi_ret(s, WASI_ESUCCESS);
}

/* ----------------------------------------------------------- prestat */

WASI_FN(fd_prestat_get)
{
	uint8_t *out = wbpf_caller__mem(c, WASI_ARG32(s, 1), 8);

	WASI_GET_FD(f, (struct wbpf_wasi *)user, s, 0);
	/* wasi-libc walks fds from 3 until EBADF: anything not preopened
	 * must answer EBADF. */
	if (!f->preopen)
		return wasi_ret(s, WASI_EBADF);
	if (!out)
		return wasi_ret(s, WASI_EFAULT);
	memset(out, 0, 8);
	wasi_put_u32(out + 4, (uint32_t)strlen(f->preopen));
	return wasi_ret(s, WASI_ESUCCESS);
}

/* s: fd, path, path_len; the name is written without a NUL. */
WASI_FN(fd_prestat_dir_name)
{
	uint32_t len = WASI_ARG32(s, 2);
	char *out = wbpf_caller__mem(c, WASI_ARG32(s, 1), len);
	size_t n;

	WASI_GET_FD(f, (struct wbpf_wasi *)user, s, 0);
	if (!f->preopen)
		return wasi_ret(s, WASI_EBADF);
	if (!out)
		return wasi_ret(s, WASI_EFAULT);
	n = strlen(f->preopen);
	if (len < n)
		return wasi_ret(s, WASI_ENAMETOOLONG);
	memcpy(out, f->preopen, n);
	return wasi_ret(s, WASI_ESUCCESS);
}

/* ----------------------------------------------------------- readdir */

static uint8_t dirent_type(DIR *d, const struct dirent *e)
{
	struct stat st;

	switch (e->d_type) {
	case DT_BLK: return WASI_FILETYPE_BLOCK_DEVICE;
	case DT_CHR: return WASI_FILETYPE_CHARACTER_DEVICE;
	case DT_DIR: return WASI_FILETYPE_DIRECTORY;
	case DT_REG: return WASI_FILETYPE_REGULAR_FILE;
	case DT_LNK: return WASI_FILETYPE_SYMBOLIC_LINK;
	case DT_SOCK: return WASI_FILETYPE_SOCKET_STREAM;
	case DT_UNKNOWN:
		/* Some file systems leave the type to a stat. */
		if (!fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW))
			return wasi_filetype(st.st_mode);
		break;
	}
	return WASI_FILETYPE_UNKNOWN;
}

/* The directory stream reads through its own open file description, so
 * the guest's fd keeps its offset and flags. */
static int readdir__open(struct wasi_fd *f)
{
	int fd;

	if (f->dir)
		return 0;
	fd = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f->dir = fdopendir(fd);
	if (!f->dir) {
		close(fd);
		return -errno;
	}
	return 0;
}

/* Copies as much of src as fits at buf+*used (entries may be cut: the
 * guest sees a full buffer and asks again from the last whole entry). */
static void readdir__put(uint8_t *buf, uint32_t len, uint32_t *used, const void *src, size_t n)
{
	size_t room = len - *used;

	if (n > room)
		n = room;
	memcpy(buf + *used, src, n);
	*used += (uint32_t)n;
}

/* s: fd, buf, buf_len, cookie, bufused pointer. Cookies are telldir()
 * positions; 0 is the start. */
WASI_FN(fd_readdir)
{
	uint32_t len = WASI_ARG32(s, 2), used = 0;
	uint8_t *buf = wbpf_caller__mem(c, WASI_ARG32(s, 1), len);
	uint8_t *out = wbpf_caller__mem(c, WASI_ARG32(s, 4), 4);
	struct dirent *e;
	int ret;

	WASI_GET_FD(f, (struct wbpf_wasi *)user, s, WASI_RIGHT_FD_READDIR);
	if (!buf || !out)
		return wasi_ret(s, WASI_EFAULT);
	if (f->type != WASI_FILETYPE_DIRECTORY)
		return wasi_ret(s, WASI_ENOTDIR);
	ret = readdir__open(f);
	if (ret)
		return wasi_ret(s, wasi_errno(ret));
	if (WASI_ARG64(s, 3) == 0)
		rewinddir(f->dir);
	else
		seekdir(f->dir, (long)WASI_ARG64(s, 3));
	while (used < len) {
		uint8_t hdr[24] = {0};
		size_t namlen;

		errno = 0;
		e = readdir(f->dir);
		if (!e) {
			if (errno)
				return wasi_ret(s, wasi_errno(errno));
			break;
		}
		namlen = strlen(e->d_name);
		wasi_put_u64(hdr, (uint64_t)telldir(f->dir));
		wasi_put_u64(hdr + 8, (uint64_t)e->d_ino);
		wasi_put_u32(hdr + 16, (uint32_t)namlen);
		hdr[20] = dirent_type(f->dir, e);
		readdir__put(buf, len, &used, hdr, sizeof(hdr));
		readdir__put(buf, len, &used, e->d_name, namlen);
	}
	wasi_put_u32(out, used);
	return wasi_ret(s, WASI_ESUCCESS);
}
