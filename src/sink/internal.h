/* SPDX-License-Identifier: MIT */
/* Internals of the sinks (include/wbpf/sink.h): the common sink object,
 * the byte buffer rows are encoded into, and the spool. */
#ifndef WBPF_SINK_INTERNAL_H
#define WBPF_SINK_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "wbpf/sink.h"

/* A growable byte buffer; on allocation failure it stays usable and
 * remembers the failure (`failed`), so encoders need no error paths. */
struct sink_buf {
	char *data;
	size_t len, cap;
	bool failed;
};

/* Room for n more bytes at data + len; false (and failed) without. */
bool sink_buf__reserve(struct sink_buf *b, size_t n);
void sink_buf__put(struct sink_buf *b, const void *p, size_t n);
void sink_buf__puts(struct sink_buf *b, const char *s);
void sink_buf__printf(struct sink_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sink_buf__put_u64(struct sink_buf *b, uint64_t v);
void sink_buf__put_i64(struct sink_buf *b, int64_t v);
void sink_buf__free(struct sink_buf *b);

/* A JSON string literal of s (quotes included). */
void sink_buf__json_str(struct sink_buf *b, const char *s);
/* One field's value as JSON. */
void sink_buf__json_value(struct sink_buf *b, const struct wbpf_field *f);

/* The field names, kinds and integer sizes (0: 64 bits) every record of
 * a sink must have. */
struct sink_schema {
	size_t n;
	char **names;
	enum wbpf_field_kind *kinds;
	uint8_t *sizes;
	/* The first record's name pointers, when its names were static. */
	const char **addrs;
};

struct sink_ops {
	int (*write)(struct wbpf_sink *sink, const struct wbpf_record *rec);
	int (*flush)(struct wbpf_sink *sink);
	/* Releases what the kind holds; the sink's memory is freed after. */
	void (*close)(struct wbpf_sink *sink);
};

struct wbpf_sink {
	const struct sink_ops *ops;
	/* Writers may be several threads (wbpf l7's workers): one at a time. */
	pthread_mutex_t lock;
	struct sink_schema schema;
	char *producer;
	/* counters: written by the producer and a sender thread */
	_Atomic uint64_t in, out, spooled, dropped, failed, spool_bytes;
	struct wbpf_metric *m_in, *m_out, *m_spooled, *m_dropped, *m_failed, *m_spool_bytes;
};

/* Each sink kind: parses its options (after "kind=" or NULL), fills err. */
struct wbpf_sink *sink_json__open(const char *arg, char *err, size_t err_size);
struct wbpf_sink *sink_table__open(const char *arg, char *err, size_t err_size);
struct wbpf_sink *sink_clickhouse__open(const char *arg, const char *producer, char *err,
					size_t err_size);

/* Counts n records into one of the sink's counters and its metric. */
void sink__count(_Atomic uint64_t *counter, struct wbpf_metric *metric, uint64_t n);

/* ---------------------------------------------------------- RowBinary */

/* The ClickHouse column types the sink writes and reads. */
enum ch_type {
	CH_STRING, CH_INT8, CH_INT16, CH_INT32, CH_INT64,
	CH_UINT8, CH_UINT16, CH_UINT32, CH_UINT64, CH_FLOAT64,
	CH_TYPE_NONE,
};

const char *ch_type__name(enum ch_type t);
/* CH_TYPE_NONE for a type the sink does not write (Nullable, Date, ...). */
enum ch_type ch_type__parse(const char *s, size_t len);
/* A field's column: its kind and integer size (booleans are UInt8). */
enum ch_type ch_type__of(enum wbpf_field_kind kind, uint8_t size);
/* The integer v (two's complement bits when negative) fits t. */
bool ch_type__fits(enum ch_type t, uint64_t v, bool negative);
/* The integer v, little-endian in t's size. */
uint8_t *ch_type__put_int(uint8_t *p, enum ch_type t, uint64_t v);
/* RowBinary rows of columns typed `from` appended to out as `to`:
 * -ERANGE when a value does not fit, -EINVAL when the rows do not parse
 * or a column cannot convert (*bad: that column's index either way). */
int ch_rows__convert(const void *rows, size_t len, const enum ch_type *from,
		     const enum ch_type *to, size_t ncols, struct sink_buf *out, size_t *bad);
/* A gzip body (one or more members) appended to out, inflated. */
int ch_gzip__inflate(const void *gz, size_t len, struct sink_buf *out);

/* A table's columns, as DESCRIBE TABLE gives them. */
struct ch_desc {
	size_t n;
	char **names, **type_names;
	enum ch_type *types; /* CH_TYPE_NONE: one the sink does not write */
};

/* DESCRIBE TABLE's TabSeparated answer (name, type, ...) into d. */
int ch_desc__parse(struct ch_desc *d, const char *tsv, size_t len);
void ch_desc__free(struct ch_desc *d);

/* A batch's payload in its parts (src/sink/retype.c); types is NULL in
 * a payload spooled by a wbpf that wrote no TYPES line. */
struct ch_payload {
	const char *types, *query, *body;
	size_t types_len, query_len, body_len;
};

int ch_payload__split(const char *payload, size_t len, struct ch_payload *out);

/* The sink's five columns and at most 1024 fields. */
#define CH_MAX_COLUMNS 1029

/* Each column of a batch: the type it was encoded in and the table's. */
struct ch_retype {
	size_t n;
	bool same; /* the batch can go as it is */
	enum ch_type from[CH_MAX_COLUMNS], to[CH_MAX_COLUMNS];
};

/* The batch's columns against the table's: -EINVAL, with why naming the
 * column, when one is missing or of a type its values cannot take. */
int ch_payload__columns(const struct ch_payload *pl, const struct ch_desc *table,
			struct ch_retype *rt, char *why, size_t why_size);
struct libdeflate_compressor;
/* The batch's rows in the table's types, gzip'ed into out: -ERANGE or
 * -EINVAL, with why naming the column, when a value cannot be moved. */
int ch_payload__retype(const struct ch_payload *pl, const struct ch_retype *rt,
		       struct libdeflate_compressor *gz, struct sink_buf *out, char *why,
		       size_t why_size);

/* ---------------------------------------------------------------- spool */

/* A directory of undelivered batches, oldest first, bounded in bytes. */
struct sink_spool;

struct sink_spool *sink_spool__open(const char *dir, uint64_t max_bytes, char *err,
				    size_t err_size);
void sink_spool__free(struct sink_spool *spool);
/* Stores a batch of `rows` rows; returns the rows dropped (oldest batches
 * removed to stay under the bound, possibly this one), or -errno. */
int64_t sink_spool__push(struct sink_spool *spool, const void *data, size_t len, uint64_t rows);
/* The oldest batch: its bytes (malloc'ed) and rows; -ENOENT when empty,
 * another -errno (rows still set) when its file cannot be read back. */
int sink_spool__peek(struct sink_spool *spool, void **data, size_t *len, uint64_t *rows);
/* Removes the batch __peek returned. */
void sink_spool__pop(struct sink_spool *spool);
uint64_t sink_spool__bytes(const struct sink_spool *spool);
bool sink_spool__empty(const struct sink_spool *spool);

#endif
