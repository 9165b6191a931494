// SPDX-License-Identifier: MIT
/*
 * A hostile guest: calls the `wbpf` and `wasm_bpf` imports directly with
 * bad pointers, forged, stale and wrong-kind handles, unknown names and
 * wrong sizes, and abuses callbacks. Every call must come back with the
 * errno docs/abi-wbpf.md promises; none may crash the host or trap.
 *
 * usage: hostile SUITE    (SUITE: see the table at the end)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wbpf/abi.h>

#include "../../bpf/corrupt_btf.h"
#include "check.h"
#include "hostile.h"
#include "hostile.bpf.h" /* hostile_bpf_o[] */
#include "wasm_bpf_imports.h"

#define WASM_PAGE 65536u

/* Handles of one opened and loaded copy of hostile.bpf.o. */
struct fixture {
	int obj;
	int prog;   /* e2e_switch */
	int uprobe; /* e2e_uprobe */
	int xdp;
	int socket;
	int ring;
	int perf;
	int hash;
	int pcpu;
	int bss;
	int rodata;
};

static uint32_t memory_end(void)
{
	return (uint32_t)__builtin_wasm_memory_size(0) * WASM_PAGE;
}

/* An address n bytes before the end of linear memory. */
static void *near_end(uint32_t n)
{
	return (void *)(uintptr_t)(memory_end() - n);
}

static int open_fixture(struct fixture *f, int load)
{
	f->obj = wbpf_object_open(hostile_bpf_o, sizeof(hostile_bpf_o), "hostile");
	if (f->obj <= 0 || (load && wbpf_object_load(f->obj))) {
		printf("FAIL setup: cannot open/load hostile.bpf.o (%d)\n", f->obj);
		exit(1);
	}
	f->prog = wbpf_object_find_program(f->obj, "e2e_switch");
	f->uprobe = wbpf_object_find_program(f->obj, "e2e_uprobe");
	f->xdp = wbpf_object_find_program(f->obj, "e2e_xdp");
	f->socket = wbpf_object_find_program(f->obj, "e2e_socket");
	f->ring = wbpf_object_find_map(f->obj, "e2e_ring");
	f->perf = wbpf_object_find_map(f->obj, "e2e_perf");
	f->hash = wbpf_object_find_map(f->obj, "e2e_hash");
	f->pcpu = wbpf_object_find_map(f->obj, "e2e_pcpu");
	f->bss = wbpf_object_find_map(f->obj, ".bss");
	f->rodata = wbpf_object_find_map(f->obj, ".rodata");
	return f->prog > 0 && f->ring > 0 && f->hash > 0 && f->bss > 0 ? 0 : -1;
}

static int count_sample(void *ctx, void *data, size_t size)
{
	(void)data;
	(void)size;
	++*(int *)ctx;
	return 0;
}

static void perf_sample(void *ctx, int cpu, void *data, uint32_t size)
{
	(void)cpu;
	(void)data;
	(void)size;
	++*(int *)ctx;
}

static void perf_lost(void *ctx, int cpu, uint64_t count)
{
	(void)cpu;
	((int *)ctx)[1] += (int)count;
}

/* ---- bad pointers: -EFAULT, never a trap -------------------------------- */

static void ptrs_objects(struct fixture *f)
{
	char *last = near_end(1);

	CHECK_EQ("object_open buffer past the end", wbpf_object_open(near_end(10), 100, 0),
		 -L_EFAULT);
	CHECK_EQ("object_open range wrapping 4 GiB",
		 wbpf_object_open((void *)0xFFFFFF00u, 0x1000, 0), -L_EFAULT);
	*last = 'x'; /* a string with no NUL before the end of memory */
	CHECK_EQ("object_open name without NUL",
		 wbpf_object_open(hostile_bpf_o, sizeof(hostile_bpf_o), last), -L_EFAULT);
	CHECK_EQ("find_program name past the end",
		 wbpf_object_find_program(f->obj, (char *)(uintptr_t)memory_end()), -L_EFAULT);
	CHECK_EQ("find_map name at 0xffffffff",
		 wbpf_object_find_map(f->obj, (char *)0xFFFFFFFFu), -L_EFAULT);
	CHECK_EQ("program_name buffer past the end", wbpf_program_name(f->prog, near_end(4), 64),
		 -L_EFAULT);
	CHECK_EQ("map_info struct past the end", wbpf_map_info(f->hash, near_end(16)),
		 -L_EFAULT);
}

static void ptrs_maps(struct fixture *f)
{
	uint32_t key = 1, count = 1;
	uint64_t value = 5;

	CHECK_EQ("map_update (setup)", wbpf_map_update(f->hash, &key, 4, &value, 8, 0), 0);
	CHECK_EQ("map_lookup key past the end",
		 wbpf_map_lookup(f->hash, near_end(2), 4, &value, 8, 0), -L_EFAULT);
	CHECK_EQ("map_lookup value past the end",
		 wbpf_map_lookup(f->hash, &key, 4, near_end(4), 8, 0), -L_EFAULT);
	CHECK_EQ("map_update value wrapping 4 GiB",
		 wbpf_map_update(f->hash, &key, 4, (void *)0xFFFFFFFCu, 8, 0), -L_EFAULT);
	CHECK_EQ("map_next_key next past the end",
		 wbpf_map_next_key(f->hash, 0, near_end(2), 4), -L_EFAULT);
	CHECK_EQ("map_data_read buffer past the end",
		 wbpf_map_data_read(f->bss, 0, near_end(4), 8), -L_EFAULT);
	CHECK_EQ("map_lookup_batch count past the end",
		 wbpf_map_lookup_batch(f->hash, 0, &key, &key, &value, near_end(2), 0),
		 -L_EFAULT);
	CHECK_EQ("map_delete_batch keys past the end",
		 wbpf_map_delete_batch(f->hash, near_end(2), &count, 0), -L_EFAULT);
}

static void ptrs_buffers(struct fixture *f)
{
	int n = 0;

	CHECK_EQ("ringbuf_new scratch past the end",
		 wbpf_ringbuf_new(f->ring, WBPF_FUNC_INDEX(count_sample), &n, near_end(100),
				  4096),
		 -L_EFAULT);
	CHECK_EQ("perfbuf_new scratch past the end",
		 wbpf_perfbuf_new(f->perf, 8, WBPF_FUNC_INDEX(perf_sample), 0, &n,
				  near_end(100), 4096),
		 -L_EFAULT);
}

static void ptrs_wasm_bpf(void)
{
	uint64_t obj = wasm_load_bpf_object(hostile_bpf_o, sizeof(hostile_bpf_o));
	uint64_t value;
	int fd, n = 0;

	CHECK_EQ("wasm_load_bpf_object buffer past the end",
		 wasm_load_bpf_object(near_end(10), 100), 0);
	CHECK_TRUE("wasm_load_bpf_object (setup)", obj != 0);
	CHECK_EQ("wasm_bpf_map_fd_by_name name past the end",
		 wasm_bpf_map_fd_by_name(obj, (char *)(uintptr_t)memory_end()), -L_EFAULT);
	fd = wasm_bpf_map_fd_by_name(obj, "e2e_hash");
	CHECK_EQ("wasm_bpf_map_operate key past the end",
		 wasm_bpf_map_operate(fd, 1, near_end(2), &value, 0, 0), -L_EFAULT);
	CHECK_EQ("wasm_bpf_map_operate next_key past the end",
		 wasm_bpf_map_operate(fd, 4, 0, 0, near_end(2), 0), -L_EFAULT);
	CHECK_EQ("wasm_attach_bpf_program name past the end",
		 wasm_attach_bpf_program(obj, near_end(0), ""), -L_EFAULT);
	CHECK_EQ("wasm_attach_bpf_program (setup)",
		 wasm_attach_bpf_program(obj, "e2e_switch", ""), 0);
	fd = wasm_bpf_map_fd_by_name(obj, "e2e_ring");
	CHECK_EQ("wasm_bpf_buffer_poll data past the end",
		 wasm_bpf_buffer_poll(obj, fd, WBPF_FUNC_INDEX(count_sample), &n, near_end(8), 64,
				      200),
		 -L_EFAULT);
	CHECK_EQ("wasm_close_bpf_object", wasm_close_bpf_object(obj), 0);
}

static int suite_ptrs(void)
{
	struct fixture f;

	if (open_fixture(&f, 1))
		return 1;
	ptrs_objects(&f);
	ptrs_maps(&f);
	ptrs_buffers(&f);
	ptrs_wasm_bpf();
	return checks_summary("ptrs");
}

/* ---- forged, stale and wrong-kind handles: -EBADF ----------------------- */

static void handles_forged(struct fixture *f)
{
	static const int forged[] = { 0, -1, 12345, 0x7fffffff, (int)0x80000000 };
	struct wbpf_map_info info;

	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		CHECK_EQ("object_load forged handle", wbpf_object_load(forged[i]), -L_EBADF);
		CHECK_EQ("map_info forged handle", wbpf_map_info(forged[i], &info), -L_EBADF);
		CHECK_EQ("program_attach forged handle", wbpf_program_attach(forged[i]),
			 -L_EBADF);
	}
	CHECK_EQ("map handle as a program", wbpf_program_attach(f->hash), -L_EBADF);
	CHECK_EQ("program handle as a map", wbpf_map_info(f->prog, &info), -L_EBADF);
	CHECK_EQ("object handle as a map", wbpf_map_info(f->obj, &info), -L_EBADF);
	CHECK_EQ("program handle as an object", wbpf_object_load(f->prog), -L_EBADF);
	CHECK_EQ("map handle as a link", wbpf_link_destroy(f->hash), -L_EBADF);
	CHECK_EQ("map handle as a ring buffer", wbpf_ringbuf_poll(f->ring, 0), -L_EBADF);
	CHECK_EQ("map handle as a perf buffer", wbpf_perfbuf_free(f->perf), -L_EBADF);
}

static void handles_stale(struct fixture *f)
{
	struct fixture g;
	struct wbpf_map_info info;
	int link = wbpf_program_attach(f->prog), n = 0;
	int rb = wbpf_ringbuf_new(f->ring, WBPF_FUNC_INDEX(count_sample), &n, malloc(128), 128);

	CHECK_OK("program_attach (setup)", link);
	CHECK_EQ("link_destroy", wbpf_link_destroy(link), 0);
	CHECK_EQ("link_destroy again (stale)", wbpf_link_destroy(link), -L_EBADF);
	CHECK_EQ("ringbuf_free", wbpf_ringbuf_free(rb), 0);
	CHECK_EQ("ringbuf_poll after free", wbpf_ringbuf_poll(rb, 0), -L_EBADF);
	open_fixture(&g, 1);
	CHECK_EQ("object_close", wbpf_object_close(g.obj), 0);
	CHECK_EQ("object_close again", wbpf_object_close(g.obj), -L_EBADF);
	CHECK_EQ("map of a closed object", wbpf_map_info(g.hash, &info), -L_EBADF);
	CHECK_EQ("program of a closed object", wbpf_program_attach(g.prog), -L_EBADF);
}

/* wasm-bpf's "fds" are handles too: host fds (0, 1, 2, ...) and other
 * objects' maps must not work. */
static void handles_wasm_bpf(void)
{
	uint64_t a = wasm_load_bpf_object(hostile_bpf_o, sizeof(hostile_bpf_o));
	uint64_t b = wasm_load_bpf_object(hostile_bpf_o, sizeof(hostile_bpf_o));
	int b_ring = wasm_bpf_map_fd_by_name(b, "e2e_ring"), n = 0;
	static char data[128];
	uint32_t key = 0;
	uint64_t value;

	CHECK_EQ("wasm_bpf_buffer_poll with another object's map",
		 wasm_bpf_buffer_poll(a, b_ring, WBPF_FUNC_INDEX(count_sample), &n, data,
				      sizeof(data), 0),
		 -L_EBADF);
	CHECK_EQ("wasm_close_bpf_object bogus handle", wasm_close_bpf_object(987654321), -L_EBADF);
	CHECK_EQ("wasm_close_bpf_object", wasm_close_bpf_object(b), 0);
	CHECK_EQ("wasm_close_bpf_object twice", wasm_close_bpf_object(b), -L_EBADF);
	CHECK_EQ("wasm_bpf_map_operate on a closed object's map",
		 wasm_bpf_map_operate(b_ring, 1, &key, &value, 0, 0), -L_EBADF);
	CHECK_EQ("wasm_attach_bpf_program on a closed object",
		 wasm_attach_bpf_program(b, "e2e_switch", ""), -L_EBADF);
	wasm_close_bpf_object(a);
}

/* Numbers the host process has open as fds (stdio, libbpf's map and
 * program fds, ...) must mean nothing to a guest: before it opens
 * anything, no number is a handle; afterwards only its own maps are. */
static int suite_foreign(void)
{
	static const char *const map_names[] = { "e2e_ring", "e2e_perf", "e2e_hash", "e2e_pcpu" };
	uint32_t key = 0;
	uint64_t value, obj;
	struct wbpf_map_info info;
	int bad = 0, maps = 0;

	for (int fd = 0; fd < 256; fd++)
		bad += wasm_bpf_map_operate(fd, 1, &key, &value, 0, 0) != -L_EBADF ||
		       wbpf_map_lookup(fd, &key, 4, &value, 8, 0) != -L_EBADF;
	CHECK_EQ("no number is a map before any object exists", bad, 0);
	obj = wasm_load_bpf_object(hostile_bpf_o, sizeof(hostile_bpf_o));
	CHECK_TRUE("load", obj != 0);
	/* map handles come into being when the guest looks maps up */
	for (int i = 0; i < 4; i++)
		CHECK_OK("map fd by name", wasm_bpf_map_fd_by_name(obj, map_names[i]));
	for (int fd = 0; fd < 256; fd++) {
		if (wbpf_map_info(fd, &info) == 0) {
			maps++;
			continue;
		}
		bad += wasm_bpf_map_operate(fd, 1, &key, &value, 0, 0) != -L_EBADF;
	}
	CHECK_EQ("afterwards only the guest's own maps answer", bad, 0);
	CHECK_EQ("its maps are found", maps, 4);
	wasm_close_bpf_object(obj);
	return checks_summary("foreign");
}

static int suite_handles(void)
{
	struct fixture f;

	if (open_fixture(&f, 1))
		return 1;
	handles_forged(&f);
	handles_stale(&f);
	handles_wasm_bpf();
	return checks_summary("handles");
}

/* ---- unknown names -------------------------------------------------------- */

static int suite_names(void)
{
	uint64_t w = wasm_load_bpf_object(hostile_bpf_o, sizeof(hostile_bpf_o));
	char *huge = malloc(5000);
	struct fixture f;

	if (open_fixture(&f, 1) || !huge)
		return 1;
	memset(huge, 'a', 4999);
	huge[4999] = '\0';
	CHECK_EQ("find_program unknown", wbpf_object_find_program(f.obj, "no_such_prog"),
		 -L_ENOENT);
	CHECK_EQ("find_map unknown", wbpf_object_find_map(f.obj, "no_such_map"), -L_ENOENT);
	CHECK_EQ("find_program name over 4096 bytes", wbpf_object_find_program(f.obj, huge),
		 -L_ENAMETOOLONG);
	CHECK_EQ("object_program past the end", wbpf_object_program(f.obj, 999), -L_ENOENT);
	CHECK_EQ("object_map past the end", wbpf_object_map(f.obj, 999), -L_ENOENT);
	CHECK_EQ("attach_tracepoint unknown tracepoint",
		 wbpf_program_attach_tracepoint(f.prog, "sched", "no_such_tp") < 0, 1);
	CHECK_EQ("wasm_attach_bpf_program unknown",
		 wasm_attach_bpf_program(w, "no_such_prog", ""), -L_ENOENT);
	CHECK_EQ("wasm_attach_bpf_program NULL name", wasm_attach_bpf_program(w, 0, "") < 0, 1);
	CHECK_EQ("wasm_bpf_map_fd_by_name unknown", wasm_bpf_map_fd_by_name(w, "no_such_map"),
		 -L_ENOENT);
	wasm_close_bpf_object(w);
	return checks_summary("names");
}

/* ---- sizes, states and kinds: -EINVAL / -EBUSY / -EPERM ------------------ */

static void sizes_maps(struct fixture *f)
{
	struct wbpf_map_info info = {0};
	uint32_t key = 0, small = 0;
	uint64_t value = 1;
	uint8_t *pcpu;

	CHECK_EQ("map_lookup wrong key size", wbpf_map_lookup(f->hash, &key, 8, &value, 8, 0),
		 -L_EINVAL);
	CHECK_EQ("map_update wrong value size",
		 wbpf_map_update(f->hash, &key, 4, &value, 4, 0), -L_EINVAL);
	CHECK_EQ("map_info per-CPU", wbpf_map_info(f->pcpu, &info), 0);
	CHECK_EQ("per-CPU stride is 8 * ncpus", info.value_stride, 8 * info.ncpus);
	CHECK_EQ("per-CPU lookup with one CPU's size",
		 wbpf_map_lookup(f->pcpu, &key, 4, &small, 4, 0), -L_EINVAL);
	pcpu = calloc(1, info.value_stride);
	CHECK_EQ("per-CPU lookup with the stride",
		 wbpf_map_lookup(f->pcpu, &key, 4, pcpu, info.value_stride, 0), 0);
	CHECK_EQ("map_data_read past the section",
		 wbpf_map_data_read(f->bss, 0, pcpu, 4096), -L_EINVAL);
	CHECK_EQ("map_data_read on a plain map", wbpf_map_data_read(f->hash, 0, &value, 8),
		 -L_EINVAL);
	CHECK_EQ(".rodata write after load", wbpf_map_data_write(f->rodata, 0, &key, 4),
		 -L_EPERM);
	CHECK_EQ("perf event array update (fd-valued)",
		 wbpf_map_update(f->perf, &key, 4, &key, 4, 0), -L_EPERM);
	free(pcpu);
}

static void sizes_states(struct fixture *f)
{
	CHECK_EQ("object_load twice", wbpf_object_load(f->obj), -L_EBUSY);
	CHECK_EQ("map_set_max_entries after load", wbpf_map_set_max_entries(f->hash, 4),
		 -L_EBUSY);
	CHECK_EQ("program_set_autoload after load", wbpf_program_set_autoload(f->prog, 0),
		 -L_EBUSY);
}

static void sizes_buffers(struct fixture *f)
{
	static char scratch[256];
	int n = 0;

	CHECK_EQ("ringbuf_new on a hash map",
		 wbpf_ringbuf_new(f->hash, WBPF_FUNC_INDEX(count_sample), &n, scratch, 256),
		 -L_EINVAL);
	CHECK_EQ("perfbuf_new on a ring buffer",
		 wbpf_perfbuf_new(f->ring, 8, WBPF_FUNC_INDEX(perf_sample), 0, &n, scratch, 256),
		 -L_EINVAL);
	CHECK_EQ("perfbuf_new page count not a power of two",
		 wbpf_perfbuf_new(f->perf, 3, WBPF_FUNC_INDEX(perf_sample), 0, &n, scratch, 256),
		 -L_EINVAL);
	CHECK_ERR("perfbuf_new 512 pages",
		  wbpf_perfbuf_new(f->perf, 512, WBPF_FUNC_INDEX(perf_sample), 0, &n, scratch,
				   256));
	CHECK_EQ("ringbuf_new callback of the wrong type",
		 wbpf_ringbuf_new(f->ring, WBPF_FUNC_INDEX(perf_sample), &n, scratch, 256),
		 -L_EINVAL);
	CHECK_EQ("ringbuf_new callback index out of the table",
		 wbpf_ringbuf_new(f->ring, 99999, &n, scratch, 256), -L_EINVAL);
	CHECK_EQ("perfbuf_new lost callback of the wrong type",
		 wbpf_perfbuf_new(f->perf, 8, WBPF_FUNC_INDEX(perf_sample),
				  WBPF_FUNC_INDEX(count_sample), &n, scratch, 256),
		 -L_EINVAL);
}

static int suite_sizes(void)
{
	struct fixture f;

	if (open_fixture(&f, 1))
		return 1;
	sizes_maps(&f);
	sizes_states(&f);
	sizes_buffers(&f);
	return checks_summary("sizes");
}

/* ---- permissions (the runner allows nothing beyond the defaults) ------- */

static int suite_perms(void)
{
	uint64_t w = wasm_load_bpf_object(hostile_bpf_o, sizeof(hostile_bpf_o));
	struct fixture f;

	if (open_fixture(&f, 1))
		return 1;
	CHECK_EQ("uprobe on a binary not allowed",
		 wbpf_program_attach_uprobe(f.uprobe, 0, -1, "/usr/bin/true", 0, 0), -L_EPERM);
	CHECK_EQ("uprobe on a non-binary path",
		 wbpf_program_attach_uprobe(f.uprobe, 0, -1, "/etc/passwd", 0, 0), -L_EPERM);
	CHECK_EQ("xdp on an interface not allowed", wbpf_program_attach_xdp(f.xdp, "lo"),
		 -L_EPERM);
	CHECK_EQ("socket filter on an interface not allowed",
		 wbpf_program_attach_socket(f.socket, "lo"), -L_EPERM);
	CHECK_EQ("auto-attach of a section that needs a target",
		 wbpf_program_attach(f.xdp), -L_EOPNOTSUPP);
	CHECK_EQ("wasm_bpf xdp on an interface not allowed",
		 wasm_attach_bpf_program(w, "e2e_xdp", "lo"), -L_EPERM);
	CHECK_EQ("wasm_bpf tracepoint ignores a path target",
		 wasm_attach_bpf_program(w, "e2e_switch", "/etc/shadow"), 0);
	wasm_close_bpf_object(w);
	return checks_summary("perms");
}

/* ---- records larger than the scratch buffer: lost, never copied -------- */

static int suite_oversized(void)
{
	static char tiny_ring[16], tiny_perf[16];
	int ring_n = 0, perf_n[2] = {0, 0};
	struct fixture f;
	int rb, pb;

	if (open_fixture(&f, 1))
		return 1;
	CHECK_OK("attach", wbpf_program_attach(f.prog));
	rb = wbpf_ringbuf_new(f.ring, WBPF_FUNC_INDEX(count_sample), &ring_n, tiny_ring, 16);
	pb = wbpf_perfbuf_new(f.perf, 8, WBPF_FUNC_INDEX(perf_sample), WBPF_FUNC_INDEX(perf_lost),
			      perf_n, tiny_perf, 16);
	CHECK_OK("ringbuf_new", rb);
	CHECK_OK("perfbuf_new", pb);
	for (int i = 0; i < 5; i++) {
		wbpf_ringbuf_poll(rb, 50);
		wbpf_perfbuf_poll(pb, 50);
	}
	CHECK_EQ("ring records over the scratch size not delivered", ring_n, 0);
	CHECK_TRUE("ring records over the scratch size counted lost", wbpf_ringbuf_lost(rb) > 0);
	CHECK_EQ("perf records over the scratch size not delivered", perf_n[0], 0);
	CHECK_TRUE("perf lost callback told", perf_n[1] > 0);
	CHECK_TRUE("perfbuf_lost counts them", wbpf_perfbuf_lost(pb) > 0);
	return checks_summary("oversized");
}

/* ---- objects that crash libbpf's parser: refused, the host goes on ------- */

static int suite_corrupt(void)
{
	uint8_t *bad = malloc(sizeof(hostile_bpf_o));
	struct fixture f;

	if (!bad)
		return 1;
	memcpy(bad, hostile_bpf_o, sizeof(hostile_bpf_o));
	CHECK_EQ("corrupt .BTF (setup)", corrupt_btf(bad, sizeof(hostile_bpf_o)), 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ("object_open of the corrupted object",
			 wbpf_object_open(bad, sizeof(hostile_bpf_o), "corrupt"), -L_EINVAL);
	CHECK_EQ("wasm_load_bpf_object of the corrupted object",
		 wasm_load_bpf_object(bad, sizeof(hostile_bpf_o)), 0);
	CHECK_TRUE("object_open of a truncated object fails",
		   wbpf_object_open(hostile_bpf_o, sizeof(hostile_bpf_o) / 3, "truncated") < 0);
	if (open_fixture(&f, 1))
		return 1;
	CHECK_OK("the intact object still attaches", wbpf_program_attach(f.prog));
	free(bad);
	return checks_summary("corrupt");
}

/* ---- callbacks that misbehave --------------------------------------------- */

struct reentry {
	int rb;
	int link;
	int obj;
	int hash;
	int poll, free, close, destroy, lookup;
	int calls;
};

static int reentrant_sample(void *ctx, void *data, size_t size)
{
	struct reentry *r = ctx;
	uint32_t key = 1;
	uint64_t value;

	(void)data;
	(void)size;
	if (r->calls++)
		return 0;
	r->poll = wbpf_ringbuf_poll(r->rb, 0);
	r->free = wbpf_ringbuf_free(r->rb);
	r->close = wbpf_object_close(r->obj);
	r->lookup = wbpf_map_lookup(r->hash, &key, 4, &value, 8, 0);
	r->destroy = wbpf_link_destroy(r->link);
	return 0;
}

static int suite_reentry(void)
{
	static struct hostile_record scratch;
	struct reentry r = {0};
	struct fixture f;

	if (open_fixture(&f, 1))
		return 1;
	r.obj = f.obj;
	r.hash = f.hash;
	r.link = wbpf_program_attach(f.prog);
	r.rb = wbpf_ringbuf_new(f.ring, WBPF_FUNC_INDEX(reentrant_sample), &r, &scratch,
				sizeof(scratch));
	for (int i = 0; i < 20 && !r.calls; i++)
		wbpf_ringbuf_poll(r.rb, 50);
	CHECK_TRUE("callback ran", r.calls > 0);
	CHECK_EQ("poll from a callback", r.poll, -L_EBUSY);
	CHECK_EQ("free the polled buffer from a callback", r.free, -L_EBUSY);
	CHECK_EQ("close the object from a callback", r.close, -L_EBUSY);
	CHECK_EQ("map lookup from a callback is fine", r.lookup == 0 || r.lookup == -L_ENOENT, 1);
	CHECK_EQ("link_destroy from a callback is fine", r.destroy, 0);
	CHECK_EQ("buffer still usable afterwards", wbpf_ringbuf_poll(r.rb, 0) >= 0, 1);
	CHECK_EQ("object_close afterwards", wbpf_object_close(f.obj), 0);
	return checks_summary("reentry");
}

static int trapping_sample(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	__builtin_trap();
}

static int looping_sample(void *ctx, void *data, size_t size)
{
	volatile int forever = 1;

	(void)ctx;
	(void)data;
	(void)size;
	while (forever)
		;
	return 0;
}

static int exiting_sample(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	exit(7);
}

/* Attaches, then polls with a callback that never returns normally. The
 * test checks the run's end and that no e2e_ program outlives it. */
typedef int (*sample_fn)(void *ctx, void *data, size_t size);

/* The test snapshots which kernel objects this process holds before the
 * callback is let loose, then creates GO_FILE (it runs us with
 * --dir WORK::/w). Run by hand, without /w, there is nothing to wait for. */
#define GO_DIR "/w"
#define GO_FILE GO_DIR "/go"

static void wait_for_go(void)
{
	if (access(GO_DIR, F_OK) != 0)
		return;
	for (int i = 0; i < 1000 && access(GO_FILE, F_OK) != 0; i++)
		usleep(10 * 1000);
}

static int run_bad_callback(sample_fn fn)
{
	static struct hostile_record scratch;
	struct fixture f;
	int rb;

	if (open_fixture(&f, 1) || wbpf_program_attach(f.prog) < 0)
		return 1;
	rb = wbpf_ringbuf_new(f.ring, WBPF_FUNC_INDEX(fn), 0, &scratch, sizeof(scratch));
	printf("armed\n");
	fflush(stdout);
	wait_for_go();
	for (int i = 0; i < 100; i++)
		wbpf_ringbuf_poll(rb, 100);
	printf("FAIL the callback never ran\n");
	return 1;
}

/* ---- wasm-bpf's TinyGo variant: records go to the export go-callback --- */

static int go_records;

__attribute__((export_name("go-callback"))) int go_callback(void *ctx, void *data, int size)
{
	(void)ctx;
	(void)data;
	go_records += size == (int)sizeof(struct hostile_record);
	return 0;
}

static int suite_gocb(void)
{
	uint64_t obj = wasm_load_bpf_object(hostile_bpf_o, sizeof(hostile_bpf_o));
	static char data[sizeof(struct hostile_record)];
	int fd;

	CHECK_TRUE("load", obj != 0);
	CHECK_EQ("attach", wasm_attach_bpf_program(obj, "e2e_switch", 0), 0);
	fd = wasm_bpf_map_fd_by_name(obj, "e2e_ring");
	for (int i = 0; i < 20 && !go_records; i++)
		wasm_bpf_buffer_poll_go(obj, fd, 0, data, sizeof(data), 50);
	CHECK_TRUE("go-callback got whole records", go_records > 0);
	CHECK_EQ("close", wasm_close_bpf_object(obj), 0);
	return checks_summary("gocb");
}

static int suite_trap(void)
{
	return run_bad_callback(trapping_sample);
}

static int suite_loop(void)
{
	return run_bad_callback(looping_sample);
}

static int suite_exit(void)
{
	return run_bad_callback(exiting_sample);
}

static const struct {
	const char *name;
	int (*run)(void);
} suites[] = {
	{ "ptrs", suite_ptrs },		{ "handles", suite_handles },
	{ "foreign", suite_foreign },	{ "names", suite_names },
	{ "sizes", suite_sizes },
	{ "perms", suite_perms },	{ "oversized", suite_oversized },
	{ "reentry", suite_reentry },	{ "gocb", suite_gocb },
	{ "corrupt", suite_corrupt },
	{ "cb-trap", suite_trap },	{ "cb-loop", suite_loop },
	{ "cb-exit", suite_exit },
};

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; argc == 2 && i < sizeof(suites) / sizeof(suites[0]); i++)
		if (strcmp(argv[1], suites[i].name) == 0)
			return suites[i].run();
	fprintf(stderr, "usage: hostile SUITE\n");
	return 2;
}
