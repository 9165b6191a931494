// SPDX-License-Identifier: MIT
/* What a record costs a BPF program in three layouts: one BPF ring buffer
 * every CPU writes, a BPF ring buffer per CPU, and a ring per CPU of the
 * socket source's own kind (src/l7/sock_rings.c says why per CPU and why
 * not BPF ring buffers). A thread pinned to each CPU sends 100-byte
 * messages over its own loopback TCP connection and reads them back;
 * ringcost.bpf.c's program writes a 128-byte record at each send; this
 * process takes the records every 20 ms (the socket source's rings through
 * its own reader, sock_rings.c). Prints the program's mean run time (the
 * kernel's BPF statistics, whose own clock reads are in it) for each
 * layout, alternated ROUNDS times.
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
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "l7/bpf/socktrace.h"
#include "l7/internal.h"
#include "tcp_pair.h"

enum layout { SHARED, PER_CPU_BPF, PER_CPU_ARRAY, N_LAYOUTS };

static const char *const layout_name[N_LAYOUTS] = {
	"one BPF ring buffer for all CPUs",
	"a BPF ring buffer per CPU",
	"a ring of the socket source's kind per CPU",
};

#define RING_SIZE (1u << 20)

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

static void take_record(void *ctx, const struct sock_ev *ev, uint32_t size)
{
	(void)ctx, (void)ev, (void)size;
}

/* Sets the read-only variable `name` of the object to value, found
 * through the object's BTF: -EINVAL unless it is 4 or 8 bytes. */
static int set_rodata(struct bpf_object *obj, const char *name, uint64_t value)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, ".rodata");
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *v;
	const struct btf_type *sec;
	const void *init;
	uint8_t buf[64];
	size_t size;
	int id;

	if (!m || !btf || !(init = bpf_map__initial_value(m, &size)) || size > sizeof(buf) ||
	    (id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC)) < 0)
		return -ENOENT;
	memcpy(buf, init, size);
	sec = btf__type_by_id(btf, (__u32)id);
	v = btf_var_secinfos(sec);
	for (unsigned i = 0; i < btf_vlen(sec); i++, v++) {
		const struct btf_type *var = btf__type_by_id(btf, v->type);

		if (strcmp(btf__name_by_offset(btf, var->name_off), name) || v->offset + v->size > size)
			continue;
		if (v->size == 4) {
			uint32_t w = (uint32_t)value;

			memcpy(buf + v->offset, &w, 4);
		} else if (v->size == 8) {
			memcpy(buf + v->offset, &value, 8);
		} else {
			return -EINVAL;
		}
		return bpf_map__set_initial_value(m, buf, size);
	}
	return -ENOENT;
}

/* The ring buffers the layout needs: ring_fds[c], each in its CPU's slot
 * of per_cpu and read by rb; or the socket source's rings, *rs. */
static int make_rings(struct bpf_object *obj, enum layout layout, int cpus, int *ring_fds,
		      struct ring_buffer *rb, struct sock_rings **rs)
{
	int err = 0;

	if (layout == PER_CPU_ARRAY) {
		*rs = sock_rings__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "rings")),
				      bpf_map__fd(bpf_object__find_map_by_name(obj, "doorbell")),
				      (unsigned)cpus, RING_SIZE, 0, &err);
		return err;
	}
	for (int c = 0; layout == PER_CPU_BPF && c < cpus; c++) {
		__u32 key = (__u32)c;

		ring_fds[c] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ringcost_cpu", 0, 0, RING_SIZE, NULL);
		if (ring_fds[c] < 0 ||
		    bpf_map_update_elem(bpf_map__fd(bpf_object__find_map_by_name(obj, "per_cpu")), &key,
					&ring_fds[c], BPF_ANY) ||
		    ring_buffer__add(rb, ring_fds[c], count_record, NULL))
			return -errno;
	}
	return 0;
}

static int size_maps(struct bpf_object *obj, enum layout layout, int cpus)
{
	struct bpf_map *rings = bpf_object__find_map_by_name(obj, "rings");

	if (bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "per_cpu"), (__u32)cpus) ||
	    bpf_map__set_max_entries(rings, (__u32)cpus) ||
	    bpf_map__set_value_size(rings, (__u32)sock_rings__value_size(RING_SIZE)))
		return -errno;
	if (set_rodata(obj, "layout", layout) || set_rodata(obj, "ring_mask", RING_SIZE - 1))
		return -ENOENT;
	return 0;
}

/* One run: the program attached with this layout while every CPU sends;
 * its mean run time in ns, or -1. */
static double run(const char *path, enum layout layout, int cpus, int sends)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct ring_buffer *rb = NULL;
	struct sock_rings *rs = NULL;
	struct bpf_prog_info info = {0};
	__u32 info_len = sizeof(info);
	struct bpf_link *link = NULL;
	struct sender *s = calloc((size_t)cpus, sizeof(*s));
	int *ring_fds = malloc((size_t)cpus * sizeof(*ring_fds));
	double ns = -1;

	for (int c = 0; ring_fds && c < cpus; c++)
		ring_fds[c] = -1;
	if (!obj || !s || !ring_fds || size_maps(obj, layout, cpus) || bpf_object__load(obj))
		goto out;
	rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "shared")), count_record,
			      NULL, NULL);
	if (!rb || make_rings(obj, layout, cpus, ring_fds, rb, &rs))
		goto out;
	link = bpf_program__attach(bpf_object__find_program_by_name(obj, "record"));
	if (!link)
		goto out;
	senders_left = cpus;
	for (int c = 0; c < cpus; c++) {
		s[c] = (struct sender){.cpu = c, .sends = sends};
		pthread_create(&s[c].thread, NULL, send_loop, &s[c]);
	}
	while (__atomic_load_n(&senders_left, __ATOMIC_ACQUIRE) > 0) {
		usleep(20000);
		ring_buffer__consume(rb);
		if (rs)
			sock_rings__drain(rs, UINT64_MAX, take_record, NULL);
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
	sock_rings__free(rs);
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
	for (int r = 0; r < rounds; r++) {
		printf("  round %d:", r + 1);
		for (int l = 0; l < N_LAYOUTS; l++)
			printf("%s %s %.0f", l ? "," : "", layout_name[l], run(argv[1], l, cpus, sends));
		printf("\n");
	}
	close(stats);
	return 0;
}
