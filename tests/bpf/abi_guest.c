// SPDX-License-Identifier: MIT
/*
 * Guest of tests/bpf/test_abi.c: calls the `wbpf`, `wasm_bpf` and
 * `callback-wrapper` imports directly (no libc, no WASI) and returns 0,
 * or the line of the first failed check. The harness drives it one
 * exported function at a time and makes the events in between.
 */
#include <stdint.h>

#define IMPORT(mod, name) __attribute__((import_module(mod), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))
#define W(name) IMPORT("wbpf", name)

W(object_open) int object_open(const void *buf, uint32_t size, const char *name);
W(object_load) int object_load(int obj);
W(object_close) int object_close(int obj);
W(object_find_program) int object_find_program(int obj, const char *name);
W(object_find_map) int object_find_map(int obj, const char *name);
W(object_program) int object_program(int obj, uint32_t idx);
W(program_name) int program_name(int prog, char *buf, uint32_t size);
W(program_attach) int program_attach(int prog);
W(program_attach_raw_tracepoint) int program_attach_raw_tracepoint(int prog, const char *name);
W(program_attach_uprobe) int program_attach_uprobe(int prog, int ret, int pid, const char *bin,
						 const char *func, uint64_t off);
W(program_attach_socket) int program_attach_socket(int prog, const char *ifname);
W(program_attach_cgroup) int program_attach_cgroup(int prog, const char *path);
W(link_destroy) int link_destroy(int link);
W(map_info) int map_info(int map, void *info);
W(map_lookup) int map_lookup(int map, const void *k, uint32_t ks, void *v, uint32_t vs, uint64_t f);
W(map_update) int map_update(int map, const void *k, uint32_t ks, const void *v, uint32_t vs,
			     uint64_t f);
W(map_next_key) int map_next_key(int map, const void *k, void *next, uint32_t ks);
W(map_lookup_batch) int map_lookup_batch(int map, void *in, void *out, void *keys, void *vals,
					 uint32_t *count, uint64_t f);
W(map_data_read) int map_data_read(int map, uint32_t off, void *buf, uint32_t len);
W(map_data_write) int map_data_write(int map, uint32_t off, const void *buf, uint32_t len);
W(ringbuf_new) int ringbuf_new(int map, int fn, void *ctx, void *buf, uint32_t size);
W(ringbuf_poll) int ringbuf_poll(int rb, int timeout_ms);
W(ringbuf_lost) int64_t ringbuf_lost(int rb);
W(ringbuf_read) int ringbuf_read(int rb, void *buf, uint32_t size, int timeout_ms);
W(ringbuf_free) int ringbuf_free(int rb);
W(perfbuf_new) int perfbuf_new(int map, uint32_t pages, int fn, int lost, void *ctx, void *buf,
			       uint32_t size);
W(perfbuf_poll) int perfbuf_poll(int pb, int timeout_ms);

IMPORT("wasm_bpf", wasm_load_bpf_object) int64_t wasm_load_bpf_object(const void *buf, int size);
IMPORT("wasm_bpf", wasm_attach_bpf_program) int wasm_attach_bpf_program(int64_t obj, const char *name,
									const char *target);
IMPORT("wasm_bpf", wasm_bpf_buffer_poll) int wasm_bpf_buffer_poll(int64_t obj, int fd, int fn,
								  void *ctx, void *data, int max,
								  int timeout_ms);
IMPORT("wasm_bpf", wasm_bpf_map_fd_by_name) int wasm_bpf_map_fd_by_name(int64_t obj, const char *n);
IMPORT("wasm_bpf", wasm_bpf_map_operate) int wasm_bpf_map_operate(int fd, int cmd, void *key,
								  void *value, void *next,
								  uint64_t flags);
IMPORT("wasm_bpf", wasm_close_bpf_object) int wasm_close_bpf_object(int64_t obj);
IMPORT("callback-wrapper", wasm_bpf_buffer_poll) int go_buffer_poll(int64_t obj, int fd, void *ctx,
								    void *data, int max,
								    int timeout_ms);

#define EFAULT 14
#define EBADF 9
#define ENOENT 2
#define EINVAL 22
#define EPERM 1
#define EBUSY 16
#define BAD_PTR ((void *)0xfffffff0u)

#define CHECK(cond)               \
	do {                      \
		if (!(cond))      \
			return __LINE__; \
	} while (0)

struct event {
	uint32_t pid;
	uint32_t kind;
	uint64_t seq;
	char comm[16];
};

struct map_info {
	uint32_t type, key_size, value_size, max_entries, map_flags, value_stride, ncpus, reserved;
};

enum mode { NORMAL, TRAP, LOOP, REENTER, BAD_SCRATCH, STOP };

static uint8_t elf[512 * 1024];
static uint8_t scratch_ring[64], scratch_perf[64];
static uint32_t pid;
static int obj, rb, pb, events, counts;
static int64_t cobj;
static enum mode mode;

struct tally {
	int n, bad;
	uint64_t last_seq;
	int lost;
};
static struct tally ring_tally, perf_tally;

EXPORT(elf_buf) uint8_t *elf_buf(void)
{
	return elf;
}

static struct tally compat_tally;

/* Rings keep order; perf buffers only per CPU. The wasm_bpf object
 * records every process's getppid (it cannot set the .rodata pid), so
 * ours only increase there: any shell starting meanwhile takes a number. */
static int record(struct tally *t, const void *data, uint32_t size)
{
	const struct event *e = data;
	int gap = t == &compat_tally ? e->seq <= t->last_seq : e->seq != t->last_seq + 1;

	/* Perf records come padded to 8 bytes with their header. */
	if (size < sizeof(*e) || e->pid != pid || (t != &perf_tally && t->last_seq && gap))
		t->bad++;
	t->last_seq = e->seq;
	t->n++;
	return 0;
}

static int on_ring(void *ctx, void *data, uint32_t size)
{
	volatile int spin = 1;

	if (mode == TRAP)
		__builtin_trap();
	while (mode == LOOP && spin)
		;
	if (mode == REENTER) {
		if (ringbuf_poll(rb, 0) != -EBUSY || object_close(obj) != -EBUSY ||
		    ringbuf_free(rb) != -EBUSY)
			((struct tally *)ctx)->bad++;
	}
	/* As libbpf's: a negative return ends the poll with it. */
	if (mode == STOP)
		return record(ctx, data, size) - 42;
	return record(ctx, data, size);
}

static void on_perf(void *ctx, int cpu, void *data, uint32_t size)
{
	(void)cpu;
	record(ctx, data, size);
}

static void on_lost(void *ctx, int cpu, uint64_t n)
{
	(void)cpu;
	((struct tally *)ctx)->lost += (int)n;
}

/* A callback of the wrong type for any buffer. */
static int64_t wrong_type(int64_t x)
{
	return x;
}

#define FN(f) ((int)(uintptr_t)(f))

EXPORT(setup) int setup(uint32_t size, uint32_t our_pid)
{
	int rodata, prog;

	pid = our_pid;
	obj = object_open(elf, size, "probe");
	CHECK(obj > 0);
	rodata = object_find_map(obj, ".rodata");
	CHECK(rodata > 0);
	CHECK(map_data_write(rodata, 0, &pid, 4) == 0);
	CHECK(map_data_write(rodata, 2, &pid, 4) == -EINVAL);
	CHECK(object_load(obj) == 0);
	CHECK(object_load(obj) == -EBUSY);
	prog = object_find_program(obj, "on_getppid");
	CHECK(prog > 0);
	CHECK(program_attach(prog) > 0);
	events = object_find_map(obj, "events");
	counts = object_find_map(obj, "counts");
	CHECK(events > 0 && counts > 0);
	rb = ringbuf_new(events, FN(on_ring), &ring_tally, scratch_ring, sizeof(scratch_ring));
	CHECK(rb > 0);
	pb = perfbuf_new(object_find_map(obj, "pevents"), 64, FN(on_perf), FN(on_lost), &perf_tally,
			 scratch_perf, sizeof(scratch_perf));
	CHECK(pb > 0);
	return 0;
}

/* Polls until `want` records came; returns how many (negative: error). */
EXPORT(drain) int drain(int want)
{
	while (ring_tally.n < want) {
		int r = ringbuf_poll(rb, 200);

		if (r <= 0)
			return r < 0 ? r : ring_tally.n;
	}
	while (perf_tally.n < want)
		if (perfbuf_poll(pb, 200) <= 0)
			break;
	if (ring_tally.bad || perf_tally.bad || perf_tally.n != ring_tally.n)
		return -1000 - ring_tally.bad - perf_tally.bad;
	return ring_tally.n;
}

EXPORT(set_mode) void set_mode(int m)
{
	mode = (enum mode)m;
}

EXPORT(ring_bad) int ring_bad(void)
{
	return ring_tally.bad;
}

EXPORT(poll_once) int poll_once(void)
{
	return ringbuf_poll(rb, 100);
}

EXPORT(check_maps) int check_maps(void)
{
	struct map_info info;
	uint32_t key = 1, next, keys[4], out = 0, count = 4;
	uint64_t val, vals[4], hits = 0;
	uint8_t pcpu[1024];
	int pc = object_find_map(obj, "pcpu");

	CHECK(map_info(counts, &info) == 0);
	CHECK(info.key_size == 4 && info.value_size == 8 && info.value_stride == 8);
	CHECK(map_lookup(counts, &key, 4, &val, 8, 0) == 0 && val >= 3);
	CHECK(map_lookup(counts, &key, 4, &val, 4, 0) == -EINVAL);
	CHECK(map_lookup(counts, BAD_PTR, 4, &val, 8, 0) == -EFAULT);
	CHECK(map_lookup(counts, &key, 4, BAD_PTR, 8, 0) == -EFAULT);
	CHECK(map_info(counts, BAD_PTR) == -EFAULT);
	CHECK(map_next_key(counts, 0, &next, 4) == 0 && next == 1);
	CHECK(map_next_key(counts, &next, &next, 4) == -ENOENT);
	CHECK(map_lookup_batch(counts, 0, &out, keys, vals, &count, 0) == -ENOENT && count == 1);
	count = 100000; /* the buffers would run past memory */
	CHECK(map_lookup_batch(counts, 0, &out, keys, vals, &count, 0) == -EFAULT);
	CHECK(map_info(pc, &info) == 0 && info.value_stride == 8 * info.ncpus);
	key = 0;
	CHECK(map_lookup(pc, &key, 4, pcpu, 4, 0) == -EINVAL);
	CHECK(map_lookup(pc, &key, 4, pcpu, info.value_stride, 0) == 0);
	CHECK(map_data_read(object_find_map(obj, ".bss"), 0, &hits, 8) == 0 && hits >= 3);
	CHECK(map_data_write(object_find_map(obj, ".rodata"), 0, &pid, 4) == -EPERM);
	/* fd-valued maps: a perf event array takes nothing from the guest. */
	CHECK(map_update(object_find_map(obj, "pevents"), &key, 4, &key, 4, 0) == -EPERM);
	return 0;
}

EXPORT(hostile) int hostile(void)
{
	char *last = (char *)(__builtin_wasm_memory_size(0) * 65536 - 1);
	char name[8];
	int prog = object_find_program(obj, "on_raw_enter");

	CHECK(object_find_program(obj, "no_such_program") == -ENOENT);
	CHECK(object_find_program(obj, BAD_PTR) == -EFAULT);
	CHECK(object_find_program(12345, "on_getppid") == -EBADF);
	CHECK(object_find_program(events, "on_getppid") == -EBADF); /* a map */
	CHECK(program_attach(events) == -EBADF);
	CHECK(program_attach(0) == -EBADF);
	CHECK(program_attach(rb ^ 0x10000) == -EBADF); /* another generation */
	CHECK(ringbuf_poll(pb, 0) == -EBADF);	       /* a perf buffer */
	CHECK(object_open(BAD_PTR, 64, 0) == -EFAULT);
	CHECK(object_open(elf, 16, 0) < 0);
	CHECK(object_close(-5) == -EBADF);
	CHECK(program_name(prog, name, sizeof(name)) == 12); /* "on_raw_enter" */
	CHECK(name[7] == 0 && name[0] == 'o');
	CHECK(program_name(prog, BAD_PTR, 64) == -EFAULT);
	CHECK(ringbuf_new(events, FN(wrong_type), 0, scratch_ring, 64) == -EINVAL);
	CHECK(ringbuf_new(events, 100000, 0, scratch_ring, 64) == -EINVAL);
	CHECK(ringbuf_new(events, FN(on_ring), 0, BAD_PTR, 64) == -EFAULT);
	CHECK(perfbuf_new(events, 8, FN(on_perf), 0, 0, scratch_perf, 64) == -EINVAL);
	*last = 'x'; /* a string running off the end of memory */
	CHECK(object_find_program(obj, last) == -EFAULT);
	CHECK(program_attach_raw_tracepoint(prog, last) == -EFAULT);
	CHECK(program_attach_uprobe(object_find_program(obj, "on_uprobe"), 0, -1, "/bin/sh", "main",
				    0) == -EPERM);
	CHECK(program_attach_socket(object_find_program(obj, "on_socket"), "lo") == -EPERM);
	CHECK(program_attach_cgroup(object_find_program(obj, "on_egress"), "") == -EPERM);
	return 0;
}

EXPORT(oversize) int oversize(void)
{
	int small = ringbuf_new(events, FN(on_ring), &ring_tally, scratch_ring, 8);

	CHECK(small > 0);
	return small;
}

EXPORT(small_poll) int small_poll(int small)
{
	int n = ring_tally.n;

	CHECK(ringbuf_poll(small, 100) == 0);
	CHECK(ring_tally.n == n);
	CHECK(ringbuf_lost(small) == 2);
	CHECK(ringbuf_free(small) == 0);
	CHECK(ringbuf_free(small) == -EBADF);
	ring_tally.last_seq = 0; /* the small buffer took two */
	return 0;
}

/* Batch reads: headers, order, bounds. */
EXPORT(batch_read) int batch_read(int want)
{
	static uint64_t buf[64];
	const uint8_t *p = (const uint8_t *)buf;
	uint64_t last = 0;
	int n = ringbuf_read(rb, buf, sizeof(buf), 100);

	CHECK(ringbuf_read(rb, BAD_PTR, 64, 0) == -EFAULT);
	CHECK(ringbuf_read(pb, buf, sizeof(buf), 0) == -EBADF);
	CHECK(n == want * 40);
	for (int i = 0; i < want; i++, p += 40) {
		const uint32_t *h = (const uint32_t *)p;
		const struct event *e = (const struct event *)(p + 8);

		CHECK(h[0] == sizeof(*e) && h[1] == 0 && e->pid == pid);
		CHECK(!last || e->seq == last + 1);
		last = e->seq;
	}
	ring_tally.last_seq = 0;
	return 0;
}

EXPORT(close_all) int close_all(void)
{
	CHECK(object_close(obj) == 0);
	CHECK(object_close(obj) == -EBADF);
	CHECK(ringbuf_poll(rb, 0) == -EBADF);
	CHECK(map_lookup(counts, "", 4, scratch_ring, 8, 0) == -EBADF);
	return 0;
}

/* ------------------------------------------------------------ wasm_bpf */

static uint8_t compat_data[64];

static int on_compat(void *ctx, void *data, int size)
{
	const struct event *e = data;

	if (e->pid == pid)
		record(ctx, data, (uint32_t)size);
	return 0;
}

__attribute__((export_name("go-callback"))) int go_callback(void *ctx, void *data, int size)
{
	return on_compat(ctx, data, size);
}

EXPORT(compat_setup) int compat_setup(int size, uint32_t our_pid)
{
	pid = our_pid;
	cobj = wasm_load_bpf_object(elf, size);
	CHECK(cobj > 0);
	CHECK(wasm_load_bpf_object(BAD_PTR, 100) == 0);
	CHECK(wasm_attach_bpf_program(cobj, "no_such_program", 0) == -ENOENT);
	CHECK(wasm_attach_bpf_program(cobj, BAD_PTR, 0) == -EFAULT);
	CHECK(wasm_attach_bpf_program(cobj + 0x10000, "on_getppid", 0) == -EBADF);
	CHECK(wasm_attach_bpf_program(cobj, "on_getppid", "") == 0);
	/* sockops-style: a cgroup target obeys the permissions. */
	CHECK(wasm_attach_bpf_program(cobj, "on_egress", "/sys/fs/cgroup") == -EPERM);
	return 0;
}

EXPORT(compat_poll) int compat_poll(int want, int go)
{
	int fd = wasm_bpf_map_fd_by_name(cobj, "events");
	int pfd = wasm_bpf_map_fd_by_name(cobj, "pevents");
	uint32_t key = 1;
	uint64_t val = 0;
	uint8_t pcpu[1024];

	CHECK(fd > 0 && pfd > 0);
	CHECK(wasm_bpf_map_fd_by_name(cobj, "nope") == -ENOENT);
	while (compat_tally.n < want) {
		int r = go ? go_buffer_poll(cobj, fd, &compat_tally, compat_data, sizeof(compat_data), 200)
			   : wasm_bpf_buffer_poll(cobj, fd, FN(on_compat), &compat_tally, compat_data,
						  sizeof(compat_data), 200);
		if (r <= 0)
			return r < 0 ? r : -2000 - compat_tally.n;
	}
	CHECK(compat_tally.bad == 0);
	/* The perf event array gets a buffer of its own. */
	CHECK(wasm_bpf_buffer_poll(cobj, pfd, FN(on_compat), &compat_tally, compat_data,
				   sizeof(compat_data), 0) >= 0);
	CHECK(wasm_bpf_buffer_poll(cobj, fd, FN(on_compat), 0, BAD_PTR, 64, 0) == -EFAULT);
	CHECK(wasm_bpf_buffer_poll(cobj, fd, FN(wrong_type), 0, compat_data, 64, 0) == -EINVAL);
	CHECK(wasm_bpf_buffer_poll(cobj, 777, FN(on_compat), 0, compat_data, 64, 0) == -EBADF);
	CHECK(wasm_bpf_buffer_poll(cobj + 1, fd, FN(on_compat), 0, compat_data, 64, 0) == -EBADF);
	CHECK(wasm_bpf_map_operate(wasm_bpf_map_fd_by_name(cobj, "counts"), 1, &key, &val, 0, 0) == 0);
	CHECK(val >= (uint64_t)want);
	CHECK(wasm_bpf_map_operate(wasm_bpf_map_fd_by_name(cobj, "counts"), 1, BAD_PTR, &val, 0, 0) ==
	      -EFAULT);
	CHECK(wasm_bpf_map_operate(wasm_bpf_map_fd_by_name(cobj, "counts"), 4, 0, 0, &key, 0) == 0);
	CHECK(wasm_bpf_map_operate(wasm_bpf_map_fd_by_name(cobj, "counts"), 99, &key, 0, 0, 0) ==
	      -EINVAL);
	CHECK(wasm_bpf_map_operate(3, 1, &key, &val, 0, 0) == -EBADF); /* a host fd number */
	key = 0;
	CHECK(wasm_bpf_map_operate(wasm_bpf_map_fd_by_name(cobj, "pcpu"), 1, &key, pcpu, 0, 0) == 0);
	return 0;
}

EXPORT(compat_close) int compat_close(void)
{
	CHECK(wasm_close_bpf_object(cobj) == 0);
	CHECK(wasm_close_bpf_object(cobj) == -EBADF);
	CHECK(wasm_close_bpf_object((int64_t)1 << 40) == -EBADF);
	return 0;
}
