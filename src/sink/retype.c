// SPDX-License-Identifier: MIT
/*
 * A batch as the table it goes to must read it. A payload (delivered and
 * spooled alike) is
 *
 *	TYPES String,String,UInt64,...\n	the types its rows were encoded in
 *	INSERT INTO t (c1, c2, ...) FORMAT RowBinary\n
 *	gzip'ed rows
 *
 * Payloads spooled before the TYPES line existed were encoded for the
 * 64-bit columns wbpf then created: String, Int64, UInt64, Float64 and
 * UInt8. Each payload is checked against the table's own column types
 * (DESCRIBE TABLE) before it is sent, and re-encoded, or refused naming
 * the column, when they differ.
 */
#include <errno.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink/internal.h"

#define TYPES_TAG "TYPES "

void ch_desc__free(struct ch_desc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->names[i]);
		free(d->type_names[i]);
	}
	free(d->names);
	free(d->type_names);
	free(d->types);
	memset(d, 0, sizeof(*d));
}

static int desc_add(struct ch_desc *d, const char *name, size_t nlen, const char *type,
		    size_t tlen)
{
	size_t n = d->n + 1;
	char **names = realloc(d->names, n * sizeof(*names));
	char **tnames = names ? realloc(d->type_names, n * sizeof(*tnames)) : NULL;
	enum ch_type *types = tnames ? realloc(d->types, n * sizeof(*types)) : NULL;

	if (names)
		d->names = names;
	if (tnames)
		d->type_names = tnames;
	if (!types)
		return -ENOMEM;
	d->types = types;
	d->names[d->n] = strndup(name, nlen);
	d->type_names[d->n] = strndup(type, tlen);
	d->types[d->n] = ch_type__parse(type, tlen);
	d->n = n;
	return d->names[n - 1] && d->type_names[n - 1] ? 0 : -ENOMEM;
}

int ch_desc__parse(struct ch_desc *d, const char *tsv, size_t len)
{
	const char *end = tsv + len;
	int err = 0;

	while (!err && tsv < end) {
		const char *nl = memchr(tsv, '\n', (size_t)(end - tsv));
		const char *eol = nl ? nl : end;
		const char *tab = memchr(tsv, '\t', (size_t)(eol - tsv));
		const char *tab2 = tab ? memchr(tab + 1, '\t', (size_t)(eol - tab - 1)) : NULL;

		if (!tab)
			return -EINVAL;
		if (!tab2)
			tab2 = eol;
		err = desc_add(d, tsv, (size_t)(tab - tsv), tab + 1, (size_t)(tab2 - tab - 1));
		tsv = eol + 1;
	}
	return err;
}

/* The table's type of column `name` (len bytes); NULL when it has none. */
static const char *desc_type(const struct ch_desc *d, const char *name, size_t len,
			     enum ch_type *type)
{
	for (size_t i = 0; i < d->n; i++)
		if (strlen(d->names[i]) == len && !memcmp(d->names[i], name, len)) {
			*type = d->types[i];
			return d->type_names[i];
		}
	return NULL;
}

int ch_payload__split(const char *payload, size_t len, struct ch_payload *out)
{
	const char *end = payload + len, *nl;

	memset(out, 0, sizeof(*out));
	if (len > strlen(TYPES_TAG) && !memcmp(payload, TYPES_TAG, strlen(TYPES_TAG))) {
		if (!(nl = memchr(payload, '\n', len)))
			return -EINVAL;
		out->types = payload + strlen(TYPES_TAG);
		out->types_len = (size_t)(nl - out->types);
		payload = nl + 1;
	}
	if (!(nl = memchr(payload, '\n', (size_t)(end - payload))))
		return -EINVAL;
	out->query = payload;
	out->query_len = (size_t)(nl - payload);
	out->body = nl + 1;
	out->body_len = (size_t)(end - out->body);
	return 0;
}

/* The next column of the INSERT's list "(a, `b`, c)" at *p; false at its end. */
static bool next_column(const char **p, const char *end, const char **name, size_t *len)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == ',' || *s == '`' || *s == '('))
		s++;
	if (s >= end || *s == ')')
		return false;
	*name = s;
	while (s < end && *s != '`' && *s != ',' && *s != ')')
		s++;
	*len = (size_t)(s - *name);
	*p = s;
	return true;
}

/* The batch's types, one per column; legacy batches take the table's,
 * which must be one of the types wbpf used to create. */
static int batch_type(const struct ch_payload *pl, const char **types, enum ch_type table,
		      enum ch_type *from)
{
	const char *end, *comma;

	if (!pl->types) {
		*from = table;
		return table == CH_STRING || table == CH_INT64 || table == CH_UINT64 ||
				       table == CH_FLOAT64 || table == CH_UINT8
			       ? 0
			       : -EINVAL;
	}
	end = pl->types + pl->types_len;
	if (*types >= end)
		return -EINVAL;
	comma = memchr(*types, ',', (size_t)(end - *types));
	if (!comma)
		comma = end;
	*from = ch_type__parse(*types, (size_t)(comma - *types));
	*types = comma + 1;
	return *from == CH_TYPE_NONE ? -EINVAL : 0;
}

int ch_payload__columns(const struct ch_payload *pl, const struct ch_desc *table,
			struct ch_retype *rt, char *why, size_t why_size)
{
	const char *end = pl->query + pl->query_len, *p = memchr(pl->query, '(', pl->query_len);
	const char *types = pl->types, *name, *tname;
	size_t len;

	rt->n = 0;
	rt->same = pl->types != NULL;
	while (p && next_column(&p, end, &name, &len)) {
		enum ch_type to = CH_TYPE_NONE, from;

		if (rt->n == CH_MAX_COLUMNS) {
			snprintf(why, why_size, "more than %d columns", CH_MAX_COLUMNS);
			return -E2BIG;
		}
		if (!(tname = desc_type(table, name, len, &to))) {
			snprintf(why, why_size, "the table has no column '%.*s'", (int)len, name);
			return -EINVAL;
		}
		if (batch_type(pl, &types, to, &from)) {
			snprintf(why, why_size, "column '%.*s' is %s in the table, %s in the batch",
				 (int)len, name, tname,
				 pl->types ? "an unknown type" : "64-bit (written by an older wbpf)");
			return -EINVAL;
		}
		if (to == CH_TYPE_NONE || ((from == CH_STRING || from == CH_FLOAT64) && from != to) ||
		    ((to == CH_STRING || to == CH_FLOAT64) && from != to)) {
			snprintf(why, why_size, "column '%.*s' is %s in the table: the batch's %s cannot go there",
				 (int)len, name, tname, ch_type__name(from));
			return -EINVAL;
		}
		rt->from[rt->n] = from;
		rt->to[rt->n++] = to;
		rt->same &= from == to;
	}
	if (!p || !rt->n || (pl->types && types != pl->types + pl->types_len + 1)) {
		snprintf(why, why_size, "its INSERT and TYPES lines do not agree");
		return -EINVAL;
	}
	return 0;
}

static void column_name(const struct ch_payload *pl, size_t i, char *buf, size_t size)
{
	const char *end = pl->query + pl->query_len, *p = memchr(pl->query, '(', pl->query_len);
	const char *name = "";
	size_t len = 0;

	for (size_t k = 0; p && k <= i; k++)
		if (!next_column(&p, end, &name, &len))
			break;
	snprintf(buf, size, "%.*s", (int)len, name);
}

int ch_payload__retype(const struct ch_payload *pl, const struct ch_retype *rt,
		       struct libdeflate_compressor *gz, struct sink_buf *out, char *why,
		       size_t why_size)
{
	struct sink_buf rows = { 0 }, moved = { 0 };
	size_t bad = 0, bound;
	char col[128];
	int err = ch_gzip__inflate(pl->body, pl->body_len, &rows);

	if (err) {
		snprintf(why, why_size, "its rows do not inflate");
		goto out;
	}
	err = ch_rows__convert(rows.data, rows.len, rt->from, rt->to, rt->n, &moved, &bad);
	if (err) {
		column_name(pl, bad, col, sizeof(col));
		snprintf(why, why_size, err == -ERANGE
			 ? "a value of column '%s' does not fit the table's %s"
			 : "its rows do not parse as their types (column '%s', %s)", col,
			 ch_type__name(rt->to[bad]));
		goto out;
	}
	bound = libdeflate_gzip_compress_bound(gz, moved.len);
	if (sink_buf__reserve(out, bound))
		out->len += libdeflate_gzip_compress(gz, moved.data, moved.len, out->data + out->len,
						     bound);
	err = out->failed ? -ENOMEM : 0;
out:
	sink_buf__free(&rows);
	sink_buf__free(&moved);
	return err;
}
