/* SPDX-License-Identifier: MIT */
/* The record sigsnoop's BPF side sends to the wasm32 guest. */
#ifndef SIGSNOOP_H
#define SIGSNOOP_H

#include <wbpf/shared.h>

#define SIGSNOOP_COMM_LEN 16

/* Fixed-width fields only: the BPF side is 64-bit, the guest 32-bit. */
struct signal_event {
	__u32 pid;  /* sender */
	__u32 tpid; /* target */
	__s32 sig;
	__s32 result; /* TRACE_SIGNAL_* : 0 delivered, else ignored/... */
	char comm[SIGSNOOP_COMM_LEN];  /* sender */
	char tcomm[SIGSNOOP_COMM_LEN]; /* target */
};

WBPF_SHARED_STRUCT_CHECK(struct signal_event, 48);
WBPF_SHARED_FIELD_CHECK(struct signal_event, sig, 8);
WBPF_SHARED_FIELD_CHECK(struct signal_event, comm, 16);
WBPF_SHARED_FIELD_CHECK(struct signal_event, tcomm, 32);

#endif /* SIGSNOOP_H */
