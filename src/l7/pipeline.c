// SPDX-License-Identifier: MIT
/* The pipeline object. The caller's thread decodes; with one worker it
 * also does the rest, with more it copies each packet into a batch for
 * the worker its flow hash picks (a flow always lands on one worker, so
 * its records keep their order). Queues are bounded: a slow worker slows
 * the reader instead of growing memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l7/internal.h"

#define BATCH_PKTS 256
#define BATCH_BYTES (512u << 10)
#define QUEUE_MAX 8

struct l7_batch {
	struct l7_batch *next;
	unsigned n;
	uint32_t used;
	struct l7_pkt pkts[BATCH_PKTS];
	uint8_t data[BATCH_BYTES];
};

void wbpf_l7_config__init(struct wbpf_l7_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->workers = 1;
	cfg->max_flows = 1u << 20;
	cfg->max_msg = 64u << 10;
	cfg->max_ooo = 256u << 10;
	cfg->tcp_idle_us = 300ull * 1000000;
	cfg->udp_idle_us = 60ull * 1000000;
	cfg->session_timeout_us = 30ull * 1000000;
	cfg->max_records = 64;
}

static struct l7_batch *pop_batch(struct l7_worker *w)
{
	struct l7_batch *b;

	pthread_mutex_lock(&w->lock);
	while (!w->q_head && !w->done)
		pthread_cond_wait(&w->cond, &w->lock);
	b = w->q_head;
	if (b) {
		w->q_head = b->next;
		if (!w->q_head)
			w->q_tail = NULL;
		w->q_len--;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return b;
}

static void recycle(struct l7_worker *w, struct l7_batch *b)
{
	pthread_mutex_lock(&w->lock);
	b->next = w->free_batches;
	w->free_batches = b;
	pthread_mutex_unlock(&w->lock);
}

static void *worker_main(void *arg)
{
	struct l7_worker *w = arg;
	struct l7_batch *b;

	while ((b = pop_batch(w))) {
		for (unsigned i = 0; i < b->n; i++)
			l7_worker__packet(w, &b->pkts[i]);
		recycle(w, b);
	}
	l7_worker__finish(w);
	return NULL;
}

/* Plugin instances are made in the thread that will use them; the start
 * waits for every worker's answer. */
static void *worker_start(void *arg)
{
	struct l7_worker *w = arg;
	int err = l7_parsers__init(w);

	pthread_mutex_lock(&w->lock);
	w->start_err = err ? err : 1;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (err) {
		l7_parsers__fini(w);
		return NULL;
	}
	return worker_main(w);
}

static int start_threads(struct wbpf_l7_pipeline *p)
{
	int err = 0;

	for (unsigned i = 0; i < p->n_workers; i++) {
		struct l7_worker *w = &p->workers[i];

		if (pthread_create(&w->thread, NULL, worker_start, w))
			return -EAGAIN;
		pthread_mutex_lock(&w->lock);
		while (!w->start_err)
			pthread_cond_wait(&w->cond, &w->lock);
		pthread_mutex_unlock(&w->lock);
		if (w->start_err < 0 && !err)
			err = w->start_err;
	}
	return err;
}

struct wbpf_l7_pipeline *wbpf_l7_pipeline__new(const struct wbpf_l7_config *cfg, char *err, size_t err_len)
{
	struct wbpf_l7_pipeline *p = calloc(1, sizeof(*p));
	int e = 0;

	if (!p)
		goto oom;
	p->cfg = *cfg;
	if (p->cfg.max_msg < 64)
		p->cfg.max_msg = 64;
	p->n_workers = cfg->workers ? cfg->workers : 1;
	p->threaded = p->n_workers > 1;
	p->workers = calloc(p->n_workers, sizeof(*p->workers));
	p->frags = l7_frags__new();
	if (!p->workers || !p->frags)
		goto oom;
	for (unsigned i = 0; i < p->n_workers && !e; i++)
		e = l7_worker__init(&p->workers[i], p, i);
	if (!e)
		e = p->threaded ? start_threads(p) : l7_parsers__init(&p->workers[0]);
	if (e) {
		snprintf(err, err_len, "cannot start the L7 pipeline: %s%s", strerror(-e),
			 cfg->plugins ? " (a plugin failed to start)" : "");
		wbpf_l7_pipeline__finish(p);
		wbpf_l7_pipeline__free(p);
		errno = -e;
		return NULL;
	}
	return p;
oom:
	snprintf(err, err_len, "cannot start the L7 pipeline: out of memory");
	if (p) {
		free(p->workers);
		l7_frags__free(p->frags);
	}
	free(p);
	errno = ENOMEM;
	return NULL;
}

static void push_batch(struct l7_worker *w)
{
	struct l7_batch *b = w->cur;

	if (!b || !b->n)
		return;
	w->cur = NULL;
	pthread_mutex_lock(&w->lock);
	while (w->q_len >= QUEUE_MAX)
		pthread_cond_wait(&w->cond, &w->lock);
	b->next = NULL;
	if (w->q_tail)
		w->q_tail->next = b;
	else
		w->q_head = b;
	w->q_tail = b;
	w->q_len++;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static struct l7_batch *batch_for(struct l7_worker *w, uint32_t need)
{
	struct l7_batch *b = w->cur;

	if (b && (b->n == BATCH_PKTS || BATCH_BYTES - b->used < need))
		push_batch(w);
	if (w->cur)
		return w->cur;
	pthread_mutex_lock(&w->lock);
	b = w->free_batches;
	if (b)
		w->free_batches = b->next;
	pthread_mutex_unlock(&w->lock);
	if (!b && !(b = malloc(sizeof(*b))))
		return NULL;
	b->n = 0;
	b->used = 0;
	w->cur = b;
	return b;
}

static void enqueue(struct wbpf_l7_pipeline *p, const struct l7_pkt *pkt)
{
	struct l7_worker *w = &p->workers[pkt->hash % p->n_workers];
	uint32_t len = pkt->len < BATCH_BYTES ? pkt->len : BATCH_BYTES;
	struct l7_batch *b = batch_for(w, len);
	struct l7_pkt *q;

	if (!b)
		return;
	q = &b->pkts[b->n++];
	*q = *pkt;
	q->len = len;
	memcpy(b->data + b->used, pkt->payload, len);
	q->payload = b->data + b->used;
	b->used += len;
}

void wbpf_l7_pipeline__feed(struct wbpf_l7_pipeline *p, int linktype, uint64_t time_us,
		       const uint8_t *frame, uint32_t caplen)
{
	struct l7_pkt pkt;

	if (p->finished)
		return;
	p->rd.packets++;
	p->rd.bytes += caplen;
	if (l7_decode(linktype, frame, caplen, time_us, p->frags, &pkt, &p->rd))
		return;
	if (p->threaded)
		enqueue(p, &pkt);
	else
		l7_worker__packet(&p->workers[0], &pkt);
}

static void sock_tuple(const struct wbpf_l7_sock_data *d, struct l7_pkt *pkt)
{
	pkt->t.family = d->family;
	pkt->t.l4 = d->l4;
	pkt->t.sport = d->egress ? d->lport : d->rport;
	pkt->t.dport = d->egress ? d->rport : d->lport;
	memcpy(pkt->t.src, d->egress ? d->laddr : d->raddr, 16);
	memcpy(pkt->t.dst, d->egress ? d->raddr : d->laddr, 16);
}

/* A socket record's flow hash: its socket and the socket's two ends,
 * which are the same whichever way the bytes went (l7_pkt__hash, a byte
 * at a time and the same both ways, is for packets). */
static uint32_t sock_hash(const struct wbpf_l7_sock_data *d, uint64_t sock)
{
	uint64_t l[2], r[2], h;

	memcpy(l, d->laddr, 16);
	memcpy(r, d->raddr, 16);
	h = sock ^ ((uint64_t)d->lport << 16 | d->rport);
	h = (h * 0x9e3779b97f4a7c15ull) ^ l[0] ^ (l[1] << 1) ^ (r[0] << 2) ^ (r[1] << 3);
	h *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32);
}

void wbpf_l7_pipeline__feed_sock(struct wbpf_l7_pipeline *p, const struct wbpf_l7_sock_data *d)
{
	struct l7_pkt pkt = {0};

	if (p->finished || (d->family != 4 && d->family != 6))
		return;
	p->rd.packets++;
	p->rd.bytes += d->len;
	sock_tuple(d, &pkt);
	pkt.time_us = d->time_us;
	pkt.payload = d->data;
	pkt.len = d->len;
	pkt.wire_len = d->bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)(d->bytes < d->len ? d->len : d->bytes);
	/* A TLS library's plaintext and the ciphertext under it share the
	 * socket: the source tells the two flows apart (socket addresses are
	 * aligned, bit 0 is free). */
	pkt.proc.sock = d->sock ^ (d->source & 1);
	pkt.proc.pid = d->pid;
	pkt.proc.tid = d->tid;
	memcpy(pkt.proc.comm, d->comm, sizeof(pkt.proc.comm));
	pkt.proc.comm[sizeof(pkt.proc.comm) - 1] = 0;
	pkt.proc.source = d->source;
	pkt.proc.role = d->role;
	pkt.proc.local_is_src = d->egress;
	pkt.proc.close = d->close;
	pkt.hash = sock_hash(d, pkt.proc.sock);
	if (p->threaded)
		enqueue(p, &pkt);
	else
		l7_worker__packet(&p->workers[0], &pkt);
}

void wbpf_l7_pipeline__finish(struct wbpf_l7_pipeline *p)
{
	if (p->finished)
		return;
	p->finished = true;
	if (!p->threaded) {
		l7_worker__finish(&p->workers[0]);
		return;
	}
	for (unsigned i = 0; i < p->n_workers; i++) {
		struct l7_worker *w = &p->workers[i];

		if (!w->start_err)
			continue;
		push_batch(w);
		pthread_mutex_lock(&w->lock);
		w->done = true;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
}

static void add_stats(struct wbpf_l7_stats *to, const struct wbpf_l7_stats *from)
{
	const uint64_t *f = (const uint64_t *)from;
	uint64_t *t = (uint64_t *)to;

	for (size_t i = 0; i < sizeof(*to) / sizeof(uint64_t); i++)
		t[i] += f[i];
}

void wbpf_l7_pipeline__stats(const struct wbpf_l7_pipeline *p, struct wbpf_l7_stats *out)
{
	*out = p->rd;
	for (unsigned i = 0; i < p->n_workers; i++)
		add_stats(out, &p->workers[i].st);
}

void wbpf_l7_pipeline__free(struct wbpf_l7_pipeline *p)
{
	if (!p)
		return;
	for (unsigned i = 0; p->workers && i < p->n_workers; i++) {
		struct l7_worker *w = &p->workers[i];

		free(w->cur);
		while (w->free_batches) {
			struct l7_batch *b = w->free_batches;

			w->free_batches = b->next;
			free(b);
		}
		l7_worker__fini(w);
	}
	free(p->workers);
	l7_frags__free(p->frags);
	free(p);
}
