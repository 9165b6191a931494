// SPDX-License-Identifier: MIT
/*
 * Native tests of src/bpf against the running kernel: load
 * tests/bpf/probe.bpf.c, attach, make the test process hit the probes,
 * read the events back, and check that handles are checked and that
 * nothing (fd, link, handle) outlives its owner.
 *
 * usage: test_bpf PROBE.bpf.o POLICY.bpf.o   (root; exits 77 = skipped otherwise)
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "wbpf/bpf.h"
#include "corrupt_btf.h"
#include "util.h"

#define N_EVENTS 1000

struct event {
	uint32_t pid;
	uint32_t kind;
	uint64_t seq;
	char comm[16];
};

static void *elf_bytes, *policy_bytes;
static size_t elf_size, policy_size;

/* The uprobe target: a global symbol the probe finds in our own binary. */
__attribute__((noinline)) void wbpf_test_uprobe_target(void)
{
	__asm__ volatile("" ::: "memory");
}

/* ------------------------------------------------------------ fixtures */

struct fixture {
	struct wbpf_bpf_host *host;
	int obj;
};

/* Opens the probe object with target_pid set to us, and loads it. */
static bool fixture_up(struct fixture *f, const struct wbpf_bpf_host_opts *opts)
{
	uint32_t pid = (uint32_t)getpid();
	int rodata;

	f->host = wbpf_bpf_host__new(opts);
	if (!CHECK(f->host))
		return false;
	f->obj = wbpf_bpf_host__object_open(f->host, elf_bytes, elf_size, "probe");
	if (!CHECK(f->obj > 0))
		return false;
	rodata = wbpf_bpf_host__find_map(f->host, f->obj, ".rodata");
	CHECK(rodata > 0);
	CHECK_EQ(wbpf_bpf_host__map_data_write(f->host, rodata, 0, &pid, sizeof(pid)), 0);
	return CHECK_EQ(wbpf_bpf_host__object_load(f->host, f->obj), 0);
}

static int find(struct fixture *f, const char *prog)
{
	int h = wbpf_bpf_host__find_program(f->host, f->obj, prog);

	CHECK(h > 0);
	return h;
}

static int map(struct fixture *f, const char *name)
{
	int h = wbpf_bpf_host__find_map(f->host, f->obj, name);

	CHECK(h > 0);
	return h;
}

/* ------------------------------------------------------------ dispatch */

struct sink {
	int n;
	uint64_t last_seq;
	bool in_order;
	uint32_t kinds; /* bit per event kind seen */
	int stop_at;	/* return this error at record n, 0 = never */
	int drop;	/* return > 0 for every record */
	struct wbpf_bpf_host *host;
	int reenter_buf, reenter_obj; /* try these from inside, expect -EBUSY */
	uint64_t lost;
};

static int sink_sample(void *ctx, const struct wbpf_bpf_cb *cb, int cpu, const void *data,
		       uint32_t size)
{
	struct sink *s = ctx;
	struct event e;

	(void)cpu;
	if (s->reenter_buf) {
		CHECK_EQ(wbpf_bpf_host__buffer_poll(s->host, s->reenter_buf, 0, NULL), -EBUSY);
		CHECK_EQ(wbpf_bpf_host__buffer_free(s->host, s->reenter_buf), -EBUSY);
		CHECK_EQ(wbpf_bpf_host__object_close(s->host, s->reenter_obj), -EBUSY);
	}
	if (s->drop)
		return 1;
	if (s->stop_at && s->n == s->stop_at)
		return -42;
	if (!CHECK(size >= sizeof(e)) || !CHECK_EQ(cb->ctx, 7))
		return 0;
	memcpy(&e, data, sizeof(e));
	CHECK_EQ(e.pid, getpid());
	if (e.seq != s->last_seq + 1)
		s->in_order = false;
	s->last_seq = e.seq;
	s->kinds |= 1u << e.kind;
	s->n++;
	return 0;
}

static void sink_lost(void *ctx, const struct wbpf_bpf_cb *cb, int cpu, uint64_t count)
{
	(void)cb;
	(void)cpu;
	((struct sink *)ctx)->lost += count;
}

static const struct wbpf_bpf_cb test_cb = { .ctx = 7 };

/* Polls until `want` records arrived or a poll delivers nothing. */
static void drain(struct wbpf_bpf_host *host, int buf, struct sink *s, int want)
{
	struct wbpf_bpf_dispatch d = { sink_sample, sink_lost, s };

	while (s->n < want)
		if (wbpf_bpf_host__buffer_poll(host, buf, 200, &d) <= 0)
			break;
}

/* --------------------------------------------------------------- tests */

static void test_events(void)
{
	struct sink rs = { .in_order = true }, ps = { .in_order = true };
	struct fixture f;
	int link, rb, pb, bss, data;
	uint64_t hits = 0, step = 2;
	uint32_t pid = 0;

	if (!fixture_up(&f, NULL))
		goto out;
	link = wbpf_bpf_host__attach(f.host, find(&f, "on_getppid"), NULL);
	CHECK(link > 0);
	rb = wbpf_bpf_host__ringbuf_new(f.host, map(&f, "events"), &test_cb);
	pb = wbpf_bpf_host__perfbuf_new(f.host, map(&f, "pevents"), 64, &test_cb);
	CHECK(rb > 0 && pb > 0);
	hit_tracepoints(N_EVENTS);
	drain(f.host, rb, &rs, N_EVENTS);
	drain(f.host, pb, &ps, N_EVENTS);
	CHECK_EQ(rs.n, N_EVENTS);
	CHECK(rs.in_order);
	CHECK_EQ(rs.kinds, 1u << 1);
	CHECK_EQ(ps.n, N_EVENTS);
	CHECK(ps.in_order);
	CHECK_EQ(wbpf_bpf_host__buffer_lost(f.host, pb), 0);

	/* Global data: .rodata readable, frozen; .bss live; .data writable. */
	CHECK_EQ(wbpf_bpf_host__map_data_read(f.host, map(&f, ".rodata"), 0, &pid, sizeof(pid)), 0);
	CHECK_EQ(pid, getpid());
	CHECK_EQ(wbpf_bpf_host__map_data_write(f.host, map(&f, ".rodata"), 0, &pid, sizeof(pid)),
		 -EPERM);
	bss = map(&f, ".bss");
	data = map(&f, "probe.data"); /* libbpf's internal name works too */
	CHECK_EQ(wbpf_bpf_host__map_data_read(f.host, bss, 0, &hits, sizeof(hits)), 0);
	CHECK_EQ(hits, N_EVENTS);
	CHECK_EQ(wbpf_bpf_host__map_data_write(f.host, data, 0, &step, sizeof(step)), 0);
	hit_tracepoints(1);
	CHECK_EQ(wbpf_bpf_host__map_data_read(f.host, bss, 0, &hits, sizeof(hits)), 0);
	CHECK_EQ(hits, N_EVENTS + 2);
	CHECK_EQ(wbpf_bpf_host__map_data_read(f.host, bss, 4, &hits, sizeof(hits)), -EINVAL);
	CHECK_EQ(wbpf_bpf_host__map_data_read(f.host, map(&f, "counts"), 0, &hits, 1), -EINVAL);

	/* Detach: no more events. */
	CHECK_EQ(wbpf_bpf_host__link_destroy(f.host, link), 0);
	CHECK_EQ(wbpf_bpf_host__link_destroy(f.host, link), -EBADF);
	hit_tracepoints(10);
	CHECK_EQ(wbpf_bpf_host__map_data_read(f.host, bss, 0, &hits, sizeof(hits)), 0);
	CHECK_EQ(hits, N_EVENTS + 2);
out:
	wbpf_bpf_host__free(f.host);
}

static void test_maps(void)
{
	struct wbpf_bpf_map_info info;
	struct fixture f;
	uint32_t key = 1, next, keys[8], in = 0, out = 0, count;
	uint64_t val = 0, vals[8];
	uint8_t pcpu[4096];
	int counts, pc;

	if (!fixture_up(&f, NULL))
		goto out;
	CHECK(wbpf_bpf_host__attach(f.host, find(&f, "on_getppid"), NULL) > 0);
	hit_tracepoints(5);
	counts = map(&f, "counts");
	CHECK_EQ(wbpf_bpf_host__map_lookup(f.host, counts, &key, 4, &val, 8, 0), 0);
	CHECK_EQ(val, 5);
	CHECK_EQ(wbpf_bpf_host__map_lookup(f.host, counts, &key, 8, &val, 8, 0), -EINVAL);
	CHECK_EQ(wbpf_bpf_host__map_lookup(f.host, counts, &key, 4, &val, 4, 0), -EINVAL);
	key = 9;
	val = 90;
	CHECK_EQ(wbpf_bpf_host__map_update(f.host, counts, &key, 4, &val, 8, 0), 0);
	CHECK_EQ(wbpf_bpf_host__map_next_key(f.host, counts, NULL, &next, 4), 0);
	CHECK(next == 1 || next == 9);
	CHECK_EQ(wbpf_bpf_host__map_next_key(f.host, counts, &next, &next, 4), 0);
	CHECK_EQ(wbpf_bpf_host__map_next_key(f.host, counts, &next, &next, 4), -ENOENT);

	count = 8;
	CHECK_EQ(wbpf_bpf_host__map_batch(f.host, counts, WBPF_BATCH_LOOKUP, NULL, &out, keys, vals,
					  &count, 0), -ENOENT);
	CHECK_EQ(count, 2);
	(void)in;
	CHECK_EQ(wbpf_bpf_host__map_lookup_and_delete(f.host, counts, &key, 4, &val, 8, 0), 0);
	CHECK_EQ(val, 90);
	CHECK_EQ(wbpf_bpf_host__map_delete(f.host, counts, &key, 4, 0), -ENOENT);

	/* Per-CPU values take one 8-byte-aligned slot per possible CPU. */
	pc = map(&f, "pcpu");
	CHECK_EQ(wbpf_bpf_host__map_info(f.host, pc, &info), 0);
	CHECK_EQ(info.value_size, 4);
	CHECK_EQ(info.value_stride, 8 * info.ncpus);
	key = 0;
	CHECK(info.value_stride <= sizeof(pcpu));
	memset(pcpu, 0xab, sizeof(pcpu));
	CHECK_EQ(wbpf_bpf_host__map_update(f.host, pc, &key, 4, pcpu, info.value_stride, 0), 0);
	CHECK_EQ(wbpf_bpf_host__map_lookup(f.host, pc, &key, 4, pcpu, 4, 0), -EINVAL);
	memset(pcpu, 0, sizeof(pcpu));
	CHECK_EQ(wbpf_bpf_host__map_lookup(f.host, pc, &key, 4, pcpu, info.value_stride, 0), 0);
	CHECK_EQ(pcpu[0], 0xab);
	if (info.ncpus > 1)
		CHECK_EQ(pcpu[8], 0xab); /* slot 1 */

	/* fd-valued maps take handles; a perf event array takes nothing. */
	key = 0;
	next = 1;
	CHECK_EQ(wbpf_bpf_host__map_update(f.host, map(&f, "pevents"), &key, 4, &next, 4, 0), -EPERM);
out:
	wbpf_bpf_host__free(f.host);
}

static void test_attach_kinds(void)
{
	struct wbpf_bpf_target raw = { .kind = WBPF_ATTACH_RAW_TP, .name = "sys_enter" };
	struct wbpf_bpf_target up = { .kind = WBPF_ATTACH_UPROBE, .pid = -1,
				      .func = "wbpf_test_uprobe_target" };
	struct sink s = { .in_order = true };
	char self[PATH_MAX];
	struct fixture f;
	int rb, uprobe;

	if (!fixture_up(&f, NULL) || !CHECK(realpath("/proc/self/exe", self)))
		goto out;
	up.binary = self;
	rb = wbpf_bpf_host__ringbuf_new(f.host, map(&f, "events"), &test_cb);
	CHECK(wbpf_bpf_host__attach(f.host, find(&f, "on_raw_enter"), &raw) > 0);
	CHECK(wbpf_bpf_host__attach(f.host, find(&f, "on_btf_enter"), NULL) > 0);
	uprobe = find(&f, "on_uprobe");
	CHECK_EQ(wbpf_bpf_host__attach(f.host, uprobe, &up), -EPERM);
	CHECK_EQ(wbpf_bpf_host__attach(f.host, uprobe, NULL), -EOPNOTSUPP);
	CHECK_EQ(wbpf_bpf_host__allow_uprobe(f.host, self), 0);
	CHECK(wbpf_bpf_host__attach(f.host, uprobe, &up) > 0);
	/* A target of the wrong kind for the program. */
	CHECK_EQ(wbpf_bpf_host__attach(f.host, find(&f, "on_getppid"), &raw), -EINVAL);

	hit_tracepoints(3);
	wbpf_test_uprobe_target();
	drain(f.host, rb, &s, 7);
	CHECK_EQ(s.n, 7);
	CHECK_EQ(s.kinds, (1u << 2) | (1u << 3) | (1u << 4));
out:
	wbpf_bpf_host__free(f.host);
}

static void test_permissions(void)
{
	struct wbpf_bpf_target lo = { .kind = WBPF_ATTACH_SOCKET, .ifname = "lo" };
	struct wbpf_bpf_target cg = { .kind = WBPF_ATTACH_CGROUP, .cgroup = "" };
	struct wbpf_bpf_host_opts opts = { .sz = sizeof(opts), .quiet = true };
	struct fixture f;
	int sock, egress, link;

	if (!fixture_up(&f, &opts))
		goto out;
	sock = find(&f, "on_socket");
	CHECK_EQ(wbpf_bpf_host__attach(f.host, sock, &lo), -EPERM);
	CHECK_EQ(wbpf_bpf_host__attach(f.host, sock, NULL), -EOPNOTSUPP);
	CHECK_EQ(wbpf_bpf_host__allow_iface(f.host, "lo"), 0);
	lo.ifname = "nosuchif0";
	CHECK_EQ(wbpf_bpf_host__attach(f.host, sock, &lo), -EPERM);
	lo.ifname = "lo";
	link = wbpf_bpf_host__attach(f.host, sock, &lo);
	CHECK(link > 0);
	CHECK_EQ(wbpf_bpf_host__link_destroy(f.host, link), 0);

	egress = find(&f, "on_egress");
	CHECK_EQ(wbpf_bpf_host__attach(f.host, egress, &cg), -EPERM);
	CHECK_EQ(wbpf_bpf_host__allow_attach(f.host, WBPF_ATTACH_CGROUP), 0);
	cg.cgroup = "../../../etc";
	CHECK_EQ(wbpf_bpf_host__attach(f.host, egress, &cg), -EPERM);
	cg.cgroup = "/etc";
	CHECK_EQ(wbpf_bpf_host__attach(f.host, egress, &cg), -EPERM);
	cg.cgroup = "";
	link = wbpf_bpf_host__attach(f.host, egress, &cg);
	if (link != -EOPNOTSUPP) /* no cgroup v2 mounted */
		CHECK(link > 0);
out:
	wbpf_bpf_host__free(f.host);
}

static void test_handles(void)
{
	struct wbpf_bpf_host_opts opts = { .sz = sizeof(opts), .max_handles = 7 };
	struct wbpf_bpf_host *host = wbpf_bpf_host__new(&opts);
	static const int64_t bogus[] = { 0, -1, 1, 12345, INT32_MAX, (int64_t)1 << 40 };
	const char *name;
	uint32_t key = 0;
	uint64_t val;
	int obj, prog, m, obj2;

	for (size_t i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
		CHECK_EQ(wbpf_bpf_host__handle_kind(host, bogus[i]), WBPF_HANDLE_NONE);
		CHECK_EQ(wbpf_bpf_host__object_close(host, (int)bogus[i]), -EBADF);
		CHECK_EQ(wbpf_bpf_host__attach(host, (int)bogus[i], NULL), -EBADF);
		CHECK_EQ(wbpf_bpf_host__buffer_poll(host, (int)bogus[i], 0, NULL), -EBADF);
	}
	CHECK(wbpf_bpf_host__object_open(host, "garbage", 7, NULL) < 0);
	obj = wbpf_bpf_host__object_open(host, elf_bytes, elf_size, NULL);
	CHECK(obj > 0);
	CHECK_EQ(wbpf_bpf_host__find_program(host, obj, "no_such_prog"), -ENOENT);
	CHECK_EQ(wbpf_bpf_host__find_map(host, obj, "no_such_map"), -ENOENT);
	prog = wbpf_bpf_host__find_program(host, obj, "on_getppid");
	m = wbpf_bpf_host__find_map(host, obj, "counts");
	CHECK_EQ(wbpf_bpf_host__find_program(host, obj, "on_getppid"), prog);
	CHECK_EQ(wbpf_bpf_host__program_at(host, obj, 0), prog);
	CHECK_EQ(wbpf_bpf_host__program_at(host, obj, 100), -ENOENT);
	CHECK_EQ(wbpf_bpf_host__owner(host, m), obj);
	/* Wrong kinds. */
	CHECK_EQ(wbpf_bpf_host__attach(host, m, NULL), -EBADF);
	CHECK_EQ(wbpf_bpf_host__map_lookup(host, prog, &key, 4, &val, 8, 0), -EBADF);
	CHECK_EQ(wbpf_bpf_host__object_load(host, prog), -EBADF);
	/* Not loaded yet. */
	CHECK_EQ(wbpf_bpf_host__attach(host, prog, NULL), -EINVAL);
	CHECK_EQ(wbpf_bpf_host__map_lookup(host, m, &key, 4, &val, 8, 0), -EINVAL);
	CHECK_EQ(wbpf_bpf_host__ringbuf_new(host, wbpf_bpf_host__find_map(host, obj, "events"),
					    &test_cb), -EINVAL);
	CHECK_EQ(wbpf_bpf_host__map_set_max_entries(host, m, 128), 0);
	CHECK_EQ(wbpf_bpf_host__object_load(host, obj), 0);
	CHECK_EQ(wbpf_bpf_host__object_load(host, obj), -EBUSY);
	CHECK_EQ(wbpf_bpf_host__map_set_max_entries(host, m, 256), -EBUSY);
	CHECK_EQ(wbpf_bpf_host__program_set_autoload(host, prog, false), -EBUSY);
	CHECK_EQ(wbpf_bpf_host__program_name(host, prog, &name), 0);
	CHECK(strcmp(name, "on_getppid") == 0);
	/* Table full: 7 slots. */
	obj2 = wbpf_bpf_host__object_open(host, elf_bytes, elf_size, NULL);
	CHECK(obj2 > 0);
	CHECK(wbpf_bpf_host__find_map(host, obj2, "counts") > 0);
	CHECK(wbpf_bpf_host__find_map(host, obj2, "events") > 0);
	CHECK_EQ(wbpf_bpf_host__find_map(host, obj2, "pcpu"), -EMFILE);
	/* Closing invalidates every handle of the object. */
	CHECK_EQ(wbpf_bpf_host__object_close(host, obj), 0);
	CHECK_EQ(wbpf_bpf_host__object_close(host, obj), -EBADF);
	CHECK_EQ(wbpf_bpf_host__map_lookup(host, m, &key, 4, &val, 8, 0), -EBADF);
	CHECK_EQ(wbpf_bpf_host__program_name(host, prog, &name), -EBADF);
	/* A reused slot does not revive an old handle. */
	CHECK(wbpf_bpf_host__find_map(host, obj2, "pcpu") > 0);
	CHECK_EQ(wbpf_bpf_host__handle_kind(host, m), WBPF_HANDLE_NONE);
	CHECK_EQ(wbpf_bpf_host__object_close(host, obj2), 0);
	CHECK_EQ(wbpf_bpf_host__handle_count(host), 0);
	wbpf_bpf_host__free(host);
}

static void test_dispatch(void)
{
	struct sink s = { .in_order = true };
	struct wbpf_bpf_dispatch d = { sink_sample, sink_lost, &s };
	struct fixture f;
	int rb, pb;

	if (!fixture_up(&f, NULL))
		goto out;
	CHECK(wbpf_bpf_host__attach(f.host, find(&f, "on_getppid"), NULL) > 0);
	rb = wbpf_bpf_host__ringbuf_new(f.host, map(&f, "events"), &test_cb);
	pb = wbpf_bpf_host__perfbuf_new(f.host, map(&f, "pevents"), 1, &test_cb);
	CHECK_EQ(wbpf_bpf_host__perfbuf_new(f.host, map(&f, "pevents"), 3, &test_cb), -EINVAL);
	CHECK_EQ(wbpf_bpf_host__perfbuf_new(f.host, map(&f, "pevents"), 512, &test_cb), -E2BIG);
	CHECK_EQ(wbpf_bpf_host__ringbuf_new(f.host, map(&f, "pevents"), &test_cb), -EINVAL);

	/* A negative return stops the poll and is its result. */
	hit_tracepoints(10);
	s.stop_at = 3;
	CHECK_EQ(wbpf_bpf_host__buffer_poll(f.host, rb, 0, &d), -42);
	s.stop_at = 0;
	CHECK_EQ(wbpf_bpf_host__buffer_poll(f.host, rb, 0, &d), 6); /* the rest */

	/* Reentry from a callback is refused. */
	s.host = f.host;
	s.reenter_buf = rb;
	s.reenter_obj = f.obj;
	hit_tracepoints(1);
	CHECK_EQ(wbpf_bpf_host__buffer_poll(f.host, rb, 100, &d), 1);
	s.reenter_buf = 0;

	/* Dropped records count as lost. */
	s.drop = 1;
	CHECK(wbpf_bpf_host__buffer_poll(f.host, pb, 0, &d) >= 0);
	hit_tracepoints(4);
	CHECK_EQ(wbpf_bpf_host__buffer_poll(f.host, rb, 0, &d), 0);
	CHECK_EQ(wbpf_bpf_host__buffer_lost(f.host, rb), 4);
	/* A one-page perf buffer overflows: the kernel reports its drops
	 * with the next record it manages to write. */
	hit_tracepoints(2000);
	CHECK_EQ(wbpf_bpf_host__buffer_poll(f.host, pb, 0, &d), 0);
	hit_tracepoints(1);
	CHECK_EQ(wbpf_bpf_host__buffer_poll(f.host, pb, 0, &d), 0);
	CHECK(s.lost > 500);
	/* Plus the records the dispatcher dropped. */
	CHECK(wbpf_bpf_host__buffer_lost(f.host, pb) > (int64_t)s.lost);

	/* An interrupt ends a poll that would wait forever. */
	wbpf_bpf_host__interrupt(f.host);
	CHECK_EQ(wbpf_bpf_host__buffer_poll(f.host, rb, -1, &d), -EINTR);
	CHECK_EQ(wbpf_bpf_host__buffer_free(f.host, rb), 0);
	CHECK_EQ(wbpf_bpf_host__buffer_free(f.host, rb), -EBADF);
out:
	wbpf_bpf_host__free(f.host);
}

/* Batch reads: records in order across reads, a record that does not fit
 * waits for the next read, one that can never fit is lost. */
static void test_batch(void)
{
	struct fixture f;
	uint8_t buf[4096];
	uint64_t next_seq = 1;
	int rb, n, got = 0;

	if (!fixture_up(&f, NULL))
		goto out;
	CHECK(wbpf_bpf_host__attach(f.host, find(&f, "on_getppid"), NULL) > 0);
	rb = wbpf_bpf_host__ringbuf_new(f.host, map(&f, "events"), &test_cb);
	CHECK_EQ(wbpf_bpf_host__ringbuf_read(f.host, rb, buf, 4, 0), -EINVAL);
	hit_tracepoints(100);
	/* Room for two records (8 + 32 each) and a half. */
	while ((n = wbpf_bpf_host__ringbuf_read(f.host, rb, buf, 100, 0)) > 0) {
		CHECK_EQ(n, 80);
		for (int off = 0; off < n; off += 40) {
			struct wbpf_bpf_record h;
			struct event e;

			memcpy(&h, buf + off, sizeof(h));
			memcpy(&e, buf + off + sizeof(h), sizeof(e));
			CHECK_EQ(h.size, sizeof(e));
			CHECK_EQ(h.ring, 0);
			CHECK_EQ(e.seq, next_seq++);
			got++;
		}
	}
	CHECK_EQ(n, 0);
	CHECK_EQ(got, 100);
	hit_tracepoints(3);
	CHECK_EQ(wbpf_bpf_host__ringbuf_read(f.host, rb, buf, 24, 0), 0);
	CHECK_EQ(wbpf_bpf_host__buffer_lost(f.host, rb), 3);
	CHECK_EQ(wbpf_bpf_host__ringbuf_read(f.host, rb, buf, sizeof(buf), 0), 0);
	CHECK_EQ(wbpf_bpf_host__ringbuf_read(f.host, map(&f, "events"), buf, sizeof(buf), 0), -EBADF);
out:
	wbpf_bpf_host__free(f.host);
}

/* The instance dies with everything open: the host alone cleans up. */
static void test_teardown(void)
{
	struct wbpf_bpf_host_opts opts = { .sz = sizeof(opts), .quiet = true };
	struct wbpf_bpf_target lo = { .kind = WBPF_ATTACH_SOCKET, .ifname = "lo" };
	struct fixture f;
	int m;

	for (int i = 0; i < 3; i++) {
		if (!fixture_up(&f, &opts))
			break;
		wbpf_bpf_host__allow_iface(f.host, "*");
		CHECK(wbpf_bpf_host__attach(f.host, find(&f, "on_getppid"), NULL) > 0);
		CHECK(wbpf_bpf_host__attach(f.host, find(&f, "on_btf_enter"), NULL) > 0);
		CHECK(wbpf_bpf_host__attach(f.host, find(&f, "on_socket"), &lo) > 0);
		m = map(&f, "events");
		CHECK(wbpf_bpf_host__ringbuf_new(f.host, m, &test_cb) > 0);
		CHECK(wbpf_bpf_host__map_buffer(f.host, m, &test_cb) > 0);
		CHECK(wbpf_bpf_host__perfbuf_new(f.host, map(&f, "pevents"), 4, &test_cb) > 0);
		CHECK(wbpf_bpf_host__object_open(f.host, elf_bytes, elf_size, NULL) > 0);
		hit_tracepoints(10);
		wbpf_bpf_host__free(f.host);
	}
}

/* How libbpf itself fares on `buf`, in a child: the signal that killed
 * it, or 0 (a sanitizer's handler would turn the signal into an exit). */
static int libbpf_open_signal(const void *buf, size_t size)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		libbpf_set_print(NULL);
		bpf_object__open_mem(buf, size, NULL);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/* Bytes that crash libbpf's parser are refused with -EINVAL, and the
 * host goes on; so do truncated and empty objects, with libbpf's errno. */
static void test_corrupt(void)
{
	struct wbpf_bpf_host *host = wbpf_bpf_host__new(NULL);
	uint8_t *bad = malloc(elf_size);
	int obj;

	if (!CHECK(host && bad))
		goto out;
	memcpy(bad, elf_bytes, elf_size);
	if (!CHECK_EQ(corrupt_btf(bad, elf_size), 0))
		goto out;
	CHECK_EQ(libbpf_open_signal(bad, elf_size), SIGSEGV);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(wbpf_bpf_host__object_open(host, bad, elf_size, "corrupt"), -EINVAL);
	CHECK(wbpf_bpf_host__object_open(host, elf_bytes, elf_size / 2, "truncated") < 0);
	CHECK_EQ(wbpf_bpf_host__handle_count(host), 0);
	obj = wbpf_bpf_host__object_open(host, elf_bytes, elf_size, "intact");
	CHECK(obj > 0);
	CHECK_EQ(wbpf_bpf_host__object_load(host, obj), 0);
out:
	free(bad);
	wbpf_bpf_host__free(host);
}

static volatile sig_atomic_t usr1_seen;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_seen++;
}

/* policy.bpf.o calls bpf_send_signal from a subprogram and
 * bpf_probe_write_user directly: refused until granted; once granted, the
 * signal really arrives. */
static void test_helper_policy(void)
{
	struct wbpf_bpf_host_opts opts = { .sz = sizeof(opts), .quiet = true };
	struct wbpf_bpf_host *host = wbpf_bpf_host__new(&opts);
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	uint32_t pid = (uint32_t)getpid();
	int obj;

	if (!CHECK(host))
		return;
	CHECK(wbpf_bpf_helper__grantable("bpf_send_signal"));
	CHECK(wbpf_bpf_helper__grantable("kfunc"));
	CHECK(!wbpf_bpf_helper__grantable("send_signal"));
	CHECK_EQ(wbpf_bpf_host__allow_helper(host, "bpf_no_such_helper"), -EINVAL);
	obj = wbpf_bpf_host__object_open(host, policy_bytes, policy_size, "policy");
	CHECK_EQ(wbpf_bpf_host__object_load(host, obj), -EPERM);
	CHECK_EQ(wbpf_bpf_host__allow_helper(host, "signal"), 0);
	CHECK_EQ(wbpf_bpf_host__object_load(host, obj), -EPERM); /* write_user still refused */
	CHECK_EQ(wbpf_bpf_host__program_set_autoload(
			 host, wbpf_bpf_host__find_program(host, obj, "policy_write_user"), false), 0);
	CHECK_EQ(wbpf_bpf_host__map_data_write(host, wbpf_bpf_host__find_map(host, obj, ".rodata"),
					       0, &pid, sizeof(pid)), 0);
	if (!CHECK_EQ(wbpf_bpf_host__object_load(host, obj), 0))
		goto out;
	sigaction(SIGUSR1, &sa, &old);
	CHECK(wbpf_bpf_host__attach(host, wbpf_bpf_host__find_program(host, obj, "policy_signal"),
				    NULL) > 0);
	hit_tracepoints(3);
	CHECK(usr1_seen > 0);
	sigaction(SIGUSR1, &old, NULL);
out:
	wbpf_bpf_host__free(host);
}

static const struct test tests[] = {
	{ "helper_policy", test_helper_policy },
	{ "corrupt", test_corrupt },
	{ "events", test_events },
	{ "maps", test_maps },
	{ "attach_kinds", test_attach_kinds },
	{ "permissions", test_permissions },
	{ "handles", test_handles },
	{ "dispatch", test_dispatch },
	{ "batch", test_batch },
	{ "teardown", test_teardown },
};

int main(int argc, char **argv)
{
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s PROBE.bpf.o POLICY.bpf.o\n", argv[0]);
		return 2;
	}
	if (!(elf_bytes = read_file(argv[1], &elf_size)) ||
	    !(policy_bytes = read_file(argv[2], &policy_size))) {
		fprintf(stderr, "bpf-test: cannot read %s or %s\n", argv[1], argv[2]);
		return 1;
	}
	rc = run_tests("bpf-test", tests, sizeof(tests) / sizeof(tests[0]));
	free(elf_bytes);
	free(policy_bytes);
	return rc;
}
