// SPDX-License-Identifier: MIT
/*
 * WASI preview1: the path_* functions. Every path is resolved by
 * path.c beneath the directory fd the guest names; the operation
 * itself then runs on a host fd that is already inside.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "wasi/internal.h"

enum {
	WASI_LOOKUP_SYMLINK_FOLLOW = 1,
	WASI_O_CREAT = 1,
	WASI_O_DIRECTORY = 2,
	WASI_O_EXCL = 4,
	WASI_O_TRUNC = 8,
};

/* A guest path argument and the directory it is relative to. */
struct fs_path {
	struct wasi_fd *dir;
	char buf[PATH_MAX];
};

/* `need`: the rights directory fd `fd` must hold for the operation. */
static uint16_t fs_path__get(struct fs_path *p, struct wbpf_caller *c, struct wbpf_wasi *w,
			     uint32_t fd, uint32_t addr, uint32_t len, uint64_t need)
{
	uint16_t e = wasi_path_arg(c, addr, len, p->buf);

	if (e)
		return e;
	p->dir = wasi_fd__get(w, fd);
	if (!p->dir)
		return WASI_EBADF;
	if (p->dir->type != WASI_FILETYPE_DIRECTORY)
		return WASI_ENOTDIR;
	return (p->dir->rights & need) == need ? WASI_ESUCCESS : WASI_ENOTCAPABLE;
}

/* Opens the file a path names (O_PATH: for stat, times, link). */
static int fs_path__open(struct wbpf_wasi *w, struct fs_path *p, uint32_t lookupflags)
{
	int flags = O_PATH | (lookupflags & WASI_LOOKUP_SYMLINK_FOLLOW ? 0 : O_NOFOLLOW);

	return wasi_path__open(&w->resolver, p->dir->host, p->buf, flags, 0);
}

static int fs_path__parent(struct wbpf_wasi *w, struct fs_path *p, const char **name)
{
	return wasi_path__parent(&w->resolver, p->dir->host, p->buf, name);
}

/* ------------------------------------------------------------- open */

/* Access mode from rights, as wasi-libc encodes O_RDONLY/O_WRONLY. */
static int open_flags(uint32_t oflags, uint64_t rights, uint32_t fdflags, uint32_t lookup)
{
	bool rd = rights & WASI_RIGHTS_READ, wr = rights & WASI_RIGHTS_WRITE;
	int flags = wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY;

	if (oflags & WASI_O_CREAT)
		flags |= O_CREAT;
	if (oflags & WASI_O_DIRECTORY)
		flags |= O_DIRECTORY;
	if (oflags & WASI_O_EXCL)
		flags |= O_EXCL;
	if (oflags & WASI_O_TRUNC)
		flags |= O_TRUNC;
	if (fdflags & WASI_FDFLAG_APPEND)
		flags |= O_APPEND;
	if (fdflags & WASI_FDFLAG_DSYNC)
		flags |= O_DSYNC;
	if (fdflags & WASI_FDFLAG_NONBLOCK)
		flags |= O_NONBLOCK;
	if (fdflags & (WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC))
		flags |= O_SYNC;
	if (!(lookup & WASI_LOOKUP_SYMLINK_FOLLOW))
		flags |= O_NOFOLLOW;
	return flags;
}

/* What path_open needs of the directory: its own rights (base) and what
 * it may hand down (inheriting): every right asked for, and, as the spec
 * ties them, sync rights for synchronous fds. */
static void open_rights(uint32_t oflags, uint64_t base, uint64_t inheriting, uint32_t fdflags,
			uint64_t need[2])
{
	need[0] = WASI_RIGHT_PATH_OPEN;
	if (oflags & WASI_O_CREAT)
		need[0] |= WASI_RIGHT_PATH_CREATE_FILE;
	if (oflags & WASI_O_TRUNC)
		need[0] |= WASI_RIGHT_PATH_FILESTAT_SET_SIZE;
	need[1] = base | inheriting;
	if (fdflags & WASI_FDFLAG_DSYNC)
		need[1] |= WASI_RIGHT_FD_DATASYNC;
	if (fdflags & (WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC))
		need[1] |= WASI_RIGHT_FD_SYNC;
}

/* s: fd, dirflags, path, path_len, oflags, rights_base, rights_inheriting,
 * fdflags, opened fd pointer */
WASI_FN(path_open)
{
	struct wbpf_wasi *w = user;
	uint8_t *out = wbpf_caller__mem(c, WASI_ARG32(s, 8), 4);
	uint32_t oflags = WASI_ARG32(s, 4), fdflags = WASI_ARG32(s, 7);
	struct wasi_fd f = {.rights = WASI_ARG64(s, 5), .inheriting = WASI_ARG64(s, 6),
			    .fdflags = (uint16_t)(fdflags & 31)};
	uint64_t need[2];
	struct fs_path p;
	uint16_t e;
	int ret;

	open_rights(oflags, f.rights, f.inheriting, fdflags, need);
	e = fs_path__get(&p, c, w, WASI_ARG32(s, 0), WASI_ARG32(s, 2), WASI_ARG32(s, 3), need[0]);
	if (!e && (p.dir->inheriting & need[1]) != need[1])
		e = WASI_ENOTCAPABLE;
	if (!e && !out)
		e = WASI_EFAULT;
	if (e)
		return wasi_ret(s, e);
	ret = wasi_io__open(w, c, &f, p.dir->host, p.buf,
			    open_flags(oflags, f.rights, fdflags, WASI_ARG32(s, 1)), 0666);
	if (ret == -EINTR && wasi_stopped(w, c))
		return wasi_interrupted(c, "path_open");
	if (ret)
		return wasi_ret(s, wasi_errno_path(ret));
	/* Rights that cannot apply to what was opened are not granted. */
	f.rights &= wasi_fd__rights(f.host, f.type);
	ret = wasi_fd__add(w, &f);
	if (ret < 0)
		return wasi_ret(s, wasi_errno(ret));
	wasi_put_u32(out, (uint32_t)ret);
	return wasi_ret(s, WASI_ESUCCESS);
}

/* ------------------------------------------------------ stat, times */

/* s: fd, lookupflags, path, path_len, filestat pointer */
WASI_FN(path_filestat_get)
{
	struct wbpf_wasi *w = user;
	uint8_t *out = wbpf_caller__mem(c, WASI_ARG32(s, 4), 64);
	struct fs_path p;
	struct stat st;
	uint16_t e;
	int fd;

	e = fs_path__get(&p, c, w, WASI_ARG32(s, 0), WASI_ARG32(s, 2), WASI_ARG32(s, 3),
			 WASI_RIGHT_PATH_FILESTAT_GET);
	if (!e && !out)
		e = WASI_EFAULT;
	if (e)
		return wasi_ret(s, e);
	fd = fs_path__open(w, &p, WASI_ARG32(s, 1));
	if (fd < 0)
		return wasi_ret(s, wasi_errno_path(fd));
	e = fstat(fd, &st) ? wasi_errno(errno) : WASI_ESUCCESS;
	close(fd);
	if (!e)
		wasi_filestat(out, &st);
	return wasi_ret(s, e);
}

/* s: fd, lookupflags, path, path_len, atim, mtim, fstflags */
WASI_FN(path_filestat_set_times)
{
	struct wbpf_wasi *w = user;
	struct timespec ts[2];
	struct fs_path p;
	uint16_t e;
	int fd;

	e = fs_path__get(&p, c, w, WASI_ARG32(s, 0), WASI_ARG32(s, 2), WASI_ARG32(s, 3),
			 WASI_RIGHT_PATH_FILESTAT_SET_TIMES);
	if (!e && wasi_times(ts, WASI_ARG64(s, 4), WASI_ARG64(s, 5), WASI_ARG32(s, 6)))
		e = WASI_EINVAL;
	if (e)
		return wasi_ret(s, e);
	fd = fs_path__open(w, &p, WASI_ARG32(s, 1));
	if (fd < 0)
		return wasi_ret(s, wasi_errno_path(fd));
	/* The O_PATH fd is the file (or the link) itself. */
	e = utimensat(fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ? wasi_errno(errno)
								      : WASI_ESUCCESS;
	close(fd);
	return wasi_ret(s, e);
}

/* -------------------------------------------- operations on a name */

enum name_op { OP_MKDIR, OP_RMDIR, OP_UNLINK, OP_READLINK };

static const uint64_t name_rights[] = {
	[OP_MKDIR] = WASI_RIGHT_PATH_CREATE_DIRECTORY,
	[OP_RMDIR] = WASI_RIGHT_PATH_REMOVE_DIRECTORY,
	[OP_UNLINK] = WASI_RIGHT_PATH_UNLINK_FILE,
	[OP_READLINK] = WASI_RIGHT_PATH_READLINK,
};

struct name_args {
	char *buf;		/* readlink */
	size_t len;
	ssize_t got;
};

static int name__do(int dir, const char *name, enum name_op op, struct name_args *a)
{
	switch (op) {
	case OP_MKDIR: return mkdirat(dir, name, 0777);
	case OP_RMDIR: return unlinkat(dir, name, AT_REMOVEDIR);
	case OP_UNLINK: return unlinkat(dir, name, 0);
	case OP_READLINK:
		a->got = readlinkat(dir, name, a->buf, a->len);
		return a->got < 0 ? -1 : 0;
	}
	return -1;
}

/* Resolves fd+path to a parent directory and runs `op` on the name. */
static uint16_t name__op(struct wbpf_caller *c, uint64_t *s, struct wbpf_wasi *w, enum name_op op,
			 struct name_args *a)
{
	struct fs_path p;
	const char *name;
	uint16_t e;
	int dir;

	e = fs_path__get(&p, c, w, WASI_ARG32(s, 0), WASI_ARG32(s, 1), WASI_ARG32(s, 2),
			 name_rights[op]);
	if (e)
		return e;
	dir = fs_path__parent(w, &p, &name);
	if (dir < 0)
		return wasi_errno_path(dir);
	e = name__do(dir, name, op, a) ? wasi_errno(errno) : WASI_ESUCCESS;
	close(dir);
	return e;
}

WASI_FN(path_create_directory)
{
	return wasi_ret(s, name__op(c, s, user, OP_MKDIR, NULL));
}

WASI_FN(path_remove_directory)
{
	return wasi_ret(s, name__op(c, s, user, OP_RMDIR, NULL));
}

WASI_FN(path_unlink_file)
{
	return wasi_ret(s, name__op(c, s, user, OP_UNLINK, NULL));
}

/* s: fd, path, path_len, buf, buf_len, bufused pointer. The link text is
 * returned as is (no NUL), cut to buf_len as readlink(2) does. */
WASI_FN(path_readlink)
{
	uint32_t len = WASI_ARG32(s, 4);
	struct name_args a = {.buf = wbpf_caller__mem(c, WASI_ARG32(s, 3), len), .len = len};
	uint8_t *out = wbpf_caller__mem(c, WASI_ARG32(s, 5), 4);
	uint16_t e;

	if (!a.buf || !out)
		return wasi_ret(s, WASI_EFAULT);
	e = name__op(c, s, user, OP_READLINK, &a);
	if (!e)
		wasi_put_u32(out, (uint32_t)a.got);
	return wasi_ret(s, e);
}

/* ---------------------------------------------- two-name operations */

/* s: fd, old_path, old_len, new_fd, new_path, new_len */
WASI_FN(path_rename)
{
	struct wbpf_wasi *w = user;
	struct fs_path from, to;
	const char *from_name, *to_name;
	int from_dir, to_dir = -1;
	uint16_t e;

	e = fs_path__get(&from, c, w, WASI_ARG32(s, 0), WASI_ARG32(s, 1), WASI_ARG32(s, 2),
			 WASI_RIGHT_PATH_RENAME_SOURCE);
	if (!e)
		e = fs_path__get(&to, c, w, WASI_ARG32(s, 3), WASI_ARG32(s, 4), WASI_ARG32(s, 5),
				 WASI_RIGHT_PATH_RENAME_TARGET);
	if (e)
		return wasi_ret(s, e);
	from_dir = fs_path__parent(w, &from, &from_name);
	if (from_dir >= 0)
		to_dir = fs_path__parent(w, &to, &to_name);
	if (from_dir < 0 || to_dir < 0)
		e = wasi_errno_path(from_dir < 0 ? from_dir : to_dir);
	else if (renameat(from_dir, from_name, to_dir, to_name))
		e = wasi_errno(errno);
	if (from_dir >= 0)
		close(from_dir);
	if (to_dir >= 0)
		close(to_dir);
	return wasi_ret(s, e);
}

/* s: old_path, old_len, fd, new_path, new_len. The link's text is data
 * until resolved (always beneath), but an absolute one would point host
 * tools outside the sandbox, so it is refused. */
WASI_FN(path_symlink)
{
	struct wbpf_wasi *w = user;
	char target[PATH_MAX];
	struct fs_path p;
	const char *name;
	uint16_t e;
	int dir;

	e = wasi_path_arg(c, WASI_ARG32(s, 0), WASI_ARG32(s, 1), target);
	if (!e)
		e = fs_path__get(&p, c, w, WASI_ARG32(s, 2), WASI_ARG32(s, 3), WASI_ARG32(s, 4),
				 WASI_RIGHT_PATH_SYMLINK);
	if (!e && target[0] == '/')
		e = WASI_EPERM;
	if (e)
		return wasi_ret(s, e);
	dir = fs_path__parent(w, &p, &name);
	if (dir < 0)
		return wasi_ret(s, wasi_errno_path(dir));
	e = symlinkat(target, dir, name) ? wasi_errno(errno) : WASI_ESUCCESS;
	close(dir);
	return wasi_ret(s, e);
}

/* Hard-links the file `old` resolves to (following a final symlink) at
 * dir/name. linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; the
 * /proc/self/fd path of our own O_PATH fd does not. */
static int link_followed(int old, int dir, const char *name)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", old);
	return linkat(AT_FDCWD, proc, dir, name, AT_SYMLINK_FOLLOW);
}

/* s: old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len */
WASI_FN(path_link)
{
	struct wbpf_wasi *w = user;
	bool follow = WASI_ARG32(s, 1) & WASI_LOOKUP_SYMLINK_FOLLOW;
	struct fs_path from, to;
	const char *from_name, *to_name;
	int from_fd, to_dir = -1;
	uint16_t e;

	e = fs_path__get(&from, c, w, WASI_ARG32(s, 0), WASI_ARG32(s, 2), WASI_ARG32(s, 3),
			 WASI_RIGHT_PATH_LINK_SOURCE);
	if (!e)
		e = fs_path__get(&to, c, w, WASI_ARG32(s, 4), WASI_ARG32(s, 5), WASI_ARG32(s, 6),
				 WASI_RIGHT_PATH_LINK_TARGET);
	if (e)
		return wasi_ret(s, e);
	from_fd = follow ? fs_path__open(w, &from, WASI_LOOKUP_SYMLINK_FOLLOW)
			 : fs_path__parent(w, &from, &from_name);
	if (from_fd >= 0)
		to_dir = fs_path__parent(w, &to, &to_name);
	if (from_fd < 0 || to_dir < 0)
		e = wasi_errno_path(from_fd < 0 ? from_fd : to_dir);
	else if (follow ? link_followed(from_fd, to_dir, to_name)
			: linkat(from_fd, from_name, to_dir, to_name, 0))
		e = wasi_errno(errno);
	if (from_fd >= 0)
		close(from_fd);
	if (to_dir >= 0)
		close(to_dir);
	return wasi_ret(s, e);
}
