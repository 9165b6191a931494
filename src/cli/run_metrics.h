/* SPDX-License-Identifier: MIT */
/* `wbpf run --metrics`: the guest's BPF buffers, each one's events and
 * losses, in the exposition (run_metrics.c). */
#ifndef WBPF_CLI_RUN_METRICS_H
#define WBPF_CLI_RUN_METRICS_H

#include <pthread.h>

#include "wbpf/bpf.h"
#include "wbpf/sink.h"

/* The /metrics thread reads the host under `lock`, so that the guest's
 * thread can take it away before freeing it. */
struct run_bpf_metrics {
	pthread_mutex_t lock;
	struct wbpf_bpf_host *host;
	bool watching;
};

/* From now on the exposition has host's buffers. No-op without metrics
 * or host; 0 or a negative errno (after printing why). */
int run_bpf_metrics__watch(struct run_bpf_metrics *bm, struct wbpf_metrics *m,
			   struct wbpf_bpf_host *host);
/* Before the host is freed: the exposition no longer reads it. */
void run_bpf_metrics__unwatch(struct run_bpf_metrics *bm);
/* Once the metrics are freed (no collector runs any more). */
void run_bpf_metrics__free(struct run_bpf_metrics *bm);

/* One BPF buffer's series (wbpf_bpf_buffer_{events,lost}_total, labelled
 * by map name and type "ringbuf" or "perfbuf"), for every command that reads one. */
void bpf_buffer_metrics__set(struct wbpf_metrics *m, const char *map, const char *type,
			     uint64_t events, uint64_t lost);

#endif
