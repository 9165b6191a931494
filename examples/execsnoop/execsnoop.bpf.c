// SPDX-License-Identifier: GPL-2.0
/* execsnoop, BPF side: one ring buffer record per successful exec. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "execsnoop.h"

/* Set by the guest before load; (u32)-1 traces every user. */
const volatile __u32 filter_uid = (__u32)-1;

/* Read by the guest after the run (a .bss mirror). */
__u64 events_seen;
__u64 events_dropped;

/* Puts struct exec_event in the object's BTF (a type used only through a
 * local pointer is not there) for `wbpf gen types`, which writes the Rust
 * guest's copy of it (examples/rust). Zero bytes: no data, and no pointer,
 * whose size would differ in a wasm32 skeleton. */
struct exec_event exec_event_btf[0] __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* argv lives in the new image's stack between arg_start and arg_end. */
static void read_args(struct exec_event *e, struct task_struct *task)
{
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	__u64 len = end > start ? end - start : 0;

	if (len > EXECSNOOP_ARGS_LEN)
		len = EXECSNOOP_ARGS_LEN;
	if (len && bpf_probe_read_user(e->args, len, (void *)start) == 0)
		e->args_len = len;
}

SEC("tracepoint/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	unsigned int fname_off = ctx->__data_loc_filename & 0xFFFF;
	struct exec_event *e;

	if (filter_uid != (__u32)-1 && uid != filter_uid)
		return 0;
	__sync_fetch_and_add(&events_seen, 1);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&events_dropped, 1);
		return 0;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = uid;
	e->args_len = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
				  (void *)ctx + fname_off);
	read_args(e, task);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
