// SPDX-License-Identifier: MIT
/* --output and --metrics for every command (sinks.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/sinks.h"

int cli_sinks__open(const char *cmd, const char *producer, const char *output,
		    const char *metrics_addr, void (*collect)(void *ctx, struct wbpf_metrics *m),
		    void *ctx, struct wbpf_sink **sink, struct wbpf_metrics **metrics)
{
	struct wbpf_sink_opts so = {.sz = sizeof(so), .producer = producer};
	char err[256] = "";
	int rc = 0;

	*sink = NULL;
	*metrics = NULL;
	if (metrics_addr) {
		if (!(*metrics = wbpf_metrics__new()))
			rc = -ENOMEM;
		if (!rc && collect)
			rc = wbpf_metrics__on_collect(*metrics, collect, ctx);
		if (!rc)
			rc = wbpf_metrics__serve(*metrics, metrics_addr, err, sizeof(err));
	}
	so.metrics = *metrics;
	if (!rc && output)
		rc = wbpf_sink__open(output, &so, sink, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "wbpf %s: %s\n", cmd, err[0] ? err : strerror(-rc));
		cli_sinks__close(sink, metrics);
	}
	return rc;
}

void cli_sinks__close(struct wbpf_sink **sink, struct wbpf_metrics **metrics)
{
	wbpf_sink__close(*sink);
	wbpf_metrics__free(*metrics);
	*sink = NULL;
	*metrics = NULL;
}
