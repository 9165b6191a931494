/* SPDX-License-Identifier: MIT */
/*
 * Record sinks and metrics: where everything wbpf observes goes.
 *
 * Every producer (`wbpf l7`, `wbpf gadget run`, eBPF apps through the
 * `wbpf` ABI) hands flat records of named, typed fields to one sink:
 *
 *	table                  aligned columns, for a terminal
 *	json[=FILE]            JSON lines (stdout by default)
 *	clickhouse=URL[,table=T][,batch=N][,flush_ms=MS][,spool=DIR]
 *	          [,spool_max=BYTES][,node=ID][,timeout_ms=MS]
 *
 * The ClickHouse sink batches rows (JSONEachRow, gzip), creates its table
 * from the first record's fields, and never loses a record to an outage:
 * batches it cannot deliver go to a bounded spool directory and are
 * replayed in order. Each row carries the node's id and a per-node
 * sequence number, the key of a ReplacingMergeTree, so a batch sent twice
 * (delivered, but the answer lost) is stored once (`docs/sinks.md`).
 *
 * Metrics are a registry of counters, gauges and histograms that any layer
 * updates; `wbpf_metrics__serve` exposes them for Prometheus.
 * Functions return 0 or a negative errno; error text goes to `err`.
 */
#ifndef WBPF_SINK_H
#define WBPF_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum wbpf_field_kind {
	WBPF_FIELD_STR,
	WBPF_FIELD_I64,
	WBPF_FIELD_U64,
	WBPF_FIELD_F64,
	WBPF_FIELD_BOOL,
};

struct wbpf_field {
	const char *name;
	enum wbpf_field_kind kind;
	/* An integer's width in bytes, 1, 2 or 4: its values fit a signed
	 * (I64) or unsigned (U64) integer of that size, and the ClickHouse
	 * column is that narrow (Int16, UInt8, ...); a value outside it is
	 * refused (-ERANGE). 0 (and 8): 64 bits. The first record's is the
	 * sink's; other kinds ignore it. */
	uint8_t size;
	union {
		const char *s; /* NULL is written as "" */
		int64_t i;
		uint64_t u;
		double f;
		bool b;
	};
};

/* One record; the sink copies what it keeps, so everything may be
 * reused as soon as the write returns. */
struct wbpf_record {
	const struct wbpf_field *fields;
	size_t n_fields;
	/* The field names are the same constant strings (literals) in every
	 * record: the sink checks them by address, not by content. */
	bool static_names;
};

struct wbpf_metrics;
struct wbpf_sink;

struct wbpf_sink_opts {
	size_t sz;		     /* sizeof(struct wbpf_sink_opts) */
	const char *producer;	     /* metric label and default table name */
	struct wbpf_metrics *metrics; /* NULL: no metrics */
};

/* Opens the sink `spec` describes (see above). */
int wbpf_sink__open(const char *spec, const struct wbpf_sink_opts *opts, struct wbpf_sink **out,
		    char *err, size_t err_size);
/* Queues or writes one record; the schema (names, kinds and integer
 * sizes) is the first record's: later records must have the same fields.
 * -EINVAL otherwise; -ERANGE for an integer outside its field's size.
 * Thread-safe: records from several threads are written one at a time. */
int wbpf_sink__write(struct wbpf_sink *sink, const struct wbpf_record *rec);
/* Delivers (or spools) everything queued. */
int wbpf_sink__flush(struct wbpf_sink *sink);
/* Flushes, then frees; says on stderr how many records were dropped or
 * are left in a spool, if any. NULL is ignored. */
void wbpf_sink__close(struct wbpf_sink *sink);

struct wbpf_sink_stats {
	uint64_t records_in;	  /* accepted by __write */
	uint64_t records_out;	  /* confirmed delivered */
	uint64_t records_spooled; /* written to the spool (replays count again in _out) */
	uint64_t records_dropped; /* lost to the spool bound */
	uint64_t batches_failed;  /* delivery attempts that failed */
	uint64_t spool_bytes;	  /* on disk now */
};
void wbpf_sink__stats(struct wbpf_sink *sink, struct wbpf_sink_stats *out);

struct wbpf_store;
/* Defines `wbpf`.`record_emit_json(ptr, len) -> i32` in `store`: guests
 * emit records (flat JSON objects) into `sink` (docs/abi-wbpf.md). */
int wbpf_sink_abi__define(struct wbpf_store *store, struct wbpf_sink *sink);

/* A JSON string, quoted and escaped as every wbpf JSON writer does it
 * (control characters escaped, bytes >= 0x80 as they are), handed to `put`
 * in pieces. NULL is written as "". */
void wbpf_json_str(void (*put)(void *ctx, const char *p, size_t n), void *ctx, const char *s);

/* ------------------------------------------------------------ metrics */

enum wbpf_metric_type { WBPF_METRIC_COUNTER, WBPF_METRIC_GAUGE, WBPF_METRIC_HISTOGRAM };

struct wbpf_metric;

struct wbpf_metrics *wbpf_metrics__new(void);
void wbpf_metrics__free(struct wbpf_metrics *m);
/* The series `name{labels}` (labels as Prometheus writes them, e.g.
 * `producer="l7",sink="clickhouse"`, or NULL), created on first use;
 * `help` is kept from the first call for `name`. Thread-safe; NULL on
 * allocation failure or a name Prometheus would refuse. */
struct wbpf_metric *wbpf_metrics__get(struct wbpf_metrics *m, enum wbpf_metric_type type,
				      const char *name, const char *labels, const char *help);
/* Thread-safe and lock-free on an existing series. */
void wbpf_metric__add(struct wbpf_metric *metric, double v);
void wbpf_metric__set(struct wbpf_metric *metric, double v);
/* Histogram: one observation in seconds (buckets 1us .. 10s). */
void wbpf_metric__observe(struct wbpf_metric *metric, double seconds);
/* Histogram: the state of one kept elsewhere, copied in at collection:
 * per_bucket[i] observations of at most 10^i us (i < WBPF_METRIC_BUCKETS;
 * not cumulative), count of all (slower ones included), their sum. */
#define WBPF_METRIC_BUCKETS 8
void wbpf_metric__set_histogram(struct wbpf_metric *metric,
				const uint64_t per_bucket[WBPF_METRIC_BUCKETS], uint64_t count,
				double sum_seconds);
/* `fn` runs before each rendering, from the rendering thread: a producer
 * that keeps its own counters copies them into series there. At most 8;
 * -ENOSPC past that. */
int wbpf_metrics__on_collect(struct wbpf_metrics *m, void (*fn)(void *ctx, struct wbpf_metrics *m),
			     void *ctx);
/* Text exposition format 0.0.4, process metrics included; malloc'ed. */
char *wbpf_metrics__render(struct wbpf_metrics *m);
/* Serves /metrics on "ADDR:PORT" from a thread of its own until
 * wbpf_metrics__free. */
int wbpf_metrics__serve(struct wbpf_metrics *m, const char *addr_port, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
