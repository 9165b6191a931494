// SPDX-License-Identifier: MIT
/* `wbpf inspect`: what an image of the store holds, in a readable form. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oci/internal.h"

#define INSPECT_MAX_CONFIG 4096

static void print_desc(FILE *out, const struct wbpf_oci_store *s, const struct oci_desc *d)
{
	fprintf(out, "  %-46s %10llu  %s%s%s%s\n", d->media_type, (unsigned long long)d->size,
		d->digest, d->title ? "  " : "", d->title ? d->title : "",
		oci_store__has_blob(s, d->digest) ? "" : "  (not in the store)");
}

/* A small text config (wbpf's JSON, a gadget.yaml) is shown as it is. */
static void print_config(FILE *out, const struct wbpf_oci_store *s, const struct oci_desc *d)
{
	size_t len;
	char *buf;

	if (d->size > INSPECT_MAX_CONFIG ||
	    oci_store__read_blob(s, d->digest, INSPECT_MAX_CONFIG, &buf, &len, NULL))
		return;
	if (strlen(buf) == len)
		fprintf(out, "%s%s", buf, len && buf[len - 1] == '\n' ? "" : "\n");
	free(buf);
}

static void print_signature(FILE *out, struct wbpf_oci_store *s, const char *ref,
			    const char *digest)
{
	struct oci_ref r;
	struct oci_desc d;
	char tag[OCI_DIGEST_MAX + 8], *sig;

	if (oci_ref__parse(ref, &r, NULL))
		return;
	snprintf(tag, sizeof(tag), "sha256-%s.sig", digest + 7);
	sig = oci_ref__with_tag(&r, tag);
	if (sig && !oci_store__lookup(s, sig, &d, NULL, NULL)) {
		fprintf(out, "Signature: present (%s; check it with 'wbpf verify')\n", tag);
		free(d.media_type);
	} else {
		fprintf(out, "Signature: none in the store\n");
	}
	free(sig);
	oci_ref__free(&r);
}

static int print_manifest(FILE *out, struct wbpf_oci_store *s, const char *digest,
			  struct wbpf_oci_error *err)
{
	struct oci_manifest m;
	struct oci_parts p;
	char *text;
	int ret = oci_store__manifest(s, digest, &m, err);

	if (ret)
		return ret;
	if (m.is_index) {
		fprintf(out, "Index: %s\n", m.media_type);
		for (size_t i = 0; i < m.ndescs; i++) {
			fprintf(out, "  %s/%s", m.descs[i].os ? m.descs[i].os : "-",
				m.descs[i].arch ? m.descs[i].arch : "-");
			print_desc(out, s, &m.descs[i]);
		}
	} else {
		fprintf(out, "Manifest: %s %s\n", m.media_type, digest);
		fprintf(out, "Format: %s%s%s\n", oci_parts__find(&m, &p, NULL) ? "not runnable" :
			wbpf_oci_format__str(p.format), m.artifact_type ? ", artifactType " : "",
			m.artifact_type ? m.artifact_type : "");
		fprintf(out, "Config:\n");
		print_desc(out, s, &m.config);
		print_config(out, s, &m.config);
		fprintf(out, "Layers:\n");
		for (size_t i = 0; i < m.ndescs; i++)
			print_desc(out, s, &m.descs[i]);
	}
	text = json_dumps(m.json, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fprintf(out, "%s\n", text ? text : "");
	free(text);
	oci_manifest__free(&m);
	return 0;
}

int wbpf_oci_store__inspect(struct wbpf_oci_store *s, const char *ref, FILE *out,
			    struct wbpf_oci_error *err)
{
	struct oci_manifest m;
	struct oci_desc d;
	const struct oci_desc *child;
	char *name;
	int ret = oci_store__lookup(s, ref, &d, &name, err);

	if (ret)
		return ret;
	fprintf(out, "Reference: %s\nDigest: %s\nSize: %llu\n", name, d.digest,
		(unsigned long long)d.size);
	print_signature(out, s, name, d.digest);
	ret = print_manifest(out, s, d.digest, err);
	if (!ret && oci_media_type__is_index(d.media_type) &&
	    !oci_store__manifest(s, d.digest, &m, NULL)) {
		child = oci_index__pick(&m);
		if (child && oci_store__has_blob(s, child->digest))
			ret = print_manifest(out, s, child->digest, err);
		oci_manifest__free(&m);
	}
	free(name);
	free(d.media_type);
	return ret;
}
