// SPDX-License-Identifier: GPL-2.0
/*
 * syslat, BPF side: syscall latency as a log2 histogram of microseconds,
 * kept in a hash map the guest reads and clears periodically.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "syslat.h"
#include "comm_filter.bpf.h"

/* Filters, set by the guest before load; zero/empty means "any", and
 * target_nr is -1 for every syscall. */
const volatile __u32 target_pid;
const volatile __s32 target_nr = -1;
const volatile char target_comm[SYSLAT_COMM_LEN];

/* Syscalls that entered while a filter matched, for the summary line. */
__u64 syscalls_seen;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32); /* thread id */
	__type(value, __u64); /* entry time, ns */
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYSLAT_SLOTS);
	__type(key, struct hist_key);
	__type(value, __u64);
} hist SEC(".maps");

/* Floor of log2, branch-free so the verifier sees no loop. */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xFFFFFFFF) << 5; v >>= shift; r |= shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	return r | (__u32)(v >> 1);
}

SEC("tracepoint/raw_syscalls/sys_enter")
int sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	__u64 ts;

	if (target_pid && (id >> 32) != target_pid)
		return 0;
	if (target_nr >= 0 && ctx->id != target_nr)
		return 0;
	if (!comm_filter_pass(target_comm))
		return 0;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	__sync_fetch_and_add(&syscalls_seen, 1);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int sys_exit(void *ctx __attribute__((unused)))
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct hist_key key = {};
	__u64 *tsp, *count, one = 1;

	tsp = bpf_map_lookup_elem(&start, &tid);
	if (!tsp)
		return 0;
	key.slot = log2_u64((bpf_ktime_get_ns() - *tsp) / 1000);
	if (key.slot >= SYSLAT_SLOTS)
		key.slot = SYSLAT_SLOTS - 1;
	bpf_map_delete_elem(&start, &tid);
	count = bpf_map_lookup_elem(&hist, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&hist, &key, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
