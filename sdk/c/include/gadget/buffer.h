/* SPDX-License-Identifier: MIT */
/*
 * Sending records to the host through a GADGET_TRACER_MAP. This kernel
 * generation always has ring buffers, so these are thin wrappers (IG's
 * names; its perf-buffer fallback for old kernels is not provided).
 */
#ifndef GADGET_BUFFER_H
#define GADGET_BUFFER_H

#include <bpf/bpf_helpers.h>

static __always_inline void *gadget_reserve_buf(void *map, __u64 size)
{
	return bpf_ringbuf_reserve(map, size, 0);
}

static __always_inline void gadget_submit_buf(void *ctx, void *map, void *buf, __u64 size)
{
	(void)ctx, (void)map, (void)size;
	bpf_ringbuf_submit(buf, 0);
}

static __always_inline void gadget_discard_buf(void *buf)
{
	bpf_ringbuf_discard(buf, 0);
}

static __always_inline long gadget_output_buf(void *ctx, void *map, void *buf, __u64 size)
{
	(void)ctx;
	return bpf_ringbuf_output(map, buf, size, 0);
}

#endif /* GADGET_BUFFER_H */
