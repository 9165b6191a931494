// SPDX-License-Identifier: MIT
/*
 * `wbpf export` / `wbpf import`: OCI image-layout tarballs (libarchive),
 * as `docker save`-style transport without a registry. An import checks
 * every blob against its name before anything reaches the store.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/internal.h"

#define LAYOUT_FILE "{\"imageLayoutVersion\":\"1.0.0\"}"

static int add_bytes(struct archive *a, const char *name, const void *p, size_t n)
{
	struct archive_entry *e = archive_entry_new();
	int ret;

	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)n);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	ret = archive_write_header(a, e) == ARCHIVE_OK &&
	      archive_write_data(a, p, n) == (la_ssize_t)n ? 0 : -EIO;
	archive_entry_free(e);
	return ret;
}

struct export {
	struct archive *a;
	const struct wbpf_oci_store *s;
	json_t *done;		/* digests written */
};

static int add_blob(const char *digest, uint64_t size, void *ctx)
{
	struct export *x = ctx;
	char name[OCI_DIGEST_MAX + 16], buf[1 << 16], *path;
	struct archive_entry *e;
	ssize_t n = 0;
	int fd, ret;

	if (json_object_get(x->done, digest))
		return 0;
	json_object_set_new(x->done, digest, json_true());
	path = oci_store__blob_path(x->s, digest);
	fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	free(path);
	if (fd < 0)
		return -ENOENT;
	snprintf(name, sizeof(name), "blobs/sha256/%s", digest + 7);
	e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	ret = archive_write_header(x->a, e) == ARCHIVE_OK ? 0 : -EIO;
	while (!ret && (n = read(fd, buf, sizeof(buf))) > 0)
		if (archive_write_data(x->a, buf, (size_t)n) != n)
			ret = -EIO;
	archive_entry_free(e);
	close(fd);
	return ret ? ret : n < 0 ? -EIO : 0;
}

static int export_refs(struct wbpf_oci_store *s, struct export *x, const char *const *refs,
		       size_t nrefs, json_t *list, struct wbpf_oci_error *err)
{
	int ret = 0;

	for (size_t i = 0; i < nrefs && !ret; i++) {
		struct oci_desc d;
		char *name;

		ret = oci_store__lookup(s, refs[i], &d, &name, err);
		if (ret)
			break;
		json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType",
						       d.media_type, "digest", d.digest, "size",
						       (json_int_t)d.size, "annotations",
						       OCI_REF_ANNOTATION, name));
		ret = oci_store__walk(s, d.digest, add_blob, x);
		if (ret)
			oci_err(err, ret, "%s: cannot write its blobs: %s", name, strerror(-ret));
		free(name);
		free(d.media_type);
	}
	return ret;
}

int wbpf_oci_store__export(struct wbpf_oci_store *s, const char *const *refs, size_t nrefs,
			   const char *tar_path, struct wbpf_oci_error *err)
{
	struct export x = {.a = archive_write_new(), .s = s, .done = json_object()};
	json_t *list = json_array(), *index;
	char *text = NULL, tmp[PATH_MAX];
	size_t len;
	int ret;

	snprintf(tmp, sizeof(tmp), "%s.tmp", tar_path);
	ret = x.a && x.done && list && archive_write_set_format_pax_restricted(x.a) == ARCHIVE_OK &&
	      archive_write_open_filename(x.a, tmp) == ARCHIVE_OK ? 0 :
		oci_err(err, -EIO, "%s: %s", tmp, x.a ? archive_error_string(x.a) : "no memory");
	if (!ret)
		ret = add_bytes(x.a, "oci-layout", LAYOUT_FILE, sizeof(LAYOUT_FILE) - 1);
	if (!ret)
		ret = export_refs(s, &x, refs, nrefs, list, err);
	index = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType", WBPF_OCI_MT_INDEX,
			  "manifests", list);
	if (!ret && !(text = index ? oci_json__dump(index, &len) : NULL))
		ret = oci_err(err, -ENOMEM, "out of memory");
	if (!ret && add_bytes(x.a, "index.json", text, len))
		ret = oci_err(err, -EIO, "%s: %s", tmp, archive_error_string(x.a));
	if (x.a && archive_write_close(x.a) != ARCHIVE_OK && !ret)
		ret = oci_err(err, -EIO, "%s: %s", tmp, archive_error_string(x.a));
	if (!ret && rename(tmp, tar_path))
		ret = oci_err(err, -errno, "%s: %s", tar_path, strerror(errno));
	if (ret)
		unlink(tmp);
	archive_write_free(x.a);
	json_decref(index);
	json_decref(list);
	json_decref(x.done);
	free(text);
	return ret;
}

/* ------------------------------------------------------------ import */

/* A blob entry streamed to tmpdir, hashed; its name must be its digest. */
static int import_blob(struct archive *a, const char *tmpdir, const char *hex,
		       struct wbpf_oci_error *err)
{
	char path[PATH_MAX], want[OCI_DIGEST_MAX], got[OCI_DIGEST_MAX], buf[1 << 16];
	struct oci_hash *h = oci_hash__new();
	int fd, ret = 0;
	la_ssize_t n;

	snprintf(want, sizeof(want), "sha256:%s", hex);
	if (!oci_digest__valid(want) || !h) {
		oci_hash__free(h);
		return oci_err(err, -EBADMSG, "tarball: bad blob name blobs/sha256/%.80s", hex);
	}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, hex);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	while (fd >= 0 && !ret && (n = archive_read_data(a, buf, sizeof(buf))) != 0) {
		if (n < 0 || write(fd, buf, (size_t)n) != n)
			ret = oci_err(err, -EIO, "tarball: blob %s: %s", want,
				      n < 0 ? archive_error_string(a) : strerror(errno));
		else
			oci_hash__update(h, buf, (size_t)n);
	}
	if (fd < 0 || (!ret && fsync(fd)))
		ret = oci_err(err, -errno, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	oci_hash__final(h, got);
	if (!ret && strcmp(got, want))
		ret = oci_err(err, -EBADMSG, "tarball: blob %s: digest mismatch (content is %s)",
			      want, got);
	return ret;
}

static int read_index(struct archive *a, json_t **index, struct wbpf_oci_error *err)
{
	char *buf = malloc(OCI_MAX_MANIFEST + 1);
	size_t len = 0;
	la_ssize_t n = 1;

	while (buf && len < OCI_MAX_MANIFEST && (n = archive_read_data(a, buf + len,
							OCI_MAX_MANIFEST - len)) > 0)
		len += (size_t)n;
	json_decref(*index);
	*index = buf && n >= 0 ? json_loadb(buf, len, 0, NULL) : NULL;
	free(buf);
	return json_is_array(json_object_get(*index, "manifests")) ? 0 :
		oci_err(err, -EBADMSG, "tarball: index.json is not an OCI index");
}

static int read_tar(struct archive *a, const char *tmpdir, json_t **index,
		    struct wbpf_oci_error *err)
{
	struct archive_entry *e;
	int r, ret = 0;

	while (!ret && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);

		if (!strncmp(name, "./", 2))
			name += 2;
		if (!strncmp(name, "blobs/sha256/", 13) && name[13])
			ret = import_blob(a, tmpdir, name + 13, err);
		else if (!strcmp(name, "index.json"))
			ret = read_index(a, index, err);
	}
	if (!ret && r != ARCHIVE_EOF)
		ret = oci_err(err, -EBADMSG, "tarball: %s", archive_error_string(a));
	if (!ret && !*index)
		ret = oci_err(err, -EBADMSG, "tarball: no index.json (not an OCI layout)");
	return ret;
}

/* Names the imported images; each must be complete in the store. */
static int name_images(struct wbpf_oci_store *s, json_t *index, size_t *n,
		       struct wbpf_oci_error *err)
{
	size_t i;
	json_t *e;
	int ret = 0;

	json_array_foreach(json_object_get(index, "manifests"), i, e) {
		const char *ref = oci_index__entry_ref(e);
		struct oci_desc d = {0};
		struct oci_ref r;
		char *name;

		if (!ref || oci_ref__parse(ref, &r, err))
			continue;
		name = oci_ref__str(&r);
		oci_ref__free(&r);
		d.media_type = (char *)json_string_value(json_object_get(e, "mediaType"));
		snprintf(d.digest, sizeof(d.digest), "%s",
			 json_string_value(json_object_get(e, "digest")) ?: "");
		d.size = (uint64_t)json_integer_value(json_object_get(e, "size"));
		if (!name || !d.media_type || !oci_store__has_blob(s, d.digest))
			ret = oci_err(err, -EBADMSG, "tarball: %s: its manifest is missing", ref);
		else
			ret = oci_store__set_ref(s, name, &d, err);
		free(name);
		if (ret)
			break;
		(*n)++;
	}
	return ret;
}

int wbpf_oci_store__import(struct wbpf_oci_store *s, const char *tar_path, size_t *nimported,
			   struct wbpf_oci_error *err)
{
	struct archive *a = archive_read_new();
	json_t *index = NULL;
	char *tmp = NULL;
	int ret;

	*nimported = 0;
	if (!a)
		return oci_err(err, -ENOMEM, "out of memory");
	archive_read_support_format_all(a);
	archive_read_support_filter_all(a);
	ret = archive_read_open_filename(a, tar_path, 1 << 16) == ARCHIVE_OK ? 0 :
		oci_err(err, -EIO, "%s: %s", tar_path, archive_error_string(a));
	if (!ret)
		ret = oci_store__writer_begin(s);
	if (!ret) {
		tmp = oci_store__tmpdir(s, err);
		ret = tmp ? read_tar(a, tmp, &index, err) : -EIO;
		if (!ret)
			ret = oci_store__commit_dir(s, tmp, err);
		else if (tmp)
			oci_rmtree(tmp);
		if (!ret)
			ret = name_images(s, index, nimported, err);
		oci_store__writer_end(s);
	}
	archive_read_free(a);
	json_decref(index);
	free(tmp);
	return ret;
}
