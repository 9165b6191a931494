// SPDX-License-Identifier: MIT
/*
 * execsnoop: one line per exec() system-wide, like the libbpf tool of the
 * same name; a plain libbpf program built for wasm32 (skeleton, .rodata
 * filter set before load, ring buffer, .bss counters read at the end).
 *
 * usage: execsnoop [-d SECONDS] [-u UID]
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "example.h"
#include "execsnoop.h"
#include "execsnoop.skel.h"

struct options {
	uint64_t deadline;
	uint32_t uid;
};

/* argv arrives NUL-separated; print it space-separated. */
static void join_args(const struct exec_event *e, char *out)
{
	uint32_t n = e->args_len < EXECSNOOP_ARGS_LEN ? e->args_len : EXECSNOOP_ARGS_LEN;

	memcpy(out, e->args, n);
	while (n > 0 && out[n - 1] == '\0')
		n--;
	for (uint32_t i = 0; i < n; i++)
		if (out[i] == '\0')
			out[i] = ' ';
	out[n] = '\0';
}

static int on_exec(void *ctx, void *data, size_t size)
{
	const struct exec_event *e = data;
	char args[EXECSNOOP_ARGS_LEN + 1];

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	join_args(e, args);
	printf("%-7u %-7u %-6u %-16.*s %s %s\n", e->pid, e->ppid, e->uid,
	       EXECSNOOP_COMM_LEN, e->comm, e->filename, args);
	return 0;
}

static int parse_args(int argc, char **argv, struct options *opt)
{
	int c;

	opt->uid = (uint32_t)-1;
	while ((c = getopt(argc, argv, "d:u:")) != -1) {
		if (c == 'd' && example_parse_deadline(optarg, &opt->deadline) == 0)
			continue;
		if (c == 'u' && example_parse_u32(optarg, &opt->uid) == 0)
			continue;
		fprintf(stderr, "usage: execsnoop [-d SECONDS] [-u UID]\n");
		return -EINVAL;
	}
	return 0;
}

static int trace(struct execsnoop *skel, uint64_t deadline)
{
	struct ring_buffer *rb;
	int err = 0;

	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_exec, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "ring buffer: %s\n", strerror(errno));
		return -errno;
	}
	printf("%-7s %-7s %-6s %-16s %s %s\n", "PID", "PPID", "UID", "COMM", "FILENAME",
	       "ARGS");
	while (!example_expired(deadline) && err >= 0)
		err = ring_buffer__poll(rb, EXAMPLE_POLL_MS);
	ring_buffer__free(rb);
	/* The poll synced .bss: these are the kernel's counts. */
	printf("execsnoop: %llu execs seen, %llu dropped\n",
	       (unsigned long long)skel->bss->events_seen,
	       (unsigned long long)skel->bss->events_dropped);
	return example_poll_status(err);
}

static int start(struct execsnoop *skel, const struct options *opt)
{
	int err;

	skel->rodata->filter_uid = opt->uid;
	err = execsnoop__load(skel);
	if (!err)
		err = execsnoop__attach(skel);
	if (err)
		fprintf(stderr, "load/attach: %s\n", strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	struct options opt = {0};
	struct execsnoop *skel;
	int err;

	example_init_output();
	if (parse_args(argc, argv, &opt))
		return 2;
	skel = execsnoop__open();
	if (!skel) {
		fprintf(stderr, "open: %s\n", strerror(errno));
		return 1;
	}
	err = start(skel, &opt);
	if (!err)
		err = trace(skel, opt.deadline);
	execsnoop__destroy(skel);
	return err ? 1 : 0;
}
