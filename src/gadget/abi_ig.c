// SPDX-License-Identifier: MIT
/*
 * Inspektor Gadget's operator ABI, datasource side: logging, params,
 * datasources, fields, records, arrays, packets and the callbacks that
 * deliver them to the guest. The calls keep IG's signatures, return
 * values and quirks (docs/abi-inspektor-gadget.md) so that its operators
 * run unmodified; where IG misbehaves in ways a guest cannot rely on,
 * wbpf does the sane thing (the real datasource handle in callbacks,
 * values copied, a reason recorded for each failure, drops).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/abi.h"
#include "gadget/ig.h"

#define RET32(s, v) ((s)[0] = (uint32_t)(v), 0)
#define RET64(s, v) ((s)[0] = (uint64_t)(v), 0)
#define ST_OK 0
#define ST_ERR 1

/* ------------------------------------------------------------- helpers */

void *ig_buf(struct wbpf_caller *c, uint64_t buf, uint32_t *len)
{
	uint32_t ptr = (uint32_t)buf;

	*len = (uint32_t)(buf >> 32);
	if (!*len)
		return (void *)"";
	return wbpf_caller__mem(c, ptr, *len);
}

char *ig_str(struct wbpf_caller *c, uint64_t buf)
{
	uint32_t len;
	const char *p = ig_buf(c, buf, &len);

	return p ? strndup(p, len) : NULL;
}

uint64_t ig_fail(struct gig *ig, uint64_t ret, const char *fn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gop_vfail(ig->op, fn, fmt, ap);
	va_end(ap);
	return ret;
}

uint64_t ig_return_str(struct gig *ig, struct wbpf_caller *c, const void *s, uint32_t len)
{
	struct wbpf_val arg = {.type = WBPF_I32, .of.i32 = len}, res = {0};
	struct wbpf_error err = {0};
	void *dst;

	if (!len || !ig->malloc_fn)
		return 0;
	if (wbpf_func__call(ig->malloc_fn, &arg, 1, &res, 1, &err))
		return ig_fail(ig, 0, "malloc", "the guest's malloc trapped: %s", err.msg);
	if (!(dst = wbpf_caller__mem(c, res.of.i32, len)))
		return ig_fail(ig, 0, "malloc", "the guest's malloc returned a bad pointer");
	memcpy(dst, s, len);
	return (uint64_t)len << 32 | res.of.i32;
}

int ig_write_str(struct wbpf_caller *c, uint64_t dst, const char *s)
{
	uint32_t len;
	char *p = ig_buf(c, dst, &len);
	size_t n = strlen(s);

	if (!p || n + 1 > len)
		return ST_ERR;
	memcpy(p, s, n + 1);
	return ST_OK;
}

static struct wbpf_gadget_ds *get_ds(struct gig *ig, uint32_t h)
{
	struct igh *e = igh_get(ig, h, IGH_DS);

	return e ? e->p : NULL;
}

static struct wbpf_gadget_field *get_field(struct gig *ig, uint32_t h)
{
	struct igh *e = igh_get(ig, h, IGH_FIELD);

	return e ? e->p : NULL;
}

static struct wbpf_gadget_packet *get_array(struct gig *ig, uint32_t h)
{
	struct igh *e = igh_get(ig, h, IGH_ARRAY);

	return e ? e->p : NULL;
}

/* A record: a data handle, a single packet, or dataArrayGet's encoding. */
static struct wbpf_gadget_data *get_data(struct gig *ig, uint32_t h)
{
	struct wbpf_gadget_packet *p;
	struct igh *e;

	if (h & IG_ARRAY_ELEM) {
		p = get_array(ig, h & 0xffffu);
		return p ? wbpf_gadget_packet__elem(p, (h >> 16) & IG_MAX_ELEM_IDX) : NULL;
	}
	if (!(e = igh_get(ig, h, IGH_DATA)))
		return NULL;
	return e->type == IGH_PACKET_SINGLE ? wbpf_gadget_packet__data(e->p) : e->p;
}

static bool owns(const struct wbpf_gadget_data *d, const struct wbpf_gadget_field *f)
{
	return f->index < d->ds->nfields && d->ds->fields[f->index] == f;
}

/* ----------------------------------------------------------------- log */

static int h_log(struct wbpf_caller *c, uint64_t *s, void *user)
{
	static const char *const levels[] = {"error", "warn", "info", "debug", "trace"};
	uint32_t lvl = ARG_U32(s, 0), len;
	const char *msg = ig_buf(c, s[1], &len);

	(void)user;
	if (msg && lvl <= 2)
		fprintf(stderr, "operator %s: %.*s\n", levels[lvl], (int)len, msg);
	return 0;
}

static int h_should_log(struct wbpf_caller *c, uint64_t *s, void *user)
{
	(void)c, (void)user;
	return RET32(s, ARG_U32(s, 0) <= 2);
}

/* -------------------------------------------------------------- params */

static const char *param_value(struct gig *ig, struct wbpf_caller *c, uint64_t key_buf)
{
	char *key = ig_str(c, key_buf);
	const char *v = key ? wbpf_gadget__param(ig->op->g, key) : NULL;

	free(key);
	return v;
}

static int h_param_env(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	const char *v = param_value(ig, c, s[0]);

	if (!v)
		return RET64(s, ig_fail(ig, 0, "getParamValue", "no such param"));
	return RET64(s, ig_return_str(ig, c, v, (uint32_t)strlen(v)));
}

static int h_param_ig(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	const char *v = param_value(ig, c, s[0]);

	if (!v)
		return RET32(s, ig_fail(ig, ST_ERR, "getParamValue", "no such param"));
	if (ig_write_str(c, s[1], v))
		return RET32(s, ig_fail(ig, ST_ERR, "getParamValue", "bad or short buffer"));
	return RET32(s, ST_OK);
}

/* --------------------------------------------------------- datasources */

static int h_new_ds(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	uint32_t type = ARG_U32(s, 1);
	struct wbpf_gadget_ds *ds, *old;
	char *name = ig_str(c, s[0]);
	int h = 0;

	if (!name || !*name || (type != WBPF_DS_SINGLE && type != WBPF_DS_ARRAY)) {
		free(name);
		return RET32(s, ig_fail(ig, 0, "newDataSource", "bad name or type %u", type));
	}
	/* IG: a duplicate name replaces the source; the old one lives on
	 * unnamed for the handles that still reach it. */
	if ((old = wbpf_gadget__ds(ig->op->g, name)))
		old->name[0] = '\0';
	if (!wbpf_gadget__new_ds(ig->op->g, name, type, &ds))
		h = igh_add(ig, IGH_DS, ds, false);
	free(name);
	return RET32(s, h ? (uint32_t)h : ig_fail(ig, 0, "newDataSource", "no memory or handles"));
}

static int h_get_ds(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	char *name = ig_str(c, s[0]);
	struct wbpf_gadget_ds *ds = name && *name ? wbpf_gadget__ds(ig->op->g, name) : NULL;
	int h = ds ? igh_add(ig, IGH_DS, ds, false) : 0;

	free(name);
	return RET32(s, h ? (uint32_t)h : ig_fail(ig, 0, "getDataSource", "no such datasource"));
}

static int h_unreference(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct wbpf_gadget_ds *ds = get_ds(user, ARG_U32(s, 0));

	(void)c;
	if (!ds)
		return RET32(s, ig_fail(user, ST_ERR, "dataSourceUnreference", "bad handle"));
	ds->unreferenced = true;
	return RET32(s, ST_OK);
}

static int h_is_referenced(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct wbpf_gadget_ds *ds = get_ds(user, ARG_U32(s, 0));

	(void)c;
	return RET32(s, ds ? !ds->unreferenced : 2);
}

static int h_get_field(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	struct wbpf_gadget_ds *ds = get_ds(ig, ARG_U32(s, 0));
	char *name = ds ? ig_str(c, s[1]) : NULL;
	struct wbpf_gadget_field *f = name ? wbpf_gadget_ds__field(ds, name) : NULL;
	int h = f ? igh_add(ig, IGH_FIELD, f, false) : 0;

	free(name);
	return RET32(s, h ? (uint32_t)h : ig_fail(ig, 0, "dataSourceGetField", "no such field"));
}

static int h_add_field(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	struct wbpf_gadget_ds *ds = get_ds(ig, ARG_U32(s, 0));
	uint32_t kind = ARG_U32(s, 2);
	char *name = ds ? ig_str(c, s[1]) : NULL;
	struct wbpf_gadget_field *f = NULL;
	int h = 0, err = -EBADF;

	if (name && kind <= WBPF_KIND__MAX && kind != WBPF_KIND_INVALID)
		err = wbpf_gadget_ds__add_field(ds, name, kind, &f);
	if (!err)
		h = igh_add(ig, IGH_FIELD, f, false);
	free(name);
	if (!h)
		return RET32(s, ig_fail(ig, 0, "dataSourceAddField", "%s (kind %u)",
					err == -EEXIST ? "duplicate field" : "bad handle, name or kind",
					kind));
	return RET32(s, h);
}

/* ------------------------------------------------------------ packets */

static int new_packet(struct wbpf_caller *c, uint64_t *s, struct gig *ig, int type, const char *fn)
{
	struct wbpf_gadget_ds *ds = get_ds(ig, ARG_U32(s, 0));
	struct wbpf_gadget_packet *p;
	int h;

	(void)c;
	if (!ds || (int)ds->type != type)
		return RET32(s, ig_fail(ig, 0, fn, "bad handle or datasource type"));
	if (!(p = wbpf_gadget_ds__new_packet(ds)))
		return RET32(s, ig_fail(ig, 0, fn, "no memory"));
	h = igh_add(ig, type == WBPF_DS_SINGLE ? IGH_PACKET_SINGLE : IGH_PACKET_ARRAY, p, false);
	if (!h) {
		wbpf_gadget_packet__free(p);
		return RET32(s, ig_fail(ig, 0, fn, "handle table full"));
	}
	return RET32(s, h);
}

static int h_new_single(struct wbpf_caller *c, uint64_t *s, void *user)
{
	return new_packet(c, s, user, WBPF_DS_SINGLE, "dataSourceNewPacketSingle");
}

static int h_new_array(struct wbpf_caller *c, uint64_t *s, void *user)
{
	return new_packet(c, s, user, WBPF_DS_ARRAY, "dataSourceNewPacketArray");
}

static struct igh *get_packet(struct gig *ig, uint32_t h)
{
	struct igh *e = igh_get(ig, h, IGH_PACKET_SINGLE);

	return e ? e : igh_get(ig, h, IGH_PACKET_ARRAY);
}

static int h_emit(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	struct wbpf_gadget_ds *ds = get_ds(ig, ARG_U32(s, 0));
	struct igh *e = get_packet(ig, ARG_U32(s, 1));
	struct wbpf_gadget_packet *p;

	(void)c;
	if (!ds || !e || e->scoped || ((struct wbpf_gadget_packet *)e->p)->ds != ds)
		return RET32(s, ig_fail(ig, ST_ERR, "dataSourceEmitAndRelease", "bad handle"));
	if (ig->op->depth > IG_MAX_NEST)
		return RET32(s, ig_fail(ig, ST_ERR, "dataSourceEmitAndRelease", "emits nested "
					"deeper than %d", IG_MAX_NEST));
	p = e->p;
	igh_del(ig, ARG_U32(s, 1));
	wbpf_gadget_ds__emit(ds, p);
	wbpf_gadget_packet__free(p);
	return RET32(s, ST_OK);
}

/* Releasing the packet a callback was given drops it (wbpf's addition:
 * IG has no way to drop). */
static int h_release(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	struct wbpf_gadget_ds *ds = get_ds(ig, ARG_U32(s, 0));
	struct igh *e = get_packet(ig, ARG_U32(s, 1));
	struct wbpf_gadget_packet *p = e ? e->p : NULL;

	(void)c;
	if (!ds || !p || p->ds != ds)
		return RET32(s, ig_fail(ig, ST_ERR, "dataSourceRelease", "bad handle"));
	if (e->scoped)
		wbpf_gadget_packet__drop(p);
	else
		wbpf_gadget_packet__free(p);
	igh_del(ig, ARG_U32(s, 1));
	return RET32(s, ST_OK);
}

/* --------------------------------------------------------------- arrays */

static int h_array_new(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	struct wbpf_gadget_packet *p = get_array(ig, ARG_U32(s, 0));
	struct wbpf_gadget_data *d;
	int h;

	(void)c;
	if (!p)
		return RET32(s, ig_fail(ig, 0, "dataArrayNew", "bad handle"));
	if (!(d = calloc(1, sizeof(*d))) || gdata_init(d, p->ds)) {
		free(d);
		return RET32(s, ig_fail(ig, 0, "dataArrayNew", "no memory"));
	}
	if (!(h = igh_add(ig, IGH_DATA, d, false))) {
		gdata_fini(d);
		free(d);
		return RET32(s, ig_fail(ig, 0, "dataArrayNew", "handle table full"));
	}
	return RET32(s, h);
}

/* A record made by dataArrayNew: owned by its handle. */
static struct wbpf_gadget_data *own_data(struct gig *ig, uint32_t h)
{
	struct igh *e = (h & IG_ARRAY_ELEM) ? NULL : igh_get(ig, h, IGH_DATA);

	return e && e->type == IGH_DATA && !e->scoped ? e->p : NULL;
}

static int h_array_append(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	struct wbpf_gadget_packet *p = get_array(ig, ARG_U32(s, 0));
	struct wbpf_gadget_data *d = own_data(ig, ARG_U32(s, 1));

	(void)c;
	if (!p || !d || d->ds != p->ds || gpacket_adopt(p, d))
		return RET32(s, ig_fail(ig, ST_ERR, "dataArrayAppend", "bad handle or no memory"));
	igh_del(ig, ARG_U32(s, 1));
	return RET32(s, ST_OK);
}

/* Frees a dataArrayNew record; on an element of the array (dataArrayGet,
 * or a data callback's record) it removes the element: wbpf's per-element
 * drop. */
static int h_array_release(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	uint32_t arr = ARG_U32(s, 0), h = ARG_U32(s, 1);
	struct wbpf_gadget_packet *p = get_array(ig, arr);
	struct wbpf_gadget_data *d = own_data(ig, h);
	struct igh *e;

	(void)c;
	if (p && d) {
		igh_del(ig, h);
		gdata_fini(d);
		free(d);
		return RET32(s, ST_OK);
	}
	if (p && (h & IG_ARRAY_ELEM) && (h & 0xffffu) == arr &&
	    !wbpf_gadget_packet__remove(p, (h >> 16) & IG_MAX_ELEM_IDX))
		return RET32(s, ST_OK);
	if (p && (e = igh_get(ig, h, IGH_DATA)) && e->scoped && e->type == IGH_DATA) {
		for (uint32_t i = 0; i < p->n; i++)
			if (p->elems[i] == e->p) {
				wbpf_gadget_packet__remove(p, i);
				ig->drop_elem = true;
				igh_del(ig, h);
				return RET32(s, ST_OK);
			}
	}
	return RET32(s, ig_fail(ig, ST_ERR, "dataArrayRelease", "bad handle"));
}

static int h_array_len(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct wbpf_gadget_packet *p = get_array(user, ARG_U32(s, 0));

	(void)c;
	return RET32(s, p ? wbpf_gadget_packet__len(p) : 0);
}

static int h_array_get(struct wbpf_caller *c, uint64_t *s, void *user)
{
	uint32_t arr = ARG_U32(s, 0), idx = ARG_U32(s, 1);
	struct wbpf_gadget_packet *p = get_array(user, arr);

	(void)c;
	if (!p || idx > IG_MAX_ELEM_IDX || idx >= p->n || arr > 0xffffu)
		return RET32(s, ig_fail(user, 0, "dataArrayGet", "bad handle or index %u", idx));
	return RET32(s, IG_ARRAY_ELEM | idx << 16 | arr);
}

/* ---------------------------------------------------------------- fields */

static bool is_text(uint32_t kind)
{
	return kind == WBPF_KIND_STRING || kind == WBPF_KIND_CSTRING;
}

/* IG checks access by size, not signedness. */
static bool kind_fits(const struct wbpf_gadget_field *f, uint32_t kind)
{
	uint32_t base = kind & ~WBPF_KIND_ARRAY;

	if (kind & WBPF_KIND_ARRAY)
		return f->array && base <= WBPF_KIND__MAX && gkind_size(base) &&
		       gkind_size(base) == gkind_size(f->kind);
	if (f->array)
		return false;
	if (kind == WBPF_KIND_STRING)
		return is_text(f->kind);
	if (kind == WBPF_KIND_BYTES)
		return is_text(f->kind) || f->kind == WBPF_KIND_BYTES;
	return kind >= WBPF_KIND_BOOL && kind <= WBPF_KIND_FLOAT64 && gkind_size(f->kind) &&
	       gkind_size(kind) == gkind_size(f->kind);
}

static bool signed_kind(uint32_t kind)
{
	return kind >= WBPF_KIND_INT8 && kind <= WBPF_KIND_INT64;
}

/* Resolves (field, data, kind) or says why not. */
static const char *access(struct gig *ig, uint64_t *s, struct wbpf_gadget_field **f,
			  struct wbpf_gadget_data **d)
{
	uint32_t kind = ARG_U32(s, 2);

	if (!(*f = get_field(ig, ARG_U32(s, 0))))
		return "bad field handle";
	if (!(*d = get_data(ig, ARG_U32(s, 1))))
		return "bad data handle";
	if (!owns(*d, *f))
		return "the field is not of the record's datasource";
	if (kind == WBPF_KIND_CSTRING || !kind_fits(*f, kind))
		return "kind does not fit the field";
	return NULL;
}

static uint64_t scalar(const struct wbpf_gadget_field *f, const struct wbpf_gadget_data *d,
		       uint32_t kind)
{
	uint32_t size = gkind_size(kind), len;
	const uint8_t *p = wbpf_gadget_field__bytes(f, d, &len);
	uint64_t v = 0;

	if (len < size)
		return 0;
	memcpy(&v, p, size);
	if (signed_kind(kind) && size < 8 && (v >> (size * 8 - 1)) & 1)
		v |= ~0ull << (size * 8);
	return v;
}

/* The bytes a buffer read returns: text stops at its NUL when read as a
 * string. */
static const uint8_t *value_bytes(const struct wbpf_gadget_field *f,
				  const struct wbpf_gadget_data *d, uint32_t kind, uint32_t *len)
{
	const uint8_t *p = wbpf_gadget_field__bytes(f, d, len);
	const uint8_t *nul;

	if (kind == WBPF_KIND_STRING && (nul = memchr(p, 0, *len)))
		*len = (uint32_t)(nul - p);
	return p;
}

static bool buf_kind(uint32_t kind)
{
	return kind == WBPF_KIND_STRING || kind == WBPF_KIND_BYTES || (kind & WBPF_KIND_ARRAY);
}

static int h_field_get(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	uint32_t kind = ARG_U32(s, 2), len;
	struct wbpf_gadget_field *f;
	struct wbpf_gadget_data *d;
	const char *why = access(ig, s, &f, &d);
	const uint8_t *p;

	if (why)
		return RET64(s, ig_fail(ig, 0, "fieldGet", "%s", why));
	if (!buf_kind(kind))
		return RET64(s, scalar(f, d, kind));
	p = value_bytes(f, d, kind, &len);
	return RET64(s, ig_return_str(ig, c, p, len));
}

static int h_field_get_scalar(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	uint32_t kind = ARG_U32(s, 2), errp = ARG_U32(s, 3), one = 1;
	struct wbpf_gadget_field *f;
	struct wbpf_gadget_data *d;
	const char *why = access(ig, s, &f, &d);
	void *ep;

	if (!why && buf_kind(kind))
		why = "not a scalar kind";
	if (!why)
		return RET64(s, scalar(f, d, kind));
	ig_fail(ig, 0, "fieldGetScalar", "%s", why);
	if (errp) {
		if (!(ep = wbpf_caller__mem(c, errp, 4)))
			return wbpf_caller__trap(c, "fieldGetScalar: error pointer %#x is out of "
						 "bounds", errp);
		memcpy(ep, &one, 4);
	}
	return RET64(s, 0);
}

/* fieldGetToBuffer (env: count, 0 on error) and fieldGetBuffer (ig:
 * count, -1 on error). */
static int get_buffer(struct wbpf_caller *c, uint64_t *s, struct gig *ig, const char *fn,
		      uint32_t err_ret)
{
	uint32_t kind = ARG_U32(s, 2), len, cap;
	struct wbpf_gadget_field *f;
	struct wbpf_gadget_data *d;
	const char *why = access(ig, s, &f, &d);
	const uint8_t *p;
	void *dst;

	if (!why && !buf_kind(kind))
		why = "not a string, bytes or array kind";
	if (why)
		return RET32(s, ig_fail(ig, err_ret, fn, "%s", why));
	p = ig->env ? value_bytes(f, d, kind, &len) : wbpf_gadget_field__bytes(f, d, &len);
	if (!(dst = ig_buf(c, s[3], &cap)) || cap < len)
		return RET32(s, ig_fail(ig, err_ret, fn, "destination out of bounds or shorter "
					"than %u bytes", len));
	memcpy(dst, p, len);
	return RET32(s, len);
}

static int h_field_get_to_buffer(struct wbpf_caller *c, uint64_t *s, void *user)
{
	return get_buffer(c, s, user, "fieldGetToBuffer", 0);
}

static int h_field_get_buffer(struct wbpf_caller *c, uint64_t *s, void *user)
{
	return get_buffer(c, s, user, "fieldGetBuffer", (uint32_t)-1);
}

/* Static fields take exactly their size; strings may be shorter. */
static const char *set_value(struct wbpf_caller *c, uint64_t *s, struct wbpf_gadget_field *f,
			     struct wbpf_gadget_data *d)
{
	uint32_t kind = ARG_U32(s, 2), len, esz = gkind_size(kind & ~WBPF_KIND_ARRAY);
	const void *p;

	if (!buf_kind(kind))
		return wbpf_gadget_field__set_u64(f, d, s[3]) ? "no memory" : NULL;
	if (!(p = ig_buf(c, s[3], &len)))
		return "value out of bounds";
	if ((kind & WBPF_KIND_ARRAY) && len % esz)
		return "array value is not a whole number of elements";
	if ((f->flags & WBPF_FIELD_STATIC) && (is_text(f->kind) ? len > f->size : len != f->size))
		return "value does not match the eBPF field's size";
	return wbpf_gadget_field__set_bytes(f, d, p, len) ? "no memory" : NULL;
}

static int h_field_set(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	struct wbpf_gadget_field *f;
	struct wbpf_gadget_data *d;
	const char *why = access(ig, s, &f, &d);

	if (!why)
		why = set_value(c, s, f, d);
	if (why)
		return RET32(s, ig_fail(ig, ST_ERR, "fieldSet", "%s", why));
	/* env: IG never writes the result, so the guest sees arg0 (the
	 * field handle); ig returns 0. */
	return ig->env ? 0 : RET32(s, ST_OK);
}

static int h_field_add_tag(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	struct wbpf_gadget_field *f = get_field(ig, ARG_U32(s, 0));
	char *tag = f ? ig_str(c, s[1]) : NULL;
	int err = tag ? wbpf_gadget_field__add_tag(f, tag) : -EBADF;

	free(tag);
	return RET32(s, err ? ig_fail(ig, ST_ERR, "fieldAddTag", "bad handle or tag") : ST_OK);
}

/* ------------------------------------------------------------ callbacks */

static void call_guest(struct gig *ig, const struct igsub *sub, int data)
{
	struct wbpf_val args[3] = {
		{.type = WBPF_I64, .of.i64 = sub->cb},
		{.type = WBPF_I32, .of.i32 = (uint32_t)sub->ds_handle},
		{.type = WBPF_I32, .of.i32 = (uint32_t)data},
	};
	struct wbpf_error err = {0};

	if (gop_call_func(ig->op, ig->callback, args, 3, NULL, 0, &err))
		gop_callback_failed(ig->op, "dataSourceCallback", &err);
}

/* One call with a handle lent for its duration (0 when the table is full,
 * as IG does). */
static void call_with(struct gig *ig, const struct igsub *sub, enum igh_type type, void *p)
{
	int h = igh_add(ig, type, p, true);

	call_guest(ig, sub, h);
	if (h && ig->h[h].p == p && ig->h[h].type == type)
		igh_del(ig, (uint32_t)h);
}

static int ig_sub(void *ctx, struct wbpf_gadget_ds *ds, struct wbpf_gadget_packet *p)
{
	struct igsub *sub = ctx;
	struct gig *ig = sub->ig;

	if (ig->op->dead)
		return 0;
	if (sub->type == 3)
		call_with(ig, sub, ds->type == WBPF_DS_SINGLE ? IGH_PACKET_SINGLE : IGH_PACKET_ARRAY, p);
	else if (sub->type == 2)
		call_with(ig, sub, IGH_ARRAY, p);
	else if (ds->type == WBPF_DS_SINGLE)
		call_with(ig, sub, IGH_DATA, &p->single);
	else
		for (uint32_t i = 0; i < p->n;) { /* data on an array: once per element */
			ig->drop_elem = false;
			call_with(ig, sub, IGH_DATA, p->elems[i]);
			i += !ig->drop_elem;
		}
	return p->dropped ? 1 : 0;
}

static int h_subscribe(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	uint32_t dsh = ARG_U32(s, 0), type = ARG_U32(s, 1);
	struct wbpf_gadget_ds *ds = get_ds(ig, dsh);
	struct igsub *sub, **subs;

	(void)c;
	if (!ds || type < 1 || type > 3 || (type == 2 && ds->type != WBPF_DS_ARRAY))
		return RET32(s, ig_fail(ig, ST_ERR, "dataSourceSubscribe", "bad handle or type %u",
					type));
	if (!ig->callback)
		return RET32(s, ig_fail(ig, ST_ERR, "dataSourceSubscribe", "the module exports no "
					"dataSourceCallback(i64, i32, i32)"));
	sub = calloc(1, sizeof(*sub));
	subs = sub ? realloc(ig->subs, (ig->nsubs + 1) * sizeof(*subs)) : NULL;
	if (!subs) {
		free(sub);
		return RET32(s, ig_fail(ig, ST_ERR, "dataSourceSubscribe", "no memory"));
	}
	ig->subs = subs;
	subs[ig->nsubs++] = sub;
	/* Its own handle: the guest may release the one it passed. */
	*sub = (struct igsub){ig, s[3], (int)type, igh_add(ig, IGH_DS, ds, false)};
	if (wbpf_gadget_ds__subscribe(ds, ARG_I32(s, 2), ig_sub, sub))
		return RET32(s, ig_fail(ig, ST_ERR, "dataSourceSubscribe", "no memory"));
	return RET32(s, ST_OK);
}

/* --------------------------------------------------------------- module */

static int h_release_handle(struct wbpf_caller *c, uint64_t *s, void *user)
{
	struct gig *ig = user;
	uint32_t h = ARG_U32(s, 0);

	(void)c;
	if (h == 0 || h > IG_MAX_HANDLES || ig->h[h].type == IGH_FREE)
		return RET32(s, ig_fail(ig, ST_ERR, "releaseHandle", "bad handle"));
	igh_del(ig, h);
	return RET32(s, ST_OK);
}

static const struct abi_func common[] = {
	{"gadgetLog", "(iI)", h_log},
	{"newDataSource", "(Ii)i", h_new_ds},
	{"getDataSource", "(I)i", h_get_ds},
	{"dataSourceSubscribe", "(iiiI)i", h_subscribe},
	{"dataSourceGetField", "(iI)i", h_get_field},
	{"dataSourceAddField", "(iIi)i", h_add_field},
	{"dataSourceNewPacketSingle", "(i)i", h_new_single},
	{"dataSourceNewPacketArray", "(i)i", h_new_array},
	{"dataSourceEmitAndRelease", "(ii)i", h_emit},
	{"dataSourceRelease", "(ii)i", h_release},
	{"dataSourceUnreference", "(i)i", h_unreference},
	{"dataSourceIsReferenced", "(i)i", h_is_referenced},
	{"dataArrayNew", "(i)i", h_array_new},
	{"dataArrayAppend", "(ii)i", h_array_append},
	{"dataArrayRelease", "(ii)i", h_array_release},
	{"dataArrayLen", "(i)i", h_array_len},
	{"dataArrayGet", "(ii)i", h_array_get},
	{"fieldSet", "(iiiI)i", h_field_set},
	{"fieldAddTag", "(iI)i", h_field_add_tag},
	{"releaseHandle", "(i)i", h_release_handle},
};

static const struct abi_func env_only[] = {
	{"fieldGet", "(iii)I", h_field_get},
	{"fieldGetToBuffer", "(iiiI)i", h_field_get_to_buffer},
	{"getParamValue", "(I)I", h_param_env},
};

static const struct abi_func ig_only[] = {
	{"fieldGetScalar", "(iiii)I", h_field_get_scalar},
	{"fieldGetBuffer", "(iiiI)i", h_field_get_buffer},
	{"getParamValue", "(II)i", h_param_ig},
	{"gadgetShouldLog", "(i)i", h_should_log},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

int gig_define(struct gop *op, bool env)
{
	const char *module = env ? "env" : "ig";
	struct gig *ig = calloc(1, sizeof(*ig));
	int err;

	if (!ig)
		return -ENOMEM;
	ig->op = op;
	ig->env = env;
	ig->hint = 1;
	op->ig = ig;
	err = abi_define(op->store, module, common, N(common), ig);
	if (!err)
		err = env ? abi_define(op->store, module, env_only, N(env_only), ig) :
			    abi_define(op->store, module, ig_only, N(ig_only), ig);
	if (!err)
		err = gig_define_sys(op->store, module, ig);
	return err;
}

/* After instantiation: the exports the host calls. */
int gig_bind(struct gig *ig)
{
	struct wbpf_func *fn = wbpf_instance__func(ig->op->inst, "dataSourceCallback");
	struct wbpf_functype ft;

	if (fn) {
		wbpf_func__type(fn, &ft);
		if (ft.nparams == 3 && ft.nresults == 0 && ft.params[0] == WBPF_I64 &&
		    ft.params[1] == WBPF_I32 && ft.params[2] == WBPF_I32)
			ig->callback = fn;
	}
	fn = wbpf_instance__func(ig->op->inst, "malloc");
	if (fn) {
		wbpf_func__type(fn, &ft);
		if (ft.nparams == 1 && ft.nresults == 1 && ft.params[0] == WBPF_I32 &&
		    ft.results[0] == WBPF_I32)
			ig->malloc_fn = fn;
	}
	if (ig->env && !ig->malloc_fn)
		return gerr(ig->op->g, -EINVAL, "operator: an `env` (IG 2025-02) module must export "
			    "malloc(i32) -> i32");
	return 0;
}

void gig_free(struct gig *ig)
{
	if (!ig)
		return;
	gig_free_sys(ig);
	for (uint32_t h = 1; h <= IG_MAX_HANDLES; h++) {
		struct igh *e = &ig->h[h];

		if (e->scoped)
			continue;
		if (e->type == IGH_PACKET_SINGLE || e->type == IGH_PACKET_ARRAY) {
			wbpf_gadget_packet__free(e->p);
		} else if (e->type == IGH_DATA) {
			gdata_fini(e->p);
			free(e->p);
		}
	}
	for (size_t i = 0; i < ig->nsubs; i++)
		free(ig->subs[i]);
	free(ig->subs);
	free(ig);
}
