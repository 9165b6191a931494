// SPDX-License-Identifier: MIT
/*
 * The user side of the socket source without the kernel: socket records,
 * made here, fed to the L7 pipeline (wbpf_l7_pipeline__feed_sock) and its
 * records written as `wbpf l7 --json` writes them (256 KiB buffer, fwrite).
 *
 *	sockfeed [--mix SEED] N > out.json
 *
 * Default: N keep-alive exchanges the way `make bench-l7-sock` makes them
 * (ab's request, nginx's response, 8 connections), four records each:
 * ab's write, nginx's read, nginx's write, ab's read. Prints the CPU time
 * the feeding took per socket record to stderr (records are made first).
 *
 * --mix SEED: N exchanges of varied shape for comparing two builds' output
 * byte for byte: methods, HEAD, 1xx, 204/304, 4xx/5xx, chunked and sized
 * bodies, writes cut at random points, pipelining, captures shorter than
 * the call (gaps), strings to escape and over the field sizes, trace
 * headers, unanswered requests, closed and reopened sockets, DNS over UDP.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wbpf/l7.h"

#define OUT_BUF (256u << 10)
#define CONNS 8
#define SERVER_PORT 18080

struct out {
	char *buf;
	size_t len;
};

static void on_record(void *ctx, const struct wbpf_l7_record *r)
{
	struct out *o = ctx;

	for (int tries = 0; tries < 2; tries++) {
		size_t room = OUT_BUF - o->len;
		size_t n = wbpf_l7_record__format_json(r, o->buf + o->len, room);

		if (n < room) {
			o->len += n;
			return;
		}
		fwrite(o->buf, 1, o->len, stdout);
		o->len = 0;
	}
}

struct feed {
	struct wbpf_l7_sock_data *recs;
	size_t n, cap;
	uint8_t *arena;
	size_t used, arena_cap;
	uint64_t t, rng;
	uint64_t next_sock;
	struct conn {
		uint64_t csock, ssock;
		uint16_t cport;
	} c[CONNS];
};

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	while (*cap < need)
		*cap = *cap ? *cap * 2 : 1024;
	p = realloc(p, *cap * elem);
	if (!p) {
		fprintf(stderr, "sockfeed: out of memory\n");
		exit(1);
	}
	return p;
}

static uint32_t rnd(struct feed *f, uint32_t n)
{
	f->rng ^= f->rng << 13;
	f->rng ^= f->rng >> 7;
	f->rng ^= f->rng << 17;
	return (uint32_t)(f->rng % n);
}

/* A record of one call on conn c's client (ab) or server (nginx) end, as
 * the socket source makes it from a ring buffer record. */
static void record(struct feed *f, const struct conn *c, bool server, bool egress, uint8_t l4,
		   const uint8_t *data, uint32_t len, uint64_t bytes, bool close,
		   struct wbpf_l7_sock_data *d)
{
	memset(d, 0, sizeof(*d));
	d->sock = server ? c->ssock : c->csock;
	d->time_us = f->t;
	f->t += 3;
	d->family = 4;
	d->l4 = l4;
	d->lport = server ? SERVER_PORT : c->cport;
	d->rport = server ? c->cport : SERVER_PORT;
	memcpy(d->laddr, "\x7f\x00\x00\x01", 4);
	memcpy(d->raddr, "\x7f\x00\x00\x01", 4);
	d->egress = egress;
	d->close = close;
	d->role = server ? WBPF_L7_SOCK_ROLE_SERVER : WBPF_L7_SOCK_ROLE_CLIENT;
	d->pid = server ? 4242 : 4343;
	d->tid = d->pid;
	memcpy(d->comm, server ? "nginx" : "ab", server ? 6 : 3);
	d->data = data;
	d->len = len;
	d->bytes = bytes;
}

/* The same, kept for later (--mix): data are offsets into the arena,
 * which moves as it grows, until it is complete. */
static void add(struct feed *f, const struct conn *c, bool server, bool egress, uint8_t l4,
		const uint8_t *data, uint32_t len, uint64_t bytes, bool close)
{
	f->recs = grow(f->recs, &f->cap, f->n + 1, sizeof(*f->recs));
	record(f, c, server, egress, l4, data ? (const uint8_t *)(uintptr_t)(data - f->arena) : NULL,
	       len, bytes, close, &f->recs[f->n++]);
}

static void open_conn(struct feed *f, struct conn *c)
{
	c->csock = f->next_sock += 64;
	c->ssock = f->next_sock += 64;
	c->cport = (uint16_t)(40000 + f->next_sock / 64 % 20000);
}

/* Default shape: what ab -k and nginx exchange for a 6-byte page. */
static const char ab_req[] = "GET /index.html HTTP/1.0\r\nConnection: Keep-Alive\r\n"
			     "Host: 127.0.0.1:18080\r\nUser-Agent: ApacheBench/2.3\r\n"
			     "Accept: */*\r\n\r\n";
static const char nginx_resp[] = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
				 "Date: Wed, 02 Dec 2026 00:00:00 GMT\r\n"
				 "Content-Type: text/html\r\nContent-Length: 6\r\n"
				 "Last-Modified: Tue, 01 Dec 2026 23:00:00 GMT\r\n"
				 "Connection: keep-alive\r\nETag: \"6930-6\"\r\n"
				 "Accept-Ranges: bytes\r\n\r\nhello\n";

/* Made as they are fed, like the socket source's records: the timed part. */
static size_t ab_like(struct feed *f, struct wbpf_l7_pipeline *p, unsigned n)
{
	const uint8_t *q = (const uint8_t *)ab_req, *r = (const uint8_t *)nginx_resp;
	uint32_t ql = sizeof(ab_req) - 1, rl = sizeof(nginx_resp) - 1;
	struct wbpf_l7_sock_data d;

	for (unsigned i = 0; i < n; i++) {
		struct conn *c = &f->c[i % CONNS];

		record(f, c, false, true, IPPROTO_TCP, q, ql, ql, false, &d);
		wbpf_l7_pipeline__feed_sock(p, &d);
		record(f, c, true, false, IPPROTO_TCP, q, ql, ql, false, &d);
		wbpf_l7_pipeline__feed_sock(p, &d);
		record(f, c, true, true, IPPROTO_TCP, r, rl, rl, false, &d);
		wbpf_l7_pipeline__feed_sock(p, &d);
		record(f, c, false, false, IPPROTO_TCP, r, rl, rl, false, &d);
		wbpf_l7_pipeline__feed_sock(p, &d);
	}
	return (size_t)n * 4;
}

static uint8_t *keep(struct feed *f, const char *s, size_t len)
{
	uint8_t *p;
	size_t off = f->used;

	f->arena = grow(f->arena, &f->arena_cap, f->used + len, 1);
	p = f->arena + off;
	memcpy(p, s, len);
	f->used += len;
	return p;
}

static const char *const pick_methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS"};
static const char *const odd_strings[] = {"plain", "with \"quotes\"", "back\\slash", "tab\there",
					  "ctl\x01\x1f", "utf8 \xc3\xa9\xe2\x82\xac", "\xff\xfe"};

static size_t put_str(char *b, size_t o, const char *s)
{
	size_t n = strlen(s);

	memcpy(b + o, s, n);
	return o + n;
}

/* A string of up to `max` bytes, sometimes odd, sometimes over 512. */
static size_t put_value(struct feed *f, char *b, size_t o, unsigned max)
{
	unsigned k = rnd(f, 10);

	if (k < 6)
		return o + (size_t)sprintf(b + o, "v%u", rnd(f, 100000));
	if (k < 9)
		return put_str(b, o, odd_strings[rnd(f, 7)]);
	k = rnd(f, max);
	memset(b + o, 'a' + (char)rnd(f, 26), k);
	return o + k;
}

static size_t make_request(struct feed *f, char *b, const char **method)
{
	size_t o = 0;

	*method = pick_methods[rnd(f, 6)];
	o = put_str(b, o, *method);
	o = put_str(b, o, " /p");
	o = put_value(f, b, o, 700);
	if (rnd(f, 2))
		o += (size_t)sprintf(b + o, "?q=%u&r=", rnd(f, 1000));
	o = put_str(b, o, rnd(f, 4) ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
	if (rnd(f, 5)) {
		o = put_str(b, o, "Host: ");
		o = put_value(f, b, o, 600);
		o = put_str(b, o, "\r\n");
	}
	if (rnd(f, 2)) {
		o = put_str(b, o, "User-Agent: ");
		o = put_value(f, b, o, 80);
		o = put_str(b, o, "\r\n");
	}
	if (!rnd(f, 3))
		o += (size_t)sprintf(b + o, "traceparent: 00-%016x%016x-%016x-01\r\n", rnd(f, 1u << 30),
				     rnd(f, 1u << 30), rnd(f, 1u << 30));
	if (!rnd(f, 4)) {
		o = put_str(b, o, rnd(f, 2) ? "X-Request-ID: " : "x-request-id:");
		o = put_value(f, b, o, 100);
		o = put_str(b, o, "\r\n");
	}
	if (!rnd(f, 6))
		o = put_str(b, o, "Referer: http://x/\r\n");
	if (!strcmp(*method, "POST") || !strcmp(*method, "PUT")) {
		unsigned body = rnd(f, 300);

		o += (size_t)sprintf(b + o, "Content-Length: %u\r\n\r\n", body);
		memset(b + o, 'b', body);
		return o + body;
	}
	return put_str(b, o, "\r\n");
}

static size_t make_response(struct feed *f, char *b, bool head)
{
	static const unsigned codes[] = {200, 200, 200, 201, 204, 301, 304, 404, 500, 503};
	unsigned code = codes[rnd(f, 10)], body = rnd(f, 2000);
	size_t o = 0;

	if (!rnd(f, 10))
		o = put_str(b, o, "HTTP/1.1 100 Continue\r\n\r\n");
	o += (size_t)sprintf(b + o, "HTTP/1.%u %u ", rnd(f, 5) ? 1 : 0, code);
	o = put_value(f, b, o, 40);
	o = put_str(b, o, "\r\nServer: nginx\r\n");
	if (!rnd(f, 4))
		o += (size_t)sprintf(b + o, "traceparent: 00-%032x-%016x-00\r\n", rnd(f, 1000),
				     rnd(f, 1000));
	if (code == 204 || code == 304)
		return put_str(b, o, "\r\n");
	if (!head && !rnd(f, 4)) {
		o = put_str(b, o, "Transfer-Encoding: chunked\r\n\r\n");
		for (unsigned k = rnd(f, 3); k; k--) {
			unsigned c = 1 + rnd(f, 200);

			o += (size_t)sprintf(b + o, "%x\r\n", c);
			memset(b + o, 'c', c);
			o = put_str(b, o + c, "\r\n");
		}
		return put_str(b, o, "0\r\n\r\n");
	}
	o += (size_t)sprintf(b + o, "Content-Length: %u\r\n\r\n", body);
	if (head)
		return o;
	memset(b + o, 'd', body);
	return o + body;
}

/* One direction's bytes as 1-3 calls; a call's capture is sometimes cut
 * short of what it moved (a gap). */
static void calls(struct feed *f, struct conn *c, bool server, bool egress, const uint8_t *p,
		  size_t len)
{
	while (len) {
		size_t n = rnd(f, 3) ? len : 1 + rnd(f, (uint32_t)len);
		uint32_t cap = !rnd(f, 30) && n > 8 ? (uint32_t)(n / 2) : (uint32_t)n;

		add(f, c, server, egress, IPPROTO_TCP, p, cap, n, false);
		p += n;
		len -= n;
	}
}

static void dns(struct feed *f, struct conn *c)
{
	char q[64];
	size_t o = 0;
	uint16_t id = (uint16_t)rnd(f, 65536);

	q[o++] = (char)(id >> 8);
	q[o++] = (char)id;
	/* the question and two bytes of padding (26: the literal's NUL too) */
	memcpy(q + o, "\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x04test\x00\x00\x01\x00\x01\x00",
	       26);
	o += 26;
	uint8_t *p = keep(f, q, o);

	add(f, c, false, true, IPPROTO_UDP, p, (uint32_t)o, o, false);
	if (rnd(f, 4)) {
		q[2] = (char)0x81;
		q[3] = (char)(rnd(f, 2) ? 0x80 : 0x83);
		p = keep(f, q, o);
		add(f, c, true, true, IPPROTO_UDP, p, (uint32_t)o, o, false);
	}
}

static void mixed(struct feed *f, unsigned n)
{
	static char req[8192], resp[8192];

	for (unsigned i = 0; i < n; i++) {
		struct conn *c = &f->c[rnd(f, CONNS)];
		const char *method;
		size_t ql, rl;
		uint8_t *q, *r;

		f->t += rnd(f, 50);
		if (!rnd(f, 40)) {
			dns(f, c);
			continue;
		}
		if (!rnd(f, 50)) {
			add(f, c, false, false, IPPROTO_TCP, NULL, 0, 0, true);
			add(f, c, true, false, IPPROTO_TCP, NULL, 0, 0, true);
			open_conn(f, c);
		}
		ql = make_request(f, req, &method);
		if (rnd(f, 8) == 0) /* pipelined: two requests, then two responses */
			ql += make_request(f, req + ql, &method);
		q = keep(f, req, ql);
		calls(f, c, false, true, q, ql);
		calls(f, c, true, false, q, ql);
		if (!rnd(f, 25))
			continue; /* never answered */
		rl = make_response(f, resp, !strcmp(method, "HEAD"));
		r = keep(f, resp, rl);
		calls(f, c, true, true, r, rl);
		calls(f, c, false, false, r, rl);
	}
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct feed f = {.t = 1764633600000000ull, .rng = 88172645463325252ull};
	struct wbpf_l7_config cfg;
	struct wbpf_l7_pipeline *p;
	struct out o = {malloc(OUT_BUF), 0};
	bool mix = argc == 4 && !strcmp(argv[1], "--mix");
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[argc - 1], NULL, 10) : 0;
	char err[256];
	double t0;

	if (!n || (argc != 2 && !mix) || !o.buf) {
		fprintf(stderr, "usage: sockfeed [--mix SEED] N\n");
		return 2;
	}
	if (mix)
		f.rng ^= strtoull(argv[2], NULL, 10) * 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < CONNS; i++)
		open_conn(&f, &f.c[i]);
	if (mix) {
		mixed(&f, n);
		for (size_t i = 0; i < f.n; i++)
			if (!f.recs[i].close)
				f.recs[i].data = f.arena + (uintptr_t)f.recs[i].data;
	}
	wbpf_l7_config__init(&cfg);
	cfg.on_record = on_record;
	cfg.ctx = &o;
	p = wbpf_l7_pipeline__new(&cfg, err, sizeof(err));
	if (!p) {
		fprintf(stderr, "sockfeed: %s\n", err);
		return 1;
	}
	t0 = cpu_s();
	if (mix)
		for (size_t i = 0; i < f.n; i++)
			wbpf_l7_pipeline__feed_sock(p, &f.recs[i]);
	else
		f.n = ab_like(&f, p, n);
	wbpf_l7_pipeline__finish(p);
	fwrite(o.buf, 1, o.len, stdout);
	fflush(stdout);
	fprintf(stderr, "sockfeed: %zu socket records, %.0f ns of CPU per record\n", f.n,
		(cpu_s() - t0) * 1e9 / (double)f.n);
	wbpf_l7_pipeline__free(p);
	free(f.recs);
	free(f.arena);
	free(o.buf);
	return 0;
}
