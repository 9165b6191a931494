// SPDX-License-Identifier: GPL-2.0
/* bench/l7/ringcost.c's program: at every socket send, a 128-byte record
 * into one ring shared by all CPUs, or into the sending CPU's own. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} shared SEC(".maps");

struct cpu_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* the loader sets it to the number of CPUs */
	__type(key, __u32);
	__array(values, struct cpu_ring);
} per_cpu SEC(".maps");

const volatile bool use_per_cpu;

SEC("tp_btf/sock_send_length")
int BPF_PROG(record, struct sock *sk, int ret, int flags)
{
	void *ring = &shared;
	__u64 *rec;

	if (use_per_cpu) {
		__u32 cpu = bpf_get_smp_processor_id();

		ring = bpf_map_lookup_elem(&per_cpu, &cpu);
		if (!ring)
			return 0;
	}
	rec = bpf_ringbuf_reserve(ring, 128, 0);
	if (!rec)
		return 0;
	for (int i = 0; i < 16; i++)
		rec[i] = i;
	bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
	return 0;
}
