// SPDX-License-Identifier: MIT
/* `wbpf run --output / --metrics` (run_sink.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/run_sink.h"

static bool imports_records(const struct wbpf_module *mod)
{
	struct wbpf_extern_desc d;

	for (size_t i = 0; i < wbpf_module__import_count(mod); i++)
		if (!wbpf_module__import(mod, i, &d) && !strcmp(d.module, "wbpf") &&
		    !strcmp(d.name, "record_emit_json"))
			return true;
	return false;
}

int run_sink__setup(struct run_sink *rs, const char *output, const char *metrics_addr,
		    struct wbpf_store *store, const struct wbpf_module *mod)
{
	struct wbpf_sink_opts so = { .sz = sizeof(so), .producer = "run" };
	char err[256] = "";
	int ret = 0;

	if (metrics_addr) {
		rs->metrics = wbpf_metrics__new();
		ret = rs->metrics ? wbpf_metrics__serve(rs->metrics, metrics_addr, err, sizeof(err))
				  : -ENOMEM;
	}
	if (!ret && imports_records(mod)) {
		so.metrics = rs->metrics;
		if (!output)
			output = isatty(STDOUT_FILENO) ? "table" : "json";
		ret = wbpf_sink__open(output, &so, &rs->sink, err, sizeof(err));
		if (!ret)
			ret = wbpf_sink_abi__define(store, rs->sink);
	}
	if (ret)
		fprintf(stderr, "wbpf run: %s\n", err[0] ? err : strerror(-ret));
	return ret;
}

void run_sink__close(struct run_sink *rs)
{
	wbpf_sink__close(rs->sink);
	wbpf_metrics__free(rs->metrics);
	rs->sink = NULL;
	rs->metrics = NULL;
}
