// SPDX-License-Identifier: MIT
/*
 * `wbpf gen types --lang rust`: #[repr(C)] structs with explicit padding
 * for the wbpf Rust SDK (sdk/rust). Each type implements wbpf::Pod and is
 * followed by a const block that fails to compile unless its layout is
 * BTF's: Rust 1.63 has no const offset_of, so instead each field must end
 * exactly where the next begins and the size must be BTF's; repr(C) then
 * cannot have inserted padding anywhere, so every offset is BTF's too.
 * Unions are byte storage with typed accessors, bitfields byte storage
 * with get/set methods, enums newtypes over their integer.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cli/gen.h"

static const char *const keywords[] = {
	"as", "async", "await", "box", "break", "const", "continue", "do", "dyn", "else", "enum",
	"extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
	"move", "mut", "priv", "pub", "ref", "return", "static", "struct", "trait", "true", "try",
	"type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
	"abstract", "become", "final", "override",
};

/* A field or method name: keywords as raw identifiers (self and friends,
 * which cannot be raw, get a trailing _). */
static const char *rust_ident(const char *name, char *buf, size_t size)
{
	if (!strcmp(name, "self") || !strcmp(name, "Self") || !strcmp(name, "super") ||
	    !strcmp(name, "crate") || !strcmp(name, "_")) {
		snprintf(buf, size, "%s_", name);
		return buf;
	}
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (!strcmp(name, keywords[i])) {
			snprintf(buf, size, "r#%s", name);
			return buf;
		}
	return name;
}

static const char *type_name(const struct gen_type *g, char *buf, size_t size)
{
	gen_camel(g->name, buf, size);
	return buf;
}

static const char *int_of(uint32_t size, bool is_signed)
{
	static const char *const u[] = {"u8", "u16", "u32", "u64"};
	static const char *const s[] = {"i8", "i16", "i32", "i64"};
	int i = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;

	return is_signed ? s[i] : u[i];
}

/* A field's type as Rust spells it. */
static int spell(const struct gen_model *m, uint32_t type_id, char *buf, size_t size)
{
	static const char *const scalars[] = {
		[GEN_U8] = "u8", [GEN_U16] = "u16", [GEN_U32] = "u32", [GEN_U64] = "u64",
		[GEN_I8] = "i8", [GEN_I16] = "i16", [GEN_I32] = "i32", [GEN_I64] = "i64",
		[GEN_CHAR] = "u8", [GEN_F32] = "f32", [GEN_F64] = "f64",
	};
	struct gen_texpr e;
	char base[256], tmp[1024];

	if (gen_model__texpr(m, type_id, &e))
		return -EINVAL;
	if (e.scalar == GEN_NAMED)
		type_name(e.named, base, sizeof(base));
	else
		snprintf(base, sizeof(base), "%s", scalars[e.scalar]);
	snprintf(buf, size, "%s", base);
	for (uint32_t i = e.ndims; i-- > 0;) {
		snprintf(tmp, sizeof(tmp), "[%s; %u]", buf, e.dims[i]);
		snprintf(buf, size, "%s", tmp);
	}
	return 0;
}

static int field_type(const struct gen_model *m, const struct gen_field *f, char *buf, size_t size)
{
	if (f->kind != GEN_FIELD) {
		snprintf(buf, size, "[u8; %u]", f->size);
		return 0;
	}
	return spell(m, f->type_id, buf, size);
}

static void bit_accessors(const struct gen_field *f, FILE *out)
{
	char id[300], set[300];

	for (uint32_t j = 0; j < f->nbits; j++) {
		const struct gen_bit *b = &f->bits[j];

		snprintf(set, sizeof(set), "set_%s", b->name);
		fprintf(out, "    pub fn %s(&self) -> %s { wbpf::pod::get_bits%s(&self.%s, %u, %u) }\n",
			rust_ident(b->name, id, sizeof(id)), b->is_signed ? "i64" : "u64",
			b->is_signed ? "_signed" : "", f->name, b->bit, b->bits);
		fprintf(out, "    pub fn %s(&mut self, v: %s) { wbpf::pod::set_bits(&mut self.%s, %u, %u, v as u64) }\n",
			set, b->is_signed ? "i64" : "u64", f->name, b->bit, b->bits);
	}
}

static void header(const struct gen_type *g, const char *name, FILE *out)
{
	fprintf(out, "/// %s %s: %u bytes%s (from BTF)\n", g->origin, g->name, g->size,
		g->packed ? ", packed" : "");
	fprintf(out, "#[repr(C%s)]\n#[derive(Clone, Copy, Debug, PartialEq)]\n"
		     "#[allow(non_camel_case_types, non_snake_case, dead_code)]\npub struct %s {\n",
		g->packed ? ", packed" : "", name);
}

static int emit_struct(const struct gen_model *m, const struct gen_type *g, FILE *out)
{
	char name[256], ty[1024], id[300];
	bool bits = false;

	type_name(g, name, sizeof(name));
	header(g, name, out);
	for (uint32_t i = 0; i < g->nfields; i++) {
		if (field_type(m, &g->fields[i], ty, sizeof(ty)))
			return -EINVAL;
		fprintf(out, "    pub %s: %s,\n", rust_ident(g->fields[i].name, id, sizeof(id)), ty);
		bits |= g->fields[i].kind == GEN_BITS;
	}
	fprintf(out, "}\nunsafe impl wbpf::Pod for %s {}\n", name);
	if (bits) {
		fprintf(out, "#[allow(dead_code, non_snake_case)]\nimpl %s {\n", name);
		for (uint32_t i = 0; i < g->nfields; i++)
			bit_accessors(&g->fields[i], out);
		fprintf(out, "}\n");
	}
	fprintf(out, "const _: () = {\n    use core::mem::size_of;\n"
		     "    assert!(size_of::<%s>() == %u);\n", name, g->size);
	for (uint32_t i = 0; i < g->nfields; i++) {
		uint32_t next = i + 1 < g->nfields ? g->fields[i + 1].offset : g->size;

		field_type(m, &g->fields[i], ty, sizeof(ty));
		fprintf(out, "    assert!(%u + size_of::<%s>() == %u); // %s\n", g->fields[i].offset, ty,
			next, g->fields[i].name);
	}
	fprintf(out, "};\n\n");
	return 0;
}

static int emit_union(const struct gen_model *m, const struct gen_type *g, FILE *out)
{
	char name[256], ty[1024], id[300];

	type_name(g, name, sizeof(name));
	header(g, name, out);
	fprintf(out, "    _align: [%s; 0],\n    pub bytes: [u8; %u],\n}\n"
		     "unsafe impl wbpf::Pod for %s {}\n#[allow(dead_code, non_snake_case)]\nimpl %s {\n",
		int_of(g->align, false), g->size, name, name);
	for (uint32_t i = 0; i < g->nfields; i++) {
		if (spell(m, g->fields[i].type_id, ty, sizeof(ty)))
			return -EINVAL;
		fprintf(out, "    pub fn %s(&self) -> %s { wbpf::pod::read_prefix(&self.bytes) }\n",
			rust_ident(g->fields[i].name, id, sizeof(id)), ty);
		fprintf(out, "    pub fn set_%s(&mut self, v: %s) { wbpf::pod::write_prefix(&mut self.bytes, &v) }\n",
			g->fields[i].name, ty);
	}
	fprintf(out, "}\nconst _: () = {\n    use core::mem::size_of;\n"
		     "    assert!(size_of::<%s>() == %u);\n", name, g->size);
	for (uint32_t i = 0; i < g->nfields; i++) {
		spell(m, g->fields[i].type_id, ty, sizeof(ty));
		fprintf(out, "    assert!(size_of::<%s>() == %u); // %s\n", ty, g->fields[i].size,
			g->fields[i].name);
	}
	fprintf(out, "};\n\n");
	return 0;
}

static void emit_enum(const struct gen_type *g, FILE *out)
{
	const char *it = int_of(g->size, g->is_signed);
	char name[256], id[300];

	type_name(g, name, sizeof(name));
	fprintf(out, "/// enum %s: %u bytes (from BTF)\n#[repr(transparent)]\n"
		     "#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\n"
		     "#[allow(non_camel_case_types)]\npub struct %s(pub %s);\n"
		     "unsafe impl wbpf::Pod for %s {}\n"
		     "#[allow(non_upper_case_globals, dead_code)]\nimpl %s {\n",
		g->name, g->size, name, it, name, name);
	for (uint32_t i = 0; i < g->nvals; i++) {
		if (g->is_signed)
			fprintf(out, "    pub const %s: %s = %s(%" PRId64 ");\n",
				rust_ident(g->vals[i].name, id, sizeof(id)), name, name, g->vals[i].value);
		else
			fprintf(out, "    pub const %s: %s = %s(%" PRIu64 ");\n",
				rust_ident(g->vals[i].name, id, sizeof(id)), name, name,
				(uint64_t)g->vals[i].value);
	}
	fprintf(out, "}\nconst _: () = assert!(core::mem::size_of::<%s>() == %u);\n\n", name, g->size);
}

int gen_emit_rust(const struct gen_model *m, FILE *out)
{
	int err = 0;

	fprintf(out, "// Generated by `wbpf gen types --lang rust` from %s: do not edit.\n"
		     "// Each const block proves a layout equal to BTF's at compile time.\n\n",
		m->object);
	for (uint32_t i = 0; i < m->ntypes && !err; i++) {
		const struct gen_type *g = m->types[i];

		if (g->kind == GEN_ENUM)
			emit_enum(g, out);
		else
			err = g->kind == GEN_UNION ? emit_union(m, g, out) : emit_struct(m, g, out);
	}
	return err;
}
