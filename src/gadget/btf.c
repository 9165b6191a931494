// SPDX-License-Identifier: MIT
/*
 * What a gadget's BPF object produces, read from its BTF: Inspektor
 * Gadget's marker globals (gadget_tracer_*, gadget_snapshotter_*,
 * gadget_mapiter_*, gadget_param_*; parts separated by "___") and the
 * structs they name, whose members become fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "gadget/internal.h"

#define NAME_MAX_LEN 256
/* A struct nested deeper than this is a loop or an attack. */
#define MAX_NEST 16

/* Skips typedefs and qualifiers; *tname gets the outermost typedef. */
static const struct btf_type *resolve(const struct btf *btf, uint32_t id, const char **tname)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t) || btf_is_type_tag(t))) {
		if (btf_is_typedef(t) && tname && !*tname)
			*tname = btf__name_by_offset(btf, t->name_off);
		t = btf__type_by_id(btf, t->type);
	}
	return t;
}

/* The first typedef named gadget_* on the way down: the formatting hint. */
static const char *gadget_typedef(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t) || btf_is_type_tag(t))) {
		const char *n = btf__name_by_offset(btf, t->name_off);

		if (btf_is_typedef(t) && !strncmp(n, "gadget_", 7))
			return n;
		t = btf__type_by_id(btf, t->type);
	}
	return NULL;
}

/* An integer of 1, 2, 4 or 8 bytes; any other size stays bytes. */
static uint32_t sized_int_kind(uint32_t size, bool sign)
{
	switch (size) {
	case 1: return sign ? WBPF_KIND_INT8 : WBPF_KIND_UINT8;
	case 2: return sign ? WBPF_KIND_INT16 : WBPF_KIND_UINT16;
	case 4: return sign ? WBPF_KIND_INT32 : WBPF_KIND_UINT32;
	case 8: return sign ? WBPF_KIND_INT64 : WBPF_KIND_UINT64;
	}
	return WBPF_KIND_BYTES;
}

static uint32_t int_kind(const struct btf_type *t)
{
	uint8_t enc = btf_int_encoding(t);
	bool sign = enc & BTF_INT_SIGNED;

	if (enc & BTF_INT_BOOL)
		return WBPF_KIND_BOOL;
	return sized_int_kind(t->size, sign);
}

static uint32_t scalar_kind(const struct btf_type *t)
{
	if (btf_is_int(t))
		return int_kind(t);
	if (btf_is_float(t))
		return t->size == 4 ? WBPF_KIND_FLOAT32 : WBPF_KIND_FLOAT64;
	if (btf_is_ptr(t))
		return WBPF_KIND_UINT64;
	if (btf_is_any_enum(t))
		return sized_int_kind(t->size, btf_kflag(t));
	return WBPF_KIND_BYTES;
}

static int copy_enum(struct wbpf_gadget_field *f, const struct btf *btf, const struct btf_type *t)
{
	uint16_t n = btf_vlen(t);

	if (!(f->enums = calloc(n ? n : 1, sizeof(*f->enums))))
		return -ENOMEM;
	for (uint16_t i = 0; i < n; i++) {
		const char *name;
		int64_t val;

		if (btf_is_enum(t)) {
			name = btf__name_by_offset(btf, btf_enum(t)[i].name_off);
			val = btf_kflag(t) ? btf_enum(t)[i].val : (uint32_t)btf_enum(t)[i].val;
		} else {
			name = btf__name_by_offset(btf, btf_enum64(t)[i].name_off);
			val = (int64_t)btf_enum64_value(btf_enum64(t) + i);
		}
		if (!(f->enums[i].name = strdup(name)))
			return -ENOMEM;
		f->enums[i].val = val;
		f->nenums++;
	}
	return 0;
}

static bool is_char(const struct btf_type *t)
{
	return t && btf_is_int(t) && t->size == 1 && (btf_int_encoding(t) & BTF_INT_SIGNED);
}

struct walk {
	struct wbpf_gadget *g;
	struct wbpf_gadget_ds *ds;
	const struct btf *btf;
	int depth;
};

static int add_members(struct walk *w, const struct btf_type *st, const char *prefix,
		       uint32_t base);

static int tag_field(struct wbpf_gadget_field *f, const char *tname, const char *member)
{
	char tag[NAME_MAX_LEN + 8];
	int err = wbpf_gadget_field__add_tag(f, "src:ebpf");

	snprintf(tag, sizeof(tag), "name:%s", member);
	if (!err)
		err = wbpf_gadget_field__add_tag(f, tag);
	if (!err && tname) {
		snprintf(tag, sizeof(tag), "type:%s", tname);
		err = wbpf_gadget_field__add_tag(f, tag);
		if (!err && !(f->type_name = strdup(tname)))
			err = -ENOMEM;
	}
	return err;
}

/* An array member: char[] is a string, anything else an array of its
 * element kind (structs and nested arrays stay bytes). */
static uint32_t array_kind(const struct btf *btf, const struct btf_type *t, uint32_t *elem)
{
	const struct btf_array *a = btf_array(t);
	const struct btf_type *et = resolve(btf, a->type, NULL);
	uint32_t k;

	*elem = 0;
	if (is_char(et))
		return WBPF_KIND_CSTRING;
	if (!et || btf_is_composite(et) || btf_is_array(et))
		return WBPF_KIND_BYTES;
	k = scalar_kind(et);
	if (k == WBPF_KIND_BYTES)
		return k;
	*elem = gkind_size(k);
	return k | WBPF_KIND_ARRAY;
}

static int add_member(struct walk *w, const struct btf_member *m, const struct btf_type *st,
		      const char *prefix, uint32_t base, uint32_t idx)
{
	const char *member = btf__name_by_offset(w->btf, m->name_off), *tname = NULL;
	const struct btf_type *t = resolve(w->btf, m->type, &tname);
	uint32_t off = base + btf_member_bit_offset(st, idx) / 8, kind, elem = 0, flags;
	char name[NAME_MAX_LEN];
	struct wbpf_gadget_field *f;
	__s64 size;
	int err;

	if (!t || btf_member_bitfield_size(st, idx))
		return 0; /* bitfields have no byte address: not a field */
	if (!*member && btf_is_composite(t)) /* anonymous: members join the parent */
		return add_members(w, t, prefix, off);
	if (!strncmp(member, "__", 2))
		return 0;
	snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", member);
	size = btf__resolve_size(w->btf, m->type);
	if (size <= 0)
		return 0;
	flags = WBPF_FIELD_STATIC;
	if (btf_is_array(t))
		kind = array_kind(w->btf, t, &elem);
	else if (btf_is_composite(t))
		kind = WBPF_KIND_BYTES, flags |= WBPF_FIELD_PARENT | WBPF_FIELD_HIDDEN;
	else
		kind = scalar_kind(t);
	if (!(f = gds_add(w->ds, name, kind, flags)))
		return gerr(w->g, -EINVAL, "%s: field '%s' twice (or no memory)", w->ds->name, name);
	f->offs = off;
	f->size = (uint32_t)size;
	f->elem_size = elem;
	if (btf_is_array(t)) /* gadget_comm comm[16]: the element's typedef */
		tname = gadget_typedef(w->btf, btf_array(t)->type);
	else if (gadget_typedef(w->btf, m->type))
		tname = gadget_typedef(w->btf, m->type);
	if ((err = tag_field(f, tname, member)))
		return err;
	if (btf_is_any_enum(t) && (err = copy_enum(f, w->btf, t)))
		return err;
	if (btf_is_composite(t))
		return add_members(w, t, name, off);
	return 0;
}

static int add_members(struct walk *w, const struct btf_type *st, const char *prefix,
		       uint32_t base)
{
	const struct btf_member *m = btf_members(st);
	int err = 0;

	if (++w->depth > MAX_NEST)
		return gerr(w->g, -ELOOP, "%s: structs nested too deep", w->ds->name);
	for (uint16_t i = 0; i < btf_vlen(st) && !err; i++)
		err = add_member(w, m + i, st, prefix, base, i);
	w->depth--;
	return err;
}

/* struct `name` (or a typedef of one). */
static const struct btf_type *find_struct(const struct btf *btf, const char *name)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);

	if (id < 0)
		id = btf__find_by_name_kind(btf, name, BTF_KIND_UNION);
	if (id < 0)
		id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return NULL;
	return resolve(btf, (uint32_t)id, NULL);
}

int gbtf_struct_fields(struct wbpf_gadget *g, struct wbpf_gadget_ds *ds, const struct btf *btf,
		       const char *sname, const char *prefix, uint32_t base)
{
	const struct btf_type *st = find_struct(btf, sname);
	struct walk w = {g, ds, btf, 0};

	if (!st || !btf_is_composite(st))
		return gerr(g, -ENOENT, "datasource %s: struct %s is not in the object's BTF",
			    ds->name, sname);
	if (base + st->size > ds->raw_size)
		ds->raw_size = base + st->size;
	return add_members(&w, st, prefix, base);
}

/* ------------------------------------------------------------ markers */

/* Splits "a___b___c" into at most n parts (in place). */
static size_t split3(char *s, char **parts, size_t n)
{
	size_t k = 0;

	while (k < n) {
		char *sep = strstr(s, "___");

		parts[k++] = s;
		if (!sep)
			break;
		*sep = '\0';
		s = sep + 3;
	}
	return k;
}

static int add_tracer(struct wbpf_gadget *g, const struct btf *btf, char *spec)
{
	char *p[3];
	struct wbpf_gadget_ds *ds;

	if (split3(spec, p, 3) != 3)
		return gerr(g, -EINVAL, "tracer marker '%s' is not NAME___MAP___STRUCT", spec);
	if (wbpf_gadget__ds(g, p[0]))
		return gerr(g, -EEXIST, "datasource '%s' declared twice", p[0]);
	if (!(ds = gds_new(g, p[0], WBPF_DS_SINGLE, GDS_TRACER)) ||
	    !(ds->map_name = strdup(p[1])) || !(ds->struct_name = strdup(p[2])))
		return -ENOMEM;
	return gbtf_struct_fields(g, ds, btf, p[2], "", 0);
}

/* The key or value type of map `map` as its definition in ".maps" says
 * (`__type(key, T)` is a member `key` pointing to T); 0 if none. */
static uint32_t map_type(const struct btf *btf, const char *map, const char *which)
{
	int id = btf__find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC);
	const struct btf_type *sec = id > 0 ? btf__type_by_id(btf, (uint32_t)id) : NULL;
	const struct btf_var_secinfo *vs = sec ? btf_var_secinfos(sec) : NULL;

	for (uint16_t i = 0; sec && i < btf_vlen(sec); i++) {
		const struct btf_type *v = btf__type_by_id(btf, vs[i].type);
		const struct btf_type *st;
		const struct btf_member *m;

		if (!v || strcmp(btf__name_by_offset(btf, v->name_off), map))
			continue;
		st = resolve(btf, v->type, NULL);
		if (!st || !btf_is_struct(st))
			return 0;
		m = btf_members(st);
		for (uint16_t j = 0; j < btf_vlen(st); j++) {
			const struct btf_type *pt = btf__type_by_id(btf, m[j].type);

			if (!strcmp(btf__name_by_offset(btf, m[j].name_off), which) && pt &&
			    btf_is_ptr(pt))
				return pt->type;
		}
		return 0;
	}
	return 0;
}

/* A map's key or value at `base` of the record: a struct's members, or
 * one field named `which`. Returns its size, or a negative errno. */
static int kv_fields(struct wbpf_gadget *g, struct wbpf_gadget_ds *ds, const struct btf *btf,
		     uint32_t id, const char *which, uint32_t base)
{
	const char *tname = NULL;
	const struct btf_type *t = resolve(btf, id, &tname);
	struct walk w = {g, ds, btf, 0};
	struct wbpf_gadget_field *f;
	__s64 size = btf__resolve_size(btf, id);
	uint32_t elem = 0, kind;
	int err;

	if (!t || size <= 0)
		return gerr(g, -ENOENT, "map iterator %s: map '%s' has no BTF %s type", ds->name,
			    ds->map_name, which);
	if (btf_is_composite(t))
		err = add_members(&w, t, "", base);
	else {
		kind = btf_is_array(t) ? array_kind(btf, t, &elem) : scalar_kind(t);
		if (!(f = gds_add(ds, which, kind, WBPF_FIELD_STATIC)))
			return gerr(g, -EEXIST, "%s: field '%s' twice", ds->name, which);
		f->offs = base;
		f->size = (uint32_t)size;
		f->elem_size = elem;
		err = tag_field(f, gadget_typedef(btf, id) ? gadget_typedef(btf, id) : tname, which);
	}
	return err ? err : (int)size;
}

static int add_mapiter(struct wbpf_gadget *g, const struct btf *btf, char *spec,
		       enum gds_origin origin)
{
	char *p[3];
	struct wbpf_gadget_ds *ds;
	size_t n = split3(spec, p, 3);
	int ksize, vsize;

	if (n < 2)
		return gerr(g, -EINVAL, "marker '%s' is not NAME___MAP", spec);
	if (wbpf_gadget__ds(g, p[0]))
		return gerr(g, -EEXIST, "datasource '%s' declared twice", p[0]);
	if (!(ds = gds_new(g, p[0], WBPF_DS_ARRAY, origin)) || !(ds->map_name = strdup(p[1])))
		return -ENOMEM;
	if (origin == GDS_SNAPSHOTTER) /* GADGET_SNAPSHOTTER(name, struct) */
		return gbtf_struct_fields(g, ds, btf, p[1], "", 0);
	/* A record is the key's bytes, then the value's. */
	if ((ksize = kv_fields(g, ds, btf, map_type(btf, p[1], "key"), "key", 0)) < 0)
		return ksize;
	vsize = kv_fields(g, ds, btf, map_type(btf, p[1], "value"), "value", (uint32_t)ksize);
	if (vsize < 0)
		return vsize;
	ds->key_size = (uint32_t)ksize;
	ds->raw_size = (uint32_t)(ksize + vsize);
	return 0;
}

/* IG's names for the usual filter constants. */
static const char *param_key(const char *var)
{
	static const char *const map[][2] = {
		{"targ_pid", "pid"}, {"targ_tid", "tid"}, {"targ_uid", "uid"},
		{"targ_gid", "gid"}, {"targ_comm", "comm"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(var, map[i][0]))
			return map[i][1];
	return var;
}

static int add_param(struct wbpf_gadget *g, const char *var)
{
	char path[NAME_MAX_LEN + 32];
	const char *key;
	struct gparam *p;

	snprintf(path, sizeof(path), "params.ebpf.%s.key", var);
	key = gkvs_get(&g->meta.all, path);
	if (!key || !*key)
		key = param_key(var);
	if (!(p = gparam_find(g, key)) && !(p = gparam_add(g, key)))
		return -ENOMEM;
	free(p->var);
	if (!(p->var = strdup(var)))
		return -ENOMEM;
	p->pub.ebpf = true;
	p->from_btf = true;
	return 0;
}

static int scan_var(struct wbpf_gadget *g, const struct btf *btf, const char *name)
{
	static const struct {
		const char *prefix;
		int what;
	} markers[] = {
		{"gadget_tracer_", 0}, {"gadget_snapshotter_", 1}, {"gadget_mapiter_", 2},
		{"gadget_param_", 3},
	};
	char spec[NAME_MAX_LEN];

	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		size_t n = strlen(markers[i].prefix);

		if (strncmp(name, markers[i].prefix, n))
			continue;
		snprintf(spec, sizeof(spec), "%s", name + n);
		switch (markers[i].what) {
		case 0: return add_tracer(g, btf, spec);
		case 1: return add_mapiter(g, btf, spec, GDS_SNAPSHOTTER);
		case 2: return add_mapiter(g, btf, spec, GDS_MAPITER);
		default: return add_param(g, spec);
		}
	}
	return 0;
}

int gbtf_scan(struct wbpf_gadget *g, const struct btf *btf)
{
	uint32_t n = btf__type_cnt(btf);
	int err = 0;

	for (uint32_t id = 1; id < n && !err; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (btf_is_var(t))
			err = scan_var(g, btf, btf__name_by_offset(btf, t->name_off));
	}
	return err;
}

int gbtf_var(const struct btf *btf, const char *sec, const char *name, uint32_t *off,
	     uint32_t *size, bool *is_string)
{
	int id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
	const struct btf_type *ds = id > 0 ? btf__type_by_id(btf, (uint32_t)id) : NULL;
	const struct btf_var_secinfo *vs;

	if (!ds)
		return -ENOENT;
	vs = btf_var_secinfos(ds);
	for (uint16_t i = 0; i < btf_vlen(ds); i++) {
		const struct btf_type *v = btf__type_by_id(btf, vs[i].type);
		const struct btf_type *t;

		if (!v || strcmp(btf__name_by_offset(btf, v->name_off), name))
			continue;
		t = resolve(btf, v->type, NULL);
		*off = vs[i].offset;
		*size = vs[i].size;
		*is_string = t && btf_is_array(t) && is_char(resolve(btf, btf_array(t)->type, NULL));
		return 0;
	}
	return -ENOENT;
}
