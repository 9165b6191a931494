/* SPDX-License-Identifier: MIT */
/*
 * Layout checks for structs shared between a BPF program (64-bit) and a
 * wasm32 guest. Records cross the boundary as raw bytes, so both compilers
 * must agree on every offset and on the size. `long`, `size_t` and pointers
 * are 8 bytes on the BPF side and 4 in the guest: shared structs use only
 * fixed-width types (__u8 .. __u64, char arrays).
 *
 * Include this header from the shared struct's header, which both sides
 * include, and state the expected layout once:
 *
 *	struct event { __u32 pid; __u32 ppid; __u64 ts; char comm[16]; };
 *	WBPF_SHARED_STRUCT_CHECK(struct event, 32);
 *	WBPF_SHARED_FIELD_CHECK(struct event, ts, 8);
 *
 * A mismatch on either side then fails that side's build.
 *
 * Freestanding on the BPF side (no <stddef.h>): programs built against
 * vmlinux.h cannot include libc headers.
 */
#ifndef WBPF_SHARED_H
#define WBPF_SHARED_H

/* The BPF side gets __u32 and friends from vmlinux.h. */
#ifndef __bpf__
#include <wbpf/types.h>
#endif

#define WBPF_SHARED_STRUCT_CHECK(type, size)                                   \
	_Static_assert(sizeof(type) == (size),                                 \
		       "shared " #type " must be " #size " bytes on both sides")

#define WBPF_SHARED_FIELD_CHECK(type, field, offset)                           \
	_Static_assert(__builtin_offsetof(type, field) == (offset),            \
		       "shared " #type "." #field " must sit at offset " #offset)

#endif /* WBPF_SHARED_H */
