// SPDX-License-Identifier: GPL-2.0
/*
 * BPF side of the hostile-guest tests: a steady stream of 64-byte records
 * (every context switch) into a ring buffer and a perf buffer, plus maps
 * of each geometry the size checks need. Names start with e2e_ so the
 * test can find leftovers with bpftool.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "hostile.h"

__u64 e2e_seq;
const volatile __u32 e2e_const = 7;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024);
} e2e_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} e2e_perf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} e2e_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} e2e_pcpu SEC(".maps");

SEC("tracepoint/sched/sched_switch")
int e2e_switch(void *ctx)
{
	struct hostile_record rec = {}, *r;

	rec.seq = __sync_fetch_and_add(&e2e_seq, 1);
	rec.cpu = bpf_get_smp_processor_id();
	rec.pad = e2e_const;
	r = bpf_ringbuf_reserve(&e2e_ring, sizeof(*r), 0);
	if (r) {
		__builtin_memcpy(r, &rec, sizeof(rec));
		bpf_ringbuf_submit(r, 0);
	}
	bpf_perf_event_output(ctx, &e2e_perf, BPF_F_CURRENT_CPU, &rec, sizeof(rec));
	return 0;
}

SEC("uprobe")
int e2e_uprobe(void *ctx)
{
	return 0;
}

SEC("xdp")
int e2e_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("socket")
int e2e_socket(struct __sk_buff *skb)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
