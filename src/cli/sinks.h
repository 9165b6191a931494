/* SPDX-License-Identifier: MIT */
/* --output SPEC and --metrics ADDR:PORT, opened the same way by every
 * command that produces records (`wbpf run`, `wbpf l7`, `wbpf gadget
 * run`; docs/sinks.md). */
#ifndef WBPF_CLI_SINKS_H
#define WBPF_CLI_SINKS_H

#include "wbpf/sink.h"

/* Serves metrics when metrics_addr is set (collect, if given, runs at
 * each scrape), then opens the sink `output` names (none when NULL),
 * counting into those metrics; the sink's default table is `producer`.
 * On failure prints "wbpf CMD: why", leaves both NULL and returns < 0. */
int cli_sinks__open(const char *cmd, const char *producer, const char *output,
		    const char *metrics_addr, void (*collect)(void *ctx, struct wbpf_metrics *m),
		    void *ctx, struct wbpf_sink **sink, struct wbpf_metrics **metrics);
/* Delivers (or spools) what is queued, stops serving metrics. */
void cli_sinks__close(struct wbpf_sink **sink, struct wbpf_metrics **metrics);

#endif
