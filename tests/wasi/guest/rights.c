// SPDX-License-Identifier: MIT
/*
 * wasm32-wasi only: WASI rights are enforced as preview1 defines them,
 * base and inheriting, calling wasi_snapshot_preview1 directly. Run with
 * --dir BOX::/box, BOX holding file.txt and an empty directory sub.
 * Self-checking: one line a case on stderr, exit 1 if any came out wrong.
 */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define BOX 3
#define E_CAP __WASI_ERRNO_NOTCAPABLE
#define R(x) __WASI_RIGHTS_##x

static int failures;

static void expect(const char *what, __wasi_errno_t got, __wasi_errno_t want)
{
	int ok = got == want;

	/* stdout loses FD_WRITE on the way. */
	fprintf(stderr, "%s %s: %u%s\n", ok ? "ok  " : "FAIL", what, got, ok ? "" : " (unexpected)");
	failures += !ok;
}

static __wasi_errno_t open_rights(__wasi_fd_t dir, const char *path, __wasi_oflags_t of,
				  __wasi_rights_t base, __wasi_rights_t inheriting,
				  __wasi_fd_t *fd)
{
	return __wasi_path_open(dir, 0, path, of, base, inheriting, 0, fd);
}

static __wasi_errno_t write_str(__wasi_fd_t fd, const char *s)
{
	__wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
	__wasi_size_t n;

	return __wasi_fd_write(fd, &iov, 1, &n);
}

static __wasi_rights_t rights_of(__wasi_fd_t fd, __wasi_rights_t *inheriting)
{
	__wasi_fdstat_t st;

	if (__wasi_fd_fdstat_get(fd, &st))
		return 0;
	if (inheriting)
		*inheriting = st.fs_rights_inheriting;
	return st.fs_rights_base;
}

/* fd_write after FD_WRITE is dropped; rights never grow back. */
static void stdout_rights(void)
{
	__wasi_rights_t base = rights_of(1, NULL);
	__wasi_rights_t dropped = R(FD_WRITE) | R(FD_FDSTAT_SET_FLAGS);

	expect("fd_write with FD_WRITE", write_str(1, ""), 0);
	expect("drop FD_WRITE from stdout", __wasi_fd_fdstat_set_rights(1, base & ~dropped, 0), 0);
	expect("fd_write without FD_WRITE", write_str(1, "must not appear\n"), E_CAP);
	expect("fd_fdstat_set_rights cannot add FD_WRITE back",
	       __wasi_fd_fdstat_set_rights(1, base, 0), E_CAP);
	expect("fd_fdstat_set_flags without its right", __wasi_fd_fdstat_set_flags(1, 0), E_CAP);
}

/* A file opened with some rights can do exactly those. */
static void file_rights(void)
{
	__wasi_rights_t rd = R(FD_READ) | R(FD_FILESTAT_GET) | R(POLL_FD_READWRITE);
	uint8_t buf[4];
	__wasi_iovec_t iov = {buf, sizeof(buf)};
	__wasi_filesize_t pos;
	__wasi_size_t n;
	__wasi_fd_t fd;

	expect("open file.txt read-only", open_rights(BOX, "file.txt", 0, rd, 0, &fd), 0);
	expect("fd_read with FD_READ", __wasi_fd_read(fd, &iov, 1, &n), 0);
	expect("fd_write without FD_WRITE", write_str(fd, "x"), E_CAP);
	expect("fd_pread without FD_SEEK", __wasi_fd_pread(fd, &iov, 1, 0, &n), E_CAP);
	expect("fd_seek without FD_SEEK", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), E_CAP);
	expect("fd_tell without FD_TELL or FD_SEEK", __wasi_fd_tell(fd, &pos), E_CAP);
	expect("fd_sync without FD_SYNC", __wasi_fd_sync(fd), E_CAP);
	expect("fd_filestat_set_size without its right", __wasi_fd_filestat_set_size(fd, 0),
	       E_CAP);
	expect("fd_readdir without FD_READDIR", __wasi_fd_readdir(fd, buf, 4, 0, &n), E_CAP);
	expect("drop FD_READ", __wasi_fd_fdstat_set_rights(fd, 0, 0), 0);
	expect("fd_read after FD_READ dropped", __wasi_fd_read(fd, &iov, 1, &n), E_CAP);
	(void)__wasi_fd_close(fd);
	expect("open file.txt with FD_SEEK", open_rights(BOX, "file.txt", 0,
							 R(FD_READ) | R(FD_SEEK), 0, &fd), 0);
	expect("fd_tell with FD_SEEK (implies tell)", __wasi_fd_tell(fd, &pos), 0);
	expect("fd_pread with FD_READ and FD_SEEK", __wasi_fd_pread(fd, &iov, 1, 0, &n), 0);
	(void)__wasi_fd_close(fd);
}

static int poll_error(__wasi_fd_t fd)
{
	__wasi_subscription_t sub = {.u.tag = __WASI_EVENTTYPE_FD_READ,
				     .u.u.fd_read.file_descriptor = fd};
	__wasi_event_t ev;
	__wasi_size_t n;

	if (__wasi_poll_oneoff(&sub, &ev, 1, &n) || n != 1)
		return -1;
	return ev.error;
}

static void poll_rights(void)
{
	__wasi_fd_t fd;

	expect("open file.txt without POLL_FD_READWRITE",
	       open_rights(BOX, "file.txt", 0, R(FD_READ), 0, &fd), 0);
	expect("poll_oneoff fd_read without POLL_FD_READWRITE", (__wasi_errno_t)poll_error(fd),
	       E_CAP);
	(void)__wasi_fd_close(fd);
}

/* A directory's inheriting rights bound what is opened beneath it. */
static void inheriting_rights(void)
{
	__wasi_rights_t inh;
	__wasi_fd_t sub, fd;

	expect("open sub, inheriting FD_READ only",
	       open_rights(BOX, "sub", __WASI_OFLAGS_DIRECTORY,
			   R(PATH_OPEN) | R(PATH_CREATE_FILE) | R(FD_READDIR), R(FD_READ), &sub), 0);
	rights_of(sub, &inh);
	expect("sub reports its inheriting rights", inh == R(FD_READ) ? 0 : 1, 0);
	expect("path_open asking FD_WRITE beyond inheriting",
	       open_rights(sub, "new.txt", __WASI_OFLAGS_CREAT, R(FD_READ) | R(FD_WRITE), 0, &fd),
	       E_CAP);
	expect("path_open asking inheriting beyond inheriting",
	       open_rights(sub, "new.txt", __WASI_OFLAGS_CREAT, R(FD_READ), R(FD_WRITE), &fd),
	       E_CAP);
	expect("path_open(O_CREAT) within inheriting",
	       open_rights(sub, "new.txt", __WASI_OFLAGS_CREAT, R(FD_READ), 0, &fd), 0);
	(void)__wasi_fd_close(fd);
	expect("path_open(O_TRUNC) without PATH_FILESTAT_SET_SIZE",
	       open_rights(sub, "new.txt", __WASI_OFLAGS_TRUNC, R(FD_READ), 0, &fd), E_CAP);
	expect("path_create_directory without its right",
	       __wasi_path_create_directory(sub, "d"), E_CAP);
	expect("path_unlink_file without its right", __wasi_path_unlink_file(sub, "new.txt"),
	       E_CAP);
	expect("path_filestat_set_times without its right",
	       __wasi_path_filestat_set_times(sub, 0, "new.txt", 0, 0, 0), E_CAP);
	expect("path_rename without PATH_RENAME_SOURCE",
	       __wasi_path_rename(sub, "new.txt", BOX, "moved.txt"), E_CAP);
	expect("path_symlink without its right", __wasi_path_symlink("new.txt", sub, "ln"), E_CAP);
	(void)__wasi_fd_close(sub);
}

/* The preopen reduced to PATH_OPEN, inheriting nothing. */
static void preopen_rights(void)
{
	__wasi_fd_t fd;

	expect("reduce the preopen to PATH_OPEN", __wasi_fd_fdstat_set_rights(BOX, R(PATH_OPEN), 0),
	       0);
	expect("path_open(O_CREAT) without PATH_CREATE_FILE",
	       open_rights(BOX, "created.txt", __WASI_OFLAGS_CREAT, R(FD_WRITE), 0, &fd), E_CAP);
	expect("path_open asking any right, inheriting none",
	       open_rights(BOX, "file.txt", 0, R(FD_READ), 0, &fd), E_CAP);
	expect("path_open asking no rights", open_rights(BOX, "file.txt", 0, 0, 0, &fd), 0);
	expect("fd_write on it", write_str(fd, ""), E_CAP);
	(void)__wasi_fd_close(fd);
	expect("path_filestat_get without its right",
	       __wasi_path_filestat_get(BOX, 0, "file.txt", &(__wasi_filestat_t){0}), E_CAP);
	expect("path_create_directory without its right",
	       __wasi_path_create_directory(BOX, "made"), E_CAP);
}

int main(void)
{
	stdout_rights();
	file_rights();
	poll_rights();
	inheriting_rights();
	preopen_rights();
	return failures ? 1 : 0;
}
