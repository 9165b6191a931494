// SPDX-License-Identifier: MIT
/*
 * A program outside the tree embedding an installed libwbpf: it is built
 * with `pkg-config --cflags --libs wbpf` and runs a WASI guest.
 *	embedder GUEST.wasm [ARGS...]
 * Prints the library's version line, then the guest's output; exits with
 * the guest's status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <wbpf/version.h>
#include <wbpf/wasi.h>
#include <wbpf/wasm.h>

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	long n;

	if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) &&
	    (buf = malloc((size_t)n)) && fread(buf, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	else {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct wbpf_error err = { 0 };
	struct wbpf_wasi_opts wo = { .sz = sizeof(wo) };
	struct wbpf_module *mod;
	struct wbpf_store *store;
	struct wbpf_wasi *wasi;
	struct wbpf_instance *inst;
	size_t len = 0;
	void *bytes;
	int code = 0;

	if (argc < 2 || !(bytes = read_file(argv[1], &len))) {
		fprintf(stderr, "usage: embedder GUEST.wasm [ARGS...]\n");
		return 2;
	}
	printf("libwbpf %s (%s): %s\n", wbpf_version__string(), wbpf_version__commit(),
	       wbpf_version__features());
	fflush(stdout);
	wo.argv = (const char *const *)argv + 1;
	wo.argc = (size_t)argc - 1;
	mod = wbpf_module__new(bytes, len, &err);
	store = wbpf_store__new(NULL);
	wasi = wbpf_wasi__new(&wo, &err);
	if (!mod || !store || !wasi || wbpf_wasi__define(wasi, store)) {
		fprintf(stderr, "embedder: %s\n", err.msg[0] ? err.msg : "setup failed");
		return 1;
	}
	inst = wbpf_instance__new(store, mod, &err);
	if (!inst || (wbpf_func__call(wbpf_instance__func(inst, "_start"), NULL, 0, NULL, 0, &err) &&
		      !wbpf_wasi__exited(wasi, &code))) {
		fprintf(stderr, "embedder: %s\n", err.msg);
		code = 1;
	}
	wbpf_store__free(store);
	wbpf_wasi__free(wasi);
	wbpf_module__free(mod);
	free(bytes);
	return code;
}
