// SPDX-License-Identifier: MIT
/*
 * The sink object: choosing a kind from its spec, the schema every record
 * must follow, and the counters every kind keeps.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink/internal.h"

#define SINK_MAX_FIELDS 1024

static struct wbpf_metric *counter(struct wbpf_metrics *m, const char *name, const char *labels,
				   const char *help)
{
	return m ? wbpf_metrics__get(m, WBPF_METRIC_COUNTER, name, labels, help) : NULL;
}

static void attach_metrics(struct wbpf_sink *sink, struct wbpf_metrics *m, const char *kind)
{
	char labels[256];

	snprintf(labels, sizeof(labels), "producer=\"%s\",sink=\"%s\"", sink->producer, kind);
	sink->m_in = counter(m, "wbpf_sink_records_in_total", labels, "Records handed to a sink.");
	sink->m_out = counter(m, "wbpf_sink_records_out_total", labels,
			      "Records a sink delivered.");
	sink->m_spooled = counter(m, "wbpf_sink_records_spooled_total", labels,
				  "Records written to the spool while the store was unreachable.");
	sink->m_dropped = counter(m, "wbpf_sink_records_dropped_total", labels,
				  "Records lost to the spool's size bound.");
	sink->m_failed = counter(m, "wbpf_sink_batches_failed_total", labels,
				 "Batch deliveries that failed and will be retried.");
	sink->m_spool_bytes = m ? wbpf_metrics__get(m, WBPF_METRIC_GAUGE, "wbpf_sink_spool_bytes",
						    labels, "Bytes waiting in the spool.")
				: NULL;
}

int wbpf_sink__open(const char *spec, const struct wbpf_sink_opts *opts, struct wbpf_sink **out,
		    char *err, size_t err_size)
{
	const char *producer = opts && opts->producer ? opts->producer : "wbpf";
	const char *eq = strchr(spec, '=');
	size_t kind_len = eq ? (size_t)(eq - spec) : strlen(spec);
	const char *arg = eq ? eq + 1 : NULL;
	struct wbpf_sink *sink;
	char kind[16];

	*out = NULL;
	snprintf(kind, sizeof(kind), "%.*s", (int)kind_len, spec);
	if (!strcmp(kind, "json"))
		sink = sink_json__open(arg, err, err_size);
	else if (!strcmp(kind, "table"))
		sink = sink_table__open(arg, err, err_size);
	else if (!strcmp(kind, "clickhouse"))
		sink = sink_clickhouse__open(arg, producer, err, err_size);
	else {
		snprintf(err, err_size, "unknown output '%s' (table, json[=FILE], clickhouse=URL,...)",
			 spec);
		return -EINVAL;
	}
	if (!sink)
		return -EINVAL;
	sink->producer = strdup(producer);
	if (!sink->producer) {
		sink->ops->close(sink);
		free(sink);
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	attach_metrics(sink, opts ? opts->metrics : NULL, kind);
	pthread_mutex_init(&sink->lock, NULL);
	*out = sink;
	return 0;
}

static bool field_valid(const struct wbpf_field *f)
{
	return f->name && f->name[0] && f->kind <= WBPF_FIELD_BOOL &&
	       (f->size == 0 || f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8);
}

/* An integer field's size, 0 for 64 bits and for every other kind. */
static uint8_t field_size(const struct wbpf_field *f)
{
	bool integer = f->kind == WBPF_FIELD_I64 || f->kind == WBPF_FIELD_U64;

	return integer && f->size < 8 ? f->size : 0;
}

/* The value fits the schema's size for it (a 64-bit one always does). */
static bool value_fits(const struct wbpf_field *f, uint8_t size)
{
	unsigned bits = 8u * size;

	if (!size)
		return true;
	if (f->kind == WBPF_FIELD_U64)
		return f->u >> bits == 0;
	return f->i >= -(INT64_C(1) << (bits - 1)) && f->i < (INT64_C(1) << (bits - 1));
}

static int schema_learn(struct sink_schema *s, const struct wbpf_record *rec)
{
	for (size_t i = 0; i < rec->n_fields; i++)
		if (!field_valid(&rec->fields[i]))
			return -EINVAL;
	s->names = calloc(rec->n_fields, sizeof(*s->names));
	s->kinds = calloc(rec->n_fields, sizeof(*s->kinds));
	s->sizes = calloc(rec->n_fields, sizeof(*s->sizes));
	if (rec->static_names)
		s->addrs = calloc(rec->n_fields, sizeof(*s->addrs));
	if (!s->names || !s->kinds || !s->sizes || (rec->static_names && !s->addrs))
		return -ENOMEM;
	for (size_t i = 0; i < rec->n_fields; i++) {
		s->names[i] = strdup(rec->fields[i].name);
		s->kinds[i] = rec->fields[i].kind;
		s->sizes[i] = field_size(&rec->fields[i]);
		if (s->addrs)
			s->addrs[i] = rec->fields[i].name;
		s->n = i + 1;
		if (!s->names[i])
			return -ENOMEM;
	}
	return 0;
}

/* An integer where the schema has a real is taken as that real: a JSON
 * producer writes 0 and 0.25 into the same field. */
static bool kind_fits(enum wbpf_field_kind schema, enum wbpf_field_kind field)
{
	return field == schema ||
	       (schema == WBPF_FIELD_F64 && (field == WBPF_FIELD_I64 || field == WBPF_FIELD_U64));
}

static bool name_matches(const struct sink_schema *s, const struct wbpf_record *rec, size_t i)
{
	const char *name = rec->fields[i].name;

	if (rec->static_names && s->addrs && name == s->addrs[i])
		return true;
	return name && !strcmp(name, s->names[i]);
}

/* A record with the schema's names and kinds, and integers within their
 * sizes, is valid as the first one was (-EINVAL, -ERANGE otherwise);
 * *convert: some integer has to become a real. */
static int schema_matches(const struct sink_schema *s, const struct wbpf_record *rec,
			  bool *convert)
{
	if (rec->n_fields != s->n)
		return -EINVAL;
	for (size_t i = 0; i < s->n; i++) {
		enum wbpf_field_kind kind = rec->fields[i].kind;

		if (kind != s->kinds[i] && !kind_fits(s->kinds[i], kind))
			return -EINVAL;
		*convert |= kind != s->kinds[i];
		if (!name_matches(s, rec, i))
			return -EINVAL;
		if (s->sizes[i] && !value_fits(&rec->fields[i], s->sizes[i]))
			return -ERANGE;
	}
	return 0;
}

static void to_schema_kind(struct wbpf_field *f, enum wbpf_field_kind kind)
{
	if (f->kind == kind)
		return;
	f->f = f->kind == WBPF_FIELD_I64 ? (double)f->i : (double)f->u;
	f->kind = kind;
}

static void schema_free(struct sink_schema *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	free(s->kinds);
	free(s->sizes);
	free(s->addrs);
	memset(s, 0, sizeof(*s));
}

/* Checks the record against the schema (learning it from the first);
 * *convert: it needs conform_kinds before it is written. */
static int check(struct wbpf_sink *sink, const struct wbpf_record *rec, bool *convert)
{
	int err;

	*convert = false;
	if (sink->schema.n)
		return schema_matches(&sink->schema, rec, convert);
	err = schema_learn(&sink->schema, rec);
	if (!err)
		err = schema_matches(&sink->schema, rec, convert);
	if (err)
		schema_free(&sink->schema);
	return err;
}

/* The record's fields in the schema's kinds. */
static void conform_kinds(const struct sink_schema *s, const struct wbpf_record *rec,
			  struct wbpf_field *fields)
{
	memcpy(fields, rec->fields, rec->n_fields * sizeof(*fields));
	for (size_t i = 0; i < rec->n_fields; i++)
		to_schema_kind(&fields[i], s->kinds[i]);
}

/* Records in the schema's kinds (nearly all) go to the sink as they are. */
static int write_conformed(struct wbpf_sink *sink, const struct wbpf_record *rec, bool convert)
{
	if (!convert)
		return sink->ops->write(sink, rec);

	struct wbpf_field fields[rec->n_fields];

	conform_kinds(&sink->schema, rec, fields);
	return sink->ops->write(sink, &(struct wbpf_record){ fields, rec->n_fields, false });
}

int wbpf_sink__write(struct wbpf_sink *sink, const struct wbpf_record *rec)
{
	bool convert;
	int err;

	if (!rec->n_fields || rec->n_fields > SINK_MAX_FIELDS)
		return rec->n_fields ? -E2BIG : -EINVAL;
	pthread_mutex_lock(&sink->lock);
	err = check(sink, rec, &convert);
	if (!err)
		err = write_conformed(sink, rec, convert);
	if (!err)
		sink__count(&sink->in, sink->m_in, 1);
	pthread_mutex_unlock(&sink->lock);
	return err;
}

int wbpf_sink__flush(struct wbpf_sink *sink)
{
	int err;

	pthread_mutex_lock(&sink->lock);
	err = sink->ops->flush(sink);
	pthread_mutex_unlock(&sink->lock);
	return err;
}

void wbpf_sink__close(struct wbpf_sink *sink)
{
	if (!sink)
		return;
	wbpf_sink__flush(sink);
	sink->ops->close(sink);
	/* Said once, where nothing else would: records lost, or waiting. */
	if (sink->dropped || sink->spool_bytes)
		fprintf(stderr,
			"wbpf: %s output: %" PRIu64 " records, %" PRIu64 " delivered, %" PRIu64
			" dropped, %" PRIu64 " bytes left in the spool for the next run\n",
			sink->producer, (uint64_t)sink->in, (uint64_t)sink->out,
			(uint64_t)sink->dropped, (uint64_t)sink->spool_bytes);
	pthread_mutex_destroy(&sink->lock);
	schema_free(&sink->schema);
	free(sink->producer);
	free(sink);
}

void wbpf_sink__stats(struct wbpf_sink *sink, struct wbpf_sink_stats *out)
{
	out->records_in = sink->in;
	out->records_out = sink->out;
	out->records_spooled = sink->spooled;
	out->records_dropped = sink->dropped;
	out->batches_failed = sink->failed;
	out->spool_bytes = sink->spool_bytes;
}

void sink__count(_Atomic uint64_t *counter, struct wbpf_metric *metric, uint64_t n)
{
	*counter += n;
	if (metric)
		wbpf_metric__add(metric, (double)n);
}
