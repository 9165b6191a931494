// SPDX-License-Identifier: GPL-2.0
/* snapshot_process, a gadget: the processes seen since it started (by
 * their exec or their first syscall) with their syscall counts, kept in
 * a hash map that the host reads on every interval (GADGET_MAPITER). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include <gadget/macros.h>
#include <gadget/types.h>

#define MAX_PROCS 8192

struct proc_key {
	gadget_pid pid;
};

struct proc {
	gadget_comm comm[16];
	gadget_ppid ppid;
	gadget_uid uid;
	__u64 syscalls;
	gadget_timestamp seen_raw;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_PROCS);
	__type(key, struct proc_key);
	__type(value, struct proc);
} procs SEC(".maps");

GADGET_MAPITER(processes, procs);

/* Only processes of this user; -1 = all. */
const volatile __u32 targ_uid = (__u32)-1;
GADGET_PARAM(targ_uid);

static struct proc *track(bool exec)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 ugid = bpf_get_current_uid_gid();
	struct proc_key key = {.pid = bpf_get_current_pid_tgid() >> 32};
	struct proc *p, fresh = {};

	if (targ_uid != (__u32)-1 && (__u32)ugid != targ_uid)
		return NULL;
	p = bpf_map_lookup_elem(&procs, &key);
	if (p && !exec)
		return p;
	bpf_get_current_comm(fresh.comm, sizeof(fresh.comm));
	fresh.ppid = BPF_CORE_READ(task, real_parent, tgid);
	fresh.uid = (__u32)ugid;
	fresh.seen_raw = bpf_ktime_get_boot_ns();
	if (p)
		fresh.syscalls = p->syscalls;
	bpf_map_update_elem(&procs, &key, &fresh, BPF_ANY);
	return bpf_map_lookup_elem(&procs, &key);
}

SEC("tracepoint/sched/sched_process_exec")
int snap_exec(void *ctx)
{
	track(true);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_enter")
int snap_syscall(void *ctx)
{
	struct proc *p = track(false);

	if (p)
		__sync_fetch_and_add(&p->syscalls, 1);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int snap_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct proc_key key = {.pid = id >> 32};

	if ((__u32)id == key.pid) /* the whole process, not one thread */
		bpf_map_delete_elem(&procs, &key);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
