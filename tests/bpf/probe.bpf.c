// SPDX-License-Identifier: MIT
/* BPF side of tests/bpf: every program counts and reports the calls of
 * the test process (target_pid) so that other processes cannot disturb
 * the counts. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct event {
	__u32 pid;
	__u32 kind; /* 1 tracepoint, 2 raw_tp, 3 tp_btf, 4 uprobe */
	__u64 seq;
	char comm[16];
};

const volatile __u32 target_pid = 0;
__u64 hits = 0;	    /* .bss, read after load */
__u64 step = 1;	    /* .data, written after load */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} pevents SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} pcpu SEC(".maps");

static int report(void *ctx, __u32 kind)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct event *e, pe = {};
	__u64 *c, one = 1;

	/* 0: everyone (wasm_bpf guests cannot set .rodata). */
	if (target_pid && pid != target_pid)
		return 0;
	hits += step;
	c = bpf_map_lookup_elem(&counts, &kind);
	if (c)
		__sync_fetch_and_add(c, 1);
	else
		bpf_map_update_elem(&counts, &kind, &one, BPF_NOEXIST);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->pid = pid;
		e->kind = kind;
		e->seq = hits;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		bpf_ringbuf_submit(e, 0);
	}
	pe.pid = pid;
	pe.kind = kind;
	pe.seq = hits;
	bpf_perf_event_output(ctx, &pevents, BPF_F_CURRENT_CPU, &pe, sizeof(pe));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	return report(ctx, 1);
}

/* Attached explicitly to sys_enter by the test. */
SEC("raw_tp")
int on_raw_enter(struct bpf_raw_tracepoint_args *ctx)
{
	if (ctx->args[1] != 110 /* __NR_getppid on x86-64 */)
		return 0;
	return report(ctx, 2);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_btf_enter, struct pt_regs *regs, long id)
{
	if (id != 110)
		return 0;
	return report(ctx, 3);
}

/* Target named by the test: a function of its own binary. */
SEC("uprobe")
int on_uprobe(struct pt_regs *ctx)
{
	return report(ctx, 4);
}

SEC("socket")
int on_socket(struct __sk_buff *skb)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

SEC("cgroup_skb/egress")
int on_egress(struct __sk_buff *skb)
{
	return 1;
}
