// SPDX-License-Identifier: MIT
/*
 * The local store: an OCI image-layout directory. Blobs are content
 * addressed and shared between images; index.json names the images
 * (org.opencontainers.image.ref.name). Blobs are written to tmp/ and
 * renamed into place, index.json is rewritten whole under index.lock, and
 * writers hold gc.lock shared so a collection never removes a blob that a
 * concurrent pull has just placed but not yet named.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/internal.h"

static char *default_root(void)
{
	const char *env = getenv("WBPF_STORE"), *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char *s = NULL;

	if (env && *env)
		return strdup(env);
	if (geteuid() == 0)
		return strdup("/var/lib/wbpf");
	if (xdg && *xdg && asprintf(&s, "%s/wbpf", xdg) >= 0)
		return s;
	if (asprintf(&s, "%s/.local/share/wbpf", home ? home : ".") >= 0)
		return s;
	return NULL;
}

static int open_lock(const char *root, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	return open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
}

/* oci-layout and an empty index.json, the first time. */
static int init_layout(struct wbpf_oci_store *s)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	static const char index[] = "{\"schemaVersion\":2,\"mediaType\":\"" WBPF_OCI_MT_INDEX
				    "\",\"manifests\":[]}";
	char path[PATH_MAX];
	int ret = 0;

	snprintf(path, sizeof(path), "%s/oci-layout", s->root);
	if (access(path, F_OK))
		ret = oci_file__write_atomic(path, layout, sizeof(layout) - 1);
	snprintf(path, sizeof(path), "%s/index.json", s->root);
	if (!ret && oci_store__lock(s) == 0) {
		if (access(path, F_OK))
			ret = oci_file__write_atomic(path, index, sizeof(index) - 1);
		oci_store__unlock(s);
	}
	return ret;
}

int wbpf_oci_store__open(const char *root, struct wbpf_oci_store **out,
			 struct wbpf_oci_error *err)
{
	struct wbpf_oci_store *s = calloc(1, sizeof(*s));
	char path[PATH_MAX];
	int ret;

	if (!s || !(s->root = root ? strdup(root) : default_root())) {
		free(s);
		return oci_err(err, -ENOMEM, "out of memory");
	}
	s->lock_fd = s->gc_fd = -1;
	snprintf(path, sizeof(path), "%s/blobs/sha256", s->root);
	ret = oci_mkdirs(path, 0755);
	snprintf(path, sizeof(path), "%s/tmp", s->root);
	if (!ret)
		ret = oci_mkdirs(path, 0700);
	if (!ret) {
		s->lock_fd = open_lock(s->root, "index.lock");
		s->gc_fd = open_lock(s->root, "gc.lock");
		ret = s->lock_fd < 0 || s->gc_fd < 0 ? -errno : init_layout(s);
	}
	if (ret) {
		oci_err(err, ret, "store %s: %s", s->root, strerror(-ret));
		wbpf_oci_store__free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void wbpf_oci_store__free(struct wbpf_oci_store *s)
{
	if (!s)
		return;
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	if (s->gc_fd >= 0)
		close(s->gc_fd);
	free(s->root);
	free(s);
}

const char *wbpf_oci_store__root(const struct wbpf_oci_store *s)
{
	return s->root;
}

int oci_store__lock(struct wbpf_oci_store *s)
{
	while (flock(s->lock_fd, LOCK_EX))
		if (errno != EINTR)
			return -errno;
	return 0;
}

void oci_store__unlock(struct wbpf_oci_store *s)
{
	flock(s->lock_fd, LOCK_UN);
}

int oci_store__writer_begin(struct wbpf_oci_store *s)
{
	while (flock(s->gc_fd, LOCK_SH))
		if (errno != EINTR)
			return -errno;
	return 0;
}

void oci_store__writer_end(struct wbpf_oci_store *s)
{
	flock(s->gc_fd, LOCK_UN);
}

/* ------------------------------------------------------------- blobs */

char *oci_store__blob_path(const struct wbpf_oci_store *s, const char *digest)
{
	char *p;

	if (!oci_digest__valid(digest) || asprintf(&p, "%s/blobs/sha256/%s", s->root,
						   digest + 7) < 0)
		return NULL;
	return p;
}

bool oci_store__has_blob(const struct wbpf_oci_store *s, const char *digest)
{
	char *p = oci_store__blob_path(s, digest);
	bool ok = p && !access(p, F_OK);

	free(p);
	return ok;
}

int oci_store__read_blob(const struct wbpf_oci_store *s, const char *digest, size_t max,
			 char **buf, size_t *len, struct wbpf_oci_error *err)
{
	char *path = oci_store__blob_path(s, digest), got[OCI_DIGEST_MAX];
	int ret;

	if (!path)
		return oci_err(err, -EINVAL, "bad digest '%s'", digest);
	ret = oci_file__read(path, max, buf, len);
	free(path);
	if (ret == -ENOENT)
		return oci_err(err, ret, "blob %s is missing from the store", digest);
	if (ret)
		return oci_err(err, ret, "blob %s: %s", digest, strerror(-ret));
	oci_digest(*buf, *len, got);
	if (strcmp(got, digest)) {
		free(*buf);
		return oci_err(err, -EBADMSG, "blob %s is corrupted in the store (content is %s)",
			       digest, got);
	}
	return 0;
}

int oci_store__put_blob(struct wbpf_oci_store *s, const void *p, size_t n, char *digest,
			struct wbpf_oci_error *err)
{
	char d[OCI_DIGEST_MAX], *path;
	int ret = 0;

	oci_digest(p, n, d);
	if (digest)
		strcpy(digest, d);
	path = oci_store__blob_path(s, d);
	if (!path)
		return oci_err(err, -ENOMEM, "out of memory");
	if (access(path, F_OK))
		ret = oci_file__write_atomic(path, p, n);
	free(path);
	return ret ? oci_err(err, ret, "cannot write blob %s: %s", d, strerror(-ret)) : 0;
}

char *oci_store__tmpdir(struct wbpf_oci_store *s, struct wbpf_oci_error *err)
{
	char *t;

	if (asprintf(&t, "%s/tmp/XXXXXX", s->root) < 0) {
		oci_err(err, -ENOMEM, "out of memory");
		return NULL;
	}
	if (!mkdtemp(t)) {
		oci_err(err, -errno, "cannot create a directory in %s/tmp: %s", s->root,
			strerror(errno));
		free(t);
		return NULL;
	}
	return t;
}

int oci_store__commit_dir(struct wbpf_oci_store *s, const char *tmpdir,
			  struct wbpf_oci_error *err)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int ret = 0;

	if (!d)
		return oci_err(err, -errno, "%s: %s", tmpdir, strerror(errno));
	while (!ret && (e = readdir(d))) {
		char from[PATH_MAX], to[PATH_MAX];

		if (e->d_name[0] == '.' || strlen(e->d_name) != 64)
			continue;
		snprintf(from, sizeof(from), "%s/%s", tmpdir, e->d_name);
		snprintf(to, sizeof(to), "%s/blobs/sha256/%s", s->root, e->d_name);
		if (rename(from, to))
			ret = oci_err(err, -errno, "cannot store blob %s: %s", e->d_name,
				      strerror(errno));
	}
	closedir(d);
	oci_rmtree(tmpdir);
	return ret;
}

void oci_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char p[PATH_MAX];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			oci_rmtree(p);
		else
			unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* --------------------------------------------------------- index.json */

json_t *oci_store__index(const struct wbpf_oci_store *s, struct wbpf_oci_error *err)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *j;

	snprintf(path, sizeof(path), "%s/index.json", s->root);
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!j || !json_is_array(json_object_get(j, "manifests"))) {
		json_decref(j);
		oci_err(err, -EBADMSG, "%s: not an OCI index: %s", path, jerr.text);
		return NULL;
	}
	return j;
}

int oci_store__write_index(struct wbpf_oci_store *s, json_t *index, struct wbpf_oci_error *err)
{
	char path[PATH_MAX], *text = json_dumps(index, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int ret;

	if (!text)
		return oci_err(err, -ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "%s/index.json", s->root);
	ret = oci_file__write_atomic(path, text, strlen(text));
	free(text);
	return ret ? oci_err(err, ret, "cannot write %s: %s", path, strerror(-ret)) : 0;
}

const char *oci_index__entry_ref(json_t *e)
{
	return json_string_value(json_object_get(json_object_get(e, "annotations"),
						 OCI_REF_ANNOTATION));
}

/* Entries named `name`, or for a pinned reference, every entry with that
 * digest. */
size_t oci_index__drop(json_t *manifests, const char *name, const char *digest)
{
	size_t n = 0;

	for (size_t i = 0; i < json_array_size(manifests);) {
		json_t *e = json_array_get(manifests, i);
		const char *r = oci_index__entry_ref(e);
		const char *d = json_string_value(json_object_get(e, "digest"));

		if ((digest && d && !strcmp(d, digest)) || (!digest && r && !strcmp(r, name))) {
			json_array_remove(manifests, i);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

int oci_store__set_ref(struct wbpf_oci_store *s, const char *ref, const struct oci_desc *d,
		       struct wbpf_oci_error *err)
{
	json_t *index, *entry;
	int ret = oci_store__lock(s);

	if (ret)
		return oci_err(err, ret, "cannot lock the store: %s", strerror(-ret));
	index = oci_store__index(s, err);
	entry = json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", d->media_type,
			  "digest", d->digest, "size", (json_int_t)d->size,
			  "annotations", OCI_REF_ANNOTATION, ref);
	if (!index || !entry) {
		ret = index ? oci_err(err, -ENOMEM, "out of memory") : -EBADMSG;
	} else {
		oci_index__drop(json_object_get(index, "manifests"), ref, NULL);
		json_array_append(json_object_get(index, "manifests"), entry);
		ret = oci_store__write_index(s, index, err);
	}
	oci_store__unlock(s);
	json_decref(entry);
	json_decref(index);
	return ret;
}

static int desc_from_entry(json_t *e, struct oci_desc *d)
{
	const char *mt = json_string_value(json_object_get(e, "mediaType"));
	const char *dg = json_string_value(json_object_get(e, "digest"));

	memset(d, 0, sizeof(*d));
	if (!mt || !oci_digest__valid(dg))
		return -EBADMSG;
	strcpy(d->digest, dg);
	d->size = (uint64_t)json_integer_value(json_object_get(e, "size"));
	d->media_type = strdup(mt);
	return d->media_type ? 0 : -ENOMEM;
}

/* A pinned reference names content: any manifest blob with that digest. */
static int lookup_digest(struct wbpf_oci_store *s, const char *digest, struct oci_desc *d,
			 struct wbpf_oci_error *err)
{
	char *path = oci_store__blob_path(s, digest);
	struct oci_manifest m;
	struct stat st;
	int ret = path && !stat(path, &st) ? 0 : -ENOENT;

	free(path);
	if (ret)
		return oci_err(err, ret, "%s: not in the store", digest);
	ret = oci_store__manifest(s, digest, &m, err);
	if (ret)
		return ret;
	memset(d, 0, sizeof(*d));
	strcpy(d->digest, digest);
	d->size = (uint64_t)st.st_size;
	d->media_type = strdup(m.media_type);
	oci_manifest__free(&m);
	return d->media_type ? 0 : oci_err(err, -ENOMEM, "out of memory");
}

int oci_store__lookup(struct wbpf_oci_store *s, const char *ref, struct oci_desc *d,
		      char **canonical, struct wbpf_oci_error *err)
{
	struct oci_ref r;
	json_t *index = NULL, *e;
	int ret = oci_ref__parse(ref, &r, err);
	char *name;
	size_t i;

	if (ret)
		return ret;
	name = oci_ref__str(&r);
	if (!name) {
		ret = oci_err(err, -ENOMEM, "out of memory");
	} else if (r.digest) {
		ret = lookup_digest(s, r.digest, d, err);
	} else if ((index = oci_store__index(s, err))) {
		ret = oci_err(err, -ENOENT, "%s: not in the store", name);
		json_array_foreach(json_object_get(index, "manifests"), i, e) {
			const char *n = oci_index__entry_ref(e);

			if (n && !strcmp(n, name)) {
				ret = desc_from_entry(e, d) ?
					oci_err(err, -EBADMSG, "index.json: bad entry for %s", name) : 0;
				break;
			}
		}
	} else {
		ret = -EBADMSG;
	}
	json_decref(index);
	oci_ref__free(&r);
	if (!ret && canonical)
		*canonical = name;
	else
		free(name);
	return ret;
}

int oci_store__manifest(const struct wbpf_oci_store *s, const char *digest,
			struct oci_manifest *m, struct wbpf_oci_error *err)
{
	size_t len;
	char *buf;
	int ret = oci_store__read_blob(s, digest, OCI_MAX_MANIFEST, &buf, &len, err);

	if (ret)
		return ret;
	ret = oci_manifest__parse(buf, len, NULL, m, err);
	free(buf);
	return ret;
}

int oci_store__walk(const struct wbpf_oci_store *s, const char *digest,
		    int (*fn)(const char *digest, uint64_t size, void *ctx), void *ctx)
{
	struct oci_manifest m;
	struct stat st;
	char *path = oci_store__blob_path(s, digest);
	int ret = path && !stat(path, &st) ? fn(digest, (uint64_t)st.st_size, ctx) : 0;

	free(path);
	if (ret || oci_store__manifest(s, digest, &m, NULL))
		return ret;
	for (size_t i = 0; i < m.ndescs && !ret; i++) {
		if (m.is_index)
			ret = oci_store__walk(s, m.descs[i].digest, fn, ctx);
		else if (oci_store__has_blob(s, m.descs[i].digest))
			ret = fn(m.descs[i].digest, m.descs[i].size, ctx);
	}
	if (!ret && !m.is_index && oci_store__has_blob(s, m.config.digest))
		ret = fn(m.config.digest, m.config.size, ctx);
	oci_manifest__free(&m);
	return ret;
}

int oci_store__verify_blob(const struct wbpf_oci_store *s, const char *digest, uint64_t size,
			   struct wbpf_oci_error *err)
{
	char *path = oci_store__blob_path(s, digest), buf[1 << 16], got[OCI_DIGEST_MAX];
	struct oci_hash *h = oci_hash__new();
	FILE *f = path ? fopen(path, "re") : NULL;
	uint64_t total = 0;
	size_t n;

	free(path);
	if (!f || !h) {
		oci_hash__free(h);
		if (f)
			fclose(f);
		return oci_err(err, -ENOENT, "blob %s is missing from the store", digest);
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		oci_hash__update(h, buf, n);
		total += n;
	}
	fclose(f);
	oci_hash__final(h, got);
	if (strcmp(got, digest) || total != size)
		return oci_err(err, -EBADMSG, "blob %s is corrupted in the store (%llu bytes, "
			       "content %s)", digest, (unsigned long long)total, got);
	return 0;
}
