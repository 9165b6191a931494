// SPDX-License-Identifier: MIT
/*
 * DeepFlow's byte formats on the guest side (docs/abi-deepflow.md): the
 * context decoder and both result encoders. Every writer checks room
 * first and leaves the buffer as it was when something does not fit.
 */
#include <string.h>

#include "wbpf/deepflow.h"

struct out {
	uint8_t *p;
	size_t len, cap;
	bool full;
};

static void put(struct out *o, const void *src, size_t n)
{
	if (o->full || o->cap - o->len < n) {
		o->full = true;
		return;
	}
	if (n) /* src may be NULL then */
		memcpy(o->p + o->len, src, n);
	o->len += n;
}

static void put_be(struct out *o, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	put(o, b, bytes);
}

static void put_str16(struct out *o, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	put_be(o, n > 0xffff ? 0xffff : n, 2);
	put(o, s, n > 0xffff ? 0xffff : n);
}

/* ------------------------------------------------------------ context */

static uint64_t get_be(const uint8_t *b, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | b[i];
	return v;
}

int df_ctx_decode(const uint8_t *b, size_t n, struct df_ctx *ctx)
{
	size_t alen, at, nl;

	memset(ctx, 0, sizeof(*ctx));
	if (n < 1 || (b[0] != 4 && b[0] != 6))
		return -1;
	ctx->ip_type = b[0];
	alen = b[0] == 6 ? 16 : 4;
	if (n < 1 + 2 * alen + 4 + 3 + 8 + 2)
		return -1;
	memcpy(ctx->src_ip, b + 1, alen);
	memcpy(ctx->dst_ip, b + 1 + alen, alen);
	at = 1 + 2 * alen;
	ctx->src_port = (uint16_t)get_be(b + at, 2);
	ctx->dst_port = (uint16_t)get_be(b + at + 2, 2);
	ctx->l4 = b[at + 4];
	ctx->l7 = b[at + 5];
	ctx->ebpf_type = b[at + 6];
	ctx->time_us = get_be(b + at + 7, 8);
	ctx->direction = b[at + 15];
	nl = b[at + 16];
	at += 17;
	if (n < at + nl + 10)
		return -1;
	memcpy(ctx->proc_name, b + at, nl);
	at += nl;
	ctx->flow_id = get_be(b + at, 8);
	ctx->buf_size = (uint16_t)get_be(b + at + 8, 2);
	return 0;
}

/* ----------------------------------------------------------- protobuf */

static void pb_varint(struct out *o, uint64_t v)
{
	uint8_t b[10];
	unsigned n = 0;

	do {
		b[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	put(o, b, n);
}

static void pb_uint(struct out *o, uint32_t field, uint64_t v)
{
	pb_varint(o, (uint64_t)field << 3);
	pb_varint(o, v);
}

static void pb_bytes(struct out *o, uint32_t field, const void *s, size_t n)
{
	pb_varint(o, (uint64_t)field << 3 | 2);
	pb_varint(o, n);
	put(o, s, n);
}

static void pb_str(struct out *o, uint32_t field, const char *s)
{
	if (s)
		pb_bytes(o, field, s, strlen(s));
}

typedef void (*pb_body_fn)(struct out *o, const void *arg);

/* A submessage is written past a hole for its key and length, which are
 * then put in front of it. */
static void pb_sub(struct out *o, uint32_t field, pb_body_fn body, const void *arg)
{
	enum { HOLE = 16 };
	struct out sub, hdr;
	uint8_t h[HOLE];

	if (o->full || o->cap - o->len < HOLE) {
		o->full = true;
		return;
	}
	sub = (struct out){ o->p + o->len + HOLE, 0, o->cap - o->len - HOLE, false };
	body(&sub, arg);
	hdr = (struct out){ h, 0, HOLE, false };
	pb_varint(&hdr, (uint64_t)field << 3 | 2);
	pb_varint(&hdr, sub.len);
	if (sub.full) {
		o->full = true;
		return;
	}
	memmove(o->p + o->len + hdr.len, sub.p, sub.len);
	memcpy(o->p + o->len, h, hdr.len);
	o->len += hdr.len + sub.len;
}

static void pb_req(struct out *o, const void *arg)
{
	const struct df_info *i = arg;

	pb_str(o, 1, i->req.version);
	pb_str(o, 2, i->req.type);
	pb_str(o, 3, i->req.domain);
	pb_str(o, 4, i->req.resource);
	pb_str(o, 5, i->req.endpoint);
}

/* The status is always sent: proto3 `optional` keeps even 0. */
static void pb_resp(struct out *o, const void *arg)
{
	const struct df_info *i = arg;

	pb_uint(o, 1, i->resp.status);
	if (i->resp.has_code)
		pb_uint(o, 2, (uint64_t)(int64_t)i->resp.code);
	pb_str(o, 3, i->resp.exception);
	pb_str(o, 4, i->resp.result);
	pb_str(o, 5, i->resp.type);
	pb_str(o, 6, i->resp.endpoint);
}

static void pb_trace(struct out *o, const void *arg)
{
	const struct df_info *i = arg;

	pb_str(o, 1, i->trace.trace_id);
	pb_str(o, 2, i->trace.span_id);
	pb_str(o, 3, i->trace.parent_span_id);
	pb_str(o, 4, i->trace.x_request_id);
	pb_str(o, 5, i->trace.http_proxy_client);
}

static void pb_kv(struct out *o, const void *arg)
{
	const struct df_kv *kv = arg;

	pb_str(o, 1, kv->key);
	pb_str(o, 2, kv->val);
}

static void pb_appinfo(struct out *o, const struct df_info *i)
{
	put(o, "PB", 2);
	if (i->has_req_len)
		pb_uint(o, 1, i->req_len);
	if (i->has_resp_len)
		pb_uint(o, 2, i->resp_len);
	if (i->has_request_id)
		pb_uint(o, 3, i->request_id);
	if (i->is_req)
		pb_sub(o, 10, pb_req, i);
	else if (i->is_resp)
		pb_sub(o, 11, pb_resp, i);
	if (i->has_trace)
		pb_sub(o, 12, pb_trace, i);
	pb_str(o, 13, i->protocol_str);
	if (i->need_merge)
		pb_uint(o, 21, i->is_end);
	if (i->is_async)
		pb_uint(o, 22, 1);
	if (i->is_reversed)
		pb_uint(o, 23, 1);
	for (size_t k = 0; k < i->nkv; k++)
		pb_sub(o, 31, pb_kv, &i->kv[k]);
	if (i->biz_type)
		pb_uint(o, 32, i->biz_type);
	pb_str(o, 33, i->biz_code);
	pb_str(o, 34, i->biz_scenario);
	pb_str(o, 35, i->biz_response_code);
}

/* [u16 len][body]: the body is written after a 2-byte hole. */
static int record(void (*body)(struct out *, const struct df_info *, int), const struct df_info *info,
		  int dir, uint8_t *buf, size_t *len, size_t cap)
{
	struct out o = { buf, *len, cap, false };
	size_t start = o.len;

	put_be(&o, 0, 2);
	body(&o, info, dir);
	if (o.full || o.len - start - 2 > 0xffff)
		return -1;
	buf[start] = (uint8_t)((o.len - start - 2) >> 8);
	buf[start + 1] = (uint8_t)(o.len - start - 2);
	*len = o.len;
	return 0;
}

static void pb_body(struct out *o, const struct df_info *i, int dir)
{
	(void)dir;
	pb_appinfo(o, i);
}

int df_encode_pb(const struct df_info *info, uint8_t *buf, size_t *len, size_t cap)
{
	return record(pb_body, info, 0, buf, len, cap);
}

/* ------------------------------------------------------------- legacy */

static void legacy_body(struct out *o, const struct df_info *i, int dir)
{
	put_be(o, i->has_req_len ? 0x80000000u | i->req_len : 0, 4);
	put_be(o, i->has_resp_len ? 0x80000000u | i->resp_len : 0, 4);
	put_be(o, i->has_request_id, 1);
	if (i->has_request_id)
		put_be(o, i->request_id, 4);
	if (dir == 0) {
		put_str16(o, i->req.type);
		put_str16(o, i->req.endpoint);
		put_str16(o, i->req.domain);
		put_str16(o, i->req.resource);
	} else {
		put_be(o, i->resp.status, 1);
		put_be(o, i->resp.has_code, 1);
		if (i->resp.has_code)
			put_be(o, (uint32_t)i->resp.code, 4);
		put_str16(o, i->resp.result);
		put_str16(o, i->resp.exception);
	}
	put_str16(o, i->protocol_str);
	put_be(o, (i->need_merge ? 0x80 : 0) | (i->is_end ? 1 : 0), 1);
	put_be(o, i->has_trace, 1);
	if (i->has_trace) {
		put_str16(o, i->trace.trace_id);
		put_str16(o, i->trace.span_id);
		put_str16(o, i->trace.parent_span_id);
	}
	put_be(o, i->nkv != 0, 1);
	for (size_t k = 0; k < i->nkv; k++) {
		put_str16(o, i->kv[k].key);
		put_str16(o, i->kv[k].val);
	}
	put_be(o, i->biz_type, 1);
}

int df_encode_legacy(const struct df_info *info, int dir, uint8_t *buf, size_t *len, size_t cap)
{
	return record(legacy_body, info, dir, buf, len, cap);
}

int df_encode_str(const char *s, uint8_t *buf, size_t *len, size_t cap)
{
	struct out o = { buf, *len, cap, false };

	put_str16(&o, s);
	if (o.full)
		return -1;
	*len = o.len;
	return 0;
}
