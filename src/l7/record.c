// SPDX-License-Identifier: MIT
/* Records as text: JSON lines with DeepFlow's l7_flow_log field names, a
 * readable table, and the exit summary. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "l7/internal.h"
#include "wbpf/sink.h"

/* snprintf-style writer: the bytes past `size` are counted, not stored.
 * It and where it is (len) are passed as values: kept in memory they
 * would be reloaded after every byte stored (a char store may alias
 * anything), which made each piece wait on the one before. */
struct out {
	char *p;
	size_t size;
};

static inline size_t room(struct out o, size_t len)
{
	return len < o.size ? o.size - len : 0;
}

/* Whether n more bytes fit: one compare (a line's len is far from
 * overflowing), where room() and a compare were three. */
static inline bool fits(struct out o, size_t len, size_t n)
{
	return len + n <= o.size;
}

/* What does not fit: as much as does. */
static size_t put_cut(struct out o, size_t len, const char *s, size_t n)
{
	size_t r = room(o, len);

	memcpy(o.p + len, s, n < r ? n : r);
	return len + n;
}

/* The keys' lengths are constants: their copies become a move or two. */
static inline size_t put(struct out o, size_t len, const char *s, size_t n)
{
	if (!fits(o, len, n))
		return put_cut(o, len, s, n);
	l7_copy(o.p + len, s, n);
	return len + n;
}

static size_t finish(struct out o, size_t len)
{
	if (o.size)
		o.p[len < o.size ? len : o.size - 1] = '\0';
	return len;
}

struct out_at {
	struct out o;
	size_t len;
};

static void put_cb(void *ctx, const char *s, size_t n)
{
	struct out_at *at = ctx;

	at->len = put(at->o, at->len, s, n);
}

/* Escaped as the sinks escape (one implementation, src/sink/buf.c). Most
 * of a record's strings are short or empty and need no escaping: those
 * are copied here in one pass, without a call per piece; a string with a
 * byte to escape, or one that does not fit, goes to the escaper. */
static size_t json_str(struct out o, size_t len, const char *s)
{
	size_t r = room(o, len), i = 0;
	char *d = o.p + len;
	struct out_at at = {o, len};

	if (s && r >= 2) {
		d[0] = '"';
		for (; s[i] && i + 2 < r; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c < 0x20 || c == '"' || c == '\\')
				break;
			d[i + 1] = (char)c;
		}
		if (!s[i]) {
			d[i + 1] = '"';
			return len + i + 2;
		}
	}
	wbpf_json_str(put_cb, &at, s);
	return at.len;
}

/* plain_end(s, d): copies one piece of s to d and flags the bytes that end
 * a plain run (below 0x20, NUL included, '"' and '\\'); END_AT(flags)
 * is the first one's place. With SSE2 a piece is 16 bytes, a bit each;
 * else 8, by their top bits (the lowest flag exact, those above it not). */
#ifdef __SSE2__
#define PIECE 16
#define END_AT(m) ((size_t)__builtin_ctzll(m))
static inline uint64_t plain_end(const char *s, char *d)
{
	const __m128i lim = _mm_set1_epi8(0x1f);
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);

	_mm_storeu_si128((__m128i *)(void *)d, v);
	return (unsigned)_mm_movemask_epi8(
		_mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, lim), lim),
			     _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
					  _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')))));
}
#else
#define ONES 0x0101010101010101ull
#define PIECE 8
#define END_AT(m) ((size_t)__builtin_ctzll(m) / 8)
static inline uint64_t plain_end(const char *s, char *d)
{
	uint64_t v, q, b;

	memcpy(&v, s, 8);
	memcpy(d, &v, 8);
	q = v ^ (ONES * '"');
	b = v ^ (ONES * '\\');
	return (((v - ONES * 0x20) & ~v) | ((q - ONES) & ~q) | ((b - ONES) & ~b)) & (ONES * 0x80);
}
#endif

/* json_str for a record's own array of `max` bytes (a multiple of 16):
 * read and copied a piece at a time. Inline: the call and setting up its
 * constants cost as much as copying most strings. */
static inline __attribute__((always_inline)) size_t json_field(struct out o, size_t len,
								const char *s, size_t max)
{
	char *d = o.p + len;

	if (!fits(o, len, max + 2))
		return json_str(o, len, s);
	d[0] = '"';
	for (size_t i = 0; i < max; i += PIECE) {
		uint64_t end = plain_end(s + i, d + 1 + i);

		if (end) {
			i += END_AT(end);
			if (s[i])
				break; /* to escape */
			d[i + 1] = '"';
			return len + i + 2;
		}
	}
	return json_str(o, len, s);
}

static const char pairs[] = "00010203040506070809101112131415161718192021222324"
			    "25262728293031323334353637383940414243444546474849"
			    "50515253545556575859606162636465666768697071727374"
			    "75767778798081828384858687888990919293949596979899";

/* Decimal without printf, two digits a step, straight into the output. */
static size_t __attribute__((noinline)) num_any(struct out o, size_t len, int64_t v)
{
	static const uint64_t pow10[20] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
		100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
		10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
		100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull};
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v, w = u | 1; /* w: as many digits */
	/* digits from the bit length: log10(2) is about 1233 / 4096 */
	unsigned t = (unsigned)(64 - __builtin_clzll(w)) * 1233 >> 12;
	size_t n = t - (w < pow10[t]) + 1 + (v < 0);
	char tmp[24], *d = room(o, len) >= n ? o.p + len : tmp, *e = d + n;

	for (; u >= 100; u /= 100) {
		e -= 2;
		memcpy(e, pairs + u % 100 * 2, 2);
	}
	if (u >= 10) {
		e -= 2;
		memcpy(e, pairs + u * 2, 2);
	} else {
		*--e = (char)('0' + u);
	}
	if (v < 0)
		*--e = '-';
	return d == tmp ? put(o, len, tmp, n) : len + n;
}

/* Most of a record's numbers are below 100 (codes, kinds, small
 * lengths): those inline, the rest by num_any. */
static inline size_t num(struct out o, size_t len, int64_t v)
{
	if ((uint64_t)v < 10 && fits(o, len, 1)) {
		o.p[len] = (char)('0' + v);
		return len + 1;
	}
	if ((uint64_t)v < 100 && fits(o, len, 2)) {
		memcpy(o.p + len, pairs + v * 2, 2);
		return len + 2;
	}
	if ((uint64_t)v < 1000 && fits(o, len, 3)) { /* status codes */
		o.p[len] = (char)('0' + v / 100);
		memcpy(o.p + len + 1, pairs + v % 100 * 2, 2);
		return len + 3;
	}
	return num_any(o, len, v);
}

/* inline: the call cost more than writing most of the numbers */
static inline __attribute__((always_inline)) size_t knum_val(struct out o, size_t len,
							      bool present, int64_t v)
{
	return present ? num(o, len, v) : put(o, len, "null", 4);
}

/* In wbpf_l7_record__format_json and its helpers, `o` and `len` are the
 * writer. ,"name": is one piece: keys are literals. */
#define PUT(s, n) (len = put(o, len, s, n))
#define KEY(k) PUT(",\"" k "\":", sizeof(",\"" k "\":") - 1)
#define KSTR(k, v) (KEY(k), len = json_str(o, len, v))
#define KNUM(k, present, v) (KEY(k), len = knum_val(o, len, present, v))
/* A record's own string: most are empty, and then key and value are one
 * piece. */
#define KFIELD(k, in, f)                                                                     \
	((in)->f[0] ? (KEY(k), len = json_field(o, len, (in)->f, sizeof((in)->f)))               \
		    : PUT(",\"" k "\":\"\"", sizeof(",\"" k "\":\"\"") - 1))

/* Runs of fields that most records leave empty (their keys are the
 * fields' names): when all are, one piece of text, then `more`. */
#define RESULT_TO_SPAN(X) X(response_result) X(response_exception) X(trace_id) X(span_id)
#define PARENT_TO_PROXY(X) X(parent_span_id) X(x_request_id) X(http_proxy_client)
#define BIZ(X) X(biz_code) X(biz_scenario) X(biz_response_code)
#define FIRST_BYTE(f) | in->f[0]
#define EMPTY_TEXT(f) ",\"" #f "\":\"\""
#define ONE_KFIELD(f) KFIELD(#f, in, f);
#define KFIELDS_AND(RUN, more)                                                               \
	do {                                                                                 \
		if (!(0 RUN(FIRST_BYTE))) {                                                  \
			PUT(RUN(EMPTY_TEXT) more, sizeof(RUN(EMPTY_TEXT) more) - 1);          \
		} else {                                                                     \
			RUN(ONE_KFIELD)                                                      \
			PUT(more, sizeof(more) - 1);                                         \
		}                                                                            \
	} while (0)
#define KFIELDS(RUN) KFIELDS_AND(RUN, "")

/* IPv4 by hand: inet_ntop formats it through sprintf, which showed up as
 * a tenth of the time per record. */
size_t l7_ip_str(uint8_t family, const uint8_t *ip, char *buf, size_t size)
{
	char *p = buf;

	if (family == 6 || size < INET_ADDRSTRLEN) {
		inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, buf, (socklen_t)size);
		return strlen(buf);
	}
	for (int i = 0; i < 4; i++) {
		unsigned v = ip[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
	return (size_t)(p - buf - 1);
}

/* An address as a JSON string, formatted in place when there is room (it
 * has nothing to escape). */
static size_t ip_json(struct out o, size_t len, uint8_t family, const uint8_t *ip)
{
	char tmp[INET6_ADDRSTRLEN], *d = o.p + len;
	size_t n;

	if (room(o, len) < INET6_ADDRSTRLEN + 2) {
		l7_ip_str(family, ip, tmp, sizeof(tmp));
		return json_str(o, len, tmp);
	}
	n = l7_ip_str(family, ip, d + 1, INET6_ADDRSTRLEN);
	d[0] = '"';
	d[n + 1] = '"';
	return len + n + 2;
}

/* Each name in an array of 8 bytes: l7_session__info copies one as a word. */
const char *wbpf_l7_protocol__str(unsigned protocol)
{
	static const char names[][8] = {"HTTP", "HTTP2",  "Dubbo",   "gRPC", "MySQL", "Redis",
					"MQTT", "NATS",	  "DNS",     "Custom", "Unknown", "Other"};

	switch (protocol) {
	case L7_PROTO_HTTP1: return names[0];
	case L7_PROTO_HTTP2: return names[1];
	case L7_PROTO_DUBBO: return names[2];
	case L7_PROTO_GRPC: return names[3];
	case L7_PROTO_MYSQL: return names[4];
	case L7_PROTO_REDIS: return names[5];
	case L7_PROTO_MQTT: return names[6];
	case L7_PROTO_NATS: return names[7];
	case L7_PROTO_DNS: return names[8];
	case L7_PROTO_CUSTOM: return names[9];
	case L7_PROTO_UNKNOWN: return names[10];
	}
	return names[11];
}

static size_t attributes_obj(struct out o, size_t len, const struct wbpf_l7_info *in)
{
	PUT("{", 1);
	for (unsigned i = 0; i < in->n_attrs && i < L7_ATTR_MAX; i++) {
		if (i)
			PUT(",", 1);
		len = json_field(o, len, in->attrs[i].key, sizeof(in->attrs[i].key));
		PUT(":", 1);
		len = json_field(o, len, in->attrs[i].val, sizeof(in->attrs[i].val));
	}
	return PUT("}", 1);
}

void l7_info__attributes_json(const struct wbpf_l7_info *in, char *buf, size_t size)
{
	struct out o = {buf, size};
	size_t len = attributes_obj(o, 0, in);

	finish(o, len < size ? len : 0);
}

const char *wbpf_l7_tap_side__str(unsigned tap_side)
{
	return tap_side == WBPF_L7_TAP_CLIENT_PROCESS   ? "c-p"
	       : tap_side == WBPF_L7_TAP_SERVER_PROCESS ? "s-p"
						   : "";
}

/* From ,"flow_id" through ,"l7_protocol": what depends on the flow and
 * its process alone. */
static size_t flow_part(struct out o, size_t len, const struct wbpf_l7_record *r)
{
	KNUM("flow_id", true, (int64_t)r->flow_id);
	KSTR("protocol", r->l4 == 6 ? "tcp" : "udp");
	KEY("ip_0");
	len = ip_json(o, len, r->family, r->client_ip);
	KNUM("client_port", true, r->client_port);
	KEY("ip_1");
	len = ip_json(o, len, r->family, r->server_ip);
	KNUM("server_port", true, r->server_port);
	KSTR("process_kname", r->proc_name ? r->proc_name : "");
	KNUM("process_id", r->pid != 0, r->pid);
	KSTR("tap_side", wbpf_l7_tap_side__str(r->tap_side));
	KNUM("l7_protocol", true, r->info->protocol);
	return len;
}

/* flow_part's text as last written for a flow, with everything it was
 * written from: a line whose key is equal copies it (a flow's lines
 * repeat it, and writing it was a third of a line's cost). A flow slot
 * that another flow took over only costs a miss. */
#define FMT_SLOTS 64
#define FMT_TEXT 448

struct fmt_key {
	uint64_t flow_id;
	uint8_t client_ip[16], server_ip[16];
	char comm[16];
	uint32_t pid;
	uint16_t client_port, server_port, protocol;
	uint8_t family, l4, tap_side;
};

/* A record's priv, when the pipeline made it: the worker's memory of
 * the flows' formatted text; proc_name then points at 16 bytes. */
struct wbpf_l7_record_priv {
	uint64_t sec_us;   /* the µs the second whose digits sec_text holds starts at */
	char sec_text[16]; /* 10 digits */
	struct fmt_slot {
		struct fmt_key k;
		uint16_t len; /* 0: empty */
		char text[FMT_TEXT];
	} s[FMT_SLOTS];
};

struct wbpf_l7_record_priv *l7_fmt_cache__new(void)
{
	struct wbpf_l7_record_priv *c = calloc(1, sizeof(*c));

	if (c) { /* a second of the range it keeps, as time_num would keep it */
		c->sec_us = 1000000000ull * 1000000;
		memcpy(c->sec_text, "1000000000", 10);
	}
	return c;
}

/* Whether k is what r's flow part is written from: compared in place
 * (a key built to be compared by memcmp cost more than the text). */
static bool key_is(const struct fmt_key *k, const struct wbpf_l7_record *r)
{
	return k->flow_id == r->flow_id && k->pid == r->pid && k->client_port == r->client_port &&
	       k->server_port == r->server_port && k->protocol == r->info->protocol &&
	       k->family == r->family && k->l4 == r->l4 && k->tap_side == r->tap_side &&
	       !memcmp(k->client_ip, r->client_ip, 16) && !memcmp(k->server_ip, r->server_ip, 16) &&
	       !memcmp(k->comm, r->proc_name, 16);
}

static size_t flow_part_cached(struct out o, size_t len, const struct wbpf_l7_record *r)
{
	struct fmt_slot *sl = &r->priv->s[r->flow_id % FMT_SLOTS];
	struct fmt_key *k = &sl->k;
	size_t start = len;

	if (r->proc_name[15]) /* a longer name than the key holds */
		return flow_part(o, len, r);
	if (sl->len && key_is(k, r))
		return put(o, len, sl->text, sl->len);
	len = flow_part(o, len, r);
	if (len <= o.size && len - start <= FMT_TEXT) { /* all of it written */
		memcpy(sl->text, o.p + start, len - start);
		sl->len = (uint16_t)(len - start);
		k->flow_id = r->flow_id;
		memcpy(k->client_ip, r->client_ip, 16);
		memcpy(k->server_ip, r->server_ip, 16);
		memcpy(k->comm, r->proc_name, 16);
		k->pid = r->pid;
		k->client_port = r->client_port;
		k->server_port = r->server_port;
		k->protocol = r->info->protocol;
		k->family = r->family;
		k->l4 = r->l4;
		k->tap_side = r->tap_side;
	}
	return len;
}

/* A time in µs: its second's ten digits change once a second, so they
 * are kept (in c, when there is one) and only the µs are written
 * (inline, as json_field). */
static inline __attribute__((always_inline)) size_t time_num(struct out o, size_t len, uint64_t us,
							      struct wbpf_l7_record_priv *c)
{
	uint64_t sec;
	uint32_t frac;
	char *d = o.p + len;

	if (!c || !fits(o, len, 16))
		return num(o, len, (int64_t)us);
	if (us - c->sec_us >= 1000000) { /* another second (an earlier one wraps) */
		sec = us / 1000000;
		if (sec < 1000000000 || sec > 9999999999)
			return num(o, len, (int64_t)us);
		num_any((struct out){c->sec_text, sizeof(c->sec_text)}, 0, (int64_t)sec);
		c->sec_us = sec * 1000000;
	}
	frac = (uint32_t)(us - c->sec_us);
	memcpy(d, c->sec_text, 10);
	memcpy(d + 10, pairs + frac / 10000 * 2, 2);
	memcpy(d + 12, pairs + frac / 100 % 100 * 2, 2);
	memcpy(d + 14, pairs + frac % 100 * 2, 2);
	return len + 16;
}

static inline __attribute__((always_inline)) size_t format_json(const struct wbpf_l7_record *r,
								 struct out o)
{
	const struct wbpf_l7_info *in = r->info;
	size_t len = 0;

	PUT("{\"start_time\":", 14);
	len = time_num(o, len, r->req_time_us ? r->req_time_us : r->resp_time_us, r->priv);
	KEY("end_time");
	len = time_num(o, len, r->resp_time_us ? r->resp_time_us : r->req_time_us, r->priv);
	len = r->priv && r->proc_name ? flow_part_cached(o, len, r) : flow_part(o, len, r);
	KFIELD("l7_protocol_str", in, protocol_str);
	KFIELD("version", in, version);
	KFIELD("request_type", in, request_type);
	KFIELD("request_domain", in, request_domain);
	KFIELD("request_resource", in, request_resource);
	KFIELD("endpoint", in, endpoint);
	KNUM("request_id", in->has_request_id, in->request_id);
	KNUM("response_status", true, in->response_status);
	KNUM("response_code", in->has_response_code, in->response_code);
	KFIELDS(RESULT_TO_SPAN); /* two runs: each fits inline moves */
	KFIELDS(PARENT_TO_PROXY);
	KNUM("request_length", in->req_len >= 0, in->req_len);
	KNUM("response_length", in->resp_len >= 0, in->resp_len);
	KNUM("response_duration", r->latency_us >= 0, r->latency_us);
	KNUM("biz_type", true, in->biz_type);
	if (in->n_attrs) {
		KFIELDS(BIZ);
		KEY("attributes");
		len = attributes_obj(o, len, in);
	} else {
		KFIELDS_AND(BIZ, ",\"attributes\":{}");
	}
	KEY("timeout");
	PUT(r->timeout ? "true}\n" : "false}\n", r->timeout ? 6 : 7);
	return finish(o, len);
}

/* The longest line a record can make, its NUL included, when its strings
 * are its own arrays' (a pipeline's record: r->priv set): every byte of
 * every string escaped as \u00XX (6), numbers of 20 characters, and 1 KiB
 * for the keys and what stands between the values (about 700 bytes). */
#define ESCAPED(size) (6 * ((size) - 1) + 2)
#define STR_MAX(f) +ESCAPED(sizeof(((struct wbpf_l7_info *)0)->f))
#define LINE_MAX_BASE                                                                        \
	(1024 + 16 * 20 + 2 * (INET6_ADDRSTRLEN + 2) + ESCAPED(16) L7_INFO_STRINGS(STR_MAX))
#define ATTR_MAX_TEXT (ESCAPED(L7_STR_SHORT) + ESCAPED(L7_STR_LONG) + 2)

static size_t line_max(const struct wbpf_l7_record *r)
{
	unsigned n = r->info->n_attrs < L7_ATTR_MAX ? r->info->n_attrs : L7_ATTR_MAX;

	if (!r->priv || !r->proc_name || r->proc_name[15])
		return SIZE_MAX;
	return LINE_MAX_BASE + (size_t)n * ATTR_MAX_TEXT;
}

/* When the longest line fits, no piece needs to be checked: the writer's
 * size is then the largest there is, and the compiler drops the checks
 * (a third of writing a line). */
size_t wbpf_l7_record__format_json(const struct wbpf_l7_record *r, char *buf, size_t size)
{
	if (size >= line_max(r))
		return format_json(r, (struct out){buf, SIZE_MAX});
	return format_json(r, (struct out){buf, size});
}

static const char *status_str(enum l7_status s)
{
	switch (s) {
	case L7_STATUS_OK: return "ok";
	case L7_STATUS_TIMEOUT: return "timeout";
	case L7_STATUS_SERVER_ERROR: return "server_error";
	case L7_STATUS_CLIENT_ERROR: return "client_error";
	default: return "unknown";
	}
}

void wbpf_l7_record__fprint_header(FILE *f)
{
	fprintf(f, "%-17s %-6s %-45s %-8s %-40s %-12s %5s %10s\n", "TIME", "PROTO",
		"CLIENT -> SERVER", "TYPE", "RESOURCE", "STATUS", "CODE", "LATENCY_US");
}

size_t wbpf_l7_record__format_row(const struct wbpf_l7_record *r, char *buf, size_t size)
{
	const struct wbpf_l7_info *in = r->info;
	char c[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN], ends[128], code[16] = "-", lat[24] = "-";
	uint64_t t = r->req_time_us ? r->req_time_us : r->resp_time_us;
	int n;

	l7_ip_str(r->family, r->client_ip, c, sizeof(c));
	l7_ip_str(r->family, r->server_ip, s, sizeof(s));
	snprintf(ends, sizeof(ends), "%s:%u -> %s:%u", c, r->client_port, s, r->server_port);
	if (in->has_response_code)
		snprintf(code, sizeof(code), "%d", in->response_code);
	if (r->latency_us >= 0)
		snprintf(lat, sizeof(lat), "%" PRId64, r->latency_us);
	n = snprintf(buf, size, "%10" PRIu64 ".%06" PRIu64 " %-6.6s %-45s %-8.8s %-40.40s %-12s %5s %10s\n",
		     t / 1000000, t % 1000000, in->protocol_str, ends, in->request_type,
		     in->request_resource, status_str(in->response_status), code, lat);
	return n < 0 ? 0 : (size_t)n;
}

void wbpf_l7_stats__fprint(const struct wbpf_l7_stats *st, const struct wbpf_l7_plugin_counters *pl,
		      unsigned n_plugins, FILE *f)
{
	fprintf(f,
		"summary: %" PRIu64 " packets (%" PRIu64 " bytes), %" PRIu64 " flows, %" PRIu64
		" records\n"
		"  flows: %" PRIu64 " evicted, %" PRIu64 " of unknown protocol\n"
		"  packets: %" PRIu64 " not TCP/UDP over IP, %" PRIu64 " malformed, %" PRIu64
		" IP fragments (%" PRIu64 " datagrams reassembled, %" PRIu64 " given up)\n"
		"  tcp: %" PRIu64 " gaps (%" PRIu64 " bytes), %" PRIu64 " bytes retransmitted\n"
		"  messages: %" PRIu64 " over the size limit, %" PRIu64 " not parsed, %" PRIu64
		" HTTP hook failures\n"
		"  sessions: %" PRIu64 " requests timed out, %" PRIu64 " responses without request, %" PRIu64
		" parts of multi-record exchanges merged\n",
		st->packets, st->bytes, st->flows, st->records, st->flows_evicted, st->flows_unknown,
		st->not_ip, st->malformed, st->ip_fragments, st->ip_reassembled, st->ip_frags_dropped,
		st->gaps, st->gap_bytes,
		st->retransmitted_bytes, st->msgs_too_big, st->parse_errors, st->hook_failures,
		st->requests_timed_out, st->responses_orphan, st->merged_parts);
	for (unsigned i = 0; i < WBPF_L7_NPROTO; i++)
		if (st->records_by_proto[i])
			fprintf(f, "  %-8s %" PRIu64 " records\n", wbpf_l7_protocol__str(i),
				st->records_by_proto[i]);
	for (unsigned i = 0; i < n_plugins; i++)
		fprintf(f,
			"  plugin %s: %" PRIu64 " calls, %" PRIu64 " failures, %.3f ms, %" PRIu64
			" records over --max-records dropped%s\n",
			pl[i].name, pl[i].calls, pl[i].failures, (double)pl[i].time_ns / 1e6,
			pl[i].records_dropped, pl[i].disabled ? ", disabled" : "");
}
