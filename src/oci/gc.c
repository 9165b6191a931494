// SPDX-License-Identifier: MIT
/* Garbage collection: blobs no image of index.json reaches are removed,
 * with every writer excluded (gc.lock) so none loses a fresh blob. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/internal.h"

static int mark(const char *digest, uint64_t size, void *ctx)
{
	(void)size;
	return json_object_set_new(ctx, digest, json_true()) ? -ENOMEM : 0;
}

static int mark_all(struct wbpf_oci_store *s, json_t *live, struct wbpf_oci_error *err)
{
	json_t *index = oci_store__index(s, err), *e;
	size_t i;
	int ret = index ? 0 : -EBADMSG;

	json_array_foreach(json_object_get(index, "manifests"), i, e) {
		const char *d = json_string_value(json_object_get(e, "digest"));

		if (oci_digest__valid(d) && !ret)
			ret = oci_store__walk(s, d, mark, live);
	}
	json_decref(index);
	return ret;
}

static uint64_t sweep(struct wbpf_oci_store *s, json_t *live)
{
	char dir[PATH_MAX], key[OCI_DIGEST_MAX];
	DIR *d;
	struct dirent *e;
	uint64_t freed = 0;

	snprintf(dir, sizeof(dir), "%s/blobs/sha256", s->root);
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(key, sizeof(key), "sha256:%.64s", e->d_name);
		if (json_object_get(live, key))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (!stat(p, &st) && !unlink(p))
			freed += (uint64_t)st.st_size;
	}
	if (d)
		closedir(d);
	return freed;
}

/* Leftovers of writers that died: none is running while gc holds the lock. */
static void clean_tmp(struct wbpf_oci_store *s)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/tmp", s->root);
	oci_rmtree(dir);
	mkdir(dir, 0700);
}

int wbpf_oci_store__gc(struct wbpf_oci_store *s, uint64_t *freed, struct wbpf_oci_error *err)
{
	json_t *live = json_object();
	int ret;

	*freed = 0;
	if (!live)
		return oci_err(err, -ENOMEM, "out of memory");
	/* A writer is busy: its blobs are not named yet, so collect later. */
	if (flock(s->gc_fd, LOCK_EX | LOCK_NB)) {
		json_decref(live);
		return 0;
	}
	ret = oci_store__lock(s);
	if (!ret) {
		ret = mark_all(s, live, err);
		if (!ret) {
			*freed = sweep(s, live);
			clean_tmp(s);
		}
		oci_store__unlock(s);
	}
	flock(s->gc_fd, LOCK_UN);
	json_decref(live);
	return ret;
}
