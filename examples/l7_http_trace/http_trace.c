// SPDX-License-Identifier: MIT
/*
 * An HTTP hook as a `wbpf_l7` plugin: for every request the built-in HTTP
 * parser makes, it takes a trace id and a user id from the request's
 * headers or query parameters into the record's trace_id and a `user_id`
 * attribute. Which headers and parameters is configuration:
 *	--plugin-arg trace_header=x-trace-id  trace_param=trace_id
 *	--plugin-arg user_header=x-user-id    user_param=user_id
 * The request's bytes are read in place from the context: no host call.
 */
#include <string.h>
#include <strings.h>

#include <wbpf/l7_plugin.h>

struct names {
	char trace_header[64], trace_param[64], user_header[64], user_param[64];
};

static struct names cfg = { "x-trace-id", "trace_id", "x-user-id", "user_id" };

static void option(const char *key, char *dst, size_t cap)
{
	char buf[64];

	if (wbpf_l7_config(key, buf, sizeof(buf)))
		strncpy(dst, buf, cap - 1);
}

WBPF_L7_HOOK(wbpf_l7_init)
{
	option("trace_header", cfg.trace_header, sizeof(cfg.trace_header));
	option("trace_param", cfg.trace_param, sizeof(cfg.trace_param));
	option("user_header", cfg.user_header, sizeof(cfg.user_header));
	option("user_param", cfg.user_param, sizeof(cfg.user_param));
	return 0;
}

struct span {
	const char *p;
	size_t n;
};

/* The value of header `name` in the request head [p, p+n), trimmed. */
static struct span header(const char *p, size_t n, const char *name)
{
	size_t nl = strlen(name);
	const char *end = p + n, *line = memchr(p, '\n', n);

	while (line && ++line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t len = (size_t)((eol ? eol : end) - line);

		if (len <= 2)
			break; /* the blank line: end of the head */
		if (len > nl && line[nl] == ':' && !strncasecmp(line, name, nl)) {
			const char *v = line + nl + 1, *e = line + len;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == '\r' || e[-1] == ' '))
				e--;
			return (struct span){ v, (size_t)(e - v) };
		}
		line = eol;
	}
	return (struct span){ NULL, 0 };
}

/* The value of query parameter `name` in [path, path+n). */
static struct span param(const char *path, size_t n, const char *name)
{
	const char *q = memchr(path, '?', n), *end = path + n;
	size_t nl = strlen(name);

	while (q && q < end) {
		const char *k = q + 1, *amp = memchr(k, '&', (size_t)(end - k));
		const char *e = amp ? amp : end;

		if ((size_t)(e - k) > nl && k[nl] == '=' && !strncmp(k, name, nl))
			return (struct span){ k + nl + 1, (size_t)(e - k - nl - 1) };
		q = amp;
	}
	return (struct span){ NULL, 0 };
}

static struct span either(struct span a, struct span b)
{
	return a.p && a.n ? a : b;
}

WBPF_L7_HOOK(wbpf_l7_on_http_req)
{
	const struct wbpf_l7_ctx *c = wbpf_l7_context();
	const char *head = (const char *)wbpf_l7_bytes(c, c->payload);
	const char *path = (const char *)wbpf_l7_bytes(c, c->http[WBPF_L7_HTTP_PATH]);
	size_t hn = c->payload.len, pn = c->http[WBPF_L7_HTTP_PATH].len;
	struct span trace = either(header(head, hn, cfg.trace_header), param(path, pn, cfg.trace_param));
	struct span user = either(header(head, hn, cfg.user_header), param(path, pn, cfg.user_param));

	if (!trace.n && !user.n)
		return 0;
	wbpf_l7_record(WBPF_L7_REC_REQUEST);
	if (trace.n)
		wbpf_l7_set_strn(WBPF_L7_TRACE_ID, trace.p, (uint32_t)trace.n);
	if (user.n)
		wbpf_l7_add_attrn("user_id", 7, user.p, (uint32_t)user.n);
	return 1;
}
