// SPDX-License-Identifier: MIT
/* RESP messages (see resp.h). */
#include <string.h>

#include "resp.h"

#define MAX_DEPTH 8

struct rd {
	const uint8_t *p, *end;
	struct resp_msg *m;
};

/* A line up to CRLF: its length, or RESP_MORE / RESP_BAD. */
static long line(struct rd *r, const uint8_t **s)
{
	const uint8_t *cr;

	*s = r->p;
	for (cr = r->p; cr + 1 < r->end; cr++)
		if (cr[0] == '\r' && cr[1] == '\n') {
			r->p = cr + 2;
			return cr - *s;
		}
	return r->end - r->p > 64 * 1024 ? RESP_BAD : RESP_MORE;
}

static int number(const uint8_t *s, long n, long *v)
{
	bool neg = n > 0 && s[0] == '-';

	*v = 0;
	if (n == neg || n > 18)
		return RESP_BAD;
	for (long i = neg; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return RESP_BAD;
		*v = *v * 10 + (s[i] - '0');
	}
	if (neg)
		*v = -*v;
	return RESP_OK;
}

static void append(char *dst, size_t size, const uint8_t *s, size_t n)
{
	size_t at = strlen(dst);

	if (at && at + 1 < size)
		dst[at++] = ' ';
	while (n-- && at + 1 < size)
		dst[at++] = (char)*s++;
	dst[at] = '\0';
}

static int element(struct rd *r, int depth, bool top);

/* Aggregates: arrays, sets, pushes (n elements); maps, attributes (2n). */
static int aggregate(struct rd *r, long count, int depth, bool top)
{
	if (count < 0)
		return RESP_OK; /* a null array */
	if (count > 1024 * 1024 || depth >= MAX_DEPTH)
		return RESP_BAD;
	for (long i = 0; i < count; i++) {
		int e = element(r, depth + 1, top);

		if (e != RESP_OK)
			return e;
	}
	return RESP_OK;
}

/* A bulk string: $len CRLF bytes CRLF. In a top-level command it is a word. */
static int bulk(struct rd *r, long len, bool word)
{
	const uint8_t *s = r->p;

	if (len < 0)
		return RESP_OK;
	if (r->end - r->p < len + 2)
		return len > 512L * 1024 * 1024 ? RESP_BAD : RESP_MORE;
	if (s[len] != '\r' || s[len + 1] != '\n')
		return RESP_BAD;
	r->p += len + 2;
	if (word)
		append(r->m->line, sizeof(r->m->line), s, (size_t)len);
	return RESP_OK;
}

static int element(struct rd *r, int depth, bool top)
{
	const uint8_t *s;
	long n, v;
	char t;

	if (r->p == r->end)
		return RESP_MORE;
	t = (char)*r->p++;
	if ((n = line(r, &s)) < 0)
		return (int)n;
	switch (t) {
	case '+': case '-': case ':': case ',': case '#': case '_': case '(':
		if (depth == 0)
			append(r->m->text, sizeof(r->m->text), s, (size_t)n);
		return RESP_OK;
	case '$': case '!': case '=':
		return number(s, n, &v) == RESP_OK ? bulk(r, v, top && depth == 1) : RESP_BAD;
	case '*': case '~': case '>':
		return number(s, n, &v) == RESP_OK ? aggregate(r, v, depth, top && depth == 0)
						   : RESP_BAD;
	case '%': case '|':
		return number(s, n, &v) == RESP_OK && v <= 512 * 1024 ? aggregate(r, 2 * v, depth,
										   false)
								      : RESP_BAD;
	default:
		return RESP_BAD;
	}
}

int resp_read(const uint8_t *p, size_t n, struct resp_msg *m)
{
	struct rd r = { p, p + n, m };
	int e;

	memset(m, 0, sizeof(*m));
	if (!n)
		return RESP_MORE;
	m->type = (char)p[0];
	m->command = p[0] == '*';
	e = element(&r, 0, m->command);
	if (e != RESP_OK)
		return e;
	m->len = (size_t)(r.p - p);
	for (size_t i = 0; i < sizeof(m->cmd) - 1 && m->line[i] && m->line[i] != ' '; i++)
		m->cmd[i] = m->line[i] >= 'a' && m->line[i] <= 'z' ? m->line[i] - 32 : m->line[i];
	return RESP_OK;
}

bool resp_looks_like_command(const uint8_t *p, size_t n)
{
	/* "*<count>\r\n$<len>\r\n": an array whose first element is a bulk string. */
	size_t i = 1;

	if (n < 4 || p[0] != '*')
		return false;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	return i > 1 && i + 2 < n && p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '$';
}
