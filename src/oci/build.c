// SPDX-License-Identifier: MIT
/*
 * `wbpf build`: a plugin directory into an image of the store. The
 * directory holds one *.wasm module, BPF objects (*.bpf.o for every
 * architecture, *.bpf.<arch>.o for one), an optional gadget.yaml and an
 * optional plugin.json (an L7 plugin's config). Objects for particular
 * architectures make an index with one manifest each.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/internal.h"

#define BUILD_MAX_FILE (1u << 30)
#define BUILD_MAX_FILES 16
#define BUILD_MAX_ARCHES 8

struct build_src {
	const char *dir;
	char *wasm, *yaml, *plugin;
	char *bpf[BUILD_MAX_FILES];	/* *.bpf.o and *.bpf.<arch>.o */
	char *bpf_arch[BUILD_MAX_FILES];	/* NULL: every architecture */
	size_t nbpf;
	const char *arches[BUILD_MAX_ARCHES];
	size_t narches;
	const struct wbpf_oci_build_opts *opts;
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

static void note_arch(struct build_src *b, const char *arch)
{
	for (size_t i = 0; i < b->narches; i++)
		if (!strcmp(b->arches[i], arch))
			return;
	if (b->narches < BUILD_MAX_ARCHES)
		b->arches[b->narches++] = arch;
}

/* "x.bpf.o" -> every architecture; "x.bpf.arm64.o" -> arm64. */
static int add_bpf(struct build_src *b, const char *name, struct wbpf_oci_error *err)
{
	const char *mark = strstr(name, ".bpf.");
	char *arch = NULL;

	if (b->nbpf == BUILD_MAX_FILES)
		return oci_err(err, -E2BIG, "%s: more than %d BPF objects", b->dir, BUILD_MAX_FILES);
	if (strcmp(mark, ".bpf.o")) {
		arch = strndup(mark + 5, strlen(mark + 5) - 2);
		if (!arch)
			return oci_err(err, -ENOMEM, "out of memory");
		note_arch(b, arch);
	}
	b->bpf_arch[b->nbpf] = arch;
	b->bpf[b->nbpf++] = strdup(name);
	return 0;
}

static int set_once(char **slot, const char *name, const char *dir, const char *what,
		    struct wbpf_oci_error *err)
{
	if (*slot)
		return oci_err(err, -EINVAL, "%s: more than one %s (%s, %s)", dir, what, *slot, name);
	*slot = strdup(name);
	return *slot ? 0 : oci_err(err, -ENOMEM, "out of memory");
}

static int scan(struct build_src *b, struct wbpf_oci_error *err)
{
	DIR *d = opendir(b->dir);
	struct dirent *e;
	int ret = 0;

	if (!d)
		return oci_err(err, -errno, "%s: %s", b->dir, strerror(errno));
	while (!ret && (e = readdir(d))) {
		const char *n = e->d_name;

		if (ends_with(n, ".wasm"))
			ret = set_once(&b->wasm, n, b->dir, "Wasm module", err);
		else if (strstr(n, ".bpf.") && ends_with(n, ".o"))
			ret = add_bpf(b, n, err);
		else if (!strcmp(n, "gadget.yaml"))
			ret = set_once(&b->yaml, n, b->dir, "gadget.yaml", err);
		else if (!strcmp(n, "plugin.json"))
			ret = set_once(&b->plugin, n, b->dir, "plugin.json", err);
	}
	closedir(d);
	if (!ret && !b->wasm && !b->nbpf)
		ret = oci_err(err, -ENOENT, "%s: no *.wasm module and no *.bpf.o object", b->dir);
	return ret;
}

static void src_free(struct build_src *b)
{
	free(b->wasm);
	free(b->yaml);
	free(b->plugin);
	for (size_t i = 0; i < b->nbpf; i++) {
		free(b->bpf[i]);
		free(b->bpf_arch[i]);
	}
}

/* Stores a file of the directory as a blob and appends its descriptor. */
static int put_file(struct wbpf_oci_store *s, const struct build_src *b, const char *name,
		    const char *mt, json_t *layers, struct wbpf_oci_error *err)
{
	char path[PATH_MAX], *buf;
	struct oci_desc d = {.media_type = (char *)mt, .title = (char *)name};
	size_t len;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", b->dir, name);
	ret = oci_file__read(path, BUILD_MAX_FILE, &buf, &len);
	if (ret)
		return oci_err(err, ret, "%s: %s", path, strerror(-ret));
	ret = oci_store__put_blob(s, buf, len, d.digest, err);
	free(buf);
	d.size = len;
	if (!ret && json_array_append_new(layers, oci_desc__json(&d)))
		ret = oci_err(err, -ENOMEM, "out of memory");
	return ret;
}

static int put_json(struct wbpf_oci_store *s, json_t *j, const char *mt, struct oci_desc *d,
		    struct wbpf_oci_error *err)
{
	size_t len;
	char *text = j ? oci_json__dump(j, &len) : NULL;
	int ret;

	if (!text)
		return oci_err(err, -ENOMEM, "out of memory");
	memset(d, 0, sizeof(*d));
	d->media_type = (char *)mt;
	d->size = len;
	ret = oci_store__put_blob(s, text, len, d->digest, err);
	free(text);
	return ret;
}

static const char *kind_of(const struct build_src *b)
{
	return b->yaml ? "gadget" : b->plugin ? "l7" : "app";
}

/* The layers for one architecture (NULL: objects for every one only). */
static int put_layers(struct wbpf_oci_store *s, const struct build_src *b, const char *arch,
		      json_t *layers, json_t *names, struct wbpf_oci_error *err)
{
	bool ig = b->opts->format == WBPF_OCI_BUILD_GADGET;
	int ret = 0;

	for (size_t i = 0; i < b->nbpf && !ret; i++) {
		if (b->bpf_arch[i] && (!arch || strcmp(arch, b->bpf_arch[i])))
			continue;
		ret = put_file(s, b, b->bpf[i], ig ? WBPF_OCI_MT_IG_EBPF : WBPF_OCI_MT_BPF,
			       layers, err);
		json_array_append_new(names, json_string(b->bpf[i]));
	}
	if (!ret && b->wasm)
		ret = put_file(s, b, b->wasm, ig ? WBPF_OCI_MT_IG_WASM : WBPF_OCI_MT_MODULE,
			       layers, err);
	if (!ret && b->yaml && !ig)
		ret = put_file(s, b, b->yaml, WBPF_OCI_MT_GADGET_YAML, layers, err);
	if (!ret && b->plugin && !ig)
		ret = put_file(s, b, b->plugin, WBPF_OCI_MT_PLUGIN_CONFIG, layers, err);
	return ret;
}

/* wbpf's config: what the plugin is, for `inspect` and the runners. */
static int put_config(struct wbpf_oci_store *s, const struct build_src *b, const char *arch,
		      json_t *names, struct oci_desc *d, struct wbpf_oci_error *err)
{
	json_t *c;
	int ret;

	if (b->opts->format == WBPF_OCI_BUILD_GADGET && b->yaml) {
		json_t *layers = json_array();

		ret = layers ? put_file(s, b, b->yaml, WBPF_OCI_MT_IG_CONFIG, layers, err) : -ENOMEM;
		if (!ret) {
			json_t *j = json_array_get(layers, 0);

			memset(d, 0, sizeof(*d));
			d->media_type = WBPF_OCI_MT_IG_CONFIG;
			strcpy(d->digest, json_string_value(json_object_get(j, "digest")));
			d->size = (uint64_t)json_integer_value(json_object_get(j, "size"));
		}
		json_decref(layers);
		return ret;
	}
	if (b->opts->format == WBPF_OCI_BUILD_GADGET)
		c = json_object();
	else
		c = json_pack("{s:s, s:s*, s:O, s:s*}", "kind", kind_of(b), "module", b->wasm,
			      "bpf", names, "architecture", arch);
	ret = put_json(s, c, b->opts->format == WBPF_OCI_BUILD_GADGET ? WBPF_OCI_MT_EMPTY :
		       WBPF_OCI_MT_CONFIG, d, err);
	json_decref(c);
	return ret;
}

static int put_manifest(struct wbpf_oci_store *s, const struct build_src *b, const char *arch,
			struct oci_desc *out, struct wbpf_oci_error *err)
{
	bool ig = b->opts->format == WBPF_OCI_BUILD_GADGET;
	json_t *layers = json_array(), *names = json_array(), *m = NULL;
	struct oci_desc config;
	int ret = layers && names ? 0 : oci_err(err, -ENOMEM, "out of memory");

	if (!ret)
		ret = put_layers(s, b, arch, layers, names, err);
	if (!ret)
		ret = put_config(s, b, arch, names, &config, err);
	if (!ret)
		m = json_pack("{s:i, s:s, s:s, s:o, s:O}", "schemaVersion", 2,
			      "mediaType", WBPF_OCI_MT_MANIFEST,
			      "artifactType", ig ? WBPF_OCI_IG_ARTIFACT : WBPF_OCI_ARTIFACT,
			      "config", oci_desc__json(&config), "layers", layers);
	if (!ret)
		ret = put_json(s, m, WBPF_OCI_MT_MANIFEST, out, err);
	out->arch = (char *)arch;
	json_decref(m);
	json_decref(layers);
	json_decref(names);
	return ret;
}

static int put_index(struct wbpf_oci_store *s, const struct build_src *b, struct oci_desc *out,
		     struct wbpf_oci_error *err)
{
	json_t *list = json_array(), *idx;
	int ret = list ? 0 : oci_err(err, -ENOMEM, "out of memory");

	for (size_t i = 0; i < b->narches && !ret; i++) {
		struct oci_desc d;

		ret = put_manifest(s, b, b->arches[i], &d, err);
		if (!ret && json_array_append_new(list, oci_desc__json(&d)))
			ret = oci_err(err, -ENOMEM, "out of memory");
	}
	idx = ret ? NULL : json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
				     WBPF_OCI_MT_INDEX, "manifests", list);
	if (!ret)
		ret = put_json(s, idx, WBPF_OCI_MT_INDEX, out, err);
	json_decref(idx);
	json_decref(list);
	return ret;
}

int wbpf_oci_store__build(struct wbpf_oci_store *s, const char *dir, const char *ref,
			  const struct wbpf_oci_build_opts *opts, struct wbpf_oci_error *err)
{
	static const struct wbpf_oci_build_opts defaults = {.sz = sizeof(defaults)};
	struct build_src b = {.dir = dir, .opts = opts ? opts : &defaults};
	struct oci_ref r;
	struct oci_desc top;
	char *name = NULL;
	int ret = oci_ref__parse(ref, &r, err);

	if (ret)
		return ret;
	if (r.digest)
		ret = oci_err(err, -EINVAL, "%s: name a tag, not a digest", ref);
	if (!ret)
		ret = scan(&b, err);
	/* IG's tooling expects an index, even for one architecture. */
	if (!ret && !b.narches && b.opts->format == WBPF_OCI_BUILD_GADGET)
		b.arches[b.narches++] = oci_host_arch();
	if (!ret && !(name = oci_ref__str(&r)))
		ret = oci_err(err, -ENOMEM, "out of memory");
	if (!ret)
		ret = oci_store__writer_begin(s);
	if (!ret) {
		ret = b.narches ? put_index(s, &b, &top, err) : put_manifest(s, &b, NULL, &top, err);
		if (!ret)
			ret = oci_store__set_ref(s, name, &top, err);
		oci_store__writer_end(s);
	}
	free(name);
	src_free(&b);
	oci_ref__free(&r);
	return ret;
}
