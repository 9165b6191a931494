/* SPDX-License-Identifier: MIT */
/* Record shared by sdk_test.bpf.c and the SDK test guest. */
#ifndef SDK_TEST_H
#define SDK_TEST_H

#include <wbpf/shared.h>

struct sdk_record {
	__u64 hits;
	__u32 magic; /* .rodata as the program saw it */
	__u32 input; /* .data as the program saw it */
};

WBPF_SHARED_STRUCT_CHECK(struct sdk_record, 16);
WBPF_SHARED_FIELD_CHECK(struct sdk_record, input, 12);

#endif /* SDK_TEST_H */
