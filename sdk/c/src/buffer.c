// SPDX-License-Identifier: MIT
/*
 * Ring and perf buffers. Ring buffer records come in batches the SDK
 * delivers itself; for perf buffers the host copies each record into a
 * scratch buffer in guest memory and calls the guest's function through
 * table 0. Global-data mirrors are synced around every poll, so a tool reading
 * skel->bss in its poll loop sees fresh values.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

/* A ring buffer's batch: large enough for any record of a ring up to
 * 1 MiB (bigger records count as lost), and never so small that a flood
 * of small records costs a host call each. */
#define RING_BATCH_MIN (64 * 1024)
#define RING_BATCH_MAX (1024 * 1024)
/* A perf sample's size field is 16 bits. */
#define PERFBUF_SCRATCH_MAX (64 * 1024)
#define PAGE_SIZE_4K 4096

struct ring {
	ring_buffer_sample_fn fn;
	void *ctx;
};

/* Records arrive in batches (ringbuf_read) and the SDK calls the guest's
 * callbacks itself: cheaper than the host calling into the guest once per
 * record. A callback's negative return stops delivery as in libbpf; the
 * records after it stay in the batch for the next poll. */
struct ring_buffer {
	int handle;
	bool dispatching; /* a callback is running: no nested poll */
	struct ring *rings; /* index = the ring number in batch headers */
	size_t ring_cnt;
	uint8_t *batch;
	uint32_t batch_size;
	uint32_t pending; /* offset of the first undelivered record */
	uint32_t used;	  /* bytes of batch holding records */
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

static int ring_push(struct ring_buffer *rb, ring_buffer_sample_fn fn, void *ctx)
{
	struct ring *rings = realloc(rb->rings, (rb->ring_cnt + 1) * sizeof(*rings));

	if (!rings)
		return sdk_fail(ENOMEM);
	rings[rb->ring_cnt++] = (struct ring){ .fn = fn, .ctx = ctx };
	rb->rings = rings;
	return 0;
}

static uint32_t ring_batch_size(int map_fd)
{
	struct wbpf_map_info info;
	uint32_t size = RING_BATCH_MAX;

	if (sdk_map_sizes(map_fd, &info) == 0 && info.max_entries < RING_BATCH_MAX)
		size = info.max_entries < RING_BATCH_MIN ? RING_BATCH_MIN : info.max_entries;
	return size + sizeof(struct wbpf_ringbuf_record);
}

static void ring_buffer_release(struct ring_buffer *rb)
{
	free(rb->rings);
	free(rb->batch);
	free(rb);
}

/* The batch doubles as the scratch buffer ringbuf_new asks for; the host
 * would only use it for callback delivery, which the SDK never requests. */
struct ring_buffer *ring_buffer__new(int map_fd, ring_buffer_sample_fn sample_cb, void *ctx,
				     const struct ring_buffer_opts *opts)
{
	struct ring_buffer *rb;
	int err;

	(void)opts; /* carries nothing beyond its size */
	if (!sample_cb)
		return sdk_fail_null(EINVAL);
	rb = calloc(1, sizeof(*rb));
	if (!rb)
		return sdk_fail_null(ENOMEM);
	rb->batch_size = ring_batch_size(map_fd);
	rb->batch = malloc(rb->batch_size);
	err = rb->batch ? ring_push(rb, sample_cb, ctx) : sdk_fail(ENOMEM);
	if (!err) {
		rb->handle = wbpf_ringbuf_new(map_fd, WBPF_FUNC_INDEX(sample_cb), ctx, rb->batch,
					      rb->batch_size);
		err = rb->handle < 0 ? sdk_ret(rb->handle) : 0;
	}
	if (err) {
		ring_buffer_release(rb);
		return sdk_fail_null(-err);
	}
	return rb;
}

int ring_buffer__add(struct ring_buffer *rb, int map_fd, ring_buffer_sample_fn sample_cb,
		     void *ctx)
{
	int err;

	if (!rb || !sample_cb)
		return sdk_fail(EINVAL);
	err = ring_push(rb, sample_cb, ctx);
	if (err)
		return err;
	err = wbpf_ringbuf_add(rb->handle, map_fd, WBPF_FUNC_INDEX(sample_cb), ctx);
	if (err < 0) {
		rb->ring_cnt--;
		return sdk_ret(err);
	}
	return 0;
}

static uint32_t round_up8(uint32_t n)
{
	return (n + 7) & ~7u;
}

/* Calls the callbacks for the undelivered records of the batch. */
static int ring_dispatch(struct ring_buffer *rb, int *count)
{
	while (rb->used - rb->pending >= sizeof(struct wbpf_ringbuf_record)) {
		const struct wbpf_ringbuf_record *h = (void *)(rb->batch + rb->pending);
		uint32_t left = rb->used - rb->pending - (uint32_t)sizeof(*h);
		struct ring *r;
		int ret;

		if (h->size > left || h->ring >= rb->ring_cnt)
			break; /* not the host's format: drop the rest */
		rb->pending += (uint32_t)sizeof(*h) + round_up8(h->size);
		r = &rb->rings[h->ring];
		ret = r->fn(r->ctx, (void *)(h + 1), h->size);
		if (ret < 0)
			return ret;
		(*count)++;
	}
	rb->pending = rb->used = 0;
	return 0;
}

/* One host read into the batch, then delivery; returns bytes read. */
static int ring_read(struct ring_buffer *rb, int timeout_ms, int *count)
{
	int n = wbpf_ringbuf_read(rb->handle, rb->batch, rb->batch_size, timeout_ms);
	int err;

	if (n < 0)
		return sdk_ret(n);
	rb->used = (uint32_t)n;
	err = ring_dispatch(rb, count);
	return err ? err : n;
}

/* Leftovers of a stopped poll come first, then fresh records: waiting only
 * when nothing was delivered, and reading again while batches come back
 * more than half full (the ring likely holds more). */
static int ring_run(struct ring_buffer *rb, int timeout_ms)
{
	int count = 0, n;

	if (rb->dispatching)
		return sdk_fail(EBUSY);
	rb->dispatching = true;
	n = ring_dispatch(rb, &count);
	if (n == 0)
		n = ring_read(rb, count ? 0 : timeout_ms, &count);
	while (n > 0 && (uint32_t)n > rb->batch_size / 2)
		n = ring_read(rb, 0, &count);
	rb->dispatching = false;
	return n < 0 ? n : count;
}

int ring_buffer__poll(struct ring_buffer *rb, int timeout_ms)
{
	int err;

	if (!rb)
		return sdk_fail(EINVAL);
	err = sync_before_poll();
	if (err)
		return err;
	return sync_after_poll(ring_run(rb, timeout_ms));
}

int ring_buffer__consume(struct ring_buffer *rb)
{
	if (!rb)
		return sdk_fail(EINVAL);
	return sync_after_poll(ring_run(rb, 0));
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
