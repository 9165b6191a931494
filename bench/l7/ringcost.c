// SPDX-License-Identifier: MIT
/* What a ring buffer record costs a BPF program when every CPU writes one
 * ring, against each CPU writing its own (src/l7/sock_rings.c says why
 * the socket source has one per CPU). A thread pinned to each CPU sends
 * 100-byte messages over its own loopback TCP connection and reads them
 * back; ringcost.bpf.c's program writes a 128-byte record at each send;
 * this process takes the records every 20 ms. Prints the program's mean
 * run time (the kernel's BPF statistics, whose own clock reads are in it)
 * for each layout, alternated ROUNDS times.
 *
 *	ringcost OBJECT [SENDS [ROUNDS]]     (make bench-l7-ring; root) */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tcp_pair.h"

struct sender {
	pthread_t thread;
	int cpu, sends;
};

static volatile int senders_left;

static void *send_loop(void *arg)
{
	struct sender *s = arg;
	char buf[100] = {0};
	cpu_set_t set;
	int fd[2];

	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (!tcp_pair(fd)) {
		for (int i = 0; i < s->sends; i++)
			if (write(fd[0], buf, sizeof(buf)) != sizeof(buf) ||
			    read(fd[1], buf, sizeof(buf)) <= 0)
				break;
		close(fd[0]);
		close(fd[1]);
	}
	__atomic_sub_fetch(&senders_left, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int count_record(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	return 0;
}

/* One run: the program attached with this layout while every CPU sends;
 * its mean run time in ns, or -1. */
static double run(const char *path, bool per_cpu, int cpus, int sends)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct ring_buffer *rb = NULL;
	struct bpf_prog_info info = {0};
	__u32 info_len = sizeof(info);
	struct bpf_link *link = NULL;
	struct sender *s = calloc((size_t)cpus, sizeof(*s));
	int *ring_fds = malloc((size_t)cpus * sizeof(*ring_fds));
	struct bpf_map *rodata;
	bool use_per_cpu[8] = {per_cpu}; /* .rodata: the object's only read-only variable */
	size_t rodata_size;
	double ns = -1;

	for (int c = 0; ring_fds && c < cpus; c++)
		ring_fds[c] = -1;
	if (!obj || !s || !ring_fds ||
	    bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "per_cpu"), (__u32)cpus))
		goto out;
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	if (!rodata || !bpf_map__initial_value(rodata, &rodata_size) || rodata_size > sizeof(use_per_cpu) ||
	    bpf_map__set_initial_value(rodata, use_per_cpu, rodata_size) || bpf_object__load(obj))
		goto out;
	rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "shared")), count_record,
			      NULL, NULL);
	for (int c = 0; rb && c < cpus; c++) {
		__u32 key = (__u32)c;

		ring_fds[c] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ringcost_cpu", 0, 0, 1 << 20, NULL);
		if (ring_fds[c] < 0 ||
		    bpf_map_update_elem(bpf_map__fd(bpf_object__find_map_by_name(obj, "per_cpu")), &key,
					&ring_fds[c], BPF_ANY) ||
		    ring_buffer__add(rb, ring_fds[c], count_record, NULL))
			goto out;
	}
	link = bpf_program__attach(bpf_object__find_program_by_name(obj, "record"));
	if (!rb || !link)
		goto out;
	senders_left = cpus;
	for (int c = 0; c < cpus; c++) {
		s[c] = (struct sender){.cpu = c, .sends = sends};
		pthread_create(&s[c].thread, NULL, send_loop, &s[c]);
	}
	while (__atomic_load_n(&senders_left, __ATOMIC_ACQUIRE) > 0) {
		usleep(20000);
		ring_buffer__consume(rb);
	}
	for (int c = 0; c < cpus; c++)
		pthread_join(s[c].thread, NULL);
	if (!bpf_obj_get_info_by_fd(bpf_program__fd(bpf_object__find_program_by_name(obj, "record")),
				     &info, &info_len) &&
	    info.run_cnt)
		ns = (double)info.run_time_ns / (double)info.run_cnt;
out:
	bpf_link__destroy(link);
	ring_buffer__free(rb);
	for (int c = 0; ring_fds && c < cpus; c++)
		if (ring_fds[c] >= 0)
			close(ring_fds[c]);
	bpf_object__close(obj);
	free(ring_fds);
	free(s);
	return ns;
}

int main(int argc, char **argv)
{
	int sends = argc > 2 ? atoi(argv[2]) : 100000, rounds = argc > 3 ? atoi(argv[3]) : 3;
	int cpus = libbpf_num_possible_cpus(), stats;

	if (argc < 2 || sends <= 0 || rounds <= 0 || cpus <= 0) {
		fprintf(stderr, "usage: ringcost OBJECT [SENDS [ROUNDS]]\n");
		return 2;
	}
	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats < 0) {
		fprintf(stderr, "ringcost: BPF statistics: %s (root?)\n", strerror(errno));
		return 1;
	}
	printf("%d CPUs each sending %d 100-byte messages, a 128-byte record each, ns a program run:\n",
	       cpus, sends);
	for (int r = 0; r < rounds; r++)
		printf("  round %d: one ring for all CPUs %.0f, a ring per CPU %.0f\n", r + 1,
		       run(argv[1], false, cpus, sends), run(argv[1], true, cpus, sends));
	close(stats);
	return 0;
}
