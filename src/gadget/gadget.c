// SPDX-License-Identifier: MIT
/*
 * A gadget: its directory read, its BPF object opened on an eBPF host
 * (src/bpf), its datasources found from BTF, then loaded, attached and
 * polled; each record read from a ring or perf buffer is emitted to the
 * datasource's subscribers.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gadget/internal.h"

/* Bigger files are not gadgets. */
#define GADGET_MAX_FILE (64u << 20)

int gerr(struct wbpf_gadget *g, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->err, sizeof(g->err), fmt, ap);
	va_end(ap);
	return err;
}

void gwarn(const char *fmt, ...)
{
	va_list ap;

	fputs("wbpf gadget: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf = NULL;
	size_t n = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > GADGET_MAX_FILE) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EFBIG;
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf && n < (size_t)st.st_size) {
		ssize_t got = read(fd, buf + n, (size_t)st.st_size - n);

		if (got <= 0 && !(got < 0 && errno == EINTR))
			break;
		n += got > 0 ? (size_t)got : 0;
	}
	close(fd);
	if (buf && n != (size_t)st.st_size) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

/* DIR/program.bpf.o, or the one *.bpf.o in DIR. */
static char *find_object(struct wbpf_gadget *g)
{
	char *path = NULL, *found = NULL;
	struct dirent *e;
	DIR *d;
	int nfound = 0;

	if (asprintf(&path, "%s/program.bpf.o", g->dir) < 0)
		return NULL;
	if (!access(path, R_OK) || !(d = opendir(g->dir)))
		return path;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n > 6 && !strcmp(e->d_name + n - 6, ".bpf.o") && nfound++ == 0)
			if (asprintf(&found, "%s/%s", g->dir, e->d_name) < 0)
				found = NULL;
	}
	closedir(d);
	if (nfound == 1) {
		free(path);
		return found;
	}
	free(found);
	if (nfound > 1)
		gerr(g, -EINVAL, "%s: %d *.bpf.o files and no program.bpf.o", g->dir, nfound);
	return path;
}

static int read_meta(struct wbpf_gadget *g)
{
	char *path, *text, msg[sizeof(g->err) - 64];
	const char *v;
	size_t len;
	int err;

	if (g->opts.yaml_path)
		path = strdup(g->opts.yaml_path);
	else if (asprintf(&path, "%s/gadget.yaml", g->dir) < 0)
		path = NULL;
	if (!path)
		return -ENOMEM;
	text = slurp(path, &len);
	if (!text) {
		err = gerr(g, -errno, "%s: %s", path, strerror(errno));
		free(path);
		return err;
	}
	free(path);
	err = gmeta_parse(&g->meta, text, len, msg, sizeof(msg));
	free(text);
	if (!err)
		err = gmeta_check(&g->meta, msg, sizeof(msg));
	if (err)
		return gerr(g, err, "%s%s%s", g->opts.yaml_path ? "" : g->dir,
			    g->opts.yaml_path ? "" : "/", msg);
	g->name = strdup(gkvs_get(&g->meta.all, "name"));
	v = gkvs_get(&g->meta.all, "description");
	g->description = strdup(v ? v : "");
	return g->name && g->description ? 0 : -ENOMEM;
}

static int open_object(struct wbpf_gadget *g)
{
	char *path = g->opts.bpf_path ? strdup(g->opts.bpf_path) : find_object(g);
	int err;

	if (!path)
		return -ENOMEM;
	if (g->err[0]) {
		free(path);
		return -EINVAL;
	}
	g->elf = slurp(path, &g->elf_size);
	if (!g->elf) {
		err = gerr(g, -errno, "%s: %s", path, strerror(errno));
		free(path);
		return err;
	}
	g->host = wbpf_bpf_host__new(NULL);
	if (!g->host) {
		free(path);
		return -ENOMEM;
	}
	/* The gadget's BPF code is trusted as the command line's own: every
	 * kind may attach (operators never get this host). */
	for (int k = 0; k < WBPF_ATTACH__MAX; k++)
		wbpf_bpf_host__allow_attach(g->host, (enum wbpf_bpf_attach_kind)k);
	g->obj = wbpf_bpf_host__object_open(g->host, g->elf, g->elf_size, g->name);
	if (g->obj < 0) {
		err = gerr(g, g->obj, "%s: not a BPF object libbpf can open: %s", path,
			   strerror(-g->obj));
		free(path);
		return err;
	}
	g->btf = wbpf_bpf_host__object_btf(g->host, g->obj);
	err = g->btf ? 0 : gerr(g, -ENOENT, "%s: has no BTF (build with clang -g)", path);
	free(path);
	return err;
}

static int read_wasm(struct wbpf_gadget *g)
{
	char *path = NULL;

	if (g->opts.no_operator)
		return 0;
	if (g->opts.operator_path)
		path = strdup(g->opts.operator_path);
	else if (g->opts.yaml_path)
		return 0; /* parts named one by one: the operator too */
	else if (asprintf(&path, "%s/program.wasm", g->dir) < 0)
		path = NULL;
	if (!path)
		return -ENOMEM;
	g->wasm = slurp(path, &g->wasm_size);
	if (!g->wasm && (errno != ENOENT || g->opts.operator_path)) {
		int err = gerr(g, -errno, "%s: %s", path, strerror(errno));

		free(path);
		return err;
	}
	free(path);
	return 0;
}

static int setup_ds(struct wbpf_gadget *g)
{
	int err = 0;

	for (size_t i = 0; i < g->nds && !err; i++) {
		err = gformat_setup(g->ds[i]);
		if (!err)
			err = gfields_annotate(g, g->ds[i]);
	}
	return err;
}

struct wbpf_gadget *wbpf_gadget__open(const char *dir, const struct wbpf_gadget_opts *opts,
				      struct wbpf_gadget_err *err)
{
	struct wbpf_gadget *g = calloc(1, sizeof(*g));
	int ret;

	if (!g || !(g->dir = strdup(dir))) {
		free(g);
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return NULL;
	}
	if (opts)
		memcpy(&g->opts, opts, opts->sz < sizeof(g->opts) ? opts->sz : sizeof(g->opts));
	g->opts.sz = sizeof(g->opts);
	ret = read_meta(g);
	if (!ret)
		ret = open_object(g);
	if (!ret)
		ret = gparams_from_meta(g);
	if (!ret)
		ret = gbtf_scan(g, g->btf);
	if (!ret)
		ret = setup_ds(g);
	if (!ret)
		ret = read_wasm(g);
	if (ret) {
		if (!g->err[0])
			gerr(g, ret, "%s: %s", dir, strerror(-ret));
		snprintf(err->msg, sizeof(err->msg), "%s", g->err);
		wbpf_gadget__close(g);
		return NULL;
	}
	return g;
}

void wbpf_gadget__close(struct wbpf_gadget *g)
{
	if (!g)
		return;
	gop_close(g);
	wbpf_bpf_host__free(g->host);
	for (size_t i = 0; i < g->nds; i++)
		gds_free(g->ds[i]);
	free(g->ds);
	for (size_t i = 0; i < g->nparams; i++) {
		struct gparam *p = &g->params[i];

		free(p->key);
		free(p->description);
		free(p->def);
		free(p->type_hint);
		free(p->value);
		free(p->var);
	}
	free(g->params);
	free(g->timers);
	gmeta_free(&g->meta);
	gkvs_free(&g->config);
	free(g->elf);
	free(g->wasm);
	free(g->name);
	free(g->description);
	free(g->dir);
	free(g);
}

const char *wbpf_gadget__error(const struct wbpf_gadget *g)
{
	return g->err;
}

const char *wbpf_gadget__name(const struct wbpf_gadget *g)
{
	return g->name;
}

const char *wbpf_gadget__description(const struct wbpf_gadget *g)
{
	return g->description;
}

size_t wbpf_gadget__ds_count(const struct wbpf_gadget *g)
{
	return g->nds;
}

struct wbpf_gadget_ds *wbpf_gadget__ds_at(const struct wbpf_gadget *g, size_t i)
{
	return i < g->nds ? g->ds[i] : NULL;
}

struct wbpf_gadget_ds *wbpf_gadget__ds(const struct wbpf_gadget *g, const char *name)
{
	for (size_t i = 0; i < g->nds; i++)
		if (!strcmp(g->ds[i]->name, name))
			return g->ds[i];
	return NULL;
}

int wbpf_gadget__new_ds(struct wbpf_gadget *g, const char *name, enum wbpf_gadget_ds_type type,
			struct wbpf_gadget_ds **out)
{
	struct wbpf_gadget_ds *ds;
	int err;

	if (type != WBPF_DS_SINGLE && type != WBPF_DS_ARRAY)
		return -EINVAL;
	if (!(ds = gds_new(g, name, type, GDS_OPERATOR)))
		return -ENOMEM;
	*out = ds;
	err = gfields_annotate(g, ds);
	if (!err && g->output)
		err = goutput_attach(g->output, ds);
	return err;
}

size_t wbpf_gadget__program_count(const struct wbpf_gadget *g)
{
	size_t n = 0;

	while (wbpf_bpf_host__program_at(g->host, g->obj, (uint32_t)n) > 0)
		n++;
	return n;
}

int wbpf_gadget__program_at(const struct wbpf_gadget *g, size_t i, const char **name,
			    const char **section)
{
	int prog = wbpf_bpf_host__program_at(g->host, g->obj, (uint32_t)i);

	if (prog < 0)
		return prog;
	wbpf_bpf_host__program_name(g->host, prog, name);
	return wbpf_bpf_host__program_section(g->host, prog, section);
}

void wbpf_gadget__stats(const struct wbpf_gadget *g, struct wbpf_gadget_stats *out)
{
	*out = g->stats;
	for (size_t i = 0; i < g->nds; i++)
		if (g->ds[i]->buffer > 0)
			out->lost += (uint64_t)wbpf_bpf_host__buffer_lost(g->host, g->ds[i]->buffer);
}

/* ------------------------------------------------------------- running */

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int open_tracer(struct wbpf_gadget *g, struct wbpf_gadget_ds *ds, uint32_t idx)
{
	struct wbpf_bpf_map_info info;
	struct wbpf_bpf_cb cb = {.ctx = idx};

	ds->map = wbpf_bpf_host__find_map(g->host, g->obj, ds->map_name);
	if (ds->map < 0)
		return gerr(g, ds->map, "tracer %s: no map '%s' in the object", ds->name,
			    ds->map_name);
	wbpf_bpf_host__map_info(g->host, ds->map, &info);
	if (info.type != 27 /* BPF_MAP_TYPE_RINGBUF */ && info.type != 4 /* PERF_EVENT_ARRAY */)
		return gerr(g, -EINVAL, "tracer %s: map '%s' is neither a ring nor a perf buffer",
			    ds->name, ds->map_name);
	ds->buffer = wbpf_bpf_host__map_buffer(g->host, ds->map, &cb);
	if (ds->buffer < 0)
		return gerr(g, ds->buffer, "tracer %s: cannot read map '%s': %s", ds->name,
			    ds->map_name, strerror(-ds->buffer));
	if (!(ds->pkt = wbpf_gadget_ds__new_packet(ds)))
		return -ENOMEM;
	return 0;
}

/* An operator's setConfig("programs.<prog>.attach_to",
 * "gadget_program_disabled") keeps a program unattached, as in IG. */
static bool disabled(struct wbpf_gadget *g, int prog)
{
	const char *name, *v;
	char key[320];

	wbpf_bpf_host__program_name(g->host, prog, &name);
	snprintf(key, sizeof(key), "programs.%s.attach_to", name);
	for (char *p = key; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	v = gkvs_get(&g->config, key);
	return v && !strcmp(v, "gadget_program_disabled");
}

/* A socket filter on each interface of --iface, or on every one. */
static int attach_socket(struct wbpf_gadget *g, int prog)
{
	struct wbpf_bpf_target t = {.kind = WBPF_ATTACH_SOCKET};
	struct if_nameindex *all = NULL;
	char *list = NULL, *save = NULL;
	int link = -ENOENT;

	if (g->opts.ifaces && !(list = strdup(g->opts.ifaces)))
		return -ENOMEM;
	if (!list && !(all = if_nameindex())) {
		link = -errno;
		goto out;
	}
	for (size_t i = 0;; i++) {
		t.ifname = list ? strtok_r(i ? NULL : list, ",", &save) : all[i].if_name;
		if (!t.ifname)
			break;
		wbpf_bpf_host__allow_iface(g->host, t.ifname);
		if ((link = wbpf_bpf_host__attach(g->host, prog, &t)) < 0) {
			gerr(g, link, "interface %s: %s", t.ifname, strerror(-link));
			break;
		}
	}
out:
	free(list);
	if (all)
		if_freenameindex(all);
	return link;
}

static int attach_all(struct wbpf_gadget *g)
{
	const char *name, *sec;
	int prog, link;

	for (uint32_t i = 0; (prog = wbpf_bpf_host__program_at(g->host, g->obj, i)) > 0; i++) {
		enum wbpf_bpf_attach_kind kind = wbpf_bpf_host__program_kind(g->host, prog);

		if (kind == WBPF_ATTACH_ITER || disabled(g, prog))
			continue; /* snapshotters run iterators on their interval */
		g->err[0] = '\0';
		link = kind == WBPF_ATTACH_SOCKET ? attach_socket(g, prog) :
		       wbpf_bpf_host__attach(g->host, prog, NULL);
		if (link < 0) {
			char why[sizeof(g->err)];

			snprintf(why, sizeof(why), "%s", g->err[0] ? g->err : strerror(-link));
			wbpf_bpf_host__program_name(g->host, prog, &name);
			wbpf_bpf_host__program_section(g->host, prog, &sec);
			return gerr(g, link, "cannot attach program %s (SEC(\"%s\")): %s", name, sec,
				    why);
		}
	}
	return 0;
}

int wbpf_gadget__prepare(struct wbpf_gadget *g)
{
	int err;

	if (g->prepared)
		return gerr(g, -EALREADY, "the gadget is already prepared");
	g->prepared = true;
	g->boot_to_wall = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	if ((err = gop_open(g)) || (err = gop_call(g, "gadgetInit")))
		return err;
	return gop_call(g, "gadgetPreStart");
}

int wbpf_gadget__start(struct wbpf_gadget *g)
{
	int err;

	if (g->started)
		return gerr(g, -EALREADY, "the gadget is already started");
	if (!g->prepared && (err = wbpf_gadget__prepare(g)))
		return err;
	g->started = true;
	if ((err = gparams_write(g)))
		return err;
	for (size_t i = 0; i < g->nds; i++) {
		struct wbpf_gadget_ds *ds = g->ds[i];

		if (ds->origin == GDS_TRACER)
			if ((err = wbpf_bpf_host__find_map(g->host, g->obj, ds->map_name)) < 0)
				return gerr(g, err, "tracer %s: no map '%s' in the object",
					    ds->name, ds->map_name);
	}
	err = wbpf_bpf_host__object_load(g->host, g->obj);
	if (err)
		return gerr(g, err, "cannot load the BPF object: %s (the kernel's verifier "
			    "log is above)", strerror(-err));
	g->loaded = true;
	for (size_t i = 0; i < g->nds; i++) {
		struct wbpf_gadget_ds *ds = g->ds[i];

		if (ds->origin == GDS_TRACER)
			err = open_tracer(g, ds, (uint32_t)i);
		else if (ds->origin == GDS_MAPITER || ds->origin == GDS_SNAPSHOTTER)
			err = gsnapshot_start(g, ds);
		if (err)
			return err;
	}
	if ((err = gop_call(g, "gadgetStart")))
		return err;
	return attach_all(g);
}

static int on_sample(void *ctx, const struct wbpf_bpf_cb *cb, int cpu, const void *data,
		     uint32_t size)
{
	struct wbpf_gadget *g = ctx;
	struct wbpf_gadget_ds *ds = cb->ctx < g->nds ? g->ds[cb->ctx] : NULL;
	struct wbpf_gadget_packet *p;

	(void)cpu;
	if (!ds || !(p = ds->pkt))
		return 1;
	g->stats.events++;
	/* A copy: formatters and operators write fields in place. */
	memcpy(p->single.raw, data, size < ds->raw_size ? size : ds->raw_size);
	if (size < ds->raw_size)
		memset(p->single.raw + size, 0, ds->raw_size - size);
	gdata_reset(&p->single);
	return wbpf_gadget_ds__emit(ds, p);
}

static void on_lost(void *ctx, const struct wbpf_bpf_cb *cb, int cpu, uint64_t count)
{
	(void)ctx, (void)cb, (void)cpu, (void)count; /* the host counts them */
}

int gtimer_add(struct wbpf_gadget *g, uint64_t interval_ns, gtimer_fn fn, void *ctx)
{
	struct gtimer *t = realloc(g->timers, (g->ntimers + 1) * sizeof(*t));

	if (!t)
		return -ENOMEM;
	g->timers = t;
	if (interval_ns < 1000000)
		interval_ns = 1000000; /* poll waits in whole ms */
	if (interval_ns > 86400000000000ull)
		interval_ns = 86400000000000ull; /* a day: no overflow ahead */
	t[g->ntimers++] = (struct gtimer){clock_ns(CLOCK_MONOTONIC) + (int64_t)interval_ns,
					  (int64_t)interval_ns, fn, ctx};
	return 0;
}

/* How long a poll may wait: the timeout, or less when a timer is due. */
static int timers_wait(const struct wbpf_gadget *g, int timeout_ms)
{
	int64_t now = clock_ns(CLOCK_MONOTONIC);

	for (size_t i = 0; i < g->ntimers; i++) {
		int64_t left = g->timers[i].next - now;
		int ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);

		if (ms < timeout_ms)
			timeout_ms = ms;
	}
	return timeout_ms;
}

static void timers_run(struct wbpf_gadget *g)
{
	int64_t now = clock_ns(CLOCK_MONOTONIC);

	/* By index: a timer may add another. */
	for (size_t i = 0; i < g->ntimers; i++) {
		struct gtimer *t = &g->timers[i];

		if (t->next > now)
			continue;
		t->next = now + t->interval;
		t->fn(g, t->ctx);
	}
}

int wbpf_gadget__poll(struct wbpf_gadget *g, int timeout_ms)
{
	struct wbpf_bpf_dispatch d = {on_sample, on_lost, g};
	int total = 0, n, wait;

	if (!g->started || g->stopped)
		return -EINVAL;
	wait = timeout_ms = timers_wait(g, timeout_ms);
	/* The first buffer waits; the others are drained as they are. */
	for (size_t i = 0; i < g->nds; i++) {
		if (g->ds[i]->buffer <= 0)
			continue;
		n = wbpf_bpf_host__buffer_poll(g->host, g->ds[i]->buffer, wait, &d);
		if (n < 0)
			return n;
		total += n;
		wait = 0;
	}
	if (wait) { /* nothing to wait on: sleep, interruptibly */
		for (int t = 0; t < timeout_ms && !atomic_load(&g->interrupted); t += 10)
			usleep(timeout_ms - t < 10 ? (useconds_t)(timeout_ms - t) * 1000 : 10000);
	}
	timers_run(g);
	return atomic_load(&g->interrupted) ? -EINTR : total;
}

void wbpf_gadget__interrupt(struct wbpf_gadget *g)
{
	atomic_store(&g->interrupted, true);
	wbpf_bpf_host__interrupt(g->host);
}

int wbpf_gadget__stop(struct wbpf_gadget *g)
{
	int err, post;

	if (!g->started || g->stopped)
		return 0;
	g->stopped = true;
	err = gop_call(g, "gadgetStop");
	post = gop_call(g, "gadgetPostStop"); /* runs whatever gadgetStop did */
	return err ? err : post;
}
