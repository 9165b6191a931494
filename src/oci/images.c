// SPDX-License-Identifier: MIT
/* The store's images: listing, tagging, removing and inspecting. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oci/internal.h"

static int add_size(const char *digest, uint64_t size, void *ctx)
{
	(void)digest;
	*(uint64_t *)ctx += size;
	return 0;
}

static int by_ref(const void *a, const void *b)
{
	return strcmp(((const struct wbpf_oci_image_info *)a)->ref,
		      ((const struct wbpf_oci_image_info *)b)->ref);
}

int wbpf_oci_store__list(struct wbpf_oci_store *s, struct wbpf_oci_image_info **out, size_t *n,
			 struct wbpf_oci_error *err)
{
	json_t *index = oci_store__index(s, err), *e;
	struct wbpf_oci_image_info *v;
	size_t i, cnt = 0;

	if (!index)
		return -EBADMSG;
	v = calloc(json_array_size(json_object_get(index, "manifests")) + 1, sizeof(*v));
	json_array_foreach(json_object_get(index, "manifests"), i, e) {
		const char *ref = oci_index__entry_ref(e);
		const char *d = json_string_value(json_object_get(e, "digest"));
		const char *mt = json_string_value(json_object_get(e, "mediaType"));

		if (!v || !ref || !oci_digest__valid(d))
			continue;
		v[cnt].ref = strdup(ref);
		v[cnt].media_type = strdup(mt ? mt : "");
		strcpy(v[cnt].digest, d);
		oci_store__walk(s, d, add_size, &v[cnt].size);
		cnt++;
	}
	json_decref(index);
	if (!v)
		return oci_err(err, -ENOMEM, "out of memory");
	qsort(v, cnt, sizeof(*v), by_ref);
	*out = v;
	*n = cnt;
	return 0;
}

void wbpf_oci_image_info__free(struct wbpf_oci_image_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].ref);
		free(v[i].media_type);
	}
	free(v);
}

int wbpf_oci_store__tag(struct wbpf_oci_store *s, const char *src, const char *dst,
			struct wbpf_oci_error *err)
{
	struct oci_ref r;
	struct oci_desc d;
	char *name;
	int ret = oci_store__lookup(s, src, &d, NULL, err);

	if (ret)
		return ret;
	ret = oci_ref__parse(dst, &r, err);
	if (!ret && r.digest)
		ret = oci_err(err, -EINVAL, "%s: a tag cannot name a digest", dst);
	name = ret ? NULL : oci_ref__str(&r);
	if (!ret)
		ret = name ? oci_store__set_ref(s, name, &d, err) : oci_err(err, -ENOMEM, "out of memory");
	free(name);
	free(d.media_type);
	oci_ref__free(&r);
	return ret;
}

int wbpf_oci_store__remove(struct wbpf_oci_store *s, const char *ref, struct wbpf_oci_error *err)
{
	struct oci_ref r;
	json_t *index;
	char *name;
	uint64_t freed;
	int ret = oci_ref__parse(ref, &r, err);

	if (ret)
		return ret;
	name = oci_ref__str(&r);
	ret = name ? oci_store__lock(s) : -ENOMEM;
	if (ret) {
		free(name);
		oci_ref__free(&r);
		return oci_err(err, ret, "cannot lock the store: %s", strerror(-ret));
	}
	index = oci_store__index(s, err);
	if (!index)
		ret = -EBADMSG;
	else if (!oci_index__drop(json_object_get(index, "manifests"), name, r.digest))
		ret = oci_err(err, -ENOENT, "%s: not in the store", name);
	else
		ret = oci_store__write_index(s, index, err);
	oci_store__unlock(s);
	json_decref(index);
	free(name);
	oci_ref__free(&r);
	return ret ? ret : wbpf_oci_store__gc(s, &freed, err);
}
