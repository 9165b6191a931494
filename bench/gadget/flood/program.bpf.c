// SPDX-License-Identifier: GPL-2.0
/* The flood tracer of bench/gadget: one record per getppid(2) made by a
 * process named "wbflood" (the benchmark's generator). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include <gadget/buffer.h>
#include <gadget/macros.h>

struct event {
	__u64 seq;
	__u32 pid;
	__u32 cpu;
	char comm[16];
	__u64 arg;
};

GADGET_TRACER_MAP(events, 64 * 1024 * 1024);
GADGET_TRACER(flood, events, event);

__u64 seq;

SEC("tracepoint/syscalls/sys_enter_getppid")
int flood(void *ctx)
{
	struct event *e;
	char comm[16];
	__u64 head, want;

	bpf_get_current_comm(comm, sizeof(comm));
	__builtin_memcpy(&head, comm, 8);
	__builtin_memcpy(&want, "wbflood", 8);
	if (head != want)
		return 0;
	e = gadget_reserve_buf(&events, sizeof(*e));
	if (!e)
		return 0;
	e->seq = __sync_fetch_and_add(&seq, 1);
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->cpu = bpf_get_smp_processor_id();
	__builtin_memcpy(e->comm, comm, sizeof(comm));
	e->arg = e->seq * 2654435761u;
	gadget_submit_buf(ctx, &events, e, sizeof(*e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
