/* SPDX-License-Identifier: MIT */
/*
 * The kernel's fixed-width type names (__u8 .. __s64) for wasm32 guests,
 * which have no <linux/types.h>. Shared structs and ported libbpf code
 * use them; on the BPF side vmlinux.h provides the same names.
 */
#ifndef WBPF_TYPES_H
#define WBPF_TYPES_H

#include <stdint.h>

typedef int8_t __s8;
typedef uint8_t __u8;
typedef int16_t __s16;
typedef uint16_t __u16;
typedef int32_t __s32;
typedef uint32_t __u32;
typedef int64_t __s64;
typedef uint64_t __u64;

/* Byte-order annotated names, as libbpf's headers spell some fields. */
typedef __u16 __be16;
typedef __u16 __le16;
typedef __u32 __be32;
typedef __u32 __le32;
typedef __u64 __be64;
typedef __u64 __le64;

#endif /* WBPF_TYPES_H */
