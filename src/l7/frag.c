// SPDX-License-Identifier: MIT
/* IP fragment reassembly (IPv4 and IPv6), in the reader before the flow
 * hash, which needs the ports only the first fragment carries. Bounded:
 * at most FRAG_MAX datagrams wait at once (the oldest is dropped to make
 * room), each at most 64 KiB, for at most FRAG_TIMEOUT_US of packet time.
 * Overlapping fragments keep the bytes that came first. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "l7/internal.h"

#define FRAG_MAX 64
#define FRAG_TIMEOUT_US 30000000ull
#define FRAG_BYTES 65536u
#define FRAG_UNITS (FRAG_BYTES / 8)

struct frag_dgram {
	struct frag_dgram *next;
	struct l7_frag_key key;
	uint64_t first_us;
	uint32_t total; /* 0 until the last fragment is seen */
	uint32_t have;	/* bytes received */
	uint8_t seen[FRAG_UNITS / 8];
	uint8_t data[FRAG_BYTES];
};

struct l7_frags {
	struct frag_dgram *list; /* newest first */
	unsigned n;
	struct frag_dgram *done; /* the last datagram handed out */
};

struct l7_frags *l7_frags__new(void)
{
	return calloc(1, sizeof(struct l7_frags));
}

static void drop_done(struct l7_frags *t)
{
	free(t->done);
	t->done = NULL;
}

void l7_frags__free(struct l7_frags *t)
{
	if (!t)
		return;
	drop_done(t);
	while (t->list) {
		struct frag_dgram *d = t->list;

		t->list = d->next;
		free(d);
	}
	free(t);
}

/* Unlinks what is too old, and the oldest when the table is full. */
static void expire(struct l7_frags *t, uint64_t now_us, struct wbpf_l7_stats *st)
{
	struct frag_dgram **pp = &t->list, *d;
	unsigned i = 0;

	while ((d = *pp)) {
		if ((now_us > d->first_us && now_us - d->first_us > FRAG_TIMEOUT_US) || (++i >= FRAG_MAX && !d->next)) {
			*pp = d->next;
			t->n--;
			st->ip_frags_dropped++;
			free(d);
			continue;
		}
		pp = &d->next;
	}
}

static struct frag_dgram *find(struct l7_frags *t, const struct l7_frag_key *k, uint64_t now_us,
			       struct wbpf_l7_stats *st)
{
	struct frag_dgram *d;

	for (d = t->list; d; d = d->next)
		if (!memcmp(&d->key, k, sizeof(*k)))
			return d;
	expire(t, now_us, st);
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->key = *k;
	d->first_us = now_us;
	d->next = t->list;
	t->list = d;
	t->n++;
	return d;
}

/* Copies the 8-byte units of [off, off+len) not seen yet. */
static void fill(struct frag_dgram *d, uint32_t off, const uint8_t *p, uint32_t len)
{
	for (uint32_t u = off / 8; u * 8 < off + len; u++) {
		uint32_t s = u * 8 > off ? u * 8 : off, e = (u + 1) * 8 < off + len ? (u + 1) * 8 : off + len;

		/* offsets are whole units; only a last fragment ends inside one */
		if (d->seen[u / 8] & (1u << (u % 8)))
			continue;
		memcpy(d->data + s, p + (s - off), e - s);
		d->have += e - s;
		d->seen[u / 8] |= (uint8_t)(1u << (u % 8));
	}
}

int l7_frags__add(struct l7_frags *t, const struct l7_frag_key *k, uint32_t off, bool more,
		  const uint8_t *p, uint32_t len, uint64_t now_us, const uint8_t **out,
		  uint32_t *out_len, struct wbpf_l7_stats *st)
{
	struct frag_dgram *d, **pp;

	drop_done(t);
	st->ip_fragments++;
	if (off + len > FRAG_BYTES || (more && len % 8))
		return -EINVAL;
	d = find(t, k, now_us, st);
	if (!d)
		return -ENOMEM;
	if (!more)
		d->total = off + len;
	fill(d, off, p, len);
	if (!d->total || d->have < d->total)
		return -EAGAIN;
	for (pp = &t->list; *pp != d; pp = &(*pp)->next)
		;
	*pp = d->next;
	t->n--;
	t->done = d;
	st->ip_reassembled++;
	*out = d->data;
	*out_len = d->total;
	return 0;
}
