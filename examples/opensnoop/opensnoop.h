/* SPDX-License-Identifier: MIT */
/* The record opensnoop's BPF side sends to the wasm32 guest. */
#ifndef OPENSNOOP_H
#define OPENSNOOP_H

#include <wbpf/shared.h>

#define OPENSNOOP_COMM_LEN 16
#define OPENSNOOP_PATH_LEN 256

/* Fixed-width fields only: the BPF side is 64-bit, the guest 32-bit. */
struct open_event {
	__u64 ts_ns;
	__u32 pid;
	__u32 uid;
	__s32 ret; /* fd, or -errno */
	__u32 flags;
	char comm[OPENSNOOP_COMM_LEN];
	char path[OPENSNOOP_PATH_LEN];
};

WBPF_SHARED_STRUCT_CHECK(struct open_event, 296);
WBPF_SHARED_FIELD_CHECK(struct open_event, ret, 16);
WBPF_SHARED_FIELD_CHECK(struct open_event, comm, 24);
WBPF_SHARED_FIELD_CHECK(struct open_event, path, 40);

#endif /* OPENSNOOP_H */
