// SPDX-License-Identifier: MIT
/*
 * The C SDK against the real host: a bpftool skeleton (.rodata before
 * load, .data/.bss after), object and map accessors, fd-based map calls
 * with errno in wasi-libc's numbering, per-CPU values, batches, ring
 * buffers (two rings, a callback that stops the poll) and perf buffers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "sdk_test.h"
#include "sdk_test.skel.h"

#define MAGIC 0x1234abcdu
#define POLLS 40 /* of 50 ms: waits up to 2 s for the kernel to act */

struct ring_counts {
	int first, second;
	struct sdk_record last;
};

static int on_first(void *ctx, void *data, size_t size)
{
	struct ring_counts *c = ctx;

	if (size == sizeof(c->last))
		memcpy(&c->last, data, size);
	c->first++;
	return 0;
}

static int on_second(void *ctx, void *data, size_t size)
{
	(void)data;
	((struct ring_counts *)ctx)->second += size == sizeof(struct sdk_record);
	return 0;
}

static int stop_poll(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return -1234;
}

static void on_perf(void *ctx, int cpu, void *data, __u32 size)
{
	(void)cpu;
	(void)data;
	*(int *)ctx += size >= sizeof(struct sdk_record);
}

static void check_before_load(struct sdk_test *skel)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	int progs = 0, maps = 0;

	CHECK_EQ(".data initial value from the ELF", skel->data->input, 5);
	CHECK_EQ(".bss starts zeroed", skel->bss->hits, 0);
	bpf_object__for_each_program(prog, skel->obj)
		progs++;
	bpf_object__for_each_map(map, skel->obj)
		maps++;
	CHECK_EQ("five programs", progs, 5);
	CHECK_TRUE("maps include the global-data sections", maps >= 8);
	CHECK_TRUE("section name",
		   !strcmp(bpf_program__section_name(skel->progs.sdk_switch),
			   "tracepoint/sched/sched_switch"));
	CHECK_EQ("map type", bpf_map__type(skel->maps.sdk_ring), BPF_MAP_TYPE_RINGBUF);
	CHECK_EQ("key size", bpf_map__key_size(skel->maps.sdk_hash), 4);
	CHECK_EQ("value size", bpf_map__value_size(skel->maps.sdk_hash), 8);
	CHECK_TRUE("find map by section name",
		   bpf_object__find_map_by_name(skel->obj, ".bss") == skel->maps.bss);
	CHECK_TRUE("unknown program is NULL with ENOENT",
		   !bpf_object__find_program_by_name(skel->obj, "nope") && errno == ENOENT);
	CHECK_EQ("set_max_entries before load",
		 bpf_map__set_max_entries(skel->maps.sdk_hash, 32), 0);
	CHECK_EQ("set_autoload off", bpf_program__set_autoload(skel->progs.sdk_unused, false),
		 0);
	skel->rodata->magic = MAGIC;
}

/* Polls until the kernel's view (synced by each poll) passes test(). */
static bool poll_until(struct ring_buffer *rb, struct sdk_test *skel,
		       bool (*test)(struct sdk_test *))
{
	for (int i = 0; i < POLLS && !test(skel); i++)
		ring_buffer__poll(rb, 50);
	return test(skel);
}

static bool saw_input(struct sdk_test *skel)
{
	return skel->bss->seen_input == 42;
}

static bool saw_flag(struct sdk_test *skel)
{
	return skel->bss->echo_flag == 99;
}

static void check_global_data(struct sdk_test *skel, struct ring_buffer *rb,
			      struct ring_counts *c)
{
	size_t size = 0;
	const __u32 *ro = bpf_map__initial_value(skel->maps.rodata, &size);

	skel->data->input = 42;
	CHECK_TRUE(".data written after load reaches the program", poll_until(rb, skel, saw_input));
	CHECK_EQ(".rodata set before load reached the verifier", skel->bss->seen_magic, MAGIC);
	CHECK_TRUE(".bss counter read after load", skel->bss->hits > 0);
	CHECK_TRUE("records carry the same view", c->last.magic == MAGIC);
	skel->bss->guest_flag = 99;
	CHECK_TRUE(".bss written after load reaches the program", poll_until(rb, skel, saw_flag));
	CHECK_TRUE("guest write survives kernel updates nearby", skel->bss->guest_flag == 99);
	CHECK_TRUE(".rodata mirror after load", ro && size == 4 && *ro == MAGIC);
	CHECK_TRUE(".kconfig mirror holds what libbpf filled in",
		   skel->kconfig->LINUX_KERNEL_VERSION != 0 &&
			   skel->kconfig->LINUX_KERNEL_VERSION == skel->bss->kernel_version);
}

static void check_rings(struct sdk_test *skel, const struct ring_counts *c)
{
	struct ring_buffer *stopper;

	CHECK_TRUE("first ring delivered", c->first > 0);
	CHECK_TRUE("second ring (ring_buffer__add) delivered", c->second > 0);
	stopper = ring_buffer__new(bpf_map__fd(skel->maps.sdk_ring), stop_poll, NULL, NULL);
	CHECK_TRUE("second consumer of a ring", stopper != NULL);
	CHECK_EQ("a callback's negative return ends the poll with it",
		 ring_buffer__poll(stopper, 500), -1234);
	ring_buffer__free(stopper);
}

static void check_fd_calls(struct sdk_test *skel)
{
	int fd = bpf_map__fd(skel->maps.sdk_hash), ncpus = libbpf_num_possible_cpus();
	__u32 key, next, keys[32], count = 32, k = 1000;
	__u64 value = 7, values[32], *pcpu, sum = 0;
	int err;

	CHECK_EQ("max_entries as set before load", bpf_map__max_entries(skel->maps.sdk_hash), 32);
	CHECK_EQ("first key", bpf_map_get_next_key(fd, NULL, &key), 0);
	CHECK_EQ("lookup it", bpf_map_lookup_elem(fd, &key, &value), 0);
	CHECK_EQ("insert", bpf_map_update_elem(fd, &k, &value, BPF_NOEXIST), 0);
	CHECK_EQ("insert again: -EEXIST (wasi numbering)",
		 bpf_map_update_elem(fd, &k, &value, BPF_NOEXIST), -EEXIST);
	CHECK_EQ("errno set too", errno, EEXIST);
	CHECK_EQ("delete", bpf_map_delete_elem(fd, &k), 0);
	CHECK_EQ("lookup deleted: -ENOENT", bpf_map_lookup_elem(fd, &k, &value), -ENOENT);
	err = bpf_map_get_next_key(fd, NULL, &next);
	for (int n = 0; err == 0 && n < 64; n++) {
		key = next;
		err = bpf_map_get_next_key(fd, &key, &next);
	}
	CHECK_EQ("a key walk ends with -ENOENT", err, -ENOENT);
	CHECK_EQ("first key", bpf_map_get_next_key(fd, NULL, &key), 0);
	CHECK_EQ("bpf_map__lookup_elem with wrong size: -EINVAL",
		 bpf_map__lookup_elem(skel->maps.sdk_hash, &key, 2, &value, 8, 0), -EINVAL);
	count = 32;
	err = bpf_map_lookup_batch(fd, NULL, &next, keys, values, &count, NULL);
	CHECK_TRUE("lookup batch", (err == 0 || err == -ENOENT) && count > 0);
	CHECK_TRUE("possible CPUs", ncpus > 0);
	pcpu = calloc((size_t)ncpus, sizeof(*pcpu));
	key = 0;
	CHECK_EQ("per-CPU lookup", bpf_map_lookup_elem(bpf_map__fd(skel->maps.sdk_pcpu), &key, pcpu),
		 0);
	for (int i = 0; i < ncpus; i++)
		sum += pcpu[i];
	CHECK_TRUE("per-CPU counts summed", sum > 0);
	free(pcpu);
}

static bool saw_all_flavours(struct sdk_test *skel)
{
	return skel->bss->btf_hits && skel->bss->raw_hits && skel->bss->explicit_hits;
}

/* tp_btf and raw_tp came from the skeleton's attach; the bare
 * "tracepoint" section was skipped there and is attached by name here. */
static void check_attach_flavours(struct sdk_test *skel, struct ring_buffer *rb)
{
	struct bpf_link *link;

	CHECK_TRUE("skeleton skipped the section without a target",
		   skel->links.sdk_explicit == NULL);
	link = bpf_program__attach_tracepoint(skel->progs.sdk_explicit, "sched", "sched_switch");
	CHECK_TRUE("attach_tracepoint by name", link != NULL);
	CHECK_TRUE("tp_btf, raw_tp and explicit tracepoint all fire",
		   poll_until(rb, skel, saw_all_flavours));
	CHECK_EQ("link destroy", bpf_link__destroy(link), 0);
	link = bpf_program__attach_raw_tracepoint(skel->progs.sdk_raw, "sched_wakeup");
	CHECK_TRUE("attach_raw_tracepoint by name", link != NULL);
	bpf_link__destroy(link);
	link = bpf_program__attach_tracepoint(skel->progs.sdk_explicit, "sched", "no_such_tp");
	CHECK_TRUE("unknown tracepoint: NULL with errno ENOENT", !link && errno == ENOENT);
}

static void check_perf(struct sdk_test *skel)
{
	int n = 0;
	struct perf_buffer *pb = perf_buffer__new(bpf_map__fd(skel->maps.sdk_perf), 8, on_perf,
						  NULL, &n, NULL);

	CHECK_TRUE("perf_buffer__new", pb != NULL);
	for (int i = 0; i < POLLS && n == 0; i++)
		perf_buffer__poll(pb, 50);
	CHECK_TRUE("perf records delivered", n > 0);
	perf_buffer__free(pb);
}

static void check_detach(struct sdk_test *skel)
{
	__u64 before;

	sdk_test__detach(skel);
	CHECK_TRUE("links cleared", skel->links.sdk_switch == NULL);
	usleep(100 * 1000); /* let a switch already in flight finish */
	wbpf_object__sync_data(skel->obj);
	before = skel->bss->hits;
	usleep(200 * 1000);
	wbpf_object__sync_data(skel->obj);
	CHECK_EQ("no hits after detach", skel->bss->hits, before);
}

int main(void)
{
	struct ring_counts c = {0};
	struct ring_buffer *rb = NULL;
	struct sdk_test *skel;

	setvbuf(stdout, NULL, _IOLBF, 0);
	skel = sdk_test__open();
	CHECK_TRUE("skeleton open", skel != NULL);
	if (!skel)
		return checks_summary("sdk");
	check_before_load(skel);
	CHECK_EQ("skeleton load", sdk_test__load(skel), 0);
	CHECK_EQ("skeleton attach", sdk_test__attach(skel), 0);
	CHECK_TRUE("autoload-off program not attached", skel->links.sdk_unused == NULL);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.sdk_ring), on_first, &c, NULL);
	CHECK_TRUE("ring_buffer__new", rb != NULL);
	CHECK_EQ("ring_buffer__add",
		 ring_buffer__add(rb, bpf_map__fd(skel->maps.sdk_ring2), on_second, &c), 0);
	if (rb) {
		check_global_data(skel, rb, &c);
		check_rings(skel, &c);
		check_attach_flavours(skel, rb);
	}
	check_fd_calls(skel);
	check_perf(skel);
	ring_buffer__free(rb);
	check_detach(skel);
	sdk_test__destroy(skel);
	return checks_summary("sdk");
}
