// SPDX-License-Identifier: MIT
/*
 * WASI preview1: the object, arguments and environment, clocks, random,
 * process control, and the table of host functions.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "wasi/internal.h"

/* ---------------------------------------------------------- errors */

/* Host errnos that keep their meaning under another WASI number. Anything
 * unlisted becomes EIO rather than a misleading code. */
static const struct {
	int host;
	uint16_t wasi;
} errno_map[] = {
	{E2BIG, 1}, {EACCES, 2}, {EADDRINUSE, 3}, {EADDRNOTAVAIL, 4}, {EAFNOSUPPORT, 5},
	{EAGAIN, 6}, {EALREADY, 7}, {EBADF, 8}, {EBADMSG, 9}, {EBUSY, 10}, {ECANCELED, 11},
	{ECHILD, 12}, {ECONNABORTED, 13}, {ECONNREFUSED, 14}, {ECONNRESET, 15},
	{EDEADLK, 16}, {EDESTADDRREQ, 17}, {EDOM, 18}, {EDQUOT, 19}, {EEXIST, 20},
	{EFAULT, 21}, {EFBIG, 22}, {EHOSTUNREACH, 23}, {EIDRM, 24}, {EILSEQ, 25},
	{EINPROGRESS, 26}, {EINTR, 27}, {EINVAL, 28}, {EIO, 29}, {EISCONN, 30},
	{EISDIR, 31}, {ELOOP, 32}, {EMFILE, 33}, {EMLINK, 34}, {EMSGSIZE, 35},
	{EMULTIHOP, 36}, {ENAMETOOLONG, 37}, {ENETDOWN, 38}, {ENETRESET, 39},
	{ENETUNREACH, 40}, {ENFILE, 41}, {ENOBUFS, 42}, {ENODEV, 43}, {ENOENT, 44},
	{ENOEXEC, 45}, {ENOLCK, 46}, {ENOLINK, 47}, {ENOMEM, 48}, {ENOMSG, 49},
	{ENOPROTOOPT, 50}, {ENOSPC, 51}, {ENOSYS, 52}, {ENOTCONN, 53}, {ENOTDIR, 54},
	{ENOTEMPTY, 55}, {ENOTRECOVERABLE, 56}, {ENOTSOCK, 57}, {ENOTSUP, 58},
	{ENOTTY, 59}, {ENXIO, 60}, {EOVERFLOW, 61}, {EOWNERDEAD, 62}, {EPERM, 63},
	{EPIPE, 64}, {EPROTO, 65}, {EPROTONOSUPPORT, 66}, {EPROTOTYPE, 67},
	{ERANGE, 68}, {EROFS, 69}, {ESPIPE, 70}, {ESRCH, 71}, {ESTALE, 72},
	{ETIMEDOUT, 73}, {ETXTBSY, 74}, {EXDEV, 75},
};

uint16_t wasi_errno(int host_errno)
{
	if (host_errno < 0)
		host_errno = -host_errno;
	if (host_errno == 0)
		return WASI_ESUCCESS;
	/* Linux spells some of these twice. */
	if (host_errno == EWOULDBLOCK)
		host_errno = EAGAIN;
	if (host_errno == EOPNOTSUPP)
		host_errno = ENOTSUP;
	for (size_t i = 0; i < sizeof(errno_map) / sizeof(errno_map[0]); i++)
		if (errno_map[i].host == host_errno)
			return errno_map[i].wasi;
	return WASI_EIO;
}

uint16_t wasi_errno_path(int host_errno)
{
	return host_errno == -EXDEV || host_errno == EXDEV ? WASI_ENOTCAPABLE
							    : wasi_errno(host_errno);
}

uint16_t wasi_path_arg(struct wbpf_caller *c, uint32_t addr, uint32_t len, char *buf)
{
	const char *p = wbpf_caller__mem(c, addr, len);

	if (!p)
		return WASI_EFAULT;
	if (len >= PATH_MAX)
		return WASI_ENAMETOOLONG;
	/* The kernel would stop at a NUL and act on a different path. */
	if (memchr(p, '\0', len))
		return WASI_EINVAL;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return WASI_ESUCCESS;
}

uint8_t wasi_filetype(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFBLK: return WASI_FILETYPE_BLOCK_DEVICE;
	case S_IFCHR: return WASI_FILETYPE_CHARACTER_DEVICE;
	case S_IFDIR: return WASI_FILETYPE_DIRECTORY;
	case S_IFREG: return WASI_FILETYPE_REGULAR_FILE;
	case S_IFLNK: return WASI_FILETYPE_SYMBOLIC_LINK;
	case S_IFSOCK: return WASI_FILETYPE_SOCKET_STREAM;
	}
	return WASI_FILETYPE_UNKNOWN; /* FIFOs have no WASI type */
}

uint64_t wasi_timespec(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

/* ------------------------------------------------------- interrupts */

bool wasi_stopped(struct wbpf_wasi *w, struct wbpf_caller *c)
{
	return atomic_load(&w->interrupted) || wbpf_caller__interrupted(c);
}

int wasi_wait_fd(struct wbpf_wasi *w, struct wbpf_caller *c, int fd, short events,
		 int timeout_ms)
{
	struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = w->wake_fd, .events = POLLIN}};

	for (;;) {
		int slice = timeout_ms < 0 || timeout_ms > WASI_WAIT_SLICE_MS ? WASI_WAIT_SLICE_MS
									       : timeout_ms;
		int n;

		if (wasi_stopped(w, c))
			return -EINTR;
		/* On a poll error the call itself reports what is wrong. */
		n = poll(p, 2, slice);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != 0 || (timeout_ms >= 0 && (timeout_ms -= slice) <= 0))
			return wasi_stopped(w, c) ? -EINTR : 0;
	}
}

int wasi_interrupted(struct wbpf_caller *c, const char *where)
{
	return wbpf_caller__trap(c, "interrupted while blocked in %s", where);
}

void wbpf_wasi__interrupt(struct wbpf_wasi *wasi)
{
	uint64_t one = 1;

	atomic_store(&wasi->interrupted, true);
	/* Only fails when the counter is saturated: already awake. */
	if (write(wasi->wake_fd, &one, sizeof(one)) < 0)
		return;
}

/* ------------------------------------------------- args, environment */

static int strings__init(struct wasi_strings *l, const char *const *v, size_t n)
{
	size_t size = 0;

	for (size_t i = 0; i < n; i++)
		size += strlen(v[i]) + 1;
	if (n > UINT32_MAX / 4 || size > UINT32_MAX)
		return -E2BIG;
	l->buf = malloc(size ? size : 1);
	if (!l->buf)
		return -ENOMEM;
	l->count = (uint32_t)n;
	l->size = (uint32_t)size;
	size = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i]) + 1;

		memcpy(l->buf + size, v[i], len);
		size += len;
	}
	return 0;
}

/* Writes the pointer array at `ptrs` and the strings at `buf`. */
static uint16_t strings__get(const struct wasi_strings *l, struct wbpf_caller *c, uint32_t ptrs,
			     uint32_t buf)
{
	uint8_t *p = wbpf_caller__mem(c, ptrs, (uint64_t)l->count * 4);
	char *b = wbpf_caller__mem(c, buf, l->size);
	uint32_t off = 0;

	if (!p || !b)
		return WASI_EFAULT;
	memcpy(b, l->buf, l->size);
	for (uint32_t i = 0; i < l->count; i++) {
		wasi_put_u32(p + 4 * i, buf + off);
		off += (uint32_t)strlen(l->buf + off) + 1;
	}
	return WASI_ESUCCESS;
}

static uint16_t strings__sizes(const struct wasi_strings *l, struct wbpf_caller *c,
			       uint32_t count_ptr, uint32_t size_ptr)
{
	uint8_t *n = wbpf_caller__mem(c, count_ptr, 4);
	uint8_t *sz = wbpf_caller__mem(c, size_ptr, 4);

	if (!n || !sz)
		return WASI_EFAULT;
	wasi_put_u32(n, l->count);
	wasi_put_u32(sz, l->size);
	return WASI_ESUCCESS;
}

static WASI_FN(args_get)
{
	return wasi_ret(s, strings__get(&((struct wbpf_wasi *)user)->args, c, WASI_ARG32(s, 0),
					WASI_ARG32(s, 1)));
}

static WASI_FN(args_sizes_get)
{
	return wasi_ret(s, strings__sizes(&((struct wbpf_wasi *)user)->args, c, WASI_ARG32(s, 0),
					  WASI_ARG32(s, 1)));
}

static WASI_FN(environ_get)
{
	return wasi_ret(s, strings__get(&((struct wbpf_wasi *)user)->env, c, WASI_ARG32(s, 0),
					WASI_ARG32(s, 1)));
}

static WASI_FN(environ_sizes_get)
{
	return wasi_ret(s, strings__sizes(&((struct wbpf_wasi *)user)->env, c, WASI_ARG32(s, 0),
					  WASI_ARG32(s, 1)));
}

/* ----------------------------------------------------------- clocks */

static int clock_of(uint32_t id, clockid_t *out)
{
	static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
					CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};

	if (id >= sizeof(ids) / sizeof(ids[0]))
		return -EINVAL;
	*out = ids[id];
	return 0;
}

/* clock_res_get and clock_time_get: the clock id in slot 0, the result
 * pointer in slot `out_arg`, `query` the host call. */
static int clock_query(struct wbpf_caller *c, uint64_t *s, int out_arg,
		       int (*query)(clockid_t, struct timespec *))
{
	uint8_t *out = wbpf_caller__mem(c, WASI_ARG32(s, out_arg), 8);
	struct timespec ts;
	clockid_t id;

	if (clock_of(WASI_ARG32(s, 0), &id))
		return wasi_ret(s, WASI_EINVAL);
	if (!out)
		return wasi_ret(s, WASI_EFAULT);
	if (query(id, &ts))
		return wasi_ret(s, wasi_errno(errno));
	wasi_put_u64(out, wasi_timespec(&ts));
	return wasi_ret(s, WASI_ESUCCESS);
}

static WASI_FN(clock_res_get)
{
	(void)user;
	return clock_query(c, s, 1, clock_getres);
}

/* s: id, precision (ignored: the host clock is as precise as it gets), ptr */
static WASI_FN(clock_time_get)
{
	(void)user;
	return clock_query(c, s, 2, clock_gettime);
}

/* ---------------------------------------------------- random, proc */

static WASI_FN(random_get)
{
	uint32_t len = WASI_ARG32(s, 1);
	uint8_t *buf = wbpf_caller__mem(c, WASI_ARG32(s, 0), len);

	(void)user;
	if (!buf)
		return wasi_ret(s, WASI_EFAULT);
	/* getrandom() may return less than asked for large buffers. */
	for (uint32_t done = 0; done < len;) {
		ssize_t n = getrandom(buf + done, len - done, 0);

		if (n < 0 && errno != EINTR)
			return wasi_ret(s, wasi_errno(errno));
		if (n > 0)
			done += (uint32_t)n;
	}
	return wasi_ret(s, WASI_ESUCCESS);
}

static WASI_FN(proc_exit)
{
	struct wbpf_wasi *w = user;

	(void)s;
	w->exited = true;
	/* WASI exit codes are u32; a process status keeps what the host
	 * keeps (the low 8 bits), as a native exit() would. */
	w->exit_code = (int)(WASI_ARG32(s, 0) & 0xff);
	return wbpf_caller__exit(c, w->exit_code);
}

static WASI_FN(sched_yield)
{
	(void)c;
	(void)user;
	sched_yield();
	return wasi_ret(s, WASI_ESUCCESS);
}

/* proc_raise and sockets: linked so that modules load, never served. */
static WASI_FN(nosys)
{
	(void)c;
	(void)user;
	return wasi_ret(s, WASI_ENOSYS);
}

/* -------------------------------------------------------------- object */

static void set_err(struct wbpf_error *err, const char *fmt, const char *arg, int e)
{
	if (!err)
		return;
	err->kind = e == ENOMEM ? WBPF_ERR_NOMEM : WBPF_ERR_ARG;
	err->trap = WBPF_TRAP_NONE;
	snprintf(err->msg, sizeof(err->msg), fmt, arg, strerror(e));
}

static int add_stdio(struct wbpf_wasi *w, const int *stdio)
{
	for (uint32_t i = 0; i < 3; i++) {
		int host = stdio ? stdio[i] : (int)i, ret;
		struct wasi_fd f;
		struct stat st;

		/* A closed stream stays closed: its guest fd is free. */
		if (host < 0 || fstat(host, &st))
			continue;
		ret = wasi_io__stdio(&f, host, &st);
		if (!ret)
			ret = wasi_fd__place(w, i, &f);
		if (ret)
			return ret;
	}
	return 0;
}

static int add_preopen(struct wbpf_wasi *w, const struct wbpf_wasi_preopen *p,
		       struct wbpf_error *err)
{
	const char *guest = p->guest_path ? p->guest_path : p->host_path;
	struct wasi_fd f = {
		.host = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC),
		.type = WASI_FILETYPE_DIRECTORY,
		.io = WASI_IO_FILE,
		.rights = WASI_RIGHTS_DIR,
		.inheriting = WASI_RIGHTS_DIR | WASI_RIGHTS_FILE,
	};
	int fd;

	if (f.host < 0) {
		set_err(err, "cannot open directory '%s': %s", p->host_path, errno);
		return -errno;
	}
	fd = wasi_fd__add(w, &f);
	if (fd < 0)
		return fd;
	w->fds[fd].preopen = strdup(guest);
	return w->fds[fd].preopen ? 0 : -ENOMEM;
}

static int wasi__init(struct wbpf_wasi *w, const struct wbpf_wasi_opts *o, struct wbpf_error *err)
{
	int ret;

	w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->wake_fd < 0)
		return -errno;
	ret = strings__init(&w->args, o->argv, o->argc);
	if (!ret)
		ret = strings__init(&w->env, o->env, o->envc);
	if (ret) {
		set_err(err, "%s: %s", "arguments and environment", -ret);
		return ret;
	}
	ret = add_stdio(w, o->stdio);
	for (size_t i = 0; !ret && i < o->npreopens; i++)
		ret = add_preopen(w, &o->preopens[i], err);
	for (size_t i = 0; !ret && i < o->nsockets; i++) {
		char name[16];

		ret = wasi_sock__add(w, o->sockets[i]);
		ret = ret < 0 ? ret : 0;
		snprintf(name, sizeof(name), "%d", o->sockets[i]);
		if (ret)
			set_err(err, "socket fd %s: %s", name, -ret);
	}
	if (ret && err && !err->msg[0])
		set_err(err, "%s: %s", "wasi", -ret);
	return ret;
}

struct wbpf_wasi *wbpf_wasi__new(const struct wbpf_wasi_opts *opts, struct wbpf_error *err)
{
	struct wbpf_wasi *w;
	int ret;

	if (err)
		err->msg[0] = '\0';
	if (!opts || opts->sz < sizeof(*opts) || (opts->argc && !opts->argv) ||
	    (opts->envc && !opts->env) || (opts->npreopens && !opts->preopens) ||
	    (opts->nsockets && !opts->sockets)) {
		set_err(err, "%s: %s", "wasi options", EINVAL);
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		set_err(err, "%s: %s", "wasi", ENOMEM);
		errno = ENOMEM;
		return NULL;
	}
	w->wake_fd = -1;
	ret = wasi__init(w, opts, err);
	if (ret) {
		wbpf_wasi__free(w);
		errno = -ret;
		return NULL;
	}
	return w;
}

void wbpf_wasi__free(struct wbpf_wasi *wasi)
{
	if (!wasi)
		return;
	for (uint32_t i = 0; i < wasi->nfds; i++)
		wasi_fd__close(&wasi->fds[i]);
	free(wasi->fds);
	free(wasi->args.buf);
	free(wasi->env.buf);
	if (wasi->wake_fd >= 0)
		close(wasi->wake_fd);
	free(wasi);
}

bool wbpf_wasi__exited(const struct wbpf_wasi *wasi, int *code)
{
	if (wasi->exited && code)
		*code = wasi->exit_code;
	return wasi->exited;
}

/* --------------------------------------------------------- the table */

static const struct {
	const char *name, *sig;
	wbpf_host_fn fn;
} wasi_funcs[] = {
	{"args_get", "(ii)i", wasi_args_get},
	{"args_sizes_get", "(ii)i", wasi_args_sizes_get},
	{"environ_get", "(ii)i", wasi_environ_get},
	{"environ_sizes_get", "(ii)i", wasi_environ_sizes_get},
	{"clock_res_get", "(ii)i", wasi_clock_res_get},
	{"clock_time_get", "(iIi)i", wasi_clock_time_get},
	{"fd_advise", "(iIIi)i", wasi_fd_advise},
	{"fd_allocate", "(iII)i", wasi_fd_allocate},
	{"fd_close", "(i)i", wasi_fd_close},
	{"fd_datasync", "(i)i", wasi_fd_datasync},
	{"fd_fdstat_get", "(ii)i", wasi_fd_fdstat_get},
	{"fd_fdstat_set_flags", "(ii)i", wasi_fd_fdstat_set_flags},
	{"fd_fdstat_set_rights", "(iII)i", wasi_fd_fdstat_set_rights},
	{"fd_filestat_get", "(ii)i", wasi_fd_filestat_get},
	{"fd_filestat_set_size", "(iI)i", wasi_fd_filestat_set_size},
	{"fd_filestat_set_times", "(iIIi)i", wasi_fd_filestat_set_times},
	{"fd_pread", "(iiiIi)i", wasi_fd_pread},
	{"fd_prestat_get", "(ii)i", wasi_fd_prestat_get},
	{"fd_prestat_dir_name", "(iii)i", wasi_fd_prestat_dir_name},
	{"fd_pwrite", "(iiiIi)i", wasi_fd_pwrite},
	{"fd_read", "(iiii)i", wasi_fd_read},
	{"fd_readdir", "(iiiIi)i", wasi_fd_readdir},
	{"fd_renumber", "(ii)i", wasi_fd_renumber},
	{"fd_seek", "(iIii)i", wasi_fd_seek},
	{"fd_sync", "(i)i", wasi_fd_sync},
	{"fd_tell", "(ii)i", wasi_fd_tell},
	{"fd_write", "(iiii)i", wasi_fd_write},
	{"path_create_directory", "(iii)i", wasi_path_create_directory},
	{"path_filestat_get", "(iiiii)i", wasi_path_filestat_get},
	{"path_filestat_set_times", "(iiiiIIi)i", wasi_path_filestat_set_times},
	{"path_link", "(iiiiiii)i", wasi_path_link},
	{"path_open", "(iiiiiIIii)i", wasi_path_open},
	{"path_readlink", "(iiiiii)i", wasi_path_readlink},
	{"path_remove_directory", "(iii)i", wasi_path_remove_directory},
	{"path_rename", "(iiiiii)i", wasi_path_rename},
	{"path_symlink", "(iiiii)i", wasi_path_symlink},
	{"path_unlink_file", "(iii)i", wasi_path_unlink_file},
	{"poll_oneoff", "(iiii)i", wasi_poll_oneoff},
	{"proc_exit", "(i)", wasi_proc_exit},
	{"proc_raise", "(i)i", wasi_nosys},
	{"random_get", "(ii)i", wasi_random_get},
	{"sched_yield", "()i", wasi_sched_yield},
	{"sock_accept", "(iii)i", wasi_sock_accept},
	{"sock_recv", "(iiiiii)i", wasi_sock_recv},
	{"sock_send", "(iiiii)i", wasi_sock_send},
	{"sock_shutdown", "(ii)i", wasi_sock_shutdown},
};

int wbpf_wasi__define(struct wbpf_wasi *wasi, struct wbpf_store *store)
{
	for (size_t i = 0; i < sizeof(wasi_funcs) / sizeof(wasi_funcs[0]); i++) {
		int ret = wbpf_store__define_func(store, WASI_MODULE, wasi_funcs[i].name,
						  wasi_funcs[i].sig, wasi_funcs[i].fn, wasi);

		if (ret)
			return ret;
	}
	return 0;
}
