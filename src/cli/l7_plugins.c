// SPDX-License-Identifier: MIT
/* `wbpf l7`'s plugin options (see l7.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/l7.h"
#include "l7/plugin.h"

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

int l7_plugin_opts__load(struct l7_plugin_opts *o, struct l7_config *cfg)
{
	struct l7_plugins_opts po = { .sz = sizeof(po), .hook_timeout_ns = o->hook_timeout_ns };
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
