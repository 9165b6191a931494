// SPDX-License-Identifier: MIT
/*
 * DeepFlow plugin results (docs/abi-deepflow.md, "Result buffer"): a
 * buffer tiled by [u16 len][body] records, each body either an AppInfo
 * protobuf behind the magic "PB" or the legacy fixed layout. Any flaw
 * rejects the whole buffer, as DeepFlow does: nothing half-decoded is
 * kept.
 *
 * The protobuf decoder is written here rather than generated with
 * protobuf-c: AppInfo is one small message, DeepFlow's own checks (the
 * status enum, presence of is_end, UTF-8) come on top of any generic
 * decoder, and this one never allocates. It is fuzzed (fuzz/fuzz_l7_result.c).
 */
#include <errno.h>
#include <string.h>

#include "l7/plugin_impl.h"

#define BAD (-EBADMSG)

struct rd {
	const uint8_t *p, *end;
};

static size_t left(const struct rd *r)
{
	return (size_t)(r->end - r->p);
}

static int take(struct rd *r, size_t n, const uint8_t **out)
{
	if (left(r) < n)
		return BAD;
	*out = r->p;
	r->p += n;
	return 0;
}

static int be(struct rd *r, unsigned bytes, uint32_t *v)
{
	const uint8_t *b;

	if (take(r, bytes, &b))
		return BAD;
	*v = 0;
	for (unsigned i = 0; i < bytes; i++)
		*v = *v << 8 | b[i];
	return 0;
}

bool l7_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		unsigned n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2
			   : (c & 0xf8) == 0xf0 ? 3 : 4;
		uint32_t cp = n == 0 ? c : n == 1 ? c & 0x1fu : n == 2 ? c & 0x0fu : c & 0x07u;
		static const uint32_t min[] = { 0, 0x80, 0x800, 0x10000 };

		if (n == 4 || len - i <= n)
			return false;
		for (unsigned k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3fu);
		}
		if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* A string into a record's array: cut to fit, but it must be UTF-8. */
static int set_str(char *dst, size_t size, const uint8_t *s, size_t len)
{
	if (!l7_utf8_valid(s, len))
		return BAD;
	l7_info__set_str(dst, size, (const char *)s, len);
	return 0;
}

#define SET(info, field, s, n) set_str((info)->field, sizeof((info)->field), s, n)

static int status_of(uint64_t v, enum l7_status *out)
{
	if (v != 0 && (v < 2 || v > 5))
		return BAD;
	*out = (enum l7_status)v;
	return 0;
}

/* -------------------------------------------------------------- legacy */

static int leg_str(struct rd *r, const uint8_t **s, uint32_t *n)
{
	return be(r, 2, n) || take(r, *n, s) ? BAD : 0;
}

#define LEG_SET(r, info, field)                                         \
	do {                                                            \
		const uint8_t *s_;                                      \
		uint32_t n_;                                            \
		if (leg_str(r, &s_, &n_) || SET(info, field, s_, n_))   \
			return BAD;                                     \
	} while (0)

static int leg_flag(struct rd *r, bool *on)
{
	uint32_t v;

	if (be(r, 1, &v) || v > 1)
		return BAD;
	*on = v;
	return 0;
}

static int leg_len(struct rd *r, int64_t *out)
{
	uint32_t v;

	if (be(r, 4, &v))
		return BAD;
	if (v & 0x80000000u)
		*out = v & 0x7fffffffu;
	return 0;
}

static int leg_request(struct rd *r, struct wbpf_l7_info *info)
{
	LEG_SET(r, info, request_type);
	LEG_SET(r, info, endpoint);
	LEG_SET(r, info, request_domain);
	LEG_SET(r, info, request_resource);
	return 0;
}

static int leg_response(struct rd *r, struct wbpf_l7_info *info)
{
	uint32_t v;

	if (be(r, 1, &v) || status_of(v, &info->response_status))
		return BAD;
	if (leg_flag(r, &info->has_response_code))
		return BAD;
	if (info->has_response_code && be(r, 4, &v))
		return BAD;
	if (info->has_response_code)
		info->response_code = (int32_t)v;
	LEG_SET(r, info, response_result);
	LEG_SET(r, info, response_exception);
	return 0;
}

/* Attributes run to the last pair that fits entirely. */
static void leg_attrs(struct rd *r, struct wbpf_l7_info *info)
{
	for (;;) {
		struct rd t = *r;
		const uint8_t *k, *v;
		uint32_t kn, vn;

		if (leg_str(&t, &k, &kn) || leg_str(&t, &v, &vn) || !l7_utf8_valid(k, kn) ||
		    !l7_utf8_valid(v, vn))
			return;
		*r = t;
		l7_info__add_attr(info, (const char *)k, kn, (const char *)v, vn);
	}
}

/* biz_type is the body's last byte; the attributes run up to it. */
static int legacy(struct rd *r, enum l7_direction dir, struct wbpf_l7_info *info)
{
	uint32_t v;
	bool on;

	l7_info__init(info, dir == L7_C2S ? L7_MSG_REQUEST : L7_MSG_RESPONSE);
	if (!left(r))
		return BAD;
	info->biz_type = *--r->end;
	if (leg_len(r, &info->req_len) || leg_len(r, &info->resp_len))
		return BAD;
	if (leg_flag(r, &info->has_request_id) ||
	    (info->has_request_id && be(r, 4, &info->request_id)))
		return BAD;
	if (dir == L7_C2S ? leg_request(r, info) : leg_response(r, info))
		return BAD;
	LEG_SET(r, info, protocol_str);
	if (be(r, 1, &v))
		return BAD;
	info->need_merge = v & 0x80;
	info->is_end = v & 0x01;
	if (leg_flag(r, &on))
		return BAD;
	if (on) {
		LEG_SET(r, info, trace_id);
		LEG_SET(r, info, span_id);
		LEG_SET(r, info, parent_span_id);
	}
	if (leg_flag(r, &on))
		return BAD;
	if (on)
		leg_attrs(r, info);
	return 0;
}

/* ------------------------------------------------------------ protobuf */

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4, WT_I32 = 5 };

struct pb_field {
	uint32_t num;
	unsigned wt;
	uint64_t v;	     /* varint */
	const uint8_t *s; /* WT_LEN */
	size_t n;
};

static int varint(struct rd *r, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		const uint8_t *b;

		if (take(r, 1, &b))
			return BAD;
		if (shift == 63 && *b > 1)
			return BAD;
		*v |= (uint64_t)(*b & 0x7f) << shift;
		if (!(*b & 0x80))
			return 0;
	}
	return BAD;
}

/* A group is skipped to its matching end, nested ones included. */
static int skip_group(struct rd *r, uint32_t num)
{
	uint32_t stack[32];
	unsigned depth = 0;

	stack[depth++] = num;
	while (depth) {
		uint64_t key, v;
		const uint8_t *s;
		unsigned wt;

		if (varint(r, &key) || key >> 32 || !(key >> 3))
			return BAD;
		wt = key & 7;
		if (wt == WT_SGROUP && depth < 32)
			stack[depth++] = (uint32_t)(key >> 3);
		else if (wt == WT_EGROUP && stack[depth - 1] == key >> 3)
			depth--;
		else if (wt == WT_VARINT ? varint(r, &v)
			 : wt == WT_I64	 ? take(r, 8, &s)
			 : wt == WT_I32	 ? take(r, 4, &s)
			 : wt == WT_LEN	 ? varint(r, &v) || v > left(r) || take(r, v, &s)
					 : BAD)
			return BAD;
	}
	return 0;
}

/* The next field; 1 at the end of the message. Unknown fields are the
 * caller's to ignore, groups are skipped here. */
static int pb_next(struct rd *r, struct pb_field *f)
{
	uint64_t key;
	const uint8_t *s;

	for (;;) {
		if (!left(r))
			return 1;
		if (varint(r, &key) || key >> 32 || !(key >> 3))
			return BAD;
		f->num = (uint32_t)(key >> 3);
		f->wt = key & 7;
		switch (f->wt) {
		case WT_VARINT:
			return varint(r, &f->v);
		case WT_I64:
			return take(r, 8, &s);
		case WT_I32:
			return take(r, 4, &s);
		case WT_LEN:
			if (varint(r, &f->v) || f->v > left(r))
				return BAD;
			f->n = (size_t)f->v;
			return take(r, f->n, &f->s);
		case WT_SGROUP:
			if (skip_group(r, f->num))
				return BAD;
			continue;
		default:
			return BAD;
		}
	}
}

/* A known field must come with its declared wire type. */
static int want(const struct pb_field *f, unsigned wt)
{
	return f->wt == wt ? 0 : BAD;
}

#define PB_STR(f, info, field) (want(f, WT_LEN) || SET(info, field, (f)->s, (f)->n))

typedef int (*pb_fn)(const struct pb_field *f, void *ctx);

/* Runs fn on each field of [s, s+n); stops at the first error. */
static int pb_each(const uint8_t *s, size_t n, pb_fn fn, void *ctx)
{
	struct rd r = { s, s + n };
	struct pb_field f;
	int e;

	while (!(e = pb_next(&r, &f)))
		if (fn(&f, ctx))
			return BAD;
	return e < 0 ? BAD : 0;
}

/* A submessage field, decoded by fn. */
static int pb_sub(const struct pb_field *msg, pb_fn fn, void *ctx)
{
	return want(msg, WT_LEN) || pb_each(msg->s, msg->n, fn, ctx) ? BAD : 0;
}

static int pb_request_field(const struct pb_field *f, void *ctx)
{
	struct wbpf_l7_info *info = ctx;

	switch (f->num) {
	case 1: return PB_STR(f, info, version);
	case 2: return PB_STR(f, info, request_type);
	case 3: return PB_STR(f, info, request_domain);
	case 4: return PB_STR(f, info, request_resource);
	case 5: return PB_STR(f, info, endpoint);
	default: return 0;
	}
}

static int pb_request(const struct pb_field *msg, struct wbpf_l7_info *info)
{
	info->type = L7_MSG_REQUEST;
	return pb_sub(msg, pb_request_field, info);
}

struct pb_resp {
	struct wbpf_l7_info *info;
	bool has_status;
};

static int pb_response_field(const struct pb_field *f, void *ctx)
{
	struct pb_resp *pr = ctx;
	struct wbpf_l7_info *info = pr->info;

	switch (f->num) {
	case 1:
		pr->has_status = true;
		return want(f, WT_VARINT) || status_of(f->v, &info->response_status);
	case 2:
		info->has_response_code = true;
		info->response_code = (int32_t)f->v;
		return want(f, WT_VARINT);
	case 3: return PB_STR(f, info, response_exception);
	case 4: return PB_STR(f, info, response_result);
	case 5: return PB_STR(f, info, request_type);
	case 6: return PB_STR(f, info, endpoint);
	default: return 0;
	}
}

/* DeepFlow requires the status: a response without one is refused. */
static int pb_response(const struct pb_field *msg, struct wbpf_l7_info *info)
{
	struct pb_resp pr = { info, false };

	info->type = L7_MSG_RESPONSE;
	return pb_sub(msg, pb_response_field, &pr) || !pr.has_status ? BAD : 0;
}

static int pb_trace_field(const struct pb_field *f, void *ctx)
{
	struct wbpf_l7_info *info = ctx;

	switch (f->num) {
	case 1: return PB_STR(f, info, trace_id);
	case 2: return PB_STR(f, info, span_id);
	case 3: return PB_STR(f, info, parent_span_id);
	case 4: return PB_STR(f, info, x_request_id);
	case 5: return PB_STR(f, info, http_proxy_client);
	case 6: /* trace_ids: the record holds one, the first wins */
		if (want(f, WT_LEN) || !l7_utf8_valid(f->s, f->n))
			return BAD;
		if (!info->trace_id[0])
			l7_info__set_str(info->trace_id, sizeof(info->trace_id),
					 (const char *)f->s, f->n);
		return 0;
	default: return 0;
	}
}

/* KeyVal: 1 key, 2 val; the last of each wins, as protobuf merges. */
static int pb_kv_field(const struct pb_field *f, void *ctx)
{
	struct pb_field *kv = ctx;

	if (f->num != 1 && f->num != 2)
		return 0;
	if (want(f, WT_LEN) || !l7_utf8_valid(f->s, f->n))
		return BAD;
	kv[f->num - 1] = *f;
	return 0;
}

static int pb_attr(const struct pb_field *msg, struct wbpf_l7_info *info)
{
	struct pb_field kv[2] = { { .s = (const uint8_t *)"" }, { .s = (const uint8_t *)"" } };

	if (pb_sub(msg, pb_kv_field, kv))
		return BAD;
	/* Past L7_ATTR_MAX attributes are dropped, not an error. */
	l7_info__add_attr(info, (const char *)kv[0].s, kv[0].n, (const char *)kv[1].s, kv[1].n);
	return 0;
}

static int pb_flag(const struct pb_field *f, bool *out)
{
	*out = f->v != 0;
	return want(f, WT_VARINT);
}

static int pb_info_field(const struct pb_field *f, void *ctx)
{
	struct wbpf_l7_info *info = ctx;

	switch (f->num) {
	case 1: info->req_len = (uint32_t)f->v; return want(f, WT_VARINT);
	case 2: info->resp_len = (uint32_t)f->v; return want(f, WT_VARINT);
	case 3:
		info->has_request_id = true;
		info->request_id = (uint32_t)f->v;
		return want(f, WT_VARINT);
	case 10: return pb_request(f, info);
	case 11: return pb_response(f, info);
	case 12: return pb_sub(f, pb_trace_field, info);
	case 13: return PB_STR(f, info, protocol_str);
	case 21: info->need_merge = true; return pb_flag(f, &info->is_end);
	case 22: return pb_flag(f, &info->is_async);
	case 23: return pb_flag(f, &info->is_reversed);
	case 31: return pb_attr(f, info);
	case 32: info->biz_type = (uint8_t)f->v; return want(f, WT_VARINT);
	case 33: return PB_STR(f, info, biz_code);
	case 34: return PB_STR(f, info, biz_scenario);
	case 35: return PB_STR(f, info, biz_response_code);
	default: return 0;
	}
}

static int appinfo(const uint8_t *s, size_t n, enum l7_direction dir, struct wbpf_l7_info *info)
{
	/* Neither req nor resp: the record is what the direction says. */
	l7_info__init(info, dir == L7_C2S ? L7_MSG_REQUEST : L7_MSG_RESPONSE);
	return pb_each(s, n, pb_info_field, info);
}

/* ------------------------------------------------------------- records */

int l7_df_result__decode(const uint8_t *buf, size_t len, enum l7_direction dir,
			 struct wbpf_l7_info *out, int max)
{
	struct wbpf_l7_info extra; /* records past max: checked, not kept */
	struct rd r;
	int n = 0;

	if (!len) /* buf may be NULL then */
		return BAD;
	r = (struct rd){ buf, buf + len };
	while (left(&r)) {
		const uint8_t *body;
		uint32_t blen;
		struct rd br;

		if (be(&r, 2, &blen) || take(&r, blen, &body))
			return BAD;
		struct wbpf_l7_info *info = n < max ? &out[n] : &extra;

		br = (struct rd){ body, body + blen };
		if (blen >= 2 && body[0] == 'P' && body[1] == 'B') {
			if (appinfo(body + 2, blen - 2, dir, info))
				return BAD;
		} else if (blen < 9 || legacy(&br, dir, info)) {
			return BAD;
		}
		n++;
	}
	return n;
}
