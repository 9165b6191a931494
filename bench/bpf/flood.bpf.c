// SPDX-License-Identifier: MIT
/* Per-event cost benchmark, BPF side: each getppid() of the benchmark
 * process emits `burst` records into a ring buffer, without waking the
 * consumer (it drains on its own schedule). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct rec {
	__u64 seq;
	__u64 value;
	__u32 pid;
	__u32 cpu;
	__u64 pad;
};

/* One struct keeps the layout the consumers write before load. */
const volatile struct {
	__u32 target_pid;
	__u32 burst;
} cfg = { 0, 64 };
__u64 seq = 0;
__u64 dropped = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int flood(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (pid != cfg.target_pid)
		return 0;
	for (int i = 0; i < 256 && i < cfg.burst; i++) {
		struct rec *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

		if (!r) {
			dropped++;
			break;
		}
		r->seq = ++seq;
		r->value = seq * 2654435761u;
		r->pid = pid;
		r->cpu = bpf_get_smp_processor_id();
		r->pad = 0;
		bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
