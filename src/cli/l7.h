/* SPDX-License-Identifier: MIT */
/*
 * `wbpf l7`'s plugin options: --plugin P.wasm, each followed by its
 * --plugin-arg K=V, and --hook-timeout, collected while parsing and handed
 * to the plugin host (src/l7/plugin*.c), which gives back the pipeline's
 * wbpf_l7_plugin_factory.
 */
#ifndef WBPF_CLI_L7_H
#define WBPF_CLI_L7_H

#include <stdint.h>

#include "wbpf/l7.h"

struct l7_plugin_opt {
	const char *path;
	const char **args; /* "key=value" */
	unsigned n_args;
};

struct l7_plugin_opts {
	struct l7_plugin_opt *list;
	unsigned n;
	uint64_t hook_timeout_ns; /* 0: the host's default */
	unsigned max_records;	  /* 0: the host's default */
	void *host;		  /* the loaded plugins */
};

/* `opt` is "plugin", "plugin-arg" or "hook-timeout". Returns 0 or an exit
 * status after one error line. */
int l7_plugin_opts__add(struct l7_plugin_opts *o, const char *opt, const char *arg);
/* Loads the plugins (if any) and sets cfg->plugins. */
int l7_plugin_opts__load(struct l7_plugin_opts *o, struct wbpf_l7_config *cfg);
void l7_plugin_opts__free(struct l7_plugin_opts *o);
struct wbpf_metrics;
/* Per plugin and hook: calls, failures, call-time histograms, dropped
 * records, as Prometheus series (from the metrics' collection thread). */
void l7_plugin_opts__collect(const struct l7_plugin_opts *o, struct wbpf_metrics *m);

int cli_l7(int argc, char **argv);

#endif
