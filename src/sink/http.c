// SPDX-License-Identifier: MIT
/*
 * /metrics over HTTP, with libmicrohttpd: a maintained server that already
 * handles slow and malformed clients, connection limits and timeouts,
 * which a scrape endpoint on every node must survive; its one thread
 * renders on demand, so an unscraped registry costs nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink/metrics.h"

#define HTTP_MAX_CONNECTIONS 16
#define HTTP_TIMEOUT_S 10

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **state)
{
	static const char not_found[] = "only /metrics is served here\n";
	struct wbpf_metrics *m = cls;
	struct MHD_Response *resp;
	enum MHD_Result rc;
	unsigned status = MHD_HTTP_OK;
	char *body = NULL;

	(void)version, (void)upload, (void)upload_size, (void)state;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return MHD_NO;
	if (!strcmp(url, "/metrics"))
		body = wbpf_metrics__render(m);
	if (body) {
		resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
		MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4");
	} else {
		status = strcmp(url, "/metrics") ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR;
		resp = MHD_create_response_from_buffer(sizeof(not_found) - 1, (void *)not_found,
						       MHD_RESPMEM_PERSISTENT);
	}
	if (!resp)
		return MHD_NO;
	rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* "ADDR:PORT", "[ADDR6]:PORT" or ":PORT" (all IPv4 interfaces). */
static int parse_addr(const char *spec, struct sockaddr_storage *ss)
{
	const char *colon = strrchr(spec, ':');
	char host[64];
	char *end;
	long port;

	if (!colon || (size_t)(colon - spec) >= sizeof(host))
		return -EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port <= 0 || port > 65535)
		return -EINVAL;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		host[strlen(host) - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? AF_INET6 : -EINVAL;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	if (!host[0])
		return AF_INET;
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? AF_INET : -EINVAL;
}

int wbpf_metrics__serve(struct wbpf_metrics *m, const char *addr_port, char *err, size_t err_size)
{
	struct sockaddr_storage ss;
	int family = parse_addr(addr_port, &ss);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (family < 0) {
		snprintf(err, err_size, "--metrics %s: expected ADDR:PORT", addr_port);
		return -EINVAL;
	}
	if (m->http) {
		snprintf(err, err_size, "--metrics: already serving");
		return -EBUSY;
	}
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->http = MHD_start_daemon(flags, 0, NULL, NULL, answer, m, MHD_OPTION_SOCK_ADDR, &ss,
				   MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
				   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S,
				   MHD_OPTION_END);
	if (!m->http) {
		snprintf(err, err_size, "--metrics %s: cannot listen there", addr_port);
		return -EADDRNOTAVAIL;
	}
	return 0;
}

void metrics_http__stop(struct wbpf_metrics *m)
{
	if (m->http)
		MHD_stop_daemon(m->http);
	m->http = NULL;
}
