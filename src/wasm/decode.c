// SPDX-License-Identifier: MIT
/*
 * Binary decoding: the bytes of a module -> the structs of module.h.
 * Only the binary format is checked here (WBPF_ERR_MALFORMED); index
 * ranges and typing are validate.c's, function bodies compile.c's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/module.h"

enum {
	SEC_CUSTOM, SEC_TYPE, SEC_IMPORT, SEC_FUNCTION, SEC_TABLE, SEC_MEMORY, SEC_GLOBAL,
	SEC_EXPORT, SEC_START, SEC_ELEMENT, SEC_CODE, SEC_DATA, SEC_DATACOUNT, SEC_COUNT
};

static const char *const section_names[SEC_COUNT] = {
	"custom", "type", "import", "function", "table", "memory", "global",
	"export", "start", "element", "code", "data", "datacount",
};

/* Required order of the non-custom sections: datacount comes between
 * element and code although its id is the highest. */
static const uint8_t section_rank[SEC_COUNT] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10 };

#define OP_END 0x0b

struct cursor {
	const uint8_t *start; /* first byte of the module, for offsets */
	const uint8_t *p, *end;
	struct wbpf_error *err; /* NULL when errors are to be ignored */
	int section;		/* id being decoded, -1 outside sections */
	const atomic_int *interrupt; /* decoding stops when set */
};

/* State that spans sections. */
struct decoder {
	struct wbpf_module *mod;
	uint32_t datacount;
};

static int malformed(const struct cursor *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int malformed(const struct cursor *c, const char *fmt, ...)
{
	size_t off = (size_t)(c->p - c->start);
	char what[256];
	va_list ap;

	if (!c->err)
		return wasm_fail(NULL, WBPF_ERR_MALFORMED, "malformed");
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (c->section < 0)
		return wasm_fail(c->err, WBPF_ERR_MALFORMED, "malformed: %s at offset 0x%zx", what, off);
	return wasm_fail(c->err, WBPF_ERR_MALFORMED, "malformed: section %d (%s): %s at offset 0x%zx",
			 c->section, section_names[c->section], what, off);
}

static int nomem(const struct cursor *c)
{
	return wasm_fail(c->err, WBPF_ERR_NOMEM, "out of memory decoding the module");
}

/* Decoding is bounded by the caller's interrupt flag like compiling is:
 * polled before each item of any section (a type, an import, a function
 * body, an elem item, a custom section...), a plain load on the usual
 * machines, so that a module of a gigabyte stops within microseconds of a
 * deadline. */
static int next_item(const struct cursor *c)
{
	return wasm_load_interrupted(c->interrupt, c->err, "decoding section %d (%s), offset 0x%zx",
				     c->section, c->section < 0 ? "-" : section_names[c->section],
				     (size_t)(c->p - c->start));
}

/* Reports a bad byte just read, pointing the offset at it. */
static int bad_byte(struct cursor *c, const char *what, uint8_t b)
{
	c->p--;
	return malformed(c, "%s 0x%02x", what, b);
}

static size_t remaining(const struct cursor *c)
{
	return (size_t)(c->end - c->p);
}

/* Arrays are never left NULL once their section is decoded, so that
 * `ptr + 0` and memcpy(dst, ptr, 0) stay defined for the users. They
 * may be large (a million functions): bigbuf's, freed with it. */
static void *new_array(size_t n, size_t size)
{
	return wasm_bigbuf_calloc(n ? n : 1, size);
}

/* Grows an index space from `have` to have + more entries, zeroing the new
 * ones. On failure *arr is left as it was (still owned by the module). */
static int extend(struct cursor *c, void **arr, uint32_t have, uint32_t more, size_t size)
{
	size_t want = (size_t)have + more;
	void *p;

	if (more > UINT32_MAX - have)
		return malformed(c, "too many entries (%u + %u)", have, more);
	p = wasm_bigbuf_realloc(*arr, (size_t)have * size, (want ? want : 1) * size);
	if (!p)
		return nomem(c);
	memset((char *)p + (size_t)have * size, 0, (size_t)more * size);
	*arr = p;
	return 0;
}

/* ------------------------------------------------------------ primitives */

static int read_u8(struct cursor *c, uint8_t *out)
{
	if (c->p >= c->end)
		return malformed(c, "unexpected end");
	*out = *c->p++;
	return 0;
}

static int read_bytes(struct cursor *c, size_t n, const uint8_t **out)
{
	if (n > remaining(c))
		return malformed(c, "unexpected end (%zu bytes needed, %zu left)", n, remaining(c));
	*out = c->p;
	c->p += n;
	return 0;
}

/* LEB128 of at most `bits` significant bits. The last permitted byte may
 * not continue, and its bits beyond `bits` must be zero (unsigned) or
 * copies of the sign bit (signed), as the spec requires. */
static int read_leb(struct cursor *c, unsigned bits, bool is_signed, uint64_t *out)
{
	unsigned maxbytes = (bits + 6) / 7, shift = 0;
	uint64_t v = 0;
	uint8_t b;

	for (unsigned i = 0;; i++) {
		TRY(read_u8(c, &b));
		if (i + 1 == maxbytes) {
			unsigned used = bits - 7 * i;
			uint8_t unused = (uint8_t)(0x7f & ~((1u << used) - 1));
			uint8_t want = (is_signed && ((b >> (used - 1)) & 1)) ? unused : 0;

			if (b & 0x80)
				return malformed(c, "integer representation too long");
			if ((b & unused) != want)
				return malformed(c, "integer too large");
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	if (is_signed && shift < 64 && (b & 0x40))
		v |= ~(uint64_t)0 << shift;
	*out = v;
	return 0;
}

static int read_u32(struct cursor *c, uint32_t *out)
{
	uint64_t v;

	if (c->p < c->end && *c->p < 0x80) { /* one byte: most counts and indices */
		*out = *c->p++;
		return 0;
	}
	if (remaining(c) >= 2 && c->p[1] < 0x80) { /* two: never too long or large */
		*out = (uint32_t)(c->p[0] & 0x7f) | (uint32_t)c->p[1] << 7;
		c->p += 2;
		return 0;
	}
	TRY(read_leb(c, 32, false, &v));
	*out = (uint32_t)v;
	return 0;
}

/* A vector length: every element takes at least one byte, so a count
 * beyond what is left is malformed and never reaches an allocation. */
static int read_count(struct cursor *c, uint32_t *out)
{
	TRY(read_u32(c, out));
	if (*out > remaining(c))
		return malformed(c, "length out of bounds (%u items, only %zu bytes left)", *out,
				 remaining(c));
	return 0;
}

/* An engine limit (module.h) passed: refused, naming the limit. */
static int over_limit(const struct cursor *c, const char *what, uint64_t n, uint32_t max)
{
	return wasm_fail(c->err, WBPF_ERR_INVALID, "limit exceeded: %s: %llu, more than the "
			 "engine's limit of %u (at offset 0x%zx)", what, (unsigned long long)n, max,
			 (size_t)(c->p - c->start));
}

/* A vector length that brings an index space from `have` to at most `max`. */
static int read_count_max(struct cursor *c, uint32_t *out, uint32_t have, uint32_t max,
			  const char *what)
{
	TRY(read_count(c, out));
	return (uint64_t)have + *out > max ? over_limit(c, what, (uint64_t)have + *out, max) : 0;
}

static uint64_t le_bits(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t b = s[i];
		size_t len;
		uint32_t cp, min;

		if (b < 0x80) {
			i++;
			continue;
		}
		if ((b & 0xe0) == 0xc0)
			len = 2, cp = b & 0x1f, min = 0x80;
		else if ((b & 0xf0) == 0xe0)
			len = 3, cp = b & 0x0f, min = 0x800;
		else if ((b & 0xf8) == 0xf0)
			len = 4, cp = b & 0x07, min = 0x10000;
		else
			return false;
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and values past Unicode. */
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* A name as an owned NUL-terminated copy; *len keeps embedded NULs. */
static int read_name(struct cursor *c, char **out, uint32_t *len)
{
	const uint8_t *s;
	uint32_t n;
	char *name;

	TRY(read_u32(c, &n));
	if (n > WASM_MAX_NAME)
		return over_limit(c, "name bytes", n, WASM_MAX_NAME);
	TRY(read_bytes(c, n, &s));
	if (!utf8_valid(s, n)) {
		c->p = s;
		return malformed(c, "malformed UTF-8 encoding");
	}
	name = malloc((size_t)n + 1);
	if (!name)
		return nomem(c);
	memcpy(name, s, n);
	name[n] = '\0';
	*out = name;
	if (len)
		*len = n;
	return 0;
}

/* ----------------------------------------------------------------- types */

static bool is_valtype(uint8_t t)
{
	switch (t) {
	case WBPF_I32: case WBPF_I64: case WBPF_F32: case WBPF_F64: case WBPF_V128:
	case WBPF_FUNCREF: case WBPF_EXTERNREF:
		return true;
	}
	return false;
}

static int read_valtype(struct cursor *c, uint8_t *t)
{
	TRY(read_u8(c, t));
	return is_valtype(*t) ? 0 : bad_byte(c, "malformed value type", *t);
}

static int read_reftype(struct cursor *c, uint8_t *t)
{
	TRY(read_u8(c, t));
	return wasm_is_reftype(*t) ? 0 : bad_byte(c, "malformed reference type", *t);
}

/* The flags are a single byte: 0 (min) or 1 (min, max). */
static int read_limits(struct cursor *c, struct wasm_limits *lim)
{
	uint8_t flags;

	TRY(read_u8(c, &flags));
	if (flags & 0x80)
		return bad_byte(c, "integer representation too long: limits flags", flags);
	if (flags > 1)
		return bad_byte(c, "integer too large: limits flags", flags);
	lim->has_max = flags;
	TRY(read_u32(c, &lim->min));
	return flags ? read_u32(c, &lim->max) : 0;
}

static int read_tabletype(struct cursor *c, struct wasm_tabletype *tt)
{
	TRY(read_reftype(c, &tt->elem));
	return read_limits(c, &tt->lim);
}

static int read_globaltype(struct cursor *c, struct wasm_globaltype *gt)
{
	uint8_t mut;

	TRY(read_valtype(c, &gt->type));
	TRY(read_u8(c, &mut));
	if (mut > 1)
		return bad_byte(c, "malformed mutability", mut);
	gt->mut = mut;
	return 0;
}

/* A vector of value types; they are one byte each, so the raw bytes are
 * the list. */
static int read_valtypes(struct cursor *c, uint32_t *n, const uint8_t **types)
{
	uint8_t t;

	TRY(read_count(c, n));
	*types = c->p;
	for (uint32_t i = 0; i < *n; i++)
		TRY(read_valtype(c, &t));
	return 0;
}

static int read_functype(struct cursor *c, struct wbpf_module *mod, struct wasm_functype *ft)
{
	const uint8_t *params, *results;
	uint8_t form;

	TRY(read_u8(c, &form));
	if (form != 0x60)
		return bad_byte(c, "malformed function type form", form);
	TRY(read_valtypes(c, &ft->nparams, &params));
	if (ft->nparams > WASM_MAX_PARAMS)
		return over_limit(c, "params in a function type", ft->nparams, WASM_MAX_PARAMS);
	TRY(read_valtypes(c, &ft->nresults, &results));
	if (ft->nresults > WASM_MAX_RESULTS)
		return over_limit(c, "results in a function type", ft->nresults, WASM_MAX_RESULTS);
	ft->types = wasm_arena_alloc(&mod->arena, (size_t)ft->nparams + ft->nresults);
	if (!ft->types)
		return nomem(c);
	memcpy(ft->types, params, ft->nparams);
	memcpy(ft->types + ft->nparams, results, ft->nresults);
	ft->hash = wasm_functype_hash(ft);
	return 0;
}

/* -------------------------------------------------- constant expressions */

static int skip_immediates(struct cursor *c, uint8_t op);

static int read_s32(struct cursor *c, uint64_t *v)
{
	return read_leb(c, 32, true, v);
}

static int skip_u32s(struct cursor *c, unsigned n)
{
	uint32_t v;

	for (unsigned i = 0; i < n; i++)
		TRY(read_u32(c, &v));
	return 0;
}

static int skip_bytes(struct cursor *c, size_t n)
{
	const uint8_t *b;

	return read_bytes(c, n, &b);
}

static int skip_blocktype(struct cursor *c)
{
	uint64_t v;

	if (c->p < c->end && (*c->p == 0x40 || is_valtype(*c->p))) {
		c->p++;
		return 0;
	}
	TRY(read_leb(c, 33, true, &v));
	return (int64_t)v < 0 ? malformed(c, "malformed block type") : 0;
}

static int skip_fc(struct cursor *c, uint32_t sub)
{
	if (sub <= 7) /* trunc_sat */
		return 0;
	switch (sub) {
	case 8: /* memory.init */
		TRY(skip_u32s(c, 1));
		return skip_bytes(c, 1);
	case 9: case 13: case 15: case 16: case 17: /* data/elem.drop, table.grow/size/fill */
		return skip_u32s(c, 1);
	case 10: /* memory.copy */
		return skip_bytes(c, 2);
	case 11: /* memory.fill */
		return skip_bytes(c, 1);
	case 12: case 14: /* table.init, table.copy */
		return skip_u32s(c, 2);
	}
	return malformed(c, "illegal opcode 0xfc %u", sub);
}

static int skip_simd(struct cursor *c, uint32_t sub)
{
	if (sub <= 11 || sub == 92 || sub == 93) /* loads and stores */
		return skip_u32s(c, 2);
	if (sub == 12 || sub == 13) /* v128.const, i8x16.shuffle */
		return skip_bytes(c, 16);
	if (sub >= 21 && sub <= 34) /* extract/replace_lane */
		return skip_bytes(c, 1);
	if (sub >= 84 && sub <= 91) { /* load/store_lane */
		TRY(skip_u32s(c, 2));
		return skip_bytes(c, 1);
	}
	return sub <= 0xff ? 0 : malformed(c, "illegal opcode 0xfd %u", sub);
}

static int skip_select_types(struct cursor *c)
{
	const uint8_t *types;
	uint32_t n;

	return read_valtypes(c, &n, &types);
}

static int skip_br_table(struct cursor *c)
{
	uint32_t n;

	TRY(read_count(c, &n));
	return skip_u32s(c, n + 1);
}

/* The immediates of every non-SIMD instruction (and SIMD's), so that a
 * constant expression outside the forms module.h records can still be
 * stepped over to its `end`. */
static int skip_immediates(struct cursor *c, uint8_t op)
{
	uint64_t v;
	uint32_t sub;
	uint8_t t;

	if (op >= 0x45 && op <= 0xc4) /* numeric */
		return 0;
	if (op >= 0x28 && op <= 0x3e) /* memarg */
		return skip_u32s(c, 2);
	if (op >= 0x20 && op <= 0x26) /* local.*, global.*, table.get/set */
		return skip_u32s(c, 1);
	switch (op) {
	case 0x00: case 0x01: case 0x05: case 0x0f: case 0x1a: case 0x1b: case 0xd1:
		return 0;
	case 0x02: case 0x03: case 0x04:
		return skip_blocktype(c);
	case 0x0c: case 0x0d: case 0x10: case 0xd2:
		return skip_u32s(c, 1);
	case 0x0e:
		return skip_br_table(c);
	case 0x11:
		return skip_u32s(c, 2);
	case 0x1c:
		return skip_select_types(c);
	case 0x3f: case 0x40:
		return skip_bytes(c, 1);
	case 0x41:
		return read_s32(c, &v);
	case 0x42:
		return read_leb(c, 64, true, &v);
	case 0x43:
		return skip_bytes(c, 4);
	case 0x44:
		return skip_bytes(c, 8);
	case 0xd0:
		return read_reftype(c, &t);
	case 0xfc:
		TRY(read_u32(c, &sub));
		return skip_fc(c, sub);
	case 0xfd:
		TRY(read_u32(c, &sub));
		return skip_simd(c, sub);
	}
	return bad_byte(c, "illegal opcode", op);
}

/* Steps over instructions up to the `end` closing the expression. */
static int skip_expr(struct cursor *c)
{
	uint32_t depth = 0;
	uint8_t op;

	for (;;) {
		TRY(read_u8(c, &op));
		if (op == OP_END) {
			if (depth == 0)
				return 0;
			depth--;
			continue;
		}
		if (op >= 0x02 && op <= 0x04)
			depth++;
		TRY(skip_immediates(c, op));
	}
}

/* The one instruction of a constant expression; false when `op` is not
 * one module.h can record. */
static int read_init_instr(struct cursor *c, uint8_t op, struct wasm_init *in, bool *known)
{
	const uint8_t *b;

	*known = true;
	switch (op) {
	case 0x41:
		in->op = WASM_INIT_CONST, in->type = WBPF_I32;
		TRY(read_s32(c, &in->value));
		in->value = (uint32_t)in->value;
		return 0;
	case 0x42:
		in->op = WASM_INIT_CONST, in->type = WBPF_I64;
		return read_leb(c, 64, true, &in->value);
	case 0x43: case 0x44:
		in->op = WASM_INIT_CONST, in->type = op == 0x43 ? WBPF_F32 : WBPF_F64;
		TRY(read_bytes(c, op == 0x43 ? 4 : 8, &b));
		in->value = le_bits(b, op == 0x43 ? 4 : 8);
		return 0;
	case 0x23:
		in->op = WASM_INIT_GLOBAL_GET;
		return read_u32(c, &in->index);
	case 0xd0:
		in->op = WASM_INIT_REF_NULL;
		return read_reftype(c, &in->type);
	case 0xd2:
		in->op = WASM_INIT_REF_FUNC;
		return read_u32(c, &in->index);
	case 0xfd: {
		uint32_t sub;

		TRY(read_u32(c, &sub));
		if (sub != 0x0c) /* v128.const */
			break;
		in->op = WASM_INIT_CONST, in->type = WBPF_V128;
		TRY(read_bytes(c, 16, &b));
		in->value = le_bits(b, 8);
		in->value_hi = le_bits(b + 8, 8);
		return 0;
	}
	}
	*known = false;
	return 0;
}

/* Anything but one recordable instruction before `end` decodes as
 * WASM_INIT_INVALID, for validation to reject. */
static int read_const_expr(struct cursor *c, struct wasm_init *in)
{
	const uint8_t *start = c->p;
	bool known;
	uint8_t op;

	memset(in, 0, sizeof(*in));
	TRY(read_u8(c, &op));
	if (op == OP_END)
		return 0;
	TRY(read_init_instr(c, op, in, &known));
	if (!known)
		c->p = start;
	else if (c->p < c->end && *c->p == OP_END) {
		c->p++;
		return 0;
	}
	memset(in, 0, sizeof(*in));
	return skip_expr(c);
}

/* -------------------------------------------------------------- sections */

static int decode_types(struct cursor *c, struct decoder *d)
{
	struct wbpf_module *mod = d->mod;
	uint32_t n;

	TRY(read_count_max(c, &n, 0, WASM_MAX_TYPES, "types"));
	mod->types = new_array(n, sizeof(*mod->types));
	if (!mod->types)
		return nomem(c);
	mod->ntypes = n;
	for (uint32_t i = 0; i < n; i++) {
		TRY(next_item(c));
		TRY(read_functype(c, mod, &mod->types[i]));
	}
	return 0;
}

/* Imports come first in their index spaces; each space gets room for all
 * the imports now and is grown by its own section later. */
static int alloc_import_spaces(struct cursor *c, struct wbpf_module *mod, uint32_t n)
{
	mod->imports = new_array(n, sizeof(*mod->imports));
	mod->func_types = new_array(n, sizeof(*mod->func_types));
	mod->tables = new_array(n, sizeof(*mod->tables));
	mod->mems = new_array(n, sizeof(*mod->mems));
	mod->globals = new_array(n, sizeof(*mod->globals));
	if (!mod->imports || !mod->func_types || !mod->tables || !mod->mems || !mod->globals)
		return nomem(c);
	mod->nimports = n;
	return 0;
}

static int read_import_desc(struct cursor *c, struct wbpf_module *mod, struct wasm_import *im)
{
	switch (im->kind) {
	case WBPF_EXTERN_FUNC:
		im->index = mod->nfuncs;
		TRY(read_u32(c, &mod->func_types[im->index]));
		mod->nimported_funcs = ++mod->nfuncs;
		return 0;
	case WBPF_EXTERN_TABLE:
		im->index = mod->ntables;
		TRY(read_tabletype(c, &mod->tables[im->index]));
		mod->nimported_tables = ++mod->ntables;
		return 0;
	case WBPF_EXTERN_MEMORY:
		im->index = mod->nmems;
		TRY(read_limits(c, &mod->mems[im->index]));
		mod->nimported_mems = ++mod->nmems;
		return 0;
	case WBPF_EXTERN_GLOBAL:
		im->index = mod->nglobals;
		TRY(read_globaltype(c, &mod->globals[im->index].type));
		mod->nimported_globals = ++mod->nglobals;
		return 0;
	}
	return bad_byte(c, "malformed import kind", im->kind);
}

static int decode_imports(struct cursor *c, struct decoder *d)
{
	struct wbpf_module *mod = d->mod;
	uint32_t n;

	TRY(read_count_max(c, &n, 0, WASM_MAX_IMPORTS, "imports"));
	TRY(alloc_import_spaces(c, mod, n));
	for (uint32_t i = 0; i < n; i++) {
		struct wasm_import *im = &mod->imports[i];

		TRY(next_item(c));
		TRY(read_name(c, &im->module, NULL));
		TRY(read_name(c, &im->name, NULL));
		TRY(read_u8(c, &im->kind));
		TRY(read_import_desc(c, mod, im));
	}
	return 0;
}

static int decode_functions(struct cursor *c, struct decoder *d)
{
	struct wbpf_module *mod = d->mod;
	void *arr = mod->func_types;
	uint32_t n;

	TRY(read_count_max(c, &n, mod->nfuncs, WASM_MAX_FUNCTIONS, "functions"));
	TRY(extend(c, &arr, mod->nfuncs, n, sizeof(*mod->func_types)));
	mod->func_types = arr;
	for (uint32_t i = 0; i < n; i++) {
		TRY(next_item(c));
		TRY(read_u32(c, &mod->func_types[mod->nfuncs + i]));
	}
	mod->nfuncs += n;
	return 0;
}

static int decode_tables(struct cursor *c, struct decoder *d)
{
	struct wbpf_module *mod = d->mod;
	void *arr = mod->tables;
	uint32_t n;

	TRY(read_count_max(c, &n, mod->ntables, WASM_MAX_TABLES, "tables"));
	TRY(extend(c, &arr, mod->ntables, n, sizeof(*mod->tables)));
	mod->tables = arr;
	for (uint32_t i = 0; i < n; i++) {
		TRY(next_item(c));
		TRY(read_tabletype(c, &mod->tables[mod->ntables + i]));
	}
	mod->ntables += n;
	return 0;
}

static int decode_memories(struct cursor *c, struct decoder *d)
{
	struct wbpf_module *mod = d->mod;
	void *arr = mod->mems;
	uint32_t n;

	TRY(read_count(c, &n));
	TRY(extend(c, &arr, mod->nmems, n, sizeof(*mod->mems)));
	mod->mems = arr;
	for (uint32_t i = 0; i < n; i++) {
		TRY(next_item(c));
		TRY(read_limits(c, &mod->mems[mod->nmems + i]));
	}
	mod->nmems += n;
	return 0;
}

static int decode_globals(struct cursor *c, struct decoder *d)
{
	struct wbpf_module *mod = d->mod;
	void *arr = mod->globals;
	uint32_t n;

	TRY(read_count_max(c, &n, mod->nglobals, WASM_MAX_GLOBALS, "globals"));
	TRY(extend(c, &arr, mod->nglobals, n, sizeof(*mod->globals)));
	mod->globals = arr;
	for (uint32_t i = 0; i < n; i++) {
		struct wasm_global *g = &mod->globals[mod->nglobals + i];

		TRY(next_item(c));
		TRY(read_globaltype(c, &g->type));
		TRY(read_const_expr(c, &g->init));
	}
	mod->nglobals += n;
	return 0;
}

static int decode_exports(struct cursor *c, struct decoder *d)
{
	struct wbpf_module *mod = d->mod;
	uint32_t n;

	TRY(read_count_max(c, &n, 0, WASM_MAX_EXPORTS, "exports"));
	mod->exports = new_array(n, sizeof(*mod->exports));
	if (!mod->exports)
		return nomem(c);
	mod->nexports = n;
	for (uint32_t i = 0; i < n; i++) {
		struct wasm_export *ex = &mod->exports[i];

		TRY(next_item(c));
		TRY(read_name(c, &ex->name, &ex->name_len));
		TRY(read_u8(c, &ex->kind));
		if (ex->kind > WBPF_EXTERN_GLOBAL)
			return bad_byte(c, "malformed export kind", ex->kind);
		TRY(read_u32(c, &ex->index));
	}
	return 0;
}

static int decode_start(struct cursor *c, struct decoder *d)
{
	d->mod->has_start = true;
	return read_u32(c, &d->mod->start);
}

/* Element segment flags: bit 0 passive or declarative, bit 1 an explicit
 * table index (active) or declarative (otherwise), bit 2 expressions
 * instead of function indices. */
static int read_elem_header(struct cursor *c, struct wasm_elem *e, uint32_t flags)
{
	uint8_t kind;

	e->type = WBPF_FUNCREF;
	if (flags & 1)
		e->mode = flags & 2 ? WASM_SEG_DECLARATIVE : WASM_SEG_PASSIVE;
	else {
		e->mode = WASM_SEG_ACTIVE;
		if (flags & 2)
			TRY(read_u32(c, &e->table));
		TRY(read_const_expr(c, &e->offset));
	}
	if (!(flags & 3)) /* table 0 forms: funcref implied */
		return 0;
	if (flags & 4)
		return read_reftype(c, &e->type);
	TRY(read_u8(c, &kind));
	return kind ? bad_byte(c, "malformed element kind", kind) : 0;
}

/* The commonest item expression, `ref.func F end` with F below 2^14,
 * read in one step; false (nothing read) for anything else. */
static bool ref_func_item(struct cursor *c, struct wasm_init *in)
{
	const uint8_t *p = c->p;
	size_t left = remaining(c), len;
	uint32_t f;

	if (left < 3 || p[0] != 0xd2)
		return false;
	if (p[1] < 0x80)
		f = p[1], len = 3;
	else if (left >= 4 && p[2] < 0x80)
		f = (uint32_t)(p[1] & 0x7f) | (uint32_t)p[2] << 7, len = 4;
	else
		return false;
	if (p[len - 1] != OP_END)
		return false;
	*in = (struct wasm_init){ .op = WASM_INIT_REF_FUNC, .index = f };
	c->p += len;
	return true;
}

static int read_elem(struct cursor *c, struct wasm_elem *e)
{
	uint32_t flags, n;

	TRY(read_u32(c, &flags));
	if (flags > 7)
		return malformed(c, "malformed elements segment kind %u", flags);
	TRY(read_elem_header(c, e, flags));
	TRY(read_count_max(c, &n, 0, WASM_MAX_ELEM_ITEMS, "items in an elem segment"));
	/* Millions of items are possible: a buffer that may take huge pages. */
	e->items = wasm_bigbuf_realloc(NULL, 0, (n ? n : 1) * sizeof(*e->items));
	if (!e->items)
		return nomem(c);
	e->count = n;
	for (uint32_t i = 0; i < n; i++) {
		struct wasm_init *in = &e->items[i];

		TRY(next_item(c));
		if (!(flags & 4)) {
			*in = (struct wasm_init){ .op = WASM_INIT_REF_FUNC };
			TRY(read_u32(c, &in->index));
		} else if (!ref_func_item(c, in)) {
			TRY(read_const_expr(c, in));
		}
	}
	return 0;
}

static int decode_elems(struct cursor *c, struct decoder *d)
{
	struct wbpf_module *mod = d->mod;
	uint32_t n;

	TRY(read_count_max(c, &n, 0, WASM_MAX_ELEM_SEGMENTS, "elem segments"));
	mod->elems = new_array(n, sizeof(*mod->elems));
	if (!mod->elems)
		return nomem(c);
	mod->nelems = n;
	for (uint32_t i = 0; i < n; i++) {
		TRY(next_item(c));
		TRY(read_elem(c, &mod->elems[i]));
	}
	return 0;
}

static int decode_datacount(struct cursor *c, struct decoder *d)
{
	d->mod->has_datacount = true;
	return read_u32(c, &d->datacount);
}

static uint32_t nparams_of(const struct wbpf_module *mod, uint32_t func)
{
	uint32_t t = mod->func_types[func];

	return t < mod->ntypes ? mod->types[t].nparams : 0;
}

/* Local declarations are (count, type) runs; they are summed first so
 * that an absurd count is refused before anything is allocated. */
static int read_locals(struct cursor *c, struct wbpf_module *mod, uint32_t nparams,
		       struct wasm_code *code)
{
	uint64_t total = nparams;
	const uint8_t *decls;
	uint32_t nruns, n, k = 0, slot = 0;
	uint8_t t;

	TRY(read_count(c, &nruns));
	decls = c->p;
	for (uint32_t i = 0; i < nruns; i++) {
		TRY(read_u32(c, &n));
		TRY(read_valtype(c, &t));
		total += n;
		if (total > WASM_MAX_LOCALS)
			return malformed(c, "too many locals (more than %u)", WASM_MAX_LOCALS);
	}
	code->nlocals = (uint32_t)(total - nparams);
	code->runs = wasm_arena_alloc(&mod->arena, (nruns ? nruns : 1) * sizeof(*code->runs));
	if (!code->runs)
		return nomem(c);
	c->p = decls; /* second pass over runs already checked */
	for (uint32_t i = 0; i < nruns; i++, k += n, slot += n * wasm_type_slots(t)) {
		TRY(read_u32(c, &n));
		TRY(read_valtype(c, &t));
		if (n)
			code->runs[code->nruns++] = (struct wasm_local_run){ k, slot, t };
	}
	code->nlocal_slots = slot;
	return 0;
}

static int read_code(struct cursor *c, struct wbpf_module *mod, uint32_t func,
		     struct wasm_code *code)
{
	struct cursor body;
	uint32_t size;

	TRY(read_u32(c, &size));
	if (size > remaining(c))
		return malformed(c, "function %u: body size %u past the section end", func, size);
	if (size > WASM_MAX_BODY_SIZE)
		return over_limit(c, "function body bytes", size, WASM_MAX_BODY_SIZE);
	body = *c;
	body.end = c->p + size;
	c->p = body.end;
	TRY(read_locals(&body, mod, nparams_of(mod, func), code));
	/* A body is an expression: whatever it holds, its last byte is `end`. */
	if (body.p == body.end || body.end[-1] != OP_END)
		return malformed(&body, "function %u: END opcode expected", func);
	code->body = body.p;
	code->body_len = (uint32_t)(body.end - body.p);
	code->offset = (uint32_t)(body.p - body.start);
	return 0;
}

static int decode_code(struct cursor *c, struct decoder *d)
{
	struct wbpf_module *mod = d->mod;
	uint32_t n, ndefined = mod->nfuncs - mod->nimported_funcs;

	TRY(read_count(c, &n));
	if (n != ndefined)
		return malformed(c, "function and code section have inconsistent lengths "
				 "(%u functions, %u bodies)", ndefined, n);
	mod->codes = new_array(n, sizeof(*mod->codes));
	if (!mod->codes)
		return nomem(c);
	for (uint32_t i = 0; i < n; i++) {
		TRY(next_item(c));
		TRY(read_code(c, mod, mod->nimported_funcs + i, &mod->codes[i]));
	}
	return 0;
}

static int read_data(struct cursor *c, struct wasm_data *seg)
{
	uint32_t flags;

	TRY(read_u32(c, &flags));
	if (flags > 2)
		return malformed(c, "malformed data segment kind %u", flags);
	seg->mode = flags == 1 ? WASM_SEG_PASSIVE : WASM_SEG_ACTIVE;
	if (flags == 2)
		TRY(read_u32(c, &seg->mem));
	if (flags != 1)
		TRY(read_const_expr(c, &seg->offset));
	TRY(read_u32(c, &seg->len));
	return read_bytes(c, seg->len, &seg->bytes);
}

static int decode_data(struct cursor *c, struct decoder *d)
{
	struct wbpf_module *mod = d->mod;
	uint32_t n;

	TRY(read_count_max(c, &n, 0, WASM_MAX_DATA_SEGMENTS, "data segments"));
	if (mod->has_datacount && n != d->datacount)
		return malformed(c, "data count and data section have inconsistent lengths "
				 "(count %u, %u segments)", d->datacount, n);
	mod->datas = new_array(n, sizeof(*mod->datas));
	if (!mod->datas)
		return nomem(c);
	mod->ndatas = n;
	for (uint32_t i = 0; i < n; i++) {
		TRY(next_item(c));
		TRY(read_data(c, &mod->datas[i]));
	}
	return 0;
}

static int decode_custom(struct cursor *c, struct decoder *d)
{
	struct wbpf_module *mod = d->mod;
	struct wasm_custom *cs;
	char *name;

	TRY(next_item(c));
	TRY(read_name(c, &name, NULL));
	/* Capacity doubles at each power of two: linear in the count. */
	if (!(mod->ncustoms & (mod->ncustoms - 1))) {
		cs = realloc(mod->customs, ((size_t)mod->ncustoms * 2 + 1) * sizeof(*cs));
		if (!cs) {
			free(name);
			return nomem(c);
		}
		mod->customs = cs;
	}
	cs = mod->customs;
	cs[mod->ncustoms++] = (struct wasm_custom){
		.name = name, .bytes = c->p, .len = (uint32_t)remaining(c),
	};
	c->p = c->end;
	return 0;
}

typedef int (*section_fn)(struct cursor *c, struct decoder *d);

static const section_fn section_decoders[SEC_COUNT] = {
	[SEC_CUSTOM] = decode_custom,	  [SEC_TYPE] = decode_types,
	[SEC_IMPORT] = decode_imports,	  [SEC_FUNCTION] = decode_functions,
	[SEC_TABLE] = decode_tables,	  [SEC_MEMORY] = decode_memories,
	[SEC_GLOBAL] = decode_globals,	  [SEC_EXPORT] = decode_exports,
	[SEC_START] = decode_start,	  [SEC_ELEMENT] = decode_elems,
	[SEC_CODE] = decode_code,	  [SEC_DATA] = decode_data,
	[SEC_DATACOUNT] = decode_datacount,
};

static int decode_section(struct cursor *c, struct decoder *d, uint8_t *last_rank)
{
	struct cursor sec;
	uint32_t size;
	uint8_t id;

	c->section = -1;
	TRY(read_u8(c, &id));
	if (id >= SEC_COUNT)
		return bad_byte(c, "malformed section id", id);
	c->section = id;
	TRY(read_u32(c, &size));
	if (size > remaining(c))
		return malformed(c, "length out of bounds (section size %u, %zu bytes left)", size,
				 remaining(c));
	if (id != SEC_CUSTOM) {
		if (section_rank[id] <= *last_rank)
			return malformed(c, "unexpected content after last section (duplicate or out of order)");
		*last_rank = section_rank[id];
	}
	sec = *c;
	sec.end = c->p + size;
	c->p = sec.end;
	TRY(section_decoders[id](&sec, d));
	return sec.p == sec.end ? 0 : malformed(&sec, "section size mismatch");
}

static int read_header(struct cursor *c)
{
	static const uint8_t magic[4] = { 0x00, 'a', 's', 'm' };
	static const uint8_t version[4] = { 0x01, 0x00, 0x00, 0x00 };
	const uint8_t *b;

	TRY(read_bytes(c, 4, &b));
	if (memcmp(b, magic, 4)) {
		c->p = b;
		return malformed(c, "magic header not detected");
	}
	TRY(read_bytes(c, 4, &b));
	if (memcmp(b, version, 4)) {
		c->p = b;
		return malformed(c, "unknown binary version");
	}
	return 0;
}

/* Counts declared in one section and fulfilled by a later, optional one. */
static int check_counts(struct cursor *c, const struct decoder *d)
{
	const struct wbpf_module *mod = d->mod;

	if (mod->nfuncs > mod->nimported_funcs && !mod->codes)
		return malformed(c, "function and code section have inconsistent lengths "
				 "(%u functions, no code section)", mod->nfuncs - mod->nimported_funcs);
	if (mod->has_datacount && d->datacount != mod->ndatas)
		return malformed(c, "data count and data section have inconsistent lengths "
				 "(count %u, %u segments)", d->datacount, mod->ndatas);
	return 0;
}

/* ----------------------------------------------------------- name section */

static void free_func_names(struct wbpf_module *mod)
{
	if (!mod->func_names)
		return;
	for (uint32_t i = 0; i < mod->nfuncs; i++)
		free(mod->func_names[i]);
	wasm_bigbuf_free(mod->func_names);
	mod->func_names = NULL;
}

static int read_func_names(struct cursor *c, struct wbpf_module *mod)
{
	uint32_t n, idx;
	char *name;

	TRY(read_count(c, &n));
	mod->func_names = new_array(mod->nfuncs, sizeof(*mod->func_names));
	if (!mod->func_names)
		return nomem(c);
	for (uint32_t i = 0; i < n; i++) {
		TRY(next_item(c));
		TRY(read_u32(c, &idx));
		TRY(read_name(c, &name, NULL));
		if (idx < mod->nfuncs && !mod->func_names[idx])
			mod->func_names[idx] = name;
		else
			free(name);
	}
	return 0;
}

/* The name section only serves messages: a defective one is ignored.
 * Subsection 1 holds the function names. An interrupt is not ignored:
 * the caller checks the flag again. */
static void read_name_section(struct wbpf_module *mod, const struct wasm_custom *cs,
			      const atomic_int *interrupt)
{
	struct cursor c = {
		.start = mod->bytes, .p = cs->bytes, .end = cs->bytes + cs->len, .section = SEC_CUSTOM,
		.interrupt = interrupt,
	};

	while (c.p < c.end) {
		struct cursor sub;
		uint32_t size;
		uint8_t id;

		if (read_u8(&c, &id) || read_u32(&c, &size) || size > remaining(&c))
			return;
		sub = c;
		sub.end = c.p + size;
		c.p = sub.end;
		if (id == 1) {
			if (read_func_names(&sub, mod))
				free_func_names(mod);
			return;
		}
	}
}

static int read_names(struct cursor *c, struct wbpf_module *mod)
{
	for (uint32_t i = 0; i < mod->ncustoms && mod->nfuncs; i++) {
		if (!strcmp(mod->customs[i].name, "name")) {
			read_name_section(mod, &mod->customs[i], c->interrupt);
			return wasm_load_interrupted(c->interrupt, c->err, "reading the name section "
						     "at offset 0x%zx",
						     (size_t)(mod->customs[i].bytes - c->start));
		}
	}
	return 0;
}

/* ------------------------------------------------------------------- API */

int wasm_decode(struct wbpf_module *mod, const atomic_int *interrupt, struct wbpf_error *err)
{
	struct decoder d = { .mod = mod };
	struct cursor c = { .err = err, .section = -1, .interrupt = interrupt };
	uint8_t last_rank = 0;

	if (!mod->bytes)
		return wasm_fail(err, WBPF_ERR_MALFORMED, "malformed: unexpected end at offset 0x0");
	c.start = c.p = mod->bytes;
	c.end = mod->bytes + mod->len;
	TRY(read_header(&c));
	while (c.p < c.end)
		TRY(decode_section(&c, &d, &last_rank));
	c.section = -1;
	TRY(check_counts(&c, &d));
	return read_names(&c, mod);
}

static void free_strings(struct wbpf_module *mod)
{
	for (uint32_t i = 0; i < mod->nimports; i++) {
		free(mod->imports[i].module);
		free(mod->imports[i].name);
	}
	for (uint32_t i = 0; i < mod->nexports; i++)
		free(mod->exports[i].name);
	for (uint32_t i = 0; i < mod->nelems; i++)
		wasm_bigbuf_free(mod->elems[i].items);
	for (uint32_t i = 0; i < mod->ncustoms; i++)
		free(mod->customs[i].name);
	free_func_names(mod);
}

/* Frees what decode and validate allocated and zeroes those fields, so a
 * second release is harmless; bytes, compiled, the arena and refs are
 * module.c's. */
void wasm_module_release(struct wbpf_module *mod)
{
	free_strings(mod);
	wasm_bigbuf_free(mod->types);
	wasm_bigbuf_free(mod->imports);
	wasm_bigbuf_free(mod->func_types);
	wasm_bigbuf_free(mod->codes);
	wasm_bigbuf_free(mod->tables);
	wasm_bigbuf_free(mod->mems);
	wasm_bigbuf_free(mod->globals);
	wasm_bigbuf_free(mod->exports);
	wasm_bigbuf_free(mod->elems);
	wasm_bigbuf_free(mod->datas);
	free(mod->customs);
	free(mod->func_declared);
	mod->ntypes = mod->nimports = mod->nexports = mod->nelems = mod->ndatas = mod->ncustoms = 0;
	mod->nfuncs = mod->nimported_funcs = mod->ntables = mod->nimported_tables = 0;
	mod->nmems = mod->nimported_mems = mod->nglobals = mod->nimported_globals = 0;
	mod->types = NULL;
	mod->imports = NULL;
	mod->func_types = NULL;
	mod->codes = NULL;
	mod->tables = NULL;
	mod->mems = NULL;
	mod->globals = NULL;
	mod->exports = NULL;
	mod->elems = NULL;
	mod->datas = NULL;
	mod->customs = NULL;
	mod->func_declared = NULL;
	mod->has_start = mod->has_datacount = false;
}

bool wasm_functype_eq(const struct wasm_functype *a, const struct wasm_functype *b)
{
	return a->hash == b->hash && a->nparams == b->nparams && a->nresults == b->nresults &&
	       !memcmp(a->types, b->types, (size_t)a->nparams + a->nresults);
}

/* FNV-1a over the counts and the type bytes. */
uint64_t wasm_functype_hash(const struct wasm_functype *ft)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t n = (size_t)ft->nparams + ft->nresults;
	uint32_t counts[2] = { ft->nparams, ft->nresults };

	for (size_t i = 0; i < sizeof(counts); i++)
		h = (h ^ ((const uint8_t *)counts)[i]) * 0x100000001b3ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ ft->types[i]) * 0x100000001b3ull;
	return h;
}

const char *wasm_func_name(const struct wbpf_module *mod, uint32_t idx, char *buf, size_t len)
{
	if (mod->func_names && idx < mod->nfuncs && mod->func_names[idx])
		return mod->func_names[idx];
	for (uint32_t i = 0; i < mod->nexports; i++) {
		const struct wasm_export *ex = &mod->exports[i];

		if (ex->kind == WBPF_EXTERN_FUNC && ex->index == idx)
			return ex->name;
	}
	snprintf(buf, len, "func[%u]", idx);
	return buf;
}
