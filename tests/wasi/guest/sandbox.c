// SPDX-License-Identifier: MIT
/*
 * wasm32-wasi only: tries to leave the granted directory through every
 * WASI call that takes a path, and hands the host bad pointers, calling
 * wasi_snapshot_preview1 directly (not through libc, which would refuse
 * some of these before the host sees them). Self-checking: prints one
 * line a case and exits 1 if any came out wrong.
 *
 *   sandbox box     with --dir BOX::/box (the fixture from run.sh)
 *   sandbox nodir   without any --dir
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static int failures;

/* path_open with an explicit length: libc's wrapper takes strlen(). */
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t len, int32_t oflags,
		      int64_t base, int64_t inheriting, int32_t fdflags, int32_t out)
	__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open")));

static void expect(const char *what, __wasi_errno_t got, __wasi_errno_t want)
{
	int ok = got == want;

	printf("%s %s: %u%s\n", ok ? "ok  " : "FAIL", what, got, ok ? "" : " (unexpected)");
	if (!ok)
		printf("     wanted %u\n", want);
	failures += !ok;
}

#define BOX 3
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define RIGHTS_RW (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE)
#define E_CAP __WASI_ERRNO_NOTCAPABLE
/* Far past any memory this module has. */
#define BAD_PTR ((void *)0xfffffff0u)

static __wasi_errno_t open_at(const char *path, __wasi_lookupflags_t lf, __wasi_oflags_t of)
{
	__wasi_fd_t fd;
	__wasi_errno_t e = __wasi_path_open(BOX, lf, path, of, RIGHTS_RW, RIGHTS_RW, 0, &fd);

	if (!e)
		(void)!__wasi_fd_close(fd);
	return e;
}

static void opens(void)
{
	expect("open file.txt", open_at("file.txt", FOLLOW, 0), 0);
	expect("open sub/../file.txt", open_at("sub/../file.txt", FOLLOW, 0), 0);
	expect("open link_in", open_at("link_in", FOLLOW, 0), 0);
	expect("open ..", open_at("..", FOLLOW, 0), E_CAP);
	expect("open ../outside/secret.txt", open_at("../outside/secret.txt", FOLLOW, 0), E_CAP);
	expect("open sub/../../outside/secret.txt",
	       open_at("sub/../../outside/secret.txt", FOLLOW, 0), E_CAP);
	expect("open /etc/passwd", open_at("/etc/passwd", FOLLOW, 0), E_CAP);
	expect("open link_esc", open_at("link_esc", FOLLOW, 0), E_CAP);
	expect("open link_abs", open_at("link_abs", FOLLOW, 0), E_CAP);
	expect("open link_up/outside/secret.txt",
	       open_at("link_up/outside/secret.txt", FOLLOW, 0), E_CAP);
	expect("open link_proc/etc/passwd", open_at("link_proc/etc/passwd", FOLLOW, 0), E_CAP);
	expect("create ../created.txt", open_at("../created.txt", FOLLOW, __WASI_OFLAGS_CREAT),
	       E_CAP);
	expect("create through dangling_esc",
	       open_at("dangling_esc", FOLLOW, __WASI_OFLAGS_CREAT), E_CAP);
	expect("open loop1", open_at("loop1", FOLLOW, 0), __WASI_ERRNO_LOOP);
	expect("open link_in nofollow", open_at("link_in", 0, 0), __WASI_ERRNO_LOOP);
	expect("open with NUL inside", (__wasi_errno_t)raw_path_open(BOX, 0,
	       (int32_t)"file.txt\0../x", 14, 0, 0, 0, 0, (int32_t)(__wasi_fd_t[1]){0}),
	       __WASI_ERRNO_INVAL);
}

static void names(void)
{
	__wasi_filestat_t st;
	char buf[64];
	__wasi_size_t n;

	expect("mkdir ../newdir", __wasi_path_create_directory(BOX, "../newdir"), E_CAP);
	expect("mkdir link_up/newdir", __wasi_path_create_directory(BOX, "link_up/newdir"),
	       E_CAP);
	expect("rmdir ..", __wasi_path_remove_directory(BOX, ".."), E_CAP);
	expect("rmdir link_up/", __wasi_path_remove_directory(BOX, "link_up/"), E_CAP);
	expect("unlink ../outside/secret.txt",
	       __wasi_path_unlink_file(BOX, "../outside/secret.txt"), E_CAP);
	expect("rename file.txt ../stolen.txt",
	       __wasi_path_rename(BOX, "file.txt", BOX, "../stolen.txt"), E_CAP);
	expect("rename ../outside/secret.txt got.txt",
	       __wasi_path_rename(BOX, "../outside/secret.txt", BOX, "got.txt"), E_CAP);
	expect("symlink to /etc/passwd", __wasi_path_symlink("/etc/passwd", BOX, "abs"),
	       __WASI_ERRNO_PERM);
	expect("symlink ../outside (allowed, but dead)",
	       __wasi_path_symlink("../outside/secret.txt", BOX, "rel_esc"), 0);
	expect("open rel_esc", open_at("rel_esc", FOLLOW, 0), E_CAP);
	expect("link ../outside/secret.txt",
	       __wasi_path_link(BOX, 0, "../outside/secret.txt", BOX, "hard"), E_CAP);
	expect("link following link_esc", __wasi_path_link(BOX, FOLLOW, "link_esc", BOX, "hard"),
	       E_CAP);
	expect("stat link_esc following", __wasi_path_filestat_get(BOX, FOLLOW, "link_esc", &st),
	       E_CAP);
	expect("stat link_esc itself", __wasi_path_filestat_get(BOX, 0, "link_esc", &st), 0);
	expect("stat ../outside", __wasi_path_filestat_get(BOX, 0, "../outside", &st), E_CAP);
	expect("readlink link_esc", __wasi_path_readlink(BOX, "link_esc", (uint8_t *)buf,
							 sizeof(buf), &n), 0);
	expect("readlink link_up/", __wasi_path_readlink(BOX, "link_up/", (uint8_t *)buf,
							 sizeof(buf), &n), E_CAP);
	expect("utimes ../outside/secret.txt",
	       __wasi_path_filestat_set_times(BOX, FOLLOW, "../outside/secret.txt", 0, 0,
					      __WASI_FSTFLAGS_MTIM_NOW), E_CAP);
	expect("utimes link_esc", __wasi_path_filestat_set_times(BOX, FOLLOW, "link_esc", 0, 0,
								 __WASI_FSTFLAGS_MTIM_NOW), E_CAP);
}

static void libc_level(void)
{
	expect("fopen /box/../outside/secret.txt",
	       fopen("/box/../outside/secret.txt", "r") ? 0 : E_CAP, E_CAP);
	expect("fopen /etc/passwd", fopen("/etc/passwd", "r") ? 0 : E_CAP, E_CAP);
	expect("fopen /box/file.txt", fopen("/box/file.txt", "r") ? 0 : E_CAP, 0);
}

static void bad_pointers(void)
{
	__wasi_ciovec_t iov = {(const uint8_t *)BAD_PTR, 100};
	__wasi_iovec_t riov = {(uint8_t *)BAD_PTR, 100};
	__wasi_size_t n;
	__wasi_fd_t fd;
	__wasi_timestamp_t t;
	__wasi_event_t ev;

	expect("fd_write iovec array out of memory",
	       __wasi_fd_write(1, (const __wasi_ciovec_t *)BAD_PTR, 1, &n), __WASI_ERRNO_FAULT);
	expect("fd_write buffer out of memory", __wasi_fd_write(1, &iov, 1, &n),
	       __WASI_ERRNO_FAULT);
	expect("fd_read buffer out of memory", __wasi_fd_read(0, &riov, 1, &n),
	       __WASI_ERRNO_FAULT);
	expect("fd_write result out of memory",
	       __wasi_fd_write(1, &(__wasi_ciovec_t){(const uint8_t *)"", 0}, 1, BAD_PTR),
	       __WASI_ERRNO_FAULT);
	expect("path_open path out of memory", (__wasi_errno_t)raw_path_open(BOX, 0,
	       (int32_t)BAD_PTR, 100, 0, 0, 0, 0, (int32_t)&fd), __WASI_ERRNO_FAULT);
	expect("path_open result out of memory",
	       __wasi_path_open(BOX, 0, "file.txt", 0, RIGHTS_RW, 0, 0, BAD_PTR),
	       __WASI_ERRNO_FAULT);
	expect("clock_time_get result out of memory",
	       __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, BAD_PTR), __WASI_ERRNO_FAULT);
	expect("clock_time_get bad clock", __wasi_clock_time_get(99, 1, &t), __WASI_ERRNO_INVAL);
	expect("random_get out of memory", __wasi_random_get(BAD_PTR, 100), __WASI_ERRNO_FAULT);
	expect("args_get out of memory", __wasi_args_get(BAD_PTR, BAD_PTR), __WASI_ERRNO_FAULT);
	expect("poll_oneoff out of memory", __wasi_poll_oneoff(BAD_PTR, &ev, 1, &n),
	       __WASI_ERRNO_FAULT);
	expect("poll_oneoff no subscriptions", __wasi_poll_oneoff(&(__wasi_subscription_t){0}, &ev,
								  0, &n), __WASI_ERRNO_INVAL);
	expect("fd_readdir buffer out of memory",
	       __wasi_fd_readdir(BOX, BAD_PTR, 100, 0, &n), __WASI_ERRNO_FAULT);
	expect("prestat_dir_name out of memory", __wasi_fd_prestat_dir_name(BOX, BAD_PTR, 4),
	       __WASI_ERRNO_FAULT);
}

static void bad_fds(void)
{
	__wasi_size_t n;
	__wasi_fd_t fd;

	expect("fd_write to fd 99", __wasi_fd_write(99, &(__wasi_ciovec_t){(const uint8_t *)"x", 1},
						     1, &n), __WASI_ERRNO_BADF);
	expect("path_open relative to stdout",
	       __wasi_path_open(1, 0, "x", 0, 0, 0, 0, &fd), __WASI_ERRNO_NOTDIR);
	expect("fd_close 99", __wasi_fd_close(99), __WASI_ERRNO_BADF);
	expect("sock_accept on stdin (no SOCK_ACCEPT right)", __wasi_sock_accept(0, 0, &fd),
	       __WASI_ERRNO_NOTCAPABLE);
}

static void granted(void)
{
	__wasi_prestat_t pre;
	char name[16] = {0};

	expect("prestat fd 3", __wasi_fd_prestat_get(BOX, &pre), 0);
	expect("prestat name", __wasi_fd_prestat_dir_name(BOX, (uint8_t *)name, 4), 0);
	expect("prestat name is /box", strcmp(name, "/box") ? 1 : 0, 0);
	expect("prestat fd 4", __wasi_fd_prestat_get(4, &pre), __WASI_ERRNO_BADF);
}

static void no_dirs(void)
{
	__wasi_prestat_t pre;
	__wasi_fd_t fd;

	expect("prestat fd 3", __wasi_fd_prestat_get(3, &pre), __WASI_ERRNO_BADF);
	expect("path_open on fd 3", __wasi_path_open(3, 0, "x", 0, 0, 0, 0, &fd),
	       __WASI_ERRNO_BADF);
	expect("fopen x for writing", fopen("x", "w") ? 0 : E_CAP, E_CAP);
	expect("fopen /tmp/x for writing", fopen("/tmp/x", "w") ? 0 : E_CAP, E_CAP);
	expect("mkdir d", __wasi_path_create_directory(3, "d"), __WASI_ERRNO_BADF);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "nodir")) {
		no_dirs();
	} else {
		granted();
		opens();
		names();
		libc_level();
		bad_pointers();
		bad_fds();
	}
	printf("%s\n", failures ? "sandbox: FAILED" : "sandbox: all refused as they should be");
	return failures ? 1 : 0;
}
