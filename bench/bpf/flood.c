// SPDX-License-Identifier: MIT
/*
 * Per-event cost of delivering ring-buffer records: a native libbpf
 * callback against wasm callbacks behind wbpf's ABIs, on each engine, all
 * doing the same work per record (flood_guest.c's on_rec). The BPF program
 * (flood.bpf.c) emits `burst` records per getppid() of this process: that
 * is the production, and it runs in the kernel on this thread.
 *
 * The guest drains with a host call per record (callbacks: wasm-bpf's
 * wasm_bpf_buffer_poll, as unmodified wasm-bpf guests do, or wbpf's
 * ringbuf_consume) or with batch reads (ringbuf_read) calling its
 * callback itself. Each round fills the ring with ROUND records, then
 * drains it; we time the drains (delivery alone) and the rounds
 * (production too) in CPU time of this thread (user + sys), so that a
 * shared machine's neighbours do not count.
 *
 * usage: flood FLOOD.bpf.o FLOOD_GUEST.wasm [EVENTS [PATH...]]   (root)
 * PATH: native, or ENGINE-DRAIN with ENGINE interp|compile and DRAIN
 * poll|consume|batch (e.g. compile-poll); all of them by default.
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
	double drain_s, total_s; /* thread CPU seconds */
	uint64_t events, checksum;
};

struct blob {
	void *data;
	size_t size;
};

/* A row of the table: native when engine is 0, else the guest export
 * `drain` on that engine. */
struct flood_path {
	const char *name, *label;
	enum wbpf_engine engine;
	const char *drain;
};

static const struct flood_path paths[] = {
	{ "native", "native (libbpf callback)", 0, NULL },
	{ "interp-poll", "interpreter, wasm_bpf_buffer_poll", WBPF_ENGINE_INTERP, "poll" },
	{ "interp-consume", "interpreter, ringbuf_consume", WBPF_ENGINE_INTERP, "consume" },
	{ "interp-batch", "interpreter, ringbuf_read batches", WBPF_ENGINE_INTERP, "consume_batch" },
	{ "compile-poll", "compiling tier, wasm_bpf_buffer_poll", WBPF_ENGINE_COMPILE, "poll" },
	{ "compile-consume", "compiling tier, ringbuf_consume", WBPF_ENGINE_COMPILE, "consume" },
	{ "compile-batch", "compiling tier, ringbuf_read batches", WBPF_ENGINE_COMPILE,
	  "consume_batch" },
};
#define NPATHS (sizeof(paths) / sizeof(paths[0]))

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void produce(void)
{
	for (unsigned i = 0; i < ROUND / BURST; i++)
		syscall(SYS_getppid);
}

static int read_file(const char *path, struct blob *out)
{
	FILE *f = fopen(path, "rb");
	long n = -1;

	out->data = NULL;
	if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) &&
	    (out->data = malloc((size_t)n)) && fread(out->data, 1, (size_t)n, f) != (size_t)n) {
		free(out->data);
		out->data = NULL;
	}
	if (f)
		fclose(f);
	out->size = n > 0 ? (size_t)n : 0;
	return out->data ? 0 : -1;
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

static int run_native(const struct blob *elf, uint64_t events, struct timing *out)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "flood");
	struct bpf_object *obj = bpf_object__open_mem(elf->data, elf->size, &opts);
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
	double t0 = cpu_now();
	while (t.n < events) {
		produce();
		double d0 = cpu_now();
		if (ring_buffer__consume(rb) < 0)
			goto out;
		out->drain_s += cpu_now() - d0;
	}
	out->total_s = cpu_now() - t0;
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

static int wasm_rounds(struct wbpf_instance *inst, const char *drain, uint64_t events,
		       struct timing *out)
{
	struct wbpf_val res;
	double t0 = cpu_now();

	while (out->events < events) {
		produce();
		double d0 = cpu_now();
		if (call(inst, drain, NULL, 0, &res) || (int32_t)res.of.i32 < 0)
			return -1;
		out->drain_s += cpu_now() - d0;
		out->events += res.of.i32;
	}
	out->total_s = cpu_now() - t0;
	if (call(inst, "checksum", NULL, 0, &res))
		return -1;
	out->checksum = res.of.i64;
	return 0;
}

static int run_wasm(const struct blob *elf, const struct blob *guest,
		    const struct flood_path *path, uint64_t events, struct timing *out)
{
	struct wbpf_module_opts opts = { .sz = sizeof(opts), .engine = path->engine,
					 .code_cache = "off" };
	struct wbpf_store *store = wbpf_store__new(NULL);
	struct wbpf_bpf_host *host = wbpf_bpf_host__new(NULL);
	struct wbpf_module *mod = NULL;
	struct wbpf_instance *inst = NULL;
	struct wbpf_error err = { 0 };
	struct wbpf_val res;
	int rc = -1;

	if (!store || !host || wbpf_bpf_abi__define(store, host) ||
	    !(mod = wbpf_module__new_opts(guest->data, guest->size, &opts, &err)) ||
	    !(inst = wbpf_instance__new(store, mod, &err))) {
		fprintf(stderr, "flood: %s: %s\n", path->name, err.msg);
		goto out;
	}
	if (call(inst, "elf_buf", NULL, 0, &res) ||
	    wbpf_memory__write(wbpf_instance__memory(inst), res.of.i32, elf->data, elf->size))
		goto out;
	uint32_t args[3] = { (uint32_t)elf->size, (uint32_t)getpid(), BURST };
	if (call(inst, "setup", args, 3, &res) || res.of.i32)
		goto out;
	rc = wasm_rounds(inst, path->drain, events, out);
out:
	wbpf_bpf_host__free(host);
	wbpf_store__free(store);
	wbpf_module__free(mod);
	return rc;
}

/* ----------------------------------------------------------------- table */

static void report(const struct flood_path *path, const struct timing *t,
		   const struct timing *base)
{
	double drain = t->drain_s * 1e9 / (double)t->events;
	double total = t->total_s * 1e9 / (double)t->events;

	printf("| %-38s | %7.1f | %7.1f | %6.2f |", path->label, drain, total, 1e3 / total);
	if (base)
		printf(" %4.0f%% | %4.0f%% |\n",
		       100 * base->drain_s * 1e9 / (double)base->events / drain,
		       100 * base->total_s * 1e9 / (double)base->events / total);
	else
		printf("   -  |   -  |\n");
}

static void load_average(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l1 = 0;

	if (f && fscanf(f, "%lf", &l1) == 1)
		printf("Load average %.1f; CPU time of the consuming thread (user + sys).\n\n", l1);
	if (f)
		fclose(f);
}

static bool wanted(const char *name, int argc, char **argv)
{
	if (argc <= 4)
		return true;
	for (int i = 4; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	uint64_t events = argc > 3 ? strtoull(argv[3], NULL, 10) : 2000000;
	struct timing t[NPATHS] = { 0 };
	struct blob elf, guest;
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s FLOOD.bpf.o FLOOD_GUEST.wasm [EVENTS [PATH...]]\n",
			argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "flood: needs root (eBPF)\n");
		return 77;
	}
	if (read_file(argv[1], &elf) || read_file(argv[2], &guest)) {
		fprintf(stderr, "flood: cannot read %s or %s\n", argv[1], argv[2]);
		return 1;
	}
	load_average();
	printf("| path | delivery, CPU ns/event | with production | M events/CPU s | delivery vs native | with production |\n"
	       "|---|---:|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < NPATHS && !rc; i++) {
		if (!wanted(paths[i].name, argc, argv))
			continue;
		rc = paths[i].drain ? run_wasm(&elf, &guest, &paths[i], events, &t[i]) :
				      run_native(&elf, events, &t[i]);
		if (rc)
			fprintf(stderr, "flood: %s failed\n", paths[i].name);
		else
			report(&paths[i], &t[i], t[0].events ? &t[0] : NULL);
		if (!rc && t[0].events && t[i].checksum != t[0].checksum)
			printf("note: %s's checksum %llu differs from native's %llu\n",
			       paths[i].name, (unsigned long long)t[i].checksum,
			       (unsigned long long)t[0].checksum);
	}
	free(elf.data);
	free(guest.data);
	return rc ? 1 : 0;
}
