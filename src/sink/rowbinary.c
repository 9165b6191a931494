// SPDX-License-Identifier: MIT
/*
 * ClickHouse column types as RowBinary lays them out, and rows moved from
 * one set of types to another. RowBinary carries no types: rows encoded
 * for Int64 columns and read by UInt16 ones are silently misread, so
 * every batch names the types it was encoded in and is re-encoded when
 * the table's differ (src/sink/clickhouse.c).
 */
#include <errno.h>
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

#include "sink/internal.h"

/* A batch is at most a million rows (batch=), and no spool file inflates
 * to more than this: what does is refused, not allocated. */
#define CH_INFLATE_MAX (1ull << 30)

static const struct {
	const char *name;
	uint8_t size;	/* bytes; 0 for String */
	bool is_signed; /* integers */
} types[] = {
	[CH_STRING] = { "String", 0, false },  [CH_INT8] = { "Int8", 1, true },
	[CH_INT16] = { "Int16", 2, true },     [CH_INT32] = { "Int32", 4, true },
	[CH_INT64] = { "Int64", 8, true },     [CH_UINT8] = { "UInt8", 1, false },
	[CH_UINT16] = { "UInt16", 2, false },  [CH_UINT32] = { "UInt32", 4, false },
	[CH_UINT64] = { "UInt64", 8, false },  [CH_FLOAT64] = { "Float64", 8, false },
};

const char *ch_type__name(enum ch_type t)
{
	return types[t].name;
}

enum ch_type ch_type__parse(const char *s, size_t len)
{
	for (size_t t = 0; t < CH_TYPE_NONE; t++)
		if (strlen(types[t].name) == len && !memcmp(types[t].name, s, len))
			return (enum ch_type)t;
	return CH_TYPE_NONE;
}

enum ch_type ch_type__of(enum wbpf_field_kind kind, uint8_t size)
{
	static const enum ch_type ints[2][5] = {
		{ CH_UINT64, CH_UINT8, CH_UINT16, CH_UINT64, CH_UINT32 },
		{ CH_INT64, CH_INT8, CH_INT16, CH_INT64, CH_INT32 },
	};

	switch (kind) {
	case WBPF_FIELD_STR: return CH_STRING;
	case WBPF_FIELD_I64: return ints[1][size < 5 ? size : 0];
	case WBPF_FIELD_U64: return ints[0][size < 5 ? size : 0];
	case WBPF_FIELD_F64: return CH_FLOAT64;
	case WBPF_FIELD_BOOL: return CH_UINT8;
	}
	return CH_TYPE_NONE;
}

bool ch_type__fits(enum ch_type t, uint64_t v, bool negative)
{
	unsigned bits = 8u * types[t].size;

	if (t == CH_STRING || t == CH_FLOAT64)
		return false;
	if (!types[t].is_signed)
		return !negative && (bits == 64 || v >> bits == 0);
	if (negative) /* v is the value's two's complement */
		return bits == 64 || (int64_t)v >= -(INT64_C(1) << (bits - 1));
	return v <= (uint64_t)INT64_MAX >> (64 - bits);
}

uint8_t *ch_type__put_int(uint8_t *p, enum ch_type t, uint64_t v)
{
	for (unsigned i = 0; i < types[t].size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + types[t].size;
}

/* One value of type t at *p (no further than end): an integer's bits
 * (sign-extended) and sign; false when the rows end too soon. */
static bool get_int(const uint8_t **p, const uint8_t *end, enum ch_type t, uint64_t *v,
		    bool *negative)
{
	unsigned size = types[t].size;

	if ((size_t)(end - *p) < size)
		return false;
	*v = 0;
	for (unsigned i = 0; i < size; i++)
		*v |= (uint64_t)(*p)[i] << (8 * i);
	*p += size;
	*negative = types[t].is_signed && size && (*v >> (8 * size - 1)) & 1;
	if (*negative && size < 8)
		*v |= ~UINT64_C(0) << (8 * size);
	return true;
}

/* A String's length prefix and bytes; false when the rows end too soon. */
static bool get_str(const uint8_t **p, const uint8_t *end, size_t *len)
{
	uint64_t n = 0;

	for (unsigned shift = 0;; shift += 7) {
		if (*p == end || shift > 63)
			return false;
		n |= (uint64_t)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80))
			break;
	}
	if (n > (uint64_t)(end - *p))
		return false;
	*len = (size_t)n;
	return true;
}

/* One value from `from` to `to`: -ERANGE when it does not fit, -EINVAL
 * when the rows do not parse or the types cannot convert. */
static int move_value(const uint8_t **p, const uint8_t *end, enum ch_type from, enum ch_type to,
		      struct sink_buf *out)
{
	const uint8_t *start = *p;
	uint64_t v;
	bool negative;
	size_t len;

	if (from == CH_STRING || from == CH_FLOAT64) {
		if (to != from)
			return -EINVAL;
		if (from == CH_STRING ? !get_str(p, end, &len) : (size_t)(end - *p) < 8)
			return -EINVAL;
		*p += from == CH_STRING ? len : 8;
		sink_buf__put(out, start, (size_t)(*p - start));
		return 0;
	}
	if (!get_int(p, end, from, &v, &negative))
		return -EINVAL;
	if (!ch_type__fits(to, v, negative))
		return to == CH_STRING || to == CH_FLOAT64 ? -EINVAL : -ERANGE;
	if (sink_buf__reserve(out, 8))
		out->len = (size_t)(ch_type__put_int((uint8_t *)out->data + out->len, to, v) -
				    (uint8_t *)out->data);
	return 0;
}

int ch_rows__convert(const void *rows, size_t len, const enum ch_type *from,
		     const enum ch_type *to, size_t ncols, struct sink_buf *out, size_t *bad)
{
	/* An empty batch may come as NULL: NULL + 0 is undefined in C. */
	const uint8_t *p = rows, *end = len ? p + len : p;

	while (p < end)
		for (size_t i = 0; i < ncols; i++) {
			int err = move_value(&p, end, from[i], to[i], out);

			if (err) {
				*bad = i;
				return err;
			}
		}
	return out->failed ? -ENOMEM : 0;
}

int ch_gzip__inflate(const void *gz, size_t len, struct sink_buf *out)
{
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	size_t room = len * 16 + 4096;
	int err = d ? 0 : -ENOMEM;

	/* A body may be several gzip members, one after another. */
	while (!err && len) {
		size_t in_used = 0, n = 0;
		enum libdeflate_result r;

		if (!sink_buf__reserve(out, room)) {
			err = -ENOMEM;
			break;
		}
		r = libdeflate_gzip_decompress_ex(d, gz, len, out->data + out->len,
						  out->cap - out->len, &in_used, &n);
		if (r == LIBDEFLATE_INSUFFICIENT_SPACE && out->cap < CH_INFLATE_MAX) {
			room = (out->cap - out->len) * 2;
			continue;
		}
		if (r != LIBDEFLATE_SUCCESS) {
			err = -EINVAL;
			break;
		}
		out->len += n;
		gz = (const uint8_t *)gz + in_used;
		len -= in_used;
	}
	libdeflate_free_decompressor(d);
	return err;
}
