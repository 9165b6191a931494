// SPDX-License-Identifier: MIT
/* `wbpf run --output / --metrics` (run_sink.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/run_sink.h"
#include "cli/sinks.h"

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
	int ret;

	if (!imports_records(mod))
		output = NULL;
	else if (!output)
		output = isatty(STDOUT_FILENO) ? "table" : "json";
	ret = cli_sinks__open("run", "run", output, metrics_addr, NULL, NULL, &rs->sink,
			      &rs->metrics);
	if (!ret && rs->sink && (ret = wbpf_sink_abi__define(store, rs->sink)))
		fprintf(stderr, "wbpf run: %s\n", strerror(-ret));
	return ret;
}

void run_sink__close(struct run_sink *rs)
{
	cli_sinks__close(&rs->sink, &rs->metrics);
}
