// SPDX-License-Identifier: MIT
/*
 * The ClickHouse sink, over the server's HTTP interface.
 *
 * The producer appends rows to the open batch in ClickHouse's RowBinary
 * format (no escaping or number printing, a third of JSON's size), through
 * a small staging buffer that is gzip'ed into the batch every 64 KiB, one
 * gzip member each (a gzip body may hold several; ClickHouse reads them
 * all), by libdeflate, which compresses these rows half again as fast as
 * zlib at the same level: the rows are compressed while still in cache,
 * and a batch in memory is its compressed payload (a tenth of its rows),
 * so the few batches in flight fault in a few hundred KiB, not tens of MiB. A sender
 * thread seals the batch (by rows or by age) and delivers it, so a slow or
 * absent store never stalls event handling. Delivery is in order:
 * while the spool holds anything, new batches queue behind it on disk.
 * Failures back off exponentially up to a few seconds.
 *
 * RowBinary carries no types, so every batch names the column types it
 * was encoded in, and the table's own are read (DESCRIBE TABLE) before the
 * first insert: a batch for other types is re-encoded or refused, never
 * misread (src/sink/retype.c).
 *
 * Exactly once, as far as the store goes: every row carries (wbpf_node,
 * wbpf_run, wbpf_seq), the sorting key of a ReplacingMergeTree, so a batch that
 * was stored but whose answer was lost, and is then sent again, collapses
 * into the first copy (counted once with FINAL, or after the next merge).
 */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <libdeflate.h>

#include "sink/internal.h"

#define CH_QUEUE_MAX 4
#define CH_BACKOFF_MIN_MS 100
#define CH_BACKOFF_MAX_MS 5000
#define CH_STAGE_BYTES (64u << 10)
/* Level 1: these rows still shrink thirteenfold. */
#define CH_GZIP_LEVEL 1

/* A payload, as delivered and spooled: the column types its rows are
 * encoded in, the INSERT statement, the gzip'ed rows (src/sink/retype.c).
 * Spooled batches so carry their own columns and types, whatever run (and
 * schema) wrote them. */
struct ch_batch {
	struct sink_buf payload;
	uint64_t n;
};

struct ch_sink {
	struct wbpf_sink base;
	/* options */
	char *url, *table, *node, *spool_dir;
	unsigned batch_rows, flush_ms, timeout_ms;
	uint64_t spool_max;
	/* row identity */
	char host[256];
	uint64_t run_id, seq;
	struct sink_buf prefix;	    /* every row's wbpf_node, wbpf_host, wbpf_run */
	struct sink_buf insert_sql; /* "INSERT INTO t (columns) FORMAT RowBinary" */
	/* The types rows are encoded in, one per column: those the fields ask
	 * for, or (from the next batch on) those the table turned out to have. */
	enum ch_type *enc, *enc_next;
	size_t ncols;
	bool enc_next_ready;
	size_t narrow_field; /* the field a row did not fit (-ERANGE) */
	bool narrow_said;
	/* producer -> sender */
	pthread_mutex_t lock;
	pthread_cond_t wake, idle;
	struct ch_batch open;
	struct sink_buf stage;	/* the open batch's rows not yet compressed */
	struct libdeflate_compressor *gz;
	/* Delivered batches' buffers, reused by the next open ones. */
	struct sink_buf spares[CH_QUEUE_MAX + 1];
	unsigned nspares;
	struct timespec opened;
	struct ch_batch queue[CH_QUEUE_MAX];
	unsigned queued;
	bool busy, stop;
	_Atomic bool schema_known; /* set once the first record is in */
	pthread_t thread;
	/* sender thread only */
	CURL *curl;
	struct sink_spool *spool;
	bool table_ready;
	struct ch_desc desc; /* the table's columns; n == 0 until described */
	struct ch_retype rt;
	struct libdeflate_compressor *gz_send;
	struct sink_buf moved; /* a batch re-encoded for the table */
	unsigned backoff_ms;
	char last_error[256];
};

#define CH(s) ((struct ch_sink *)(s))

/* ------------------------------------------------------------ encoding */

/* ClickHouse column names: [A-Za-z0-9_], not starting with a digit. */
static void put_ident(struct sink_buf *b, const char *name)
{
	if (*name >= '0' && *name <= '9')
		sink_buf__put(b, "_", 1);
	for (; *name; name++) {
		char c = *name;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		sink_buf__put(b, ok ? &c : "_", 1);
	}
}

/* `db`.`table` or `table`, each part an identifier. */
static void put_table(struct sink_buf *b, const char *table)
{
	const char *dot = strchr(table, '.');
	char part[128];

	if (dot) {
		snprintf(part, sizeof(part), "%.*s", (int)(dot - table), table);
		sink_buf__put(b, "`", 1);
		put_ident(b, part);
		sink_buf__put(b, "`.", 2);
		table = dot + 1;
	}
	sink_buf__put(b, "`", 1);
	put_ident(b, table);
	sink_buf__put(b, "`", 1);
}

/* Row encoding writes through a cursor into room reserved once per row:
 * a record's 20-odd fields would otherwise each check and grow the buffer. */
static uint8_t *rb_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + 8;
}

/* A RowBinary String: LEB128 length, then the bytes. */
static uint8_t *rb_str(uint8_t *p, const char *s, size_t len)
{
	size_t n = len;

	do {
		*p++ = (uint8_t)((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
		n >>= 7;
	} while (n);
	memcpy(p, s, len);
	return p + len;
}

#define RB_LEB_MAX 10

static void put_le64(struct sink_buf *b, uint64_t v)
{
	if (sink_buf__reserve(b, 8))
		b->len = (size_t)(rb_le64((uint8_t *)b->data + b->len, v) - (uint8_t *)b->data);
}

static void put_rb_str(struct sink_buf *b, const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (sink_buf__reserve(b, len + RB_LEB_MAX))
		b->len = (size_t)(rb_str((uint8_t *)b->data + b->len, s, len) - (uint8_t *)b->data);
}

/* Room for n more bytes at *p, which follows the buffer if it moves. */
static bool rb_room(struct sink_buf *b, uint8_t **p, size_t n)
{
	size_t used = (size_t)(*p - (uint8_t *)b->data);

	if (used + n <= b->cap)
		return true;
	b->len = used;
	if (!sink_buf__reserve(b, n))
		return false;
	*p = (uint8_t *)b->data + used;
	return true;
}

/* The field's value in column type t; NULL when it does not fit there. */
static uint8_t *rb_value(uint8_t *p, const struct wbpf_field *f, size_t len, enum ch_type t)
{
	uint64_t bits;

	switch (f->kind) {
	case WBPF_FIELD_STR: return rb_str(p, f->s, len);
	case WBPF_FIELD_I64:
		bits = (uint64_t)f->i;
		return ch_type__fits(t, bits, f->i < 0) ? ch_type__put_int(p, t, bits) : NULL;
	case WBPF_FIELD_U64: return ch_type__fits(t, f->u, false) ? ch_type__put_int(p, t, f->u) : NULL;
	case WBPF_FIELD_F64:
		memcpy(&bits, &f->f, sizeof(bits));
		return rb_le64(p, bits);
	case WBPF_FIELD_BOOL: return ch_type__put_int(p, t, f->b);
	}
	return p;
}

/* The sink's own columns and their types, before the fields'. */
#define CH_OWN_COLUMNS "wbpf_node, wbpf_host, wbpf_run, wbpf_seq, wbpf_time_ms"
static const enum ch_type own_types[] = { CH_STRING, CH_STRING, CH_UINT64, CH_UINT64, CH_UINT64 };
#define CH_NOWN (sizeof(own_types) / sizeof(own_types[0]))

/* The INSERT for this schema, made once: columns in the rows' order, in
 * the types the fields ask for. */
static int make_insert(struct ch_sink *ch)
{
	const struct sink_schema *s = &ch->base.schema;

	ch->ncols = CH_NOWN + s->n;
	ch->enc = calloc(ch->ncols, sizeof(*ch->enc));
	ch->enc_next = calloc(ch->ncols, sizeof(*ch->enc_next));
	if (!ch->enc || !ch->enc_next)
		return -ENOMEM;
	memcpy(ch->enc, own_types, sizeof(own_types));
	sink_buf__puts(&ch->insert_sql, "INSERT INTO ");
	put_table(&ch->insert_sql, ch->table);
	sink_buf__puts(&ch->insert_sql, " (" CH_OWN_COLUMNS);
	for (size_t i = 0; i < s->n; i++) {
		sink_buf__puts(&ch->insert_sql, ", `");
		put_ident(&ch->insert_sql, s->names[i]);
		sink_buf__puts(&ch->insert_sql, "`");
		ch->enc[CH_NOWN + i] = ch_type__of(s->kinds[i], s->sizes[i]);
	}
	sink_buf__puts(&ch->insert_sql, ") FORMAT RowBinary");
	return ch->insert_sql.failed ? -ENOMEM : 0;
}

/* One pass: the room every field needs but a string's bytes (a number, or
 * a string's length) is made once; a string grows the buffer only when it
 * does not fit in what is left. */
static int encode_row(struct ch_sink *ch, struct sink_buf *b, const struct wbpf_record *rec)
{
	size_t start = b->len, fixed = rec->n_fields * RB_LEB_MAX;
	struct timespec now;
	uint8_t *p;

	if (!sink_buf__reserve(b, ch->prefix.len + 16 + fixed))
		return -ENOMEM;
	clock_gettime(CLOCK_REALTIME_COARSE, &now);
	p = (uint8_t *)b->data + b->len;
	memcpy(p, ch->prefix.data, ch->prefix.len);
	p = rb_le64(p + ch->prefix.len, ch->seq);
	p = rb_le64(p, (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000);
	for (size_t i = 0; i < rec->n_fields; i++) {
		const struct wbpf_field *f = &rec->fields[i];
		size_t len = f->kind == WBPF_FIELD_STR && f->s ? strlen(f->s) : 0;

		if (len && !rb_room(b, &p, len + fixed)) {
			b->len = start;
			return -ENOMEM;
		}
		if (!(p = rb_value(p, f, len, ch->enc[CH_NOWN + i]))) {
			ch->narrow_field = i;
			b->len = start;
			return -ERANGE;
		}
	}
	b->len = (size_t)(p - (uint8_t *)b->data);
	ch->seq++;
	return 0;
}

static void create_table_sql(struct ch_sink *ch, struct sink_buf *b)
{
	const struct sink_schema *s = &ch->base.schema;

	sink_buf__puts(b, "CREATE TABLE IF NOT EXISTS ");
	put_table(b, ch->table);
	sink_buf__puts(b, " (wbpf_node String, wbpf_host String, wbpf_run UInt64, wbpf_seq UInt64, "
			  "wbpf_time_ms UInt64");
	for (size_t i = 0; i < s->n; i++) {
		sink_buf__puts(b, ", `");
		put_ident(b, s->names[i]);
		sink_buf__printf(b, "` %s", ch_type__name(ch_type__of(s->kinds[i], s->sizes[i])));
	}
	sink_buf__puts(b, ") ENGINE = ReplacingMergeTree ORDER BY (wbpf_node, wbpf_run, wbpf_seq)");
}

/* The staged rows, as one more gzip member of the open batch. */
static int compress_stage(struct ch_sink *ch)
{
	struct sink_buf *out = &ch->open.payload;
	size_t bound = libdeflate_gzip_compress_bound(ch->gz, ch->stage.len), n;

	if (!ch->stage.len)
		return 0;
	if (!sink_buf__reserve(out, bound))
		return -ENOMEM;
	n = libdeflate_gzip_compress(ch->gz, ch->stage.data, ch->stage.len, out->data + out->len,
				     bound);
	out->len += n;
	ch->stage.len = 0;
	return n ? 0 : -ENOMEM;
}

/* The open batch's first row: its payload starts with its types and the
 * INSERT; types the sender learnt from the table take effect here. */
static int batch_begin(struct ch_sink *ch)
{
	struct sink_buf *b = &ch->open.payload;

	if (ch->enc_next_ready)
		memcpy(ch->enc, ch->enc_next, ch->ncols * sizeof(*ch->enc));
	ch->enc_next_ready = false;
	b->len = 0;
	sink_buf__puts(b, "TYPES ");
	for (size_t i = 0; i < ch->ncols; i++)
		sink_buf__printf(b, "%s%s", i ? "," : "", ch_type__name(ch->enc[i]));
	sink_buf__put(b, "\n", 1);
	sink_buf__put(&ch->open.payload, ch->insert_sql.data, ch->insert_sql.len);
	sink_buf__put(&ch->open.payload, "\n", 1);
	return ch->open.payload.failed ? -ENOMEM : 0;
}

/* ------------------------------------------------------------ delivery */

static size_t collect_answer(char *data, size_t size, size_t n, void *user)
{
	struct sink_buf *answer = user;

	if (answer->len < (1u << 20))
		sink_buf__put(answer, data, size * n);
	return size * n;
}

/* POSTs `query` with `body` (gzip when `gz`); 0 on HTTP 200. The answer
 * goes to `out` when given. */
static int post_answer(struct ch_sink *ch, const char *query, const void *body, size_t len,
		       bool gz, struct sink_buf *out)
{
	struct curl_slist *headers = NULL;
	struct sink_buf url = { 0 }, answer = { 0 };
	char *q = curl_easy_escape(ch->curl, query, 0);
	long code = 0;
	CURLcode rc;

	sink_buf__printf(&url, "%s%squery=%s", ch->url, strchr(ch->url, '?') ? "&" : "?", q);
	sink_buf__put(&url, "", 1);
	curl_free(q);
	if (gz)
		headers = curl_slist_append(headers, "Content-Encoding: gzip");
	curl_easy_setopt(ch->curl, CURLOPT_URL, url.failed ? "" : url.data);
	curl_easy_setopt(ch->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(ch->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(ch->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(ch->curl, CURLOPT_WRITEFUNCTION, collect_answer);
	curl_easy_setopt(ch->curl, CURLOPT_WRITEDATA, &answer);
	rc = curl_easy_perform(ch->curl);
	curl_slist_free_all(headers);
	if (rc == CURLE_OK)
		curl_easy_getinfo(ch->curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK)
		snprintf(ch->last_error, sizeof(ch->last_error), "%s", curl_easy_strerror(rc));
	else if (code != 200)
		snprintf(ch->last_error, sizeof(ch->last_error), "HTTP %ld: %.*s", code,
			 (int)(answer.len > 200 ? 200 : answer.len), answer.data ? answer.data : "");
	sink_buf__free(&url);
	if (out)
		*out = answer;
	else
		sink_buf__free(&answer);
	return rc == CURLE_OK && code == 200 ? 0 : -EIO;
}

static int post(struct ch_sink *ch, const char *query, const void *body, size_t len, bool gz)
{
	return post_answer(ch, query, body, len, gz, NULL);
}

/* Without this run's schema (replaying an earlier run's spool before the
 * first record) the table can only be used, not created. */
static int ensure_table(struct ch_sink *ch)
{
	struct sink_buf sql = { 0 };
	int err;

	if (ch->table_ready || !ch->schema_known)
		return 0;
	create_table_sql(ch, &sql);
	sink_buf__put(&sql, "", 1);
	err = sql.failed ? -ENOMEM : post(ch, sql.data, "", 0, false);
	sink_buf__free(&sql);
	ch->table_ready = !err;
	return err;
}

/* The table's columns, asked once (again after a failed insert: the
 * table may have been made anew). */
static int describe(struct ch_sink *ch)
{
	struct sink_buf sql = { 0 }, answer = { 0 };
	int err;

	if (ch->desc.n)
		return 0;
	sink_buf__puts(&sql, "DESCRIBE TABLE ");
	put_table(&sql, ch->table);
	sink_buf__puts(&sql, " FORMAT TabSeparated");
	sink_buf__put(&sql, "", 1);
	err = sql.failed ? -ENOMEM : post_answer(ch, sql.data, "", 0, false, &answer);
	if (!err && (answer.failed || ch_desc__parse(&ch->desc, answer.data, answer.len) ||
		     !ch->desc.n)) {
		snprintf(ch->last_error, sizeof(ch->last_error), "DESCRIBE TABLE: unexpected answer");
		ch_desc__free(&ch->desc);
		err = -EIO;
	}
	sink_buf__free(&sql);
	sink_buf__free(&answer);
	return err;
}

/* This run's rows go to a table whose integer columns differ from the
 * fields' own sizes: from the next batch on they are encoded in the
 * table's types. */
static void adopt_table_types(struct ch_sink *ch, const struct ch_payload *pl)
{
	bool ok = true;

	pthread_mutex_lock(&ch->lock);
	ok = ch->ncols == ch->rt.n && pl->query_len == ch->insert_sql.len &&
	     !memcmp(pl->query, ch->insert_sql.data, pl->query_len) && !ch->enc_next_ready;
	/* The own columns' bytes are made once (prefix); the fields' types
	 * passed ch_payload__columns: only integers differ. */
	for (size_t i = 0; ok && i < CH_NOWN; i++)
		ok = ch->rt.from[i] == ch->rt.to[i];
	if (ok && memcmp(ch->enc, ch->rt.to, ch->ncols * sizeof(*ch->enc))) {
		memcpy(ch->enc_next, ch->rt.to, ch->ncols * sizeof(*ch->enc_next));
		ch->enc_next_ready = true;
		fprintf(stderr, "wbpf: clickhouse: table %s has its own integer column types; "
				"rows are encoded in them\n", ch->table);
	}
	pthread_mutex_unlock(&ch->lock);
}

/* -EINVAL (last_error says why) for a batch the table cannot take. */
static int insert(struct ch_sink *ch, const char *payload, size_t len)
{
	struct ch_payload pl;
	const void *body;
	size_t body_len;
	char *query;
	int err = ensure_table(ch);

	if (!err)
		err = describe(ch);
	if (err)
		return err;
	if (ch_payload__split(payload, len, &pl)) {
		snprintf(ch->last_error, sizeof(ch->last_error), "not a batch of rows");
		return -EINVAL;
	}
	err = ch_payload__columns(&pl, &ch->desc, &ch->rt, ch->last_error, sizeof(ch->last_error));
	if (err)
		return -EINVAL;
	body = pl.body;
	body_len = pl.body_len;
	if (!ch->rt.same) {
		adopt_table_types(ch, &pl);
		ch->moved.len = 0;
		if (ch_payload__retype(&pl, &ch->rt, ch->gz_send, &ch->moved, ch->last_error,
				       sizeof(ch->last_error)))
			return -EINVAL;
		body = ch->moved.data;
		body_len = ch->moved.len;
	}
	query = strndup(pl.query, pl.query_len);
	err = query ? post(ch, query, body, body_len, true) : -ENOMEM;
	free(query);
	if (err)
		ch_desc__free(&ch->desc);
	return err;
}

/* A batch that can never be delivered: dropped, counted, said why. */
static void reject(struct ch_sink *ch, uint64_t rows, const char *why)
{
	fprintf(stderr, "wbpf: clickhouse: a batch of %" PRIu64 " records cannot go into %s (%s); dropped\n",
		rows, ch->table, why);
	sink__count(&ch->base.dropped, ch->base.m_dropped, rows);
}

static void delivered(struct ch_sink *ch, uint64_t rows)
{
	sink__count(&ch->base.out, ch->base.m_out, rows);
	ch->backoff_ms = 0;
}

static void failed(struct ch_sink *ch)
{
	sink__count(&ch->base.failed, ch->base.m_failed, 1);
	ch->backoff_ms = ch->backoff_ms ? ch->backoff_ms * 2 : CH_BACKOFF_MIN_MS;
	if (ch->backoff_ms > CH_BACKOFF_MAX_MS)
		ch->backoff_ms = CH_BACKOFF_MAX_MS;
}

static void update_spool_gauge(struct ch_sink *ch)
{
	ch->base.spool_bytes = sink_spool__bytes(ch->spool);
	if (ch->base.m_spool_bytes)
		wbpf_metric__set(ch->base.m_spool_bytes, (double)ch->base.spool_bytes);
}

/* Oldest first; stops at the first failure. true when the spool is empty. */
static bool replay_spool(struct ch_sink *ch)
{
	while (!sink_spool__empty(ch->spool)) {
		uint64_t rows = 0;
		size_t len;
		void *data;
		int err = sink_spool__peek(ch->spool, &data, &len, &rows);
		bool readable = !err;

		if (readable) {
			err = insert(ch, data, len);
			free(data);
		}
		if (readable && err && err != -EINVAL) { /* the store's failure */
			failed(ch);
			return false;
		}
		if (err) { /* unreadable, or not for this table: never deliverable */
			reject(ch, rows, readable ? ch->last_error : strerror(-err));
			sink_spool__pop(ch->spool);
			continue;
		}
		sink_spool__pop(ch->spool);
		delivered(ch, rows);
	}
	update_spool_gauge(ch);
	return true;
}

static void spool_batch(struct ch_sink *ch, const struct sink_buf *gz, uint64_t rows)
{
	int64_t dropped = sink_spool__push(ch->spool, gz->data, gz->len, rows);

	if (dropped < 0) {
		fprintf(stderr, "wbpf: clickhouse spool: cannot store %" PRIu64 " records (%s); dropped\n",
			rows, strerror((int)-dropped));
		dropped = (int64_t)rows;
	} else {
		sink__count(&ch->base.spooled, ch->base.m_spooled, rows);
	}
	if (dropped)
		sink__count(&ch->base.dropped, ch->base.m_dropped, (uint64_t)dropped);
	update_spool_gauge(ch);
}

static void deliver(struct ch_sink *ch, struct ch_batch *b)
{
	bool was_failing = ch->backoff_ms != 0;

	if (replay_spool(ch)) {
		int err = insert(ch, b->payload.data, b->payload.len);

		if (!err || err == -EINVAL) {
			if (err)
				reject(ch, b->n, ch->last_error);
			else
				delivered(ch, b->n);
			return;
		}
		failed(ch);
	}
	if (!was_failing)
		fprintf(stderr, "wbpf: clickhouse %s unreachable or refusing (%s); spooling\n",
			ch->url, ch->last_error);
	spool_batch(ch, &b->payload, b->n);
}

/* ------------------------------------------------------------ threads */

static uint64_t ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - t->tv_sec) * 1000 +
	       (uint64_t)((now.tv_nsec - t->tv_nsec) / 1000000);
}

/* The open batch is lost to memory exhaustion; the count says so. */
static void drop_open(struct ch_sink *ch, uint64_t n)
{
	fprintf(stderr, "wbpf: clickhouse: out of memory for a batch of %" PRIu64
			" records; dropped\n", n);
	sink__count(&ch->base.dropped, ch->base.m_dropped, n);
	sink_buf__free(&ch->open.payload);
	ch->stage.len = 0;
	ch->open.n = 0;
}

/* A record with a value its column (the table's, narrower than the
 * field) cannot hold: dropped and counted, said once. */
static void drop_narrow(struct ch_sink *ch, const struct wbpf_record *rec)
{
	size_t i = ch->narrow_field;

	if (!ch->narrow_said)
		fprintf(stderr, "wbpf: clickhouse: a value of '%s' does not fit %s's %s column; "
				"such records are dropped\n", rec->fields[i].name, ch->table,
			ch_type__name(ch->enc[CH_NOWN + i]));
	ch->narrow_said = true;
	sink__count(&ch->base.dropped, ch->base.m_dropped, 1);
}

/* Ends the open batch's stream and moves it to the queue (lock held).
 * When the sender is a whole queue behind, the batch waits for it: memory
 * stays bounded and the sender spools quickly while the store is down. */
static void seal(struct ch_sink *ch)
{
	if (!ch->open.n)
		return;
	if (compress_stage(ch) || ch->open.payload.failed) {
		drop_open(ch, ch->open.n);
		return;
	}
	while (ch->queued == CH_QUEUE_MAX)
		pthread_cond_wait(&ch->idle, &ch->lock);
	ch->queue[ch->queued++] = ch->open;
	memset(&ch->open, 0, sizeof(ch->open));
	if (ch->nspares)
		ch->open.payload = ch->spares[--ch->nspares];
	pthread_cond_signal(&ch->wake);
}

static void wait_for_work(struct ch_sink *ch)
{
	struct timespec until;
	unsigned ms = ch->backoff_ms ? ch->backoff_ms : ch->flush_ms;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&ch->wake, &ch->lock, &until);
}

static void *sender(void *arg)
{
	struct ch_sink *ch = arg;

	pthread_mutex_lock(&ch->lock);
	for (;;) {
		if (!ch->queued && !ch->stop)
			wait_for_work(ch);
		/* The sender never waits on its own queue: it seals only into room. */
		if (ch->open.n && ch->queued < CH_QUEUE_MAX &&
		    (ms_since(&ch->opened) >= ch->flush_ms || ch->stop))
			seal(ch);
		if (!ch->queued) {
			if (ch->stop)
				break;
			if (!sink_spool__empty(ch->spool)) { /* the store may be back */
				ch->busy = true;
				pthread_mutex_unlock(&ch->lock);
				replay_spool(ch);
				pthread_mutex_lock(&ch->lock);
				ch->busy = false;
			}
			pthread_cond_broadcast(&ch->idle);
			continue;
		}
		struct ch_batch b = ch->queue[0];

		memmove(ch->queue, ch->queue + 1, --ch->queued * sizeof(b));
		ch->busy = true;
		pthread_mutex_unlock(&ch->lock);
		deliver(ch, &b);
		pthread_mutex_lock(&ch->lock);
		b.payload.len = 0;
		if (ch->nspares < CH_QUEUE_MAX + 1 && !b.payload.failed)
			ch->spares[ch->nspares++] = b.payload;
		else
			sink_buf__free(&b.payload);
		ch->busy = false;
		pthread_cond_broadcast(&ch->idle);
	}
	pthread_mutex_unlock(&ch->lock);
	return NULL;
}

static int ch_write(struct wbpf_sink *sink, const struct wbpf_record *rec)
{
	struct ch_sink *ch = CH(sink);
	int err = 0;

	ch->schema_known = true;
	pthread_mutex_lock(&ch->lock);
	if (!ch->insert_sql.len)
		err = make_insert(ch);
	if (!err && !ch->open.n) {
		clock_gettime(CLOCK_MONOTONIC, &ch->opened);
		err = batch_begin(ch);
	}
	if (!err)
		err = encode_row(ch, &ch->stage, rec);
	if (err == -ERANGE) { /* the table's column is narrower than this value */
		drop_narrow(ch, rec);
		pthread_mutex_unlock(&ch->lock);
		return 0;
	}
	if (!err && ch->stage.len >= CH_STAGE_BYTES)
		err = compress_stage(ch);
	if (err) {
		drop_open(ch, ch->open.n + 1);
		err = -ENOMEM;
	} else if (++ch->open.n >= ch->batch_rows) {
		seal(ch);
	}
	pthread_mutex_unlock(&ch->lock);
	return err;
}

/* Everything written so far is delivered or spooled when this returns. */
static int ch_flush(struct wbpf_sink *sink)
{
	struct ch_sink *ch = CH(sink);

	pthread_mutex_lock(&ch->lock);
	seal(ch);
	while (ch->queued || ch->busy)
		pthread_cond_wait(&ch->idle, &ch->lock);
	pthread_mutex_unlock(&ch->lock);
	return 0;
}

static void ch_release(struct ch_sink *ch)
{
	if (ch->curl)
		curl_easy_cleanup(ch->curl);
	sink_spool__free(ch->spool);
	sink_buf__free(&ch->open.payload);
	sink_buf__free(&ch->stage);
	while (ch->nspares)
		sink_buf__free(&ch->spares[--ch->nspares]);
	libdeflate_free_compressor(ch->gz);
	libdeflate_free_compressor(ch->gz_send);
	ch_desc__free(&ch->desc);
	sink_buf__free(&ch->moved);
	free(ch->enc);
	free(ch->enc_next);
	sink_buf__free(&ch->prefix);
	sink_buf__free(&ch->insert_sql);
	free(ch->url);
	free(ch->table);
	free(ch->node);
	free(ch->spool_dir);
}

static void ch_close(struct wbpf_sink *sink)
{
	struct ch_sink *ch = CH(sink);

	pthread_mutex_lock(&ch->lock);
	ch->stop = true;
	pthread_cond_broadcast(&ch->wake);
	pthread_mutex_unlock(&ch->lock);
	pthread_join(ch->thread, NULL);
	pthread_mutex_destroy(&ch->lock);
	pthread_cond_destroy(&ch->wake);
	pthread_cond_destroy(&ch->idle);
	ch_release(ch);
}

static const struct sink_ops ch_ops = { ch_write, ch_flush, ch_close };

/* ------------------------------------------------------------ options */

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

static int set_uint(uint64_t *dst, const char *v, uint64_t max)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v || *end || !n || n > max)
		return -EINVAL;
	*dst = n;
	return 0;
}

static int parse_option(struct ch_sink *ch, const char *key, const char *v)
{
	uint64_t n = 0;
	int err;

	if (!strcmp(key, "table"))
		return set_str(&ch->table, v);
	if (!strcmp(key, "node"))
		return set_str(&ch->node, v);
	if (!strcmp(key, "spool"))
		return set_str(&ch->spool_dir, v);
	if (!strcmp(key, "spool_max"))
		return set_uint(&ch->spool_max, v, UINT64_MAX);
	if (!strcmp(key, "batch")) {
		err = set_uint(&n, v, 1000000);
		ch->batch_rows = (unsigned)n;
	} else if (!strcmp(key, "flush_ms")) {
		err = set_uint(&n, v, 3600000);
		ch->flush_ms = (unsigned)n;
	} else if (!strcmp(key, "timeout_ms")) {
		err = set_uint(&n, v, 3600000);
		ch->timeout_ms = (unsigned)n;
	} else {
		err = -ENOENT;
	}
	return err;
}

/* "URL[,key=value]..." */
static int parse_options(struct ch_sink *ch, const char *arg, char *err, size_t err_size)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int rc = copy ? 0 : -ENOMEM;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && !rc;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (!ch->url && !eq) {
			rc = set_str(&ch->url, tok);
			continue;
		}
		if (eq)
			*eq = '\0';
		rc = eq ? parse_option(ch, tok, eq + 1) : -EINVAL;
		if (rc == -ENOENT || rc == -EINVAL)
			snprintf(err, err_size, "clickhouse output: %s option '%s'",
				 rc == -ENOENT ? "unknown" : "bad value for", tok);
	}
	free(copy);
	if (!rc && !ch->url) {
		snprintf(err, err_size, "clickhouse output: no URL (clickhouse=http://HOST:8123/,...)");
		rc = -EINVAL;
	}
	return rc;
}

static void node_identity(struct ch_sink *ch)
{
	char id[64] = "";
	FILE *f;

	if (gethostname(ch->host, sizeof(ch->host) - 1))
		snprintf(ch->host, sizeof(ch->host), "unknown");
	if (!ch->node && (f = fopen("/etc/machine-id", "re"))) {
		if (fgets(id, sizeof(id), f))
			id[strcspn(id, "\n")] = '\0';
		fclose(f);
	}
	if (!ch->node)
		ch->node = strdup(id[0] ? id : ch->host);
	if (getrandom(&ch->run_id, sizeof(ch->run_id), 0) != sizeof(ch->run_id))
		ch->run_id = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	put_rb_str(&ch->prefix, ch->node ? ch->node : "");
	put_rb_str(&ch->prefix, ch->host);
	put_le64(&ch->prefix, ch->run_id);
}

static int default_names(struct ch_sink *ch, const char *producer)
{
	struct sink_buf b = { 0 };
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int err = 0;

	if (!ch->table) {
		sink_buf__printf(&b, "wbpf_%s", producer);
		sink_buf__put(&b, "", 1);
		err = b.failed ? -ENOMEM : set_str(&ch->table, b.data);
		b.len = 0;
	}
	if (!err && !ch->spool_dir) {
		if (getuid() == 0)
			sink_buf__puts(&b, "/var/lib/wbpf/spool");
		else if (state && state[0])
			sink_buf__printf(&b, "%s/wbpf-spool", state);
		else
			sink_buf__printf(&b, "%s/.local/state/wbpf-spool", home ? home : "/tmp");
		sink_buf__printf(&b, "-%s", ch->table);
		sink_buf__put(&b, "", 1);
		err = b.failed ? -ENOMEM : set_str(&ch->spool_dir, b.data);
	}
	sink_buf__free(&b);
	return err;
}

struct wbpf_sink *sink_clickhouse__open(const char *arg, const char *producer, char *err,
					size_t err_size)
{
	struct ch_sink *ch = calloc(1, sizeof(*ch));

	if (!ch || !arg) {
		snprintf(err, err_size, ch ? "clickhouse output needs a URL" : "out of memory");
		free(ch);
		return NULL;
	}
	ch->base.ops = &ch_ops;
	ch->batch_rows = 10000;
	ch->flush_ms = 1000;
	ch->timeout_ms = 5000;
	ch->spool_max = 256ull << 20;
	if (parse_options(ch, arg, err, err_size) || default_names(ch, producer))
		goto fail;
	node_identity(ch);
	ch->spool = sink_spool__open(ch->spool_dir, ch->spool_max, err, err_size);
	ch->curl = curl_easy_init();
	ch->gz = libdeflate_alloc_compressor(CH_GZIP_LEVEL);
	ch->gz_send = libdeflate_alloc_compressor(CH_GZIP_LEVEL);
	if (!ch->spool || !ch->curl || !ch->node || ch->prefix.failed || !ch->gz || !ch->gz_send)
		goto fail;
	curl_easy_setopt(ch->curl, CURLOPT_TIMEOUT_MS, (long)ch->timeout_ms);
	curl_easy_setopt(ch->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)ch->timeout_ms);
	curl_easy_setopt(ch->curl, CURLOPT_NOSIGNAL, 1L);
	update_spool_gauge(ch);
	pthread_mutex_init(&ch->lock, NULL);
	pthread_cond_init(&ch->wake, NULL);
	pthread_cond_init(&ch->idle, NULL);
	if (pthread_create(&ch->thread, NULL, sender, ch)) {
		snprintf(err, err_size, "clickhouse output: cannot start its thread");
		pthread_mutex_destroy(&ch->lock);
		pthread_cond_destroy(&ch->wake);
		pthread_cond_destroy(&ch->idle);
		goto fail;
	}
	return &ch->base;
fail:
	if (!err[0])
		snprintf(err, err_size, "clickhouse output: out of memory");
	ch_release(ch);
	free(ch);
	return NULL;
}
