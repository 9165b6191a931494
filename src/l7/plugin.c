// SPDX-License-Identifier: MIT
/*
 * Loading plugins: files compiled once into modules, their ABI told by
 * their imports, their --plugin-arg list split into keys and values; and
 * the set's summary counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "l7/plugin_impl.h"

#define MAX_PLUGIN_BYTES (256u << 20)

static const struct l7_plugin_abi *const abis[] = { &l7_abi_deepflow, &l7_abi_wbpf };

static int fail(struct wbpf_error *err, enum wbpf_error_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct wbpf_error *err, enum wbpf_error_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->kind = kind;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* err->msg becomes "plugin PATH: WHAT<err->msg>". */
static int prefix(struct wbpf_error *err, const char *path, const char *what)
{
	char why[sizeof(err->msg)];

	snprintf(why, sizeof(why), "%s", err->msg);
	return fail(err, err->kind, "plugin %s: %s%.900s", path, what, why);
}

/* The whole file, or NULL with errno set. */
static void *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e = 0;
	struct stat st;
	uint8_t *buf = NULL;
	size_t n = 0;
	ssize_t got = 1;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st))
		e = errno;
	else if (!S_ISREG(st.st_mode))
		e = EISDIR;
	else if ((uint64_t)st.st_size > MAX_PLUGIN_BYTES)
		e = EFBIG;
	else if (!(buf = malloc((size_t)st.st_size + 1)))
		e = ENOMEM;
	while (!e && n < (size_t)st.st_size && got > 0)
		if ((got = read(fd, buf + n, (size_t)st.st_size - n)) > 0)
			n += (size_t)got;
	if (!e && n < (size_t)st.st_size)
		e = got < 0 ? errno : EIO;
	close(fd);
	if (e) {
		free(buf);
		errno = e;
		return NULL;
	}
	*len = n;
	return buf;
}

static const struct l7_plugin_abi *abi_of(const struct wbpf_module *mod)
{
	const struct l7_plugin_abi *found = NULL;
	struct wbpf_extern_desc d;

	for (size_t i = 0; i < wbpf_module__import_count(mod); i++) {
		if (wbpf_module__import(mod, i, &d))
			continue;
		for (size_t a = 0; a < sizeof(abis) / sizeof(abis[0]); a++)
			if (!strcmp(d.module, abis[a]->module)) {
				if (found && found != abis[a])
					return NULL;
				found = abis[a];
			}
	}
	return found;
}

static int split_args(struct l7_plugin *p, const struct l7_plugin_spec *spec,
		      struct wbpf_error *err)
{
	p->keys = calloc(spec->nargs + 1, sizeof(*p->keys));
	p->vals = calloc(spec->nargs + 1, sizeof(*p->vals));
	if (!p->keys || !p->vals)
		return fail(err, WBPF_ERR_NOMEM, "%s: out of memory", p->path);
	for (size_t i = 0; i < spec->nargs; i++) {
		const char *eq = strchr(spec->args[i], '=');

		if (!eq || eq == spec->args[i])
			return fail(err, WBPF_ERR_ARG, "--plugin-arg '%s' for %s: expected key=value",
				    spec->args[i], p->path);
		p->keys[i] = strndup(spec->args[i], (size_t)(eq - spec->args[i]));
		p->vals[i] = strdup(eq + 1);
		p->nargs = i + 1;
		if (!p->keys[i] || !p->vals[i])
			return fail(err, WBPF_ERR_NOMEM, "%s: out of memory", p->path);
	}
	return 0;
}

static int load_one(struct l7_plugin *p, const struct l7_plugin_spec *spec, struct wbpf_error *err)
{
	size_t len = 0;
	void *bytes;
	const char *slash;

	if (!(p->path = strdup(spec->path)))
		return fail(err, WBPF_ERR_NOMEM, "out of memory");
	slash = strrchr(p->path, '/');
	p->name = slash ? slash + 1 : p->path;
	if (split_args(p, spec, err))
		return -EINVAL;
	if (!(bytes = slurp(spec->path, &len)))
		return fail(err, WBPF_ERR_ARG, "plugin %s: cannot read: %s", spec->path,
			    strerror(errno));
	p->mod = wbpf_module__new(bytes, len, err);
	free(bytes);
	if (!p->mod)
		return prefix(err, spec->path, "invalid module: ");
	if (!(p->abi = abi_of(p->mod)))
		return fail(err, WBPF_ERR_LINK,
			    "plugin %s: imports neither module 'deepflow' nor 'wbpf_l7' (or both)",
			    spec->path);
	if (p->abi->check_module(p->mod, err)) {
		err->kind = WBPF_ERR_LINK;
		return prefix(err, spec->path, "");
	}
	return 0;
}

struct l7_plugins *l7_plugins__load(const struct l7_plugin_spec *specs, size_t n,
				    const struct l7_plugins_opts *opts, struct wbpf_error *err)
{
	struct l7_plugins *set = calloc(1, sizeof(*set));
	struct l7_plugins_worker *trial;

	if (!set || !(set->plugins = calloc(n ? n : 1, sizeof(*set->plugins)))) {
		free(set);
		fail(err, WBPF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (opts)
		memcpy(&set->opts, opts, opts->sz && opts->sz < sizeof(*opts) ? opts->sz : sizeof(*opts));
	if (!set->opts.hook_timeout_ns)
		set->opts.hook_timeout_ns = L7_PLUGIN_TIMEOUT_NS;
	if (!set->opts.mem_cap)
		set->opts.mem_cap = L7_PLUGIN_MEM_CAP;
	if (!set->opts.max_failures)
		set->opts.max_failures = L7_PLUGIN_MAX_FAILURES;
	if (!set->opts.max_records)
		set->opts.max_records = L7_PLUGIN_MAX_RECORDS;
	if (set->opts.max_records > L7_PLUGIN_RECORDS_LIMIT)
		set->opts.max_records = L7_PLUGIN_RECORDS_LIMIT;
	pthread_mutex_init(&set->lock, NULL);
	for (; set->n < n; set->n++) {
		set->plugins[set->n].set = set;
		if (load_one(&set->plugins[set->n], &specs[set->n], err)) {
			set->n++;
			goto out_fail;
		}
	}
	if (l7_watchdog__start(set)) {
		fail(err, WBPF_ERR_NOMEM, "cannot start the plugin watchdog thread");
		goto out_fail;
	}
	/* A plugin that cannot start is refused now, not in every worker. */
	if (!(trial = l7_plugins__instantiate(set, err)))
		goto out_fail;
	l7_plugins_worker__free(trial);
	for (size_t i = 0; i < set->n; i++)
		memset(&set->plugins[i].retired, 0, sizeof(set->plugins[i].retired));
	return set;
out_fail:
	l7_plugins__free(set);
	return NULL;
}

void l7_plugins__free(struct l7_plugins *set)
{
	if (!set)
		return;
	l7_watchdog__stop(set);
	for (size_t i = 0; i < set->n; i++) {
		struct l7_plugin *p = &set->plugins[i];

		for (size_t k = 0; k < p->nargs; k++) {
			free(p->keys[k]);
			free(p->vals[k]);
		}
		free(p->keys);
		free(p->vals);
		wbpf_module__free(p->mod);
		free(p->path);
	}
	free(set->plugins);
	free(set->insts);
	free(set->by_worker);
	pthread_mutex_destroy(&set->lock);
	free(set);
}

size_t l7_plugins__count(const struct l7_plugins *set)
{
	return set ? set->n : 0;
}

const char *l7_plugin__arg(const struct l7_plugin *p, const char *key, size_t key_len)
{
	const char *v = NULL;

	/* The last of repeated keys wins, as on most command lines. */
	for (size_t i = 0; i < p->nargs; i++)
		if (strlen(p->keys[i]) == key_len && !memcmp(p->keys[i], key, key_len))
			v = p->vals[i];
	return v;
}

static void add_counters(struct l7_plugin_stats *st, const struct l7_plugin_tally *c)
{
	uint64_t t = atomic_load(&c->timeouts), tr = atomic_load(&c->traps),
		 b = atomic_load(&c->bad);

	st->calls += atomic_load(&c->calls);
	st->timeouts += t;
	st->traps += tr;
	st->bad_results += b;
	st->failures += t + tr + b;
	st->time_ns += atomic_load(&c->time_ns);
	st->records_dropped += atomic_load(&c->dropped);
	for (unsigned h = 0; h < L7_PLUGIN_HOOKS; h++) {
		struct l7_plugin_hook_stats *hs = &st->hooks[h];

		hs->calls += atomic_load(&c->hook[h].calls);
		hs->failures += atomic_load(&c->hook[h].failures);
		hs->time_ns += atomic_load(&c->hook[h].time_ns);
		for (unsigned b = 0; b <= L7_PLUGIN_HIST; b++)
			hs->hist[b] += atomic_load(&c->hook[h].hist[b]);
	}
}

const char *l7_plugin__hook_name(unsigned i)
{
	static const char *const names[L7_PLUGIN_HOOKS] = {
		[L7_HOOK_NONE] = "load",	 [L7_HOOK_CHECK] = "check",
		[L7_HOOK_PARSE] = "parse",	 [L7_HOOK_HTTP_REQ] = "http_req",
		[L7_HOOK_HTTP_RESP] = "http_resp", [L7_HOOK_CUSTOM] = "custom",
	};

	return i < L7_PLUGIN_HOOKS ? names[i] : "?";
}

int l7_plugins__stats(const struct l7_plugins *set, size_t i, struct l7_plugin_stats *out)
{
	struct l7_plugins *s = (struct l7_plugins *)set;
	const struct l7_plugin *p;

	if (!set || i >= set->n)
		return -ENOENT;
	p = &set->plugins[i];
	memset(out, 0, sizeof(*out));
	out->name = p->name;
	out->abi = p->abi->module;
	out->disabled = atomic_load(&p->disabled);
	add_counters(out, &p->retired);
	pthread_mutex_lock(&s->lock);
	for (size_t k = 0; k < s->n_insts; k++)
		if (s->insts[k]->plugin == p)
			add_counters(out, &s->insts[k]->cnt);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* ------------------------------------------------- the pipeline's factory */

static int fac_open(void *ctx, unsigned worker, struct wbpf_l7_plugin_set *out)
{
	struct l7_plugins *set = ctx;
	struct l7_plugins_worker *w;
	struct wbpf_error err = { .msg = "" };
	int ret = 0;

	if (!(w = l7_plugins__instantiate(set, &err))) {
		fprintf(stderr, "wbpf l7: %s\n", err.msg);
		return -EINVAL;
	}
	pthread_mutex_lock(&set->lock);
	if (worker >= set->n_by_worker) {
		void *p = realloc(set->by_worker, (worker + 1) * sizeof(*set->by_worker));

		if (p) {
			set->by_worker = p;
			memset(set->by_worker + set->n_by_worker, 0,
			       (worker + 1 - set->n_by_worker) * sizeof(*set->by_worker));
			set->n_by_worker = worker + 1;
		}
	}
	if (worker < set->n_by_worker)
		set->by_worker[worker] = w;
	else
		ret = -ENOMEM;
	pthread_mutex_unlock(&set->lock);
	if (ret) {
		l7_plugins_worker__free(w);
		return ret;
	}
	*out = (struct wbpf_l7_plugin_set){ .parsers = w->parsers, .n_parsers = (unsigned)w->n_parsers,
				       .http_hooks = w->has_http ? &w->http : NULL,
				       .n_http_hooks = w->has_http ? 1 : 0 };
	return 0;
}

static void fac_close(void *ctx, unsigned worker, struct wbpf_l7_plugin_set *out)
{
	struct l7_plugins *set = ctx;
	struct l7_plugins_worker *w = NULL;

	pthread_mutex_lock(&set->lock);
	if (worker < set->n_by_worker) {
		w = set->by_worker[worker];
		set->by_worker[worker] = NULL;
	}
	pthread_mutex_unlock(&set->lock);
	l7_plugins_worker__free(w);
	memset(out, 0, sizeof(*out));
}

static int fac_stats(void *ctx, struct wbpf_l7_plugin_counters *out, unsigned max)
{
	struct l7_plugins *set = ctx;
	unsigned n = 0;

	for (; n < max && n < set->n; n++) {
		struct l7_plugin_stats st;

		l7_plugins__stats(set, n, &st);
		memset(&out[n], 0, sizeof(out[n]));
		snprintf(out[n].name, sizeof(out[n].name), "%s", st.name);
		out[n].calls = st.calls;
		out[n].failures = st.failures;
		out[n].time_ns = st.time_ns;
		out[n].records_dropped = st.records_dropped;
		out[n].disabled = st.disabled;
	}
	return (int)n;
}

const struct wbpf_l7_plugin_factory *l7_plugins__factory(struct l7_plugins *set)
{
	set->factory = (struct wbpf_l7_plugin_factory){ .open = fac_open, .close = fac_close,
						   .stats = fac_stats, .ctx = set };
	return &set->factory;
}
