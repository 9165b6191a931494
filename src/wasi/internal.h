/* SPDX-License-Identifier: MIT */
/*
 * Internals of wbpf's WASI preview1 host: shared by wasi.c (object, args,
 * clocks, random, proc), fd.c (fd table and fd_*), fs.c
 * (path_*), poll.c (poll_oneoff) and path.c (sandboxed path
 * resolution).
 *
 * Guest memory is little-endian and unaligned, so every field is read and
 * written byte by byte through the helpers below, and every guest pointer
 * goes through wbpf_caller__mem() first: a bad one yields WASI_EFAULT.
 */
#ifndef WBPF_WASI_INTERNAL_H
#define WBPF_WASI_INTERNAL_H

#include <dirent.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "wbpf/wasi.h"
#include "wbpf/wasm.h"

#define WASI_MODULE "wasi_snapshot_preview1"

/* WASI errno values used by the host (the full list is in the spec). */
enum {
	WASI_ESUCCESS = 0,
	WASI_EBADF = 8,
	WASI_EFAULT = 21,
	WASI_EINVAL = 28,
	WASI_EIO = 29,
	WASI_ENAMETOOLONG = 37,
	WASI_ENOSYS = 52,
	WASI_ENOTDIR = 54,
	WASI_ENOTSOCK = 57,
	WASI_ENOTSUP = 58,
	WASI_EPERM = 63,
	WASI_ENOTCAPABLE = 76,
};

enum {
	WASI_FILETYPE_UNKNOWN = 0,
	WASI_FILETYPE_BLOCK_DEVICE = 1,
	WASI_FILETYPE_CHARACTER_DEVICE = 2,
	WASI_FILETYPE_DIRECTORY = 3,
	WASI_FILETYPE_REGULAR_FILE = 4,
	WASI_FILETYPE_SOCKET_DGRAM = 5,
	WASI_FILETYPE_SOCKET_STREAM = 6,
	WASI_FILETYPE_SYMBOLIC_LINK = 7,
};

/* Rights (bit numbers from the spec). */
#define WASI_RIGHT(n) ((uint64_t)1 << (n))
#define WASI_RIGHT_FD_DATASYNC WASI_RIGHT(0)
#define WASI_RIGHT_FD_READ WASI_RIGHT(1)
#define WASI_RIGHT_FD_SEEK WASI_RIGHT(2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS WASI_RIGHT(3)
#define WASI_RIGHT_FD_SYNC WASI_RIGHT(4)
#define WASI_RIGHT_FD_TELL WASI_RIGHT(5)
#define WASI_RIGHT_FD_WRITE WASI_RIGHT(6)
#define WASI_RIGHT_FD_ADVISE WASI_RIGHT(7)
#define WASI_RIGHT_FD_ALLOCATE WASI_RIGHT(8)
#define WASI_RIGHT_PATH_CREATE_DIRECTORY WASI_RIGHT(9)
#define WASI_RIGHT_PATH_CREATE_FILE WASI_RIGHT(10)
#define WASI_RIGHT_PATH_LINK_SOURCE WASI_RIGHT(11)
#define WASI_RIGHT_PATH_LINK_TARGET WASI_RIGHT(12)
#define WASI_RIGHT_PATH_OPEN WASI_RIGHT(13)
#define WASI_RIGHT_FD_READDIR WASI_RIGHT(14)
#define WASI_RIGHT_PATH_READLINK WASI_RIGHT(15)
#define WASI_RIGHT_PATH_RENAME_SOURCE WASI_RIGHT(16)
#define WASI_RIGHT_PATH_RENAME_TARGET WASI_RIGHT(17)
#define WASI_RIGHT_PATH_FILESTAT_GET WASI_RIGHT(18)
#define WASI_RIGHT_PATH_FILESTAT_SET_SIZE WASI_RIGHT(19)
#define WASI_RIGHT_PATH_FILESTAT_SET_TIMES WASI_RIGHT(20)
#define WASI_RIGHT_FD_FILESTAT_GET WASI_RIGHT(21)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE WASI_RIGHT(22)
#define WASI_RIGHT_FD_FILESTAT_SET_TIMES WASI_RIGHT(23)
#define WASI_RIGHT_PATH_SYMLINK WASI_RIGHT(24)
#define WASI_RIGHT_PATH_REMOVE_DIRECTORY WASI_RIGHT(25)
#define WASI_RIGHT_PATH_UNLINK_FILE WASI_RIGHT(26)
#define WASI_RIGHT_POLL_FD_READWRITE WASI_RIGHT(27)
#define WASI_RIGHT_SOCK_SHUTDOWN WASI_RIGHT(28)
#define WASI_RIGHT_SOCK_ACCEPT WASI_RIGHT(29)
#define WASI_RIGHTS_RANGE(lo, hi) (WASI_RIGHT((hi) + 1) - WASI_RIGHT(lo))
/* What can apply to a file (or stream) and to a directory. */
#define WASI_RIGHTS_FILE (WASI_RIGHTS_RANGE(0, 8) | WASI_RIGHTS_RANGE(21, 23) | WASI_RIGHT(27))
#define WASI_RIGHTS_DIR (WASI_RIGHTS_RANGE(3, 4) | WASI_RIGHTS_RANGE(9, 21) | \
			 WASI_RIGHTS_RANGE(23, 27))
#define WASI_RIGHTS_READ (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR)
#define WASI_RIGHTS_WRITE (WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_WRITE | \
			   WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_SET_SIZE)
/* A terminal or pipe: no seek/tell, which is how wasi-libc's isatty()
 * tells a character device from a file. */
#define WASI_RIGHTS_STREAM (WASI_RIGHTS_FILE & ~(WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL))
/* A connected socket; a listening one adds SOCK_ACCEPT. */
#define WASI_RIGHTS_SOCKET (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE | \
			    WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_FILESTAT_GET | \
			    WASI_RIGHT_POLL_FD_READWRITE | WASI_RIGHT_SOCK_SHUTDOWN)

/* sock_recv's ri_flags and sock_shutdown's sdflags. */
enum {
	WASI_RIFLAG_PEEK = 1,
	WASI_RIFLAG_WAITALL = 2,
	WASI_SDFLAG_RD = 1,
	WASI_SDFLAG_WR = 2,
};

enum {
	WASI_FDFLAG_APPEND = 1,
	WASI_FDFLAG_DSYNC = 2,
	WASI_FDFLAG_NONBLOCK = 4,
	WASI_FDFLAG_RSYNC = 8,
	WASI_FDFLAG_SYNC = 16,
};

/* How a guest fd's reads and writes avoid blocking where no interrupt
 * can reach them (see io.c). */
enum wasi_io {
	WASI_IO_FILE,		/* files, directories, block devices: never wait */
	WASI_IO_NONBLOCK,	/* a stream description of our own, O_NONBLOCK */
	WASI_IO_SOCKET,		/* a socket shared with the embedder: MSG_DONTWAIT */
	WASI_IO_POLL,		/* another shared stream: poll, then small steps */
};

/* One guest fd. host < 0 marks a free slot. */
struct wasi_fd {
	int host;
	uint8_t type;		/* WASI_FILETYPE_* */
	uint8_t io;		/* enum wasi_io */
	uint16_t fdflags;	/* WASI_FDFLAG_*, as the guest sees them */
	/* The open file description is the embedder's too (inherited
	 * stdio): its flags are never changed. */
	bool shared;
	bool append;		/* shared file: append emulated by seeking */
	uint64_t rights, inheriting;
	char *preopen;		/* guest name of a preopened directory */
	DIR *dir;		/* fd_readdir position, opened on first use */
};

/* How paths are resolved beneath a directory: openat2(RESOLVE_BENEATH)
 * when the kernel has it, else a component-by-component walk. */
struct wasi_resolver {
	bool walk;
};

/* A list of NUL-terminated strings packed as the guest receives them. */
struct wasi_strings {
	char *buf;
	uint32_t count, size;
};

struct wbpf_wasi {
	struct wasi_strings args, env;
	struct wasi_fd *fds;
	uint32_t nfds;
	struct wasi_resolver resolver;
	int wake_fd;		/* eventfd written by wbpf_wasi__interrupt */
	atomic_bool interrupted;
	bool exited;
	int exit_code;
};

/* ---------------------------------------------------- guest memory */

static inline uint16_t wasi_get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t wasi_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t wasi_get_u64(const uint8_t *p)
{
	return (uint64_t)wasi_get_u32(p) | (uint64_t)wasi_get_u32(p + 4) << 32;
}

static inline void wasi_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void wasi_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void wasi_put_u64(uint8_t *p, uint64_t v)
{
	wasi_put_u32(p, (uint32_t)v);
	wasi_put_u32(p + 4, (uint32_t)(v >> 32));
}

/* Parameters arrive as raw slots; i32s sit in the low 32 bits. */
#define WASI_ARG32(s, i) ((uint32_t)(s)[i])
#define WASI_ARG64(s, i) ((s)[i])

/* Every host function: s[0..n) are its parameters, s[0] its errno. */
#define WASI_FN(name) int wasi_##name(struct wbpf_caller *c, uint64_t *s, void *user)

static inline int wasi_ret(uint64_t *s, uint16_t wasi_errno)
{
	s[0] = wasi_errno;
	return 0;
}

/* --------------------------------------------------------- wasi.c */

uint16_t wasi_errno(int host_errno);
/* For results of wasi_path__*: an escape is refused as "not capable". */
uint16_t wasi_errno_path(int host_errno);
/* Copies the guest string [addr, addr+len) into buf[PATH_MAX]. */
uint16_t wasi_path_arg(struct wbpf_caller *c, uint32_t addr, uint32_t len, char *buf);
/* How long a wait goes without looking at the store's interrupt flag,
 * which has no fd to poll. */
#define WASI_WAIT_SLICE_MS 20
/* Whether the guest must stop: wbpf_wasi__interrupt() or
 * wbpf_store__interrupt() was called. */
bool wasi_stopped(struct wbpf_wasi *w, struct wbpf_caller *c);
/* Waits for `events` on host fd `fd` (none if < 0) or an interrupt, at
 * most timeout_ms (< 0: no limit); 0 when ready or timed out, -EINTR when
 * the guest must stop. */
int wasi_wait_fd(struct wbpf_wasi *w, struct wbpf_caller *c, int fd, short events,
		 int timeout_ms);
/* The trap a host function returns when the guest must stop. */
int wasi_interrupted(struct wbpf_caller *c, const char *where);
uint8_t wasi_filetype(mode_t mode);
uint64_t wasi_timespec(const struct timespec *ts);

/* ---------------------------------------------------------- fd.c */

/* The open guest fd `fd`, or NULL. */
struct wasi_fd *wasi_fd__get(struct wbpf_wasi *w, uint32_t fd);
/* The open guest fd `fd` when it holds every right in `need`; else NULL
 * and *e is EBADF or ENOTCAPABLE. */
struct wasi_fd *wasi_fd__use(struct wbpf_wasi *w, uint32_t fd, uint64_t need, uint16_t *e);
/* Puts *f (its host fd owned from now on; < 0 leaves the slot free) at
 * guest fd `fd`. Returns 0 or a negative errno (host fd closed). */
int wasi_fd__place(struct wbpf_wasi *w, uint32_t fd, const struct wasi_fd *f);
/* Places *f at the lowest free guest fd above the standard streams and
 * returns that fd, or a negative errno (host fd closed). */
int wasi_fd__add(struct wbpf_wasi *w, const struct wasi_fd *f);
void wasi_fd__close(struct wasi_fd *f);
/* The rights host fd `host` can honour, from its type (terminals and
 * pipes cannot seek) and the mode it was opened with. */
uint64_t wasi_fd__rights(int host, uint8_t type);
/* Fills a 64-byte WASI filestat from a host stat. */
void wasi_filestat(uint8_t *out, const struct stat *st);
/* utimensat/futimens times from WASI (atim, mtim, fstflags), or -EINVAL. */
int wasi_times(struct timespec ts[2], uint64_t atim, uint64_t mtim, uint32_t fstflags);

WASI_FN(fd_advise);
WASI_FN(fd_allocate);
WASI_FN(fd_close);
WASI_FN(fd_datasync);
WASI_FN(fd_fdstat_get);
WASI_FN(fd_fdstat_set_rights);
WASI_FN(fd_filestat_get);
WASI_FN(fd_filestat_set_size);
WASI_FN(fd_filestat_set_times);
WASI_FN(fd_prestat_get);
WASI_FN(fd_prestat_dir_name);
WASI_FN(fd_readdir);
WASI_FN(fd_renumber);
WASI_FN(fd_seek);
WASI_FN(fd_sync);
WASI_FN(fd_tell);

/* ---------------------------------------------------------- io.c */

/* Fills *f for the embedder's host fd `host`, which stays the embedder's:
 * f->host is a reopened or duplicated descriptor. */
int wasi_io__stdio(struct wasi_fd *f, int host, const struct stat *st);
/* Opens `path` beneath dirfd (wasi_path__open flags) into f->host,
 * f->type and f->io, waiting where open(2) would block (FIFOs) where an
 * interrupt reaches it. Returns 0, -EINTR when interrupted, or -errno. */
int wasi_io__open(struct wbpf_wasi *w, struct wbpf_caller *c, struct wasi_fd *f, int dirfd,
		  const char *path, int flags, mode_t mode);
/* Keeps our descriptors off 0-2 even when the process closed its own:
 * fd itself, or a duplicate above 2 (fd closed); negative stays so. */
int wasi_fd_above_stdio(int fd);

WASI_FN(fd_fdstat_set_flags);
WASI_FN(fd_pread);
WASI_FN(fd_pwrite);
WASI_FN(fd_read);
WASI_FN(fd_write);
WASI_FN(sock_recv);
WASI_FN(sock_send);

/* -------------------------------------------------------- sock.c */

/* Gives the guest host socket `host` (listening or connected) as the
 * next free fd; wbpf owns the duplicate, made non-blocking. */
int wasi_sock__add(struct wbpf_wasi *w, int host);

WASI_FN(sock_accept);
WASI_FN(sock_shutdown);

/* ------------------------------------------------------ fs.c */

WASI_FN(path_create_directory);
WASI_FN(path_filestat_get);
WASI_FN(path_filestat_set_times);
WASI_FN(path_link);
WASI_FN(path_open);
WASI_FN(path_readlink);
WASI_FN(path_remove_directory);
WASI_FN(path_rename);
WASI_FN(path_symlink);
WASI_FN(path_unlink_file);

/* -------------------------------------------------------- poll.c */

WASI_FN(poll_oneoff);

/* -------------------------------------------------------- path.c */

/* Opens `path` beneath directory `dirfd` with open(2) `flags` (O_NOFOLLOW
 * applies to the last component). Returns an fd or a negative errno;
 * -EXDEV when the path would leave dirfd. */
int wasi_path__open(struct wasi_resolver *r, int dirfd, const char *path, int flags, mode_t mode);
/* Splits `path` for operations on a name itself (mkdir, unlink, rename,
 * symlink, link): returns the parent directory opened beneath dirfd
 * (O_PATH) and points *name at the last component inside `path`. */
int wasi_path__parent(struct wasi_resolver *r, int dirfd, char *path, const char **name);

#endif /* WBPF_WASI_INTERNAL_H */
