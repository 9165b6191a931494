// SPDX-License-Identifier: GPL-2.0
/*
 * getenvsnoop, BPF side: a uprobe on libc's getenv() remembers the name,
 * the matching uretprobe sends name and value through a ring buffer. The
 * sections name no binary: the guest attaches them to the libc it chooses.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "getenvsnoop.h"

/* Set by the guest before load; 0 traces every process. */
const volatile __u32 target_pid;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* pid_tgid */
	__type(value, __u64); /* user address of the name */
} names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 128 * 1024);
} events SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(getenv_enter, const char *name)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 addr = (__u64)name;

	if (target_pid && (id >> 32) != target_pid)
		return 0;
	bpf_map_update_elem(&names, &id, &addr, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(getenv_exit, const char *value)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 *addr = bpf_map_lookup_elem(&names, &id);
	struct getenv_event *e;

	if (!addr)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->ts_ns = bpf_ktime_get_ns();
		e->pid = id >> 32;
		e->found = value != NULL;
		e->value[0] = '\0';
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		bpf_probe_read_user_str(e->name, sizeof(e->name), (void *)*addr);
		if (value)
			bpf_probe_read_user_str(e->value, sizeof(e->value), value);
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_delete_elem(&names, &id);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
