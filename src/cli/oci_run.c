// SPDX-License-Identifier: MIT
/* `wbpf run REF`, `wbpf l7 --plugin REF`: the module of an image,
 * through the OCI resolver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "wbpf/oci.h"

int cli_oci_module(const char *cmd, const char *arg, char **path)
{
	struct wbpf_oci_resolve_opts opts = {.sz = sizeof(opts)};
	struct wbpf_oci_artifact *a;
	struct wbpf_oci_error err;

	*path = NULL;
	if (!wbpf_oci__is_ref(arg))
		return 0;
	opts.remote.sz = sizeof(opts.remote);
	opts.remote.progress = isatty(STDERR_FILENO);
	if (wbpf_oci__resolve(arg, &opts, &a, &err)) {
		fprintf(stderr, "wbpf %s: %s\n", cmd, err.msg);
		return -1;
	}
	if (!a->wasm_path)
		fprintf(stderr, "wbpf %s: %s: a %s image without a Wasm module (BPF objects only)\n",
			cmd, a->ref, wbpf_oci_format__str(a->format));
	else
		*path = strdup(a->wasm_path);
	wbpf_oci_artifact__free(a);
	return *path ? 0 : -1;
}
