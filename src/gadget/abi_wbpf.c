// SPDX-License-Identifier: MIT
/*
 * wbpf's own operator ABI (module `wbpf_gadget`, docs/gadget-operator-abi.md):
 * built for per-event cost. The record's bytes are written once into a
 * buffer the guest chose at subscription, where it reads static fields
 * at offsets it learnt at init (no call per field); dynamic fields are
 * read or written many at a time in one call; the callback's return
 * value drops the record (or the array element) or asks for the edited
 * bytes back. Timers run on the poll thread between events.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/abi.h"
#include "gadget/operator.h"

#define WB_MAX_FIELDS 65536u
#define WB_MAX_NEST 16u	   /* emits inside callbacks */
#define WB_MAX_VALS 4096u  /* values in one get/set/emit */
#define WB_NAME_MAX 256u

enum { WB_KEEP = 0, WB_DROP = 1, WB_MODIFIED = 2 };

/* struct wg_val in guest memory: 16 bytes, little-endian. */
struct wb_val {
	uint32_t field, len;
	uint64_t v;
};

struct wb_sub {
	struct gwb *wb;
	struct wbpf_gadget_ds *ds;
	uint32_t buf, cap, cookie;
};

struct wb_timer {
	struct gwb *wb;
	uint32_t cookie;
};

struct gwb {
	struct gop *op;
	struct wbpf_func *event, *timer;
	struct wbpf_gadget_field **fields;
	size_t nfields;
	struct wbpf_gadget_data *cur[WB_MAX_NEST]; /* records lent to callbacks */
	uint32_t depth;
	struct wb_sub **subs;
	size_t nsubs;
	struct wb_timer **timers;
	size_t ntimers;
	struct wbpf_gadget_packet *emits[WB_MAX_NEST]; /* one per nesting level */
};

static int32_t fail(struct gwb *wb, int32_t err, const char *fn, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int32_t fail(struct gwb *wb, int32_t err, const char *fn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gop_vfail(wb->op, fn, fmt, ap);
	va_end(ap);
	return err;
}

#define RET(s, v) ((s)[0] = (uint32_t)(int32_t)(v), 0)

/* A name argument (ptr, len) as a C string in `out`; NULL when out of
 * bounds or too long. */
static const char *name_arg(struct wbpf_caller *c, uint32_t ptr, uint32_t len, char *out)
{
	const char *p = len < WB_NAME_MAX ? wbpf_caller__mem(c, ptr, len) : NULL;

	if (!p || memchr(p, 0, len))
		return NULL;
	memcpy(out, p, len);
	out[len] = '\0';
	return out;
}

static struct wbpf_gadget_ds *get_ds(struct gwb *wb, uint32_t h)
{
	struct wbpf_gadget *g = wb->op->g;

	return h >= 1 && h <= g->nds ? g->ds[h - 1] : NULL;
}

static struct wbpf_gadget_field *get_field(struct gwb *wb, uint32_t h)
{
	return h >= 1 && h <= wb->nfields ? wb->fields[h - 1] : NULL;
}

static struct wbpf_gadget_data *get_data(struct gwb *wb, uint32_t h)
{
	return h >= 1 && h <= wb->depth ? wb->cur[h - 1] : NULL;
}

/* The field's handle: the same field always gets the same one. */
static int32_t field_handle(struct gwb *wb, struct wbpf_gadget_field *f)
{
	void *p;

	for (size_t i = 0; i < wb->nfields; i++)
		if (wb->fields[i] == f)
			return (int32_t)i + 1;
	if (wb->nfields == WB_MAX_FIELDS ||
	    !(p = realloc(wb->fields, (wb->nfields + 1) * sizeof(*wb->fields))))
		return -ENOSPC;
	wb->fields = p;
	wb->fields[wb->nfields++] = f;
	return (int32_t)wb->nfields;
}

/* ------------------------------------------------------------ general */

static int h_log(struct wbpf_caller *c, uint64_t *s, void *user)
{
	static const char *const levels[] = {"error", "warn", "info", "debug", "trace"};
	uint32_t lvl = ARG_U32(s, 0), len = ARG_U32(s, 2);
	const char *p = wbpf_caller__mem(c, ARG_U32(s, 1), len);

	(void)user;
	if (p)
		fprintf(stderr, "operator %s: %.*s\n", levels[lvl < 5 ? lvl : 4], (int)len, p);
	return 0;
}

/* Copies min(len, cap) bytes out; returns len (the guest sees when its
 * buffer was short). */
static int32_t copy_out(struct wbpf_caller *c, uint32_t dst, uint32_t cap, const char *src,
			uint32_t len)
{
	void *p = wbpf_caller__mem(c, dst, cap);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len < cap ? len : cap);
	return (int32_t)len;
}

static int h_last_error(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gwb *wb = user;

	return RET(s, copy_out(c, ARG_U32(s, 0), ARG_U32(s, 1), wb->op->reason,
			       (uint32_t)strlen(wb->op->reason)));
}

static int h_param(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gwb *wb = user;
	char key[WB_NAME_MAX];
	const char *v;

	if (!name_arg(c, ARG_U32(s, 0), ARG_U32(s, 1), key))
		return RET(s, fail(wb, -EFAULT, "param", "bad key"));
	if (!(v = wbpf_gadget__param(wb->op->g, key)))
		return RET(s, fail(wb, -ENOENT, "param", "no param '%s'", key));
	return RET(s, copy_out(c, ARG_U32(s, 2), ARG_U32(s, 3), v, (uint32_t)strlen(v)));
}

/* A timer's turn: on the poll thread, never inside another call. */
static void timer_fire(struct wbpf_gadget *g, void *ctx)
{
	struct wb_timer *t = ctx;
	struct gop *op = t->wb->op;
	struct wbpf_val arg = {.type = WBPF_I32, .of.i32 = t->cookie};
	struct wbpf_error err = {0};

	(void)g;
	if (!op->dead && gop_call_func(op, t->wb->timer, &arg, 1, NULL, 0, &err))
		gop_callback_failed(op, "wbpf_gadget_timer", &err);
}

static int h_timer(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gwb *wb = user;
	struct wb_timer *t;
	void *p;

	(void)c;
	if (!wb->timer)
		return RET(s, fail(wb, -ENOSYS, "timer", "the module exports no "
				   "wbpf_gadget_timer(i32)"));
	if (!(t = calloc(1, sizeof(*t))) ||
	    !(p = realloc(wb->timers, (wb->ntimers + 1) * sizeof(*wb->timers)))) {
		free(t);
		return RET(s, -ENOMEM);
	}
	wb->timers = p;
	wb->timers[wb->ntimers++] = t;
	*t = (struct wb_timer){wb, ARG_U32(s, 1)};
	return RET(s, gtimer_add(wb->op->g, s[0], timer_fire, t) ? -ENOMEM : 0);
}

/* --------------------------------------------------- datasources, fields */

static int h_ds_get(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gwb *wb = user;
	struct wbpf_gadget *g = wb->op->g;
	char name[WB_NAME_MAX];

	if (!name_arg(c, ARG_U32(s, 0), ARG_U32(s, 1), name))
		return RET(s, fail(wb, -EFAULT, "ds_get", "bad name"));
	for (size_t i = 0; i < g->nds; i++)
		if (!strcmp(g->ds[i]->name, name))
			return RET(s, i + 1);
	return RET(s, fail(wb, -ENOENT, "ds_get", "no datasource '%s'", name));
}

static int h_ds_new(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gwb *wb = user;
	struct wbpf_gadget *g = wb->op->g;
	struct wbpf_gadget_ds *ds;
	char name[WB_NAME_MAX];
	int err;

	if (!name_arg(c, ARG_U32(s, 0), ARG_U32(s, 1), name) || !*name)
		return RET(s, fail(wb, -EFAULT, "ds_new", "bad name"));
	if (wbpf_gadget__ds(g, name))
		return RET(s, fail(wb, -EEXIST, "ds_new", "datasource '%s' exists", name));
	if ((err = wbpf_gadget__new_ds(g, name, (enum wbpf_gadget_ds_type)ARG_U32(s, 2), &ds)))
		return RET(s, fail(wb, err, "ds_new", "%s: %s", name, strerror(-err)));
	return RET(s, g->nds);
}

/* struct wg_field_info: kind (with the array bit), flags, offset, size. */
static int32_t field_info(struct wbpf_caller *c, uint32_t ptr, const struct wbpf_gadget_field *f)
{
	uint32_t info[4] = {wbpf_gadget_field__kind(f), f->flags, f->offs, f->size};
	void *p;

	if (!ptr)
		return 0;
	if (!(p = wbpf_caller__mem(c, ptr, sizeof(info))))
		return -EFAULT;
	memcpy(p, info, sizeof(info));
	return 0;
}

static int h_field_get(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gwb *wb = user;
	struct wbpf_gadget_ds *ds = get_ds(wb, ARG_U32(s, 0));
	struct wbpf_gadget_field *f;
	char name[WB_NAME_MAX];

	if (!ds)
		return RET(s, fail(wb, -EBADF, "field_get", "bad datasource handle"));
	if (!name_arg(c, ARG_U32(s, 1), ARG_U32(s, 2), name))
		return RET(s, fail(wb, -EFAULT, "field_get", "bad name"));
	if (!(f = wbpf_gadget_ds__field(ds, name)))
		return RET(s, fail(wb, -ENOENT, "field_get", "%s has no field '%s'", ds->name, name));
	if (field_info(c, ARG_U32(s, 3), f))
		return RET(s, fail(wb, -EFAULT, "field_get", "info pointer out of bounds"));
	return RET(s, field_handle(wb, f));
}

static bool valid_kind(uint32_t kind)
{
	uint32_t base = kind & ~WBPF_KIND_ARRAY;

	return base >= WBPF_KIND_BOOL && base <= WBPF_KIND__MAX && base != WBPF_KIND_CSTRING &&
	       !(kind & ~(WBPF_KIND_ARRAY | 0xffu)) &&
	       (!(kind & WBPF_KIND_ARRAY) || base != WBPF_KIND_BYTES);
}

static int h_field_add(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gwb *wb = user;
	struct wbpf_gadget_ds *ds = get_ds(wb, ARG_U32(s, 0));
	uint32_t kind = ARG_U32(s, 3);
	struct wbpf_gadget_field *f;
	char name[WB_NAME_MAX];
	int err;

	if (!ds)
		return RET(s, fail(wb, -EBADF, "field_add", "bad datasource handle"));
	if (!name_arg(c, ARG_U32(s, 1), ARG_U32(s, 2), name) || !*name)
		return RET(s, fail(wb, -EFAULT, "field_add", "bad name"));
	if (!valid_kind(kind))
		return RET(s, fail(wb, -EINVAL, "field_add", "bad kind %#x", kind));
	if (wb->depth)
		return RET(s, fail(wb, -EBUSY, "field_add", "not inside a callback"));
	if ((err = wbpf_gadget_ds__add_field(ds, name, kind, &f)))
		return RET(s, fail(wb, err, "field_add", "%s.%s: %s", ds->name, name,
				   strerror(-err)));
	return RET(s, field_handle(wb, f));
}

static int h_field_hide(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gwb *wb = user;
	struct wbpf_gadget_field *f = get_field(wb, ARG_U32(s, 0));

	(void)c;
	if (!f)
		return RET(s, fail(wb, -EBADF, "field_hide", "bad field handle"));
	wbpf_gadget_field__set_hidden(f, ARG_U32(s, 1) != 0);
	return RET(s, 0);
}

/* ------------------------------------------------------------- values */

static bool scalar(const struct wbpf_gadget_field *f)
{
	return !f->array && gkind_size(f->kind);
}

static struct wb_val *vals_arg(struct wbpf_caller *c, uint32_t ptr, uint32_t n)
{
	return n <= WB_MAX_VALS ? wbpf_caller__mem(c, ptr, (uint64_t)n * sizeof(struct wb_val))
				: NULL;
}

/* Sets each value of vals[0..n) in d; the first bad one stops. */
static int32_t set_vals(struct gwb *wb, struct wbpf_caller *c, struct wbpf_gadget_data *d,
			const struct wb_val *vals, uint32_t n, const char *fn)
{
	for (uint32_t i = 0; i < n; i++) {
		struct wb_val v;
		struct wbpf_gadget_field *f;
		const void *p;
		uint32_t esz;
		int err;

		memcpy(&v, &vals[i], sizeof(v)); /* guest memory: no alignment promised */
		if (!(f = get_field(wb, v.field)) || f->index >= d->ds->nfields ||
		    d->ds->fields[f->index] != f)
			return fail(wb, -EBADF, fn, "value %u: bad field handle %u", i, v.field);
		if (scalar(f)) {
			err = wbpf_gadget_field__set_u64(f, d, v.v);
		} else {
			if (!(p = wbpf_caller__mem(c, (uint32_t)v.v, v.len)))
				return fail(wb, -EFAULT, fn, "value %u (%s): out of bounds", i, f->name);
			esz = f->array ? gkind_size(f->kind) : 0;
			if (esz && v.len % esz)
				return fail(wb, -EINVAL, fn, "value %u (%s): not a whole number of "
					    "elements", i, f->name);
			err = wbpf_gadget_field__set_bytes(f, d, p, v.len);
		}
		if (err)
			return fail(wb, err, fn, "value %u (%s): %s", i, f->name, strerror(-err));
	}
	return 0;
}

static int h_set(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gwb *wb = user;
	struct wbpf_gadget_data *d = get_data(wb, ARG_U32(s, 0));
	uint32_t n = ARG_U32(s, 2);
	struct wb_val *vals = vals_arg(c, ARG_U32(s, 1), n);

	if (!d)
		return RET(s, fail(wb, -EBADF, "set", "bad record handle (only valid in its "
				   "callback)"));
	if (!vals)
		return RET(s, fail(wb, -EFAULT, "set", "values out of bounds"));
	return RET(s, set_vals(wb, c, d, vals, n, "set"));
}

/* Reads each field into vals: scalars into v, the rest into buf. Returns
 * the bytes of buf used. */
static int h_get(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gwb *wb = user;
	struct wbpf_gadget_data *d = get_data(wb, ARG_U32(s, 0));
	uint32_t n = ARG_U32(s, 2), buf = ARG_U32(s, 3), cap = ARG_U32(s, 4), used = 0;
	struct wb_val *vals = vals_arg(c, ARG_U32(s, 1), n);
	uint8_t *out = cap ? wbpf_caller__mem(c, buf, cap) : NULL;

	if (!d)
		return RET(s, fail(wb, -EBADF, "get", "bad record handle"));
	if (!vals || (cap && !out))
		return RET(s, fail(wb, -EFAULT, "get", "values or buffer out of bounds"));
	for (uint32_t i = 0; i < n; i++) {
		struct wb_val v;
		struct wbpf_gadget_field *f;
		const uint8_t *p, *nul;
		uint32_t len;

		memcpy(&v, &vals[i], sizeof(v));
		if (!(f = get_field(wb, v.field)) || f->index >= d->ds->nfields ||
		    d->ds->fields[f->index] != f)
			return RET(s, fail(wb, -EBADF, "get", "value %u: bad field handle", i));
		if (scalar(f)) {
			wbpf_gadget_field__get_u64(f, d, &v.v);
			v.len = gkind_size(f->kind);
		} else {
			p = wbpf_gadget_field__bytes(f, d, &len);
			if (f->kind == WBPF_KIND_CSTRING && (nul = memchr(p, 0, len)))
				len = (uint32_t)(nul - p);
			if (len > cap - used)
				return RET(s, fail(wb, -ENOSPC, "get", "buffer too small for %s",
						   f->name));
			if (len)
				memcpy(out + used, p, len);
			v.v = buf + used;
			v.len = len;
			used += len;
		}
		memcpy(&vals[i], &v, sizeof(v));
	}
	return RET(s, used);
}

/* One record of datasource ds with these values, through its subscribers. */
static int h_emit(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gwb *wb = user;
	struct wbpf_gadget_ds *ds = get_ds(wb, ARG_U32(s, 0));
	uint32_t n = ARG_U32(s, 2);
	struct wb_val *vals = vals_arg(c, ARG_U32(s, 1), n);
	struct wbpf_gadget_packet *p;
	struct wbpf_gadget_data *d;
	int32_t err;

	if (!ds)
		return RET(s, fail(wb, -EBADF, "emit", "bad datasource handle"));
	if (!vals)
		return RET(s, fail(wb, -EFAULT, "emit", "values out of bounds"));
	if (wb->depth >= WB_MAX_NEST)
		return RET(s, fail(wb, -ELOOP, "emit", "emits nested too deep"));
	p = wb->emits[wb->depth];
	if (p && p->ds != ds) {
		wbpf_gadget_packet__free(p);
		p = wb->emits[wb->depth] = NULL;
	}
	if (!p && !(p = wb->emits[wb->depth] = wbpf_gadget_ds__new_packet(ds)))
		return RET(s, -ENOMEM);
	p->n = 0;
	d = ds->type == WBPF_DS_SINGLE ? &p->single : wbpf_gadget_packet__append(p);
	if (!d)
		return RET(s, -ENOMEM);
	memset(d->raw, 0, ds->raw_size);
	gdata_reset(d);
	wb->cur[wb->depth++] = d; /* the values' fields are checked against d */
	err = set_vals(wb, c, d, vals, n, "emit");
	wb->depth--;
	if (err)
		return RET(s, err);
	wbpf_gadget_ds__emit(ds, p);
	return RET(s, 0);
}

/* ---------------------------------------------------------- callbacks */

/* Calls wbpf_gadget_event(cookie, data, len) on one record; its answer. */
static int call_event(struct wb_sub *sub, struct wbpf_gadget_data *d)
{
	struct gwb *wb = sub->wb;
	struct gop *op = wb->op;
	struct wbpf_memory *mem = wbpf_instance__memory(op->inst);
	uint32_t len = sub->buf ? d->ds->raw_size : 0;
	struct wbpf_val args[3] = {
		{.type = WBPF_I32, .of.i32 = sub->cookie},
		{.type = WBPF_I32, .of.i32 = wb->depth + 1},
		{.type = WBPF_I32, .of.i32 = len},
	};
	struct wbpf_error err = {0};
	struct wbpf_val res = {0};
	int ret;

	if (wb->depth >= WB_MAX_NEST)
		return WB_KEEP;
	if (len && wbpf_memory__write(mem, sub->buf, d->raw, len))
		return WB_KEEP; /* the guest shrank: nothing to call it with */
	wb->cur[wb->depth++] = d;
	ret = gop_call_func(op, wb->event, args, 3, &res, 1, &err);
	wb->depth--;
	if (ret) {
		gop_callback_failed(op, "wbpf_gadget_event", &err);
		return WB_KEEP;
	}
	if (res.of.i32 == WB_MODIFIED && len)
		wbpf_memory__read(mem, sub->buf, d->raw, len);
	return res.of.i32 == WB_DROP ? WB_DROP : WB_KEEP;
}

static int wb_sub(void *ctx, struct wbpf_gadget_ds *ds, struct wbpf_gadget_packet *p)
{
	struct wb_sub *sub = ctx;

	if (sub->wb->op->dead)
		return 0;
	if (ds->type == WBPF_DS_SINGLE)
		return call_event(sub, &p->single) == WB_DROP;
	for (uint32_t i = 0; i < p->n;) /* array sources: each element, each may go */
		if (call_event(sub, p->elems[i]) == WB_DROP)
			wbpf_gadget_packet__remove(p, i);
		else
			i++;
	return 0;
}

static int h_subscribe(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gwb *wb = user;
	struct wbpf_gadget_ds *ds = get_ds(wb, ARG_U32(s, 0));
	uint32_t buf = ARG_U32(s, 2), cap = ARG_U32(s, 3);
	struct wb_sub *sub;
	void *p;

	if (!ds)
		return RET(s, fail(wb, -EBADF, "subscribe", "bad datasource handle"));
	if (!wb->event)
		return RET(s, fail(wb, -ENOSYS, "subscribe", "the module exports no "
				   "wbpf_gadget_event(i32, i32, i32) -> i32"));
	if (buf && (cap < ds->raw_size || !wbpf_caller__mem(c, buf, cap)))
		return RET(s, fail(wb, -EINVAL, "subscribe", "buffer out of bounds or under the "
				   "%u bytes of a %s record", ds->raw_size, ds->name));
	if (!(sub = calloc(1, sizeof(*sub))) ||
	    !(p = realloc(wb->subs, (wb->nsubs + 1) * sizeof(*wb->subs)))) {
		free(sub);
		return RET(s, -ENOMEM);
	}
	wb->subs = p;
	wb->subs[wb->nsubs++] = sub;
	*sub = (struct wb_sub){wb, ds, buf, cap, ARG_U32(s, 4)};
	return RET(s, wbpf_gadget_ds__subscribe(ds, ARG_I32(s, 1), wb_sub, sub));
}

/* --------------------------------------------------------------- module */

static const struct abi_func funcs[] = {
	{"log", "(iii)", h_log},
	{"last_error", "(ii)i", h_last_error},
	{"param", "(iiii)i", h_param},
	{"timer", "(Ii)i", h_timer},
	{"ds_get", "(ii)i", h_ds_get},
	{"ds_new", "(iii)i", h_ds_new},
	{"field_get", "(iiii)i", h_field_get},
	{"field_add", "(iiii)i", h_field_add},
	{"field_hide", "(ii)i", h_field_hide},
	{"subscribe", "(iiiii)i", h_subscribe},
	{"get", "(iiiii)i", h_get},
	{"set", "(iii)i", h_set},
	{"emit", "(iii)i", h_emit},
};

int gwb_define(struct gop *op)
{
	struct gwb *wb = calloc(1, sizeof(*wb));

	if (!wb)
		return -ENOMEM;
	wb->op = op;
	op->wb = wb;
	return abi_define(op->store, "wbpf_gadget", funcs, sizeof(funcs) / sizeof(funcs[0]), wb);
}

/* An export of type (params)results, or NULL. */
static struct wbpf_func *export_fn(struct gop *op, const char *name, size_t np, size_t nr)
{
	struct wbpf_func *fn = wbpf_instance__func(op->inst, name);
	struct wbpf_functype ft;

	if (!fn)
		return NULL;
	wbpf_func__type(fn, &ft);
	if (ft.nparams != np || ft.nresults != nr)
		return NULL;
	for (size_t i = 0; i < np; i++)
		if (ft.params[i] != WBPF_I32)
			return NULL;
	return nr && ft.results[0] != WBPF_I32 ? NULL : fn;
}

int gwb_bind(struct gwb *wb)
{
	struct gop *op = wb->op;

	wb->event = export_fn(op, "wbpf_gadget_event", 3, 1);
	wb->timer = export_fn(op, "wbpf_gadget_timer", 1, 0);
	if (!wb->event && wbpf_instance__func(op->inst, "wbpf_gadget_event"))
		return gerr(op->g, -EINVAL, "operator: wbpf_gadget_event must be "
			    "(i32, i32, i32) -> i32");
	if (!wb->timer && wbpf_instance__func(op->inst, "wbpf_gadget_timer"))
		return gerr(op->g, -EINVAL, "operator: wbpf_gadget_timer must be (i32) -> ()");
	return 0;
}

void gwb_free(struct gwb *wb)
{
	if (!wb)
		return;
	for (size_t i = 0; i < wb->nsubs; i++)
		free(wb->subs[i]);
	for (size_t i = 0; i < wb->ntimers; i++)
		free(wb->timers[i]);
	for (uint32_t i = 0; i < WB_MAX_NEST; i++)
		wbpf_gadget_packet__free(wb->emits[i]);
	free(wb->subs);
	free(wb->timers);
	free(wb->fields);
	free(wb);
}
