// SPDX-License-Identifier: MIT
/* `wbpf run REF`, `wbpf l7 --plugin REF`: the module of an image,
 * through the OCI resolver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "wbpf/oci.h"

int cli_oci_resolve(const char *cmd, const char *arg, struct wbpf_oci_artifact **out)
{
	struct wbpf_oci_resolve_opts opts = {.sz = sizeof(opts)};
	struct wbpf_oci_artifact *a;
	struct wbpf_oci_error err;

	*out = NULL;
	if (!wbpf_oci__is_ref(arg))
		return 0;
	opts.remote.sz = sizeof(opts.remote);
	opts.remote.progress = isatty(STDERR_FILENO);
	if (wbpf_oci__resolve(arg, &opts, &a, &err)) {
		fprintf(stderr, "wbpf %s: %s\n", cmd, err.msg);
		return -1;
	}
	*out = a;
	return 0;
}

/* The image `arg` names, with a Wasm module; NULL (and 0) when arg is no
 * reference. -1 after printing why. */
static int resolve(const char *cmd, const char *arg, struct wbpf_oci_artifact **out)
{
	struct wbpf_oci_artifact *a;

	*out = NULL;
	if (cli_oci_resolve(cmd, arg, &a))
		return -1;
	if (!a)
		return 0;
	if (!a->wasm_path) {
		fprintf(stderr, "wbpf %s: %s: a %s image without a Wasm module (BPF objects only)\n",
			cmd, a->ref, wbpf_oci_format__str(a->format));
		wbpf_oci_artifact__free(a);
		return -1;
	}
	*out = a;
	return 0;
}

int cli_oci_module(const char *cmd, const char *arg, char **path)
{
	struct wbpf_oci_artifact *a;

	*path = NULL;
	if (resolve(cmd, arg, &a))
		return -1;
	if (a && !(*path = strdup(a->wasm_path)))
		fprintf(stderr, "wbpf %s: out of memory\n", cmd);
	wbpf_oci_artifact__free(a);
	return a && !*path ? -1 : 0;
}

int cli_oci_plugin(const char *cmd, const char *arg, const char *const *cli_args, size_t n,
		   struct cli_oci_plugin *out)
{
	size_t k;

	*out = (struct cli_oci_plugin){.path = arg};
	if (resolve(cmd, arg, &out->image))
		return -1;
	k = out->image ? out->image->nplugin_args : 0;
	out->args = calloc(k + n + 1, sizeof(char *));
	if (!out->args) {
		fprintf(stderr, "wbpf %s: out of memory\n", cmd);
		cli_oci_plugin__free(out);
		return -1;
	}
	for (size_t i = 0; i < k; i++)
		out->args[i] = out->image->plugin_args[i];
	for (size_t i = 0; i < n; i++)
		out->args[k + i] = cli_args[i];
	out->nargs = k + n;
	if (out->image)
		out->path = out->image->wasm_path;
	return 0;
}

void cli_oci_plugin__free(struct cli_oci_plugin *p)
{
	wbpf_oci_artifact__free(p->image);
	free(p->args);
	*p = (struct cli_oci_plugin){0};
}
