// SPDX-License-Identifier: MIT
/*
 * Per-event cost of delivering ring-buffer records: a native libbpf
 * callback against a wasm callback behind the `wbpf` ABI, both doing the
 * same work per record (flood_guest.c's on_rec). The BPF program
 * (flood.bpf.c) emits `burst` records per getppid() of this process.
 *
 * The wasm guest drains either with a host call per record (callbacks,
 * as libbpf) or with batch reads (ringbuf_read) calling its callback
 * itself. Each round fills the ring with ROUND records, then drains it; we time
 * the drains (the delivery path alone) and the rounds (production too).
 *
 * usage: flood FLOOD.bpf.o FLOOD_GUEST.wasm [EVENTS]   (root)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "wbpf/bpf.h"
#include "wbpf/wasm.h"

#define BURST 64u
#define ROUND (BURST * 3000u) /* 192k records: well within the 16 MiB ring */

struct rec {
	uint64_t seq;
	uint64_t value;
	uint32_t pid;
	uint32_t cpu;
	uint64_t pad;
};

struct tally {
	uint64_t n, sum, last, gaps;
};

struct timing {
	double drain_s, total_s;
	uint64_t events, checksum;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void produce(void)
{
	for (unsigned i = 0; i < ROUND / BURST; i++)
		syscall(SYS_getppid);
}

static void *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	long n = -1;

	if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) &&
	    (buf = malloc((size_t)n)) && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	*size = n > 0 ? (size_t)n : 0;
	return buf;
}

/* ---------------------------------------------------------------- native */

static int on_rec(void *ctx, void *data, size_t size)
{
	struct tally *t = ctx;
	const struct rec *r = data;

	(void)size;
	t->sum += r->value ^ r->seq;
	t->gaps += r->seq != t->last + 1;
	t->last = r->seq;
	t->n++;
	return 0;
}

static int run_native(const void *elf, size_t size, uint64_t events, struct timing *out)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "flood");
	struct bpf_object *obj = bpf_object__open_mem(elf, size, &opts);
	struct tally t = { 0 };
	struct ring_buffer *rb = NULL;
	struct bpf_link *link = NULL;
	uint32_t *cfg;
	size_t cfg_size;
	int err = -1;

	if (!obj)
		return -1;
	cfg = (uint32_t *)bpf_map__initial_value(bpf_object__find_map_by_name(obj, ".rodata"),
						 &cfg_size);
	cfg[0] = (uint32_t)getpid();
	cfg[1] = BURST;
	if (bpf_object__load(obj) ||
	    !(link = bpf_program__attach(bpf_object__find_program_by_name(obj, "flood"))) ||
	    !(rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "events")), on_rec,
				    &t, NULL)))
		goto out;
	double t0 = now();
	while (t.n < events) {
		produce();
		double d0 = now();
		if (ring_buffer__consume(rb) < 0)
			goto out;
		out->drain_s += now() - d0;
	}
	out->total_s = now() - t0;
	out->events = t.n;
	out->checksum = t.sum + t.gaps;
	err = 0;
out:
	ring_buffer__free(rb);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return err;
}

/* ------------------------------------------------------------------ wasm */

static int call(struct wbpf_instance *inst, const char *name, const uint32_t *args, size_t n,
		struct wbpf_val *res)
{
	struct wbpf_func *fn = wbpf_instance__func(inst, name);
	struct wbpf_val a[3];
	struct wbpf_error err;
	int rc;

	for (size_t i = 0; i < n; i++)
		a[i] = (struct wbpf_val){ .type = WBPF_I32, .of.i32 = args[i] };
	rc = fn ? wbpf_func__call(fn, a, n, res, 1, &err) : -ENOENT;
	if (rc)
		fprintf(stderr, "flood: %s: %s\n", name, fn ? err.msg : "no such export");
	return rc;
}

static int wasm_rounds(struct wbpf_instance *inst, const char *consume, uint64_t events,
		       struct timing *out)
{
	struct wbpf_val res;
	double t0 = now();

	while (out->events < events) {
		produce();
		double d0 = now();
		if (call(inst, consume, NULL, 0, &res) || (int32_t)res.of.i32 < 0)
			return -1;
		out->drain_s += now() - d0;
		out->events += res.of.i32;
	}
	out->total_s = now() - t0;
	if (call(inst, "checksum", NULL, 0, &res))
		return -1;
	out->checksum = res.of.i64;
	return 0;
}

/* `consume`: the guest export that drains the ring. */
static int run_wasm(const void *elf, size_t size, const void *wasm, size_t wasm_size,
		    const char *consume, uint64_t events, struct timing *out)
{
	struct wbpf_store *store = wbpf_store__new(NULL);
	struct wbpf_bpf_host *host = wbpf_bpf_host__new(NULL);
	struct wbpf_module *mod = NULL;
	struct wbpf_instance *inst = NULL;
	struct wbpf_error err;
	struct wbpf_val res;
	int rc = -1;

	if (!store || !host || wbpf_bpf_abi__define(store, host) ||
	    !(mod = wbpf_module__new(wasm, wasm_size, &err)) ||
	    !(inst = wbpf_instance__new(store, mod, &err)))
		goto out;
	if (call(inst, "elf_buf", NULL, 0, &res) ||
	    wbpf_memory__write(wbpf_instance__memory(inst), res.of.i32, elf, size))
		goto out;
	uint32_t args[3] = { (uint32_t)size, (uint32_t)getpid(), BURST };
	if (call(inst, "setup", args, 3, &res) || res.of.i32)
		goto out;
	rc = wasm_rounds(inst, consume, events, out);
out:
	wbpf_bpf_host__free(host);
	wbpf_store__free(store);
	wbpf_module__free(mod);
	return rc;
}

static void report(const char *name, const struct timing *t, const struct timing *base)
{
	double drain = (double)t->events / t->drain_s, total = (double)t->events / t->total_s;

	printf("| %-11s | %9.2f M/s | %7.1f ns | %9.2f M/s |", name, drain / 1e6,
	       t->drain_s * 1e9 / (double)t->events, total / 1e6);
	if (base)
		printf(" %5.0f%% | %5.0f%% |\n", 100 * drain / ((double)base->events / base->drain_s),
		       100 * total / ((double)base->events / base->total_s));
	else
		printf("  100%% |  100%% |\n");
}

int main(int argc, char **argv)
{
	struct timing native = { 0 }, wasm = { 0 }, batch = { 0 };
	uint64_t events = argc > 3 ? strtoull(argv[3], NULL, 10) : 2000000;
	size_t elf_size, wasm_size;
	void *elf, *guest;

	if (argc < 3) {
		fprintf(stderr, "usage: %s FLOOD.bpf.o FLOOD_GUEST.wasm [EVENTS]\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "flood: needs root (eBPF)\n");
		return 77;
	}
	elf = read_file(argv[1], &elf_size);
	guest = read_file(argv[2], &wasm_size);
	if (!elf || !guest || run_native(elf, elf_size, events, &native) ||
	    run_wasm(elf, elf_size, guest, wasm_size, "consume", events, &wasm) ||
	    run_wasm(elf, elf_size, guest, wasm_size, "consume_batch", events, &batch)) {
		fprintf(stderr, "flood: failed\n");
		return 1;
	}
	printf("| path        | delivery       | per event  | with production | delivery | total |\n"
	       "|-------------|----------------|------------|-----------------|----------|-------|\n");
	report("native", &native, NULL);
	report("wasm", &wasm, &native);
	report("wasm batch", &batch, &native);
	if (native.checksum != wasm.checksum || native.checksum != batch.checksum)
		printf("note: checksums differ: native %llu, wasm %llu, batch %llu\n",
		       (unsigned long long)native.checksum, (unsigned long long)wasm.checksum,
		       (unsigned long long)batch.checksum);
	free(elf);
	free(guest);
	return 0;
}
