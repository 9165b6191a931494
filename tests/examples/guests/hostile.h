/* SPDX-License-Identifier: MIT */
/* The record hostile.bpf.c emits, for the hostile guest's buffer tests. */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <wbpf/shared.h>

struct hostile_record {
	__u64 seq;
	__u32 cpu;
	__u32 pad;
	char fill[48];
};

WBPF_SHARED_STRUCT_CHECK(struct hostile_record, 64);
WBPF_SHARED_FIELD_CHECK(struct hostile_record, fill, 16);

#endif /* HOSTILE_H */
