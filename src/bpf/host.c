// SPDX-License-Identifier: MIT
/* The per-instance host: permissions, the handle table, teardown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bpf/internal.h"

static const char *const kind_names[WBPF_ATTACH__MAX] = {
	[WBPF_ATTACH_TRACEPOINT] = "tracepoint",
	[WBPF_ATTACH_RAW_TP] = "raw_tp",
	[WBPF_ATTACH_TP_BTF] = "tp_btf",
	[WBPF_ATTACH_UPROBE] = "uprobe",
	[WBPF_ATTACH_SOCKET] = "socket",
	[WBPF_ATTACH_CGROUP] = "cgroup",
	[WBPF_ATTACH_XDP] = "xdp",
	[WBPF_ATTACH_KPROBE] = "kprobe",
	[WBPF_ATTACH_FENTRY] = "fentry",
	[WBPF_ATTACH_LSM] = "lsm",
	[WBPF_ATTACH_PERF_EVENT] = "perf_event",
	[WBPF_ATTACH_USDT] = "usdt",
	[WBPF_ATTACH_ITER] = "iter",
	[WBPF_ATTACH_OTHER] = "other",
};

const char *wbpf_bpf_attach_kind__str(enum wbpf_bpf_attach_kind kind)
{
	return (unsigned)kind < WBPF_ATTACH__MAX ? kind_names[kind] : "unknown";
}

int wbpf_bpf_attach_kind__parse(const char *name)
{
	for (int i = 0; i < WBPF_ATTACH__MAX; i++)
		if (name && strcmp(name, kind_names[i]) == 0)
			return i;
	return -EINVAL;
}

struct wbpf_bpf_host *wbpf_bpf_host__new(const struct wbpf_bpf_host_opts *opts)
{
	struct wbpf_bpf_host *host = calloc(1, sizeof(*host));

	if (!host)
		return NULL;
	host->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (host->wake_fd < 0) {
		free(host);
		return NULL;
	}
	host->handles.max = 4096;
	if (opts && opts->max_handles)
		host->handles.max = opts->max_handles;
	host->quiet = opts && opts->quiet;
	if (opts && opts->cgroup_root && !(host->cgroup_root = strdup(opts->cgroup_root))) {
		wbpf_bpf_host__free(host);
		return NULL;
	}
	/* Observing kernel events is the point of a wbpf guest; these kinds
	 * cannot change what the kernel or other processes do. */
	host->allowed[WBPF_ATTACH_TRACEPOINT] = true;
	host->allowed[WBPF_ATTACH_RAW_TP] = true;
	host->allowed[WBPF_ATTACH_TP_BTF] = true;
	/* Gated further by the lists of binaries and interfaces. */
	host->allowed[WBPF_ATTACH_UPROBE] = true;
	host->allowed[WBPF_ATTACH_SOCKET] = true;
	host->allowed[WBPF_ATTACH_XDP] = true;
	return host;
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* Links first (they pin programs), then buffers, then objects. */
static void release_all(struct wbpf_bpf_host *host)
{
	struct handle_table *t = &host->handles;
	void *p;

	for (uint32_t i = 0; i < t->len; i++)
		if ((p = htable_slot(t, i, WBPF_HANDLE_LINK)))
			link_release(host, p);
	for (uint32_t i = 0; i < t->len; i++) {
		if ((p = htable_slot(t, i, WBPF_HANDLE_RINGBUF)) ||
		    (p = htable_slot(t, i, WBPF_HANDLE_PERFBUF)))
			buffer_release(host, p);
	}
	for (uint32_t i = 0; i < t->len; i++)
		if ((p = htable_slot(t, i, WBPF_HANDLE_OBJECT)))
			obj_release(host, p);
}

void wbpf_bpf_host__free(struct wbpf_bpf_host *host)
{
	if (!host)
		return;
	release_all(host);
	htable_release(&host->handles);
	free_list(host->uprobe_bins, host->n_uprobe_bins);
	free_list(host->ifaces, host->n_ifaces);
	free(host->cgroup_root);
	close(host->wake_fd);
	free(host);
}

int wbpf_bpf_host__allow_attach(struct wbpf_bpf_host *host, enum wbpf_bpf_attach_kind kind)
{
	if ((unsigned)kind >= WBPF_ATTACH__MAX)
		return -EINVAL;
	host->allowed[kind] = true;
	return 0;
}

static int list_add(char ***list, size_t *n, const char *s)
{
	char **l;

	if (!s || !*s)
		return -EINVAL;
	l = realloc(*list, (*n + 1) * sizeof(*l));
	if (!l)
		return -ENOMEM;
	*list = l;
	if (!(l[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

int wbpf_bpf_host__allow_uprobe(struct wbpf_bpf_host *host, const char *binary)
{
	return list_add(&host->uprobe_bins, &host->n_uprobe_bins, binary);
}

int wbpf_bpf_host__allow_iface(struct wbpf_bpf_host *host, const char *ifname)
{
	return list_add(&host->ifaces, &host->n_ifaces, ifname);
}

void wbpf_bpf_host__interrupt(struct wbpf_bpf_host *host)
{
	uint64_t one = 1;
	ssize_t r = write(host->wake_fd, &one, sizeof(one));

	(void)r; /* a full counter is still readable: the wake stays */
}

enum wbpf_bpf_handle_kind wbpf_bpf_host__handle_kind(const struct wbpf_bpf_host *host, int64_t h)
{
	return htable_kind(&host->handles, h);
}

size_t wbpf_bpf_host__handle_count(const struct wbpf_bpf_host *host)
{
	return host->handles.live;
}

static int host_vlog(const struct wbpf_bpf_host *host, int err, const char *fmt, va_list ap)
{
	if (host->quiet)
		return err;
	fputs("wbpf: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	return err;
}

int host_log(const struct wbpf_bpf_host *host, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	host_vlog(host, err, fmt, ap);
	va_end(ap);
	return err;
}

int host_deny(const struct wbpf_bpf_host *host, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	host_vlog(host, -EPERM, fmt, ap);
	va_end(ap);
	return -EPERM;
}

struct bpf_obj *host_obj(const struct wbpf_bpf_host *host, int h)
{
	return htable_get(&host->handles, h, WBPF_HANDLE_OBJECT);
}

struct bpf_prog_ent *host_prog(const struct wbpf_bpf_host *host, int h)
{
	return htable_get(&host->handles, h, WBPF_HANDLE_PROGRAM);
}

struct bpf_map_ent *host_map(const struct wbpf_bpf_host *host, int h)
{
	return htable_get(&host->handles, h, WBPF_HANDLE_MAP);
}
