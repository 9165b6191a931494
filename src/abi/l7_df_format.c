// SPDX-License-Identifier: MIT
/*
 * The contexts DeepFlow's host writes into a plugin's memory, byte for byte
 * (docs/abi-deepflow.md): VmCtxBase, the HTTP request and response
 * contexts and the custom message context. Integers are big-endian;
 * strings are [u16 len][bytes].
 */
#include <string.h>

#include "l7/plugin_impl.h"

struct wr {
	uint8_t *p, *end;
	bool full;
};

static void put(struct wr *w, const void *src, size_t n)
{
	if (w->full || (size_t)(w->end - w->p) < n) {
		w->full = true;
		return;
	}
	if (n) /* src may be NULL then */
		memcpy(w->p, src, n);
	w->p += n;
}

static void put_u8(struct wr *w, uint8_t v)
{
	put(w, &v, 1);
}

static void put_be(struct wr *w, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	put(w, b, bytes);
}

/* A string longer than a u16 can say is cut, as a u16 length must. */
static void put_str(struct wr *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n > UINT16_MAX)
		n = UINT16_MAX;
	put_be(w, n, 2);
	put(w, s, n);
}

static size_t done(struct wr *w, uint8_t *buf)
{
	return w->full ? 0 : (size_t)(w->p - buf);
}

size_t l7_df_ctx_base(const struct l7_msg *msg, uint8_t l7, uint8_t *buf, size_t cap)
{
	struct wr w = { buf, buf + cap, false };
	const struct l7_tuple *t = &msg->tuple;
	size_t alen = t->family == 6 ? 16 : 4;
	size_t nlen = strnlen(msg->proc_name, sizeof(msg->proc_name));

	put_u8(&w, t->family == 6 ? 6 : 4);
	put(&w, t->src, alen);
	put(&w, t->dst, alen);
	put_be(&w, t->sport, 2);
	put_be(&w, t->dport, 2);
	put_u8(&w, t->l4);
	put_u8(&w, l7);
	put_u8(&w, (uint8_t)msg->source);
	put_be(&w, msg->time_us, 8);
	put_u8(&w, (uint8_t)msg->dir);
	put_u8(&w, (uint8_t)nlen);
	put(&w, msg->proc_name, nlen);
	put_be(&w, msg->flow_id, 8);
	put_be(&w, msg->buf_size, 2);
	return done(&w, buf);
}

size_t l7_df_http_req(const struct l7_http_req *req, uint8_t *buf, size_t cap)
{
	struct wr w = { buf, buf + cap, false };

	put_str(&w, req->path);
	put_str(&w, req->host);
	put_str(&w, req->user_agent);
	put_str(&w, req->referer);
	return done(&w, buf);
}

/* The endpoint goes along only when it fits: the code and status alone
 * are a complete answer. */
size_t l7_df_http_resp(const struct l7_http_resp *resp, uint8_t *buf, size_t cap)
{
	struct wr w = { buf, buf + cap, false };
	size_t head;

	put_be(&w, resp->code, 2);
	put_u8(&w, (uint8_t)resp->status);
	if (!(head = done(&w, buf)))
		return 0;
	put_str(&w, resp->endpoint);
	return w.full ? head : done(&w, buf);
}

size_t l7_df_custom(const struct l7_custom_msg *cm, uint8_t *buf, size_t cap)
{
	struct wr w = { buf, buf + cap, false };

	put_be(&w, cm->hook_point, 2);
	put_be(&w, cm->type_code, 4);
	put_be(&w, cm->pb_len, 4);
	put(&w, cm->pb, cm->pb_len);
	return done(&w, buf);
}
