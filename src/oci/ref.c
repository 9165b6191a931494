// SPDX-License-Identifier: MIT
/* Image references: [registry/]repository[:tag][@sha256:hex], with
 * docker's defaults (docker.io, library/, latest). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/internal.h"

#define DEFAULT_REGISTRY "docker.io"

static bool repo_valid(const char *r)
{
	size_t n = strlen(r);

	if (!n || n > 255 || strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789._-/") != n)
		return false;
	/* Components start and end with an alphanumeric and are never empty. */
	for (const char *p = r; *p; p++) {
		bool sep = strchr("._-/", *p) != NULL;
		bool edge = p == r || !p[1] || p[-1] == '/' || p[1] == '/';

		if (sep && edge)
			return false;
	}
	return true;
}

static bool tag_valid(const char *t)
{
	size_t n = strlen(t);

	return n && n <= 128 && *t != '.' && *t != '-' &&
	       strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* The first component names a registry when it looks like a host. */
static bool is_host(const char *s, size_t n)
{
	return memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && !memcmp(s, "localhost", 9));
}

static int split_name(char *name, struct oci_ref *r)
{
	char *slash = strchr(name, '/'), *colon, *repo = name;

	if (slash && is_host(name, (size_t)(slash - name))) {
		r->registry = strndup(name, (size_t)(slash - name));
		repo = slash + 1;
	} else {
		r->registry = strdup(DEFAULT_REGISTRY);
	}
	colon = strrchr(repo, ':');
	if (colon && !strchr(colon, '/')) {
		*colon = '\0';
		r->tag = strdup(colon + 1);
		if (!r->tag)
			return -ENOMEM;
	}
	if (!strcmp(r->registry ? r->registry : "", DEFAULT_REGISTRY) && !strchr(repo, '/')) {
		r->repo = malloc(strlen(repo) + 9);
		if (r->repo)
			sprintf(r->repo, "library/%s", repo);
	} else {
		r->repo = strdup(repo);
	}
	return r->registry && r->repo ? 0 : -ENOMEM;
}

int oci_ref__parse(const char *s, struct oci_ref *r, struct wbpf_oci_error *err)
{
	char *name = strdup(s), *at;
	int ret;

	memset(r, 0, sizeof(*r));
	if (!name)
		return oci_err(err, -ENOMEM, "out of memory");
	at = strrchr(name, '@');
	if (at) {
		*at = '\0';
		r->digest = strdup(at + 1);
	}
	ret = split_name(name, r);
	free(name);
	if (ret || (at && !r->digest)) {
		oci_ref__free(r);
		return oci_err(err, -ENOMEM, "out of memory");
	}
	if (r->digest && !oci_digest__valid(r->digest))
		ret = oci_err(err, -EINVAL, "%s: bad digest (want sha256: and 64 hex digits)", s);
	else if (!repo_valid(r->repo))
		ret = oci_err(err, -EINVAL, "%s: bad repository name '%s'", s, r->repo);
	else if (r->tag && !tag_valid(r->tag))
		ret = oci_err(err, -EINVAL, "%s: bad tag '%s'", s, r->tag);
	else if (!r->tag && !r->digest && !(r->tag = strdup("latest")))
		ret = oci_err(err, -ENOMEM, "out of memory");
	if (ret)
		oci_ref__free(r);
	return ret;
}

void oci_ref__free(struct oci_ref *r)
{
	free(r->registry);
	free(r->repo);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

char *oci_ref__with_tag(const struct oci_ref *r, const char *tag)
{
	char *s;

	if (asprintf(&s, "%s/%s:%s", r->registry, r->repo, tag) < 0)
		return NULL;
	return s;
}

char *oci_ref__str(const struct oci_ref *r)
{
	char *s;

	if (!r->digest)
		return oci_ref__with_tag(r, r->tag);
	if (asprintf(&s, "%s/%s@%s", r->registry, r->repo, r->digest) < 0)
		return NULL;
	return s;
}
