// SPDX-License-Identifier: MIT
/*
 * Ring and perf buffers. Each record goes to the poll's dispatcher with
 * the callback parameters of the map it came from, or the dispatcher
 * pulls the records itself (drain). libbpf reads perf buffers; ring
 * buffers are read here, from the kernel's mappings as libbpf maps them,
 * so that a dispatcher can pull records one at a time. Waiting is ours:
 * one epoll set holding the rings' map fds (or libbpf's perf epoll fd)
 * and the host's wake fd, so that an interrupt ends a blocked poll.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "bpf/internal.h"
#include "bpf/records.h"
#include "copy.h"

#define PERF_MAX_PAGES 256u
#define PERF_COMPAT_PAGES 64u
#define WAKE_TAG 1u

/* Only the polling thread counts: a plain add, published whole. */
static void stat_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static void count_lost(struct bpf_buffer *b, uint64_t n)
{
	b->lost += n;
	if (b->stat)
		stat_add(&b->stat->lost, n);
}

static void count_delivered(struct bpf_buffer *b)
{
	b->delivered++;
	if (b->stat)
		stat_add(&b->stat->events, 1);
}

static size_t record_len(uint32_t size)
{
	return (sizeof(struct wbpf_bpf_record) + (size_t)size + 7) & ~(size_t)7;
}

static void batch_put(struct bpf_batch *bt, uint32_t ring, const void *data, uint32_t size)
{
	struct wbpf_bpf_record h = { .size = size, .ring = ring };

	memcpy(bt->dst + bt->used, &h, sizeof(h));
	copy__record(bt->dst + bt->used + sizeof(h), data, size);
	bt->used += record_len(size);
}

static int pend(struct bpf_pending *p, uint32_t ring, const void *data, uint32_t size)
{
	if (size > p->cap) {
		uint8_t *d = realloc(p->data, size);

		if (!d)
			return -ENOMEM;
		p->data = d;
		p->cap = size;
	}
	memcpy(p->data, data, size);
	p->size = size;
	p->ring = ring;
	p->has = true;
	return 0;
}

/* Batch mode: a record that can never fit is lost; one that does not fit
 * now waits for the next read, and this one ends (-ENOBUFS). */
static int batch_sample(struct bpf_buffer *b, struct bpf_ring *r, const void *data, uint32_t size)
{
	struct bpf_batch *bt = b->batch;
	int err;

	if (record_len(size) > bt->cap) {
		count_lost(b, 1);
		return 0;
	}
	if (record_len(size) > bt->cap - bt->used) {
		err = pend(&b->pending, r->index, data, size);
		return b->stop_err = err ? err : -ENOBUFS;
	}
	batch_put(bt, r->index, data, size);
	count_delivered(b);
	return 0;
}

static int ring_sample(struct bpf_ring *r, const void *data, uint32_t size)
{
	struct bpf_buffer *b = r->buf;
	int ret;

	if (b->stop_err)
		return b->stop_err;
	if (b->batch)
		return batch_sample(b, r, data, size);
	ret = b->d->sample(b->d->ctx, &r->cb, -1, data, size);
	if (ret < 0)
		return b->stop_err = ret;
	if (ret > 0)
		count_lost(b, 1);
	else
		count_delivered(b);
	return 0;
}

/* perf_buffer callbacks cannot stop a consume: after a stop, the rest of
 * the records are dropped (the guest that stopped is ending). */
static void perf_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct bpf_ring *r = ctx;
	struct bpf_buffer *b = r->buf;
	int ret;

	if (b->stop_err)
		return;
	ret = b->d->sample(b->d->ctx, &r->cb, cpu, data, size);
	if (ret < 0)
		b->stop_err = ret;
	else if (ret > 0)
		count_lost(b, 1);
	else
		count_delivered(b);
}

static void perf_lost(void *ctx, int cpu, __u64 cnt)
{
	struct bpf_ring *r = ctx;
	struct bpf_buffer *b = r->buf;

	count_lost(b, cnt);
	if (!b->stop_err && b->d->lost)
		b->d->lost(b->d->ctx, &r->cb, cpu, cnt);
}

static int ring_add(struct bpf_buffer *b, struct bpf_map_ent *m, const struct wbpf_bpf_cb *cb)
{
	struct bpf_ring **rings = realloc(b->rings, (b->nrings + 1) * sizeof(*rings));

	if (!rings)
		return -ENOMEM;
	b->rings = rings;
	if (!(rings[b->nrings] = malloc(sizeof(**rings))))
		return -ENOMEM;
	*rings[b->nrings] = (struct bpf_ring){ .buf = b, .map = m, .cb = *cb,
						.index = (uint32_t)b->nrings };
	b->nrings++;
	return 0;
}

static int epoll_add(struct bpf_buffer *b, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int epoll_setup(struct wbpf_bpf_host *host, struct bpf_buffer *b)
{
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (b->epfd < 0)
		return -errno;
	return epoll_add(b, host->wake_fd, WAKE_TAG);
}

static void ring_unmap(struct bpf_ring *r)
{
	if (r->cons_pos)
		munmap(r->cons_pos, (size_t)sysconf(_SC_PAGESIZE));
	if (r->prod_pos)
		munmap((void *)r->prod_pos, r->prod_len);
	r->cons_pos = NULL;
	r->prod_pos = NULL;
}

/* Maps ring r's kernel memory as libbpf does (the consumer page
 * read-write, the producer page and the data twice read-only) and has
 * its fd woken on. */
static int ring_open(struct bpf_buffer *b, struct bpf_ring *r)
{
	int fd = bpf_map__fd(r->map->map);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	void *p;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->cons_pos = p;
	r->prod_len = page + 2 * (size_t)info.max_entries;
	p = mmap(NULL, r->prod_len, PROT_READ, MAP_SHARED, fd, (off_t)page);
	if (p == MAP_FAILED) {
		int err = -errno;

		ring_unmap(r);
		return err;
	}
	r->prod_pos = p;
	r->data = (const uint8_t *)p + page;
	r->mask = info.max_entries - 1;
	return epoll_add(b, fd, 0);
}

/* ------------------------------------------------------- ring reading */

/* Where each ring's consumer is: ours, unless someone else consumed. */
static void rings_sync(struct bpf_buffer *b)
{
	for (size_t i = 0; i < b->nrings; i++)
		b->rings[i]->prod = b->rings[i]->cons =
			__atomic_load_n(b->rings[i]->cons_pos, __ATOMIC_ACQUIRE);
}

/* Every ready record to ring_sample, ring after ring, each consumed as
 * it is delivered (as libbpf's consume does). */
static int rings_consume(struct bpf_buffer *b)
{
	for (size_t i = 0; i < b->nrings; i++) {
		struct bpf_ring *r = b->rings[i];
		const uint8_t *data;
		uint32_t size;
		uint64_t next;

		while ((data = bpf_ring_peek(r, &size, &next))) {
			/* A batch's records go straight in: nothing has stopped
			 * this read yet (an error returns at once). */
			int err = b->batch ? batch_sample(b, r, data, size) :
					     ring_sample(r, data, size);

			bpf_ring_consume(r, next);
			if (err < 0)
				return err;
		}
	}
	return 0;
}

int wbpf_bpf_records__next(struct wbpf_bpf_records *rs, const struct wbpf_bpf_cb **cb,
			   const void **data, uint32_t *size)
{
	return bpf_records_next(rs, cb, data, size);
}

/* Counted now: the record is consumed when the next is taken. */
void wbpf_bpf_records__drop(struct wbpf_bpf_records *rs)
{
	if (rs->held && !rs->dropped)
		count_lost(rs->buf, 1);
	rs->dropped = rs->held;
}

/* A pull poll: the dispatcher drains; what it took last is settled. */
static int rings_drain(struct bpf_buffer *b)
{
	struct wbpf_bpf_records rs = { .buf = b, .r = b->rings[0] };
	int err = b->drain(b->d->ctx, &rs);

	bpf_records_settle(&rs);
	b->delivered += rs.delivered;
	if (b->stat)
		stat_add(&b->stat->events, rs.delivered);
	return err < 0 ? (b->stop_err = err) : 0;
}

static struct bpf_map_ent *buffer_map(struct wbpf_bpf_host *host, int map,
				      enum bpf_map_type type, int *err)
{
	struct bpf_map_ent *m = host_map(host, map);

	*err = -EBADF;
	if (!m)
		return NULL;
	*err = -EINVAL;
	if (!m->obj->loaded || bpf_map__fd(m->map) < 0 || bpf_map__type(m->map) != type)
		return NULL;
	return m;
}

static int buffer_create(struct wbpf_bpf_host *host, struct bpf_buffer *b, struct bpf_map_ent *m,
			 uint32_t page_cnt)
{
	int err = epoll_setup(host, b);

	if (err)
		return err;
	if (b->kind == WBPF_HANDLE_RINGBUF)
		return ring_open(b, b->rings[0]);
	errno = 0;
	b->pb = perf_buffer__new(bpf_map__fd(m->map), page_cnt, perf_sample, perf_lost, b->rings[0],
				 NULL);
	if (!b->pb)
		return errno ? -errno : -EINVAL;
	return epoll_add(b, perf_buffer__epoll_fd(b->pb), 0);
}

/* The counts of map's buffers of this kind, made on first use. */
static struct bpf_buffer_stat *stat_slot(struct wbpf_bpf_host *host,
					 enum wbpf_bpf_handle_kind kind, const char *map)
{
	size_t n = atomic_load_explicit(&host->nstats, memory_order_relaxed);
	struct bpf_buffer_stat *st;

	for (size_t i = 0; i < n; i++)
		if (host->stats[i].kind == kind && !strcmp(host->stats[i].map, map))
			return &host->stats[i];
	if (n == BUFFERS_MAX)
		return NULL;
	st = &host->stats[n];
	snprintf(st->map, sizeof(st->map), "%s", map);
	st->kind = kind;
	atomic_store_explicit(&host->nstats, n + 1, memory_order_release);
	return st;
}

void wbpf_bpf_host__buffer_stats(struct wbpf_bpf_host *host,
				 void (*fn)(void *ctx, const struct wbpf_bpf_buffer_stats *st),
				 void *ctx)
{
	size_t n = atomic_load_explicit(&host->nstats, memory_order_acquire);

	for (size_t i = 0; i < n; i++) {
		const struct bpf_buffer_stat *st = &host->stats[i];
		struct wbpf_bpf_buffer_stats out = {
			.map = st->map,
			.type = st->kind == WBPF_HANDLE_RINGBUF ? "ringbuf" : "perfbuf",
			.events = atomic_load_explicit(&st->events, memory_order_relaxed),
			.lost = atomic_load_explicit(&st->lost, memory_order_relaxed),
		};

		fn(ctx, &out);
	}
}

static int buffer_new(struct wbpf_bpf_host *host, enum wbpf_bpf_handle_kind kind, struct bpf_map_ent *m,
		      uint32_t page_cnt, const struct wbpf_bpf_cb *cb)
{
	struct bpf_buffer *b;
	int err;

	if (host->nbufs >= BUFFERS_MAX)
		return -EMFILE;
	if (!(b = calloc(1, sizeof(*b))))
		return -ENOMEM;
	host->nbufs++;
	b->kind = kind;
	b->stat = stat_slot(host, kind, bpf_map__name(m->map));
	b->epfd = -1;
	err = ring_add(b, m, cb);
	if (!err)
		err = buffer_create(host, b, m, page_cnt);
	if (!err && (err = htable_add(&host->handles, kind, b)) > 0)
		return b->handle = err;
	buffer_release(host, b);
	return err;
}

int wbpf_bpf_host__ringbuf_new(struct wbpf_bpf_host *host, int map, const struct wbpf_bpf_cb *cb)
{
	struct bpf_map_ent *m;
	int err;

	if (!(m = buffer_map(host, map, BPF_MAP_TYPE_RINGBUF, &err)))
		return err;
	return buffer_new(host, WBPF_HANDLE_RINGBUF, m, 0, cb);
}

int wbpf_bpf_host__ringbuf_add(struct wbpf_bpf_host *host, int rb, int map,
			       const struct wbpf_bpf_cb *cb)
{
	struct bpf_buffer *b = htable_get(&host->handles, rb, WBPF_HANDLE_RINGBUF);
	struct bpf_map_ent *m;
	int err;

	if (!b)
		return -EBADF;
	if (!(m = buffer_map(host, map, BPF_MAP_TYPE_RINGBUF, &err)))
		return err;
	if ((err = ring_add(b, m, cb)))
		return err;
	err = ring_open(b, b->rings[b->nrings - 1]);
	if (err) {
		ring_unmap(b->rings[b->nrings - 1]);
		free(b->rings[--b->nrings]);
		return err;
	}
	return 0;
}

int wbpf_bpf_host__perfbuf_new(struct wbpf_bpf_host *host, int map, uint32_t page_cnt,
			       const struct wbpf_bpf_cb *cb)
{
	struct bpf_map_ent *m;
	int err;

	if (page_cnt == 0 || (page_cnt & (page_cnt - 1)))
		return -EINVAL;
	if (page_cnt > PERF_MAX_PAGES)
		return -E2BIG;
	if (!(m = buffer_map(host, map, BPF_MAP_TYPE_PERF_EVENT_ARRAY, &err)))
		return err;
	return buffer_new(host, WBPF_HANDLE_PERFBUF, m, page_cnt, cb);
}

static struct bpf_buffer *buffer_get(struct wbpf_bpf_host *host, int buf)
{
	enum wbpf_bpf_handle_kind kind = htable_kind(&host->handles, buf);

	if (kind != WBPF_HANDLE_RINGBUF && kind != WBPF_HANDLE_PERFBUF)
		return NULL;
	return htable_get(&host->handles, buf, kind);
}

int wbpf_bpf_host__map_buffer(struct wbpf_bpf_host *host, int map, const struct wbpf_bpf_cb *cb)
{
	struct bpf_map_ent *m = host_map(host, map);
	struct bpf_buffer *b;
	int h;

	if (!m)
		return -EBADF;
	if ((b = buffer_get(host, m->buffer))) {
		b->rings[0]->cb = *cb;
		return m->buffer;
	}
	if (bpf_map__type(m->map) == BPF_MAP_TYPE_RINGBUF)
		h = wbpf_bpf_host__ringbuf_new(host, map, cb);
	else
		h = wbpf_bpf_host__perfbuf_new(host, map, PERF_COMPAT_PAGES, cb);
	if (h > 0)
		m->buffer = h;
	return h;
}

static int buffer_wait(struct bpf_buffer *b, int timeout_ms)
{
	struct epoll_event ev[2];
	int n = epoll_wait(b->epfd, ev, 2, timeout_ms);

	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++)
		if (ev[i].data.u32 == WAKE_TAG)
			return -EINTR;
	return 0;
}

/* One delivery round, in either mode: the record a batch read left
 * behind, then (after waiting, if nothing came yet) what the kernel has. */
static int buffer_run(struct wbpf_bpf_host *host, struct bpf_buffer *b, int timeout_ms)
{
	struct bpf_pending *p = &b->pending;
	int err = 0;

	host->polling = true;
	b->delivered = 0;
	b->stop_err = 0;
	if (!b->pb)
		rings_sync(b);
	if (p->has) {
		p->has = false;
		err = ring_sample(b->rings[p->ring], p->data, p->size);
	}
	if (!err && !b->delivered && timeout_ms != 0)
		err = buffer_wait(b, timeout_ms);
	if (!err && b->pb)
		err = perf_buffer__consume(b->pb);
	else if (!err)
		err = b->drain ? rings_drain(b) : rings_consume(b);
	host->polling = false;
	if (b->stop_err)
		return b->stop_err;
	return err < 0 ? err : b->delivered;
}

int wbpf_bpf_host__buffer_drain(struct wbpf_bpf_host *host, int buf, int timeout_ms,
				const struct wbpf_bpf_dispatch *d,
				int (*drain)(void *ctx, struct wbpf_bpf_records *records))
{
	struct bpf_buffer *b = buffer_get(host, buf);
	int ret;

	if (!b)
		return -EBADF;
	if (host->polling)
		return -EBUSY;
	b->d = d;
	b->drain = drain;
	ret = buffer_run(host, b, timeout_ms);
	b->d = NULL;
	b->drain = NULL;
	return ret;
}

int wbpf_bpf_host__buffer_poll(struct wbpf_bpf_host *host, int buf, int timeout_ms,
			       const struct wbpf_bpf_dispatch *d)
{
	return wbpf_bpf_host__buffer_drain(host, buf, timeout_ms, d, NULL);
}

int wbpf_bpf_host__ringbuf_read(struct wbpf_bpf_host *host, int rb, void *buf, size_t size,
				int timeout_ms)
{
	struct bpf_buffer *b = htable_get(&host->handles, rb, WBPF_HANDLE_RINGBUF);
	struct bpf_batch bt = { .dst = buf, .cap = size < INT32_MAX ? size : INT32_MAX };
	int ret;

	if (!b)
		return -EBADF;
	if (host->polling)
		return -EBUSY;
	if (bt.cap < record_len(0))
		return -EINVAL;
	b->batch = &bt;
	ret = buffer_run(host, b, timeout_ms);
	b->batch = NULL;
	/* -ENOBUFS: the batch is full, the rest waits in the ring. */
	return ret < 0 && ret != -ENOBUFS ? ret : (int)bt.used;
}

int wbpf_bpf_host__buffer_cb(struct wbpf_bpf_host *host, int buf, struct wbpf_bpf_cb *cb)
{
	struct bpf_buffer *b = buffer_get(host, buf);

	if (!b)
		return -EBADF;
	*cb = b->rings[0]->cb;
	return 0;
}

int64_t wbpf_bpf_host__buffer_lost(struct wbpf_bpf_host *host, int buf)
{
	struct bpf_buffer *b = buffer_get(host, buf);

	return b ? (int64_t)(b->lost & INT64_MAX) : -EBADF;
}

bool buffer_reads_obj(const struct bpf_buffer *b, const struct bpf_obj *o)
{
	for (size_t i = 0; i < b->nrings; i++)
		if (b->rings[i]->map->obj == o)
			return true;
	return false;
}

void buffer_release(struct wbpf_bpf_host *host, struct bpf_buffer *b)
{
	if (b->handle > 0)
		htable_del(&host->handles, b->handle);
	for (size_t i = 0; i < b->nrings; i++) {
		if (b->rings[i]->map->buffer == b->handle)
			b->rings[i]->map->buffer = 0;
		ring_unmap(b->rings[i]);
		free(b->rings[i]);
	}
	perf_buffer__free(b->pb);
	if (b->epfd >= 0)
		close(b->epfd);
	host->nbufs--;
	free(b->rings);
	free(b->pending.data);
	free(b);
}

int wbpf_bpf_host__buffer_free(struct wbpf_bpf_host *host, int buf)
{
	struct bpf_buffer *b = buffer_get(host, buf);

	if (!b)
		return -EBADF;
	if (host->polling)
		return -EBUSY;
	buffer_release(host, b);
	return 0;
}
