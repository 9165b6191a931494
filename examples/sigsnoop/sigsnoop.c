// SPDX-License-Identifier: MIT
/*
 * sigsnoop, wasm-bpf style: this guest speaks the `wasm_bpf` import module
 * directly (the ABI wasm-bpf's runtimes offer) and embeds its BPF object
 * as a byte array. It prints one line per generated signal, then a count
 * per signal number read from a hash map.
 *
 * usage: sigsnoop [-d SECONDS] [-p TARGET_PID]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "sigsnoop.h"
#include "sigsnoop.bpf.h" /* sigsnoop_bpf_o[], from xxd -i */
#include "example.h"

#define WASM_BPF(name) \
	__attribute__((import_module("wasm_bpf"), import_name(#name)))

WASM_BPF(wasm_load_bpf_object)
uint64_t wasm_load_bpf_object(const void *obj, int obj_sz);
WASM_BPF(wasm_attach_bpf_program)
int wasm_attach_bpf_program(uint64_t obj, const char *name, const char *target);
WASM_BPF(wasm_bpf_buffer_poll)
int wasm_bpf_buffer_poll(uint64_t obj, int fd, int sample_func, void *ctx,
			 void *data, int max_size, int timeout_ms);
WASM_BPF(wasm_bpf_map_fd_by_name)
int wasm_bpf_map_fd_by_name(uint64_t obj, const char *name);
WASM_BPF(wasm_bpf_map_operate)
int wasm_bpf_map_operate(int fd, int cmd, void *key, void *value,
			 void *next_key, uint64_t flags);
WASM_BPF(wasm_close_bpf_object)
int wasm_close_bpf_object(uint64_t obj);

/* The kernel's bpf() command numbers, which map_operate takes. */
enum { MAP_LOOKUP = 1, MAP_GET_NEXT_KEY = 4 };
/* Errors come back as negative Linux errno values, which wasi-libc numbers
 * differently: this one (the runner stopping us) is compared, the others
 * printed as numbers. */
#define LINUX_EINTR 4

struct options {
	uint64_t deadline;
	uint32_t target_pid;
};

/* Called by the host through table 0 for each ring buffer record. */
static int on_signal(void *ctx, void *data, unsigned int size)
{
	const struct options *opt = ctx;
	const struct signal_event *e = data;

	if (size < sizeof(*e))
		return 0;
	if (opt->target_pid && e->tpid != opt->target_pid)
		return 0;
	printf("SIGNAL sig=%d from_pid=%u from_comm=%.*s to_pid=%u to_comm=%.*s "
	       "result=%d\n",
	       e->sig, e->pid, SIGSNOOP_COMM_LEN, e->comm, e->tpid,
	       SIGSNOOP_COMM_LEN, e->tcomm, e->result);
	return 0;
}

/* Walks the counts map with get_next_key, as wasm-bpf guests do. */
static void print_counts(int fd)
{
	int32_t key, next;
	uint64_t count;
	void *prev = NULL;

	while (wasm_bpf_map_operate(fd, MAP_GET_NEXT_KEY, prev, NULL, &next, 0) == 0) {
		key = next;
		prev = &key;
		if (wasm_bpf_map_operate(fd, MAP_LOOKUP, &key, &count, NULL, 0) == 0)
			printf("COUNT sig=%d count=%llu\n", key,
			       (unsigned long long)count);
	}
}

static int parse_args(int argc, char **argv, struct options *opt)
{
	int c;

	while ((c = getopt(argc, argv, "d:p:")) != -1) {
		if (c == 'd' && example_parse_deadline(optarg, &opt->deadline) == 0)
			continue;
		if (c == 'p' && example_parse_u32(optarg, &opt->target_pid) == 0)
			continue;
		fprintf(stderr, "usage: sigsnoop [-d SECONDS] [-p TARGET_PID]\n");
		return -EINVAL;
	}
	return 0;
}

static int run(uint64_t obj, struct options *opt)
{
	static char record[sizeof(struct signal_event)];
	int err, events_fd, counts_fd;

	err = wasm_attach_bpf_program(obj, "handle_signal_generate", "");
	if (err < 0) {
		fprintf(stderr, "attach: error %d\n", err);
		return err;
	}
	events_fd = wasm_bpf_map_fd_by_name(obj, "events");
	counts_fd = wasm_bpf_map_fd_by_name(obj, "counts");
	if (events_fd < 0 || counts_fd < 0) {
		fprintf(stderr, "maps not found\n");
		return -ENOENT;
	}
	printf("sigsnoop: tracing signals\n");
	while (!example_expired(opt->deadline) && err >= 0)
		err = wasm_bpf_buffer_poll(obj, events_fd, (int)(uintptr_t)on_signal, opt,
					   record, sizeof(record), EXAMPLE_POLL_MS);
	if (err < 0 && err != -LINUX_EINTR) {
		fprintf(stderr, "poll: error %d\n", err);
		return err;
	}
	print_counts(counts_fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct options opt = {0};
	uint64_t obj;
	int err;

	example_init_output();
	if (parse_args(argc, argv, &opt))
		return 2;
	obj = wasm_load_bpf_object(sigsnoop_bpf_o, (int)sizeof(sigsnoop_bpf_o));
	if (!obj) {
		fprintf(stderr, "failed to load the BPF object\n");
		return 1;
	}
	err = run(obj, &opt);
	wasm_close_bpf_object(obj);
	return err ? 1 : 0;
}
