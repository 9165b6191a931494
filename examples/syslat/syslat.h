/* SPDX-License-Identifier: MIT */
/* Histogram layout shared by syslat's BPF side and its wasm32 guest. */
#ifndef SYSLAT_H
#define SYSLAT_H

#include <wbpf/shared.h>

#define SYSLAT_COMM_LEN 16
/* Slot i counts latencies in [2^i, 2^(i+1)) microseconds; slot 0 also
 * holds everything under 1 us. */
#define SYSLAT_SLOTS 32

/* The histogram map: key struct hist_key, value __u64 count. */
struct hist_key {
	__u32 slot;
};

WBPF_SHARED_STRUCT_CHECK(struct hist_key, 4);

#endif /* SYSLAT_H */
