// SPDX-License-Identifier: MIT
/*
 * HTTP for the registry client (libcurl): one session per registry and
 * repository, the WWW-Authenticate challenge answered once, retries with
 * backoff on 5xx and connection failures, bounded bodies hashed as they
 * arrive, TLS verified unless --insecure.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "oci/http.h"

#define HTTP_ERROR_BODY (64u << 10)
#define HTTP_PROGRESS_MIN (1u << 20)
#define HTTP_DEFAULT_RETRIES 3
#define HTTP_BACKOFF_MS 200

struct xfer {
	struct oci_http *h;
	const struct oci_req *req;
	struct oci_resp *resp;
	off_t sent;
	bool too_big, write_failed, progress_shown;
	int last_tenth;
};

static bool ok_status(CURL *c)
{
	long st = 0;

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	return st >= 200 && st < 300;
}

/* Success bodies go to the sink (bounded, hashed); error bodies are kept
 * short in memory for the message. */
static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct xfer *x = ud;
	struct oci_resp *r = x->resp;
	bool ok = ok_status(x->h->curl);
	size_t len = sz * n;
	uint64_t max = ok ? x->req->max : HTTP_ERROR_BODY;

	if (r->got + len > max) {
		x->too_big = ok;
		return ok ? 0 : len;
	}
	r->got += len;
	if (ok && r->hash)
		oci_hash__update(r->hash, p, len);
	if (ok && x->req->sink_fd >= 0) {
		for (size_t off = 0; off < len;) {
			ssize_t w = write(x->req->sink_fd, p + off, len - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				x->write_failed = true;
				return 0;
			}
			off += (size_t)w;
		}
		return len;
	}
	char *b = realloc(r->body, r->len + len + 1);

	if (!b)
		return 0;
	memcpy(b + r->len, p, len);
	r->body = b;
	r->len += len;
	b[r->len] = '\0';
	return len;
}

static size_t on_upload(char *p, size_t sz, size_t n, void *ud)
{
	struct xfer *x = ud;
	const struct oci_req *q = x->req;
	size_t want = sz * n, left = q->body_len - (size_t)x->sent;
	ssize_t got;

	if (want > left)
		want = left;
	if (q->body_fd < 0) {
		memcpy(p, (const char *)q->body + x->sent, want);
		got = (ssize_t)want;
	} else {
		got = pread(q->body_fd, p, want, q->body_off + x->sent);
		if (got < 0)
			return CURL_READFUNC_ABORT;
	}
	x->sent += got;
	return (size_t)got;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct xfer *x = ud;
	curl_off_t total = ultotal ? ultotal : dltotal, now = ultotal ? ulnow : dlnow;
	int tenth;

	if (!x->h->opts->progress || total < HTTP_PROGRESS_MIN || !x->req->what)
		return 0;
	tenth = (int)(now * 1000 / total);
	if (tenth == x->last_tenth)
		return 0;
	x->last_tenth = tenth;
	x->progress_shown = true;
	fprintf(stderr, "\r%s %.1f/%.1f MiB", x->req->what, (double)now / (1 << 20),
		(double)total / (1 << 20));
	return 0;
}

static char *header(CURL *c, const char *name)
{
	struct curl_header *hd;

	if (curl_easy_header(c, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK)
		return NULL;
	return strdup(hd->value);
}

void oci_resp__free(struct oci_resp *r)
{
	free(r->body);
	free(r->location);
	free(r->content_type);
	free(r->digest);
	oci_hash__free(r->hash);
	memset(r, 0, sizeof(*r));
}

static struct curl_slist *headers(struct oci_http *h, const struct oci_req *q)
{
	struct curl_slist *l = NULL;
	char line[512];

	if (q->accept) {
		snprintf(line, sizeof(line), "Accept: %s", q->accept);
		l = curl_slist_append(l, line);
	}
	snprintf(line, sizeof(line), "Content-Type: %s",
		 q->content_type ? q->content_type : "application/octet-stream");
	l = curl_slist_append(l, line);
	if (q->content_range) {
		snprintf(line, sizeof(line), "Content-Range: %s", q->content_range);
		l = curl_slist_append(l, line);
	}
	if (h->auth)
		l = curl_slist_append(l, h->auth);
	return curl_slist_append(l, "Expect:");
}

static void setup(struct oci_http *h, const struct oci_req *q, struct xfer *x, char *url)
{
	CURL *c = h->curl;
	const struct wbpf_oci_remote_opts *o = h->opts;
	const char *ca = o->ca_file ? o->ca_file : getenv("WBPF_CA_FILE");

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "wbpf");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	/* Blobs may be served from elsewhere; curl keeps Authorization to
	 * the registry's own host. */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, !strcmp(q->method, "GET") ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	if (o->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (ca && *ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	if (!strcmp(q->method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(q->method, "GET"))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	if (q->body || q->body_fd >= 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_upload);
		curl_easy_setopt(c, CURLOPT_READDATA, x);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->body_len);
	} else if (!strcmp(q->method, "PUT") || !strcmp(q->method, "POST") ||
		   !strcmp(q->method, "PATCH")) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	}
}

/* Forgets what an attempt received, so the next starts clean. */
static int reset_resp(const struct oci_req *q, struct oci_resp *r, bool hashed)
{
	oci_resp__free(r);
	if (q->sink_fd >= 0 && (ftruncate(q->sink_fd, 0) || lseek(q->sink_fd, 0, SEEK_SET)))
		return -errno;
	if (hashed && !(r->hash = oci_hash__new()))
		return -ENOMEM;
	return 0;
}

static bool transient(CURLcode rc, long status)
{
	switch (rc) {
	case CURLE_OK:
		return status >= 500 || status == 429;
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return true;
	default:
		return false;
	}
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static CURLcode attempt(struct oci_http *h, const struct oci_req *q, struct oci_resp *r)
{
	struct xfer x = {.h = h, .req = q, .resp = r, .last_tenth = -1};
	struct curl_slist *hdrs = headers(h, q);
	char *url = NULL;
	CURLcode rc;

	if (!strncmp(q->url, "http://", 7) || !strncmp(q->url, "https://", 8))
		url = strdup(q->url);
	else if (asprintf(&url, "%s%s", h->base, q->url) < 0)
		url = NULL;
	if (!url || !hdrs) {
		free(url);
		curl_slist_free_all(hdrs);
		return CURLE_OUT_OF_MEMORY;
	}
	setup(h, q, &x, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	rc = curl_easy_perform(h->curl);
	if (x.progress_shown)
		fputc('\n', stderr);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
	r->location = header(h->curl, "Location");
	r->content_type = header(h->curl, "Content-Type");
	r->digest = header(h->curl, "Docker-Content-Digest");
	if (x.too_big)
		rc = CURLE_FILESIZE_EXCEEDED;
	else if (x.write_failed)
		rc = CURLE_WRITE_ERROR;
	free(url);
	curl_slist_free_all(hdrs);
	return rc;
}

static int transport_err(struct oci_http *h, const struct oci_req *q, CURLcode rc)
{
	const char *what = q->what ? q->what : q->url;

	switch (rc) {
	case CURLE_FILESIZE_EXCEEDED:
		return oci_err(h->err, -EFBIG, "%s: the registry sent more than the %llu bytes "
			       "expected", what, (unsigned long long)q->max);
	case CURLE_PEER_FAILED_VERIFICATION:
		return oci_err(h->err, -EPERM, "%s: TLS certificate of %s not trusted (--ca-file "
			       "FILE, or --insecure)", what, h->host);
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
		return oci_err(h->err, -EHOSTUNREACH, "registry %s unreachable: %s", h->host,
			       curl_easy_strerror(rc));
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return oci_err(h->err, -ECONNRESET, "%s: connection to %s dropped: %s", what, h->host,
			       curl_easy_strerror(rc));
	default:
		return oci_err(h->err, -EIO, "%s: %s", what, curl_easy_strerror(rc));
	}
}

static int set_auth(struct oci_http *h, const char *scheme, const char *cred)
{
	free(h->auth);
	if (asprintf(&h->auth, "Authorization: %s %s", scheme, cred) < 0)
		h->auth = NULL;
	return h->auth ? 0 : oci_err(h->err, -ENOMEM, "out of memory");
}

static int bearer_from(struct oci_http *h, const struct oci_resp *r)
{
	json_t *j = r->body ? json_loads(r->body, 0, NULL) : NULL;
	const char *tok = json_string_value(json_object_get(j, "token"));
	int ret;

	if (!tok)
		tok = json_string_value(json_object_get(j, "access_token"));
	ret = tok ? set_auth(h, "Bearer", tok) :
		oci_err(h->err, -EACCES, "%s: the token server sent no token", h->host);
	json_decref(j);
	return ret;
}

/* The Bearer flow: a token for our scope from the realm, with our
 * credentials if we have any (anonymous otherwise). */
static int fetch_token(struct oci_http *h, const struct oci_challenge *c)
{
	char *svc = curl_easy_escape(h->curl, c->service ? c->service : "", 0);
	char *scope = curl_easy_escape(h->curl, h->repo ? h->scope : "", 0), *url = NULL;
	struct oci_req q = {.method = "GET", .body_fd = -1, .sink_fd = -1,
			    .max = HTTP_ERROR_BODY, .what = "token"};
	struct oci_resp r = {0};
	CURLcode rc;
	int ret = 0;

	free(h->auth);
	h->auth = NULL;
	if (h->user) {
		char *b = oci_auth__basic(h->user, h->pass);

		ret = b ? set_auth(h, "Basic", b) : -ENOMEM;
		free(b);
	}
	if (!ret && svc && scope && asprintf(&url, "%s%cservice=%s%s%s", c->realm,
					     strchr(c->realm, '?') ? '&' : '?', svc,
					     *scope ? "&scope=" : "", scope) < 0)
		url = NULL;
	q.url = url;
	rc = url ? attempt(h, &q, &r) : CURLE_OUT_OF_MEMORY;
	if (rc != CURLE_OK)
		ret = transport_err(h, &q, rc);
	else if (r.status != 200)
		ret = oci_http__status_err(h, &r, "token");
	else
		ret = bearer_from(h, &r);
	oci_resp__free(&r);
	curl_free(svc);
	curl_free(scope);
	free(url);
	return ret;
}

static int answer_challenge(struct oci_http *h, const char *header)
{
	struct oci_challenge c;
	int ret = oci_auth__parse_challenge(header, &c);
	char *b;

	if (ret)
		return oci_err(h->err, ret, "%s: unsupported authentication challenge '%.100s'",
			       h->host, header);
	if (!c.basic) {
		ret = fetch_token(h, &c);
	} else if (h->user) {
		b = oci_auth__basic(h->user, h->pass);
		ret = b ? set_auth(h, "Basic", b) : oci_err(h->err, -ENOMEM, "out of memory");
		free(b);
	}
	oci_challenge__free(&c);
	return ret;
}

int oci_http__do(struct oci_http *h, const struct oci_req *q, struct oci_resp *r)
{
	unsigned retries = h->opts->retries ? h->opts->retries : HTTP_DEFAULT_RETRIES;
	bool hashed = r->hash != NULL, authed = false;
	CURLcode rc;
	int ret;

	for (unsigned i = 0;; i++) {
		ret = reset_resp(q, r, hashed);
		if (ret)
			return oci_err(h->err, ret, "%s: %s", q->what ? q->what : q->url, strerror(-ret));
		rc = attempt(h, q, r);
		if (rc == CURLE_OK && r->status == 401 && !authed) {
			char *ch = header(h->curl, "WWW-Authenticate");

			authed = true;
			ret = ch ? answer_challenge(h, ch) : 0;
			free(ch);
			if (ret)
				return ret;
			i--;
			continue;
		}
		if (i >= retries || !transient(rc, r->status))
			break;
		sleep_ms(HTTP_BACKOFF_MS << i);
	}
	return rc == CURLE_OK ? 0 : transport_err(h, q, rc);
}

/* The registry's own error message, if its body has one. */
static const char *registry_message(const struct oci_resp *r, char *buf, size_t n)
{
	json_t *j = r->body ? json_loads(r->body, 0, NULL) : NULL;
	json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
	const char *msg = json_string_value(json_object_get(e0, "message"));

	buf[0] = '\0';
	if (msg)
		snprintf(buf, n, ": %s", msg);
	json_decref(j);
	return buf;
}

int oci_http__status_err(struct oci_http *h, const struct oci_resp *r, const char *what)
{
	char m[256];

	registry_message(r, m, sizeof(m));
	switch (r->status) {
	case 401:
		return oci_err(h->err, -EACCES, "%s: authentication required by %s (401%s; "
			       "'wbpf login %s')", what, h->host, m, h->host);
	case 403:
		return oci_err(h->err, -EACCES, "%s: access denied by %s (403%s)", what, h->host, m);
	case 404:
		return oci_err(h->err, -ENOENT, "%s: not found in %s (404%s)", what, h->host, m);
	default:
		return oci_err(h->err, -EPROTO, "%s: %s answered HTTP %ld%s", what, h->host,
			       r->status, m);
	}
}

static bool loopback(const char *host)
{
	return !strncmp(host, "localhost", 9) || !strncmp(host, "127.", 4) ||
	       !strncmp(host, "[::1]", 5);
}

/* GET /v2/: finds the scheme (plain HTTP only for --insecure or a
 * loopback registry, as docker does) and answers the auth challenge. */
static int ping(struct oci_http *h)
{
	struct oci_req q = {.method = "GET", .url = "/v2/", .body_fd = -1, .sink_fd = -1,
			    .max = HTTP_ERROR_BODY, .what = h->host};
	struct oci_resp r = {0};
	CURLcode rc = attempt(h, &q, &r);
	int ret = 0;

	if (rc == CURLE_SSL_CONNECT_ERROR && (h->opts->insecure || loopback(h->host))) {
		free(h->base);
		if (asprintf(&h->base, "http://%s", h->host) < 0)
			h->base = NULL;
		if (!h->base)
			return oci_err(h->err, -ENOMEM, "out of memory");
	}
	oci_resp__free(&r);
	ret = oci_http__do(h, &q, &r);
	if (!ret && r.status == 404)
		ret = oci_err(h->err, -EPROTO, "%s is not a registry (no /v2/ API)", h->host);
	else if (!ret && r.status != 200)
		ret = oci_http__status_err(h, &r, h->host);
	oci_resp__free(&r);
	return ret;
}

int oci_http__open(struct oci_http *h, const char *host, const char *repo, const char *actions,
		   const struct wbpf_oci_remote_opts *opts, struct wbpf_oci_error *err)
{
	return oci_http__open_as(h, host, repo, actions, NULL, NULL, opts, err);
}

int oci_http__open_as(struct oci_http *h, const char *host, const char *repo,
		      const char *actions, const char *user, const char *pass,
		      const struct wbpf_oci_remote_opts *opts, struct wbpf_oci_error *err)
{
	static const struct wbpf_oci_remote_opts defaults = {.sz = sizeof(defaults)};
	/* docker.io is a name; its API lives at registry-1.docker.io. */
	const char *api = strcmp(host, "docker.io") ? host : "registry-1.docker.io";
	int ret;

	memset(h, 0, sizeof(*h));
	h->opts = opts ? opts : &defaults;
	h->err = err;
	h->curl = curl_easy_init();
	h->host = strdup(host);
	if (asprintf(&h->base, "https://%s", api) < 0)
		h->base = NULL;
	if (asprintf(&h->scope, "repository:%s:%s", repo ? repo : "", actions) < 0)
		h->scope = NULL;
	h->repo = repo ? strdup(repo) : NULL;
	if (!h->curl || !h->host || !h->base || !h->scope || (repo && !h->repo)) {
		oci_http__close(h);
		return oci_err(err, -ENOMEM, "out of memory");
	}
	if (user) {
		h->user = strdup(user);
		h->pass = strdup(pass);
	} else {
		oci_auth__find(h->opts, host, &h->user, &h->pass);
	}
	ret = ping(h);
	if (ret)
		oci_http__close(h);
	return ret;
}

void oci_http__close(struct oci_http *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->host);
	free(h->base);
	free(h->repo);
	free(h->scope);
	free(h->auth);
	free(h->user);
	free(h->pass);
	memset(h, 0, sizeof(*h));
}
