// SPDX-License-Identifier: MIT
/*
 * Attaching programs, gated by the host's permissions. The guest names
 * targets; the host opens nothing on its behalf except an allowed uprobe
 * binary and a cgroup strictly beneath the cgroup root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/openat2.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf/internal.h"

static bool sec_is(const char *sec, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(sec, prefix, n) == 0 && (sec[n] == '\0' || sec[n] == '/');
}

/* kprobe-type programs cover kprobes, uprobes and USDT: libbpf tells
 * them apart by section, and so do we. */
static enum wbpf_bpf_attach_kind kprobe_kind(const char *sec)
{
	if (sec_is(sec, "uprobe") || sec_is(sec, "uretprobe") || sec_is(sec, "uprobe.s") ||
	    sec_is(sec, "uretprobe.s"))
		return WBPF_ATTACH_UPROBE;
	if (sec_is(sec, "usdt"))
		return WBPF_ATTACH_USDT;
	return WBPF_ATTACH_KPROBE;
}

static enum wbpf_bpf_attach_kind tracing_kind(enum bpf_attach_type at)
{
	switch (at) {
	case BPF_TRACE_RAW_TP: return WBPF_ATTACH_TP_BTF;
	case BPF_TRACE_FENTRY:
	case BPF_TRACE_FEXIT:
	case BPF_MODIFY_RETURN: return WBPF_ATTACH_FENTRY;
	case BPF_TRACE_ITER: return WBPF_ATTACH_ITER;
	default: return WBPF_ATTACH_OTHER;
	}
}

enum wbpf_bpf_attach_kind prog_attach_kind(const struct bpf_program *prog)
{
	switch (bpf_program__type(prog)) {
	case BPF_PROG_TYPE_TRACEPOINT: return WBPF_ATTACH_TRACEPOINT;
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
	case BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE: return WBPF_ATTACH_RAW_TP;
	case BPF_PROG_TYPE_TRACING: return tracing_kind(bpf_program__expected_attach_type(prog));
	case BPF_PROG_TYPE_KPROBE: return kprobe_kind(bpf_program__section_name(prog));
	case BPF_PROG_TYPE_SOCKET_FILTER: return WBPF_ATTACH_SOCKET;
	case BPF_PROG_TYPE_XDP: return WBPF_ATTACH_XDP;
	case BPF_PROG_TYPE_CGROUP_SKB:
	case BPF_PROG_TYPE_CGROUP_SOCK:
	case BPF_PROG_TYPE_SOCK_OPS:
	case BPF_PROG_TYPE_CGROUP_DEVICE:
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
	case BPF_PROG_TYPE_CGROUP_SYSCTL:
	case BPF_PROG_TYPE_CGROUP_SOCKOPT: return WBPF_ATTACH_CGROUP;
	case BPF_PROG_TYPE_LSM: return WBPF_ATTACH_LSM;
	case BPF_PROG_TYPE_PERF_EVENT: return WBPF_ATTACH_PERF_EVENT;
	default: return WBPF_ATTACH_OTHER;
	}
}

static int check_kind(const struct wbpf_bpf_host *host, enum wbpf_bpf_attach_kind kind)
{
	const char *name = wbpf_bpf_attach_kind__str(kind);

	if (host->allowed[kind])
		return 0;
	return host_deny(host, "attaching a %s program is not allowed (allow with --allow-attach %s)",
			 name, name);
}

/* The path to probe when `binary` is allowed: the user's entry (which
 * also matches by base name, so a guest may say "libc.so.6"). */
static const char *uprobe_path(const struct wbpf_bpf_host *host, const char *binary)
{
	for (size_t i = 0; i < host->n_uprobe_bins; i++) {
		const char *a = host->uprobe_bins[i];
		const char *base = strrchr(a, '/');

		if (strcmp(a, "*") == 0)
			return binary;
		if (strcmp(a, binary) == 0 || (base && strcmp(base + 1, binary) == 0))
			return a;
	}
	return NULL;
}

static bool iface_allowed(const struct wbpf_bpf_host *host, const char *ifname)
{
	for (size_t i = 0; i < host->n_ifaces; i++)
		if (strcmp(host->ifaces[i], "*") == 0 || strcmp(host->ifaces[i], ifname) == 0)
			return true;
	return false;
}

static int iface_index(const struct wbpf_bpf_host *host, const char *ifname)
{
	unsigned idx;

	if (!ifname || !*ifname)
		return -EINVAL;
	if (!iface_allowed(host, ifname))
		return host_deny(host, "network attach on interface '%s' is not allowed "
				 "(allow with --allow-iface %s)", ifname, ifname);
	idx = if_nametoindex(ifname);
	return idx ? (int)idx : -ENOENT;
}

static int link_add(struct wbpf_bpf_host *host, struct bpf_obj *o, struct bpf_link *link, int sock)
{
	struct bpf_link_ent *l = calloc(1, sizeof(*l));
	int h = l ? htable_add(&host->handles, WBPF_HANDLE_LINK, l) : -ENOMEM;

	if (h > 0) {
		*l = (struct bpf_link_ent){ .link = link, .sock = sock, .obj = o, .handle = h };
		return h;
	}
	free(l);
	bpf_link__destroy(link);
	if (sock >= 0)
		close(sock);
	return h;
}

static int link_result(struct wbpf_bpf_host *host, struct bpf_obj *o, struct bpf_link *link)
{
	if (!link)
		return errno ? -errno : -EINVAL;
	return link_add(host, o, link, -1);
}

static int attach_uprobe(struct wbpf_bpf_host *host, struct bpf_prog_ent *p,
			 const struct wbpf_bpf_target *t)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = t->retprobe, .func_name = t->func);
	const char *path;

	if (!t->binary || !*t->binary)
		return -EINVAL;
	if (!(path = uprobe_path(host, t->binary)))
		return host_deny(host, "uprobe on '%s' is not allowed (allow with --allow-uprobe %s)",
				 t->binary, t->binary);
	if (t->func && !*t->func)
		opts.func_name = NULL;
	return link_result(host, p->obj,
			   bpf_program__attach_uprobe_opts(p->prog, t->pid, path, t->offset, &opts));
}

/* SEC("uprobe/BINARY:FUNC[+OFFSET]") names its own target, which must pass
 * the same check as an explicit one. */
static int auto_uprobe(struct wbpf_bpf_host *host, struct bpf_prog_ent *p)
{
	const char *sec = bpf_program__section_name(p->prog);
	const char *slash = strchr(sec, '/');
	const char *colon = strrchr(sec, ':');
	struct wbpf_bpf_target t = { .kind = WBPF_ATTACH_UPROBE, .pid = -1 };
	char *binary, *func, *plus;
	int err;

	if (!slash || !colon || colon < slash)
		return -EOPNOTSUPP;
	binary = strndup(slash + 1, (size_t)(colon - slash - 1));
	func = strdup(colon + 1);
	if (!binary || !func) {
		err = -ENOMEM;
		goto out;
	}
	if ((plus = strchr(func, '+'))) {
		*plus = '\0';
		t.offset = strtoull(plus + 1, NULL, 0);
	}
	t.binary = binary;
	t.func = func;
	t.retprobe = strncmp(sec, "uretprobe", 9) == 0;
	err = attach_uprobe(host, p, &t);
out:
	free(binary);
	free(func);
	return err;
}

static int attach_socket(struct wbpf_bpf_host *host, struct bpf_prog_ent *p, const char *ifname)
{
	int idx = iface_index(host, ifname), prog_fd = bpf_program__fd(p->prog), sock, err;
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };

	if (idx < 0)
		return idx;
	sock = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (sock < 0)
		return -errno;
	sa.sll_ifindex = idx;
	if (bind(sock, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(sock, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof(prog_fd))) {
		err = -errno;
		close(sock);
		return err;
	}
	return link_add(host, p->obj, NULL, sock);
}

/* The host's cgroup v2 root, else the machine's (found into buf). */
static const char *cgroup_root(const struct wbpf_bpf_host *host, char *buf, size_t len)
{
	if (host->cgroup_root)
		return host->cgroup_root;
	return wbpf_cgroup2_root(buf, len) ? NULL : buf;
}

/* The cgroup's directory, opened strictly beneath the root: no "..",
 * no symlinks out. An absolute path must name the root as its prefix. */
static int open_cgroup(const struct wbpf_bpf_host *host, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	char found[PATH_MAX];
	const char *root = cgroup_root(host, found, sizeof(found));
	size_t n = root ? strlen(root) : 0;
	int dir, fd;

	if (!root)
		return -EOPNOTSUPP;
	if (path[0] == '/') {
		if (strncmp(path, root, n) != 0 || (path[n] != '/' && path[n] != '\0'))
			return host_deny(host, "cgroup '%s' is outside the cgroup root %s", path, root);
		path += n;
	}
	while (*path == '/')
		path++;
	dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	fd = (int)syscall(SYS_openat2, dir, *path ? path : ".", &how, sizeof(how));
	fd = fd < 0 ? -errno : fd;
	close(dir);
	return fd == -EXDEV ? host_deny(host, "cgroup '%s' escapes the cgroup root", path) : fd;
}

static int attach_cgroup(struct wbpf_bpf_host *host, struct bpf_prog_ent *p, const char *path)
{
	int fd, h;

	if (!path)
		return -EINVAL;
	if ((fd = open_cgroup(host, path)) < 0)
		return fd;
	/* The link keeps the cgroup: our fd is only needed to create it. */
	h = link_result(host, p->obj, bpf_program__attach_cgroup(p->prog, fd));
	close(fd);
	return h;
}

static int attach_xdp(struct wbpf_bpf_host *host, struct bpf_prog_ent *p, const char *ifname)
{
	int idx = iface_index(host, ifname);

	if (idx < 0)
		return idx;
	return link_result(host, p->obj, bpf_program__attach_xdp(p->prog, idx));
}

static int attach_auto(struct wbpf_bpf_host *host, struct bpf_prog_ent *p,
		       enum wbpf_bpf_attach_kind kind)
{
	switch (kind) {
	case WBPF_ATTACH_UPROBE: return auto_uprobe(host, p);
	case WBPF_ATTACH_SOCKET:
	case WBPF_ATTACH_XDP:
	case WBPF_ATTACH_CGROUP: return -EOPNOTSUPP;
	default: return link_result(host, p->obj, bpf_program__attach(p->prog));
	}
}

static int attach_explicit(struct wbpf_bpf_host *host, struct bpf_prog_ent *p,
			   const struct wbpf_bpf_target *t)
{
	switch (t->kind) {
	case WBPF_ATTACH_TRACEPOINT:
		if (!t->category || !t->name)
			return -EINVAL;
		return link_result(host, p->obj,
				   bpf_program__attach_tracepoint(p->prog, t->category, t->name));
	case WBPF_ATTACH_RAW_TP:
		if (!t->name)
			return -EINVAL;
		return link_result(host, p->obj, bpf_program__attach_raw_tracepoint(p->prog, t->name));
	case WBPF_ATTACH_TP_BTF:
	case WBPF_ATTACH_FENTRY:
		return link_result(host, p->obj, bpf_program__attach_trace(p->prog));
	case WBPF_ATTACH_UPROBE: return attach_uprobe(host, p, t);
	case WBPF_ATTACH_SOCKET: return attach_socket(host, p, t->ifname);
	case WBPF_ATTACH_CGROUP: return attach_cgroup(host, p, t->cgroup);
	case WBPF_ATTACH_XDP: return attach_xdp(host, p, t->ifname);
	default: return attach_auto(host, p, t->kind);
	}
}

/* Explicit targets must fit the program: a uprobe target takes any
 * kprobe-type program, as libbpf allows. */
static bool target_fits(enum wbpf_bpf_attach_kind prog, enum wbpf_bpf_attach_kind target)
{
	if (target == WBPF_ATTACH_UPROBE)
		return prog == WBPF_ATTACH_UPROBE || prog == WBPF_ATTACH_KPROBE;
	return prog == target;
}

int wbpf_bpf_host__attach(struct wbpf_bpf_host *host, int prog, const struct wbpf_bpf_target *t)
{
	struct bpf_prog_ent *p = host_prog(host, prog);
	enum wbpf_bpf_attach_kind kind;
	int err;

	if (!p)
		return -EBADF;
	if (!p->obj->loaded || bpf_program__fd(p->prog) < 0)
		return -EINVAL;
	kind = prog_attach_kind(p->prog);
	if (t && ((unsigned)t->kind >= WBPF_ATTACH__MAX || !target_fits(kind, t->kind)))
		return -EINVAL;
	if ((err = check_kind(host, t ? t->kind : kind)))
		return err;
	errno = 0;
	return t ? attach_explicit(host, p, t) : attach_auto(host, p, kind);
}

void link_release(struct wbpf_bpf_host *host, struct bpf_link_ent *l)
{
	htable_del(&host->handles, l->handle);
	bpf_link__destroy(l->link);
	if (l->sock >= 0)
		close(l->sock);
	free(l);
}

int wbpf_bpf_host__link_destroy(struct wbpf_bpf_host *host, int link)
{
	struct bpf_link_ent *l = htable_get(&host->handles, link, WBPF_HANDLE_LINK);

	if (!l)
		return -EBADF;
	link_release(host, l);
	return 0;
}
