/* SPDX-License-Identifier: MIT */
/* The record execsnoop's BPF side sends to the wasm32 guest. */
#ifndef EXECSNOOP_H
#define EXECSNOOP_H

#include <wbpf/shared.h>

#define EXECSNOOP_COMM_LEN 16
#define EXECSNOOP_FILE_LEN 128
#define EXECSNOOP_ARGS_LEN 256

/* Fixed-width fields only: the BPF side is 64-bit, the guest 32-bit. */
struct exec_event {
	__u64 ts_ns;
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	__u32 args_len; /* bytes used in args: NUL-separated argv */
	char comm[EXECSNOOP_COMM_LEN];
	char filename[EXECSNOOP_FILE_LEN];
	char args[EXECSNOOP_ARGS_LEN];
};

WBPF_SHARED_STRUCT_CHECK(struct exec_event, 424);
WBPF_SHARED_FIELD_CHECK(struct exec_event, pid, 8);
WBPF_SHARED_FIELD_CHECK(struct exec_event, args_len, 20);
WBPF_SHARED_FIELD_CHECK(struct exec_event, comm, 24);
WBPF_SHARED_FIELD_CHECK(struct exec_event, filename, 40);
WBPF_SHARED_FIELD_CHECK(struct exec_event, args, 168);

#endif /* EXECSNOOP_H */
