// SPDX-License-Identifier: GPL-2.0
/* trace_open, a gadget: one record per openat(2), with its result; the
 * --comm param filters here, in the kernel. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include <gadget/buffer.h>
#include <gadget/macros.h>
#include <gadget/types.h>

#define NAME_LEN 256

struct event {
	gadget_timestamp timestamp_raw;
	gadget_comm comm[16];
	gadget_pid pid;
	gadget_uid uid;
	__s32 fd;
	gadget_errno error_raw;
	__u32 flags;
	char fname[NAME_LEN];
};

struct start {
	const char *fname;
	__u32 flags;
};

/* Only processes with this name; empty = all. */
const volatile char targ_comm[16] = {};
GADGET_PARAM(targ_comm);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct start);
} starts SEC(".maps");

GADGET_TRACER_MAP(events, 256 * 1024);
GADGET_TRACER(open, events, event);

static bool comm_matches(void)
{
	char comm[16];

	if (!targ_comm[0])
		return true;
	bpf_get_current_comm(comm, sizeof(comm));
	for (int i = 0; i < 16; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct start s = {(const char *)ctx->args[1], (__u32)ctx->args[2]};

	if (comm_matches())
		bpf_map_update_elem(&starts, &tid, &s, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct start *s = bpf_map_lookup_elem(&starts, &tid);
	struct event *e;
	long ret = ctx->ret;

	if (!s)
		return 0;
	e = gadget_reserve_buf(&events, sizeof(*e));
	if (e) {
		e->timestamp_raw = bpf_ktime_get_boot_ns();
		e->pid = id >> 32;
		e->uid = (__u32)bpf_get_current_uid_gid();
		e->fd = ret >= 0 ? (__s32)ret : -1;
		e->error_raw = ret < 0 ? (__u32)-ret : 0;
		e->flags = s->flags;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		bpf_probe_read_user_str(e->fname, sizeof(e->fname), s->fname);
		gadget_submit_buf(ctx, &events, e, sizeof(*e));
	}
	bpf_map_delete_elem(&starts, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
