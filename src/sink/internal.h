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

/* The field names and kinds every record of a sink must have. */
struct sink_schema {
	size_t n;
	char **names;
	enum wbpf_field_kind *kinds;
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
