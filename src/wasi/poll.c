// SPDX-License-Identifier: MIT
/*
 * WASI preview1: poll_oneoff, which wasi-libc uses for poll(), select()
 * and every sleep. Clock subscriptions become one ppoll() timeout, fd
 * subscriptions its pollfds, and the interrupt eventfd rides along so
 * that a deadline set by the embedder ends even a long sleep.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "wasi/internal.h"

#define SUB_SIZE 48
#define EVENT_SIZE 32
/* Like poll()'s RLIMIT_NOFILE bound: keeps the host's arrays small. */
#define POLL_MAX_SUBS 65536u

enum { EV_CLOCK = 0, EV_FD_READ = 1, EV_FD_WRITE = 2 };
#define SUBCLOCK_ABSTIME 1
#define EVENTRW_HANGUP 1

struct poll_sub {
	uint64_t userdata;
	uint64_t deadline;	/* clock: CLOCK_MONOTONIC ns */
	uint16_t error;		/* already decided: reported at once */
	uint8_t type;
};

struct poll_state {
	struct poll_sub *subs;
	struct pollfd *pfds;	/* one per sub (fd -1 for clocks), then wake_fd */
	uint32_t n;
	uint64_t first_deadline;
	bool immediate;
};

static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return wasi_timespec(&ts);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static void sub__clock(struct poll_state *ps, struct poll_sub *sub, const uint8_t *raw,
		       uint64_t mono)
{
	static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
					CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
	uint32_t id = wasi_get_u32(raw + 16);
	uint64_t timeout = wasi_get_u64(raw + 24), rel = timeout;

	if (id >= sizeof(ids) / sizeof(ids[0])) {
		sub->error = WASI_EINVAL;
		return;
	}
	/* An absolute time on any clock becomes a distance from now. */
	if (wasi_get_u16(raw + 40) & SUBCLOCK_ABSTIME) {
		uint64_t now = now_ns(ids[id]);

		rel = timeout > now ? timeout - now : 0;
	}
	sub->deadline = sat_add(mono, rel);
	if (sub->deadline < ps->first_deadline)
		ps->first_deadline = sub->deadline;
}

static void sub__fd(struct wbpf_wasi *w, struct poll_sub *sub, struct pollfd *pfd,
		    const uint8_t *raw)
{
	/* The spec: poll_fd_readwrite, with fd_read or fd_write. */
	uint64_t need = WASI_RIGHT_POLL_FD_READWRITE |
			(sub->type == EV_FD_READ ? WASI_RIGHT_FD_READ : WASI_RIGHT_FD_WRITE);
	struct wasi_fd *f = wasi_fd__use(w, wasi_get_u32(raw + 16), need, &sub->error);

	if (!f)
		return;
	pfd->fd = f->host;
	pfd->events = sub->type == EV_FD_READ ? POLLIN : POLLOUT;
}

static void poll__parse(struct wbpf_wasi *w, struct poll_state *ps, const uint8_t *in)
{
	uint64_t mono = now_ns(CLOCK_MONOTONIC);

	ps->first_deadline = UINT64_MAX;
	for (uint32_t i = 0; i < ps->n; i++) {
		const uint8_t *raw = in + (size_t)i * SUB_SIZE;
		struct poll_sub *sub = &ps->subs[i];

		*sub = (struct poll_sub){.userdata = wasi_get_u64(raw), .type = raw[8]};
		ps->pfds[i] = (struct pollfd){.fd = -1};
		if (sub->type == EV_CLOCK)
			sub__clock(ps, sub, raw, mono);
		else if (sub->type == EV_FD_READ || sub->type == EV_FD_WRITE)
			sub__fd(w, sub, &ps->pfds[i], raw);
		else
			sub->error = WASI_EINVAL;
		ps->immediate |= sub->error != 0;
	}
	ps->pfds[ps->n] = (struct pollfd){.fd = w->wake_fd, .events = POLLIN};
}

/* Bytes ready to read: what is queued on a stream, what is left of a
 * file; 0 when the host cannot tell. */
static uint64_t fd_nbytes(int fd)
{
	struct stat st;
	off_t pos;
	int n;

	if (!fstat(fd, &st) && S_ISREG(st.st_mode)) {
		pos = lseek(fd, 0, SEEK_CUR);
		return pos >= 0 && st.st_size > pos ? (uint64_t)(st.st_size - pos) : 0;
	}
	return ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? (uint64_t)n : 0;
}

static bool sub__ready(const struct poll_sub *sub, const struct pollfd *pfd, uint64_t mono)
{
	if (sub->error)
		return true;
	if (sub->type == EV_CLOCK)
		return mono >= sub->deadline;
	return pfd->revents != 0;
}

static void event__put(uint8_t *ev, const struct poll_sub *sub, const struct pollfd *pfd)
{
	uint16_t error = sub->error;

	memset(ev, 0, EVENT_SIZE);
	wasi_put_u64(ev, sub->userdata);
	ev[10] = sub->type;
	if (!error && sub->type != EV_CLOCK) {
		if (pfd->revents & POLLNVAL)
			error = WASI_EBADF;
		else if ((pfd->revents & POLLERR) && !(pfd->revents & POLLHUP))
			error = WASI_EIO;
		if (sub->type == EV_FD_READ)
			wasi_put_u64(ev + 16, fd_nbytes(pfd->fd));
		if (pfd->revents & POLLHUP)
			wasi_put_u16(ev + 24, EVENTRW_HANGUP);
	}
	wasi_put_u16(ev + 8, error);
}

static uint32_t poll__collect(struct poll_state *ps, uint8_t *out)
{
	uint64_t mono = now_ns(CLOCK_MONOTONIC);
	uint32_t n = 0;

	for (uint32_t i = 0; i < ps->n; i++)
		if (sub__ready(&ps->subs[i], &ps->pfds[i], mono))
			event__put(out + (size_t)n++ * EVENT_SIZE, &ps->subs[i], &ps->pfds[i]);
	return n;
}

/* The ppoll() timeout until the first clock fires, at most a wait slice
 * (the store's interrupt flag has no fd to poll). */
static const struct timespec *poll__timeout(const struct poll_state *ps, struct timespec *ts)
{
	uint64_t mono = now_ns(CLOCK_MONOTONIC), left = WASI_WAIT_SLICE_MS * 1000000ull;

	if (ps->immediate || ps->first_deadline <= mono)
		left = 0;
	else if (ps->first_deadline - mono < left)
		left = ps->first_deadline - mono;
	*ts = (struct timespec){.tv_sec = (time_t)(left / 1000000000u),
				.tv_nsec = (long)(left % 1000000000u)};
	return ts;
}

/* Waits until something is ready. -EINTR when the guest must stop. */
static int poll__wait(struct wbpf_wasi *w, struct wbpf_caller *c, struct poll_state *ps,
		      uint8_t *out, uint32_t *n)
{
	for (;;) {
		struct timespec ts;

		if (wasi_stopped(w, c))
			return -EINTR;
		/* A host signal (EINTR) or an early wake-up just goes round. */
		if (ppoll(ps->pfds, ps->n + 1, poll__timeout(ps, &ts), NULL) < 0 && errno != EINTR)
			return -errno;
		if (wasi_stopped(w, c))
			return -EINTR;
		*n = poll__collect(ps, out);
		if (*n || ps->immediate)
			return 0;
	}
}

/* s: in (subscriptions), out (events), nsubscriptions, nevents pointer */
WASI_FN(poll_oneoff)
{
	struct wbpf_wasi *w = user;
	uint32_t nsubs = WASI_ARG32(s, 2), nev = 0;
	const uint8_t *in = wbpf_caller__mem(c, WASI_ARG32(s, 0), (uint64_t)nsubs * SUB_SIZE);
	uint8_t *out = wbpf_caller__mem(c, WASI_ARG32(s, 1), (uint64_t)nsubs * EVENT_SIZE);
	uint8_t *nout = wbpf_caller__mem(c, WASI_ARG32(s, 3), 4);
	struct poll_state ps = {.n = nsubs};
	int ret;

	if (!nsubs || nsubs > POLL_MAX_SUBS)
		return wasi_ret(s, WASI_EINVAL);
	if (!in || !out || !nout)
		return wasi_ret(s, WASI_EFAULT);
	ps.subs = calloc(nsubs, sizeof(*ps.subs));
	ps.pfds = calloc(nsubs + 1, sizeof(*ps.pfds));
	if (!ps.subs || !ps.pfds) {
		ret = -ENOMEM;
	} else {
		poll__parse(w, &ps, in);
		ret = poll__wait(w, c, &ps, out, &nev);
	}
	free(ps.subs);
	free(ps.pfds);
	if (ret == -EINTR)
		return wasi_interrupted(c, "poll_oneoff");
	if (ret)
		return wasi_ret(s, wasi_errno(ret));
	wasi_put_u32(nout, nev);
	return wasi_ret(s, WASI_ESUCCESS);
}
