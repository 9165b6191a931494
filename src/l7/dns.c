// SPDX-License-Identifier: MIT
/* The built-in DNS parser, UDP (one message a datagram) and TCP (each
 * message behind a 2-byte length). Names are decoded with compression
 * pointers followed a bounded number of times. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "l7/internal.h"

#define DNS_HDR 12
#define MAX_JUMPS 32

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Decodes the name at *off into out (dotted, "" for the root) and moves
 * *off past it; -EINVAL on a bad label or pointer. */
static int read_name(const uint8_t *p, uint32_t len, uint32_t *off, char *out, size_t size)
{
	uint32_t pos = *off, o = 0;
	int jumps = 0;
	bool jumped = false;

	for (;;) {
		if (pos >= len)
			return -EINVAL;
		uint8_t l = p[pos];

		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++jumps > MAX_JUMPS)
				return -EINVAL;
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			pos = (uint32_t)(l & 0x3f) << 8 | p[pos + 1];
			continue;
		}
		if (l & 0xc0)
			return -EINVAL;
		if (!l) {
			if (!jumped)
				*off = pos + 1;
			break;
		}
		if (pos + 1 + l > len)
			return -EINVAL;
		for (uint32_t i = 0; i <= l; i++) {
			char c = i ? (char)p[pos + i] : '.';

			if ((o || i) && o + 1 < size)
				out[o++] = c;
		}
		pos += 1 + l;
	}
	if (size)
		out[o < size ? o : size - 1] = '\0';
	return 0;
}

static const char *type_name(uint16_t t, char *buf, size_t size)
{
	static const struct {
		uint16_t t;
		const char *n;
	} names[] = {{1, "A"},	   {2, "NS"},	 {5, "CNAME"}, {6, "SOA"},   {12, "PTR"},
		     {15, "MX"},   {16, "TXT"},	 {28, "AAAA"}, {33, "SRV"},  {35, "NAPTR"},
		     {41, "OPT"},  {43, "DS"},	 {46, "RRSIG"}, {48, "DNSKEY"}, {64, "SVCB"},
		     {65, "HTTPS"}, {255, "ANY"}, {257, "CAA"}};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == t)
			return names[i].n;
	snprintf(buf, size, "TYPE%u", t);
	return buf;
}

/* The DNS message in a payload: after the length on TCP. */
static const uint8_t *dns_body(const struct l7_msg *m, uint32_t *len, bool *partial)
{
	*partial = false;
	if (m->tuple.l4 != IPPROTO_TCP) {
		*len = m->len;
		return m->payload;
	}
	if (m->len < 2)
		return NULL;
	*len = be16(m->payload);
	if (*len + 2u > m->len) {
		*partial = true;
		*len = m->len - 2;
	}
	return m->payload + 2;
}

/* A header and a question that make sense. */
static bool plausible(const uint8_t *p, uint32_t len)
{
	uint32_t off = DNS_HDR;
	char name[256];
	uint8_t opcode;

	if (len < DNS_HDR + 5)
		return false;
	opcode = (p[2] >> 3) & 15;
	if (be16(p + 4) != 1 || (opcode != 0 && opcode != 2 && opcode != 4 && opcode != 5) ||
	    be16(p + 6) > 512 || be16(p + 8) > 512 || be16(p + 10) > 512)
		return false;
	if (read_name(p, len, &off, name, sizeof(name)) || off + 4 > len)
		return false;
	uint16_t cls = be16(p + off + 2);

	return cls == 1 || cls == 3 || cls == 4 || cls == 254 || cls == 255;
}

static int dns_check(void *self, const struct l7_msg *m, enum l7_direction *dir)
{
	const uint8_t *p;
	uint32_t len;
	bool partial;

	(void)self;
	p = dns_body(m, &len, &partial);
	if (!p || !plausible(p, len))
		return 0;
	*dir = (p[2] & 0x80) ? L7_S2C : L7_C2S;
	return L7_PROTO_DNS;
}

static void add_answer(struct wbpf_l7_info *info, const uint8_t *p, uint32_t len, uint16_t type,
		       uint32_t rd, uint16_t rdlen)
{
	char val[256];
	size_t used = strlen(info->response_result);
	uint32_t off = rd;

	if (type == 1 && rdlen == 4)
		inet_ntop(AF_INET, p + rd, val, sizeof(val));
	else if (type == 28 && rdlen == 16)
		inet_ntop(AF_INET6, p + rd, val, sizeof(val));
	else if ((type == 5 || type == 2 || type == 12) && !read_name(p, len, &off, val, sizeof(val)))
		;
	else
		return;
	snprintf(info->response_result + used, sizeof(info->response_result) - used, "%s%s",
		 used ? ";" : "", val);
}

/* Answers into response_result (addresses and names, ';'-separated). */
static int answers(struct wbpf_l7_info *info, const uint8_t *p, uint32_t len, uint32_t off,
		   unsigned n)
{
	char name[256];

	for (unsigned i = 0; i < n; i++) {
		if (read_name(p, len, &off, name, sizeof(name)) || off + 10 > len)
			return -EINVAL;
		uint16_t type = be16(p + off), rdlen = be16(p + off + 8);

		off += 10;
		if (off + rdlen > len)
			return -EINVAL;
		add_answer(info, p, len, type, off, rdlen);
		off += rdlen;
	}
	return 0;
}

static enum l7_status rcode_status(unsigned rcode)
{
	switch (rcode) {
	case 0:
		return L7_STATUS_OK;
	case 2:
		return L7_STATUS_SERVER_ERROR;
	default:
		return L7_STATUS_CLIENT_ERROR;
	}
}

static const char *rcode_name(unsigned rcode)
{
	static const char *const n[] = {"NoError", "FormErr", "ServFail", "NXDomain", "NotImp",
					"Refused", "YXDomain", "YXRRSet", "NXRRSet", "NotAuth",
					"NotZone"};

	return rcode < sizeof(n) / sizeof(n[0]) ? n[rcode] : "Unknown";
}

static int dns_parse(void *self, const struct l7_msg *m, struct wbpf_l7_info *out, int max)
{
	const uint8_t *p;
	uint32_t len, off = DNS_HDR;
	char name[256], tbuf[16], num[12];
	bool partial, resp;

	(void)self;
	if (max < 1)
		return -ENOSPC;
	p = dns_body(m, &len, &partial);
	if (!p)
		return -EAGAIN;
	if (partial)
		return m->truncated ? -EINVAL : -EAGAIN;
	if (!plausible(p, len))
		return -EINVAL;
	resp = p[2] & 0x80;
	l7_info__init(out, resp ? L7_MSG_RESPONSE : L7_MSG_REQUEST);
	out->protocol = L7_PROTO_DNS;
	out->has_request_id = true;
	out->request_id = be16(p);
	read_name(p, len, &off, name, sizeof(name));
	const char *tn = type_name(be16(p + off), tbuf, sizeof(tbuf));

	l7_info__set_str(out->request_type, sizeof(out->request_type), tn, strlen(tn));
	l7_info__set_str(out->request_resource, sizeof(out->request_resource), name, strlen(name));
	l7_info__set_str(out->request_domain, sizeof(out->request_domain), name, strlen(name));
	l7_info__set_str(out->endpoint, sizeof(out->endpoint), name, strlen(name));
	if (resp) {
		unsigned rcode = p[3] & 15, an = be16(p + 6);

		out->resp_len = len;
		out->has_response_code = true;
		out->response_code = (int32_t)rcode;
		out->response_status = rcode_status(rcode);
		if (rcode)
			l7_info__set_str(out->response_exception, sizeof(out->response_exception),
					 rcode_name(rcode), strlen(rcode_name(rcode)));
		answers(out, p, len, off + 4, an);
		snprintf(num, sizeof(num), "%u", an);
		l7_info__add_attr(out, "answer_count", 12, num, strlen(num));
	} else {
		out->req_len = len;
	}
	out->msg_end = m->tuple.l4 == IPPROTO_TCP ? len + 2u : 0;
	return 1;
}

const struct wbpf_l7_parser l7_dns_parser = {
	.name = "dns",
	.check = dns_check,
	.parse = dns_parse,
};
