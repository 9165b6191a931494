// SPDX-License-Identifier: MIT
/*
 * bench/gadget: a flood tracer (one record per getppid(2) of a generator
 * process) consumed four ways in one run: libbpf's ring buffer reader
 * alone (native), a gadget without operator, a gadget with a C operator
 * on Inspektor Gadget's ABI, and one on wbpf's own ABI (both operators
 * read two fields and set an added one). The generator fills the ring
 * buffer first; then the consumer drains it, timed: records/s and CPU
 * ns per record of the consumer alone.
 *
 * usage: gadget_bench FLOOD_DIR IG_OP.wasm WBPF_OP.wasm [RECORDS]   (root)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "wbpf/gadget.h"

struct result {
	uint64_t got;
	double wall_s, cpu_ns;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e9 +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e3;
}

/* The generator: named wbflood (the tracer's filter), waits for a byte on
 * `go`, then makes n getppid calls. */
static pid_t generator(int *go, uint64_t n)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		prctl(PR_SET_NAME, "wbflood");
		if (read(fds[0], &c, 1) != 1)
			_exit(1);
		for (uint64_t i = 0; i < n; i++)
			syscall(SYS_getppid);
		_exit(0);
	}
	close(fds[0]);
	*go = fds[1];
	return pid;
}

typedef int (*poll_fn)(void *ctx, int ms);

/* Lets the generator fill the buffer (nothing reads it meanwhile), then
 * times the drain: the consumer's own cost per record, in full batches,
 * apart from the generator's. */
static int measure(poll_fn poll, void *ctx, uint64_t n, struct result *r)
{
	int go, status, got;
	pid_t pid = generator(&go, n);
	double t0, c0;

	if (pid < 0)
		return -errno;
	if (write(go, "g", 1) != 1)
		return -EIO;
	close(go);
	waitpid(pid, &status, 0);
	c0 = cpu_ns();
	t0 = now_s();
	while ((got = poll(ctx, 0)) > 0)
		;
	r->wall_s = now_s() - t0;
	r->cpu_ns = cpu_ns() - c0;
	return got < 0 ? got : 0;
}

/* ------------------------------------------------------------- native */

static int count_rec(void *ctx, void *data, size_t size)
{
	(void)data, (void)size;
	(*(uint64_t *)ctx)++;
	return 0;
}

static int native_poll(void *ctx, int ms)
{
	return ring_buffer__poll(ctx, ms);
}

static int run_native(const char *dir, uint64_t n, struct result *r)
{
	char path[4096];
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct ring_buffer *rb = NULL;
	struct bpf_link *link = NULL;
	int err;

	snprintf(path, sizeof(path), "%s/program.bpf.o", dir);
	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return -errno;
	err = bpf_object__load(obj);
	prog = bpf_object__find_program_by_name(obj, "flood");
	if (!err && !(link = bpf_program__attach(prog)))
		err = -errno;
	if (!err && !(rb = ring_buffer__new(bpf_object__find_map_fd_by_name(obj, "events"),
					    count_rec, &r->got, NULL)))
		err = -errno;
	if (!err)
		err = measure(native_poll, rb, n, r);
	ring_buffer__free(rb);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return err;
}

/* ------------------------------------------------------------- gadget */

static int gadget_poll(void *ctx, int ms)
{
	return wbpf_gadget__poll(ctx, ms);
}

static int run_gadget(const char *dir, const char *op, uint64_t n, struct result *r)
{
	struct wbpf_gadget_opts opts = {.sz = sizeof(opts), .no_operator = !op,
					.operator_path = op};
	struct wbpf_gadget_err gerr;
	struct wbpf_gadget_stats st;
	struct wbpf_gadget *g = wbpf_gadget__open(dir, &opts, &gerr);
	int err;

	if (!g) {
		fprintf(stderr, "gadget_bench: %s\n", gerr.msg);
		return -EINVAL;
	}
	err = wbpf_gadget__start(g);
	if (err)
		fprintf(stderr, "gadget_bench: %s\n", wbpf_gadget__error(g));
	else
		err = measure(gadget_poll, g, n, r);
	wbpf_gadget__stats(g, &st);
	r->got = st.events;
	if (st.operator_errors)
		fprintf(stderr, "gadget_bench: %llu operator errors\n",
			(unsigned long long)st.operator_errors);
	wbpf_gadget__stop(g);
	wbpf_gadget__close(g);
	return err;
}

int main(int argc, char **argv)
{
	static const char *const names[] = {
		"native (libbpf ring buffer)", "gadget, no operator", "gadget + IG-ABI operator",
		"gadget + wbpf-ABI operator",
	};
	uint64_t n = argc > 4 ? strtoull(argv[4], NULL, 10) : 500000;
	struct result r[4] = {{0}};

	if (argc < 4) {
		fprintf(stderr, "usage: gadget_bench FLOOD_DIR IG_OP.wasm WBPF_OP.wasm [RECORDS]\n");
		return 2;
	}
	for (int i = 0; i < 4; i++) {
		const char *op = i == 2 ? argv[2] : i == 3 ? argv[3] : NULL;
		int err = i ? run_gadget(argv[1], op, n, &r[i]) : run_native(argv[1], n, &r[i]);

		if (err) {
			fprintf(stderr, "gadget_bench: %s: %s (root? kernel BTF?)\n", names[i],
				strerror(-err));
			return 1;
		}
	}
	printf("%-30s %10s %8s %12s %12s %14s\n", "consumer", "records", "lost", "records/s",
	       "CPU ns/rec", "vs no operator");
	for (int i = 0; i < 4; i++) {
		double per = r[i].got ? r[i].cpu_ns / (double)r[i].got : 0;
		double base = r[1].got ? r[1].cpu_ns / (double)r[1].got : 0;

		printf("%-30s %10llu %8llu %12.0f %12.0f ", names[i], (unsigned long long)r[i].got,
		       (unsigned long long)(n - (r[i].got < n ? r[i].got : n)),
		       r[i].got / r[i].wall_s, per);
		if (i >= 2)
			printf("%+13.0f\n", per - base);
		else
			printf("%14s\n", "");
	}
	return 0;
}
