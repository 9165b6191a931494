// SPDX-License-Identifier: MIT
/* `wbpf l7`'s plugin options (see l7.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/l7.h"

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
	(void)cfg;
	if (!o->n)
		return 0;
	/* The plugin host lands separately (issue 9, plugin half). */
	fprintf(stderr, "wbpf l7: --plugin %s: Wasm L7 plugins are not available in this build yet\n",
		o->list[0].path);
	return CLI_EXIT_ERROR;
}

void l7_plugin_opts__free(struct l7_plugin_opts *o)
{
	for (unsigned i = 0; i < o->n; i++)
		free(o->list[i].args);
	free(o->list);
	o->list = NULL;
	o->n = 0;
}
