// SPDX-License-Identifier: MIT
/* A worker owns a shard of the flows (by flow hash) and everything they
 * touch: table, buffers, sessions, its own plugin instances. Time is the
 * packets' time, so a capture file replays as it was recorded. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "l7/internal.h"

#define SWEEP_US 1000000

int l7_worker__init(struct l7_worker *w, struct wbpf_l7_pipeline *p, unsigned idx)
{
	uint32_t per = p->cfg.max_flows / p->n_workers;

	w->p = p;
	w->idx = idx;
	/* ids unique across workers: the worker in the low bits */
	w->next_flow_id = (uint64_t)idx + p->n_workers;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (!(w->out = calloc(p->cfg.max_records ? p->cfg.max_records : 1, sizeof(*w->out))))
		return -ENOMEM;
	w->fmt = l7_fmt_cache__new();
	return l7_flows__init(w, per ? per : 1);
}

static void flow_packet(struct l7_worker *w, const struct l7_pkt *pkt)
{
	struct l7_flow *f;
	int side;

	f = l7_flows__get(w, pkt, &side);
	if (!f)
		return;
	f->last_us = pkt->time_us;
	if (pkt->proc.sock) {
		l7_worker__sock(w, f, side, pkt);
		return;
	}
	if (f->l4 != IPPROTO_TCP) {
		if (pkt->len)
			l7_stream__datagram(w, f, side, pkt->payload, pkt->len, pkt->time_us);
		return;
	}
	l7_tcp__packet(w, f, side, pkt);
	if (f->rst || (f->s[0].ended && f->s[1].ended))
		l7_flows__close(w, f);
}

void l7_worker__packet(struct l7_worker *w, const struct l7_pkt *pkt)
{
	if (pkt->time_us > w->now_us)
		w->now_us = pkt->time_us;
	if (pkt->t.l4 == IPPROTO_TCP || pkt->t.l4 == IPPROTO_UDP)
		flow_packet(w, pkt);
	if (w->now_us >= w->next_sweep_us) {
		l7_flows__expire(w);
		l7_session__expire(w);
		w->next_sweep_us = w->now_us + SWEEP_US;
	}
}

/* Every flow ends now: buffered messages parsed, waiting requests out. */
void l7_worker__finish(struct l7_worker *w)
{
	l7_flows__fini(w);
	l7_session__fini(w);
	l7_parsers__fini(w);
}

void l7_worker__fini(struct l7_worker *w)
{
	if (w->buckets)
		l7_worker__finish(w);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->out);
	free(w->fmt);
}
