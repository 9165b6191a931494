// SPDX-License-Identifier: MIT
/* A worker's flow table: a chained hash of 5-tuples plus an LRU list,
 * which gives both idle expiry (from the cold end) and the eviction
 * victim when the table is full. */
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "l7/internal.h"

/* The table starts small and doubles with the flows: a bucket array
 * sized for max_flows up front would make every lookup a cache miss. */
#define MIN_BUCKETS 4096u
#define MAX_BUCKETS (1u << 24)

static void grow(struct l7_worker *w)
{
	uint32_t n = (w->mask + 1) * 2;
	struct l7_flow **b = calloc(n, sizeof(*b));

	if (!b)
		return; /* longer chains, still correct */
	for (uint32_t i = 0; i <= w->mask; i++) {
		struct l7_flow *f = w->buckets[i], *next;

		for (; f; f = next) {
			next = f->hnext;
			f->hnext = b[f->hash & (n - 1)];
			b[f->hash & (n - 1)] = f;
		}
	}
	free(w->buckets);
	w->buckets = b;
	w->mask = n - 1;
}

int l7_flows__init(struct l7_worker *w, uint32_t max_flows)
{
	uint32_t n = MIN_BUCKETS;

	w->buckets = calloc(n, sizeof(*w->buckets));
	if (!w->buckets)
		return -ENOMEM;
	w->mask = n - 1;
	w->max_flows = max_flows ? max_flows : 1;
	w->lru.lru_next = w->lru.lru_prev = &w->lru;
	return 0;
}

/* Ports servers listen on below the ephemeral range, plus common ones above. */
bool l7_port_well_known(uint16_t port)
{
	static const uint16_t extra[] = {1883, 3306, 5432, 6379, 8080, 8443, 8883, 9092, 11211, 27017};

	if (port && port < 1024)
		return true;
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (port == extra[i])
			return true;
	return false;
}

/* Eight bytes of an address as a number that orders as memcmp does. */
static inline uint64_t be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

/* Side 0 is the smaller (address, port), so both directions find one key.
 * The addresses compared a word at a time: a memcmp call was a tenth of
 * a flow lookup. */
static int key_side(const struct l7_pkt *pkt)
{
	uint64_t s = be64(pkt->t.src), d = be64(pkt->t.dst);

	if (s == d) {
		s = be64(pkt->t.src + 8);
		d = be64(pkt->t.dst + 8);
	}
	if (s == d) {
		s = pkt->t.sport;
		d = pkt->t.dport;
	}
	return s > d;
}

static bool matches(const struct l7_flow *f, const struct l7_pkt *pkt, int side)
{
	return f->hash == pkt->hash && f->proc.sock == pkt->proc.sock && f->l4 == pkt->t.l4 &&
	       f->family == pkt->t.family &&
	       f->port[side] == pkt->t.sport && f->port[!side] == pkt->t.dport &&
	       !memcmp(f->ip[side], pkt->t.src, 16) && !memcmp(f->ip[!side], pkt->t.dst, 16);
}

static void lru_unlink(struct l7_flow *f)
{
	f->lru_prev->lru_next = f->lru_next;
	f->lru_next->lru_prev = f->lru_prev;
}

static void lru_push(struct l7_worker *w, struct l7_flow *f)
{
	f->lru_next = w->lru.lru_next;
	f->lru_prev = &w->lru;
	w->lru.lru_next->lru_prev = f;
	w->lru.lru_next = f;
}

static void unhash(struct l7_worker *w, struct l7_flow *f)
{
	struct l7_flow **pp = &w->buckets[f->hash & w->mask];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
}

/* Ends a flow: what is buffered is parsed, waiting requests time out. */
void l7_flows__close(struct l7_worker *w, struct l7_flow *f)
{
	for (int side = 0; side < 2; side++) {
		if (f->l4 == IPPROTO_TCP)
			l7_tcp__flush(w, f, side);
		l7_stream__free(&f->s[side]);
	}
	l7_session__flush_flow(w, f);
	unhash(w, f);
	lru_unlink(f);
	w->n_flows--;
	free(f);
}

/* Who is the client before any parser says: the SYN's sender, else the
 * side not on a well-known port, else whoever spoke first. */
static void initial_direction(struct l7_flow *f, const struct l7_pkt *pkt, int side)
{
	bool src_wk = l7_port_well_known(pkt->t.sport), dst_wk = l7_port_well_known(pkt->t.dport);

	f->client = (uint8_t)side;
	f->dir_level = 0;
	if (pkt->t.l4 == IPPROTO_TCP && (pkt->tcp_flags & (TCP_SYN | TCP_RST)) == TCP_SYN) {
		f->client = (uint8_t)((pkt->tcp_flags & TCP_ACK) ? !side : side);
		f->dir_level = 2;
	} else if (src_wk != dst_wk) {
		f->client = (uint8_t)(src_wk ? !side : side);
		f->dir_level = 1;
	}
}

static struct l7_flow *create(struct l7_worker *w, const struct l7_pkt *pkt, int side)
{
	struct l7_flow *f;

	if (w->n_flows >= w->max_flows) {
		l7_flows__close(w, w->lru.lru_prev);
		w->st.flows_evicted++;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->family = pkt->t.family;
	f->l4 = pkt->t.l4;
	f->port[side] = pkt->t.sport;
	f->port[!side] = pkt->t.dport;
	memcpy(f->ip[side], pkt->t.src, 16);
	memcpy(f->ip[!side], pkt->t.dst, 16);
	f->hash = pkt->hash;
	f->id = w->next_flow_id++;
	f->parser = -1;
	f->proc = pkt->proc;
	initial_direction(f, pkt, side);
	if (w->n_flows >= w->mask + 1 && w->mask + 1 < MAX_BUCKETS)
		grow(w);
	f->hnext = w->buckets[f->hash & w->mask];
	w->buckets[f->hash & w->mask] = f;
	lru_push(w, f);
	w->n_flows++;
	w->st.flows++;
	return f;
}

struct l7_flow *l7_flows__get(struct l7_worker *w, const struct l7_pkt *pkt, int *side)
{
	struct l7_flow *f;

	*side = key_side(pkt);
	for (f = w->buckets[pkt->hash & w->mask]; f; f = f->hnext)
		if (matches(f, pkt, *side))
			break;
	/* the last ACKs of a closed connection must not open a new flow, nor
	 * a socket's close */
	if (!f && !pkt->proc.close &&
	    (pkt->len || (pkt->tcp_flags & TCP_SYN) || pkt->t.l4 != IPPROTO_TCP ||
	     (pkt->proc.sock && pkt->wire_len)))
		return create(w, pkt, *side);
	if (!f)
		return NULL;
	if (w->lru.lru_next != f) {
		lru_unlink(f);
		lru_push(w, f);
	}
	return f;
}

/* From the cold end of the LRU, which is in time order: the first flow
 * still young ends the sweep (a UDP flow warmer than a young TCP flow
 * waits for a later sweep). */
void l7_flows__expire(struct l7_worker *w)
{
	const struct wbpf_l7_config *cfg = &w->p->cfg;
	struct l7_flow *f;

	while ((f = w->lru.lru_prev) != &w->lru) {
		uint64_t limit = f->l4 == IPPROTO_TCP ? cfg->tcp_idle_us : cfg->udp_idle_us;

		if (w->now_us < f->last_us || w->now_us - f->last_us < limit)
			break;
		l7_flows__close(w, f);
	}
}

void l7_flows__fini(struct l7_worker *w)
{
	while (w->lru.lru_next && w->lru.lru_next != &w->lru)
		l7_flows__close(w, w->lru.lru_prev);
	free(w->buckets);
	w->buckets = NULL;
}
