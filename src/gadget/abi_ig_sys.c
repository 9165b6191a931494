// SPDX-License-Identifier: MIT
/*
 * Inspektor Gadget's operator ABI, system side: eBPF maps (the gadget's
 * and new ones), perf readers, syscall names and declarations, kallsyms,
 * config and the mount-namespace filter.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "abi/abi.h"
#include "gadget/ig.h"

#define RET32(s, v) ((s)[0] = (uint32_t)(v), 0)
#define RET64(s, v) ((s)[0] = (uint64_t)(v), 0)
#define ST_OK 0
#define ST_ERR 1

#define MAP_TYPE_MAX 33 /* BPF_MAP_TYPE_* IG knows of */
#define PERF_WAIT_MS 100
#define DECL_SIZE 252
#define DECL_MAX_ARGS 6

/* ----------------------------------------------------------------- maps */

static struct igmap *map_new(struct gig *ig)
{
	struct igmap *m = calloc(1, sizeof(*m)), **maps;

	if (!m || !(maps = realloc(ig->maps, (ig->nmaps + 1) * sizeof(*maps)))) {
		free(m);
		return NULL;
	}
	ig->maps = maps;
	maps[ig->nmaps++] = m;
	m->fd = -1;
	return m;
}

static int map_handle(struct gig *ig, struct igmap *m)
{
	return igh_add(ig, IGH_MAP, m, false);
}

static int h_new_map(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	uint32_t type = ARG_U32(s, 1), ksz = ARG_U32(s, 2), vsz = ARG_U32(s, 3);
	char *name = ig_str(c, s[0]);
	struct igmap *m;
	int fd, h;

	if (!name || type > MAP_TYPE_MAX) {
		free(name);
		return RET32(s, ig_fail(ig, 0, "newMap", "bad name or map type %u", type));
	}
	fd = bpf_map_create((enum bpf_map_type)type, strlen(name) < BPF_OBJ_NAME_LEN ? name : NULL,
			    ksz, vsz, ARG_U32(s, 4), NULL);
	free(name);
	if (fd < 0)
		return RET32(s, ig_fail(ig, 0, "newMap", "the kernel refused: %s", strerror(errno)));
	if (!(m = map_new(ig))) {
		close(fd);
		return RET32(s, ig_fail(ig, 0, "newMap", "no memory"));
	}
	*m = (struct igmap){.fd = fd, .type = type, .key_size = ksz, .value_size = vsz,
			    .stride = vsz, .made = true};
	h = map_handle(ig, m);
	return RET32(s, h ? (uint32_t)h : ig_fail(ig, 0, "newMap", "handle table full"));
}

static int h_get_map(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	struct wbpf_gadget *g = ig->op->g;
	char *name = ig_str(c, s[0]);
	struct wbpf_bpf_map_info info;
	struct igmap *m;
	int hm, h;

	/* IG: the maps exist once the eBPF layer started, not in
	 * gadgetInit or gadgetPreStart. */
	hm = name && g->loaded ? wbpf_bpf_host__find_map(g->host, g->obj, name) : -ENOENT;
	free(name);
	if (hm < 0)
		return RET32(s, ig_fail(ig, 0, "getMap", "no such map%s", g->loaded ? "" :
					" (maps exist from gadgetStart on)"));
	wbpf_bpf_host__map_info(g->host, hm, &info);
	if (!(m = map_new(ig)))
		return RET32(s, ig_fail(ig, 0, "getMap", "no memory"));
	*m = (struct igmap){.host = hm, .fd = -1, .type = info.type, .key_size = info.key_size,
			    .value_size = info.value_size, .stride = info.value_stride};
	h = map_handle(ig, m);
	return RET32(s, h ? (uint32_t)h : ig_fail(ig, 0, "getMap", "handle table full"));
}

static bool map_of_maps(const struct igmap *m)
{
	return m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS || m->type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

/* The map an element call works on, or why not. */
static const char *elem_map(struct gig *ig, uint32_t h, struct igmap **out)
{
	struct igh *e = igh_get(ig, h, IGH_MAP);
	struct igmap *m = e ? e->p : NULL;

	if (!m)
		return "bad map handle";
	if (m->type == BPF_MAP_TYPE_PROG_ARRAY || m->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY ||
	    m->type == BPF_MAP_TYPE_CGROUP_ARRAY || m->type > MAP_TYPE_MAX)
		return "map type has no element access";
	*out = m;
	return NULL;
}

static int lookup(struct gig *ig, struct igmap *m, const void *key, void *val)
{
	if (m->fd >= 0)
		return bpf_map_lookup_elem(m->fd, key, val) ? -errno : 0;
	return wbpf_bpf_host__map_lookup(ig->op->g->host, m->host, key, m->key_size, val,
					 m->stride, 0);
}

/* A map of maps holds map ids: the guest gets a new handle. */
static const char *inner_handle(struct gig *ig, void *val)
{
	uint32_t id, h;
	struct igmap *in;
	int fd;

	memcpy(&id, val, 4);
	if ((fd = bpf_map_get_fd_by_id(id)) < 0)
		return "cannot open the inner map";
	if (!(in = map_new(ig))) {
		close(fd);
		return "no memory";
	}
	*in = (struct igmap){.fd = fd};
	struct bpf_map_info info = {0};
	uint32_t len = sizeof(info);

	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		*in = (struct igmap){.fd = fd, .type = info.type, .key_size = info.key_size,
				     .value_size = info.value_size, .stride = info.value_size};
	if (!(h = (uint32_t)map_handle(ig, in)))
		return "handle table full";
	memcpy(val, &h, 4);
	return NULL;
}

static int h_map_lookup(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	struct igmap *m = NULL;
	const char *why = elem_map(ig, ARG_U32(s, 0), &m);
	uint32_t klen, vlen;
	void *key = why ? NULL : ig_buf(c, s[1], &klen);
	void *val = key ? ig_buf(c, s[2], &vlen) : NULL;
	int err;

	if (!why && (!key || klen < m->key_size))
		why = "key out of bounds or short";
	else if (!why && (!val || vlen < (map_of_maps(m) ? 4 : m->stride)))
		why = "value out of bounds or shorter than the map's values";
	if (!why && (err = lookup(ig, m, key, val)))
		why = err == -ENOENT ? "no such key" : "the kernel refused";
	if (!why && map_of_maps(m))
		why = inner_handle(ig, val);
	return RET32(s, why ? ig_fail(ig, ST_ERR, "mapLookup", "%s", why) : ST_OK);
}

static int h_map_update(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	struct igmap *m = NULL, *in = NULL;
	const char *why = elem_map(ig, ARG_U32(s, 0), &m);
	uint32_t klen, vlen, inner;
	void *key = why ? NULL : ig_buf(c, s[1], &klen);
	void *val = key ? ig_buf(c, s[2], &vlen) : NULL;
	struct igh *e;
	int err;

	if (!why && (!key || klen < m->key_size || !val))
		why = "key or value out of bounds";
	else if (!why && s[3] > 4)
		why = "flags above BPF_F_LOCK";
	if (!why && map_of_maps(m)) { /* the value is a map handle */
		memcpy(&inner, val, vlen >= 4 ? 4 : 0);
		e = vlen >= 4 ? igh_get(ig, inner, IGH_MAP) : NULL;
		in = e ? e->p : NULL;
		if (!in || in->fd < 0 || m->fd < 0)
			why = "inner map: not a map made by newMap (or outer map from the object)";
		else
			err = bpf_map_update_elem(m->fd, key, &in->fd, s[3]) ? -errno : 0;
	} else if (!why && vlen < m->stride) {
		why = "value shorter than the map's values";
	} else if (!why) {
		err = m->fd >= 0 ? (bpf_map_update_elem(m->fd, key, val, s[3]) ? -errno : 0) :
			wbpf_bpf_host__map_update(ig->op->g->host, m->host, key, m->key_size, val,
						  m->stride, s[3]);
	}
	if (!why && err)
		why = "the kernel refused";
	return RET32(s, why ? ig_fail(ig, ST_ERR, "mapUpdate", "%s", why) : ST_OK);
}

static int h_map_delete(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	struct igmap *m = NULL;
	const char *why = elem_map(ig, ARG_U32(s, 0), &m);
	uint32_t klen;
	void *key = why ? NULL : ig_buf(c, s[1], &klen);
	int err = 0;

	if (!why && (!key || klen < m->key_size))
		why = "key out of bounds or short";
	if (!why)
		err = m->fd >= 0 ? (bpf_map_delete_elem(m->fd, key) ? -errno : 0) :
			wbpf_bpf_host__map_delete(ig->op->g->host, m->host, key, m->key_size, 0);
	if (!why && err)
		why = err == -ENOENT ? "no such key" : "the kernel refused";
	return RET32(s, why ? ig_fail(ig, ST_ERR, "mapDelete", "%s", why) : ST_OK);
}

static int h_map_release(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	struct igh *e = igh_get(ig, ARG_U32(s, 0), IGH_MAP);
	struct igmap *m = e ? e->p : NULL;

	(void)c;
	if (!m || !m->made)
		return RET32(s, ig_fail(ig, ST_ERR, "mapRelease", "not a map made by newMap"));
	close(m->fd);
	m->fd = -1;
	m->made = false;
	igh_del(ig, ARG_U32(s, 0));
	return RET32(s, ST_OK);
}

/* --------------------------------------------------------- perf readers */

static int perf_sample(void *ctx, const struct wbpf_bpf_cb *cb, int cpu, const void *data,
		       uint32_t size)
{
	struct igperf *r = ctx;
	uint32_t need = r->rec_len + 4 + size;

	(void)cb, (void)cpu;
	if (need > r->rec_cap) {
		uint32_t cap = need * 2;
		uint8_t *p = realloc(r->rec, cap);

		if (!p)
			return 1;
		r->rec = p;
		r->rec_cap = cap;
	}
	memcpy(r->rec + r->rec_len, &size, 4);
	memcpy(r->rec + r->rec_len + 4, data, size);
	r->rec_len = need;
	return 0;
}

static int h_perf_new(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	struct igh *e = igh_get(ig, ARG_U32(s, 0), IGH_MAP);
	struct igmap *m = e ? e->p : NULL;
	uint32_t pages = 1, want = ARG_U32(s, 1) / (uint32_t)getpagesize();
	struct wbpf_bpf_cb cb = {0};
	struct igperf *r;
	int h;

	(void)c;
	if (!m || m->host <= 0 || m->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return RET32(s, ig_fail(ig, 1, "newPerfReader", "not a perf event array of the "
					"gadget")); /* IG returns 1 here, not 0 */
	while (pages < want && pages < 256)
		pages <<= 1;
	if (!(r = calloc(1, sizeof(*r))))
		return RET32(s, ig_fail(ig, 0, "newPerfReader", "no memory"));
	r->overwritable = ARG_U32(s, 2);
	r->buf = wbpf_bpf_host__perfbuf_new(ig->op->g->host, m->host, pages, &cb);
	if (r->buf < 0 || !(h = igh_add(ig, IGH_PERF, r, false))) {
		if (r->buf > 0)
			wbpf_bpf_host__buffer_free(ig->op->g->host, r->buf);
		free(r);
		return RET32(s, ig_fail(ig, 0, "newPerfReader", "cannot open the perf buffer"));
	}
	return RET32(s, h);
}

static struct igperf *get_perf(struct gig *ig, uint32_t h)
{
	struct igh *e = igh_get(ig, h, IGH_PERF);

	return e ? e->p : NULL;
}

static int perf_state(struct wbpf_caller *c, uint64_t *s, void *user, int what)
{
	struct gig *ig = user;
	struct igperf *r = get_perf(ig, ARG_U32(s, 0));

	(void)c;
	if (!r)
		return RET32(s, ig_fail(ig, ST_ERR, "perfReader", "bad handle"));
	if (what == 2) {
		wbpf_bpf_host__buffer_free(ig->op->g->host, r->buf);
		free(r->rec);
		free(r);
		igh_del(ig, ARG_U32(s, 0));
	} else {
		r->paused = !what;
	}
	return RET32(s, ST_OK);
}

static int h_perf_pause(struct wbpf_caller *c, uint64_t *s, void *user)
{
	return perf_state(c, s, user, 0);
}

static int h_perf_resume(struct wbpf_caller *c, uint64_t *s, void *user)
{
	return perf_state(c, s, user, 1);
}

static int h_perf_close(struct wbpf_caller *c, uint64_t *s, void *user)
{
	return perf_state(c, s, user, 2);
}

/* The next record: 0 with it in *rec, 1 error, 2 none. */
static int perf_next(struct gig *ig, struct igperf *r, const uint8_t **rec, uint32_t *len)
{
	struct wbpf_bpf_dispatch d = {perf_sample, NULL, r};

	/* IG: an overwritable ring reads only while paused. */
	if (r->overwritable && !r->paused)
		return ST_ERR;
	if (!r->rec_len &&
	    wbpf_bpf_host__buffer_poll(ig->op->g->host, r->buf, r->overwritable ? 0 : PERF_WAIT_MS,
				       &d) < 0)
		return ST_ERR;
	if (!r->rec_len)
		return 2;
	memcpy(len, r->rec, 4);
	*rec = r->rec + 4;
	return ST_OK;
}

static void perf_pop(struct igperf *r, uint32_t len)
{
	r->rec_len -= 4 + len;
	memmove(r->rec, r->rec + 4 + len, r->rec_len);
}

static int h_perf_read_env(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	struct igperf *r = get_perf(ig, ARG_U32(s, 0));
	void *out = wbpf_caller__mem(c, ARG_U32(s, 1), 8);
	const uint8_t *rec;
	uint32_t len;
	uint64_t buf;
	int st;

	if (!r || !out)
		return RET32(s, ig_fail(ig, ST_ERR, "perfReaderRead", "bad handle or address"));
	if ((st = perf_next(ig, r, &rec, &len)))
		return RET32(s, st);
	buf = ig_return_str(ig, c, rec, len);
	perf_pop(r, len);
	if (!buf || !(out = wbpf_caller__mem(c, ARG_U32(s, 1), 8)))
		return RET32(s, ST_ERR);
	memcpy(out, &buf, 8);
	return RET32(s, ST_OK);
}

static int h_perf_read_ig(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	struct igperf *r = get_perf(ig, ARG_U32(s, 0));
	const uint8_t *rec;
	uint32_t len, cap;
	void *dst;
	int st;

	if (!r)
		return RET32(s, ig_fail(ig, ST_ERR, "perfReaderRead", "bad handle"));
	if ((st = perf_next(ig, r, &rec, &len)))
		return RET32(s, st);
	if (!(dst = ig_buf(c, s[1], &cap)) || cap < len)
		return RET32(s, ig_fail(ig, ST_ERR, "perfReaderRead", "buffer out of bounds or "
					"shorter than the %u-byte record", len));
	memcpy(dst, rec, len);
	perf_pop(r, len);
	return RET32(s, ST_OK);
}

/* ------------------------------------------------------------- syscalls */

static void syscall_name(uint32_t id, char *buf, size_t size)
{
	const char *n = gsyscall_name(id & 0xffffu);

	if (n)
		snprintf(buf, size, "%s", n);
	else
		snprintf(buf, size, "syscall_%x", id & 0xffffu);
}

static int h_syscall_name_env(struct wbpf_caller *c, uint64_t *s, void *user)
{
	char name[64];

	syscall_name(ARG_U32(s, 0), name, sizeof(name));
	return RET64(s, ig_return_str(user, c, name, (uint32_t)strlen(name)));
}

static int h_syscall_name_ig(struct wbpf_caller *c, uint64_t *s, void *user)
{
	char name[64];

	syscall_name(ARG_U32(s, 0), name, sizeof(name));
	if (ig_write_str(c, s[1], name))
		return RET32(s, ig_fail(user, ST_ERR, "getSyscallName", "bad or short buffer"));
	return RET32(s, ST_OK);
}

static int h_syscall_id(struct wbpf_caller *c, uint64_t *s, void *user)
{
	char *name = ig_str(c, s[0]);
	int id = name ? gsyscall_id(name) : -1;

	free(name);
	return RET32(s, id < 0 ? ig_fail(user, (uint32_t)-1, "getSyscallID", "unknown syscall") :
		     (uint32_t)id);
}

/* One "field:TYPE NAME;" line of a tracepoint format file. */
static bool decl_arg(const char *line, char *name, size_t size, bool *pointer)
{
	const char *f = strstr(line, "field:"), *semi, *p;

	if (!f || !(semi = strchr(f, ';')))
		return false;
	f += 6;
	p = semi;
	while (p > f && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
		p--;
	snprintf(name, size, "%.*s", (int)(semi - p), p);
	*pointer = memchr(f, '*', (size_t)(p - f)) != NULL;
	return true;
}

/* struct { char name[32]; u8 nr; u8 pad[3]; struct { char name[32];
 * u32 flags; } args[6]; }: what IG writes. */
static int syscall_decl(const char *name, uint8_t out[DECL_SIZE])
{
	static const char *const roots[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
	char path[256], line[256], arg[64];
	bool after_nr = false, ptr;
	FILE *f = NULL;
	uint8_t n = 0;

	if (strlen(name) >= 32 || strchr(name, '/'))
		return -EINVAL;
	for (size_t i = 0; i < 2 && !f; i++) {
		snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_%s/format", roots[i], name);
		f = fopen(path, "re");
	}
	if (!f)
		return -ENOENT;
	memset(out, 0, DECL_SIZE);
	memcpy(out, name, strlen(name));
	while (fgets(line, sizeof(line), f) && n < DECL_MAX_ARGS) {
		if (!decl_arg(line, arg, sizeof(arg), &ptr))
			continue;
		if (!after_nr) {
			after_nr = !strcmp(arg, "__syscall_nr");
			continue;
		}
		uint32_t flags = ptr;
		uint8_t *a = out + 36 + n * 36;

		memcpy(a, arg, strnlen(arg, 31));
		memcpy(a + 32, &flags, 4);
		n++;
	}
	fclose(f);
	out[32] = n;
	return 0;
}

static int h_syscall_decl(struct wbpf_caller *c, uint64_t *s, void *user)
{
	char *name = ig_str(c, s[0]);
	uint8_t decl[DECL_SIZE];
	uint32_t cap;
	void *dst = ig_buf(c, s[1], &cap);
	int err = name ? syscall_decl(name, decl) : -EFAULT;

	free(name);
	if (err || !dst || cap < DECL_SIZE)
		return RET32(s, ig_fail(user, ST_ERR, "getSyscallDeclaration", "%s",
					err ? "unknown syscall" : "buffer shorter than 252 bytes"));
	memcpy(dst, decl, DECL_SIZE);
	return RET32(s, ST_OK);
}

/* -------------------------------------------------------------- misc */

static int h_kallsyms(struct wbpf_caller *c, uint64_t *s, void *user)
{
	char *want = ig_str(c, s[0]), line[512], sym[256];
	FILE *f = want && *want ? fopen("/proc/kallsyms", "re") : NULL;
	int n = 0;

	(void)user;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %255s", sym) == 1 && !strcmp(sym, want))
			n++;
	if (f)
		fclose(f);
	free(want);
	return RET32(s, n == 1);
}

static int h_set_config(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	char *key = ARG_U32(s, 2) == WBPF_KIND_STRING ? ig_str(c, s[0]) : NULL;
	char *val = key ? ig_str(c, s[1]) : NULL;
	int err = -EINVAL;

	if (key && val) { /* viper: keys are case-insensitive */
		for (char *p = key; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		err = gkvs_set(&ig->op->g->config, key, val);
	}
	free(key);
	free(val);
	return RET32(s, err ? ig_fail(ig, ST_ERR, "setConfig", "bad key, value or kind %u (want "
				      "12, string)", ARG_U32(s, 2)) : ST_OK);
}

static int h_discard_mntns(struct wbpf_caller *c, uint64_t *s, void *user)
{
	(void)c, (void)user;
	return RET32(s, 0); /* no container selection: nothing is discarded */
}

static const struct abi_func sys_common[] = {
	{"setConfig", "(IIi)i", h_set_config},
	{"newMap", "(Iiiii)i", h_new_map},
	{"getMap", "(I)i", h_get_map},
	{"mapLookup", "(iII)i", h_map_lookup},
	{"mapUpdate", "(iIII)i", h_map_update},
	{"mapDelete", "(iI)i", h_map_delete},
	{"mapRelease", "(i)i", h_map_release},
	{"getSyscallDeclaration", "(II)i", h_syscall_decl},
	{"newPerfReader", "(iii)i", h_perf_new},
	{"perfReaderPause", "(i)i", h_perf_pause},
	{"perfReaderResume", "(i)i", h_perf_resume},
	{"perfReaderClose", "(i)i", h_perf_close},
	{"kallsymsSymbolExists", "(I)i", h_kallsyms},
};

static const struct abi_func sys_env[] = {
	{"getSyscallName", "(i)I", h_syscall_name_env},
	{"perfReaderRead", "(ii)i", h_perf_read_env},
};

static const struct abi_func sys_ig[] = {
	{"getSyscallName", "(iI)i", h_syscall_name_ig},
	{"perfReaderRead", "(iI)i", h_perf_read_ig},
	{"getSyscallID", "(I)i", h_syscall_id},
	{"shouldDiscardMntnsID", "(I)i", h_discard_mntns},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

int gig_define_sys(struct wbpf_store *store, const char *module, struct gig *ig)
{
	int err = abi_define(store, module, sys_common, N(sys_common), ig);

	if (err)
		return err;
	return ig->env ? abi_define(store, module, sys_env, N(sys_env), ig) :
			 abi_define(store, module, sys_ig, N(sys_ig), ig);
}

void gig_free_sys(struct gig *ig)
{
	for (uint32_t h = 1; h <= IG_MAX_HANDLES; h++) {
		struct igperf *r = ig->h[h].type == IGH_PERF ? ig->h[h].p : NULL;

		if (r) {
			wbpf_bpf_host__buffer_free(ig->op->g->host, r->buf);
			free(r->rec);
			free(r);
		}
	}
	for (size_t i = 0; i < ig->nmaps; i++) {
		if (ig->maps[i]->fd >= 0)
			close(ig->maps[i]->fd);
		free(ig->maps[i]);
	}
	free(ig->maps);
}
