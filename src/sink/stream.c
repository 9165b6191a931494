// SPDX-License-Identifier: MIT
/*
 * Sinks that write text as records come: JSON lines and a table. Both
 * count a record as delivered once it is in stdio's buffer; a flush
 * pushes it to the file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sink/internal.h"

struct stream_sink {
	struct wbpf_sink base;
	FILE *file;
	bool own_file;
	unsigned rows; /* table: rows since the header */
	struct sink_buf line;
};

#define STREAM(s) ((struct stream_sink *)(s))
#define TABLE_STR_WIDTH 24
#define TABLE_NUM_WIDTH 12
#define TABLE_HEADER_EVERY 40

/* Writes the line (cells' trailing padding cut) and counts the record. */
static int put_line(struct stream_sink *s)
{
	while (s->line.len && s->line.data[s->line.len - 1] == ' ')
		s->line.len--;
	sink_buf__put(&s->line, "\n", 1);
	if (s->line.failed)
		return -ENOMEM;
	if (fwrite(s->line.data, 1, s->line.len, s->file) != s->line.len)
		return -errno;
	sink__count(&s->base.out, s->base.m_out, 1);
	return 0;
}

static int json_write(struct wbpf_sink *sink, const struct wbpf_record *rec)
{
	struct stream_sink *s = STREAM(sink);

	s->line.len = 0;
	sink_buf__put(&s->line, "{", 1);
	for (size_t i = 0; i < rec->n_fields; i++) {
		if (i)
			sink_buf__put(&s->line, ",", 1);
		sink_buf__json_str(&s->line, rec->fields[i].name);
		sink_buf__put(&s->line, ":", 1);
		sink_buf__json_value(&s->line, &rec->fields[i]);
	}
	sink_buf__put(&s->line, "}", 1);
	return put_line(s);
}

static int column_width(const struct sink_schema *schema, size_t i)
{
	size_t name = strlen(schema->names[i]);
	size_t w = schema->kinds[i] == WBPF_FIELD_STR ? TABLE_STR_WIDTH : TABLE_NUM_WIDTH;

	return (int)(name > w ? name : w);
}

/* A cell cut to its column, with "..." where something was cut. */
static void put_cell(struct sink_buf *b, const char *text, int width)
{
	size_t len = strlen(text);

	if (len > (size_t)width)
		sink_buf__printf(b, "%.*s... ", width - 3, text);
	else
		sink_buf__printf(b, "%-*s ", width, text);
}

static int table_write(struct wbpf_sink *sink, const struct wbpf_record *rec)
{
	struct stream_sink *s = STREAM(sink);
	struct sink_buf cell = { 0 };

	s->line.len = 0;
	if (s->rows++ % TABLE_HEADER_EVERY == 0) {
		for (size_t i = 0; i < rec->n_fields; i++)
			put_cell(&s->line, sink->schema.names[i], column_width(&sink->schema, i));
		while (s->line.len && s->line.data[s->line.len - 1] == ' ')
			s->line.len--;
		sink_buf__put(&s->line, "\n", 1);
	}
	for (size_t i = 0; i < rec->n_fields; i++) {
		const struct wbpf_field *f = &rec->fields[i];

		cell.len = 0;
		if (f->kind == WBPF_FIELD_STR)
			sink_buf__puts(&cell, f->s ? f->s : "");
		else
			sink_buf__json_value(&cell, f);
		sink_buf__put(&cell, "", 1);
		put_cell(&s->line, cell.failed ? "?" : cell.data, column_width(&sink->schema, i));
	}
	sink_buf__free(&cell);
	return put_line(s);
}

static int stream_flush(struct wbpf_sink *sink)
{
	return fflush(STREAM(sink)->file) ? -errno : 0;
}

static void stream_close(struct wbpf_sink *sink)
{
	struct stream_sink *s = STREAM(sink);

	if (s->own_file)
		fclose(s->file);
	sink_buf__free(&s->line);
}

static const struct sink_ops json_ops = { json_write, stream_flush, stream_close };
static const struct sink_ops table_ops = { table_write, stream_flush, stream_close };

static struct wbpf_sink *stream_open(const struct sink_ops *ops, const char *path, char *err,
				     size_t err_size)
{
	struct stream_sink *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	s->base.ops = ops;
	s->file = stdout;
	if (path && path[0]) {
		s->file = fopen(path, "ae");
		if (!s->file) {
			snprintf(err, err_size, "cannot open output %s: %s", path, strerror(errno));
			free(s);
			return NULL;
		}
		s->own_file = true;
	}
	return &s->base;
}

struct wbpf_sink *sink_json__open(const char *arg, char *err, size_t err_size)
{
	return stream_open(&json_ops, arg, err, err_size);
}

struct wbpf_sink *sink_table__open(const char *arg, char *err, size_t err_size)
{
	return stream_open(&table_ops, arg, err, err_size);
}
