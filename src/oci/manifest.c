// SPDX-License-Identifier: MIT
/* Image manifests and indexes (OCI and Docker v2): parsed from bytes a
 * registry or a tarball sent, so everything is checked before use. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oci/internal.h"

bool oci_media_type__is_manifest(const char *mt)
{
	return mt && (!strcmp(mt, WBPF_OCI_MT_MANIFEST) || !strcmp(mt, WBPF_OCI_MT_DOCKER_MANIFEST));
}

bool oci_media_type__is_index(const char *mt)
{
	return mt && (!strcmp(mt, WBPF_OCI_MT_INDEX) || !strcmp(mt, WBPF_OCI_MT_DOCKER_LIST));
}

static char *dup_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? strdup(s) : NULL;
}

static int parse_desc(json_t *j, struct oci_desc *d, const char *what,
		      struct wbpf_oci_error *err)
{
	json_t *size = json_object_get(j, "size"), *plat = json_object_get(j, "platform");
	const char *digest = json_string_value(json_object_get(j, "digest"));
	const char *mt = json_string_value(json_object_get(j, "mediaType"));

	if (!json_is_object(j))
		return oci_err(err, -EBADMSG, "malformed manifest: %s is not an object", what);
	if (!mt || !*mt || strlen(mt) > 255)
		return oci_err(err, -EBADMSG, "malformed manifest: %s has no mediaType", what);
	if (!oci_digest__valid(digest))
		return oci_err(err, -EBADMSG, "malformed manifest: %s: bad or unsupported digest '%s'",
			       what, digest ? digest : "(none)");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return oci_err(err, -EBADMSG, "malformed manifest: %s has no valid size", what);
	strcpy(d->digest, digest);
	d->size = (uint64_t)json_integer_value(size);
	d->media_type = strdup(mt);
	d->artifact_type = dup_str(j, "artifactType");
	d->title = dup_str(json_object_get(j, "annotations"), OCI_TITLE_ANNOTATION);
	if (json_is_object(plat)) {
		d->arch = dup_str(plat, "architecture");
		d->os = dup_str(plat, "os");
	}
	return d->media_type ? 0 : oci_err(err, -ENOMEM, "out of memory");
}

static void free_desc(struct oci_desc *d)
{
	free(d->media_type);
	free(d->artifact_type);
	free(d->title);
	free(d->arch);
	free(d->os);
}

static int parse_descs(json_t *arr, struct oci_manifest *m, const char *what,
		       struct wbpf_oci_error *err)
{
	size_t i;
	json_t *v;
	int ret;

	if (!json_is_array(arr))
		return oci_err(err, -EBADMSG, "malformed manifest: no %s array", what);
	m->descs = calloc(json_array_size(arr) + 1, sizeof(*m->descs));
	if (!m->descs)
		return oci_err(err, -ENOMEM, "out of memory");
	json_array_foreach(arr, i, v) {
		char name[48];

		snprintf(name, sizeof(name), "%s[%zu]", what, i);
		ret = parse_desc(v, &m->descs[i], name, err);
		m->ndescs = i + 1;
		if (ret)
			return ret;
	}
	return 0;
}

/* The media type: the document's own, else the registry's header. */
static int pick_type(struct oci_manifest *m, const char *content_type,
		     struct wbpf_oci_error *err)
{
	const char *mt = json_string_value(json_object_get(m->json, "mediaType"));
	json_t *sv = json_object_get(m->json, "schemaVersion");

	if (!json_is_integer(sv) || json_integer_value(sv) != 2)
		return oci_err(err, -EBADMSG, "unsupported manifest: schemaVersion is not 2");
	if (!mt && content_type && *content_type)
		mt = content_type;
	/* An OCI document without mediaType says which it is by its arrays. */
	if (!mt)
		mt = json_object_get(m->json, "manifests") ? WBPF_OCI_MT_INDEX : WBPF_OCI_MT_MANIFEST;
	if (!oci_media_type__is_manifest(mt) && !oci_media_type__is_index(mt))
		return oci_err(err, -EPROTONOSUPPORT, "unknown manifest type '%.200s'", mt);
	m->media_type = strdup(mt);
	m->is_index = oci_media_type__is_index(mt);
	return m->media_type ? 0 : oci_err(err, -ENOMEM, "out of memory");
}

int oci_manifest__parse(const void *buf, size_t len, const char *content_type,
			struct oci_manifest *m, struct wbpf_oci_error *err)
{
	json_error_t jerr;
	int ret;

	memset(m, 0, sizeof(*m));
	if (len > OCI_MAX_MANIFEST)
		return oci_err(err, -EFBIG, "manifest too big (%zu bytes)", len);
	m->json = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(m->json)) {
		oci_err(err, -EBADMSG, "malformed manifest: %s",
			m->json ? "not a JSON object" : jerr.text);
		oci_manifest__free(m);
		return -EBADMSG;
	}
	ret = pick_type(m, content_type, err);
	if (!ret && m->is_index) {
		ret = parse_descs(json_object_get(m->json, "manifests"), m, "manifests", err);
	} else if (!ret) {
		ret = parse_desc(json_object_get(m->json, "config"), &m->config, "config", err);
		if (!ret)
			ret = parse_descs(json_object_get(m->json, "layers"), m, "layers", err);
	}
	if (!ret) {
		m->artifact_type = dup_str(m->json, "artifactType");
		m->annotations = json_object_get(m->json, "annotations");
	}
	if (ret)
		oci_manifest__free(m);
	return ret;
}

void oci_manifest__free(struct oci_manifest *m)
{
	free_desc(&m->config);
	for (size_t i = 0; i < m->ndescs; i++)
		free_desc(&m->descs[i]);
	free(m->descs);
	free(m->media_type);
	free(m->artifact_type);
	json_decref(m->json);
	memset(m, 0, sizeof(*m));
}

json_t *oci_desc__json(const struct oci_desc *d)
{
	json_t *j = json_pack("{s:s, s:s, s:I}", "mediaType", d->media_type, "digest", d->digest,
			      "size", (json_int_t)d->size);

	if (j && d->artifact_type)
		json_object_set_new(j, "artifactType", json_string(d->artifact_type));
	if (j && d->title)
		json_object_set_new(j, "annotations",
				    json_pack("{s:s}", OCI_TITLE_ANNOTATION, d->title));
	if (j && d->arch)
		json_object_set_new(j, "platform", json_pack("{s:s, s:s}", "architecture", d->arch,
							     "os", d->os ? d->os : "linux"));
	return j;
}

char *oci_json__dump(const json_t *j, size_t *len)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s)
		*len = strlen(s);
	return s;
}
