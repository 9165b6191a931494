// SPDX-License-Identifier: MIT
/* From a direction's in-order bytes to parsed messages: protocol
 * inference (cached per server endpoint), the message buffer bounded by
 * max_msg, -EAGAIN for "need more", bodies skipped by length, and resync
 * after a gap at the next message the flow's parser recognises. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "l7/internal.h"

#define INFER_TRIES 8
#define CACHE_SIZE 4096

struct cache_entry {
	uint8_t ip[16];
	uint16_t port;
	uint8_t l4;
	int16_t parser; /* -1: empty */
	uint16_t protocol;
};

struct l7_server_cache {
	struct cache_entry e[CACHE_SIZE];
};

static struct cache_entry *cache_slot(struct l7_worker *w, const struct l7_flow *f, bool *hit)
{
	int sv = !f->client;
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ f->ip[sv][i]) * 16777619u;
	h = (h ^ f->port[sv] ^ (uint32_t)f->l4 << 16) * 16777619u;
	struct cache_entry *e = &w->cache->e[(h ^ h >> 15) % CACHE_SIZE];

	*hit = e->parser >= 0 && e->port == f->port[sv] && e->l4 == f->l4 &&
	       !memcmp(e->ip, f->ip[sv], 16) && e->parser < (int)w->n_parsers;
	return e;
}

static void fill_msg(struct l7_worker *w, const struct l7_flow *f, int side, struct l7_msg *m,
		     const uint8_t *data, uint32_t len, uint64_t time_us, bool truncated)
{
	uint32_t max = w->p->cfg.max_msg;

	memset(m, 0, sizeof(*m));
	m->tuple.family = f->family;
	m->tuple.l4 = f->l4;
	m->tuple.sport = f->port[side];
	m->tuple.dport = f->port[!side];
	memcpy(m->tuple.src, f->ip[side], 16);
	memcpy(m->tuple.dst, f->ip[!side], 16);
	m->dir = side == f->client ? L7_C2S : L7_S2C;
	m->source = f->proc.sock ? (enum l7_source_kind)f->proc.source : L7_SRC_PACKET;
	m->pid = f->proc.pid;
	m->tid = f->proc.tid;
	memcpy(m->proc_name, f->proc.comm, sizeof(m->proc_name));
	m->flow_id = f->id;
	m->time_us = time_us;
	m->payload = data;
	m->len = len;
	m->protocol = f->protocol;
	m->buf_size = (uint16_t)(max > 65535 ? 65535 : max);
	m->truncated = truncated;
}

/* The first parser whose check accepts the message decides; a parser that
 * says the direction is the other one corrects a guessed direction. */
static bool infer(struct l7_worker *w, struct l7_flow *f, struct l7_msg *m)
{
	struct cache_entry *e;
	enum l7_direction dir;
	bool hit;

	if (f->parser >= 0)
		return true;
	if (f->unknown)
		return false;
	e = cache_slot(w, f, &hit);
	if (hit) {
		f->parser = e->parser;
		f->protocol = e->protocol;
		m->protocol = f->protocol;
		return true;
	}
	for (unsigned i = 0; i < w->n_parsers; i++) {
		struct wbpf_l7_parser *p = &w->parsers[i];
		int proto = p->check(p->self, m, &dir);

		if (proto <= 0)
			continue;
		f->parser = (int16_t)i;
		f->protocol = (uint16_t)proto;
		if (dir != m->dir && f->dir_level < 2) {
			f->client = (uint8_t)!f->client;
			f->dir_level = 3;
			m->dir = dir;
		}
		m->protocol = f->protocol;
		e = cache_slot(w, f, &hit);
		memcpy(e->ip, f->ip[!f->client], 16);
		e->port = f->port[!f->client];
		e->l4 = f->l4;
		e->parser = f->parser;
		e->protocol = f->protocol;
		return true;
	}
	if (++f->infer_tries >= INFER_TRIES) {
		f->unknown = true;
		w->st.flows_unknown++;
	}
	return false;
}

/* Parses one message at the start of m; returns the bytes it took (may
 * exceed m->len: the rest is skipped as it arrives), 0 to wait for more,
 * or a negative errno when the parser refused it. */
static int64_t parse_one(struct l7_worker *w, struct l7_flow *f, struct l7_msg *m)
{
	struct wbpf_l7_parser *p = &w->parsers[f->parser];
	uint64_t end = 0;
	int n;

	int max = w->p->cfg.max_records ? (int)w->p->cfg.max_records : 1;

	n = p->parse(p->self, m, w->out, max);
	if (n == -EAGAIN && !m->truncated)
		return 0;
	if (n < 0)
		return n;
	if (n > max)
		n = max; /* a parser must not: the rest are not there */
	for (int i = 0; i < n; i++) {
		if (w->out[i].msg_end > end)
			end = w->out[i].msg_end;
		l7_session__info(w, f, &w->out[i], m->time_us);
	}
	return end ? (int64_t)end : (int64_t)m->len;
}

/* Parses the messages in [data, data+len); returns how many bytes were
 * used: the rest is the start of a message still incomplete. */
static uint32_t parse_some(struct l7_worker *w, struct l7_flow *f, int side, const uint8_t *data,
			   uint32_t len, uint64_t time_us, bool final)
{
	struct l7_stream *s = &f->s[side];
	uint32_t off = 0, max = w->p->cfg.max_msg;
	struct l7_msg m;

	while (off < len) {
		uint32_t left = len - off;

		if (s->skip) {
			uint64_t k = s->skip < left ? s->skip : left;

			s->skip -= k;
			off += (uint32_t)k;
			continue;
		}
		fill_msg(w, f, side, &m, data + off, left, time_us, final || left >= max);
		if (!infer(w, f, &m))
			return len;
		if (s->resync) {
			struct wbpf_l7_parser *p = &w->parsers[f->parser];
			enum l7_direction dir;

			if (p->check(p->self, &m, &dir) <= 0)
				return len; /* not a message start: drop */
			s->resync = false;
		}
		int64_t used = parse_one(w, f, &m);

		if (used == 0)
			return off;
		if (used < 0) {
			w->st.parse_errors++;
			s->resync = true;
			return len;
		}
		if (m.truncated && left >= max && (uint64_t)used <= left) {
			/* the rest of this message is still to come: drop it */
			w->st.msgs_too_big++;
			s->resync = true;
			return len;
		}
		if ((uint64_t)used > left) {
			s->skip = (uint64_t)used - left;
			return len;
		}
		off += (uint32_t)used;
	}
	return off;
}

static int reserve(struct l7_stream *s, uint32_t need)
{
	uint32_t cap = s->cap ? s->cap : 2048;
	uint8_t *b;

	if (need <= s->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	b = realloc(s->buf, cap);
	if (!b)
		return -ENOMEM;
	s->buf = b;
	s->cap = cap;
	return 0;
}

static void keep(struct l7_stream *s, uint32_t used)
{
	if (used >= s->len)
		s->len = 0;
	else if (used) {
		memmove(s->buf, s->buf + used, s->len - used);
		s->len -= used;
	}
}

void l7_stream__data(struct l7_worker *w, struct l7_flow *f, int side, const uint8_t *data,
		     uint32_t len, uint64_t time_us)
{
	struct l7_stream *s = &f->s[side];
	uint32_t max = w->p->cfg.max_msg;

	if (f->unknown)
		return;
	if (!s->len) { /* the common case: parse from the packet, copy only a tail */
		uint32_t used = parse_some(w, f, side, data, len, time_us, false);

		data += used;
		len -= used;
		if (!len || reserve(s, len))
			return;
		memcpy(s->buf, data, len);
		s->len = len;
		s->buf_time_us = time_us;
		return;
	}
	while (len) {
		uint32_t take = max - s->len < len ? max - s->len : len;

		if (reserve(s, s->len + take)) {
			s->len = 0;
			s->resync = true;
			return;
		}
		memcpy(s->buf + s->len, data, take);
		s->len += take;
		data += take;
		len -= take;
		keep(s, parse_some(w, f, side, s->buf, s->len, s->buf_time_us, s->len >= max));
		if (!s->len && len) {
			l7_stream__data(w, f, side, data, len, time_us);
			return;
		}
	}
}

/* What is buffered goes to the parser as all there will be. */
static void flush_buf(struct l7_worker *w, struct l7_flow *f, int side)
{
	struct l7_stream *s = &f->s[side];

	if (s->len && !f->unknown)
		parse_some(w, f, side, s->buf, s->len, s->buf_time_us, true);
	s->len = 0;
}

void l7_stream__gap(struct l7_worker *w, struct l7_flow *f, int side, uint64_t bytes)
{
	struct l7_stream *s = &f->s[side];

	w->st.gaps++;
	w->st.gap_bytes += bytes;
	if (s->skip >= bytes) { /* inside a body we were skipping anyway */
		s->skip -= bytes;
		return;
	}
	s->skip = 0;
	flush_buf(w, f, side);
	s->resync = true;
}

void l7_stream__end(struct l7_worker *w, struct l7_flow *f, int side)
{
	flush_buf(w, f, side);
}

void l7_stream__datagram(struct l7_worker *w, struct l7_flow *f, int side, const uint8_t *data,
			 uint32_t len, uint64_t time_us)
{
	struct l7_msg m;

	fill_msg(w, f, side, &m, data, len, time_us, true);
	if (!infer(w, f, &m))
		return;
	if (parse_one(w, f, &m) < 0)
		w->st.parse_errors++;
}

int l7_parsers__init(struct l7_worker *w)
{
	const struct wbpf_l7_plugin_factory *fac = w->p->cfg.plugins;
	struct l7_http_self *hs;
	unsigned n;

	w->cache = malloc(sizeof(*w->cache));
	hs = calloc(1, sizeof(*hs));
	w->http_self = hs;
	if (!w->cache || !hs)
		return -ENOMEM;
	for (unsigned i = 0; i < CACHE_SIZE; i++)
		w->cache->e[i].parser = -1;
	if (fac && fac->open) {
		int err = fac->open(fac->ctx, w->idx, &w->plugins);

		if (err)
			return err < 0 ? err : -EINVAL;
		w->plugins_open = true;
	}
	n = w->plugins.n_parsers;
	w->parsers = calloc(n + 3, sizeof(*w->parsers));
	if (!w->parsers)
		return -ENOMEM;
	if (n)
		memcpy(w->parsers, w->plugins.parsers, n * sizeof(*w->parsers));
	w->parsers[n] = l7_http_parser;
	w->parsers[n].self = hs;
	w->parsers[n + 1] = l7_dns_parser;
	w->parsers[n + 2] = l7_nats_parser;
	w->parsers[n + 2].self = hs;
	w->n_parsers = n + 3;
	hs->hooks = w->plugins.http_hooks;
	hs->n_hooks = w->plugins.n_http_hooks;
	hs->failures = &w->st.hook_failures;
	return 0;
}

void l7_parsers__fini(struct l7_worker *w)
{
	const struct wbpf_l7_plugin_factory *fac = w->p->cfg.plugins;

	if (w->plugins_open && fac->close)
		fac->close(fac->ctx, w->idx, &w->plugins);
	w->plugins_open = false;
	free(w->parsers);
	free(w->cache);
	if (w->http_self)
		free(((struct l7_http_self *)w->http_self)->state);
	free(w->http_self);
	w->parsers = NULL;
	w->cache = NULL;
	w->http_self = NULL;
}
