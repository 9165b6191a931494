// SPDX-License-Identifier: MIT
/*
 * `wbpf pull`: manifests and blobs fetched into a private directory of
 * the store, each checked against its digest and size as it arrives;
 * only when everything is verified are the blobs renamed into place and
 * the name written. A failed pull leaves the store as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/http.h"

#define PULL_ACCEPT WBPF_OCI_MT_INDEX ", " WBPF_OCI_MT_MANIFEST ", " \
	WBPF_OCI_MT_DOCKER_MANIFEST ", " WBPF_OCI_MT_DOCKER_LIST

struct pull {
	struct wbpf_oci_store *s;
	struct oci_http h;
	char *tmp;
	struct wbpf_oci_error *err;
};

static int stage_bytes(struct pull *p, const char *digest, const void *buf, size_t len)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", p->tmp, digest + 7);
	ret = oci_file__write_atomic(path, buf, len);
	return ret ? oci_err(p->err, ret, "%s: %s", path, strerror(-ret)) : 0;
}

/* GET a manifest by tag or digest; want (a digest) and size are checked
 * when known. *m parsed, the bytes staged. */
static int fetch_manifest(struct pull *p, const char *what, const char *want, uint64_t size,
			  struct oci_desc *d, struct oci_manifest *m)
{
	char url[PATH_MAX], name[PATH_MAX];
	struct oci_req q = {.method = "GET", .url = url, .accept = PULL_ACCEPT, .body_fd = -1,
			    .sink_fd = -1, .max = size ? size : OCI_MAX_MANIFEST, .what = name};
	struct oci_resp r = {0};
	int ret;

	snprintf(url, sizeof(url), "/v2/%s/manifests/%s", p->h.repo, what);
	snprintf(name, sizeof(name), "%s/%s%c%s", p->h.host, p->h.repo,
		 strncmp(what, "sha256:", 7) ? ':' : '@', what);
	ret = oci_http__do(&p->h, &q, &r);
	if (!ret && r.status != 200)
		ret = oci_http__status_err(&p->h, &r, name);
	/* By tag, the registry's Docker-Content-Digest is what to expect. */
	if (!ret && !want && r.digest && oci_digest__valid(r.digest))
		want = r.digest;
	if (!ret) {
		oci_digest(r.body ? r.body : "", r.len, d->digest);
		d->size = r.len;
		if (want && strcmp(want, d->digest))
			ret = oci_err(p->err, -EBADMSG, "manifest %s: digest mismatch (the registry "
				      "sent %s)", want, d->digest);
		else if (size && r.len != size)
			ret = oci_err(p->err, -EBADMSG, "manifest %s: %zu bytes, expected %llu",
				      what, r.len, (unsigned long long)size);
	}
	if (!ret)
		ret = oci_manifest__parse(r.body, r.len, r.content_type, m, p->err);
	if (!ret && !(d->media_type = strdup(m->media_type)))
		ret = oci_err(p->err, -ENOMEM, "out of memory");
	if (!ret)
		ret = stage_bytes(p, d->digest, r.body, r.len);
	if (ret && d->media_type) {
		oci_manifest__free(m);
		free(d->media_type);
		d->media_type = NULL;
	}
	oci_resp__free(&r);
	return ret;
}

/* A blob, streamed to the private directory, hashed on the way. */
static int fetch_blob(struct pull *p, const struct oci_desc *d)
{
	char url[PATH_MAX], path[PATH_MAX], got[OCI_DIGEST_MAX], what[40];
	struct oci_req q = {.method = "GET", .url = url, .body_fd = -1, .max = d->size,
			    .what = what};
	struct oci_resp r = {.hash = oci_hash__new()};
	int ret;

	snprintf(url, sizeof(url), "/v2/%s/blobs/%s", p->h.repo, d->digest);
	snprintf(path, sizeof(path), "%s/%s", p->tmp, d->digest + 7);
	snprintf(what, sizeof(what), "blob %.19s", d->digest);
	q.sink_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (q.sink_fd < 0 || !r.hash) {
		oci_hash__free(r.hash);
		if (q.sink_fd >= 0)
			close(q.sink_fd);
		return oci_err(p->err, -errno, "%s: %s", path, strerror(errno));
	}
	ret = oci_http__do(&p->h, &q, &r);
	if (!ret && r.status != 200)
		ret = oci_http__status_err(&p->h, &r, what);
	if (!ret && r.got != d->size)
		ret = oci_err(p->err, -EBADMSG, "blob %s: %llu bytes, expected %llu", d->digest,
			      (unsigned long long)r.got, (unsigned long long)d->size);
	if (!ret) {
		oci_hash__final(r.hash, got);
		r.hash = NULL;
		if (strcmp(got, d->digest))
			ret = oci_err(p->err, -EBADMSG, "blob %s: digest mismatch (content is %s)",
				      d->digest, got);
	}
	if (!ret && fsync(q.sink_fd))
		ret = oci_err(p->err, -errno, "%s: %s", path, strerror(errno));
	close(q.sink_fd);
	oci_resp__free(&r);
	return ret;
}

static int fetch_blobs(struct pull *p, const struct oci_manifest *m)
{
	int ret = 0;

	if (!oci_store__has_blob(p->s, m->config.digest))
		ret = fetch_blob(p, &m->config);
	for (size_t i = 0; i < m->ndescs && !ret; i++)
		if (!oci_store__has_blob(p->s, m->descs[i].digest))
			ret = fetch_blob(p, &m->descs[i]);
	return ret;
}

/* One child of an index: a manifest with its blobs. */
static int fetch_child(struct pull *p, const struct oci_desc *want)
{
	struct oci_manifest child;
	struct oci_desc cd = {0};
	int ret = fetch_manifest(p, want->digest, want->digest, want->size, &cd, &child);

	if (ret)
		return ret;
	if (child.is_index)
		ret = oci_err(p->err, -EBADMSG, "%s: an index inside an index", cd.digest);
	else
		ret = fetch_blobs(p, &child);
	oci_manifest__free(&child);
	free(cd.media_type);
	return ret;
}

/* The top manifest; for an index, every platform's manifest, so that
 * the index can be pushed again intact (BPF objects are small). */
static int fetch_image(struct pull *p, const struct oci_ref *r, struct oci_desc *top)
{
	struct oci_manifest m;
	int ret = fetch_manifest(p, r->digest ? r->digest : r->tag, r->digest, 0, top, &m);

	if (ret)
		return ret;
	if (m.is_index && !oci_index__pick(&m))
		ret = oci_err(p->err, -ENOENT, "%s: no image for linux/%s in the index", r->repo,
			      oci_host_arch());
	else if (!m.is_index)
		ret = fetch_blobs(p, &m);
	for (size_t i = 0; m.is_index && i < m.ndescs && !ret; i++)
		if (oci_media_type__is_manifest(m.descs[i].media_type))
			ret = fetch_child(p, &m.descs[i]);
	oci_manifest__free(&m);
	return ret;
}

int wbpf_oci__pull(struct wbpf_oci_store *s, const char *ref,
		   const struct wbpf_oci_remote_opts *opts, struct wbpf_oci_error *err)
{
	struct pull p = {.s = s, .err = err};
	struct oci_desc top = {0};
	struct oci_ref r;
	char *name = NULL;
	int ret = oci_ref__parse(ref, &r, err);

	if (ret)
		return ret;
	ret = oci_http__open(&p.h, r.registry, r.repo, "pull", opts, err);
	if (!ret && !(name = oci_ref__str(&r)))
		ret = oci_err(err, -ENOMEM, "out of memory");
	if (!ret && !(ret = oci_store__writer_begin(s))) {
		p.tmp = oci_store__tmpdir(s, err);
		ret = p.tmp ? fetch_image(&p, &r, &top) : -EIO;
		if (!ret)
			ret = oci_store__commit_dir(s, p.tmp, err);
		else if (p.tmp)
			oci_rmtree(p.tmp);
		if (!ret)
			ret = oci_store__set_ref(s, name, &top, err);
		oci_store__writer_end(s);
	}
	free(top.media_type);
	free(p.tmp);
	free(name);
	oci_http__close(&p.h);
	oci_ref__free(&r);
	return ret;
}
