// SPDX-License-Identifier: MIT
/*
 * Records into a sink (include/wbpf/sink.h: table, JSON lines,
 * ClickHouse): each shown field becomes a typed sink field. Numbers stay
 * numbers; enums, arrays, formatted and text fields go as the text the
 * columns show.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gadget/internal.h"
#include "wbpf/sink.h"

#define TEXT_MAX 4096

static enum wbpf_field_kind sink_kind(const struct wbpf_gadget_field *f)
{
	if (f->array || f->nenums || f->col.hex)
		return WBPF_FIELD_STR;
	switch (f->kind) {
	case WBPF_KIND_BOOL: return WBPF_FIELD_BOOL;
	case WBPF_KIND_INT8: case WBPF_KIND_INT16: case WBPF_KIND_INT32: case WBPF_KIND_INT64:
		return WBPF_FIELD_I64;
	case WBPF_KIND_UINT8: case WBPF_KIND_UINT16: case WBPF_KIND_UINT32: case WBPF_KIND_UINT64:
		return WBPF_FIELD_U64;
	case WBPF_KIND_FLOAT32: case WBPF_KIND_FLOAT64: return WBPF_FIELD_F64;
	default: return WBPF_FIELD_STR;
	}
}

/* An integer's size in bytes, as its kind gives it: the column is as
 * narrow (the sink ignores the size of other kinds). */
static uint8_t sink_size(const struct wbpf_gadget_field *f)
{
	uint32_t size = gkind_size(f->kind);

	return size < 8 && (size & (size - 1)) == 0 ? (uint8_t)size : 0;
}

static int grow(struct gsink_buf *b, size_t nfields, size_t text)
{
	void *p;

	if (nfields > b->nfields_cap) {
		if (!(p = realloc(b->fields, nfields * sizeof(*b->fields))))
			return -ENOMEM;
		b->fields = p;
		b->nfields_cap = nfields;
	}
	if (text > b->text_cap) {
		if (!(p = realloc(b->text, text)))
			return -ENOMEM;
		b->text = p;
		b->text_cap = text;
	}
	return 0;
}

int gsink_write(struct gsink_buf *b, struct wbpf_sink *sink, struct wbpf_gadget_field *const *cols,
		size_t n, const struct wbpf_gadget_data *d)
{
	size_t at = 0;
	uint64_t u;
	float f32;
	double f64;
	int err;

	if ((err = grow(b, n, n * TEXT_MAX)))
		return err;
	for (size_t i = 0; i < n; i++) {
		const struct wbpf_gadget_field *f = cols[i];
		struct wbpf_field *out = &b->fields[i];

		*out = (struct wbpf_field){.name = f->name, .kind = sink_kind(f), .size = sink_size(f)};
		if (out->kind == WBPF_FIELD_STR) {
			at += (size_t)gformat_field(f, d, b->text + at, TEXT_MAX) + 1;
			continue;
		}
		wbpf_gadget_field__get_u64(f, d, &u);
		if (out->kind == WBPF_FIELD_F64 && f->kind == WBPF_KIND_FLOAT32) {
			memcpy(&f32, &u, 4);
			out->f = f32;
		} else if (out->kind == WBPF_FIELD_F64) {
			memcpy(&f64, &u, 8);
			out->f = f64;
		} else if (out->kind == WBPF_FIELD_BOOL) {
			out->b = u != 0;
		} else {
			out->u = u; /* i64 shares the bits, sign-extended */
		}
	}
	/* Text pointers last: the buffer held them all by then. */
	at = 0;
	for (size_t i = 0; i < n; i++)
		if (b->fields[i].kind == WBPF_FIELD_STR) {
			b->fields[i].s = b->text + at;
			at += strlen(b->text + at) + 1;
		}
	return wbpf_sink__write(sink, &(struct wbpf_record){b->fields, n, false});
}

void gsink_buf_free(struct gsink_buf *b)
{
	free(b->fields);
	free(b->text);
	*b = (struct gsink_buf){0};
}
