/* SPDX-License-Identifier: MIT */
/* `wbpf l7 --output / --metrics`: request logs into a sink (docs/sinks.md)
 * and the pipeline's counters for Prometheus. */
#ifndef WBPF_CLI_L7_OUTPUT_H
#define WBPF_CLI_L7_OUTPUT_H

#include "wbpf/l7.h"
#include "wbpf/sink.h"

struct l7_output {
	struct wbpf_sink *sink;	      /* NULL: the command's own stdout format */
	struct wbpf_metrics *metrics; /* NULL without --metrics */
	const struct wbpf_l7_pipeline *pipeline; /* for the metrics, while it runs */
	const struct l7_plugin_opts *plugins; /* likewise; NULL: none */
	const struct wbpf_l7_source *source; /* likewise: its ring's counts */
};

/* Opens what was asked (either may be NULL). 0, or an exit status after
 * one error line. */
int l7_output__open(struct l7_output *o, const char *output, const char *metrics_addr);
/* From any worker thread; -errno when the sink refused the record. */
int l7_output__record(struct l7_output *o, const struct wbpf_l7_record *rec);
/* Delivers (or spools) what is queued and stops serving metrics. */
void l7_output__close(struct l7_output *o);

#endif
