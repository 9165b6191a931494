// SPDX-License-Identifier: MIT
/*
 * trace_dns's operator, on wbpf's own ABI: parses the DNS message the BPF
 * side copied into id, query or response, name, type, rcode and the
 * answers' addresses and names, and pairs each response with its query
 * (same id, same client address and port) to give its latency. Packets
 * that are not DNS messages are dropped.
 */
#include <stdio.h>
#include <string.h>

#include <gadget/wbpf_op.h>

#define REC_MAX 1024
#define NAME_MAX_ 256
#define MAX_ANSWERS 16
#define PENDING 1024 /* queries waiting for their response */

static struct wg_field ts, src, dst, dns, dns_len, f_id, f_qr, f_name, f_qtype, f_rcode,
	f_answers, f_latency;
static uint8_t rec[REC_MAX];

struct pending {
	uint64_t ts;
	uint8_t client[20]; /* address and port */
	uint16_t id;
	uint8_t used;
};
static struct pending pending[PENDING];

WG_EXPORT(gadgetInit) int32_t gadgetInit(void)
{
	int32_t ds = wg_ds("dns");

	if (ds < 0 || wg_field(ds, "timestamp_raw", &ts) < 0 || wg_field(ds, "src", &src) < 0 ||
	    wg_field(ds, "dst", &dst) < 0 || wg_field(ds, "dns", &dns) < 0 ||
	    wg_field(ds, "dns_len", &dns_len) < 0 ||
	    wg_field_add(ds, "id", WG_UINT16, &f_id) < 0 ||
	    wg_field_add(ds, "qr", WG_STRING, &f_qr) < 0 ||
	    wg_field_add(ds, "name", WG_STRING, &f_name) < 0 ||
	    wg_field_add(ds, "qtype", WG_STRING, &f_qtype) < 0 ||
	    wg_field_add(ds, "rcode", WG_STRING, &f_rcode) < 0 ||
	    wg_field_add(ds, "answers", WG_STRING | WG_ARRAY, &f_answers) < 0 ||
	    wg_field_add(ds, "latency_ns", WG_UINT64, &f_latency) < 0) {
		wg_log(WG_LOG_ERROR, "trace_dns: fields missing");
		return 1;
	}
	wg_field_hide(dns.h, 1);
	wg_field_hide(dns_len.h, 1);
	return wg_subscribe(ds, 0, rec, sizeof(rec), 0) < 0;
}

/* ---------------------------------------------------------- the message */

struct msg {
	const uint8_t *p;
	uint32_t len;
};

static uint16_t u16at(const struct msg *m, uint32_t off)
{
	return off + 2 <= m->len ? (uint16_t)(m->p[off] << 8 | m->p[off + 1]) : 0;
}

/* The name at *off as "a.b.c" into out; *off moves past it (not past the
 * target of a compression pointer). 0, or -1 when malformed. */
static int read_name(const struct msg *m, uint32_t *off, char *out, uint32_t size)
{
	uint32_t at = *off, n = 0, jumps = 0;
	int jumped = 0;

	for (;;) {
		uint8_t l;

		if (at >= m->len)
			return -1;
		l = m->p[at];
		if ((l & 0xc0) == 0xc0) {
			if (at + 1 >= m->len || ++jumps > 32)
				return -1;
			if (!jumped)
				*off = at + 2;
			jumped = 1;
			at = (uint32_t)(l & 0x3f) << 8 | m->p[at + 1];
			continue;
		}
		if (l & 0xc0)
			return -1;
		at++;
		if (!l)
			break;
		if (at + l > m->len || n + l + 2 > size)
			return -1;
		if (n)
			out[n++] = '.';
		memcpy(out + n, m->p + at, l);
		n += l;
		at += l;
	}
	if (!jumped)
		*off = at;
	out[n] = '\0';
	return 0;
}

static void type_name(uint16_t t, char *out, size_t size)
{
	static const struct { uint16_t t; const char *s; } names[] = {
		{1, "A"}, {2, "NS"}, {5, "CNAME"}, {6, "SOA"}, {12, "PTR"}, {15, "MX"},
		{16, "TXT"}, {28, "AAAA"}, {33, "SRV"}, {65, "HTTPS"}, {255, "ANY"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == t) {
			snprintf(out, size, "%s", names[i].s);
			return;
		}
	snprintf(out, size, "TYPE%u", t);
}

static const char *rcode_name(unsigned r)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP", "REFUSED"};

	return r < 6 ? names[r] : "OTHER";
}

/* One answer's data as text (addresses, names); 0 if shown, -1 if not. */
static int rdata_text(const struct msg *m, uint16_t type, uint32_t off, uint16_t rdlen,
		      char *out, size_t size)
{
	const uint8_t *d = m->p + off;
	uint32_t at = off;

	if (type == 1 && rdlen == 4) {
		snprintf(out, size, "%u.%u.%u.%u", d[0], d[1], d[2], d[3]);
		return 0;
	}
	if (type == 28 && rdlen == 16) {
		size_t n = 0;

		for (int i = 0; i < 16 && n < size; i += 2)
			n += (size_t)snprintf(out + n, size - n, "%s%x", i ? ":" : "",
					      d[i] << 8 | d[i + 1]);
		return 0;
	}
	if (type == 5 || type == 12 || type == 2)
		return read_name(m, &at, out, (uint32_t)size);
	return -1;
}

/* The answers, NUL-separated into out; their bytes. */
static uint32_t answers(const struct msg *m, uint32_t off, uint16_t an, char *out, uint32_t size)
{
	char name[NAME_MAX_], text[NAME_MAX_];
	uint32_t n = 0;

	for (uint16_t i = 0; i < an && i < MAX_ANSWERS; i++) {
		uint16_t type, rdlen;
		size_t l;

		if (read_name(m, &off, name, sizeof(name)) || off + 10 > m->len)
			break;
		type = u16at(m, off);
		rdlen = u16at(m, off + 8);
		off += 10;
		if (off + rdlen > m->len)
			break;
		if (!rdata_text(m, type, off, rdlen, text, sizeof(text)) &&
		    n + (l = strlen(text)) + 1 <= size) {
			memcpy(out + n, text, l + 1);
			n += (uint32_t)l + 1;
		}
		off += rdlen;
	}
	return n ? n - 1 : 0; /* no NUL after the last */
}

/* ------------------------------------------------------------ pairing */

static struct pending *slot(uint16_t id, const uint8_t *client)
{
	uint32_t h = id;

	for (int i = 0; i < 20; i++)
		h = h * 31 + client[i];
	return &pending[h % PENDING];
}

static uint64_t pair(int response, uint16_t id, uint64_t now)
{
	const uint8_t *client = wg_bytes(response ? &dst : &src, rec);
	struct pending *p = slot(id, client);

	if (!response) {
		*p = (struct pending){now, {0}, id, 1};
		memcpy(p->client, client, sizeof(p->client));
		return 0;
	}
	if (!p->used || p->id != id || memcmp(p->client, client, sizeof(p->client)) ||
	    now < p->ts)
		return 0;
	p->used = 0;
	return now - p->ts;
}

WG_EXPORT(wbpf_gadget_event) int32_t wbpf_gadget_event(uint32_t cookie, int32_t data,
						       uint32_t len)
{
	struct msg m = {wg_bytes(&dns, rec), wg_u32(&dns_len, rec)};
	char name[NAME_MAX_], qtype[16], list[1024];
	uint16_t id, flags, qd, an, qt;
	uint32_t off = 12;
	int response;
	struct wg_val v[7];

	(void)cookie, (void)len;
	if (m.len > dns.size)
		m.len = dns.size;
	id = u16at(&m, 0);
	flags = u16at(&m, 2);
	qd = u16at(&m, 4);
	an = u16at(&m, 6);
	if (m.len < 12 || qd != 1 || read_name(&m, &off, name, sizeof(name)) || off + 4 > m.len)
		return WG_DROP; /* not a DNS message with one question */
	qt = u16at(&m, off);
	off += 4;
	type_name(qt, qtype, sizeof(qtype));
	response = flags >> 15;
	v[0] = wg_scalar(&f_id, id);
	v[1] = wg_buf(&f_qr, response ? "R" : "Q", 1);
	v[2] = wg_buf(&f_name, name, (uint32_t)strlen(name));
	v[3] = wg_buf(&f_qtype, qtype, (uint32_t)strlen(qtype));
	v[4] = wg_buf(&f_rcode, response ? rcode_name(flags & 0xf) : "", response ? 
		      (uint32_t)strlen(rcode_name(flags & 0xf)) : 0);
	v[5] = wg_buf(&f_answers, list, response ? answers(&m, off, an, list, sizeof(list)) : 0);
	v[6] = wg_scalar(&f_latency, pair(response, id, wg_u64(&ts, rec)));
	wg_set(data, v, 7);
	return WG_KEEP;
}
