// SPDX-License-Identifier: MIT
/*
 * Ring and perf buffers. The host copies each record into a scratch
 * buffer in guest memory and calls the guest's function through table 0.
 * Global-data mirrors are synced around every poll, so a tool reading
 * skel->bss in its poll loop sees fresh values.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

/* Largest scratch buffer: a record can never exceed its ring, and larger
 * rings mostly hold many small records. Bigger records count as lost. */
#define RINGBUF_SCRATCH_MAX (1024 * 1024)
/* A perf sample's size field is 16 bits. */
#define PERFBUF_SCRATCH_MAX (64 * 1024)
#define PAGE_SIZE_4K 4096

/* One ring's callback. The host calls ring_sample() with this as ctx, so a
 * negative return from the guest's callback is kept in the guest's own
 * errno numbering instead of being read as a host (Linux) error. */
struct ring {
	struct ring *next;
	struct ring_buffer *rb;
	ring_buffer_sample_fn fn;
	void *ctx;
};

struct ring_buffer {
	int handle;
	int cb_err;
	void *scratch;
	struct ring *rings;
};

struct perf_buffer {
	int handle;
	void *scratch;
};

/* Polls sync global data before waiting (guest writes reach the kernel)
 * and after (the guest sees what the programs wrote meanwhile). */
static int sync_before_poll(void)
{
	return sdk_sync_loaded_objects();
}

static int sync_after_poll(int n)
{
	int err = sdk_sync_loaded_objects();

	return n < 0 || !err ? n : err;
}

static int ring_sample(void *ctx, void *data, size_t size)
{
	struct ring *r = ctx;
	int ret = r->fn(r->ctx, data, size);

	if (ret < 0)
		r->rb->cb_err = ret;
	return ret;
}

static struct ring *ring_new(struct ring_buffer *rb, ring_buffer_sample_fn fn, void *ctx)
{
	struct ring *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->rb = rb;
	r->fn = fn;
	r->ctx = ctx;
	r->next = rb->rings;
	rb->rings = r;
	return r;
}

static size_t ring_scratch_size(int map_fd)
{
	struct wbpf_map_info info;

	if (sdk_map_sizes(map_fd, &info) || !info.max_entries)
		return RINGBUF_SCRATCH_MAX;
	return info.max_entries < RINGBUF_SCRATCH_MAX ? info.max_entries
						      : RINGBUF_SCRATCH_MAX;
}

static void ring_buffer_release(struct ring_buffer *rb)
{
	while (rb->rings) {
		struct ring *r = rb->rings;

		rb->rings = r->next;
		free(r);
	}
	free(rb->scratch);
	free(rb);
}

struct ring_buffer *ring_buffer__new(int map_fd, ring_buffer_sample_fn sample_cb, void *ctx,
				     const struct ring_buffer_opts *opts)
{
	size_t size = ring_scratch_size(map_fd);
	struct ring_buffer *rb;
	struct ring *r;

	(void)opts; /* carries nothing beyond its size */
	if (!sample_cb)
		return sdk_fail_null(EINVAL);
	rb = calloc(1, sizeof(*rb));
	if (!rb)
		return sdk_fail_null(ENOMEM);
	rb->scratch = malloc(size);
	r = rb->scratch ? ring_new(rb, sample_cb, ctx) : NULL;
	if (!r) {
		ring_buffer_release(rb);
		return sdk_fail_null(ENOMEM);
	}
	rb->handle = wbpf_ringbuf_new(map_fd, WBPF_FUNC_INDEX(ring_sample), r, rb->scratch,
				      (uint32_t)size);
	if (rb->handle < 0) {
		int err = rb->handle;

		ring_buffer_release(rb);
		return sdk_null(err);
	}
	return rb;
}

int ring_buffer__add(struct ring_buffer *rb, int map_fd, ring_buffer_sample_fn sample_cb,
		     void *ctx)
{
	struct ring *r;
	int err;

	if (!rb || !sample_cb)
		return sdk_fail(EINVAL);
	r = ring_new(rb, sample_cb, ctx);
	if (!r)
		return sdk_fail(ENOMEM);
	err = wbpf_ringbuf_add(rb->handle, map_fd, WBPF_FUNC_INDEX(ring_sample), r);
	if (err < 0) {
		rb->rings = r->next;
		free(r);
		return sdk_ret(err);
	}
	return 0;
}

/* A negative result is the guest callback's own value when one stopped
 * the poll, else a host errno. */
static int ring_result(struct ring_buffer *rb, int host_ret)
{
	int cb_err = rb->cb_err;

	rb->cb_err = 0;
	if (host_ret < 0 && cb_err)
		return cb_err;
	return sdk_ret(host_ret);
}

int ring_buffer__poll(struct ring_buffer *rb, int timeout_ms)
{
	int err;

	if (!rb)
		return sdk_fail(EINVAL);
	err = sync_before_poll();
	if (err)
		return err;
	return sync_after_poll(ring_result(rb, wbpf_ringbuf_poll(rb->handle, timeout_ms)));
}

int ring_buffer__consume(struct ring_buffer *rb)
{
	if (!rb)
		return sdk_fail(EINVAL);
	return sync_after_poll(ring_result(rb, wbpf_ringbuf_consume(rb->handle)));
}

void ring_buffer__free(struct ring_buffer *rb)
{
	if (!rb)
		return;
	wbpf_ringbuf_free(rb->handle);
	ring_buffer_release(rb);
}

__u64 wbpf_ring_buffer__lost(struct ring_buffer *rb)
{
	return rb ? wbpf_ringbuf_lost(rb->handle) : 0;
}

struct perf_buffer *perf_buffer__new(int map_fd, size_t page_cnt,
				     perf_buffer_sample_fn sample_cb, perf_buffer_lost_fn lost_cb,
				     void *ctx, const struct perf_buffer_opts *opts)
{
	size_t size = page_cnt * PAGE_SIZE_4K;
	struct perf_buffer *pb;

	(void)opts; /* carries nothing beyond its size */
	if (!sample_cb || !page_cnt || page_cnt > 256)
		return sdk_fail_null(EINVAL);
	if (size > PERFBUF_SCRATCH_MAX)
		size = PERFBUF_SCRATCH_MAX;
	pb = calloc(1, sizeof(*pb));
	if (!pb || !(pb->scratch = malloc(size))) {
		free(pb);
		return sdk_fail_null(ENOMEM);
	}
	pb->handle = wbpf_perfbuf_new(map_fd, (uint32_t)page_cnt, WBPF_FUNC_INDEX(sample_cb),
				      lost_cb ? WBPF_FUNC_INDEX(lost_cb) : 0, ctx, pb->scratch,
				      (uint32_t)size);
	if (pb->handle < 0) {
		int err = pb->handle;

		free(pb->scratch);
		free(pb);
		return sdk_null(err);
	}
	return pb;
}

int perf_buffer__poll(struct perf_buffer *pb, int timeout_ms)
{
	int err;

	if (!pb)
		return sdk_fail(EINVAL);
	err = sync_before_poll();
	if (err)
		return err;
	return sync_after_poll(sdk_ret(wbpf_perfbuf_poll(pb->handle, timeout_ms)));
}

int perf_buffer__consume(struct perf_buffer *pb)
{
	if (!pb)
		return sdk_fail(EINVAL);
	return sync_after_poll(sdk_ret(wbpf_perfbuf_consume(pb->handle)));
}

void perf_buffer__free(struct perf_buffer *pb)
{
	if (!pb)
		return;
	wbpf_perfbuf_free(pb->handle);
	free(pb->scratch);
	free(pb);
}

__u64 wbpf_perf_buffer__lost(struct perf_buffer *pb)
{
	return pb ? wbpf_perfbuf_lost(pb->handle) : 0;
}
