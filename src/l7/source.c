// SPDX-License-Identifier: MIT
/* Packet sources through libpcap: capture files (pcap and pcapng) and
 * live capture (libpcap uses the kernel's TPACKET_V3 mmap ring on Linux).
 * Live capture waits in poll() with a short timeout so that a duration
 * and a stop request are noticed even on a silent interface. The eBPF
 * socket source (sock.c) sits behind the same calls. */
#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "l7/internal.h"

struct wbpf_l7_source {
	pcap_t *pcap;
	struct l7_sock *sock;
	int linktype;
	bool live;
	volatile sig_atomic_t stop;
	struct wbpf_l7_pipeline *p;
};

static int set_filter(struct wbpf_l7_source *s, const char *filter, char *err, size_t err_len)
{
	struct bpf_program prog;
	int rc;

	if (!filter)
		return 0;
	if (pcap_compile(s->pcap, &prog, filter, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(err, err_len, "bad capture filter '%s': %s", filter, pcap_geterr(s->pcap));
		return -EINVAL;
	}
	rc = pcap_setfilter(s->pcap, &prog);
	if (rc)
		snprintf(err, err_len, "capture filter '%s': %s", filter, pcap_geterr(s->pcap));
	pcap_freecode(&prog);
	return rc ? -EINVAL : 0;
}

static struct wbpf_l7_source *finish_open(struct wbpf_l7_source *s, const char *what, const char *filter,
				     char *err, size_t err_len)
{
	s->linktype = pcap_datalink(s->pcap);
	if (!l7_linktype_supported(s->linktype)) {
		const char *name = pcap_datalink_val_to_name(s->linktype);

		snprintf(err, err_len, "%s: unsupported link type %d (%s)", what, s->linktype,
			 name ? name : "unknown");
		wbpf_l7_source__free(s);
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	if (set_filter(s, filter, err, err_len)) {
		wbpf_l7_source__free(s);
		errno = EINVAL;
		return NULL;
	}
	return s;
}

struct wbpf_l7_source *wbpf_l7_source__open_file(const char *path, const char *filter, char *err,
				       size_t err_len)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct wbpf_l7_source *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	s->pcap = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!s->pcap) {
		snprintf(err, err_len, "%s: not a readable capture file (%s)", path, perr);
		free(s);
		errno = EINVAL;
		return NULL;
	}
	return finish_open(s, path, filter, err, err_len);
}

struct wbpf_l7_source *wbpf_l7_source__open_live(const char *iface, const char *filter, char *err,
				       size_t err_len)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct wbpf_l7_source *s = calloc(1, sizeof(*s));
	int rc;

	if (!s) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	s->live = true;
	s->pcap = pcap_create(iface, perr);
	if (!s->pcap) {
		snprintf(err, err_len, "%s: %s", iface, perr);
		free(s);
		errno = ENODEV;
		return NULL;
	}
	/* Not immediate mode: libpcap would fall back to TPACKET_V2's fixed
	 * snaplen-sized frames (a few hundred in the ring); TPACKET_V3 packs
	 * packets into blocks, handed over when full or after the timeout. */
	pcap_set_snaplen(s->pcap, 262144);
	pcap_set_buffer_size(s->pcap, 64 << 20);
	pcap_set_timeout(s->pcap, 50);
	pcap_set_tstamp_precision(s->pcap, PCAP_TSTAMP_PRECISION_MICRO);
	rc = pcap_activate(s->pcap);
	if (rc < 0) {
		snprintf(err, err_len, "cannot capture on %s: %s", iface,
			 rc == PCAP_ERROR ? pcap_geterr(s->pcap) : pcap_statustostr(rc));
		wbpf_l7_source__free(s);
		errno = rc == PCAP_ERROR_PERM_DENIED ? EPERM : ENODEV;
		return NULL;
	}
	if (pcap_setnonblock(s->pcap, 1, perr)) {
		snprintf(err, err_len, "%s: %s", iface, perr);
		wbpf_l7_source__free(s);
		errno = EIO;
		return NULL;
	}
	return finish_open(s, iface, filter, err, err_len);
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct wbpf_l7_source *s = (struct wbpf_l7_source *)user;

	wbpf_l7_pipeline__feed(s->p, s->linktype, (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec,
			  bytes, h->caplen);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int run_live(struct wbpf_l7_source *s, uint64_t deadline, char *err, size_t err_len)
{
	struct pollfd pfd = {.fd = pcap_get_selectable_fd(s->pcap), .events = POLLIN};

	while (!s->stop) {
		uint64_t t = now_us();
		int ms = 100;

		if (deadline && t >= deadline)
			break;
		if (deadline && (deadline - t) / 1000 < 100)
			ms = (int)((deadline - t) / 1000) + 1;
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR) {
			snprintf(err, err_len, "capture: poll: %s", strerror(errno));
			return -errno;
		}
		if (pcap_dispatch(s->pcap, -1, on_packet, (u_char *)s) == PCAP_ERROR) {
			snprintf(err, err_len, "capture: %s", pcap_geterr(s->pcap));
			return -EIO;
		}
	}
	return 0;
}

static int run_file(struct wbpf_l7_source *s, char *err, size_t err_len)
{
	int rc;

	while (!s->stop) {
		rc = pcap_dispatch(s->pcap, 4096, on_packet, (u_char *)s);
		if (rc == 0)
			return 0;
		if (rc == PCAP_ERROR) {
			snprintf(err, err_len, "truncated or corrupt capture: %s", pcap_geterr(s->pcap));
			return -EIO;
		}
		if (rc == PCAP_ERROR_BREAK)
			return 0;
	}
	return 0;
}

struct wbpf_l7_source *wbpf_l7_source__open_socket(const struct wbpf_l7_sock_opts *opts, char *err,
					 size_t err_len)
{
	struct wbpf_l7_source *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	s->live = true;
	s->sock = l7_sock__open(opts, err, err_len);
	if (!s->sock) {
		int e = errno;

		free(s);
		errno = e;
		return NULL;
	}
	return s;
}

int wbpf_l7_source__sock_stats(const struct wbpf_l7_source *s, struct wbpf_l7_sock_stats *out)
{
	if (!s->sock)
		return -ENOTSUP;
	l7_sock__stats(s->sock, out);
	return 0;
}

int wbpf_l7_source__run(struct wbpf_l7_source *s, struct wbpf_l7_pipeline *p, uint64_t duration_us, char *err,
		   size_t err_len)
{
	s->p = p;
	if (s->sock)
		return l7_sock__run(s->sock, p, duration_us, &s->stop, err, err_len);
	if (s->live)
		return run_live(s, duration_us ? now_us() + duration_us : 0, err, err_len);
	return run_file(s, err, err_len);
}

void wbpf_l7_source__stop(struct wbpf_l7_source *s)
{
	s->stop = 1;
	if (s->pcap)
		pcap_breakloop(s->pcap);
}

uint64_t wbpf_l7_source__dropped(const struct wbpf_l7_source *s)
{
	struct pcap_stat st;
	struct wbpf_l7_sock_stats ss;

	if (s->sock) {
		l7_sock__stats(s->sock, &ss);
		return ss.lost;
	}
	if (!s->live || pcap_stats(s->pcap, &st))
		return 0;
	return st.ps_drop;
}

void wbpf_l7_source__free(struct wbpf_l7_source *s)
{
	if (!s)
		return;
	if (s->pcap)
		pcap_close(s->pcap);
	l7_sock__free(s->sock);
	free(s);
}
