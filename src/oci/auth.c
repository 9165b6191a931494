// SPDX-License-Identifier: MIT
/*
 * Registry credentials: wbpf's own auth file (written by `wbpf login`),
 * then docker's config.json, both {"auths": {HOST: {"auth": base64
 * "user:password"}}}; and the parsing of WWW-Authenticate challenges.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "oci/http.h"

static char *auth_file(const struct wbpf_oci_remote_opts *o)
{
	const char *env = getenv("WBPF_AUTH_FILE"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *p = NULL;

	if (o && o->auth_file)
		return strdup(o->auth_file);
	if (env && *env)
		return strdup(env);
	if (xdg && *xdg && asprintf(&p, "%s/wbpf/auth.json", xdg) >= 0)
		return p;
	if (asprintf(&p, "%s/.config/wbpf/auth.json", home ? home : ".") >= 0)
		return p;
	return NULL;
}

static char *docker_file(void)
{
	const char *dir = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	char *p = NULL;

	if (dir && *dir && asprintf(&p, "%s/config.json", dir) >= 0)
		return p;
	if (asprintf(&p, "%s/.docker/config.json", home ? home : ".") >= 0)
		return p;
	return NULL;
}

char *oci_auth__basic(const char *user, const char *pass)
{
	char *plain, *out;

	if (asprintf(&plain, "%s:%s", user, pass) < 0)
		return NULL;
	out = oci_base64__encode(plain, strlen(plain));
	free(plain);
	return out;
}

/* The entry for host: as written, or with a scheme (docker writes both). */
static json_t *entry_for(json_t *auths, const char *host)
{
	char key[300];
	json_t *e = json_object_get(auths, host);

	if (!e) {
		snprintf(key, sizeof(key), "https://%s", host);
		e = json_object_get(auths, key);
	}
	if (!e && !strcmp(host, "docker.io"))
		e = json_object_get(auths, "https://index.docker.io/v1/");
	return e;
}

static int from_file(const char *path, const char *host, char **user, char **pass)
{
	json_t *j = path ? json_load_file(path, 0, NULL) : NULL;
	json_t *e = entry_for(json_object_get(j, "auths"), host);
	const char *a = json_string_value(json_object_get(e, "auth"));
	size_t len;
	char *plain = a ? (char *)oci_base64__decode(a, &len) : NULL;
	char *colon = plain ? strchr(plain, ':') : NULL;
	int ret = -ENOENT;

	if (colon) {
		*colon = '\0';
		*user = strdup(plain);
		*pass = strdup(colon + 1);
		ret = *user && *pass ? 0 : -ENOMEM;
	}
	free(plain);
	json_decref(j);
	return ret;
}

int oci_auth__find(const struct wbpf_oci_remote_opts *opts, const char *host, char **user,
		   char **pass)
{
	char *own = auth_file(opts), *docker = docker_file();
	int ret = from_file(own, host, user, pass);

	if (ret)
		ret = from_file(docker, host, user, pass);
	free(own);
	free(docker);
	return ret;
}

static int update_file(const struct wbpf_oci_remote_opts *opts, const char *host,
		       json_t *entry, struct wbpf_oci_error *err)
{
	char *path = auth_file(opts), *text, *slash;
	json_t *j = path ? json_load_file(path, 0, NULL) : NULL;
	int ret;

	if (!path)
		return oci_err(err, -ENOMEM, "out of memory");
	if (!json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	if (!json_is_object(json_object_get(j, "auths")))
		json_object_set_new(j, "auths", json_object());
	if (entry)
		json_object_set(json_object_get(j, "auths"), host, entry);
	else
		json_object_del(json_object_get(j, "auths"), host);
	text = json_dumps(j, JSON_INDENT(2));
	slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		oci_mkdirs(path, 0700);
		*slash = '/';
	}
	ret = text ? oci_file__write_atomic(path, text, strlen(text)) : -ENOMEM;
	if (!ret)
		ret = chmod(path, 0600) ? -errno : 0;
	if (ret)
		oci_err(err, ret, "cannot write %s: %s", path, strerror(-ret));
	free(text);
	free(path);
	json_decref(j);
	return ret;
}

int oci_auth__save(const struct wbpf_oci_remote_opts *opts, const char *host, const char *user,
		   const char *pass, struct wbpf_oci_error *err)
{
	char *b = oci_auth__basic(user, pass);
	json_t *e = b ? json_pack("{s:s}", "auth", b) : NULL;
	int ret = e ? update_file(opts, host, e, err) : oci_err(err, -ENOMEM, "out of memory");

	json_decref(e);
	free(b);
	return ret;
}

int oci_auth__forget(const struct wbpf_oci_remote_opts *opts, const char *host,
		     struct wbpf_oci_error *err)
{
	return update_file(opts, host, NULL, err);
}

/* key="value" pairs after the scheme; values may hold commas. */
static void challenge_param(const char *s, const char *key, char **out)
{
	size_t kl = strlen(key);

	for (const char *p = s; (p = strstr(p, key)); p += kl) {
		const char *v = p + kl, *end;

		if ((p != s && p[-1] != ' ' && p[-1] != ',') || *v != '=' || v[1] != '"')
			continue;
		v += 2;
		end = strchr(v, '"');
		if (end)
			*out = strndup(v, (size_t)(end - v));
		return;
	}
}

int oci_auth__parse_challenge(const char *ch, struct oci_challenge *c)
{
	memset(c, 0, sizeof(*c));
	if (!strncasecmp(ch, "Basic", 5)) {
		c->basic = true;
		return 0;
	}
	if (strncasecmp(ch, "Bearer", 6))
		return -EPROTONOSUPPORT;
	challenge_param(ch + 6, "realm", &c->realm);
	challenge_param(ch + 6, "service", &c->service);
	challenge_param(ch + 6, "scope", &c->scope);
	return c->realm ? 0 : -EBADMSG;
}

void oci_challenge__free(struct oci_challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
}
