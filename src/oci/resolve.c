// SPDX-License-Identifier: MIT
/* Run by reference: the one resolver behind every command that runs a
 * plugin named by an image reference. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oci/internal.h"

bool wbpf_oci__is_ref(const char *s)
{
	struct oci_ref r;
	struct stat st;
	bool named;

	size_t n = s ? strlen(s) : 0;

	if (!n || !stat(s, &st) || *s == '.' || *s == '/' || (n > 5 && !strcmp(s + n - 5, ".wasm")))
		return false;
	if (oci_ref__parse(s, &r, NULL))
		return false;
	/* "app" alone could be a missing file: a reference says more. */
	named = strchr(s, ':') || strchr(s, '@') || strchr(s, '/');
	oci_ref__free(&r);
	return named;
}

void wbpf_oci_artifact__free(struct wbpf_oci_artifact *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nbpf; i++)
		free(a->bpf_paths[i]);
	free(a->bpf_paths);
	free(a->ref);
	free(a->wasm_path);
	free(a->gadget_yaml_path);
	free(a->plugin_config_path);
	for (size_t i = 0; i < a->nplugin_args; i++)
		free(a->plugin_args[i]);
	free(a->plugin_args);
	free(a);
}

/* A part's blob, re-hashed: the store is only as good as its files. */
static int part_path(struct wbpf_oci_store *s, const struct oci_desc *d, char **out,
		     struct wbpf_oci_error *err)
{
	int ret;

	if (!d)
		return 0;
	ret = oci_store__verify_blob(s, d->digest, d->size, err);
	if (!ret && !(*out = oci_store__blob_path(s, d->digest)))
		ret = oci_err(err, -ENOMEM, "out of memory");
	return ret;
}

static int fill(struct wbpf_oci_store *s, const struct oci_parts *p, struct wbpf_oci_artifact *a,
		struct wbpf_oci_error *err)
{
	int ret;

	a->format = p->format;
	a->bpf_paths = calloc(p->nbpf + 1, sizeof(char *));
	if (!a->bpf_paths)
		return oci_err(err, -ENOMEM, "out of memory");
	ret = part_path(s, p->wasm, &a->wasm_path, err);
	for (size_t i = 0; i < p->nbpf && !ret; i++, a->nbpf++)
		ret = part_path(s, p->bpf[i], &a->bpf_paths[i], err);
	if (!ret)
		ret = part_path(s, p->yaml, &a->gadget_yaml_path, err);
	if (!ret)
		ret = part_path(s, p->plugin_config, &a->plugin_config_path, err);
	if (!ret && a->plugin_config_path)
		ret = oci_plugin_args__load(a->plugin_config_path, &a->plugin_args,
					    &a->nplugin_args, err);
	return ret;
}

/* An index resolves to this machine's manifest. */
static int platform_manifest(struct wbpf_oci_store *s, const char *ref, char *digest,
			     struct oci_manifest *m, struct wbpf_oci_error *err)
{
	const struct oci_desc *child;
	int ret = oci_store__manifest(s, digest, m, err);

	if (ret || !m->is_index)
		return ret;
	child = oci_index__pick(m);
	if (!child) {
		oci_manifest__free(m);
		return oci_err(err, -ENOENT, "%s: no image for linux/%s", ref, oci_host_arch());
	}
	strcpy(digest, child->digest);
	oci_manifest__free(m);
	ret = oci_store__manifest(s, digest, m, err);
	if (!ret && m->is_index) {
		oci_manifest__free(m);
		ret = oci_err(err, -EBADMSG, "%s: an index inside an index", ref);
	}
	return ret;
}

static int open_artifact(struct wbpf_oci_store *s, const char *ref,
			 const struct wbpf_oci_resolve_opts *opts, struct wbpf_oci_artifact *a,
			 struct wbpf_oci_error *err)
{
	struct oci_manifest m;
	struct oci_parts p;
	struct oci_desc d;
	int ret = oci_store__lookup(s, ref, &d, &a->ref, err);

	if (ret == -ENOENT && !opts->no_pull) {
		ret = wbpf_oci__pull(s, ref, &opts->remote, err);
		if (!ret)
			ret = oci_store__lookup(s, ref, &d, &a->ref, err);
	}
	if (ret)
		return ret;
	free(d.media_type);
	strcpy(a->digest, d.digest);
	ret = oci_policy__check(s, a->ref, opts, err);
	if (!ret)
		ret = platform_manifest(s, a->ref, a->digest, &m, err);
	if (ret)
		return ret;
	ret = oci_parts__find(&m, &p, err);
	if (!ret)
		ret = fill(s, &p, a, err);
	oci_manifest__free(&m);
	return ret;
}

int wbpf_oci__resolve(const char *ref, const struct wbpf_oci_resolve_opts *opts,
		      struct wbpf_oci_artifact **out, struct wbpf_oci_error *err)
{
	static const struct wbpf_oci_resolve_opts defaults = {.sz = sizeof(defaults)};
	struct wbpf_oci_artifact *a = calloc(1, sizeof(*a));
	struct wbpf_oci_store *s = NULL;
	int ret;

	opts = opts ? opts : &defaults;
	if (!a)
		return oci_err(err, -ENOMEM, "out of memory");
	ret = wbpf_oci_store__open(opts->store_root, &s, err);
	if (!ret)
		ret = open_artifact(s, ref, opts, a, err);
	wbpf_oci_store__free(s);
	if (ret) {
		wbpf_oci_artifact__free(a);
		return ret;
	}
	*out = a;
	return 0;
}
