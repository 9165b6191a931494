// SPDX-License-Identifier: MIT
/* `wbpf l7 --output / --metrics` (l7_output.h). */
#include <stddef.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/l7.h"
#include "cli/l7_output.h"
#include "cli/run_metrics.h"
#include "cli/sinks.h"

/* Pipeline counters as Prometheus series, read at each scrape (they are
 * exact only at the end, close enough while running), zero until the
 * pipeline runs: a scrape while the capture was being set up had none of
 * them, and a scraper's first look then missed the series. */
static void collect(void *ctx, struct wbpf_metrics *m)
{
	static const struct {
		const char *name, *help;
		size_t offset;
	} counters[] = {
#define C(field, help) { "wbpf_l7_" #field "_total", help, offsetof(struct wbpf_l7_stats, field) }
		C(packets, "Packets seen."),
		C(flows, "Flows created."),
		C(flows_evicted, "Flows evicted to stay under --max-flows."),
		C(records, "Request logs produced."),
		C(gaps, "Missing TCP data skipped."),
		C(parse_errors, "Messages a parser refused."),
		C(requests_timed_out, "Requests logged as timeouts."),
		C(hook_failures, "HTTP plugin hooks that failed."),
#undef C
	};
	struct l7_output *o = ctx;
	struct wbpf_l7_stats st = {0};
	struct wbpf_l7_sock_stats ss;
	char labels[64];

	if (o->pipeline)
		wbpf_l7_pipeline__stats(o->pipeline, &st);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		const uint64_t *v = (const uint64_t *)((const char *)&st + counters[i].offset);
		struct wbpf_metric *s = wbpf_metrics__get(m, WBPF_METRIC_COUNTER, counters[i].name,
							  NULL, counters[i].help);
		if (s)
			wbpf_metric__set(s, (double)*v);
	}
	for (unsigned p = 0; p < WBPF_L7_NPROTO; p++) {
		if (!st.records_by_proto[p])
			continue;
		snprintf(labels, sizeof(labels), "protocol=\"%s\"", wbpf_l7_protocol__str(p));
		struct wbpf_metric *s = wbpf_metrics__get(m, WBPF_METRIC_COUNTER,
							  "wbpf_l7_records_by_protocol_total", labels,
							  "Request logs by L7 protocol.");
		if (s)
			wbpf_metric__set(s, (double)st.records_by_proto[p]);
	}
	if (o->plugins)
		l7_plugin_opts__collect(o->plugins, m);
	/* The socket source's BPF programs count what its ring refused. */
	if (o->source && !wbpf_l7_source__sock_stats(o->source, &ss))
		bpf_buffer_metrics__set(m, "events", "ringbuf", ss.seen, ss.lost);
}

int l7_output__open(struct l7_output *o, const char *output, const char *metrics_addr)
{
	if (cli_sinks__open("l7", "l7", output, metrics_addr, collect, o, &o->sink, &o->metrics))
		return CLI_EXIT_USAGE;
	return 0;
}

int l7_output__record(struct l7_output *o, const struct wbpf_l7_record *rec)
{
	struct wbpf_field fields[WBPF_L7_RECORD_FIELDS];
	struct wbpf_l7_record_text text;
	size_t n = wbpf_l7_record__fields(rec, fields, &text);

	return wbpf_sink__write(o->sink, &(struct wbpf_record){ fields, n, true });
}

void l7_output__close(struct l7_output *o)
{
	cli_sinks__close(&o->sink, &o->metrics);
	o->pipeline = NULL;
	o->plugins = NULL;
	o->source = NULL;
}
