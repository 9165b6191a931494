// SPDX-License-Identifier: MIT
/* `wbpf l7`'s plugin options (see l7.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/l7.h"
#include "l7/plugin.h"
#include "wbpf/sink.h"

static int add_arg(struct l7_plugin_opt *p, const char *arg)
{
	const char **a = realloc(p->args, (p->n_args + 1) * sizeof(*a));

	if (!a)
		return -ENOMEM;
	a[p->n_args++] = arg;
	p->args = a;
	return 0;
}

int l7_plugin_opts__add(struct l7_plugin_opts *o, const char *opt, const char *arg)
{
	if (!strcmp(opt, "hook-timeout")) {
		if (cli_parse_duration(arg, &o->hook_timeout_ns) || !o->hook_timeout_ns) {
			fprintf(stderr, "wbpf l7: bad duration for --hook-timeout: '%s'\n", arg);
			return CLI_EXIT_USAGE;
		}
		return 0;
	}
	if (!strcmp(opt, "plugin-arg")) {
		if (!o->n) {
			fprintf(stderr, "wbpf l7: --plugin-arg '%s' must follow the --plugin it configures\n", arg);
			return CLI_EXIT_USAGE;
		}
		if (!strchr(arg, '=')) {
			fprintf(stderr, "wbpf l7: --plugin-arg takes KEY=VALUE, not '%s'\n", arg);
			return CLI_EXIT_USAGE;
		}
		return add_arg(&o->list[o->n - 1], arg) ? CLI_EXIT_ERROR : 0;
	}
	struct l7_plugin_opt *l = realloc(o->list, (o->n + 1) * sizeof(*l));

	if (!l)
		return CLI_EXIT_ERROR;
	o->list = l;
	o->list[o->n++] = (struct l7_plugin_opt){.path = arg};
	return 0;
}

int l7_plugin_opts__load(struct l7_plugin_opts *o, struct wbpf_l7_config *cfg)
{
	struct l7_plugins_opts po = { .sz = sizeof(po), .hook_timeout_ns = o->hook_timeout_ns,
				      .max_records = o->max_records };
	struct l7_plugin_spec *specs;
	struct wbpf_error err = { .msg = "" };

	if (!o->n)
		return 0;
	struct cli_oci_plugin *image = calloc(o->n, sizeof(*image)); /* --plugin FILE|REF */
	unsigned resolved = 0;

	if (!(specs = calloc(o->n, sizeof(*specs))) || !image) {
		free(specs);
		free(image);
		return CLI_EXIT_ERROR;
	}
	while (resolved < o->n && !cli_oci_plugin("l7", o->list[resolved].path, o->list[resolved].args,
						  o->list[resolved].n_args, &image[resolved]))
		resolved++;
	for (unsigned i = 0; i < resolved; i++)
		specs[i] = (struct l7_plugin_spec){ image[i].path, image[i].args, image[i].nargs };
	if (resolved == o->n)
		o->host = l7_plugins__load(specs, o->n, &po, &err);
	for (unsigned i = 0; i < resolved; i++)
		cli_oci_plugin__free(&image[i]);
	free(image);
	free(specs);
	if (resolved < o->n)
		return CLI_EXIT_ERROR;
	if (!o->host) {
		fprintf(stderr, "wbpf l7: %s\n", err.msg);
		return CLI_EXIT_ERROR;
	}
	cfg->plugins = l7_plugins__factory(o->host);
	return 0;
}

/* A label value as the exposition format quotes it. */
static void label_value(char *out, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s && o + 3 < size; s++) {
		if (*s == '"' || *s == '\\' || *s == '\n')
			out[o++] = '\\';
		out[o++] = *s == '\n' ? 'n' : *s;
	}
	out[o] = '\0';
}

static void put(struct wbpf_metrics *m, enum wbpf_metric_type type, const char *name,
		const char *labels, const char *help, double v)
{
	struct wbpf_metric *s = wbpf_metrics__get(m, type, name, labels, help);

	if (s)
		wbpf_metric__set(s, v);
}

/* One plugin hook's calls, failures and guest-call times. */
static void collect_hook(struct wbpf_metrics *m, const char *labels,
			 const struct l7_plugin_hook_stats *hs)
{
	uint64_t timed = 0;
	struct wbpf_metric *h;

	for (unsigned b = 0; b <= L7_PLUGIN_HIST; b++)
		timed += hs->hist[b];
	put(m, WBPF_METRIC_COUNTER, "wbpf_l7_plugin_calls_total", labels,
	    "Plugin hook calls, by plugin and hook (load: the load sequence).", (double)hs->calls);
	put(m, WBPF_METRIC_COUNTER, "wbpf_l7_plugin_failures_total", labels,
	    "Plugin hook calls that trapped, ran out of time or returned a bad result.",
	    (double)hs->failures);
	h = wbpf_metrics__get(m, WBPF_METRIC_HISTOGRAM, "wbpf_l7_plugin_call_seconds", labels,
			      "Time of each call into a plugin, by plugin and hook.");
	if (h)
		wbpf_metric__set_histogram(h, hs->hist, timed, (double)hs->time_ns / 1e9);
}

void l7_plugin_opts__collect(const struct l7_plugin_opts *o, struct wbpf_metrics *m)
{
	for (size_t i = 0; o->host && i < l7_plugins__count(o->host); i++) {
		struct l7_plugin_stats st;
		char name[128], base[192], labels[224];

		if (l7_plugins__stats(o->host, i, &st))
			continue;
		label_value(name, sizeof(name), st.name);
		snprintf(base, sizeof(base), "plugin=\"%s\",abi=\"%s\"", name, st.abi);
		put(m, WBPF_METRIC_COUNTER, "wbpf_l7_plugin_records_dropped_total", base,
		    "Plugin records past --max-records, dropped.", (double)st.records_dropped);
		put(m, WBPF_METRIC_GAUGE, "wbpf_l7_plugin_disabled", base,
		    "1 once a plugin was disabled after repeated failures.", st.disabled);
		for (unsigned h = 0; h < L7_PLUGIN_HOOKS; h++) {
			if (!st.hooks[h].calls && !st.hooks[h].time_ns)
				continue;
			snprintf(labels, sizeof(labels), "%s,hook=\"%s\"", base, l7_plugin__hook_name(h));
			collect_hook(m, labels, &st.hooks[h]);
		}
	}
}

void l7_plugin_opts__free(struct l7_plugin_opts *o)
{
	for (unsigned i = 0; i < o->n; i++)
		free(o->list[i].args);
	free(o->list);
	o->list = NULL;
	o->n = 0;
	l7_plugins__free(o->host);
	o->host = NULL;
}
