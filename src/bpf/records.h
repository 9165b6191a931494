/* SPDX-License-Identifier: MIT */
/*
 * Reading a ring buffer from the kernel's mappings, and the records of a
 * pull poll (wbpf_bpf_records__next) taken from it. Inline: a dispatcher
 * that pulls records one at a time (src/abi/guest.c, the callbacks' drain)
 * runs this per record, where a call and its out-parameters cost as much
 * as the reading itself.
 */
#ifndef WBPF_BPF_RECORDS_H
#define WBPF_BPF_RECORDS_H

#include <linux/bpf.h>

#include "bpf/internal.h"

/* Past the record at r->cons; the producer may reuse the space. */
static inline void bpf_ring_consume(struct bpf_ring *r, uint64_t pos)
{
	r->cons = pos;
	__atomic_store_n(r->cons_pos, pos, __ATOMIC_RELEASE);
}

/* The data of ring r's next ready record (discarded ones skipped), its
 * size and the position past it; NULL when the producer has no record
 * ready. The acquired header makes the data visible. */
static inline const uint8_t *bpf_ring_peek(struct bpf_ring *r, uint32_t *size, uint64_t *next)
{
	const uint32_t flags = BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT;

	/* As libbpf: the producer's page is read once per run of records
	 * (a load per record cost more than the rest of the peek). */
	if (r->cons >= r->prod)
		r->prod = __atomic_load_n(r->prod_pos, __ATOMIC_ACQUIRE);
	while (r->cons < r->prod) {
		const uint8_t *rec = r->data + (r->cons & r->mask);
		uint32_t len = __atomic_load_n((const uint32_t *)rec, __ATOMIC_ACQUIRE);
		uint64_t end = r->cons + ((BPF_RINGBUF_HDR_SZ + (len & ~flags) + 7) & ~7ull);

		if (len & BPF_RINGBUF_BUSY_BIT)
			return NULL;
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			/* The ring is streamed once, mostly from memory: the
			 * next records are fetched while this one is handled. */
			__builtin_prefetch(r->data + ((end + 256) & r->mask));
			*size = len & ~flags;
			*next = end;
			return rec + BPF_RINGBUF_HDR_SZ;
		}
		bpf_ring_consume(r, end);
	}
	return NULL;
}

/* The record handed out last: consumed now; counted as delivered in rs
 * (added to the buffer's counts once the drain ends), or as lost when it
 * was dropped (wbpf_bpf_records__drop). */
static inline void bpf_records_settle(struct wbpf_bpf_records *rs)
{
	if (!rs->held)
		return;
	bpf_ring_consume(rs->r, rs->next);
	rs->delivered += !rs->dropped;
	rs->held = rs->dropped = false;
}

/* wbpf_bpf_records__next. */
static inline int bpf_records_next(struct wbpf_bpf_records *rs, const struct wbpf_bpf_cb **cb,
				   const void **data, uint32_t *size)
{
	struct bpf_buffer *b = rs->buf;

	bpf_records_settle(rs);
	for (;;) {
		if ((*data = bpf_ring_peek(rs->r, size, &rs->next))) {
			*cb = &rs->r->cb;
			rs->held = true;
			return 1;
		}
		if (++rs->ring >= b->nrings)
			return 0;
		rs->r = b->rings[rs->ring];
	}
}

#endif /* WBPF_BPF_RECORDS_H */
