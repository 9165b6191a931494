// SPDX-License-Identifier: MIT
/*
 * Datasources, their fields, and the packets of records subscribers see.
 * A record is the eBPF struct's bytes (static fields read them in place)
 * plus one value slot per dynamic field; packets and their records are
 * reused from one event to the next, so steady state allocates nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gadget/internal.h"

static const char *const kind_names[] = {
	"invalid", "bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
	"uint32", "uint64", "float32", "float64", "string", "cstring", "bytes",
};

const char *gkind_str(uint32_t kind)
{
	return kind <= WBPF_KIND__MAX ? kind_names[kind] : "invalid";
}

uint32_t gkind_size(uint32_t kind)
{
	static const uint8_t sizes[] = {0, 1, 1, 2, 4, 8, 1, 2, 4, 8, 4, 8, 0, 0, 0};

	return kind <= WBPF_KIND__MAX ? sizes[kind] : 0;
}

struct wbpf_gadget_ds *gds_new(struct wbpf_gadget *g, const char *name,
			       enum wbpf_gadget_ds_type type, enum gds_origin origin)
{
	struct wbpf_gadget_ds *ds;

	if (g->nds == g->ds_cap) {
		size_t cap = g->ds_cap ? g->ds_cap * 2 : 4;
		void *p = realloc(g->ds, cap * sizeof(*g->ds));

		if (!p)
			return NULL;
		g->ds = p;
		g->ds_cap = cap;
	}
	if (!(ds = calloc(1, sizeof(*ds))) || !(ds->name = strdup(name))) {
		free(ds);
		return NULL;
	}
	ds->g = g;
	ds->type = type;
	ds->origin = origin;
	g->ds[g->nds++] = ds;
	return ds;
}

static void field_free(struct wbpf_gadget_field *f)
{
	free(f->name);
	free(f->type_name);
	gkvs_free(&f->annots);
	for (size_t i = 0; i < f->ntags; i++)
		free(f->tags[i]);
	free(f->tags);
	for (size_t i = 0; i < f->nenums; i++)
		free(f->enums[i].name);
	free(f->enums);
	free(f);
}

void gds_free(struct wbpf_gadget_ds *ds)
{
	if (!ds)
		return;
	wbpf_gadget_packet__free(ds->pkt);
	for (size_t i = 0; i < ds->nfields; i++)
		field_free(ds->fields[i]);
	free(ds->fields);
	free(ds->subs);
	gkvs_free(&ds->annots);
	free(ds->name);
	free(ds->map_name);
	free(ds->struct_name);
	free(ds);
}

struct wbpf_gadget_field *gds_add(struct wbpf_gadget_ds *ds, const char *name, uint32_t kind,
				  uint32_t flags)
{
	struct wbpf_gadget_field *f;

	if (wbpf_gadget_ds__field(ds, name))
		return NULL;
	if (ds->nfields == ds->fields_cap) {
		size_t cap = ds->fields_cap ? ds->fields_cap * 2 : 16;
		void *p = realloc(ds->fields, cap * sizeof(*ds->fields));

		if (!p)
			return NULL;
		ds->fields = p;
		ds->fields_cap = cap;
	}
	if (!(f = calloc(1, sizeof(*f))) || !(f->name = strdup(name))) {
		free(f);
		return NULL;
	}
	f->kind = kind & ~WBPF_KIND_ARRAY;
	f->array = kind & WBPF_KIND_ARRAY;
	f->flags = flags;
	f->index = (uint32_t)ds->nfields;
	if (!(flags & WBPF_FIELD_STATIC))
		f->slot = ds->ndyn++;
	ds->fields[ds->nfields++] = f;
	return f;
}

/* ---------------------------------------------------------------- data */

int gdata_init(struct wbpf_gadget_data *d, struct wbpf_gadget_ds *ds)
{
	d->ds = ds;
	d->raw = calloc(1, ds->raw_size ? ds->raw_size : 1);
	return d->raw ? 0 : -ENOMEM;
}

void gdata_reset(struct wbpf_gadget_data *d)
{
	for (uint32_t i = 0; i < d->ndyn; i++)
		d->dyn[i].len = 0;
}

void gdata_fini(struct wbpf_gadget_data *d)
{
	for (uint32_t i = 0; i < d->ndyn; i++)
		free(d->dyn[i].p);
	free(d->dyn);
	free(d->raw);
	*d = (struct wbpf_gadget_data){0};
}

/* The slot of a dynamic field; fields added after the record was made
 * get their slot on first use. */
static struct gdyn *dyn_slot(struct wbpf_gadget_data *d, uint32_t slot)
{
	if (slot >= d->ndyn) {
		uint32_t n = d->ds->ndyn > slot ? d->ds->ndyn : slot + 1;
		struct gdyn *p = realloc(d->dyn, n * sizeof(*p));

		if (!p)
			return NULL;
		memset(p + d->ndyn, 0, (n - d->ndyn) * sizeof(*p));
		d->dyn = p;
		d->ndyn = n;
	}
	return &d->dyn[slot];
}

const void *wbpf_gadget_field__bytes(const struct wbpf_gadget_field *f,
				     const struct wbpf_gadget_data *d, uint32_t *len)
{
	if (f->flags & WBPF_FIELD_STATIC) {
		*len = f->size;
		return d->raw + f->offs;
	}
	if (f->slot >= d->ndyn) {
		*len = 0;
		return "";
	}
	*len = d->dyn[f->slot].len;
	return d->dyn[f->slot].p ? d->dyn[f->slot].p : (const uint8_t *)"";
}

static bool kind_signed(uint32_t kind)
{
	return kind >= WBPF_KIND_INT8 && kind <= WBPF_KIND_INT64;
}

int wbpf_gadget_field__get_u64(const struct wbpf_gadget_field *f,
			       const struct wbpf_gadget_data *d, uint64_t *out)
{
	uint32_t size = gkind_size(f->kind), len;
	const uint8_t *p;
	uint64_t v = 0;

	if (!size || f->array)
		return -EINVAL;
	p = wbpf_gadget_field__bytes(f, d, &len);
	if (len < size) {
		*out = 0;
		return 0;
	}
	memcpy(&v, p, size); /* little-endian host */
	if (kind_signed(f->kind) && size < 8 && (v >> (size * 8 - 1)) & 1)
		v |= ~0ull << (size * 8);
	*out = v;
	return 0;
}

int wbpf_gadget_field__set_bytes(const struct wbpf_gadget_field *f, struct wbpf_gadget_data *d,
				 const void *buf, uint32_t len)
{
	struct gdyn *s;

	if (f->flags & WBPF_FIELD_STATIC) {
		uint32_t n = len < f->size ? len : f->size;

		memcpy(d->raw + f->offs, buf, n);
		memset(d->raw + f->offs + n, 0, f->size - n);
		return 0;
	}
	if (!(s = dyn_slot(d, f->slot)))
		return -ENOMEM;
	if (len > s->cap) {
		uint32_t cap = len < 16 ? 16 : len;
		void *p = realloc(s->p, cap);

		if (!p)
			return -ENOMEM;
		s->p = p;
		s->cap = cap;
	}
	if (len)
		memcpy(s->p, buf, len);
	s->len = len;
	return 0;
}

int wbpf_gadget_field__set_u64(const struct wbpf_gadget_field *f, struct wbpf_gadget_data *d,
			       uint64_t v)
{
	uint32_t size = gkind_size(f->kind);

	if (!size || f->array)
		return -EINVAL;
	return wbpf_gadget_field__set_bytes(f, d, &v, size);
}

/* ------------------------------------------------------------- packets */

struct wbpf_gadget_packet *wbpf_gadget_ds__new_packet(struct wbpf_gadget_ds *ds)
{
	struct wbpf_gadget_packet *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->ds = ds;
	if (ds->type == WBPF_DS_SINGLE && gdata_init(&p->single, ds)) {
		free(p);
		return NULL;
	}
	return p;
}

void wbpf_gadget_packet__free(struct wbpf_gadget_packet *p)
{
	if (!p)
		return;
	gdata_fini(&p->single);
	for (uint32_t i = 0; i < p->cap && p->elems; i++) {
		if (!p->elems[i])
			continue;
		gdata_fini(p->elems[i]);
		free(p->elems[i]);
	}
	free(p->elems);
	free(p);
}

struct wbpf_gadget_ds *wbpf_gadget_packet__ds(const struct wbpf_gadget_packet *p)
{
	return p->ds;
}

struct wbpf_gadget_data *wbpf_gadget_packet__data(struct wbpf_gadget_packet *p)
{
	return p->ds->type == WBPF_DS_SINGLE ? &p->single : NULL;
}

uint32_t wbpf_gadget_packet__len(const struct wbpf_gadget_packet *p)
{
	return p->n;
}

struct wbpf_gadget_data *wbpf_gadget_packet__elem(struct wbpf_gadget_packet *p, uint32_t i)
{
	return i < p->n ? p->elems[i] : NULL;
}

/* Elements past n stay allocated for reuse. */
struct wbpf_gadget_data *wbpf_gadget_packet__append(struct wbpf_gadget_packet *p)
{
	struct wbpf_gadget_data *d;

	if (p->ds->type != WBPF_DS_ARRAY)
		return NULL;
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 16;
		void *q = realloc(p->elems, cap * sizeof(*p->elems));

		if (!q)
			return NULL;
		p->elems = q;
		memset(p->elems + p->cap, 0, (cap - p->cap) * sizeof(*p->elems));
		p->cap = cap;
	}
	if (!p->elems[p->n]) {
		if (!(d = calloc(1, sizeof(*d))) || gdata_init(d, p->ds)) {
			free(d);
			return NULL;
		}
		p->elems[p->n] = d;
	}
	d = p->elems[p->n++];
	memset(d->raw, 0, p->ds->raw_size);
	gdata_reset(d);
	return d;
}

int gpacket_adopt(struct wbpf_gadget_packet *p, struct wbpf_gadget_data *d)
{
	struct wbpf_gadget_data *spare;

	if (!wbpf_gadget_packet__append(p))
		return -ENOMEM;
	spare = p->elems[p->n - 1];
	p->elems[p->n - 1] = d;
	gdata_fini(spare);
	free(spare);
	return 0;
}

int wbpf_gadget_packet__remove(struct wbpf_gadget_packet *p, uint32_t i)
{
	struct wbpf_gadget_data *d;

	if (i >= p->n)
		return -EINVAL;
	d = p->elems[i];
	memmove(p->elems + i, p->elems + i + 1, (p->n - i - 1) * sizeof(*p->elems));
	p->elems[--p->n] = d;
	return 0;
}

void wbpf_gadget_packet__drop(struct wbpf_gadget_packet *p)
{
	p->dropped = true;
}

bool wbpf_gadget_packet__dropped(const struct wbpf_gadget_packet *p)
{
	return p->dropped;
}

/* --------------------------------------------------------- subscribers */

int wbpf_gadget_ds__subscribe(struct wbpf_gadget_ds *ds, int prio, wbpf_gadget_sub_fn fn,
			      void *ctx)
{
	struct gsub *s = realloc(ds->subs, (ds->nsubs + 1) * sizeof(*s));
	size_t i;

	if (!s)
		return -ENOMEM;
	ds->subs = s;
	/* Stable: equal priorities run in subscription order. */
	for (i = ds->nsubs; i > 0 && s[i - 1].prio > prio; i--)
		s[i] = s[i - 1];
	s[i] = (struct gsub){prio, ds->sub_seq++, fn, ctx};
	ds->nsubs++;
	return 0;
}

int wbpf_gadget_ds__emit(struct wbpf_gadget_ds *ds, struct wbpf_gadget_packet *p)
{
	int ret;

	p->dropped = false;
	for (size_t i = 0; i < ds->nsubs && !p->dropped; i++) {
		ret = ds->subs[i].fn(ds->subs[i].ctx, ds, p);
		if (ret > 0)
			p->dropped = true;
		else if (ret < 0)
			ds->g->stats.operator_errors++;
	}
	if (p->dropped)
		ds->g->stats.dropped++;
	return 0;
}

/* -------------------------------------------------------------- getters */

const char *wbpf_gadget_ds__name(const struct wbpf_gadget_ds *ds)
{
	return ds->name;
}

enum wbpf_gadget_ds_type wbpf_gadget_ds__type(const struct wbpf_gadget_ds *ds)
{
	return ds->type;
}

const char *wbpf_gadget_ds__origin(const struct wbpf_gadget_ds *ds, const char **map)
{
	static const char *const names[] = {"tracer", "snapshotter", "mapiter", "operator"};

	if (map)
		*map = ds->map_name ? ds->map_name : "";
	return names[ds->origin];
}

const char *wbpf_gadget_ds__annotation(const struct wbpf_gadget_ds *ds, const char *key)
{
	return gkvs_get(&ds->annots, key);
}

size_t wbpf_gadget_ds__field_count(const struct wbpf_gadget_ds *ds)
{
	return ds->nfields;
}

struct wbpf_gadget_field *wbpf_gadget_ds__field_at(const struct wbpf_gadget_ds *ds, size_t i)
{
	return i < ds->nfields ? ds->fields[i] : NULL;
}

struct wbpf_gadget_field *wbpf_gadget_ds__field(const struct wbpf_gadget_ds *ds, const char *name)
{
	for (size_t i = 0; i < ds->nfields; i++)
		if (!strcmp(ds->fields[i]->name, name))
			return ds->fields[i];
	return NULL;
}

int wbpf_gadget_ds__add_field(struct wbpf_gadget_ds *ds, const char *name, uint32_t kind,
			      struct wbpf_gadget_field **out)
{
	struct wbpf_gadget_field *f;

	if ((kind & ~WBPF_KIND_ARRAY) > WBPF_KIND__MAX || !*name)
		return -EINVAL;
	if (wbpf_gadget_ds__field(ds, name))
		return -EEXIST;
	if (!(f = gds_add(ds, name, kind, 0)))
		return -ENOMEM;
	if (gfield_annotate(ds->g, ds, f))
		return -ENOMEM;
	if (out)
		*out = f;
	return 0;
}

const char *wbpf_gadget_field__name(const struct wbpf_gadget_field *f)
{
	return f->name;
}

uint32_t wbpf_gadget_field__kind(const struct wbpf_gadget_field *f)
{
	return f->kind | (f->array ? WBPF_KIND_ARRAY : 0);
}

uint32_t wbpf_gadget_field__flags(const struct wbpf_gadget_field *f)
{
	return f->flags;
}

uint32_t wbpf_gadget_field__size(const struct wbpf_gadget_field *f)
{
	return f->flags & WBPF_FIELD_STATIC ? f->size : 0;
}

uint32_t wbpf_gadget_field__offset(const struct wbpf_gadget_field *f)
{
	return f->flags & WBPF_FIELD_STATIC ? f->offs : 0;
}

const char *wbpf_gadget_field__annotation(const struct wbpf_gadget_field *f, const char *key)
{
	return gkvs_get(&f->annots, key);
}

size_t wbpf_gadget_field__annotation_count(const struct wbpf_gadget_field *f)
{
	return f->annots.n;
}

void wbpf_gadget_field__annotation_at(const struct wbpf_gadget_field *f, size_t i,
				      const char **key, const char **value)
{
	*key = i < f->annots.n ? f->annots.v[i].key : NULL;
	*value = i < f->annots.n ? f->annots.v[i].val : NULL;
}

size_t wbpf_gadget_field__tag_count(const struct wbpf_gadget_field *f)
{
	return f->ntags;
}

const char *wbpf_gadget_field__tag_at(const struct wbpf_gadget_field *f, size_t i)
{
	return i < f->ntags ? f->tags[i] : NULL;
}

int wbpf_gadget_field__add_tag(struct wbpf_gadget_field *f, const char *tag)
{
	char **t = realloc(f->tags, (f->ntags + 1) * sizeof(*t));

	if (!t)
		return -ENOMEM;
	f->tags = t;
	if (!(t[f->ntags] = strdup(tag)))
		return -ENOMEM;
	f->ntags++;
	return 0;
}

void wbpf_gadget_field__set_hidden(struct wbpf_gadget_field *f, bool hidden)
{
	f->flags = hidden ? f->flags | WBPF_FIELD_HIDDEN : f->flags & ~WBPF_FIELD_HIDDEN;
}

int wbpf_gadget_field__format(const struct wbpf_gadget_field *f, const struct wbpf_gadget_data *d,
			      char *buf, size_t size)
{
	return gformat_field(f, d, buf, size);
}
