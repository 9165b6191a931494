// SPDX-License-Identifier: GPL-2.0
/*
 * opensnoop, BPF side: openat() entry remembers its arguments, exit sends
 * one perf buffer record with the result.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "opensnoop.h"
#include "comm_filter.bpf.h"

/* Filters, set by the guest before load; zero means "any". */
const volatile __u32 target_pid;
const volatile char target_comm[OPENSNOOP_COMM_LEN];

struct open_args {
	const char *path;
	__u32 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, struct open_args);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int openat_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct open_args args = {
		.path = (const char *)ctx->args[1],
		.flags = (__u32)ctx->args[2],
	};

	if (target_pid && (id >> 32) != target_pid)
		return 0;
	if (!comm_filter_pass(target_comm))
		return 0;
	bpf_map_update_elem(&inflight, &id, &args, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct open_args *args = bpf_map_lookup_elem(&inflight, &id);
	struct open_event e = {};

	if (!args)
		return 0;
	e.ts_ns = bpf_ktime_get_ns();
	e.pid = id >> 32;
	e.uid = (__u32)bpf_get_current_uid_gid();
	e.ret = (__s32)ctx->ret;
	e.flags = args->flags;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	bpf_probe_read_user_str(e.path, sizeof(e.path), args->path);
	bpf_map_delete_elem(&inflight, &id);
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
