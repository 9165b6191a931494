// SPDX-License-Identifier: GPL-2.0
/* trace_exec, a gadget: one record per successful exec, with the new
 * program's argv as the raw NUL-separated bytes of its stack (the
 * operator makes strings of them). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include <gadget/buffer.h>
#include <gadget/macros.h>
#include <gadget/types.h>

#define ARGS_LEN 256

struct event {
	gadget_timestamp timestamp_raw;
	gadget_mntns_id mntns_id;
	gadget_comm comm[16];
	gadget_pid pid;
	gadget_ppid ppid;
	gadget_uid uid;
	gadget_gid gid;
	__u32 args_size;
	char file[128];
	__u8 args_buf[ARGS_LEN];
};

/* Only processes of this user; -1 = all. */
const volatile __u32 targ_uid = (__u32)-1;
GADGET_PARAM(targ_uid);

GADGET_TRACER_MAP(events, 256 * 1024);
GADGET_TRACER(exec, events, event);

static void read_args(struct event *e, struct task_struct *task)
{
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	__u64 len = end > start ? end - start : 0;

	if (len > ARGS_LEN)
		len = ARGS_LEN;
	e->args_size = 0;
	if (len && bpf_probe_read_user(e->args_buf, len, (void *)start) == 0)
		e->args_size = len;
}

SEC("tracepoint/sched/sched_process_exec")
int trace_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 ugid = bpf_get_current_uid_gid();
	unsigned int fname_off = ctx->__data_loc_filename & 0xFFFF;
	struct event *e;

	if (targ_uid != (__u32)-1 && (__u32)ugid != targ_uid)
		return 0;
	e = gadget_reserve_buf(&events, sizeof(*e));
	if (!e)
		return 0;
	e->timestamp_raw = bpf_ktime_get_boot_ns();
	e->mntns_id = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (__u32)ugid;
	e->gid = ugid >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->file, sizeof(e->file), (void *)ctx + fname_off);
	read_args(e, task);
	gadget_submit_buf(ctx, &events, e, sizeof(*e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
