// SPDX-License-Identifier: MIT
/* `wbpf run --metrics`: per-BPF-buffer counters (run_metrics.h). */
#include <stdio.h>
#include <string.h>

#include "cli/run_metrics.h"

void bpf_buffer_metrics__set(struct wbpf_metrics *m, const char *map, const char *type,
			     uint64_t events, uint64_t lost)
{
	char labels[128];

	/* Map names are C identifiers: nothing to escape. */
	snprintf(labels, sizeof(labels), "buffer=\"%s\",type=\"%s\"", map, type);
	wbpf_metric__set(wbpf_metrics__get(m, WBPF_METRIC_COUNTER, "wbpf_bpf_buffer_events_total",
					   labels, "Records a BPF ring or perf buffer delivered "
					   "to its reader (a guest, or wbpf's own source)."),
			 (double)events);
	wbpf_metric__set(wbpf_metrics__get(m, WBPF_METRIC_COUNTER, "wbpf_bpf_buffer_lost_total",
					   labels, "Records a BPF buffer lost: refused by a full "
					   "perf buffer, by a full ring buffer (wbpf's own "
					   "programs count these), or dropped by the host."),
			 (double)lost);
}

static void put_buffer(void *ctx, const struct wbpf_bpf_buffer_stats *st)
{
	bpf_buffer_metrics__set(ctx, st->map, st->type, st->events, st->lost);
}

static void collect(void *ctx, struct wbpf_metrics *m)
{
	struct run_bpf_metrics *bm = ctx;

	pthread_mutex_lock(&bm->lock);
	if (bm->host)
		wbpf_bpf_host__buffer_stats(bm->host, put_buffer, m);
	pthread_mutex_unlock(&bm->lock);
}

int run_bpf_metrics__watch(struct run_bpf_metrics *bm, struct wbpf_metrics *m,
			   struct wbpf_bpf_host *host)
{
	int err;

	if (!m || !host)
		return 0;
	pthread_mutex_init(&bm->lock, NULL);
	bm->host = host;
	bm->watching = true;
	err = wbpf_metrics__on_collect(m, collect, bm);
	if (err)
		fprintf(stderr, "wbpf run: --metrics: cannot add the BPF buffers: %s\n",
			strerror(-err));
	return err;
}

void run_bpf_metrics__unwatch(struct run_bpf_metrics *bm)
{
	if (!bm->watching)
		return;
	pthread_mutex_lock(&bm->lock);
	bm->host = NULL;
	pthread_mutex_unlock(&bm->lock);
}

void run_bpf_metrics__free(struct run_bpf_metrics *bm)
{
	if (bm->watching)
		pthread_mutex_destroy(&bm->lock);
	bm->watching = false;
}
