// SPDX-License-Identifier: MIT
/*
 * `wbpf push`: blobs the registry lacks (HEAD) are mounted from another
 * repository of the same registry that holds the same image, or uploaded
 * (in one PUT, or in PATCH chunks past the chunk size); then manifests,
 * children of an index first.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/http.h"

#define PUSH_DEFAULT_CHUNK (16u << 20)

struct push {
	struct wbpf_oci_store *s;
	struct oci_http h;
	char *mount_from;	/* a repository of this registry with the image */
	struct wbpf_oci_error *err;
};

static bool blob_exists(struct push *p, const char *digest)
{
	char url[PATH_MAX];
	struct oci_req q = {.method = "HEAD", .url = url, .body_fd = -1, .sink_fd = -1};
	struct oci_resp r = {0};
	bool found;

	snprintf(url, sizeof(url), "/v2/%s/blobs/%s", p->h.repo, digest);
	found = !oci_http__do(&p->h, &q, &r) && r.status == 200;
	oci_resp__free(&r);
	return found;
}

/* Where an upload continues: the registry's Location, made absolute. */
static char *next_url(const struct oci_resp *r)
{
	return r->location ? strdup(r->location) : NULL;
}

/* POST an upload session, or a cross-repository mount (201: done). */
static int start_upload(struct push *p, const char *digest, char **loc, bool *mounted)
{
	char url[PATH_MAX];
	struct oci_req q = {.method = "POST", .url = url, .body_fd = -1, .sink_fd = -1,
			    .max = 0, .what = digest};
	struct oci_resp r = {0};
	int ret;

	if (p->mount_from)
		snprintf(url, sizeof(url), "/v2/%s/blobs/uploads/?mount=%s&from=%s", p->h.repo,
			 digest, p->mount_from);
	else
		snprintf(url, sizeof(url), "/v2/%s/blobs/uploads/", p->h.repo);
	ret = oci_http__do(&p->h, &q, &r);
	*mounted = !ret && r.status == 201;
	if (!ret && !*mounted && r.status != 202)
		ret = oci_http__status_err(&p->h, &r, "blob upload");
	if (!ret && !*mounted && !(*loc = next_url(&r)))
		ret = oci_err(p->err, -EPROTO, "%s: upload started without a Location", p->h.host);
	oci_resp__free(&r);
	return ret;
}

/* With ?digest= (or &digest=) appended. */
static char *with_digest(const char *loc, const char *digest)
{
	char *u;

	if (asprintf(&u, "%s%cdigest=%s", loc, strchr(loc, '?') ? '&' : '?', digest) < 0)
		return NULL;
	return u;
}

/* PATCH chunks [off, off+n) in turn, following Location each time. */
static int send_chunks(struct push *p, int fd, uint64_t size, char **loc, const char *what)
{
	size_t chunk = p->h.opts->chunk_size ? p->h.opts->chunk_size : PUSH_DEFAULT_CHUNK;
	int ret = 0;

	for (uint64_t off = 0; off < size && !ret;) {
		size_t n = size - off < chunk ? (size_t)(size - off) : chunk;
		char range[64];
		struct oci_req q = {.method = "PATCH", .url = *loc, .body_fd = fd,
				    .body_off = (off_t)off, .body_len = n, .content_range = range,
				    .sink_fd = -1, .what = what};
		struct oci_resp r = {0};

		snprintf(range, sizeof(range), "%llu-%llu", (unsigned long long)off,
			 (unsigned long long)(off + n - 1));
		ret = oci_http__do(&p->h, &q, &r);
		if (!ret && r.status != 202)
			ret = oci_http__status_err(&p->h, &r, what);
		if (!ret) {
			free(*loc);
			if (!(*loc = next_url(&r)))
				ret = oci_err(p->err, -EPROTO, "%s: chunk accepted without a Location",
					      p->h.host);
		}
		oci_resp__free(&r);
		off += n;
	}
	return ret;
}

static int upload(struct push *p, const struct oci_desc *d, int fd, char *loc)
{
	size_t chunk = p->h.opts->chunk_size ? p->h.opts->chunk_size : PUSH_DEFAULT_CHUNK;
	bool chunked = d->size > chunk;
	char what[40], *url;
	struct oci_req q = {.method = "PUT", .body_fd = chunked ? -1 : fd, .body_len = chunked ?
			    0 : (size_t)d->size, .sink_fd = -1, .what = what};
	struct oci_resp r = {0};
	int ret = 0;

	snprintf(what, sizeof(what), "blob %.19s", d->digest);
	if (chunked)
		ret = send_chunks(p, fd, d->size, &loc, what);
	url = ret ? NULL : with_digest(loc, d->digest);
	if (!ret && !url)
		ret = oci_err(p->err, -ENOMEM, "out of memory");
	q.url = url;
	if (!ret)
		ret = oci_http__do(&p->h, &q, &r);
	if (!ret && r.status != 201)
		ret = oci_http__status_err(&p->h, &r, what);
	oci_resp__free(&r);
	free(url);
	free(loc);
	return ret;
}

static int push_blob(struct push *p, const struct oci_desc *d)
{
	char *path, *loc = NULL;
	bool mounted;
	int fd, ret;

	if (blob_exists(p, d->digest))
		return 0;
	path = oci_store__blob_path(p->s, d->digest);
	fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	free(path);
	if (fd < 0)
		return oci_err(p->err, -ENOENT, "blob %s is not in the store", d->digest);
	ret = oci_store__verify_blob(p->s, d->digest, d->size, p->err);
	if (!ret)
		ret = start_upload(p, d->digest, &loc, &mounted);
	if (!ret && !mounted)
		ret = upload(p, d, fd, loc);
	close(fd);
	return ret;
}

static int put_manifest(struct push *p, const char *what, const char *digest, const char *mt)
{
	char url[PATH_MAX], *buf;
	size_t len;
	int ret = oci_store__read_blob(p->s, digest, OCI_MAX_MANIFEST, &buf, &len, p->err);
	struct oci_req q = {.method = "PUT", .url = url, .content_type = mt, .body_fd = -1,
			    .sink_fd = -1, .what = what};
	struct oci_resp r = {0};

	if (ret)
		return ret;
	q.body = buf;
	q.body_len = len;
	snprintf(url, sizeof(url), "/v2/%s/manifests/%s", p->h.repo, what);
	ret = oci_http__do(&p->h, &q, &r);
	if (!ret && r.status != 201)
		ret = oci_http__status_err(&p->h, &r, what);
	oci_resp__free(&r);
	free(buf);
	return ret;
}

/* An image manifest's blobs, then itself under `tag` (or its digest). */
static int push_manifest(struct push *p, const char *digest, const char *tag)
{
	struct oci_manifest m;
	int ret = oci_store__manifest(p->s, digest, &m, p->err);

	if (ret)
		return ret;
	if (!m.is_index)
		ret = push_blob(p, &m.config);
	for (size_t i = 0; i < m.ndescs && !ret; i++) {
		if (!m.is_index)
			ret = push_blob(p, &m.descs[i]);
		else if (!oci_store__has_blob(p->s, m.descs[i].digest))
			ret = oci_err(p->err, -ENOENT, "cannot push the index: its %s/%s image was "
				      "not pulled", m.descs[i].os ? m.descs[i].os : "-",
				      m.descs[i].arch ? m.descs[i].arch : "-");
		else
			ret = push_manifest(p, m.descs[i].digest, NULL);
	}
	if (!ret)
		ret = put_manifest(p, tag ? tag : digest, digest, m.media_type);
	oci_manifest__free(&m);
	return ret;
}

/* Another repository of the same registry holding this very image. */
static char *mount_source(struct wbpf_oci_store *s, const struct oci_ref *r, const char *digest)
{
	struct wbpf_oci_image_info *v;
	struct oci_ref o;
	char *from = NULL;
	size_t n;

	if (wbpf_oci_store__list(s, &v, &n, NULL))
		return NULL;
	for (size_t i = 0; i < n && !from; i++) {
		if (strcmp(v[i].digest, digest) || oci_ref__parse(v[i].ref, &o, NULL))
			continue;
		if (!strcmp(o.registry, r->registry) && strcmp(o.repo, r->repo))
			from = strdup(o.repo);
		oci_ref__free(&o);
	}
	wbpf_oci_image_info__free(v, n);
	return from;
}

int wbpf_oci__push(struct wbpf_oci_store *s, const char *ref,
		   const struct wbpf_oci_remote_opts *opts, struct wbpf_oci_error *err)
{
	struct push p = {.s = s, .err = err};
	struct oci_desc d;
	struct oci_ref r;
	int ret = oci_store__lookup(s, ref, &d, NULL, err);

	if (ret)
		return ret;
	ret = oci_ref__parse(ref, &r, err);
	if (!ret) {
		p.mount_from = mount_source(s, &r, d.digest);
		ret = oci_http__open(&p.h, r.registry, r.repo, "pull,push", opts, err);
	}
	if (!ret)
		ret = push_manifest(&p, d.digest, r.digest ? NULL : r.tag);
	oci_http__close(&p.h);
	free(p.mount_from);
	free(d.media_type);
	oci_ref__free(&r);
	return ret;
}
