// SPDX-License-Identifier: MIT
/*
 * syslat: syscall latency as a log2 histogram, printed and cleared every
 * interval. The histogram lives in a BPF hash map the guest walks with
 * get_next_key and drains with lookup-and-delete.
 *
 * usage: syslat [-d SECONDS] [-i INTERVAL] [-p PID] [-c COMM] [-s SYSCALL_NR]
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "example.h"
#include "syslat.h"
#include "syslat.skel.h"

#define BAR_WIDTH 40

struct options {
	uint64_t deadline;
	uint64_t interval_ms;
	uint32_t pid;
	uint32_t nr;
	bool nr_set;
	const char *comm;
};

/* Moves the map's counts into hist[] and empties the map. Keys are
 * collected first: deleting while walking a hash map restarts the walk. */
static int drain(const struct bpf_map *map, __u64 hist[SYSLAT_SLOTS])
{
	struct hist_key keys[SYSLAT_SLOTS], *prev = NULL;
	int n = 0, err;

	while (n < SYSLAT_SLOTS &&
	       bpf_map__get_next_key(map, prev, &keys[n], sizeof(keys[n])) == 0)
		prev = &keys[n++];
	for (int i = 0; i < n; i++) {
		__u64 count;

		err = bpf_map_lookup_and_delete_elem(bpf_map__fd(map), &keys[i], &count);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		if (keys[i].slot < SYSLAT_SLOTS)
			hist[keys[i].slot] += count;
	}
	return 0;
}

static void print_hist(const __u64 hist[SYSLAT_SLOTS])
{
	char bar[BAR_WIDTH + 1];
	__u64 max = 0;
	int last = -1;

	for (int i = 0; i < SYSLAT_SLOTS; i++) {
		if (hist[i] > max)
			max = hist[i];
		if (hist[i])
			last = i;
	}
	if (last < 0) {
		printf("%20s : no syscalls this interval\n", "usecs");
		return;
	}
	printf("%20s : %-8s %s\n", "usecs", "count", "distribution");
	for (int i = 0; i <= last; i++) {
		int w = (int)(hist[i] * BAR_WIDTH / max);

		memset(bar, '*', (size_t)w);
		bar[w] = '\0';
		printf("%9llu -> %-9llu : %-8llu |%-*s|\n", i ? 1ULL << i : 0ULL,
		       (1ULL << (i + 1)) - 1, (unsigned long long)hist[i], BAR_WIDTH, bar);
	}
}

static int report(struct syslat *skel)
{
	__u64 hist[SYSLAT_SLOTS] = {0};
	int err = drain(skel->maps.hist, hist);

	if (err) {
		fprintf(stderr, "reading the histogram: %s\n", strerror(-err));
		return err;
	}
	print_hist(hist);
	return 0;
}

/* sleep() in WASI blocks the instance; short naps keep the deadline. */
static void wait_interval(uint64_t until, uint64_t deadline)
{
	while (!example_expired(deadline) && example_now_ms() < until)
		usleep(EXAMPLE_POLL_MS * 1000);
}

static int trace(struct syslat *skel, const struct options *opt)
{
	int err = 0;

	printf("syslat: tracing syscalls, every %llu ms\n",
	       (unsigned long long)opt->interval_ms);
	while (!err && !example_expired(opt->deadline)) {
		wait_interval(example_now_ms() + opt->interval_ms, opt->deadline);
		err = report(skel);
	}
	if (!err && wbpf_object__sync_data(skel->obj) == 0)
		printf("syslat: %llu syscalls\n", (unsigned long long)skel->bss->syscalls_seen);
	return err;
}

static int parse_args(int argc, char **argv, struct options *opt)
{
	int c;

	opt->interval_ms = 1000;
	while ((c = getopt(argc, argv, "d:i:p:c:s:")) != -1) {
		if (c == 'd' && example_parse_deadline(optarg, &opt->deadline) == 0)
			continue;
		if (c == 'i' && example_parse_ms(optarg, &opt->interval_ms) == 0)
			continue;
		if (c == 'p' && example_parse_u32(optarg, &opt->pid) == 0)
			continue;
		if (c == 's' && example_parse_u32(optarg, &opt->nr) == 0) {
			opt->nr_set = true;
			continue;
		}
		if (c == 'c' && strlen(optarg) < SYSLAT_COMM_LEN) {
			opt->comm = optarg;
			continue;
		}
		fprintf(stderr, "usage: syslat [-d SECONDS] [-i INTERVAL] [-p PID] [-c COMM]"
				" [-s SYSCALL_NR]\n");
		return -EINVAL;
	}
	return 0;
}

static int start(struct syslat *skel, const struct options *opt)
{
	int err;

	skel->rodata->target_pid = opt->pid;
	skel->rodata->target_nr = opt->nr_set ? (__s32)opt->nr : -1;
	if (opt->comm)
		strncpy(skel->rodata->target_comm, opt->comm, SYSLAT_COMM_LEN - 1);
	err = syslat__load(skel);
	if (!err)
		err = syslat__attach(skel);
	if (err)
		fprintf(stderr, "load/attach: %s\n", strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	struct options opt = {0};
	struct syslat *skel;
	int err;

	example_init_output();
	if (parse_args(argc, argv, &opt))
		return 2;
	skel = syslat__open();
	if (!skel) {
		fprintf(stderr, "open: %s\n", strerror(errno));
		return 1;
	}
	err = start(skel, &opt);
	if (!err)
		err = trace(skel, &opt);
	syslat__destroy(skel);
	return err ? 1 : 0;
}
