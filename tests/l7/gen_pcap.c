// SPDX-License-Identifier: MIT
/*
 * Writes hand-made capture files for the L7 tests and the benchmark:
 *
 *   gen_pcap SCENARIO OUT.pcap [N]
 *
 * (bench and flows, for bench/l7/pipeline.sh, take a size N.)
 *
 * Each scenario is a TCP or UDP conversation with one thing done to it
 * (reordered, retransmitted, overlapping, missing or cut segments, ...);
 * tests/l7/run.sh knows what wbpf must make of each. Sequence and
 * acknowledgement numbers are those a real exchange would have.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LT_NULL = 0, LT_ETH = 1, LT_RAW = 101, LT_SLL = 113, LT_SLL2 = 276 };

struct gen {
	FILE *f;
	int linktype;
	uint32_t snaplen;
	uint64_t t_us;
	int vlan;  /* add an 802.1Q tag */
	bool v6;
	uint16_t ip_id;
};

struct conn {
	uint8_t cip[16], sip[16];
	uint16_t cport, sport;
	uint32_t cseq, sseq; /* next sequence number each side sends */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void file_header(struct gen *g)
{
	uint32_t h[6] = {0xa1b2c3d4, 0x00040002, 0, 0, g->snaplen, (uint32_t)g->linktype};

	fwrite(h, 1, 24, g->f);
}

/* The link header for an IP packet of version `ipv`. */
static size_t link_header(const struct gen *g, uint8_t *p, int ipv)
{
	uint16_t etype = ipv == 6 ? 0x86dd : 0x0800;

	switch (g->linktype) {
	case LT_ETH: {
		static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
		size_t n = 12;

		memcpy(p, macs, 12);
		if (g->vlan) {
			put16(p + n, 0x8100);
			put16(p + n + 2, (uint16_t)g->vlan);
			n += 4;
		}
		put16(p + n, etype);
		return n + 2;
	}
	case LT_SLL:
		memset(p, 0, 16);
		put16(p + 2, 772);
		put16(p + 14, etype);
		return 16;
	case LT_SLL2:
		memset(p, 0, 20);
		put16(p, etype);
		put16(p + 8, 772);
		return 20;
	case LT_NULL: {
		uint32_t af = ipv == 6 ? 30 : 2; /* host order, as BSD writes it */

		memcpy(p, &af, 4);
		return 4;
	}
	}
	return 0;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* One packet: IP header, then `l4` (a TCP or UDP header and its payload). */
static void emit(struct gen *g, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		 const uint8_t *l4, size_t l4len, uint16_t frag)
{
	static uint8_t pkt[70000];
	size_t n = link_header(g, pkt, g->v6 ? 6 : 4), ip = n;
	uint32_t rec[4];

	if (g->v6) {
		memset(pkt + n, 0, 40);
		pkt[n] = 0x60;
		put16(pkt + n + 4, (uint16_t)l4len);
		pkt[n + 6] = proto;
		pkt[n + 7] = 64;
		memcpy(pkt + n + 8, src, 16);
		memcpy(pkt + n + 24, dst, 16);
		n += 40;
	} else {
		memset(pkt + n, 0, 20);
		pkt[n] = 0x45;
		put16(pkt + n + 2, (uint16_t)(20 + l4len));
		put16(pkt + n + 4, frag ? 777 : g->ip_id++);
		put16(pkt + n + 6, frag);
		pkt[n + 8] = 64;
		pkt[n + 9] = proto;
		memcpy(pkt + n + 12, src, 4);
		memcpy(pkt + n + 16, dst, 4);
		put16(pkt + n + 10, csum(pkt + n, 20));
		n += 20;
	}
	(void)ip;
	memcpy(pkt + n, l4, l4len);
	n += l4len;
	g->t_us += 100;
	rec[0] = (uint32_t)(g->t_us / 1000000);
	rec[1] = (uint32_t)(g->t_us % 1000000);
	rec[2] = (uint32_t)(n < g->snaplen ? n : g->snaplen);
	rec[3] = (uint32_t)n;
	fwrite(rec, 1, 16, g->f);
	fwrite(pkt, 1, rec[2], g->f);
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

/* A segment from the client (c2s) or the server at an explicit sequence
 * number, acknowledging everything the other side has sent so far. */
static void seg_at(struct gen *g, struct conn *c, bool c2s, uint32_t seq, uint8_t flags,
		   const void *data, size_t len)
{
	static uint8_t tcp[70000];

	memset(tcp, 0, 20);
	put16(tcp, c2s ? c->cport : c->sport);
	put16(tcp + 2, c2s ? c->sport : c->cport);
	put32(tcp + 4, seq);
	put32(tcp + 8, (flags & F_ACK) ? (c2s ? c->sseq : c->cseq) : 0);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	memcpy(tcp + 20, data, len);
	emit(g, c2s ? c->cip : c->sip, c2s ? c->sip : c->cip, 6, tcp, 20 + len, 0);
}

/* The next segment in order from one side. */
static void seg(struct gen *g, struct conn *c, bool c2s, const void *data, size_t len)
{
	uint32_t *seq = c2s ? &c->cseq : &c->sseq;

	seg_at(g, c, c2s, *seq, F_ACK | F_PSH, data, len);
	*seq += (uint32_t)len;
}

static void sends(struct gen *g, struct conn *c, bool c2s, const char *s)
{
	seg(g, c, c2s, s, strlen(s));
}

static void conn_init(struct gen *g, struct conn *c, unsigned n)
{
	memset(c, 0, sizeof(*c));
	if (g->v6) {
		c->cip[0] = 0xfd;
		c->cip[15] = 1;
		c->sip[0] = 0xfd;
		c->sip[15] = 2;
		c->cip[13] = (uint8_t)(n >> 8);
		c->cip[14] = (uint8_t)n;
	} else {
		c->cip[0] = 10;
		c->cip[1] = (uint8_t)(n >> 8);
		c->cip[2] = (uint8_t)n;
		c->cip[3] = 1;
		c->sip[0] = 10;
		c->sip[3] = 2;
	}
	c->cport = (uint16_t)(40000 + n % 20000);
	c->sport = 80;
	c->cseq = 1000 + n * 7919;
	c->sseq = 5000000 + n * 104729;
}

static void open_conn(struct gen *g, struct conn *c)
{
	seg_at(g, c, true, c->cseq++, F_SYN, NULL, 0);
	seg_at(g, c, false, c->sseq++, F_SYN | F_ACK, NULL, 0);
	seg_at(g, c, true, c->cseq, F_ACK, NULL, 0);
}

static void close_conn(struct gen *g, struct conn *c)
{
	seg_at(g, c, true, c->cseq++, F_FIN | F_ACK, NULL, 0);
	seg_at(g, c, false, c->sseq++, F_FIN | F_ACK, NULL, 0);
	seg_at(g, c, true, c->cseq, F_ACK, NULL, 0);
}

static const char resp_ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
static const char resp_404[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";

/* ------------------------------------------------------------ scenarios */

/* A plain exchange: request, response. */
static void basic(struct gen *g)
{
	struct conn c;

	conn_init(g, &c, 1);
	open_conn(g, &c);
	sends(g, &c, true, "GET /basic HTTP/1.1\r\nHost: example.test\r\nUser-Agent: gen\r\n\r\n");
	sends(g, &c, false, resp_ok);
	close_conn(g, &c);
}

/* The request's three segments arrive 1, 3, 2. */
static void reorder(struct gen *g)
{
	const char *req = "GET /reordered/path HTTP/1.1\r\nHost: reorder.test\r\n\r\n";
	struct conn c;
	uint32_t s0;

	conn_init(g, &c, 1);
	open_conn(g, &c);
	s0 = c.cseq;
	seg_at(g, &c, true, s0, F_ACK, req, 10);
	seg_at(g, &c, true, s0 + 20, F_ACK, req + 20, strlen(req) - 20);
	seg_at(g, &c, true, s0 + 10, F_ACK, req + 10, 10);
	c.cseq += (uint32_t)strlen(req);
	sends(g, &c, false, resp_ok);
	close_conn(g, &c);
}

/* Every segment of the request sent twice, the response's too. */
static void retrans(struct gen *g)
{
	const char *req = "GET /retransmitted HTTP/1.1\r\nHost: retrans.test\r\n\r\n";
	struct conn c;
	uint32_t s0;

	conn_init(g, &c, 1);
	open_conn(g, &c);
	s0 = c.cseq;
	for (int rep = 0; rep < 2; rep++) {
		seg_at(g, &c, true, s0, F_ACK, req, 15);
		seg_at(g, &c, true, s0 + 15, F_ACK, req + 15, strlen(req) - 15);
	}
	c.cseq += (uint32_t)strlen(req);
	seg_at(g, &c, false, c.sseq, F_ACK, resp_ok, strlen(resp_ok));
	sends(g, &c, false, resp_ok);
	close_conn(g, &c);
}

/* Two segments overlap with different bytes: the first copy must win,
 * whether it came in order (A then B) or early (B then A). */
static void overlap(struct gen *g, bool b_first)
{
	const char a[] = "GET /aaaaaaaaaaaaaaa";
	const char b[] = "bbbbbbbbbb HTTP/1.1\r\nHost: overlap.test\r\n\r\n";
	struct conn c;
	uint32_t s0;

	conn_init(g, &c, 1);
	open_conn(g, &c);
	s0 = c.cseq;
	if (!b_first)
		seg_at(g, &c, true, s0, F_ACK, a, 20);
	seg_at(g, &c, true, s0 + 10, F_ACK, b, strlen(b));
	if (b_first)
		seg_at(g, &c, true, s0, F_ACK, a, 20);
	c.cseq += 10 + (uint32_t)strlen(b);
	sends(g, &c, false, resp_ok);
	close_conn(g, &c);
}

/* The second half of request 1's headers is never captured; the server's
 * ACK shows it was sent. Request 2 must still be parsed. */
static void gap(struct gen *g)
{
	const char *r1a = "GET /one HTTP/1.1\r\nHo", *r1b = "st: one.test\r\n\r\n";
	const char *r2 = "GET /two HTTP/1.1\r\nHost: two.test\r\n\r\n";
	struct conn c;

	conn_init(g, &c, 1);
	open_conn(g, &c);
	sends(g, &c, true, r1a);
	c.cseq += (uint32_t)strlen(r1b); /* lost */
	sends(g, &c, true, r2);
	sends(g, &c, false, resp_ok);
	sends(g, &c, false, resp_404);
	close_conn(g, &c);
}

/* A 3 KiB request header over 12 segments and a 6000-byte response body
 * over 24. */
static void split(struct gen *g)
{
	static char req[4096], resp[8192];
	struct conn c;
	size_t n, off, m;

	n = (size_t)snprintf(req, sizeof(req), "GET /split?q=");
	memset(req + n, 'x', 3000);
	n += 3000;
	n += (size_t)snprintf(req + n, sizeof(req) - n, " HTTP/1.1\r\nHost: split.test\r\n\r\n");
	m = (size_t)snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Length: 6000\r\n\r\n");
	memset(resp + m, 'y', 6000);
	m += 6000;
	conn_init(g, &c, 1);
	open_conn(g, &c);
	for (off = 0; off < n; off += 256)
		seg(g, &c, true, req + off, n - off < 256 ? n - off : 256);
	for (off = 0; off < m; off += 250)
		seg(g, &c, false, resp + off, m - off < 250 ? m - off : 250);
	close_conn(g, &c);
}

/* Keep-alive and pipelining: three requests in one segment, then three
 * responses (the second chunked) in two segments cut mid-chunk. */
static void pipeline(struct gen *g)
{
	const char *reqs = "GET /p1 HTTP/1.1\r\nHost: pipe.test\r\n\r\n"
			   "GET /p2 HTTP/1.1\r\nHost: pipe.test\r\n\r\n"
			   "HEAD /p3 HTTP/1.1\r\nHost: pipe.test\r\n\r\n";
	const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
			"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwi";
	const char *r2 = "ki\r\n5\r\npedia\r\n0\r\n\r\n"
			 "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 99\r\n\r\n";
	struct conn c;

	conn_init(g, &c, 1);
	open_conn(g, &c);
	sends(g, &c, true, reqs);
	sends(g, &c, false, r);
	sends(g, &c, false, r2);
	close_conn(g, &c);
}

/* 50 connections send their requests, then all answer: with a small flow
 * table the early ones are evicted. */
static void overflow(struct gen *g)
{
	struct conn c[50];

	for (unsigned i = 0; i < 50; i++) {
		conn_init(g, &c[i], i + 1);
		open_conn(g, &c[i]);
		sends(g, &c[i], true, "GET /many HTTP/1.1\r\nHost: many.test\r\n\r\n");
	}
	for (unsigned i = 0; i < 50; i++) {
		sends(g, &c[i], false, resp_ok);
		close_conn(g, &c[i]);
	}
}

/* DNS over UDP: a query and its answer, and one never answered. */
static void dns_udp_frag(struct gen *g, uint16_t id, const char *name, bool answer, bool frag);

static void dns_udp(struct gen *g, uint16_t id, const char *name, bool answer)
{
	dns_udp_frag(g, id, name, answer, false);
}

/* The answer in two IPv4 fragments, the second sent first. */
static void dns_udp_frag(struct gen *g, uint16_t id, const char *name, bool answer, bool frag)
{
	uint8_t m[512], *p = m + 8;
	uint8_t cip[16] = {10, 0, 0, 1}, sip[16] = {10, 0, 0, 53};
	size_t n = 12;
	const char *s = name;

	memset(m, 0, sizeof(m));
	if (g->v6) {
		memset(cip, 0, 16);
		memset(sip, 0, 16);
		cip[0] = sip[0] = 0xfd;
		cip[15] = 1;
		sip[15] = 0x53;
	}
	put16(p, id);
	put16(p + 2, 0x0100);
	put16(p + 4, 1);
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		p[n++] = (uint8_t)l;
		memcpy(p + n, s, l);
		n += l;
		s += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	put16(p + n, 1);
	put16(p + n + 2, 1);
	n += 4;
	put16(m, 53000);
	put16(m + 2, 53);
	put16(m + 4, (uint16_t)(8 + n));
	emit(g, cip, sip, 17, m, 8 + n, 0);
	if (!answer)
		return;
	put16(p + 2, 0x8180);
	put16(p + 6, 1);
	static const uint8_t rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7};

	memcpy(p + n, rr, sizeof(rr));
	n += sizeof(rr);
	put16(m, 53);
	put16(m + 2, 53000);
	put16(m + 4, (uint16_t)(8 + n));
	if (!frag) {
		emit(g, sip, cip, 17, m, 8 + n, 0);
		return;
	}
	emit(g, sip, cip, 17, m + 24, 8 + n - 24, 3);
	emit(g, sip, cip, 17, m, 24, 0x2000);
}

static void dns(struct gen *g)
{
	dns_udp(g, 0x1234, "answered.example", true);
	dns_udp(g, 0x4321, "unanswered.example", false);
}

/* An IPv4 datagram in two fragments, then a whole exchange, then a DNS
 * answer in two fragments, out of order. */
static void frag(struct gen *g)
{
	uint8_t part[64];
	uint8_t a[16] = {10, 0, 0, 1}, b[16] = {10, 0, 0, 2};

	memset(part, 0xab, sizeof(part));
	emit(g, a, b, 17, part, 48, 0x2000);
	emit(g, a, b, 17, part, 16, 6);
	basic(g);
	dns_udp_frag(g, 0x0f0f, "fragmented.example", true, true);
}

/* Many HTTP and DNS transactions for the benchmark: `n` of each, over
 * n/10 keep-alive connections. */
static void bench(struct gen *g, unsigned n)
{
	unsigned conns = n / 10 ? n / 10 : 1;
	char req[256];

	for (unsigned k = 0; k < conns; k++) {
		struct conn c;

		conn_init(g, &c, k);
		open_conn(g, &c);
		for (unsigned i = 0; i < 10; i++) {
			snprintf(req, sizeof(req),
				 "GET /item/%u?page=%u HTTP/1.1\r\nHost: shop%u.test\r\n"
				 "User-Agent: bench\r\nAccept: */*\r\n\r\n", k, i, k % 97);
			sends(g, &c, true, req);
			sends(g, &c, false, i % 7 ? resp_ok : resp_404);
			snprintf(req, sizeof(req), "host%u-%u.example", k, i);
			dns_udp(g, (uint16_t)(k * 10 + i), req, true);
		}
		close_conn(g, &c);
	}
}

/* `n` flows at once, each one request picked up mid-stream and never
 * answered: the flow table's memory at scale. */
static void flows(struct gen *g, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		struct conn c;

		conn_init(g, &c, k);
		c.cport = (uint16_t)(10000 + k % 50000);
		c.cip[1] = (uint8_t)(k >> 16);
		c.cip[2] = (uint8_t)(k >> 8);
		c.cip[3] = (uint8_t)k;
		sends(g, &c, true, "GET /open HTTP/1.1\r\nHost: flows.test\r\n\r\n");
	}
}

/* A conversation on port 7000 read from stdin: each line "> TEXT" is a
 * segment from the client, "< TEXT" one from the server (TEXT and its
 * newline). For tests of plugin protocols whose messages are lines. */
static void lines(struct gen *g)
{
	char line[4096];
	struct conn c;

	conn_init(g, &c, 1);
	c.sport = 7000;
	open_conn(g, &c);
	while (fgets(line, sizeof(line), stdin))
		if ((line[0] == '>' || line[0] == '<') && line[1] == ' ')
			sends(g, &c, line[0] == '>', line + 2);
	close_conn(g, &c);
}

int main(int argc, char **argv)
{
	struct gen g = {.linktype = LT_ETH, .snaplen = 65535, .t_us = 1700000000000000ull};
	const char *sc;

	if (argc < 3) {
		fprintf(stderr, "usage: gen_pcap SCENARIO OUT.pcap [N]\n");
		return 2;
	}
	sc = argv[1];
	g.f = fopen(argv[2], "wb");
	if (!g.f) {
		perror(argv[2]);
		return 1;
	}
	if (!strcmp(sc, "vlan"))
		g.vlan = 42;
	else if (!strcmp(sc, "sll"))
		g.linktype = LT_SLL;
	else if (!strcmp(sc, "sll2"))
		g.linktype = LT_SLL2;
	else if (!strcmp(sc, "raw"))
		g.linktype = LT_RAW;
	else if (!strcmp(sc, "null"))
		g.linktype = LT_NULL;
	else if (!strcmp(sc, "ipv6") || !strcmp(sc, "dns6"))
		g.v6 = true;
	else if (!strcmp(sc, "snap"))
		g.snaplen = 80;
	file_header(&g);
	if (!strcmp(sc, "reorder")) reorder(&g);
	else if (!strcmp(sc, "retrans")) retrans(&g);
	else if (!strcmp(sc, "overlap")) overlap(&g, false);
	else if (!strcmp(sc, "overlap_ooo")) overlap(&g, true);
	else if (!strcmp(sc, "gap")) gap(&g);
	else if (!strcmp(sc, "split")) split(&g);
	else if (!strcmp(sc, "pipeline")) pipeline(&g);
	else if (!strcmp(sc, "overflow")) overflow(&g);
	else if (!strcmp(sc, "dns") || !strcmp(sc, "dns6")) dns(&g);
	else if (!strcmp(sc, "frag")) frag(&g);
	else if (!strcmp(sc, "lines")) lines(&g);
	else if (!strcmp(sc, "bench")) bench(&g, argc > 3 ? (unsigned)atoi(argv[3]) : 100000);
	else if (!strcmp(sc, "snap")) split(&g);
	else if (!strcmp(sc, "flows")) flows(&g, argc > 3 ? (unsigned)atoi(argv[3]) : 1000000);
	else basic(&g); /* basic and the link-type variants */
	fclose(g.f);
	return 0;
}
