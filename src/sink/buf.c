// SPDX-License-Identifier: MIT
/* The sinks' byte buffer and JSON encoding. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sink/internal.h"

bool sink_buf__reserve(struct sink_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->failed)
		return false;
	if (b->len + n <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void sink_buf__put(struct sink_buf *b, const void *p, size_t n)
{
	if (!sink_buf__reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void sink_buf__puts(struct sink_buf *b, const char *s)
{
	sink_buf__put(b, s, strlen(s));
}

void sink_buf__printf(struct sink_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !sink_buf__reserve(b, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Integers are most of what records hold: no printf on that path. */
void sink_buf__put_u64(struct sink_buf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sink_buf__put(b, tmp + i, sizeof(tmp) - i);
}

void sink_buf__put_i64(struct sink_buf *b, int64_t v)
{
	if (v < 0) {
		sink_buf__put(b, "-", 1);
		sink_buf__put_u64(b, 0 - (uint64_t)v);
	} else {
		sink_buf__put_u64(b, (uint64_t)v);
	}
}

void sink_buf__free(struct sink_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Control characters are escaped and bytes >= 0x80 pass through: records
 * carry what was observed, and invalid UTF-8 is the reader's to judge. */
void wbpf_json_str(void (*put)(void *ctx, const char *p, size_t n), void *ctx, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	put(ctx, "\"", 1);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(ctx, run, (size_t)(s - run));
		run = s + 1;
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			put(ctx, esc, 2);
		} else if (c == '\n') {
			put(ctx, "\\n", 2);
		} else if (c == '\t') {
			put(ctx, "\\t", 2);
		} else {
			put(ctx, esc, sizeof(esc));
		}
	}
	if (s)
		put(ctx, run, (size_t)(s - run));
	put(ctx, "\"", 1);
}

static void put_to_buf(void *b, const char *p, size_t n)
{
	sink_buf__put(b, p, n);
}

void sink_buf__json_str(struct sink_buf *b, const char *s)
{
	wbpf_json_str(put_to_buf, b, s);
}

void sink_buf__json_value(struct sink_buf *b, const struct wbpf_field *f)
{
	switch (f->kind) {
	case WBPF_FIELD_STR:
		sink_buf__json_str(b, f->s ? f->s : "");
		break;
	case WBPF_FIELD_I64:
		sink_buf__put_i64(b, f->i);
		break;
	case WBPF_FIELD_U64:
		sink_buf__put_u64(b, f->u);
		break;
	case WBPF_FIELD_F64:
		/* JSON has no NaN or infinities. */
		if (isfinite(f->f))
			sink_buf__printf(b, "%.17g", f->f);
		else
			sink_buf__puts(b, "null");
		break;
	case WBPF_FIELD_BOOL:
		sink_buf__puts(b, f->b ? "true" : "false");
		break;
	}
}
