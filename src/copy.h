/* SPDX-License-Identifier: MIT */
/*
 * Copies of event records into guest memory or a guest's batch: records
 * are mostly a few words, where two overlapping moves beat a call into
 * libc's memcpy.
 */
#ifndef WBPF_COPY_H
#define WBPF_COPY_H

#include <stdint.h>
#include <string.h>

static inline void copy__record(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if (n >= 16 && n <= 32) {
		memcpy(d, s, 16);
		memcpy(d + n - 16, s + n - 16, 16);
	} else if (n >= 8 && n < 16) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else {
		memcpy(d, s, n);
	}
}

#endif /* WBPF_COPY_H */
