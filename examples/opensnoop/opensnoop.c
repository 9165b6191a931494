// SPDX-License-Identifier: MIT
/*
 * opensnoop: one line per openat() with its result, filtered in the
 * kernel by pid and/or command name (set in .rodata before load);
 * records come through a perf buffer.
 *
 * usage: opensnoop [-d SECONDS] [-p PID] [-c COMM]
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "example.h"
#include "opensnoop.h"
#include "opensnoop.skel.h"

#define PERF_PAGES 16

struct options {
	uint64_t deadline;
	uint32_t pid;
	const char *comm;
};

static void on_open(void *ctx, int cpu, void *data, __u32 size)
{
	const struct open_event *e = data;
	int fd = e->ret >= 0 ? e->ret : -1;
	int err = e->ret >= 0 ? 0 : -e->ret;

	(void)ctx;
	(void)cpu;
	if (size < sizeof(*e))
		return;
	printf("%-7u %-16.*s %4d %3d %s\n", e->pid, OPENSNOOP_COMM_LEN, e->comm, fd, err,
	       e->path);
}

static void on_lost(void *ctx, int cpu, __u64 count)
{
	(void)ctx;
	fprintf(stderr, "opensnoop: lost %llu events on CPU %d\n",
		(unsigned long long)count, cpu);
}

static int parse_args(int argc, char **argv, struct options *opt)
{
	int c;

	while ((c = getopt(argc, argv, "d:p:c:")) != -1) {
		if (c == 'd' && example_parse_deadline(optarg, &opt->deadline) == 0)
			continue;
		if (c == 'p' && example_parse_u32(optarg, &opt->pid) == 0)
			continue;
		if (c == 'c' && strlen(optarg) < OPENSNOOP_COMM_LEN) {
			opt->comm = optarg;
			continue;
		}
		fprintf(stderr, "usage: opensnoop [-d SECONDS] [-p PID] [-c COMM]\n"
				"  COMM: at most %d characters\n", OPENSNOOP_COMM_LEN - 1);
		return -EINVAL;
	}
	return 0;
}

static int trace(struct opensnoop *skel, uint64_t deadline)
{
	struct perf_buffer *pb;
	int err = 0;

	pb = perf_buffer__new(bpf_map__fd(skel->maps.events), PERF_PAGES, on_open, on_lost,
			      NULL, NULL);
	if (!pb) {
		fprintf(stderr, "perf buffer: %s\n", strerror(errno));
		return -errno;
	}
	printf("%-7s %-16s %4s %3s %s\n", "PID", "COMM", "FD", "ERR", "PATH");
	while (!example_expired(deadline) && err >= 0)
		err = perf_buffer__poll(pb, EXAMPLE_POLL_MS);
	perf_buffer__free(pb);
	return example_poll_status(err);
}

static int start(struct opensnoop *skel, const struct options *opt)
{
	int err;

	skel->rodata->target_pid = opt->pid;
	if (opt->comm)
		strncpy(skel->rodata->target_comm, opt->comm, OPENSNOOP_COMM_LEN - 1);
	err = opensnoop__load(skel);
	if (!err)
		err = opensnoop__attach(skel);
	if (err)
		fprintf(stderr, "load/attach: %s\n", strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	struct options opt = {0};
	struct opensnoop *skel;
	int err;

	example_init_output();
	if (parse_args(argc, argv, &opt))
		return 2;
	skel = opensnoop__open();
	if (!skel) {
		fprintf(stderr, "open: %s\n", strerror(errno));
		return 1;
	}
	err = start(skel, &opt);
	if (!err)
		err = trace(skel, opt.deadline);
	opensnoop__destroy(skel);
	return err ? 1 : 0;
}
