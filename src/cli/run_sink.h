/* SPDX-License-Identifier: MIT */
/* `wbpf run`'s outputs: the sink guests emit records into (--output) and
 * the /metrics endpoint (--metrics). */
#ifndef WBPF_CLI_RUN_SINK_H
#define WBPF_CLI_RUN_SINK_H

#include "wbpf/sink.h"
#include "wbpf/wasm.h"

#define RUN_SINK_HELP                                                                      \
	"  --output SPEC         where records a guest emits (wbpf.record_emit_json)\n"   \
	"                        go: table (default on a terminal), json[=FILE]\n"         \
	"                        (default otherwise), clickhouse=URL[,table=T,...]\n"      \
	"                        (see docs/sinks.md).\n"                                   \
	"  --metrics ADDR:PORT   serve Prometheus metrics at http://ADDR:PORT/metrics.\n"

struct run_sink {
	struct wbpf_metrics *metrics;
	struct wbpf_sink *sink;
};

/* Starts --metrics, and opens the sink when `mod` imports
 * wbpf.record_emit_json (defining it in `store`). Prints why on failure. */
int run_sink__setup(struct run_sink *rs, const char *output, const char *metrics_addr,
		    struct wbpf_store *store, const struct wbpf_module *mod);
/* Flushes and closes (the sink says what was lost or spooled). */
void run_sink__close(struct run_sink *rs);

#endif
