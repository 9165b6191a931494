// SPDX-License-Identifier: MIT
/* The built-in HTTP/1.x parser: one message per call (the pipeline calls
 * again for pipelined ones), its end found from Content-Length or the
 * chunked encoding so that the next message starts in the right place.
 * Registered HTTP hooks see every request and response. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "l7/internal.h"

#define BODY_TO_CLOSE (UINT64_MAX >> 1)

static const struct {
	char name[8];
	size_t len;
} methods[] = {{"GET", 3},   {"POST", 4},    {"PUT", 3},     {"DELETE", 6}, {"HEAD", 4},
	       {"PATCH", 5}, {"OPTIONS", 7}, {"CONNECT", 7}, {"TRACE", 5}};

struct http_msg {
	const char *p, *end; /* the message as buffered */
	bool request;
	/* request line or status line */
	const char *a, *b, *c;
	size_t alen, blen, clen;
	/* headers of interest */
	const char *host, *ua, *referer, *traceparent, *xrid;
	size_t host_len, ua_len, referer_len, traceparent_len, xrid_len;
	bool chunked, has_clen;
	uint64_t clen_val;
	size_t head_len; /* through the blank line */
};

/* The method at p followed by a space: its length, 0 if none. */
static size_t method_len(const uint8_t *p, uint32_t len)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t n = methods[i].len;

		if (len > n && p[0] == methods[i].name[0] && p[n] == ' ' &&
		    !memcmp(p, methods[i].name, n))
			return n;
	}
	return 0;
}

static bool status_line(const uint8_t *p, uint32_t len)
{
	return len >= 12 && !memcmp(p, "HTTP/1.", 7) && (p[7] == '0' || p[7] == '1') &&
	       p[8] == ' ' && p[9] >= '1' && p[9] <= '5' && p[10] >= '0' && p[10] <= '9' &&
	       p[11] >= '0' && p[11] <= '9';
}

static int http_check(void *self, const struct l7_msg *m, enum l7_direction *dir)
{
	(void)self;
	if (m->tuple.l4 != 6)
		return 0;
	if (method_len(m->payload, m->len)) {
		const uint8_t *nl = memchr(m->payload, '\n', m->len < 8192 ? m->len : 8192);

		/* the request line must be HTTP/1.x when we can see all of it */
		if (nl && (nl - m->payload < 10 || memcmp(nl - 10 + (nl[-1] != '\r'), " HTTP/1.", 8)))
			return 0;
		*dir = L7_C2S;
		return L7_PROTO_HTTP1;
	}
	if (status_line(m->payload, m->len)) {
		*dir = L7_S2C;
		return L7_PROTO_HTTP1;
	}
	return 0;
}

/* Where byte c is among the 16 bytes at p, a bit each, none past `rend`:
 * header lines are short, and a memchr call each was a fifth of what
 * parsing a message cost. [base, rend) is readable: near rend the 16
 * bytes that end there are read, when there are as many from base. */
static inline __attribute__((always_inline)) unsigned bits16(const char *base, const char *p,
							      const char *rend, char c)
{
	unsigned m = 0;

#ifdef __SSE2__
	const __m128i n = _mm_set1_epi8(c);

	if (rend - p >= 16)
		return (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), n));
	if (rend - base >= 16) {
		const char *q = rend - 16;

		return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
			       _mm_loadu_si128((const __m128i *)(const void *)q), n)) >>
		       (p - q);
	}
#else
	(void)base;
#endif
	for (int i = 0; i < 16 && i < rend - p; i++)
		m |= (unsigned)(p[i] == c) << i;
	return m;
}

#ifdef __SSE2__
static inline __attribute__((always_inline)) uint64_t bits64_at(const char *p, char c)
{
	const __m128i n = _mm_set1_epi8(c);
	const __m128i *v = (const __m128i *)(const void *)p;

	return (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(v), n)) |
	       (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(v + 1), n))
		       << 16 |
	       (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(v + 2), n))
		       << 32 |
	       (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(v + 3), n))
		       << 48;
}
#endif

/* The same for the 64 bytes at p (a message's lines are found a block
 * like this at a time), near rend the 64 that end there. */
static inline __attribute__((always_inline)) uint64_t bits64(const char *base, const char *p,
							      const char *rend, char c)
{
	uint64_t m = 0;

	if (p >= rend)
		return 0;
#ifdef __SSE2__
	if (rend - p >= 64)
		return bits64_at(p, c);
	if (rend - base >= 64)
		return bits64_at(rend - 64, c) >> (64 - (rend - p));
#endif
	for (int i = 0; i < 64 && i < rend - p; i += 16)
		m |= (uint64_t)bits16(base, p + i, rend, c) << i;
	return m;
}

/* The first c in [p, end), reading up to rend (>= end). */
static inline __attribute__((always_inline)) const char *
find_byte(const char *base, const char *p, const char *end, const char *rend, char c)
{
	while (p < end) { /* 16 at a time: what is looked for is near */
		unsigned m = bits16(base, p, rend, c);

		if (end - p < 16)
			m &= (1u << (end - p)) - 1;
		if (m)
			return p + __builtin_ctz(m);
		if (end - p <= 16)
			break;
		p += 16;
	}
	return NULL;
}

/* A message's lines: its line ends found 64 bytes at a time and taken
 * from the block's bits one by one, so a line costs a few instructions
 * rather than a scan of its own. */
struct lines {
	const char *base, *end; /* readable, and where lines end */
	const char *blk;	/* the 64 bytes whose '\n's are in bits */
	const char *pos;	/* where the next line starts */
	uint64_t bits;		/* those not taken yet */
};

static inline __attribute__((always_inline)) void lines_at(struct lines *ls, const char *pos)
{
	ls->blk = ls->pos = pos;
	ls->bits = bits64(ls->base, pos, ls->end, '\n');
}

/* The next line: its bounds without CR/LF; false when the line is not
 * complete yet. */
static inline __attribute__((always_inline)) bool next_line(struct lines *ls, const char **line,
							    size_t *len)
{
	const char *nl;

	while (!ls->bits) {
		if (ls->end - ls->blk <= 64)
			return false;
		ls->blk += 64;
		ls->bits = bits64(ls->base, ls->blk, ls->end, '\n');
	}
	nl = ls->blk + __builtin_ctzll(ls->bits);
	ls->bits &= ls->bits - 1;
	*line = ls->pos;
	*len = (size_t)(nl - ls->pos);
	if (*len && nl[-1] == '\r')
		(*len)--;
	ls->pos = nl + 1;
	return true;
}

/* Splits "A B C" (C may contain spaces), the line l being in h. */
static bool split3(const char *l, size_t n, struct http_msg *h)
{
	const char *s1 = find_byte(h->p, l, l + n, h->end, ' '), *s2;

	if (!s1)
		return false;
	s2 = find_byte(h->p, s1 + 1, l + n, h->end, ' ');
	h->a = l;
	h->alen = (size_t)(s1 - l);
	h->b = s1 + 1;
	h->blen = s2 ? (size_t)(s2 - s1 - 1) : (size_t)(l + n - s1 - 1);
	h->c = s2 ? s2 + 1 : l + n;
	h->clen = s2 ? (size_t)(l + n - s2 - 1) : 0;
	return true;
}

#define ONES8 0x0101010101010101ull

/* Whether the `size` (4 or 8) bytes at l are those at lower (lowercase
 * letters and '-') in any case: a byte's 0x20 bit set makes a capital
 * small, and only '\r' besides '-' becomes '-' that way, so words with a
 * '\r' are not names. */
static inline bool word_is(const char *l, const char *lower, size_t size)
{
	uint64_t v, w, r, low = size == 8 ? ~0ull : 0xffffffffull;

	if (size == 8) {
		memcpy(&v, l, 8);
		memcpy(&w, lower, 8);
	} else {
		uint32_t v4, w4;

		memcpy(&v4, l, 4);
		memcpy(&w4, lower, 4);
		v = v4;
		w = w4;
	}
	r = v ^ (ONES8 * '\r');
	return (v | (ONES8 * 0x20 & low)) == w && !((r - ONES8) & ~r & (ONES8 * 0x80) & low);
}

/* Whether l[0..n) is `lower` (a lowercase header name, n >= 4) in any
 * case, a word at a time (the last two may overlap). */
static inline bool name_is(const char *l, const char *lower, size_t n)
{
	size_t i = 0;

	if (n < 8)
		return word_is(l, lower, 4) && word_is(l + n - 4, lower + n - 4, 4);
	for (; i + 8 < n; i += 8)
		if (!word_is(l + i, lower + i, 8))
			return false;
	return word_is(l + n - 8, lower + n - 8, 8);
}

/* The value after the name and its colon, blanks around it trimmed. */
static void header_value(const char *l, size_t n, const char **v, size_t *vlen)
{
	while (n && (*l == ' ' || *l == '\t'))
		l++, n--;
	while (n && (l[n - 1] == ' ' || l[n - 1] == '\t'))
		n--;
	*v = l;
	*vlen = n;
}

static bool has_token(const char *v, size_t n, const char *tok)
{
	size_t k = strlen(tok);

	for (size_t i = 0; i + k <= n; i++)
		if (!strncasecmp(v + i, tok, k))
			return true;
	return false;
}

static void content_length(struct http_msg *h, const char *v, size_t n)
{
	uint64_t val = 0;
	size_t i = 0;

	while (i < n && v[i] >= '0' && v[i] <= '9')
		val = val * 10 + (uint64_t)(v[i++] - '0');
	h->has_clen = n > 0 && n < 20 && i == n;
	h->clen_val = h->has_clen ? val : 0;
}

/* A header named `name` (lowercase): the value after its colon. */
static bool is_header(const char *l, size_t n, const char *name, size_t k, const char **v,
		      size_t *vlen)
{
	if (n <= k || l[k] != ':' || !name_is(l, name, k))
		return false;
	header_value(l + k + 1, n - k - 1, v, vlen);
	return true;
}

/* The headers of interest, told apart by their first letter: most lines
 * are none of them and cost one look. */
static void header(struct http_msg *h, const char *l, size_t n)
{
	const char *v;
	size_t vl;

#define IS(name, v, vl) is_header(l, n, name, sizeof(name) - 1, v, vl)
	switch (l[0] | 0x20) {
	case 'h':
		IS("host", &h->host, &h->host_len);
		break;
	case 'u':
		IS("user-agent", &h->ua, &h->ua_len);
		break;
	case 'r':
		IS("referer", &h->referer, &h->referer_len);
		break;
	case 't':
		if (IS("traceparent", &h->traceparent, &h->traceparent_len))
			break;
		if (IS("transfer-encoding", &v, &vl))
			h->chunked = has_token(v, vl, "chunked");
		break;
	case 'x':
		IS("x-request-id", &h->xrid, &h->xrid_len);
		break;
	case 'c':
		if (IS("content-length", &v, &vl))
			content_length(h, v, vl);
		break;
	}
#undef IS
}

/* Start line and headers; -EAGAIN until the blank line (unless
 * `truncated`: then what is there). */
static int parse_head(struct http_msg *h, bool truncated)
{
	struct lines ls = {.base = h->p, .end = h->end};
	const char *l;
	size_t n;

	lines_at(&ls, h->p);
	if (!next_line(&ls, &l, &n)) {
		if (!truncated)
			return -EAGAIN;
		l = h->p;
		n = (size_t)(h->end - h->p);
	}
	if (!split3(l, n, h))
		return -EINVAL;
	while (next_line(&ls, &l, &n)) {
		if (!n) {
			h->head_len = (size_t)(ls.pos - h->p);
			return 0;
		}
		header(h, l, n);
	}
	if (!truncated)
		return -EAGAIN;
	h->head_len = (size_t)(h->end - h->p);
	return 0;
}

/* The chunked body at `pos` ([base, end) readable): its length on the
 * wire through the last chunk and the trailers, and in *data the bytes it
 * carries; -EAGAIN while incomplete, -EINVAL when malformed. */
static int64_t chunked_len(const char *base, const char *pos, const char *end, int64_t *data)
{
	struct lines ls = {.base = base, .end = end};
	const char *start = pos, *l;
	size_t n;

	*data = 0;
	for (;;) {
		char *e;
		char tmp[20];

		lines_at(&ls, pos);
		if (!next_line(&ls, &l, &n))
			return -EAGAIN;
		pos = ls.pos;
		l7_info__set_str(tmp, sizeof(tmp), l, n);
		unsigned long long size = strtoull(tmp, &e, 16);

		if (e == tmp || size > (1ull << 40))
			return -EINVAL;
		if (!size)
			break;
		if ((uint64_t)(end - pos) < size + 2) {
			*data += end - pos;
			return -EAGAIN;
		}
		pos += size + 2;
		*data += (int64_t)size;
	}
	do {
		if (!next_line(&ls, &l, &n))
			return -EAGAIN;
	} while (n);
	return ls.pos - start;
}

/* Outstanding HEAD requests per flow, oldest in bit 0: their responses
 * carry a Content-Length but no body. Direct-mapped; a collision only
 * costs a misjudged body. */
struct head_slot {
	uint64_t flow_id;
	uint64_t bits;
	uint8_t n;
};

#define HEAD_SLOTS 1024

struct http_state {
	struct head_slot slots[HEAD_SLOTS];
};

static struct head_slot *head_slot(struct l7_http_self *hs, uint64_t flow_id)
{
	struct head_slot *s;

	if (!hs->state) {
		hs->state = calloc(1, sizeof(struct http_state));
		if (!hs->state)
			return NULL;
	}
	s = &((struct http_state *)hs->state)->slots[flow_id % HEAD_SLOTS];
	if (s->flow_id != flow_id) {
		s->flow_id = flow_id;
		s->bits = 0;
		s->n = 0;
	}
	return s;
}

static void head_push(struct l7_http_self *hs, uint64_t flow_id, bool head)
{
	struct head_slot *s = head_slot(hs, flow_id);

	if (s && s->n < 64) {
		s->bits |= (uint64_t)head << s->n;
		s->n++;
	}
}

static bool head_peek(struct l7_http_self *hs, uint64_t flow_id)
{
	struct head_slot *s = head_slot(hs, flow_id);

	return s && s->n && (s->bits & 1);
}

static void head_pop(struct l7_http_self *hs, uint64_t flow_id)
{
	struct head_slot *s = head_slot(hs, flow_id);

	if (s && s->n) {
		s->bits >>= 1;
		s->n--;
	}
}

/* The body's length on the wire, or BODY_TO_CLOSE; -EAGAIN / -EINVAL
 * from chunks. *data: the content's length (-1 unknown). */
static int64_t body_len(const struct http_msg *h, bool no_body, int64_t *data)
{
	*data = h->has_clen ? (int64_t)h->clen_val : no_body || h->request ? 0 : -1;
	if (no_body)
		return 0;
	if (h->chunked)
		return chunked_len(h->p, h->p + h->head_len, h->end, data);
	if (h->has_clen)
		return (int64_t)h->clen_val;
	return h->request ? 0 : (int64_t)BODY_TO_CLOSE;
}

static void set(char *dst, size_t size, const char *s, size_t n)
{
	l7_info__set_str(dst, size, s, n);
}

/* traceparent: version-traceid-parentid-flags */
static inline void trace_fields(struct wbpf_l7_info *info, const struct http_msg *h)
{
	const char *t = h->traceparent;
	size_t n = h->traceparent_len;

	if (t && n >= 55 && t[2] == '-' && t[35] == '-' && t[52] == '-') {
		set(info->trace_id, sizeof(info->trace_id), t + 3, 32);
		set(info->span_id, sizeof(info->span_id), t + 36, 16);
	}
	if (h->xrid)
		set(info->x_request_id, sizeof(info->x_request_id), h->xrid, h->xrid_len);
}

static void call_hooks_req(struct l7_http_self *hs, const struct l7_msg *m,
			   const struct http_msg *h, struct wbpf_l7_info *info)
{
	char path[L7_STR_LONG], host[L7_STR_LONG], ua[L7_STR_LONG], ref[L7_STR_LONG];
	struct l7_http_req req = {path, host, ua, ref};

	set(path, sizeof(path), h->b, h->blen);
	set(host, sizeof(host), h->host ? h->host : "", h->host_len);
	set(ua, sizeof(ua), h->ua ? h->ua : "", h->ua_len);
	set(ref, sizeof(ref), h->referer ? h->referer : "", h->referer_len);
	for (unsigned i = 0; i < hs->n_hooks; i++)
		if (hs->hooks[i].on_request &&
		    hs->hooks[i].on_request(hs->hooks[i].self, m, &req, info) < 0)
			(*hs->failures)++;
}

static void call_hooks_resp(struct l7_http_self *hs, const struct l7_msg *m,
			    struct wbpf_l7_info *info)
{
	struct l7_http_resp resp = {(uint16_t)info->response_code, info->response_status, ""};

	for (unsigned i = 0; i < hs->n_hooks; i++)
		if (hs->hooks[i].on_response &&
		    hs->hooks[i].on_response(hs->hooks[i].self, m, &resp, info) < 0)
			(*hs->failures)++;
}

static void fill_request(struct wbpf_l7_info *info, const struct http_msg *h)
{
	const char *q = find_byte(h->p, h->b, h->b + h->blen, h->end, '?');

	l7_info__init(info, L7_MSG_REQUEST);
	set(info->request_type, sizeof(info->request_type), h->a, h->alen);
	set(info->request_resource, sizeof(info->request_resource), h->b, h->blen);
	set(info->endpoint, sizeof(info->endpoint), h->b, q ? (size_t)(q - h->b) : h->blen);
	if (h->host)
		set(info->request_domain, sizeof(info->request_domain), h->host, h->host_len);
	if (h->clen >= 5 && !memcmp(h->c, "HTTP/", 5))
		set(info->version, sizeof(info->version), h->c + 5, h->clen - 5);
	trace_fields(info, h);
}

static enum l7_status code_status(int code)
{
	if (code >= 400 && code < 500)
		return L7_STATUS_CLIENT_ERROR;
	if (code >= 500)
		return L7_STATUS_SERVER_ERROR;
	return L7_STATUS_OK;
}

static void fill_response(struct wbpf_l7_info *info, const struct http_msg *h, int code)
{
	l7_info__init(info, L7_MSG_RESPONSE);
	set(info->version, sizeof(info->version), h->a + 5, h->alen - 5);
	info->has_response_code = true;
	info->response_code = code;
	info->response_status = code_status(code);
	if (info->response_status != L7_STATUS_OK)
		set(info->response_exception, sizeof(info->response_exception), h->c, h->clen);
	trace_fields(info, h);
}

/* One message at `off`; 1xx responses before it are passed over. */
static int parse_at(struct l7_http_self *hs, const struct l7_msg *m, size_t off,
		    struct wbpf_l7_info *out)
{
	struct http_msg h = {.p = (const char *)m->payload + off,
			     .end = (const char *)m->payload + m->len};
	int code = 0, err;
	int64_t body, data;

	/* a status line first: a method is looked for among nine */
	h.request = !status_line(m->payload + off, (uint32_t)(m->len - off));
	if (h.request && !method_len(m->payload + off, (uint32_t)(m->len - off)))
		return -EINVAL;
	err = parse_head(&h, m->truncated);
	if (err)
		return err;
	if (!h.request) {
		code = (h.b[0] - '0') * 100 + (h.b[1] - '0') * 10 + (h.b[2] - '0');
		if (code < 200) { /* 100 Continue and friends answer no request */
			if (off + h.head_len >= m->len)
				return m->truncated ? 0 : -EAGAIN;
			return parse_at(hs, m, off + h.head_len, out);
		}
	}
	bool no_body = code == 204 || code == 304 || (!h.request && head_peek(hs, m->flow_id));

	body = body_len(&h, no_body, &data);
	if (body == -EAGAIN && m->truncated)
		body = (int64_t)(h.end - h.p - h.head_len);
	if (body < 0)
		return (int)body;
	if (h.request) {
		fill_request(out, &h);
		head_push(hs, m->flow_id, h.alen == 4 && !memcmp(h.a, "HEAD", 4));
		out->req_len = data;
		if (hs->n_hooks) /* not a call each: its frame is 2 KiB */
			call_hooks_req(hs, m, &h, out);
	} else {
		head_pop(hs, m->flow_id);
		fill_response(out, &h, code);
		out->resp_len = data;
		call_hooks_resp(hs, m, out);
	}
	out->msg_end = (uint64_t)off + h.head_len + (uint64_t)body;
	return 1;
}

static int http_parse(void *self, const struct l7_msg *m, struct wbpf_l7_info *out, int max)
{
	if (max < 1)
		return -ENOSPC;
	return parse_at(self, m, 0, out);
}

const struct wbpf_l7_parser l7_http_parser = {
	.name = "http",
	.check = http_check,
	.parse = http_parse,
};
