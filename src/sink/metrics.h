/* SPDX-License-Identifier: MIT */
/* The metrics registry's objects, shared by metrics.c and http.c. */
#ifndef WBPF_SINK_METRICS_H
#define WBPF_SINK_METRICS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "wbpf/sink.h"

#define METRIC_BUCKETS 8

struct wbpf_metric {
	struct wbpf_metric *next;
	enum wbpf_metric_type type;
	char *name, *labels, *help;
	_Atomic uint64_t value; /* a double's bits; a histogram's sum */
	_Atomic uint64_t buckets[METRIC_BUCKETS], count;
};

struct MHD_Daemon;

#define METRIC_COLLECTORS 8

struct wbpf_metrics {
	pthread_mutex_t lock;
	struct {
		void (*fn)(void *ctx, struct wbpf_metrics *m);
		void *ctx;
	} collectors[METRIC_COLLECTORS];
	unsigned n_collectors;
	struct wbpf_metric *series;
	double start_time;
	struct MHD_Daemon *http;
};

/* Stops the /metrics server, if one runs. */
void metrics_http__stop(struct wbpf_metrics *m);

#endif
