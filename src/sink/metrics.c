// SPDX-License-Identifier: MIT
/*
 * The metrics registry and its text exposition (Prometheus format 0.0.4).
 *
 * Series are created under a lock and never removed, so updates need no
 * lock: values are doubles kept as bits in atomics. A histogram's buckets
 * are fixed decades from 1 us to 10 s, which covers everything wbpf times
 * (a hook call to a batch delivery).
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sink/internal.h"
#include "sink/metrics.h"

static const double bucket_bounds[METRIC_BUCKETS] = { 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10 };

static uint64_t bits_of(double v)
{
	uint64_t b;

	memcpy(&b, &v, sizeof(b));
	return b;
}

static double double_of(uint64_t b)
{
	double v;

	memcpy(&v, &b, sizeof(v));
	return v;
}

static void atomic_add_double(_Atomic uint64_t *cell, double v)
{
	uint64_t old = *cell;

	while (!atomic_compare_exchange_weak(cell, &old, bits_of(double_of(old) + v)))
		;
}

struct wbpf_metrics *wbpf_metrics__new(void)
{
	struct wbpf_metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	m->start_time = (double)time(NULL);
	return m;
}

void wbpf_metrics__free(struct wbpf_metrics *m)
{
	struct wbpf_metric *s, *next;

	if (!m)
		return;
	metrics_http__stop(m);
	for (s = m->series; s; s = next) {
		next = s->next;
		free(s->name);
		free(s->labels);
		free(s->help);
		free(s);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static bool valid_name(const char *name)
{
	if (!name || !*name || (*name >= '0' && *name <= '9'))
		return false;
	for (; *name; name++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:", *name))
			return false;
	return true;
}

static struct wbpf_metric *find(struct wbpf_metrics *m, const char *name, const char *labels)
{
	for (struct wbpf_metric *s = m->series; s; s = s->next)
		if (!strcmp(s->name, name) && !strcmp(s->labels, labels))
			return s;
	return NULL;
}

struct wbpf_metric *wbpf_metrics__get(struct wbpf_metrics *m, enum wbpf_metric_type type,
				      const char *name, const char *labels, const char *help)
{
	struct wbpf_metric *s, **tail;

	if (!valid_name(name) || (labels && strchr(labels, '\n')))
		return NULL;
	labels = labels ? labels : "";
	pthread_mutex_lock(&m->lock);
	s = find(m, name, labels);
	if (!s && (s = calloc(1, sizeof(*s)))) {
		s->type = type;
		s->name = strdup(name);
		s->labels = strdup(labels);
		s->help = strdup(help ? help : "");
		if (!s->name || !s->labels || !s->help) {
			free(s->name);
			free(s->labels);
			free(s->help);
			free(s);
			s = NULL;
		} else {
			for (tail = &m->series; *tail; tail = &(*tail)->next)
				;
			*tail = s;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return s && s->type == type ? s : NULL;
}

void wbpf_metric__add(struct wbpf_metric *s, double v)
{
	atomic_add_double(&s->value, v);
}

void wbpf_metric__set(struct wbpf_metric *s, double v)
{
	s->value = bits_of(v);
}

void wbpf_metric__observe(struct wbpf_metric *s, double seconds)
{
	for (int i = 0; i < METRIC_BUCKETS; i++)
		if (seconds <= bucket_bounds[i]) {
			s->buckets[i]++;
			break;
		}
	s->count++;
	atomic_add_double(&s->value, seconds);
}

void wbpf_metric__set_histogram(struct wbpf_metric *s,
				const uint64_t per_bucket[WBPF_METRIC_BUCKETS], uint64_t count,
				double sum_seconds)
{
	_Static_assert(WBPF_METRIC_BUCKETS == METRIC_BUCKETS, "one bucket layout");
	for (int i = 0; i < METRIC_BUCKETS; i++)
		s->buckets[i] = per_bucket[i];
	s->count = count;
	s->value = bits_of(sum_seconds);
}

/* ------------------------------------------------------------ rendering */

static const char *type_name(enum wbpf_metric_type t)
{
	return t == WBPF_METRIC_COUNTER ? "counter" : t == WBPF_METRIC_GAUGE ? "gauge" : "histogram";
}

/* name{labels[,extra]} value */
static void put_sample(struct sink_buf *b, const char *name, const char *suffix,
		       const char *labels, const char *extra, double v)
{
	bool any = labels[0] || extra;

	sink_buf__printf(b, "%s%s%s%s%s%s%s %.17g\n", name, suffix, any ? "{" : "", labels,
			 labels[0] && extra ? "," : "", extra ? extra : "", any ? "}" : "", v);
}

static void put_histogram(struct sink_buf *b, const struct wbpf_metric *s)
{
	uint64_t cumulative = 0;
	char le[32];

	for (int i = 0; i < METRIC_BUCKETS; i++) {
		cumulative += s->buckets[i];
		snprintf(le, sizeof(le), "le=\"%g\"", bucket_bounds[i]);
		put_sample(b, s->name, "_bucket", s->labels, le, (double)cumulative);
	}
	put_sample(b, s->name, "_bucket", s->labels, "le=\"+Inf\"", (double)s->count);
	put_sample(b, s->name, "_sum", s->labels, NULL, double_of(s->value));
	put_sample(b, s->name, "_count", s->labels, NULL, (double)s->count);
}

/* Families in order of first appearance, each with all its series. */
static void put_registry(struct sink_buf *b, struct wbpf_metrics *m)
{
	for (struct wbpf_metric *f = m->series; f; f = f->next) {
		bool first = true;

		for (struct wbpf_metric *p = m->series; p != f && first; p = p->next)
			first = strcmp(p->name, f->name) != 0;
		if (!first)
			continue;
		sink_buf__printf(b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
				 type_name(f->type));
		for (struct wbpf_metric *s = f; s; s = s->next) {
			if (strcmp(s->name, f->name))
				continue;
			if (s->type == WBPF_METRIC_HISTOGRAM)
				put_histogram(b, s);
			else
				put_sample(b, s->name, "", s->labels, NULL, double_of(s->value));
		}
	}
}

static unsigned open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	if (!d)
		return 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n > 3 ? n - 3 : 0; /* ".", ".." and the one opendir holds */
}

static void put_process(struct sink_buf *b, const struct wbpf_metrics *m)
{
	long pages = 0, resident = 0;
	struct rusage ru;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	getrusage(RUSAGE_SELF, &ru);
	sink_buf__printf(b,
			 "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
			 "# TYPE process_resident_memory_bytes gauge\n"
			 "process_resident_memory_bytes %ld\n"
			 "# HELP process_cpu_seconds_total User and system CPU time spent.\n"
			 "# TYPE process_cpu_seconds_total counter\n"
			 "process_cpu_seconds_total %.6f\n"
			 "# HELP process_open_fds Open file descriptors.\n"
			 "# TYPE process_open_fds gauge\n"
			 "process_open_fds %u\n"
			 "# HELP process_start_time_seconds Start time since the epoch.\n"
			 "# TYPE process_start_time_seconds gauge\n"
			 "process_start_time_seconds %.0f\n",
			 resident * sysconf(_SC_PAGESIZE),
			 (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
				 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
			 open_fds(), m->start_time);
}

int wbpf_metrics__on_collect(struct wbpf_metrics *m, void (*fn)(void *ctx, struct wbpf_metrics *m),
			     void *ctx)
{
	int err = 0;

	pthread_mutex_lock(&m->lock);
	if (m->n_collectors == METRIC_COLLECTORS) {
		err = -ENOSPC;
	} else {
		m->collectors[m->n_collectors].fn = fn;
		m->collectors[m->n_collectors++].ctx = ctx;
	}
	pthread_mutex_unlock(&m->lock);
	return err;
}

/* Collectors run unlocked: they create and update series themselves. */
static void collect(struct wbpf_metrics *m)
{
	unsigned n;

	pthread_mutex_lock(&m->lock);
	n = m->n_collectors;
	pthread_mutex_unlock(&m->lock);
	for (unsigned i = 0; i < n; i++)
		m->collectors[i].fn(m->collectors[i].ctx, m);
}

char *wbpf_metrics__render(struct wbpf_metrics *m)
{
	struct sink_buf b = { 0 };

	collect(m);
	pthread_mutex_lock(&m->lock);
	put_registry(&b, m);
	pthread_mutex_unlock(&m->lock);
	put_process(&b, m);
	sink_buf__put(&b, "", 1);
	if (b.failed) {
		sink_buf__free(&b);
		return NULL;
	}
	return b.data;
}
