// SPDX-License-Identifier: GPL-2.0
/*
 * BPF side of the SDK test: on every context switch it reports what it
 * sees in .rodata, .data and .bss, so the guest can check each direction
 * of the global-data mirrors, and feeds every map kind the SDK wraps.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "sdk_test.h"

const volatile __u32 magic = 1;	/* set by the guest before load */
__u32 input = 5;		/* .data: the guest writes it after load */
__u64 hits;			/* .bss: the guest reads it */
__u32 seen_magic, seen_input;
__u32 guest_flag, echo_flag;	/* .bss written by the guest, echoed back */
extern __u32 LINUX_KERNEL_VERSION __kconfig; /* .kconfig: libbpf fills it */
__u32 kernel_version;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} sdk_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} sdk_ring2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} sdk_perf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} sdk_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sdk_pcpu SEC(".maps");

static void count_cpu(void)
{
	__u32 cpu = bpf_get_smp_processor_id(), zero = 0;
	__u64 one = 1, *n = bpf_map_lookup_elem(&sdk_hash, &cpu);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&sdk_hash, &cpu, &one, BPF_NOEXIST);
	n = bpf_map_lookup_elem(&sdk_pcpu, &zero);
	if (n)
		*n += 1;
}

SEC("tracepoint/sched/sched_switch")
int sdk_switch(void *ctx)
{
	struct sdk_record rec;

	rec.hits = __sync_fetch_and_add(&hits, 1) + 1;
	rec.magic = seen_magic = magic;
	rec.input = seen_input = input;
	echo_flag = guest_flag;
	kernel_version = LINUX_KERNEL_VERSION;
	count_cpu();
	bpf_ringbuf_output(&sdk_ring, &rec, sizeof(rec), 0);
	bpf_ringbuf_output(&sdk_ring2, &rec, sizeof(rec), 0);
	bpf_perf_event_output(ctx, &sdk_perf, BPF_F_CURRENT_CPU, &rec, sizeof(rec));
	return 0;
}

/* One more program per attach flavour, each counting its hits. */
__u64 btf_hits, raw_hits, explicit_hits;

SEC("tp_btf/sched_switch")
int BPF_PROG(sdk_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__sync_fetch_and_add(&btf_hits, 1);
	return 0;
}

SEC("raw_tp/sched_switch")
int sdk_raw(void *ctx)
{
	__sync_fetch_and_add(&raw_hits, 1);
	return 0;
}

/* No target in the section: the guest names it at attach time. */
SEC("tracepoint")
int sdk_explicit(void *ctx)
{
	__sync_fetch_and_add(&explicit_hits, 1);
	return 0;
}

/* Never loaded: the guest turns autoload off before load. */
SEC("tracepoint/sched/sched_process_exit")
int sdk_unused(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
