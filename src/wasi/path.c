// SPDX-License-Identifier: MIT
/*
 * WASI preview1: resolving guest paths beneath a granted directory.
 *
 * A guest names files relative to a directory fd it holds. Whatever the
 * path says (`..`, a leading `/`, symlinks pointing anywhere), the file
 * reached must lie beneath that directory. openat2(RESOLVE_BENEATH) has
 * the kernel enforce this atomically; where it is missing (old kernels,
 * seccomp filters) the same rules are applied by walking one component at
 * a time with O_NOFOLLOW, expanding symlinks here, and refusing to step
 * above the starting directory. Either way an escape fails with EXDEV.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi/internal.h"

/* As Linux: at most 40 symlinks expanded in one resolution. */
#define WALK_MAX_LINKS 40
/* Deepest directory stack a PATH_MAX path can need. */
#define WALK_MAX_DEPTH (PATH_MAX / 2)

static int openat2_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		/* O_TMPFILE includes the O_DIRECTORY bit: test it whole. */
		.mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? mode : 0,
		/* Magic links (/proc/self/fd/N) would jump anywhere. */
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	do
		fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : (int)fd;
}

/* ------------------------------------------------------------- walk */

struct walk {
	int root;			/* not owned */
	int dirs[WALK_MAX_DEPTH];	/* owned; dirs[depth - 1] is current */
	int depth;
	int links;
	char path[PATH_MAX];		/* what is left to resolve */
};

static int walk__cur(const struct walk *wk)
{
	return wk->depth ? wk->dirs[wk->depth - 1] : wk->root;
}

static void walk__fini(struct walk *wk)
{
	while (wk->depth)
		close(wk->dirs[--wk->depth]);
}

/* Replaces component `name` (ending at `rest`) with the target of the
 * symlink it names, keeping the unresolved remainder. */
static int walk__expand(struct walk *wk, const char *name, const char *rest)
{
	char target[PATH_MAX], tail[PATH_MAX];
	ssize_t n;

	if (++wk->links > WALK_MAX_LINKS)
		return -ELOOP;
	n = readlinkat(walk__cur(wk), name, target, sizeof(target));
	if (n < 0)
		return -errno;
	if (n == 0 || (size_t)n >= sizeof(target))
		return n ? -ENAMETOOLONG : -ENOENT;
	target[n] = '\0';
	if (target[0] == '/')
		return -EXDEV;
	strcpy(tail, rest);
	if ((size_t)n + 1 + strlen(tail) >= sizeof(wk->path))
		return -ENAMETOOLONG;
	/* target + "/" + tail: a trailing slash on the link stays. */
	snprintf(wk->path, sizeof(wk->path), "%s%s%s", target, *tail ? "/" : "", tail);
	return 0;
}

/* 1 (go on with the rewritten path) or the expansion's error. */
static int expanded(int ret)
{
	return ret ? ret : 1;
}

static bool walk__is_link(const struct walk *wk, const char *name)
{
	struct stat st;

	return !fstatat(walk__cur(wk), name, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode);
}

/* Steps into directory `name`, or expands it when it is a symlink.
 * Returns 1 when the path was rewritten, 0 when stepped, or -errno. */
static int walk__step(struct walk *wk, const char *name, const char *rest)
{
	int fd;

	if (!strcmp(name, "."))
		return 0;
	if (!strcmp(name, "..")) {
		if (!wk->depth)
			return -EXDEV;
		close(wk->dirs[--wk->depth]);
		return 0;
	}
	fd = openat(walk__cur(wk), name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		if (e == ENOTDIR && walk__is_link(wk, name))
			return expanded(walk__expand(wk, name, rest));
		return -e;
	}
	if (wk->depth == WALK_MAX_DEPTH) {
		close(fd);
		return -ENAMETOOLONG;
	}
	wk->dirs[wk->depth++] = fd;
	return 0;
}

/* Opens the last component into *fd. Returns 0, 1 when it was a symlink
 * to follow (the path now holds its target), or -errno. */
static int walk__last(struct walk *wk, const char *name, int flags, mode_t mode, int *fd)
{
	bool follow = !(flags & O_NOFOLLOW);
	struct stat st;
	int e;

	*fd = openat(walk__cur(wk), name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	if (*fd >= 0) {
		/* O_PATH|O_NOFOLLOW opens a link itself. */
		if (!follow || !(flags & O_PATH) || fstat(*fd, &st) || !S_ISLNK(st.st_mode))
			return 0;
		close(*fd);
		return expanded(walk__expand(wk, name, ""));
	}
	e = errno;
	/* O_EXCL never follows; anything else fails on a link with ELOOP
	 * (ENOTDIR with O_DIRECTORY). */
	if (follow && !(flags & O_EXCL) && (e == ELOOP || e == ENOTDIR) &&
	    walk__is_link(wk, name))
		return expanded(walk__expand(wk, name, ""));
	return -e;
}

/* The path ends in "..": the directory above the current one. */
static int walk__parent_dir(struct walk *wk, int flags, int *fd)
{
	if (!wk->depth)
		return -EXDEV;
	close(wk->dirs[--wk->depth]);
	*fd = openat(walk__cur(wk), ".", (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

/* One round: resolves the first component of wk->path. Returns 0 when
 * the last one was opened into *fd, 1 to go on, or -errno. */
static int walk__round(struct walk *wk, int *flags, mode_t mode, int *fd)
{
	char *name = wk->path, *end;
	int ret;

	if (*name == '/')
		return -EXDEV;
	end = name + strcspn(name, "/");
	if (*end) {
		*end++ = '\0';
		end += strspn(end, "/");
		if (!*end)
			*flags |= O_DIRECTORY; /* "name/" must be a directory */
	}
	if (!*end) {
		if (!strcmp(name, ".."))
			return walk__parent_dir(wk, *flags, fd);
		return walk__last(wk, name, *flags, mode, fd);
	}
	ret = walk__step(wk, name, end);
	/* After a plain step the remainder moves to the front; an expansion
	 * already put the rewritten path there. */
	if (ret == 0)
		memmove(wk->path, end, strlen(end) + 1);
	return ret < 0 ? ret : 1;
}

static int walk_open(int dirfd, const char *path, int flags, mode_t mode)
{
	struct walk *wk;
	int ret, fd = -1;

	if (!*path)
		return -ENOENT;
	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	wk = malloc(sizeof(*wk));
	if (!wk)
		return -ENOMEM;
	*wk = (struct walk){.root = dirfd};
	strcpy(wk->path, path);
	do
		ret = walk__round(wk, &flags, mode, &fd);
	while (ret == 1);
	walk__fini(wk);
	free(wk);
	return ret ? ret : fd;
}

/* ---------------------------------------------------------- public */

int wasi_path__open(struct wasi_resolver *r, int dirfd, const char *path, int flags, mode_t mode)
{
	if (!r->walk) {
		int fd = openat2_beneath(dirfd, path, flags, mode);

		if (fd != -ENOSYS)
			return fd;
		r->walk = true; /* no openat2 here: walk from now on */
	}
	return walk_open(dirfd, path, flags, mode);
}

int wasi_path__parent(struct wasi_resolver *r, int dirfd, char *path, const char **name)
{
	size_t len = strlen(path);
	char *slash, *last;

	if (*path == '/')
		return -EXDEV;
	while (len > 1 && path[len - 1] == '/')
		len--;
	slash = memrchr(path, '/', len);
	last = slash ? slash + 1 : path;
	/* The kernel follows a name ending in '/' and resolves ".." itself:
	 * refuse outright when the whole path would leave dirfd. */
	if (last[strcspn(last, "/")] == '/' || !strcmp(last, "..")) {
		int fd = wasi_path__open(r, dirfd, path, O_PATH, 0);

		if (fd == -EXDEV)
			return fd;
		if (fd >= 0)
			close(fd);
	}
	*name = last;
	if (!slash)
		return wasi_path__open(r, dirfd, ".", O_PATH | O_DIRECTORY, 0);
	*slash = '\0';
	return wasi_path__open(r, dirfd, path, O_PATH | O_DIRECTORY, 0);
}
