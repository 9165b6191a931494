// SPDX-License-Identifier: MIT
/*
 * BTF to the layout model of `wbpf gen types` (gen.h). Every field sits
 * at its BTF offset: gaps become explicit padding, bitfields share byte
 * storage, anonymous structs inside structs are flattened (their members
 * keep their offsets), anonymous unions and nested anonymous types get
 * names from their parent. A struct whose members are not all at their
 * natural alignment (or whose size is not a multiple of it) is packed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "cli/gen.h"

#define MAX_MEMBERS 65536

struct raw {
	const char *name;
	uint32_t bit;
	uint32_t bits;
	uint32_t type;
};

struct raws {
	struct raw *v;
	uint32_t n;
};

static int fail(const char *what, const char *name, int err)
{
	fprintf(stderr, "wbpf gen types: %s '%s'\n", what, name);
	return err;
}

static uint32_t skip_mods(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	return id;
}

/* An identifier in C's spelling: [A-Za-z0-9_], not starting with a digit. */
static char *ident(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n + 2), *o = out;

	if (!out)
		return NULL;
	if (*s >= '0' && *s <= '9')
		*o++ = '_';
	for (; *s; s++)
		*o++ = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		       (*s >= '0' && *s <= '9') ? *s : '_';
	*o = '\0';
	return out;
}

static char *fmt_name(const char *fmt, const char *a, uint32_t n)
{
	char buf[512];

	snprintf(buf, sizeof(buf), fmt, a, n);
	return ident(buf);
}

static bool name_taken(const struct gen_model *m, const char *name)
{
	for (uint32_t i = 0; i < m->ntypes; i++)
		if (!strcmp(m->types[i]->name, name))
			return true;
	return false;
}

static int scalar_of(const struct btf_type *t, struct gen_texpr *out)
{
	static const enum gen_scalar u[] = {GEN_U8, GEN_U16, 0, GEN_U32, 0, 0, 0, GEN_U64};
	static const enum gen_scalar s[] = {GEN_I8, GEN_I16, 0, GEN_I32, 0, 0, 0, GEN_I64};
	uint32_t size = t->size;

	if (btf_is_float(t)) {
		if (size == 4 || size == 8) {
			out->scalar = size == 4 ? GEN_F32 : GEN_F64;
			return 0;
		}
	}
	if (size == 16) { /* __int128, long double: two u64, 8-aligned in both */
		out->scalar = GEN_U64;
		out->dims[out->ndims++] = 2;
		out->note = btf_is_float(t) ? "long double" : "__int128";
		return 0;
	}
	if (size == 0 || size > 8 || (size & (size - 1)))
		return -EINVAL;
	if (btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_BOOL))
		out->note = "bool";
	out->scalar = btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_SIGNED) ? s[size - 1] : u[size - 1];
	return 0;
}

int gen_model__texpr(const struct gen_model *m, uint32_t id, struct gen_texpr *out)
{
	const struct btf_type *t;

	memset(out, 0, sizeof(*out));
	for (;;) {
		id = skip_mods(m->btf, id);
		t = btf__type_by_id(m->btf, id);
		if (!t || !btf_is_array(t))
			break;
		if (out->ndims == 7)
			return -E2BIG;
		out->dims[out->ndims++] = btf_array(t)->nelems;
		id = btf_array(t)->type;
	}
	if (!t)
		return -EINVAL;
	if (btf_is_ptr(t)) {
		out->scalar = GEN_U64;
		out->note = "pointer";
		return 0;
	}
	if (btf_is_int(t) && t->size == 1 && !strcmp(btf__name_by_offset(m->btf, t->name_off), "char")) {
		out->scalar = GEN_CHAR;
		return 0;
	}
	if (btf_is_int(t) || btf_is_float(t))
		return scalar_of(t, out);
	if ((btf_is_composite(t) || btf_is_any_enum(t)) && id < m->nids && m->by_id[id]) {
		out->scalar = GEN_NAMED;
		out->named = m->by_id[id];
		return 0;
	}
	return -EINVAL;
}

static uint32_t scalar_align(const struct gen_texpr *e)
{
	static const uint32_t a[] = {
		[GEN_U8] = 1, [GEN_U16] = 2, [GEN_U32] = 4, [GEN_U64] = 8,
		[GEN_I8] = 1, [GEN_I16] = 2, [GEN_I32] = 4, [GEN_I64] = 8,
		[GEN_CHAR] = 1, [GEN_F32] = 4, [GEN_F64] = 8,
	};

	return e->scalar == GEN_NAMED ? e->named->align : a[e->scalar];
}

static int push_raw(struct raws *r, const char *name, uint32_t bit, uint32_t bits, uint32_t type)
{
	struct raw *v;

	if (r->n == MAX_MEMBERS)
		return -E2BIG;
	v = realloc(r->v, (r->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[r->n++] = (struct raw){name, bit, bits, type};
	r->v = v;
	return 0;
}

/* Old-style BTF bitfields live in the INT type's encoding. */
static void int_bits(const struct btf *btf, uint32_t type, uint32_t *bit, uint32_t *bits)
{
	const struct btf_type *t = btf__type_by_id(btf, skip_mods(btf, type));

	if (*bits || !t || !btf_is_int(t))
		return;
	if (btf_int_bits(t) != t->size * 8 || btf_int_offset(t)) {
		*bits = btf_int_bits(t);
		*bit += btf_int_offset(t);
	}
}

/* A struct's members, anonymous struct members flattened into it. */
static int collect(const struct btf *btf, const struct btf_type *t, uint32_t base, struct raws *r)
{
	const struct btf_member *mb = btf_members(t);
	int err = 0;

	for (uint16_t i = 0; i < btf_vlen(t) && !err; i++) {
		const char *name = btf__name_by_offset(btf, mb[i].name_off);
		uint32_t bit = base + btf_member_bit_offset(t, i);
		uint32_t bits = btf_member_bitfield_size(t, i);
		const struct btf_type *mt = btf__type_by_id(btf, skip_mods(btf, mb[i].type));

		int_bits(btf, mb[i].type, &bit, &bits);
		if (!*name && !bits && mt && btf_is_struct(mt))
			err = collect(btf, mt, bit, r);
		else
			err = push_raw(r, name, bit, bits, mb[i].type);
	}
	return err;
}

static int sort_raws(struct raws *r)
{
	for (uint32_t i = 1; i < r->n; i++)
		for (uint32_t j = i; j > 0 && r->v[j - 1].bit > r->v[j].bit; j--) {
			struct raw tmp = r->v[j];

			r->v[j] = r->v[j - 1];
			r->v[j - 1] = tmp;
		}
	return 0;
}

static struct gen_field *new_field(struct gen_type *g, enum gen_field_kind kind)
{
	struct gen_field *f = realloc(g->fields, (g->nfields + 1) * sizeof(*f));

	if (!f)
		return NULL;
	g->fields = f;
	f += g->nfields++;
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	return f;
}

static int add_pad(struct gen_type *g, uint32_t from, uint32_t to, uint32_t *npad)
{
	struct gen_field *f;

	if (to <= from)
		return 0;
	f = new_field(g, GEN_PAD);
	if (!f || !(f->name = fmt_name("_pad%s%u", "", (*npad)++)))
		return -ENOMEM;
	f->offset = from;
	f->size = to - from;
	return 0;
}

static int add_named(struct gen_model *m, uint32_t id, const char *name);

/* The type of a member; an anonymous one takes the name of a typedef on
 * the way to it, else one after its parent. */
static int member_type(struct gen_model *m, struct gen_type *parent, uint32_t type)
{
	const struct btf_type *t = btf__type_by_id(m->btf, type);
	const char *alias = NULL;
	char *name;
	int err;

	while (t && (btf_is_typedef(t) || btf_is_mod(t) || btf_is_array(t))) {
		if (btf_is_typedef(t))
			alias = btf__name_by_offset(m->btf, t->name_off);
		type = btf_is_array(t) ? btf_array(t)->type : t->type;
		t = btf__type_by_id(m->btf, type);
	}
	if (!t || !(btf_is_composite(t) || btf_is_any_enum(t)) || m->by_id[type])
		return 0;
	if (*btf__name_by_offset(m->btf, t->name_off))
		return add_named(m, type, NULL);
	name = alias ? ident(alias) : fmt_name("%s__anon%u", parent->name, ++m->anon);
	if (!name)
		return -ENOMEM;
	err = add_named(m, type, name);
	free(name);
	return err;
}

static bool int_signed(const struct btf *btf, uint32_t type)
{
	const struct btf_type *t = btf__type_by_id(btf, skip_mods(btf, type));

	if (!t)
		return false;
	if (btf_is_any_enum(t))
		return btf_kflag(t);
	return btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_SIGNED);
}

static int add_bit(struct gen_model *m, struct gen_field *f, const struct raw *r)
{
	struct gen_bit *b = realloc(f->bits, (f->nbits + 1) * sizeof(*b));

	if (!b)
		return -ENOMEM;
	f->bits = b;
	b += f->nbits++;
	b->name = ident(*r->name ? r->name : "_unnamed");
	b->bit = r->bit - f->offset * 8;
	b->bits = r->bits;
	b->is_signed = int_signed(m->btf, r->type);
	return b->name ? 0 : -ENOMEM;
}

/* A bitfield: joins the storage before it if their bytes overlap. */
static int place_bits(struct gen_model *m, struct gen_type *g, const struct raw *r, uint32_t *cur,
		      uint32_t *npad, uint32_t *nbits)
{
	uint32_t start = r->bit / 8, end = (r->bit + r->bits + 7) / 8;
	struct gen_field *f = g->nfields ? &g->fields[g->nfields - 1] : NULL;
	int err;

	if (!f || f->kind != GEN_BITS || start >= *cur) {
		if (start < *cur)
			return fail("overlapping bitfield", r->name, -EINVAL);
		if ((err = add_pad(g, *cur, start, npad)))
			return err;
		f = new_field(g, GEN_BITS);
		if (!f || !(f->name = fmt_name("_bitfield%s%u", "", (*nbits)++)))
			return -ENOMEM;
		f->offset = start;
	}
	if (end - f->offset > f->size)
		f->size = end - f->offset;
	*cur = f->offset + f->size;
	return add_bit(m, f, r);
}

static int place_field(struct gen_model *m, struct gen_type *g, const struct raw *r, uint32_t *cur,
		       uint32_t *npad)
{
	uint32_t off = r->bit / 8;
	int size = btf__resolve_size(m->btf, r->type);
	struct gen_field *f;
	int err;

	if (size < 0)
		return fail("member of unknown size:", r->name, -EINVAL);
	if (off < *cur)
		return fail("overlapping member", r->name, -EINVAL);
	if ((err = add_pad(g, *cur, off, npad)) || (err = member_type(m, g, r->type)))
		return err;
	f = new_field(g, GEN_FIELD);
	if (!f)
		return -ENOMEM;
	f->name = *r->name ? ident(r->name) : fmt_name("__anon%s%u", "", ++m->anon);
	f->offset = off;
	f->size = (uint32_t)size;
	f->type_id = r->type;
	*cur = off + (uint32_t)size;
	return f->name ? 0 : -ENOMEM;
}

/* Natural alignment, or packed when the BTF offsets need it. */
static int set_align(const struct gen_model *m, struct gen_type *g)
{
	uint32_t align = 1;

	for (uint32_t i = 0; i < g->nfields; i++) {
		struct gen_texpr e;
		uint32_t a;

		if (g->fields[i].kind != GEN_FIELD)
			continue;
		if (gen_model__texpr(m, g->fields[i].type_id, &e))
			return fail("member of a type with no guest spelling:", g->fields[i].name,
				    -EINVAL);
		a = scalar_align(&e);
		if (g->fields[i].offset % a)
			g->packed = true;
		if (a > align)
			align = a;
	}
	if (g->size % align)
		g->packed = true;
	g->align = g->packed ? 1 : align;
	return 0;
}

static int lay_out_struct(struct gen_model *m, struct gen_type *g, struct raws *r)
{
	uint32_t cur = 0, npad = 0, nbits = 0;
	int err = 0;

	sort_raws(r);
	for (uint32_t i = 0; i < r->n && !err; i++) {
		if (r->v[i].bits || r->v[i].bit % 8)
			err = place_bits(m, g, &r->v[i], &cur, &npad, &nbits);
		else
			err = place_field(m, g, &r->v[i], &cur, &npad);
	}
	if (!err && cur > g->size)
		err = fail("members run past the end of", g->name, -EINVAL);
	if (!err)
		err = add_pad(g, cur, g->size, &npad);
	return err ? err : set_align(m, g);
}

static int lay_out_union(struct gen_model *m, struct gen_type *g, const struct btf_type *t)
{
	const struct btf_member *mb = btf_members(t);
	uint32_t npad = 0;
	int err = 0;

	/* Every member at 0: place each as the first field of its own. */
	for (uint16_t i = 0; i < btf_vlen(t) && !err; i++) {
		struct raw r = {btf__name_by_offset(m->btf, mb[i].name_off), 0, 0, mb[i].type};
		uint32_t cur = 0;

		err = place_field(m, g, &r, &cur, &npad);
	}
	return err ? err : set_align(m, g);
}

static int lay_out_datasec(struct gen_model *m, struct gen_type *g, const struct btf_type *t)
{
	const struct btf_var_secinfo *vi = btf_var_secinfos(t);
	struct raws r = {0};
	int err = 0;

	for (uint16_t i = 0; i < btf_vlen(t) && !err; i++) {
		const struct btf_type *v = btf__type_by_id(m->btf, vi[i].type);

		if (v && btf_is_var(v) && vi[i].size)
			err = push_raw(&r, btf__name_by_offset(m->btf, v->name_off), vi[i].offset * 8,
				       0, v->type);
	}
	if (!err)
		err = lay_out_struct(m, g, &r);
	free(r.v);
	return err;
}

static int lay_out_enum(struct gen_type *g, const struct btf *btf, const struct btf_type *t)
{
	g->is_signed = btf_kflag(t);
	g->align = t->size;
	g->vals = calloc(btf_vlen(t) ? btf_vlen(t) : 1, sizeof(*g->vals));
	if (!g->vals)
		return -ENOMEM;
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		struct gen_enumval *v = &g->vals[g->nvals++];

		if (btf_is_enum64(t)) {
			v->name = ident(btf__name_by_offset(btf, btf_enum64(t)[i].name_off));
			v->value = (int64_t)btf_enum64_value(&btf_enum64(t)[i]);
		} else {
			v->name = ident(btf__name_by_offset(btf, btf_enum(t)[i].name_off));
			v->value = g->is_signed ? (int64_t)btf_enum(t)[i].val
						: (int64_t)(uint32_t)btf_enum(t)[i].val;
		}
		if (!v->name)
			return -ENOMEM;
	}
	return 0;
}

static void free_type(struct gen_type *g)
{
	for (uint32_t i = 0; i < g->nfields; i++) {
		for (uint32_t j = 0; j < g->fields[i].nbits; j++)
			free(g->fields[i].bits[j].name);
		free(g->fields[i].bits);
		free(g->fields[i].name);
	}
	for (uint32_t i = 0; i < g->nvals; i++)
		free(g->vals[i].name);
	free(g->fields);
	free(g->vals);
	free(g->name);
	free(g);
}

static int append(struct gen_model *m, struct gen_type *g)
{
	struct gen_type **v = realloc(m->types, (m->ntypes + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	m->types = v;
	v[m->ntypes++] = g;
	return 0;
}

static const char *const origin_kind[] = {"struct", "union", "enum"};

static struct gen_type *new_type(struct gen_model *m, uint32_t id, const struct btf_type *t,
				 const char *name)
{
	struct gen_type *g = calloc(1, sizeof(*g));
	char *base;

	if (!g)
		return NULL;
	g->id = id;
	g->size = t->size;
	g->kind = btf_is_struct(t) || btf_is_datasec(t) ? GEN_STRUCT
		: btf_is_union(t) ? GEN_UNION : GEN_ENUM;
	g->origin = btf_is_datasec(t) ? "section" : origin_kind[g->kind];
	base = ident(*name == '.' ? name + 1 : name);
	if (base && name_taken(m, base)) {
		g->name = fmt_name("%s_%u", base, id);
		free(base);
	} else {
		g->name = base;
	}
	if (!g->name) {
		free(g);
		return NULL;
	}
	return g;
}

/* A struct, union, enum or DATASEC by id, under `name` (NULL: its own). */
static int add_named(struct gen_model *m, uint32_t id, const char *name)
{
	const struct btf_type *t = btf__type_by_id(m->btf, id);
	struct gen_type *g;
	struct raws r = {0};
	int err;

	if (!name)
		name = btf__name_by_offset(m->btf, t->name_off);
	g = new_type(m, id, t, name);
	if (!g)
		return -ENOMEM;
	m->by_id[id] = g; /* members refer to it only by pointer: no cycle */
	if (btf_is_datasec(t))
		err = lay_out_datasec(m, g, t);
	else if (btf_is_union(t))
		err = lay_out_union(m, g, t);
	else if (btf_is_any_enum(t))
		err = lay_out_enum(g, m->btf, t);
	else if (!(err = collect(m->btf, t, 0, &r)))
		err = lay_out_struct(m, g, &r);
	free(r.v);
	if (!err)
		err = append(m, g);
	if (err) {
		m->by_id[id] = NULL;
		free_type(g);
	}
	return err;
}

int gen_model__add(struct gen_model *m, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(m->btf, id);
	const char *name = t ? btf__name_by_offset(m->btf, t->name_off) : "";
	uint32_t target = skip_mods(m->btf, id);
	const struct btf_type *tt = btf__type_by_id(m->btf, target);

	if (!tt || !(btf_is_composite(tt) || btf_is_any_enum(tt) || btf_is_datasec(tt)))
		return fail("not a struct, union, enum or section:", name, -EINVAL);
	if (m->by_id[target])
		return 0;
	/* typedef struct { ... } name_t: the typedef names it. */
	return add_named(m, target, *btf__name_by_offset(m->btf, tt->name_off) ? NULL : name);
}

void gen_model__free(struct gen_model *m)
{
	for (uint32_t i = 0; i < m->ntypes; i++)
		free_type(m->types[i]);
	free(m->types);
	free(m->by_id);
}

void gen_camel(const char *s, char *buf, size_t size)
{
	size_t n = 0;
	bool up = true;

	for (; *s && n + 1 < size; s++) {
		if (*s == '_') {
			up = true;
			continue;
		}
		buf[n++] = up && *s >= 'a' && *s <= 'z' ? (char)(*s - 'a' + 'A') : *s;
		up = false;
	}
	if (!n && size > 1 && *s == '\0')
		buf[n++] = '_';
	buf[n] = '\0';
}
