// SPDX-License-Identifier: MIT
/*
 * DNS over UDP and TCP as a `wbpf_l7` plugin, in place of wbpf's built-in
 * parser (plugins are asked first). Queries give the name and type,
 * responses the rcode and answers; both carry the DNS id, which pairs them.
 *	wbpf l7 ... --plugin dns.wasm [--plugin-arg port=53]
 */
#include <stdbool.h>
#include <string.h>

#include <wbpf/l7_plugin.h>

#define PROTO_DNS 120
#define HDR 12

static unsigned long port = 53;

WBPF_L7_HOOK(wbpf_l7_init)
{
	wbpf_l7_set_name("DNS");
	return wbpf_l7_config_uint("port", 65535, &port) < 0;
}

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* The DNS message of a payload: after the length prefix over TCP. 0, or
 * WBPF_L7_AGAIN when a TCP message is not all there, or -1. */
static int message(const struct wbpf_l7_ctx *c, const uint8_t **m, size_t *n)
{
	const uint8_t *p = wbpf_l7_bytes(c, c->payload);
	size_t len = c->payload.len;

	if (c->l4 == 6) {
		if (len < 2 || len - 2 < be16(p))
			return WBPF_L7_AGAIN;
		len = be16(p);
		p += 2;
	}
	*m = p;
	*n = len;
	return len >= HDR ? 0 : -1;
}

/* One question, one opcode-0 query or response: enough to tell DNS apart. */
static bool plausible(const uint8_t *m, size_t n)
{
	return n >= HDR && be16(m + 4) == 1 && ((m[2] >> 3) & 0xf) == 0 && (m[3] & 0x40) == 0;
}

WBPF_L7_HOOK(wbpf_l7_check)
{
	const struct wbpf_l7_ctx *c = wbpf_l7_context();
	const uint8_t *m;
	size_t n;

	if ((c->l4 != 17 && c->l4 != 6) || message(c, &m, &n) || !plausible(m, n))
		return 0;
	if (c->dport != port && c->sport != port)
		return 0;
	return PROTO_DNS | (m[2] & 0x80 ? WBPF_L7_S2C : 0);
}

/* A name at off (compression followed, at most 64 jumps) as dotted text
 * without the root's dot ("example.com");
 * returns the offset after it in the message, or 0. */
static size_t name(const uint8_t *m, size_t n, size_t off, char *out, size_t cap)
{
	size_t at = 0, end = 0;

	for (int jumps = 0; off < n && jumps < 64;) {
		unsigned l = m[off];

		if ((l & 0xc0) == 0xc0) {
			if (off + 1 >= n)
				return 0;
			end = end ? end : off + 2;
			off = (l & 0x3f) << 8 | m[off + 1];
			jumps++;
			continue;
		}
		if (l == 0) {
			out[at] = '\0';
			return end ? end : off + 1;
		}
		if ((l & 0xc0) || off + 1 + l > n)
			return 0;
		if (at && at + 1 < cap)
			out[at++] = '.';
		for (unsigned i = 0; i < l && at + 1 < cap; i++)
			out[at++] = (char)m[off + 1 + i];
		off += 1 + l;
	}
	return 0;
}

/* Decimal digits of v at out (no NUL); their count. printf costs
 * thousands of instructions a call, interpreted: numbers are written by
 * hand on this per-message path. */
static size_t utoa(unsigned v, char *out)
{
	char tmp[10];
	size_t n = 0, i = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		out[i++] = tmp[--n];
	return i;
}

static const char *type_name(unsigned t, char *buf)
{
	static const struct {
		unsigned t;
		const char *s;
	} names[] = { { 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" },
		      { 15, "MX" }, { 16, "TXT" }, { 28, "AAAA" }, { 33, "SRV" }, { 65, "HTTPS" },
		      { 255, "ANY" } };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == t)
			return names[i].s;
	memcpy(buf, "TYPE", 4);
	buf[4 + utoa(t, buf + 4)] = '\0';
	return buf;
}

/* Addresses of the A answers, ';'-separated. */
static void answers(const uint8_t *m, size_t n, size_t off, unsigned count, char *out, size_t cap)
{
	char skip[256];
	size_t len = 0;

	for (unsigned i = 0; i < count && off; i++) {
		size_t at = name(m, n, off, skip, sizeof(skip));
		unsigned type, rdlen;

		if (!at || at + 10 > n)
			break;
		type = be16(m + at);
		rdlen = be16(m + at + 8);
		off = at + 10 + rdlen;
		if (off > n)
			break;
		if (type != 1 || rdlen != 4 || len + 17 > cap)
			continue;
		if (len)
			out[len++] = ';';
		for (int b = 0; b < 4; b++) {
			len += utoa(m[at + 10 + b], out + len);
			if (b < 3)
				out[len++] = '.';
		}
	}
	out[len] = '\0';
}

WBPF_L7_HOOK(wbpf_l7_parse)
{
	const struct wbpf_l7_ctx *c = wbpf_l7_context();
	char qname[256], tbuf[16], result[256], count[12];
	const uint8_t *m;
	size_t n, at;
	int r = message(c, &m, &n);
	bool response;

	if (r)
		return r == WBPF_L7_AGAIN ? r : 0;
	if (!plausible(m, n) || !(at = name(m, n, HDR, qname, sizeof(qname))) || at + 4 > n)
		return 0;
	response = m[2] & 0x80;
	wbpf_l7_record(response ? WBPF_L7_REC_RESPONSE : WBPF_L7_REC_REQUEST);
	wbpf_l7_set_int(WBPF_L7_REQUEST_ID, be16(m));
	wbpf_l7_set_str(WBPF_L7_REQUEST_TYPE, type_name(be16(m + at), tbuf));
	wbpf_l7_set_str(WBPF_L7_REQUEST_RESOURCE, qname);
	wbpf_l7_set_int(response ? WBPF_L7_RESP_LEN : WBPF_L7_REQ_LEN, (int64_t)n);
	if (!response)
		return 1;
	unsigned rcode = m[3] & 0xf;

	wbpf_l7_set_int(WBPF_L7_RESPONSE_CODE, rcode);
	/* As DeepFlow: no such name is the client's error, the rest the server's. */
	wbpf_l7_set_int(WBPF_L7_RESPONSE_STATUS, rcode == 0 ? 0 : rcode == 3 ? 4 : 3);
	answers(m, n, at + 4, be16(m + 6), result, sizeof(result));
	wbpf_l7_set_str(WBPF_L7_RESPONSE_RESULT, result);
	count[utoa(be16(m + 6), count)] = '\0';
	wbpf_l7_add_attr("answers", count);
	return 1;
}
