// SPDX-License-Identifier: MIT
/*
 * `wbpf gen types --lang c`: a header of fixed-width structs for wasm32
 * (or any) guests: explicit padding, `long` and pointers spelled as the
 * 64-bit integers they are on the BPF side, bitfields as byte storage
 * with inline accessors, and _Static_assert on every size and offset.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cli/gen.h"

static const char *int_of(uint32_t size, bool is_signed)
{
	static const char *const u[] = {"uint8_t", "uint16_t", "uint32_t", "uint64_t"};
	static const char *const s[] = {"int8_t", "int16_t", "int32_t", "int64_t"};
	int i = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;

	return is_signed ? s[i] : u[i];
}

static const char *tag(const struct gen_type *g)
{
	return g->kind == GEN_UNION ? "union" : "struct";
}

/* "TYPE NAME[DIMS]" for a field. */
static int declare(const struct gen_model *m, const struct gen_field *f, char *buf, size_t size)
{
	static const char *const scalars[] = {
		[GEN_U8] = "uint8_t", [GEN_U16] = "uint16_t", [GEN_U32] = "uint32_t",
		[GEN_U64] = "uint64_t", [GEN_I8] = "int8_t", [GEN_I16] = "int16_t",
		[GEN_I32] = "int32_t", [GEN_I64] = "int64_t", [GEN_CHAR] = "char",
		[GEN_F32] = "float", [GEN_F64] = "double",
	};
	struct gen_texpr e;
	int n;

	if (f->kind != GEN_FIELD) {
		snprintf(buf, size, "uint8_t %s[%u]", f->name, f->size);
		return 0;
	}
	if (gen_model__texpr(m, f->type_id, &e))
		return -EINVAL;
	if (e.scalar != GEN_NAMED)
		n = snprintf(buf, size, "%s %s", scalars[e.scalar], f->name);
	else if (e.named->kind == GEN_ENUM)
		n = snprintf(buf, size, "%s %s", int_of(e.named->size, e.named->is_signed), f->name);
	else
		n = snprintf(buf, size, "%s %s %s", tag(e.named), e.named->name, f->name);
	for (uint32_t i = 0; i < e.ndims && n > 0 && (size_t)n < size; i++)
		n += snprintf(buf + n, size - (size_t)n, "[%u]", e.dims[i]);
	return 0;
}

static void bit_accessors(const struct gen_type *g, const struct gen_field *f, FILE *out)
{
	for (uint32_t j = 0; j < f->nbits; j++) {
		const struct gen_bit *b = &f->bits[j];
		unsigned shift = 64 - b->bits;

		if (b->is_signed) /* sign-extended from the bitfield's top bit */
			fprintf(out, "static inline int64_t %s_%s(const %s %s *s)\n"
				     "{ return (int64_t)(wbpf_gen_bits_get(s->%s, %u, %u) << %u) >> %u; }\n",
				g->name, b->name, tag(g), g->name, f->name, b->bit, b->bits, shift, shift);
		else
			fprintf(out, "static inline uint64_t %s_%s(const %s %s *s)\n"
				     "{ return wbpf_gen_bits_get(s->%s, %u, %u); }\n",
				g->name, b->name, tag(g), g->name, f->name, b->bit, b->bits);
		fprintf(out, "static inline void %s_set_%s(%s %s *s, uint64_t v)\n"
			     "{ wbpf_gen_bits_set(s->%s, %u, %u, v); }\n",
			g->name, b->name, tag(g), g->name, f->name, b->bit, b->bits);
	}
}

static int emit_composite(const struct gen_model *m, const struct gen_type *g, FILE *out)
{
	char decl[1024];

	fprintf(out, "/* %s %s: %u bytes%s (from BTF) */\n%s %s%s {\n", g->origin, g->name, g->size,
		g->packed ? ", packed" : "", tag(g), g->packed ? "__attribute__((packed)) " : "",
		g->name);
	for (uint32_t i = 0; i < g->nfields; i++) {
		if (declare(m, &g->fields[i], decl, sizeof(decl)))
			return -EINVAL;
		fprintf(out, "\t%s;\n", decl);
	}
	fprintf(out, "};\n_Static_assert(sizeof(%s %s) == %u, \"%s %s: %u bytes in BTF\");\n",
		tag(g), g->name, g->size, tag(g), g->name, g->size);
	for (uint32_t i = 0; i < g->nfields; i++)
		fprintf(out, "_Static_assert(offsetof(%s %s, %s) == %u, \"%s.%s at %u in BTF\");\n",
			tag(g), g->name, g->fields[i].name, g->fields[i].offset, g->name,
			g->fields[i].name, g->fields[i].offset);
	for (uint32_t i = 0; i < g->nfields; i++)
		bit_accessors(g, &g->fields[i], out);
	fprintf(out, "\n");
	return 0;
}

static void emit_enum(const struct gen_type *g, FILE *out)
{
	/* The constants only: fields of this enum are the fixed-width
	 * integer of its BTF size, which a C enum's size need not be. */
	fprintf(out, "/* enum %s: %u bytes (from BTF), fields are %s */\nenum %s {\n", g->name,
		g->size, int_of(g->size, g->is_signed), g->name);
	for (uint32_t i = 0; i < g->nvals; i++) {
		if (g->is_signed)
			fprintf(out, "\t%s = %" PRId64 "LL,\n", g->vals[i].name, g->vals[i].value);
		else
			fprintf(out, "\t%s = %" PRIu64 "ULL,\n", g->vals[i].name,
				(uint64_t)g->vals[i].value);
	}
	fprintf(out, "};\n\n");
}

static const char prelude[] =
	"#include <stddef.h>\n#include <stdint.h>\n\n"
	"#ifndef WBPF_GEN_BITS\n#define WBPF_GEN_BITS\n"
	"/* Bitfields: bits [bit, bit+bits) of little-endian byte storage. */\n"
	"static inline uint64_t wbpf_gen_bits_get(const uint8_t *b, unsigned bit, unsigned bits)\n"
	"{\n\tuint64_t v = 0;\n\n\tfor (unsigned i = 0; i < bits && i < 64; i++)\n"
	"\t\tv |= (uint64_t)(b[(bit + i) / 8] >> ((bit + i) % 8) & 1) << i;\n\treturn v;\n}\n\n"
	"static inline void wbpf_gen_bits_set(uint8_t *b, unsigned bit, unsigned bits, uint64_t v)\n"
	"{\n\tfor (unsigned i = 0; i < bits && i < 64; i++) {\n"
	"\t\tuint8_t mask = (uint8_t)(1u << ((bit + i) % 8));\n\n"
	"\t\tb[(bit + i) / 8] = (uint8_t)(v >> i & 1 ? b[(bit + i) / 8] | mask\n"
	"\t\t\t\t\t\t      : b[(bit + i) / 8] & ~mask);\n\t}\n}\n#endif\n\n";

int gen_emit_c(const struct gen_model *m, FILE *out)
{
	char guard[256];
	size_t n = 0;
	int err = 0;

	for (const char *s = m->object; *s && n + 1 < sizeof(guard); s++)
		guard[n++] = isalnum((unsigned char)*s) ? (char)toupper((unsigned char)*s) : '_';
	guard[n] = '\0';
	fprintf(out, "/* Generated by `wbpf gen types --lang c` from %s: do not edit. */\n"
		     "#ifndef WBPF_GEN_%s_H\n#define WBPF_GEN_%s_H\n\n%s",
		m->object, guard, guard, prelude);
	for (uint32_t i = 0; i < m->ntypes && !err; i++) {
		if (m->types[i]->kind == GEN_ENUM)
			emit_enum(m->types[i], out);
		else
			err = emit_composite(m, m->types[i], out);
	}
	fprintf(out, "#endif\n");
	return err;
}
