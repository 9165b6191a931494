/* SPDX-License-Identifier: MIT */
/* The registry client's HTTP layer (http.c) and credentials (auth.c). */
#ifndef WBPF_OCI_HTTP_H
#define WBPF_OCI_HTTP_H

#include <sys/types.h>

#include "oci/internal.h"

/* One registry, one repository, one scope ("pull" or "pull,push"). */
struct oci_http {
	void *curl;
	char *host;		/* as in references: "127.0.0.1:5000" */
	char *base;		/* "https://127.0.0.1:5000" */
	char *repo;
	char *scope;		/* "repository:<repo>:pull,push" */
	char *auth;		/* an Authorization header, once known */
	char *user, *pass;	/* credentials, when any are configured */
	const struct wbpf_oci_remote_opts *opts;
	struct wbpf_oci_error *err;
};

struct oci_req {
	const char *method;	/* GET, HEAD, POST, PUT, PATCH */
	const char *url;	/* absolute, or a path under base */
	const char *accept;
	const char *content_type;
	const void *body;	/* an upload from memory ... */
	size_t body_len;
	int body_fd;		/* ... or from a file: [body_off, +body_len) */
	off_t body_off;
	const char *content_range;
	int sink_fd;		/* the response body goes here when >= 0 */
	uint64_t max;		/* the most body accepted (refused past it) */
	const char *what;	/* for progress and messages */
};

struct oci_resp {
	long status;
	char *body;		/* when sink_fd < 0 */
	size_t len;
	uint64_t got;
	struct oci_hash *hash;	/* everything received, hashed */
	char *location, *content_type, *digest;
};

int oci_http__open(struct oci_http *h, const char *host, const char *repo, const char *actions,
		   const struct wbpf_oci_remote_opts *opts, struct wbpf_oci_error *err);
/* The same with these credentials instead of the saved ones. */
int oci_http__open_as(struct oci_http *h, const char *host, const char *repo,
		      const char *actions, const char *user, const char *pass,
		      const struct wbpf_oci_remote_opts *opts, struct wbpf_oci_error *err);
void oci_http__close(struct oci_http *h);
/* Performs req (with auth, retries); 0 with any HTTP status in resp, or
 * a negative errno with err set for transport failures. */
int oci_http__do(struct oci_http *h, const struct oci_req *req, struct oci_resp *resp);
void oci_resp__free(struct oci_resp *r);
/* A one-line error for an unexpected status; returns a negative errno. */
int oci_http__status_err(struct oci_http *h, const struct oci_resp *r, const char *what);

/* auth.c */
/* Credentials for host from wbpf's auth file, then docker's config. */
int oci_auth__find(const struct wbpf_oci_remote_opts *opts, const char *host, char **user,
		   char **pass);
struct oci_challenge {
	bool basic;
	char *realm, *service, *scope;	/* Bearer */
};

int oci_auth__parse_challenge(const char *header, struct oci_challenge *c);
void oci_challenge__free(struct oci_challenge *c);
/* base64 of "user:pass"; malloc'd. */
char *oci_auth__basic(const char *user, const char *pass);
int oci_auth__save(const struct wbpf_oci_remote_opts *opts, const char *host, const char *user,
		   const char *pass, struct wbpf_oci_error *err);
int oci_auth__forget(const struct wbpf_oci_remote_opts *opts, const char *host,
		     struct wbpf_oci_error *err);

#endif /* WBPF_OCI_HTTP_H */
