// SPDX-License-Identifier: MIT
/* TCP reassembly, one direction at a time. Bytes reach the stream layer
 * once, in order: retransmitted and overlapping bytes keep their first
 * copy (as the receiving kernel does), early segments wait in a sorted
 * list bounded by max_ooo, and data that never comes becomes a gap. */
#include <stdlib.h>
#include <string.h>

#include "l7/internal.h"

/* Sequence numbers wrap: compare by signed distance. */
static inline int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static void seg_piece(struct l7_worker *w, struct l7_stream *s, struct l7_seg **at, uint32_t seq,
		      const uint8_t *data, uint32_t len, uint64_t time_us)
{
	struct l7_seg *n = malloc(sizeof(*n) + len);

	(void)w;
	if (!n)
		return; /* the bytes become a gap */
	n->seq = seq;
	n->len = len;
	n->time_us = time_us;
	memcpy(n->data, data, len);
	n->next = *at;
	*at = n;
	s->ooo_bytes += len;
}

/* Keeps the bytes of [seq, seq+len) not already waiting. */
static void ooo_insert(struct l7_worker *w, struct l7_stream *s, uint32_t seq, const uint8_t *data,
		       uint32_t len, uint64_t time_us)
{
	struct l7_seg **pp = &s->ooo;
	uint32_t cur = seq, end = seq + len;

	while (seq_diff(end, cur) > 0) {
		struct l7_seg *e = *pp;

		if (!e || seq_diff(e->seq, cur) > 0) {
			uint32_t pend = e && seq_diff(e->seq, end) < 0 ? e->seq : end;

			seg_piece(w, s, pp, cur, data + (cur - seq), pend - cur, time_us);
			if (*pp != e)
				pp = &(*pp)->next;
			cur = pend;
			continue;
		}
		uint32_t eend = e->seq + e->len;

		if (seq_diff(eend, cur) > 0) {
			uint32_t stop = seq_diff(eend, end) < 0 ? eend : end;

			w->st.retransmitted_bytes += stop - cur;
			cur = stop;
		}
		pp = &e->next;
	}
}

/* In-order bytes: `wire` were sent, `len` of them captured. */
static void in_order(struct l7_worker *w, struct l7_flow *f, int side, const uint8_t *data,
		     uint32_t len, uint32_t wire, uint64_t time_us)
{
	struct l7_stream *s = &f->s[side];

	s->next_seq += wire;
	if (len)
		l7_stream__data(w, f, side, data, len, time_us);
	if (wire > len)
		l7_stream__gap(w, f, side, wire - len);
}

/* Whatever waiting segments have become in order. */
static void drain(struct l7_worker *w, struct l7_flow *f, int side)
{
	struct l7_stream *s = &f->s[side];
	struct l7_seg *e;

	while ((e = s->ooo) && seq_diff(e->seq, s->next_seq) <= 0) {
		uint32_t skip = s->next_seq - e->seq;

		s->ooo = e->next;
		s->ooo_bytes -= e->len;
		if (skip < e->len)
			in_order(w, f, side, e->data + skip, e->len - skip, e->len - skip, e->time_us);
		else
			w->st.retransmitted_bytes += e->len;
		free(e);
	}
}

/* Gives up on the bytes before the first waiting segment. */
static void skip_to_ooo(struct l7_worker *w, struct l7_flow *f, int side)
{
	struct l7_stream *s = &f->s[side];

	l7_stream__gap(w, f, side, s->ooo->seq - s->next_seq);
	s->next_seq = s->ooo->seq;
	drain(w, f, side);
}

static void maybe_end(struct l7_worker *w, struct l7_flow *f, int side)
{
	struct l7_stream *s = &f->s[side];

	if (s->fin && !s->ended && seq_diff(s->next_seq, s->fin_seq) >= 0) {
		s->ended = true;
		l7_stream__end(w, f, side);
	}
}

static void segment(struct l7_worker *w, struct l7_flow *f, int side, const struct l7_pkt *pkt)
{
	struct l7_stream *s = &f->s[side];
	const uint8_t *data = pkt->payload;
	uint32_t seq = pkt->seq, len = pkt->len, wire = pkt->wire_len;
	int32_t d = seq_diff(seq, s->next_seq);

	if (seq_diff(seq + wire, s->next_seq) <= 0) {
		w->st.retransmitted_bytes += wire;
		return;
	}
	if (d < 0) { /* starts with bytes already seen */
		uint32_t old = (uint32_t)-d;

		w->st.retransmitted_bytes += old;
		data += old < len ? old : len;
		len = old < len ? len - old : 0;
		wire -= old;
		seq = s->next_seq;
		d = 0;
	}
	/* Bytes already waiting keep their first copy: in order or not, a
	 * segment goes through the waiting list when there is one. */
	if (d > 0 || (s->ooo && len == wire)) {
		ooo_insert(w, s, seq, data, len, pkt->time_us);
		if (!d) {
			drain(w, f, side);
			return;
		}
		if (s->ooo_bytes > w->p->cfg.max_ooo)
			skip_to_ooo(w, f, side);
		return;
	}
	in_order(w, f, side, data, len, wire, pkt->time_us);
	drain(w, f, side);
}

/* The peer acknowledged bytes past a hole: it got them, the capture did
 * not. Waiting longer would only hold back what follows. */
static void acked_hole(struct l7_worker *w, struct l7_flow *f, int side, uint32_t ack)
{
	struct l7_stream *s = &f->s[side];

	while (s->ooo && seq_diff(ack, s->ooo->seq) >= 0)
		skip_to_ooo(w, f, side);
}

void l7_tcp__packet(struct l7_worker *w, struct l7_flow *f, int side, const struct l7_pkt *pkt)
{
	struct l7_stream *s = &f->s[side];

	if ((pkt->tcp_flags & TCP_ACK) && f->s[!side].ooo)
		acked_hole(w, f, !side, pkt->ack);

	if (pkt->tcp_flags & TCP_RST) {
		f->rst = true;
		return;
	}
	if (pkt->tcp_flags & TCP_SYN) {
		s->next_seq = pkt->seq + 1;
		s->seq_known = true;
		return;
	}
	if (!s->seq_known) { /* picked up mid-stream */
		s->next_seq = pkt->seq;
		s->seq_known = true;
	}
	if (s->ended)
		return;
	if (pkt->wire_len)
		segment(w, f, side, pkt);
	if (pkt->tcp_flags & TCP_FIN) {
		s->fin = true;
		s->fin_seq = pkt->seq + pkt->wire_len;
	}
	maybe_end(w, f, side);
}

/* The flow ends: missing data becomes gaps, the rest is parsed. */
void l7_tcp__flush(struct l7_worker *w, struct l7_flow *f, int side)
{
	struct l7_stream *s = &f->s[side];

	while (s->ooo)
		skip_to_ooo(w, f, side);
	if (!s->ended) {
		s->ended = true;
		l7_stream__end(w, f, side);
	}
}

void l7_stream__free(struct l7_stream *s)
{
	while (s->ooo) {
		struct l7_seg *e = s->ooo;

		s->ooo = e->next;
		free(e);
	}
	s->ooo_bytes = 0;
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}
