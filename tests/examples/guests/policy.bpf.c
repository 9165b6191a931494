// SPDX-License-Identifier: GPL-2.0
/*
 * Programs that call restricted helpers, for the helper policy tests
 * (tests/bpf/test_bpf.c, tests/examples/run.sh): one signals the target
 * process from a subprogram (the check must see calls in .text too), one
 * writes user memory directly. Both only act on target_pid, which stays
 * 0 (no process) unless the native test sets it to itself.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define SIGUSR1 10

const volatile __u32 target_pid = 0;

static __noinline int signal_target(void)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_pid)
		return 0;
	return bpf_send_signal(SIGUSR1);
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int policy_signal(void *ctx)
{
	return signal_target() & 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int policy_write_user(void *ctx)
{
	__u64 zero = 0;

	if ((bpf_get_current_pid_tgid() >> 32) == target_pid)
		bpf_probe_write_user((void *)8, &zero, sizeof(zero));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
