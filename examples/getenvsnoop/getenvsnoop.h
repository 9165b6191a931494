/* SPDX-License-Identifier: MIT */
/* The record getenvsnoop's BPF side sends to the wasm32 guest. */
#ifndef GETENVSNOOP_H
#define GETENVSNOOP_H

#include <wbpf/shared.h>

#define GETENVSNOOP_COMM_LEN 16
#define GETENVSNOOP_STR_LEN 80

/* Fixed-width fields only: the BPF side is 64-bit, the guest 32-bit. */
struct getenv_event {
	__u64 ts_ns;
	__u32 pid;
	__u32 found; /* 1 when getenv() returned a value */
	char comm[GETENVSNOOP_COMM_LEN];
	char name[GETENVSNOOP_STR_LEN];
	char value[GETENVSNOOP_STR_LEN];
};

WBPF_SHARED_STRUCT_CHECK(struct getenv_event, 192);
WBPF_SHARED_FIELD_CHECK(struct getenv_event, found, 12);
WBPF_SHARED_FIELD_CHECK(struct getenv_event, comm, 16);
WBPF_SHARED_FIELD_CHECK(struct getenv_event, name, 32);
WBPF_SHARED_FIELD_CHECK(struct getenv_event, value, 112);

#endif /* GETENVSNOOP_H */
