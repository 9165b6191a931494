// SPDX-License-Identifier: MIT
/* Sessions: a request waits in its flow (packed: an l7_info is ~12 KiB,
 * mostly zeros) until a response with its id, or the oldest one for
 * protocols paired by order, comes; then the pair goes out as one record.
 * Requests never answered go out as timeouts. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "l7/internal.h"

#define MAX_PENDING_PER_FLOW 256

/* The packing: [u16 zero words][u16 literal words][literal words...] runs
 * over the whole struct, so fields added to l7_info survive unchanged. */
static_assert(sizeof(struct l7_info) % 8 == 0, "l7_info is packed by 8-byte words");
#define INFO_WORDS (sizeof(struct l7_info) / 8)

static size_t pack(const struct l7_info *info, uint8_t *out)
{
	const uint64_t *w = (const uint64_t *)info;
	size_t i = 0, o = 0;

	while (i < INFO_WORDS) {
		uint16_t z = 0, l = 0;

		while (i + z < INFO_WORDS && !w[i + z])
			z++;
		while (i + z + l < INFO_WORDS && w[i + z + l])
			l++;
		if (out) {
			memcpy(out + o, &z, 2);
			memcpy(out + o + 2, &l, 2);
			memcpy(out + o + 4, w + i + z, (size_t)l * 8);
		}
		o += 4 + (size_t)l * 8;
		i += (size_t)z + l;
	}
	return o;
}

static void unpack(const uint8_t *in, size_t size, struct l7_info *info)
{
	uint64_t *w = (uint64_t *)info;
	size_t i = 0, o = 0;

	while (o + 4 <= size) {
		uint16_t z, l;

		memcpy(&z, in + o, 2);
		memcpy(&l, in + o + 2, 2);
		memset(w + i, 0, (size_t)z * 8);
		i += z;
		memcpy(w + i, in + o + 4, (size_t)l * 8);
		i += l;
		o += 4 + (size_t)l * 8;
	}
}

static void emit(struct l7_worker *w, const struct l7_flow *f, const struct l7_info *info,
		 uint64_t req_us, uint64_t resp_us, bool timeout)
{
	struct l7_record r = {
		.info = info,
		.worker = w->idx,
		.flow_id = f->id,
		.family = f->family,
		.l4 = f->l4,
		.client_port = f->port[f->client],
		.server_port = f->port[!f->client],
		.req_time_us = req_us,
		.resp_time_us = resp_us,
		.latency_us = req_us && resp_us ? (int64_t)(resp_us - req_us) : -1,
		.timeout = timeout,
		.proc_name = "",
	};

	memcpy(r.client_ip, f->ip[f->client], 16);
	memcpy(r.server_ip, f->ip[!f->client], 16);
	w->st.records++;
	w->st.records_by_proto[info->protocol % L7_NPROTO]++;
	if (w->p->cfg.on_record)
		w->p->cfg.on_record(w->p->cfg.ctx, &r);
}

static void unlink_pending(struct l7_worker *w, struct l7_flow *f, struct l7_pending *q)
{
	struct l7_pending **pp = &f->pending;

	while (*pp != q)
		pp = &(*pp)->next;
	*pp = q->next;
	f->n_pending--;
	if (q->tprev)
		q->tprev->tnext = q->tnext;
	else
		w->p_head = q->tnext;
	if (q->tnext)
		q->tnext->tprev = q->tprev;
	else
		w->p_tail = q->tprev;
}

static void time_out(struct l7_worker *w, struct l7_pending *q)
{
	struct l7_flow *f = q->flow;

	unlink_pending(w, f, q);
	unpack(q->packed, q->size, &w->merged);
	w->merged.type = L7_MSG_SESSION;
	w->merged.response_status = L7_STATUS_TIMEOUT;
	w->st.requests_timed_out++;
	emit(w, f, &w->merged, q->time_us, 0, true);
	free(q);
}

static void add_request(struct l7_worker *w, struct l7_flow *f, const struct l7_info *info,
			uint64_t time_us)
{
	size_t size = pack(info, NULL);
	struct l7_pending *q, **pp;

	if (f->n_pending >= MAX_PENDING_PER_FLOW)
		time_out(w, f->pending);
	q = malloc(sizeof(*q) + size);
	if (!q)
		return;
	q->next = NULL;
	q->flow = f;
	q->time_us = time_us;
	q->has_id = info->has_request_id;
	q->id = info->request_id;
	q->size = (uint32_t)pack(info, q->packed);
	for (pp = &f->pending; *pp; pp = &(*pp)->next)
		;
	*pp = q;
	f->n_pending++;
	q->tnext = NULL;
	q->tprev = w->p_tail;
	if (w->p_tail)
		w->p_tail->tnext = q;
	else
		w->p_head = q;
	w->p_tail = q;
}

static void copy_if_empty(char *dst, size_t size, const char *src)
{
	if (!dst[0] && src[0])
		l7_info__set_str(dst, size, src, strlen(src));
}

#define MERGE_STR(m, r, field) copy_if_empty((m)->field, sizeof((m)->field), (r)->field)

/* The response's half into the request's record. */
static void merge(struct l7_info *m, const struct l7_info *r)
{
	m->type = L7_MSG_SESSION;
	m->response_status = r->response_status;
	m->has_response_code = r->has_response_code;
	m->response_code = r->response_code;
	m->resp_len = r->resp_len;
	l7_info__set_str(m->response_result, sizeof(m->response_result), r->response_result,
			 strlen(r->response_result));
	l7_info__set_str(m->response_exception, sizeof(m->response_exception),
			 r->response_exception, strlen(r->response_exception));
	MERGE_STR(m, r, protocol_str);
	MERGE_STR(m, r, version);
	MERGE_STR(m, r, endpoint);
	MERGE_STR(m, r, trace_id);
	MERGE_STR(m, r, span_id);
	MERGE_STR(m, r, parent_span_id);
	MERGE_STR(m, r, x_request_id);
	MERGE_STR(m, r, biz_response_code);
	for (unsigned i = 0; i < r->n_attrs && i < L7_ATTR_MAX; i++)
		if (l7_info__add_attr(m, r->attrs[i].key, strlen(r->attrs[i].key), r->attrs[i].val,
				      strlen(r->attrs[i].val)))
			break;
}

static struct l7_pending *find_request(struct l7_flow *f, const struct l7_info *resp)
{
	struct l7_pending *q;

	if (!resp->has_request_id)
		return f->pending;
	for (q = f->pending; q; q = q->next)
		if (q->has_id && q->id == resp->request_id)
			return q;
	return NULL;
}

static void add_response(struct l7_worker *w, struct l7_flow *f, const struct l7_info *info,
			 uint64_t time_us)
{
	struct l7_pending *q = find_request(f, info);

	if (!q) {
		w->st.responses_orphan++;
		return;
	}
	unlink_pending(w, f, q);
	unpack(q->packed, q->size, &w->merged);
	merge(&w->merged, info);
	emit(w, f, &w->merged, q->time_us, time_us, false);
	free(q);
}

void l7_session__info(struct l7_worker *w, struct l7_flow *f, struct l7_info *info,
		      uint64_t time_us)
{
	if (!info->protocol)
		info->protocol = f->protocol;
	if (!info->protocol_str[0]) {
		const char *s = l7_protocol__str(info->protocol);

		l7_info__set_str(info->protocol_str, sizeof(info->protocol_str), s, strlen(s));
	}
	switch (info->type) {
	case L7_MSG_REQUEST:
		add_request(w, f, info, time_us);
		break;
	case L7_MSG_RESPONSE:
		add_response(w, f, info, time_us);
		break;
	default:
		emit(w, f, info, time_us, time_us, false);
	}
}

void l7_session__flush_flow(struct l7_worker *w, struct l7_flow *f)
{
	while (f->pending)
		time_out(w, f->pending);
}

void l7_session__expire(struct l7_worker *w)
{
	uint64_t limit = w->p->cfg.session_timeout_us;

	while (w->p_head && w->now_us > w->p_head->time_us &&
	       w->now_us - w->p_head->time_us >= limit)
		time_out(w, w->p_head);
}
