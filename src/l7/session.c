// SPDX-License-Identifier: MIT
/* Sessions: a request waits in its flow until a response with its id, or
 * the oldest one for protocols paired by order, comes; then the pair goes
 * out as one record. Requests never answered go out as timeouts. A
 * waiting request is kept whole in a reused block while the worker has
 * few of them (the response merges into it in place), else packed: an
 * wbpf_l7_info is ~12 KiB, mostly unused. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "l7/internal.h"

#define MAX_PENDING_PER_FLOW 256
/* whole requests a worker keeps at most (~12 KiB each) */
#define L7_WHOLE_MAX 256

/* The packing: the raw bytes between the strings as they are, each string
 * as [u16 len][bytes], then the attributes in use likewise (key, value),
 * so fields added to wbpf_l7_info are carried without a change here. */
static size_t put_bytes(uint8_t *out, size_t o, const void *p, size_t n)
{
	l7_copy(out + o, p, n);
	return o + n;
}

/* s, an array of `max` bytes, cut at its NUL or at max - 1, scanned and
 * copied eight bytes at a time (the word with the NUL whole: never past
 * max - 1 bytes, the most the string may take in pack_buf). */
static size_t put_str(uint8_t *out, size_t o, const char *s, size_t max)
{
	uint8_t *d = out + o + 2;
	uint16_t n = 0;
	uint64_t v, z = 0;

	while (n + 8 <= max - 1 && !z) {
		memcpy(&v, s + n, 8);
		memcpy(d + n, &v, 8);
		z = (v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull;
		n = (uint16_t)(n + (z ? __builtin_ctzll(z) / 8 : 8));
	}
	for (; !z && n < max - 1 && s[n]; n++)
		d[n] = (uint8_t)s[n];
	memcpy(out + o, &n, 2);
	return o + 2 + n;
}

static size_t pack(const struct wbpf_l7_info *info, uint8_t *out)
{
	const char *b = (const char *)info;
	unsigned n = info->n_attrs < L7_ATTR_MAX ? info->n_attrs : L7_ATTR_MAX;
	size_t o = 0;

	for (unsigned i = 0; i <= L7_INFO_N_STRINGS; i++) {
		size_t len, at = l7_info__gap(i, &len);

		o = put_bytes(out, o, b + at, len);
		if (i < L7_INFO_N_STRINGS)
			o = put_str(out, o, b + l7_info_strings[i].off, l7_info_strings[i].size);
	}
	for (unsigned i = 0; i < n; i++) {
		o = put_str(out, o, info->attrs[i].key, sizeof(info->attrs[i].key));
		o = put_str(out, o, info->attrs[i].val, sizeof(info->attrs[i].val));
	}
	return o;
}

static size_t get_str(const uint8_t *in, size_t o, char *dst, size_t size)
{
	uint16_t n;

	memcpy(&n, in + o, 2);
	l7_info__set_str(dst, size, (const char *)in + o + 2, n);
	return o + 2 + n;
}

static void unpack(const uint8_t *in, size_t size, struct wbpf_l7_info *info)
{
	char *b = (char *)info;
	size_t o = 0;

	for (unsigned i = 0; i <= L7_INFO_N_STRINGS; i++) {
		size_t len, at = l7_info__gap(i, &len);

		l7_copy(b + at, in + o, len);
		o += len;
		if (i < L7_INFO_N_STRINGS)
			o = get_str(in, o, b + l7_info_strings[i].off, l7_info_strings[i].size);
	}
	for (unsigned i = 0; i < info->n_attrs && i < L7_ATTR_MAX && o < size; i++) {
		o = get_str(in, o, info->attrs[i].key, sizeof(info->attrs[i].key));
		o = get_str(in, o, info->attrs[i].val, sizeof(info->attrs[i].val));
	}
}

static void emit(struct l7_worker *w, const struct l7_flow *f, const struct wbpf_l7_info *info,
		 uint64_t req_us, uint64_t resp_us, bool timeout)
{
	struct wbpf_l7_record r = {
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
		.proc_name = f->proc.comm,
		.pid = f->proc.pid,
		.tap_side = !f->proc.sock	   ? WBPF_L7_TAP_NETWORK
			    : f->local == f->client ? WBPF_L7_TAP_CLIENT_PROCESS
						    : WBPF_L7_TAP_SERVER_PROCESS,
		.priv = w->fmt,
	};

	memcpy(r.client_ip, f->ip[f->client], 16);
	memcpy(r.server_ip, f->ip[!f->client], 16);
	w->st.records++;
	w->st.records_by_proto[info->protocol % WBPF_L7_NPROTO]++;
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

/* The request q holds, whole: in place, or unpacked into w->merged. */
static struct wbpf_l7_info *request_of(struct l7_worker *w, struct l7_pending *q)
{
	if (q->whole)
		return (struct wbpf_l7_info *)q->packed;
	unpack(q->packed, q->size, &w->merged);
	return &w->merged;
}

static void free_pending(struct l7_worker *w, struct l7_pending *q)
{
	if (!q->whole) {
		free(q);
		return;
	}
	q->next = w->spare;
	w->spare = q;
}

/* A block holding info: a whole one while there are few, else packed. */
static struct l7_pending *new_pending(struct l7_worker *w, const struct wbpf_l7_info *info)
{
	struct l7_pending *q = w->spare;
	size_t size;

	if (q) {
		w->spare = q->next;
	} else if (w->n_whole < L7_WHOLE_MAX &&
		   (q = malloc(sizeof(*q) + sizeof(struct wbpf_l7_info)))) {
		w->n_whole++;
	}
	if (q) {
		l7_info__copy((struct wbpf_l7_info *)q->packed, info);
		q->whole = true;
		q->size = sizeof(struct wbpf_l7_info);
		return q;
	}
	size = pack(info, w->pack_buf);
	if (!(q = malloc(sizeof(*q) + size)))
		return NULL;
	memcpy(q->packed, w->pack_buf, size);
	q->whole = false;
	q->size = (uint32_t)size;
	return q;
}

static void time_out(struct l7_worker *w, struct l7_pending *q)
{
	struct l7_flow *f = q->flow;
	struct wbpf_l7_info *m;

	unlink_pending(w, f, q);
	m = request_of(w, q);
	m->type = WBPF_L7_MSG_SESSION;
	m->response_status = L7_STATUS_TIMEOUT;
	w->st.requests_timed_out++;
	emit(w, f, m, q->time_us, 0, true);
	free_pending(w, q);
}

static struct l7_pending *add_request(struct l7_worker *w, struct l7_flow *f,
				      const struct wbpf_l7_info *info, uint64_t time_us)
{
	struct l7_pending *q, **pp;

	if (f->n_pending >= MAX_PENDING_PER_FLOW)
		time_out(w, f->pending);
	q = new_pending(w, info);
	if (!q)
		return NULL;
	q->next = NULL;
	q->flow = f;
	q->time_us = time_us;
	q->resp_us = 0;
	q->has_id = info->has_request_id;
	q->merge = 0;
	q->id = info->request_id;
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
	return q;
}

/* r's fields into m where m has none, attributes added: DeepFlow's merge
 * of a log into another, for a response into its request as for the
 * parts of a multi-record exchange. */
static void merge(struct wbpf_l7_info *m, const struct wbpf_l7_info *r)
{
	/* field by field: a loop over l7_info_strings is not unrolled; r's
	 * first, as most of its strings are empty */
#define MERGE_STR(f)                                                                         \
	if (r->f[0] && !m->f[0])                                                             \
		l7_str_copy(m->f, r->f, sizeof(m->f));
	L7_INFO_STRINGS(MERGE_STR)
#undef MERGE_STR
	if (m->response_status == L7_STATUS_UNKNOWN)
		m->response_status = r->response_status;
	if (!m->has_response_code) {
		m->has_response_code = r->has_response_code;
		m->response_code = r->response_code;
	}
	if (m->req_len < 0)
		m->req_len = r->req_len;
	if (m->resp_len < 0)
		m->resp_len = r->resp_len;
	if (!m->biz_type)
		m->biz_type = r->biz_type;
	for (unsigned i = 0; i < r->n_attrs && i < L7_ATTR_MAX; i++)
		if (l7_info__add_attr(m, r->attrs[i].key, strlen(r->attrs[i].key), r->attrs[i].val,
				      strlen(r->attrs[i].val)))
			break;
}

/* The request a plain response answers: its id's, else the oldest. */
static struct l7_pending *find_request(struct l7_flow *f, const struct wbpf_l7_info *resp)
{
	for (struct l7_pending *q = f->pending; q; q = q->next)
		if (!q->merge && (!resp->has_request_id || (q->has_id && q->id == resp->request_id)))
			return q;
	return NULL;
}

static void add_response(struct l7_worker *w, struct l7_flow *f, const struct wbpf_l7_info *info,
			 uint64_t time_us)
{
	struct l7_pending *q = find_request(f, info);
	struct wbpf_l7_info *m;

	if (!q) {
		w->st.responses_orphan++;
		return;
	}
	unlink_pending(w, f, q);
	m = request_of(w, q);
	merge(m, info);
	m->type = WBPF_L7_MSG_SESSION;
	emit(w, f, m, q->time_us, time_us, false);
	free_pending(w, q);
}

/* The exchange a part belongs to: same flow, same request id (or none). */
static struct l7_pending *find_exchange(struct l7_flow *f, const struct wbpf_l7_info *part)
{
	for (struct l7_pending *q = f->pending; q; q = q->next)
		if (q->merge && q->has_id == part->has_request_id &&
		    (!q->has_id || q->id == part->request_id))
			return q;
	return NULL;
}

/* Stores the merged record again (a packed one), in a larger block if it
 * grew. */
static void repack(struct l7_worker *w, struct l7_flow *f, struct l7_pending *q)
{
	struct l7_pending *n = q, **pp;
	size_t size;

	if (q->whole)
		return; /* merged in place */
	size = pack(&w->merged, w->pack_buf);
	if (size > q->size) {
		if (!(n = malloc(sizeof(*n) + size)))
			return; /* the parts merged so far stay */
		*n = *q;
		for (pp = &f->pending; *pp != q; pp = &(*pp)->next)
			;
		*pp = n;
		*(n->tprev ? &n->tprev->tnext : &w->p_head) = n;
		*(n->tnext ? &n->tnext->tprev : &w->p_tail) = n;
		free(q);
	}
	memcpy(n->packed, w->pack_buf, size);
	n->size = (uint32_t)size;
}

/* DeepFlow's multi-record exchanges: a record with need_merge is one part
 * of a request or a response; parts of the same flow and request id merge
 * (merge()) until both directions have sent their is_end part, then the
 * exchange goes out as one record: start at its first part, end at its
 * first response part. An exchange never ended times out like a request. */
static void add_part(struct l7_worker *w, struct l7_flow *f, const struct wbpf_l7_info *info,
		     uint64_t time_us)
{
	bool resp = info->type == L7_MSG_RESPONSE;
	uint8_t end = !info->is_end ? 0 : resp ? PENDING_RESP_END : PENDING_REQ_END;
	struct l7_pending *q = find_exchange(f, info);
	struct wbpf_l7_info *m;

	w->st.merged_parts++;
	if (!q) {
		if ((q = add_request(w, f, info, time_us))) {
			q->merge = PENDING_MERGING | end;
			q->resp_us = resp ? time_us : 0;
		}
		return;
	}
	m = request_of(w, q);
	merge(m, info);
	q->merge |= end;
	if (resp && !q->resp_us)
		q->resp_us = time_us;
	if (!(~q->merge & (PENDING_REQ_END | PENDING_RESP_END))) {
		unlink_pending(w, f, q);
		m->type = WBPF_L7_MSG_SESSION;
		emit(w, f, m, q->time_us, q->resp_us, false);
		free_pending(w, q);
		return;
	}
	repack(w, f, q);
}

void l7_session__info(struct l7_worker *w, struct l7_flow *f, struct wbpf_l7_info *info,
		      uint64_t time_us)
{
	if (!info->protocol)
		info->protocol = f->protocol;
	if (!info->protocol_str[0]) /* the names are short: a word of them */
		memcpy(info->protocol_str, wbpf_l7_protocol__str(info->protocol), 8);
	if (info->need_merge && info->type != WBPF_L7_MSG_SESSION) {
		add_part(w, f, info, time_us);
		return;
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

void l7_session__fini(struct l7_worker *w)
{
	struct l7_pending *q;

	while ((q = w->spare)) {
		w->spare = q->next;
		free(q);
	}
	w->n_whole = 0;
}
