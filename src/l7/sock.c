// SPDX-License-Identifier: MIT
/* The eBPF socket source: loads src/l7/bpf/socktrace.bpf.c (built into
 * wbpf), attaches its socket or system call tracepoints and, through sock_tls.c, its
 * OpenSSL uprobes, and turns ring buffer records into wbpf_l7_sock_data for the
 * pipeline. Kernel timestamps are CLOCK_MONOTONIC; records carry wall
 * clock time like packets. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/btf.h>
#include <linux/types.h>

#include "wbpf/bpf.h"

#include "l7/bpf/socktrace.h"
#include "l7/internal.h"
#include "l7_socktrace_obj.h" /* l7_socktrace_obj[] */

#define DEFAULT_PAYLOAD 4096
/* Each CPU's ring by default. Larger rings cost the programs more: the
 * lines a record is written to are then further from the CPU (under
 * bench/l7/socket.sh, 4 MiB BPF ring buffers cost the programs 15% more
 * than 1 MiB or smaller ones). */
#define DEFAULT_CPU_RING (1u << 20)
/* A ring is one value of a BPF array, whose values the kernel caps at 4
 * MiB (KMALLOC_MAX_SIZE); with its slack a 2 MiB ring fits. */
#define MAX_CPU_RING (1u << 21)
/* The kernel side wakes wbpf, as each quarter of a CPU's ring is written,
 * if a quarter waits (socktrace.bpf.c's wake_host), which leaves room for
 * what comes while wbpf wakes; the rest is taken every POLL_MS, which
 * bounds how long a record waits. A wakeup costs the traced call an
 * interrupt raised (an APIC write: an exit to the hypervisor in a VM): at
 * 64 KiB, raising them took a tenth of the programs' time under
 * bench/l7/sockcall.c.
 *
 * While records come, wbpf drains sooner: at the rate the last drain
 * saw, about DRAIN_BATCH records' worth, at least every millisecond. A
 * drain of 20 ms of records was a millisecond of work on a CPU the traced
 * processes share, which they waited out (a load generator that cannot
 * answer leaves the server idle). Under bench/l7/variants.sh (nginx and
 * ab, 170,000 records a second with both ends traced) requests/s lost
 * went from 6.5-6.9% to 1.1-2.3%, nginx and ab's added CPU from 1.8 to
 * 0.9-1.2 µs a request, for 0.2-0.3 µs more of wbpf's (bench/README.md,
 * session 36). A drain that finds nothing goes back to POLL_MS: an idle
 * wbpf wakes as seldom as before, and a trickle of records costs no more
 * wakeups. */
#define WAKE_SHARE 4
#define POLL_MS 20
#define DRAIN_BATCH 128
/* A record is merged once it is this much older than the drain: the time
 * a program may take between its clock read and its commit, with room for
 * the interrupts that may come in between. When the doorbell rang, a
 * quarter of a ring waits and the slack is cut to a program's run many
 * times over: records younger than a millisecond were most of a 256 KiB
 * ring under bench/l7/sockcall.c on a host where a traced call takes a
 * microsecond, and the ring overflowed while they waited (2% lost). */
#define MERGE_SLACK_NS 1000000
#define RUSHED_SLACK_NS 20000
#define MAX_LINKS 160 /* the tracepoints (at most 14), 3 cgroup hooks, and 8 uprobes for each of up to 16 libssl */
#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"

struct l7_sock {
	struct bpf_object *obj;
	struct bpf_link *links[MAX_LINKS];
	unsigned n_links;
	struct sock_rings *rings;
	uint32_t ring_size; /* each CPU's */
	unsigned n_rings;
	uint64_t seal; /* the run's secret: socktrace.h's struct sock_rec */
	unsigned cpus;
	struct wbpf_l7_pipeline *p;
	int64_t clock_off_ns; /* wall clock minus CLOCK_MONOTONIC */
	uint64_t seen, truncated;
	struct wbpf_l7_sock_stats final; /* counters once detached */
	bool detached;
	enum wbpf_l7_sock_attach mode; /* the one attached: never DEFAULT */
	unsigned tls_libs, tls_probes;
};

static int fail(char *err, size_t err_len, int e, const char *fmt, const char *arg)
{
	snprintf(err, err_len, fmt, arg, strerror(e));
	return -e;
}

static int check_opts(const struct wbpf_l7_sock_opts *o, char *err, size_t err_len)
{
	if (geteuid() != 0) {
		snprintf(err, err_len, "the socket source needs root (eBPF)");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, err_len, "the socket source needs a kernel with BTF "
				       "(/sys/kernel/btf/vmlinux)");
		return -ENOTSUP;
	}
	if ((unsigned)o->attach > WBPF_L7_SOCK_ATTACH_SOCKET) {
		snprintf(err, err_len, "unknown socket source attach mode %d", (int)o->attach);
		return -EINVAL;
	}
	if (o->payload > SOCK_DATA_MAX) {
		snprintf(err, err_len, "payload size %u is over the %u bytes a record holds",
			 o->payload, SOCK_DATA_MAX);
		return -EINVAL;
	}
	if (o->ring_size &&
	    (o->ring_size < 4096 || o->ring_size > MAX_CPU_RING || (o->ring_size & (o->ring_size - 1)))) {
		snprintf(err, err_len, "ring size %u is not a power of 2 from 4096 to %u", o->ring_size,
			 MAX_CPU_RING);
		return -EINVAL;
	}
	return 0;
}

/* A cgroup v2 directory's inode number is the id BPF sees. */
static int cgroup_id(const char *path, uint64_t *id, char *err, size_t err_len)
{
	struct statfs fs;
	struct stat st;

	if (statfs(path, &fs) || stat(path, &st))
		return fail(err, err_len, errno, "cgroup %s: %s", path);
	if (fs.f_type != CGROUP2_SUPER_MAGIC || !S_ISDIR(st.st_mode))
		return fail(err, err_len, ENOTDIR, "cgroup %s: %s (not a cgroup v2 directory)", path);
	*id = st.st_ino;
	return 0;
}

static int write_settings(struct l7_sock *s, const struct wbpf_l7_sock_opts *o, char *err,
			  size_t err_len)
{
	struct sock_cfg c = {
		.self_pid = (__u32)getpid(),
		.pid = o->pid,
		.payload = o->payload ? o->payload : DEFAULT_PAYLOAD,
		.port = o->port,
		.wake_bytes = s->ring_size / WAKE_SHARE,
		.seal = s->seal,
	};
	struct bpf_map *m = bpf_object__find_map_by_name(s->obj, "settings");
	uint64_t cg = 0;
	__u32 zero = 0;
	int rc;

	if (o->cgroup && (rc = cgroup_id(o->cgroup, &cg, err, err_len)))
		return rc;
	c.cgroup = cg;
	if (o->comm) {
		c.has_comm = 1;
		strncpy(c.comm, o->comm, sizeof(c.comm) - 1);
	}
	if (!m || bpf_map_update_elem(bpf_map__fd(m), &zero, &c, BPF_ANY))
		return fail(err, err_len, errno ? errno : ENOENT, "%s: %s", "socket source settings");
	return 0;
}

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/* Reading the kernel's BTF through sysfs takes ~60 ms (it comes a page per
 * read) and libbpf reads it again to relocate the object, so the name is
 * looked for in place: kernels from 6.16 map the file, and a name that
 * appears among BTF's deduplicated strings at all is the type's (a kfunc's,
 * a tracepoint's btf_trace_ typedef). Kernels
 * that cannot map it are searched through libbpf's parse. Returns -1 when
 * the file cannot be mapped. */
static int btf_strings_have(const char *name)
{
	int fd = open(VMLINUX_BTF, O_RDONLY | O_CLOEXEC);
	struct stat st;
	const struct btf_header *h;
	char key[64] = ""; /* "\0name\0": a whole string of the section */
	size_t key_len = (size_t)snprintf(key + 1, sizeof(key) - 1, "%s", name) + 2;
	int found = -1;

	if (fd < 0 || fstat(fd, &st) || (size_t)st.st_size < sizeof(*h)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	h = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (h == MAP_FAILED)
		return -1;
	if (h->magic == BTF_MAGIC && (uint64_t)h->hdr_len + h->str_off + h->str_len <= (uint64_t)st.st_size)
		found = memmem((const char *)h + h->hdr_len + h->str_off, h->str_len, key, key_len) != NULL;
	munmap((void *)h, (size_t)st.st_size);
	return found;
}

/* Whether the running kernel's BTF has this type of this kind. */
static bool kernel_has_type(const char *name, int kind)
{
	int mapped = btf_strings_have(name);
	struct btf *vmlinux;
	bool found;

	if (mapped >= 0)
		return mapped;
	vmlinux = btf__load_vmlinux_btf();
	found = vmlinux && btf__find_by_name_kind(vmlinux, name, kind) > 0;
	btf__free(vmlinux);
	return found;
}

/* The run's secret (socktrace.h's struct sock_rec) and the object. */
static int open_object(struct l7_sock *s, char *err, size_t err_len)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "wbpf_l7_sock");

	if (getrandom(&s->seal, sizeof(s->seal), 0) != sizeof(s->seal))
		return fail(err, err_len, errno, "%s: %s", "random seal for the socket source's rings");
	s->obj = bpf_object__open_mem(l7_socktrace_obj, sizeof(l7_socktrace_obj), &oo);
	if (!s->obj)
		return fail(err, err_len, errno, "%s: %s", "socket source BPF object");
	return 0;
}

/* The rings' array: one value per ring, each of its size; and their size
 * in the programs' read-only data, where the verifier sees it. */
static int size_rings(struct l7_sock *s, uint64_t *ring_of_cpu, char *err, size_t err_len)
{
	struct bpf_map *rings = bpf_object__find_map_by_name(s->obj, "rings");
	struct bpf_map *rodata = bpf_object__find_map_by_name(s->obj, ".rodata");
	uint64_t mask = s->ring_size - 1; /* the object's only read-only datum */
	size_t size;

	s->n_rings = sock_rings__assign(s->cpus, ring_of_cpu);
	if (!rings || !rodata || !bpf_map__initial_value(rodata, &size) || size != sizeof(mask))
		return fail(err, err_len, ENOENT, "%s: %s", "socket source BPF object's rings");
	if (bpf_map__set_initial_value(rodata, &mask, sizeof(mask)) ||
	    bpf_map__set_max_entries(rings, s->n_rings) ||
	    bpf_map__set_value_size(rings, (uint32_t)sock_rings__value_size(s->ring_size)))
		return fail(err, err_len, errno, "%s: %s", "socket source rings");
	return 0;
}

/* Each CPU's ring, in its slot of the per-CPU counters. */
static int assign_rings(struct l7_sock *s, uint64_t *ring_of_cpu, char *err, size_t err_len)
{
	int fd = bpf_map__fd(bpf_object__find_map_by_name(s->obj, "counters"));
	__u32 slot = SOCK_SLOT_RING;

	if (bpf_map_update_elem(fd, &slot, ring_of_cpu, BPF_ANY))
		return fail(err, err_len, errno, "%s: %s", "socket source rings' CPUs");
	return 0;
}

/* Each mode's own programs; the others (sock_release, the uprobes) serve
 * every mode. */
static const struct {
	const char *name;
	enum wbpf_l7_sock_attach mode;
} mode_progs[] = {
	{"sys_exit", WBPF_L7_SOCK_ATTACH_RAW},	      {"sys_exit_tp", WBPF_L7_SOCK_ATTACH_PER_CALL},
	{"sock_send", WBPF_L7_SOCK_ATTACH_SOCKET},    {"sock_recv", WBPF_L7_SOCK_ATTACH_SOCKET},
	{"sock_state", WBPF_L7_SOCK_ATTACH_SOCKET},   {"recv_peer4", WBPF_L7_SOCK_ATTACH_SOCKET},
	{"recv_peer6", WBPF_L7_SOCK_ATTACH_SOCKET},
};

static bool prog_wanted(enum wbpf_l7_sock_attach mode, const char *name)
{
	for (size_t i = 0; i < sizeof(mode_progs) / sizeof(*mode_progs); i++)
		if (!strcmp(mode_progs[i].name, name))
			return mode_progs[i].mode == mode;
	return true;
}

static int load(struct l7_sock *s, const struct wbpf_l7_sock_opts *o, char *err, size_t err_len)
{
	struct bpf_program *prog;
	int cpus = libbpf_num_possible_cpus(), rc;
	uint64_t *ring_of_cpu;

	if (cpus <= 0)
		return fail(err, err_len, -cpus, "%s: %s", "the number of CPUs");
	s->cpus = (unsigned)cpus;
	s->ring_size = o->ring_size ? o->ring_size : DEFAULT_CPU_RING;
	if (!(ring_of_cpu = calloc(s->cpus, sizeof(*ring_of_cpu))))
		return fail(err, err_len, ENOMEM, "%s: %s", "socket source rings");
	if ((rc = open_object(s, err, err_len)) || (rc = size_rings(s, ring_of_cpu, err, err_len)))
		goto out;
	/* only the chosen mode's programs are verified */
	bpf_object__for_each_program(prog, s->obj)
		bpf_program__set_autoload(prog, prog_wanted(s->mode, bpf_program__name(prog)));
	if (bpf_object__load(s->obj)) {
		rc = fail(err, err_len, errno, "%s: %s (the verifier's log is above)",
			  "cannot load the socket source's BPF programs");
		goto out;
	}
	if (!(rc = assign_rings(s, ring_of_cpu, err, err_len)))
		rc = write_settings(s, o, err, err_len);
out:
	free(ring_of_cpu);
	return rc;
}

int l7_sock__add_link(struct l7_sock *s, struct bpf_link *link)
{
	if (s->n_links == MAX_LINKS) {
		bpf_link__destroy(link);
		return -ENOSPC;
	}
	s->links[s->n_links++] = link;
	return 0;
}

/* The loaded programs whose section starts with `prefix`: tp_btf ones
 * where they point, cgroup ones (cgroup_fd >= 0) to that cgroup. */
static int attach_loaded(struct l7_sock *s, const char *prefix, int cgroup_fd, char *err,
			 size_t err_len)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, s->obj) {
		struct bpf_link *link;

		if (strncmp(bpf_program__section_name(prog), prefix, strlen(prefix)) ||
		    !bpf_program__autoload(prog))
			continue;
		link = cgroup_fd >= 0 ? bpf_program__attach_cgroup(prog, cgroup_fd) :
					bpf_program__attach(prog);
		if (!link)
			return fail(err, err_len, errno, "cannot attach %s: %s",
				    bpf_program__section_name(prog));
		if (l7_sock__add_link(s, link))
			return fail(err, err_len, ENOSPC, "%s: %s", "socket source links");
	}
	return 0;
}

/* The calls the per-call mode hooks at their exit, as tracefs names them:
 * connect, accept and the data calls. */
static const char *const exit_calls[] = {
	"connect", "accept",  "accept4", "read",     "write",    "readv",    "writev",
	"recvfrom", "sendto", "recvmsg", "sendmsg", "recvmmsg", "sendmmsg", "sendfile64",
};

static int attach_per_call(struct l7_sock *s, char *err, size_t err_len)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(s->obj, "sys_exit_tp");
	char name[64];

	if (!prog)
		return fail(err, err_len, ENOENT, "%s: %s", "sys_exit_tp");
	for (size_t i = 0; i < sizeof(exit_calls) / sizeof(*exit_calls); i++) {
		struct bpf_link *link;

		snprintf(name, sizeof(name), "sys_exit_%s", exit_calls[i]);
		link = bpf_program__attach_tracepoint(prog, "syscalls", name);
		if (!link)
			return fail(err, err_len, errno, "cannot attach syscalls/%s: %s", name);
		if (l7_sock__add_link(s, link))
			return fail(err, err_len, ENOSPC, "%s: %s", "socket source links");
	}
	return 0;
}

/* The per-call tracepoints are reached through tracefs, mounted here if
 * the host has not. */
static bool syscall_events(void)
{
	if (!access(TRACEFS "/events/syscalls", F_OK) || !access(DEBUGFS_TRACING "/events/syscalls", F_OK))
		return true;
	return !mount("tracefs", TRACEFS, "tracefs", 0, NULL) && !access(TRACEFS "/events/syscalls", F_OK);
}

/* The socket mode needs the kernel's sock_send_length tracepoint (6.3),
 * which BTF names for tp_btf. */
static bool socket_events(void)
{
	return kernel_has_type("btf_trace_sock_send_length", BTF_KIND_TYPEDEF);
}

static int choose_hooks(struct l7_sock *s, const struct wbpf_l7_sock_opts *o, char *err,
			size_t err_len)
{
	s->mode = o->attach;
	if (s->mode == WBPF_L7_SOCK_ATTACH_DEFAULT)
		s->mode = socket_events() ? WBPF_L7_SOCK_ATTACH_SOCKET :
			  syscall_events() ? WBPF_L7_SOCK_ATTACH_PER_CALL : WBPF_L7_SOCK_ATTACH_RAW;
	else if (s->mode == WBPF_L7_SOCK_ATTACH_PER_CALL && !syscall_events())
		return fail(err, err_len, ENOENT, "per-call system call hooks need %s: %s",
			    TRACEFS "/events/syscalls");
	else if (s->mode == WBPF_L7_SOCK_ATTACH_SOCKET && !socket_events())
		return fail(err, err_len, ENOENT, "%s: %s",
			    "socket hooks need the kernel's sock/sock_send_length tracepoint (Linux 6.3)");
	return 0;
}

/* The root cgroup v2's hooks, for every process: sock_release, where
 * sockets end (their last reference released), in every mode; the
 * recvmsg hooks, the peers of unconnected UDP sockets' receives, in the
 * socket mode. */
static int attach_cgroup_hooks(struct l7_sock *s, char *err, size_t err_len)
{
	char root[PATH_MAX];
	int fd, rc = wbpf_cgroup2_root(root, sizeof(root));

	if (rc)
		return fail(err, err_len, -rc, "%s: %s", "the socket source needs cgroup v2 mounted");
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, err_len, errno, "cgroup %s: %s", root);
	rc = attach_loaded(s, "cgroup/", fd, err, err_len);
	close(fd);
	return rc;
}

static int64_t clock_offset(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000 + (rt.tv_nsec - mono.tv_nsec);
}

static void on_event(void *ctx, const struct sock_ev *ev, uint32_t size)
{
	struct l7_sock *s = ctx;
	struct wbpf_l7_sock_data d;

	if (size < sizeof(*ev) || ev->len > size - sizeof(*ev))
		return;
	s->seen++;
	s->truncated += ev->bytes > ev->len;
	memset(&d, 0, sizeof(d));
	d.sock = ev->sock;
	d.time_us = (uint64_t)((int64_t)ev->time_ns + s->clock_off_ns) / 1000;
	d.family = ev->family;
	d.l4 = ev->l4;
	d.lport = ev->lport;
	d.rport = ev->rport;
	memcpy(d.laddr, ev->laddr, 16);
	memcpy(d.raddr, ev->raddr, 16);
	d.egress = ev->egress;
	d.close = ev->kind == SOCK_EV_CLOSE;
	d.role = ev->role;
	d.source = ev->via == SOCK_VIA_TLS ? L7_SRC_TLS_UPROBE : L7_SRC_TRACEPOINT;
	d.pid = ev->pid;
	d.tid = ev->tid;
	memcpy(d.comm, ev->comm, sizeof(d.comm));
	d.data = (const uint8_t *)(ev + 1);
	d.len = ev->len;
	d.bytes = ev->bytes;
	wbpf_l7_pipeline__feed_sock(s->p, &d);
}

struct l7_sock *l7_sock__open(const struct wbpf_l7_sock_opts *o, char *err, size_t err_len)
{
	struct l7_sock *s;
	int rc = check_opts(o, err, err_len);

	if (rc) {
		errno = -rc;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_len, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	rc = choose_hooks(s, o, err, err_len);
	if (!rc)
		rc = load(s, o, err, err_len);
	if (!rc)
		rc = s->mode == WBPF_L7_SOCK_ATTACH_PER_CALL ? attach_per_call(s, err, err_len) :
									 attach_loaded(s, "tp_btf/", -1, err, err_len);
	if (!rc)
		rc = attach_cgroup_hooks(s, err, err_len);
	if (!rc && !o->no_tls)
		rc = l7_sock__attach_tls(s, o, &s->tls_libs, &s->tls_probes, err, err_len);
	if (!rc) {
		s->rings = sock_rings__new(bpf_map__fd(bpf_object__find_map_by_name(s->obj, "rings")),
					   bpf_map__fd(bpf_object__find_map_by_name(s->obj, "doorbell")),
					   s->n_rings, s->ring_size, s->seal, &rc);
		if (!s->rings)
			rc = fail(err, err_len, -rc, "%s: %s", "socket source ring buffers");
	}
	if (rc) {
		l7_sock__free(s);
		errno = -rc;
		return NULL;
	}
	s->clock_off_ns = clock_offset();
	return s;
}

struct bpf_program *l7_sock__program(struct l7_sock *s, const char *name)
{
	return bpf_object__find_program_by_name(s->obj, name);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static uint64_t now_us(void)
{
	return now_ns() / 1000;
}

static void read_counters(struct l7_sock *s, struct wbpf_l7_sock_stats *st)
{
	int fd = bpf_map__fd(bpf_object__find_map_by_name(s->obj, "counters"));
	uint64_t *v = calloc(s->cpus, sizeof(*v));
	uint64_t sum[SOCK_CNT_N] = {0};

	for (__u32 k = 0; v && k < SOCK_CNT_N; k++)
		if (!bpf_map_lookup_elem(fd, &k, v))
			for (unsigned c = 0; c < s->cpus; c++)
				sum[k] += v[c];
	free(v);
	st->sent = sum[SOCK_CNT_SENT];
	st->lost = sum[SOCK_CNT_LOST] + sock_rings__dropped(s->rings);
	st->unbound = sum[SOCK_CNT_UNBOUND];
}

/* Nothing is sent once the programs are detached: what is left in the
 * ring is taken, and the counters are final. */
static void detach(struct l7_sock *s)
{
	if (s->detached)
		return;
	for (unsigned i = 0; i < s->n_links; i++)
		bpf_link__destroy(s->links[i]);
	s->n_links = 0;
	s->detached = true;
	if (s->rings && s->p)
		sock_rings__drain(s->rings, UINT64_MAX, on_event, s);
	read_counters(s, &s->final);
}

/* The time slice the draining thread asks for while it drains. Woken by
 * the doorbell on the CPU of a process making traced calls back to back,
 * it ran only once that process's slice was over (milliseconds), while
 * the ring filled: a 256 KiB ring lost up to 2% of bench/l7/sockcall.c's
 * records. A fair task asking for a shorter slice than the one it wakes
 * beside runs at once (Linux 6.12's EEVDF: sched_attr's sched_runtime),
 * its share of the CPU unchanged. Older kernels ignore it. */
#define DRAIN_SLICE_NS 100000

/* The kernel's struct sched_attr, as far as its first version (whose
 * header clashes with glibc's sched.h). */
struct slice_attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

#define SLICE_RESET_ON_FORK 1ull /* SCHED_FLAG_RESET_ON_FORK */

/* Sets the calling thread's slice to `slice` ns, its policy, nice value
 * and reset-on-fork flag kept: the slice it had (the kernel reports its
 * default as a number, which is then what is restored). */
static uint64_t set_slice(uint64_t slice)
{
	struct slice_attr a = {.size = sizeof(a)};
	uint64_t had;

	if (syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0) || a.policy != SCHED_OTHER)
		return 0;
	had = a.runtime;
	a.runtime = slice;
	a.flags &= SLICE_RESET_ON_FORK;
	syscall(SYS_sched_setattr, 0, &a, 0);
	return had;
}

/* How long to wait for the next drain, after one that took `records`
 * made over `period_us`. */
static int next_poll_ms(uint64_t records, uint64_t period_us)
{
	uint64_t ms;

	if (!records)
		return POLL_MS;
	ms = DRAIN_BATCH * period_us / records / 1000;
	return ms < 1 ? 1 : ms > POLL_MS ? POLL_MS : (int)ms;
}

int l7_sock__run(struct l7_sock *s, struct wbpf_l7_pipeline *p, uint64_t duration_us,
		 volatile sig_atomic_t *stop, char *err, size_t err_len)
{
	uint64_t t = now_us(), deadline = duration_us ? t + duration_us : 0, slice;
	int rc = 0, ms = POLL_MS;

	s->p = p;
	slice = set_slice(DRAIN_SLICE_NS);
	while (!*stop) {
		uint64_t seen = s->seen, was = t;

		if (deadline && t >= deadline)
			break;
		if (deadline && (deadline - t) / 1000 < (uint64_t)ms)
			ms = (int)((deadline - t) / 1000) + 1;
		rc = sock_rings__poll(s->rings, ms);
		if (rc < 0 && rc != -EINTR) {
			snprintf(err, err_len, "socket source: ring buffers: %s", strerror(-rc));
			break;
		}
		sock_rings__drain(s->rings, now_ns() - (rc > 0 ? RUSHED_SLACK_NS : MERGE_SLACK_NS),
				  on_event, s);
		t = now_us();
		ms = next_poll_ms(s->seen - seen, t - was);
		rc = 0;
	}
	detach(s);
	set_slice(slice);
	return rc;
}

void l7_sock__stats(struct l7_sock *s, struct wbpf_l7_sock_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (s->detached)
		*out = s->final;
	else
		read_counters(s, out);
	out->seen = s->seen;
	out->truncated = s->truncated;
	out->tls_libs = s->tls_libs;
	out->tls_probes = s->tls_probes;
}

void l7_sock__free(struct l7_sock *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n_links; i++)
		bpf_link__destroy(s->links[i]);
	sock_rings__free(s->rings);
	bpf_object__close(s->obj);
	free(s);
}
