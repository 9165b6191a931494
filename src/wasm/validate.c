// SPDX-License-Identifier: MIT
/*
 * Module-level validation: everything but function bodies (compile.c
 * checks those). Also computes func_declared, the functions a ref.func in
 * a body may name (the spec's C.refs).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/module.h"

static int invalid(struct wbpf_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int invalid(struct wbpf_error *err, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (!err)
		return wasm_fail(NULL, WBPF_ERR_INVALID, "invalid");
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return wasm_fail(err, WBPF_ERR_INVALID, "invalid: %s", what);
}

/* The type a constant expression produces. As the test suite expects of
 * Wasm 2.0, global.get may only name an imported immutable global, in any
 * constant expression. Functions named by ref.func join C.refs. */
static int const_type(struct wbpf_module *mod, const struct wasm_init *in, uint8_t *type,
		      struct wbpf_error *err, const char *what, uint32_t idx)
{
	switch (in->op) {
	case WASM_INIT_CONST:
	case WASM_INIT_REF_NULL:
		*type = in->type;
		return 0;
	case WASM_INIT_GLOBAL_GET:
		if (in->index >= mod->nimported_globals)
			return invalid(err, "%s %u: unknown global %u (constant expressions read "
				       "imported globals only)", what, idx, in->index);
		if (mod->globals[in->index].type.mut)
			return invalid(err, "%s %u: constant expression required (global %u is mutable)",
				       what, idx, in->index);
		*type = mod->globals[in->index].type.type;
		return 0;
	case WASM_INIT_REF_FUNC:
		if (in->index >= mod->nfuncs)
			return invalid(err, "%s %u: unknown function %u", what, idx, in->index);
		mod->func_declared[in->index] = 1;
		*type = WBPF_FUNCREF;
		return 0;
	}
	return invalid(err, "%s %u: constant expression required", what, idx);
}

static int check_const(struct wbpf_module *mod, const struct wasm_init *in, uint8_t want,
		       struct wbpf_error *err, const char *what, uint32_t idx)
{
	uint8_t got;

	TRY(const_type(mod, in, &got, err, what, idx));
	if (got != want)
		return invalid(err, "%s %u: type mismatch: constant expression is %s, expected %s", what,
			       idx, wbpf_valtype__str(got), wbpf_valtype__str(want));
	return 0;
}

/* Each check polls the caller's interrupt before every item, as
 * decoding does. */
#define POLL(intr, err, ...) TRY(wasm_load_interrupted(intr, err, "validating " __VA_ARGS__))

static int check_func_types(const struct wbpf_module *mod, const atomic_int *intr,
			    struct wbpf_error *err)
{
	for (uint32_t i = 0; i < mod->nfuncs; i++) {
		POLL(intr, err, "function %u", i);
		if (mod->func_types[i] >= mod->ntypes)
			return invalid(err, "function %u: unknown type %u", i, mod->func_types[i]);
	}
	return 0;
}

/* Sizes are u32, so a table's cannot pass the spec's 2^32-1 bound; a
 * memory's is checked in pages by check_mems. */
static int check_limits(const struct wasm_limits *lim, struct wbpf_error *err, const char *what,
			uint32_t idx)
{
	if (lim->has_max && lim->min > lim->max)
		return invalid(err, "%s %u: size minimum must not be greater than maximum (%u > %u)",
			       what, idx, lim->min, lim->max);
	return 0;
}

static int check_tables(const struct wbpf_module *mod, struct wbpf_error *err)
{
	for (uint32_t i = 0; i < mod->ntables; i++)
		TRY(check_limits(&mod->tables[i].lim, err, "table", i));
	return 0;
}

static int check_mems(const struct wbpf_module *mod, struct wbpf_error *err)
{
	if (mod->nmems > 1)
		return invalid(err, "multiple memories (%u)", mod->nmems);
	for (uint32_t i = 0; i < mod->nmems; i++) {
		const struct wasm_limits *lim = &mod->mems[i];

		if (lim->min > WASM_MAX_PAGES || (lim->has_max && lim->max > WASM_MAX_PAGES))
			return invalid(err, "memory %u: memory size must be at most 65536 pages (4GiB)", i);
		TRY(check_limits(lim, err, "memory", i));
	}
	return 0;
}

static int check_globals(struct wbpf_module *mod, const atomic_int *intr, struct wbpf_error *err)
{
	for (uint32_t i = mod->nimported_globals; i < mod->nglobals; i++) {
		const struct wasm_global *g = &mod->globals[i];

		POLL(intr, err, "global %u", i);

		TRY(check_const(mod, &g->init, g->type.type, err, "global", i));
	}
	return 0;
}

static int check_elem(struct wbpf_module *mod, const struct wasm_elem *e, uint32_t idx,
		      const atomic_int *intr, struct wbpf_error *err)
{
	if (e->mode == WASM_SEG_ACTIVE) {
		if (e->table >= mod->ntables)
			return invalid(err, "elem %u: unknown table %u", idx, e->table);
		if (mod->tables[e->table].elem != e->type)
			return invalid(err, "elem %u: type mismatch: %s segment for a %s table", idx,
				       wbpf_valtype__str(e->type), wbpf_valtype__str(mod->tables[e->table].elem));
		TRY(check_const(mod, &e->offset, WBPF_I32, err, "elem", idx));
	}
	for (uint32_t i = 0; i < e->count; i++) {
		const struct wasm_init *in = &e->items[i];

		POLL(intr, err, "elem %u item %u", idx, i);
		if (in->op == WASM_INIT_REF_FUNC && in->index < mod->nfuncs &&
		    e->type == WBPF_FUNCREF) { /* most items, checked inline */
			mod->func_declared[in->index] = 1;
			continue;
		}
		TRY(check_const(mod, in, e->type, err, "elem", idx));
	}
	return 0;
}

static int check_datas(struct wbpf_module *mod, const atomic_int *intr, struct wbpf_error *err)
{
	for (uint32_t i = 0; i < mod->ndatas; i++) {
		const struct wasm_data *seg = &mod->datas[i];

		POLL(intr, err, "data %u", i);

		if (seg->mode != WASM_SEG_ACTIVE)
			continue;
		if (seg->mem >= mod->nmems)
			return invalid(err, "data %u: unknown memory %u", i, seg->mem);
		TRY(check_const(mod, &seg->offset, WBPF_I32, err, "data", i));
	}
	return 0;
}

static int check_start(const struct wbpf_module *mod, struct wbpf_error *err)
{
	const struct wasm_functype *ft;

	if (!mod->has_start)
		return 0;
	if (mod->start >= mod->nfuncs)
		return invalid(err, "start: unknown function %u", mod->start);
	ft = &mod->types[mod->func_types[mod->start]];
	if (ft->nparams || ft->nresults)
		return invalid(err, "start function %u must have type [] -> []", mod->start);
	return 0;
}

static int export_cmp(const void *a, const void *b)
{
	const struct wasm_export *x = *(const struct wasm_export *const *)a;
	const struct wasm_export *y = *(const struct wasm_export *const *)b;

	if (x->name_len != y->name_len)
		return x->name_len < y->name_len ? -1 : 1;
	return memcmp(x->name, y->name, x->name_len);
}

/* Sorting makes duplicates neighbours: linear in practice for modules
 * with thousands of exports. */
static int check_export_names(const struct wbpf_module *mod, struct wbpf_error *err)
{
	const struct wasm_export **sorted;
	int ret = 0;

	if (mod->nexports < 2)
		return 0;
	sorted = malloc(mod->nexports * sizeof(*sorted));
	if (!sorted)
		return wasm_fail(err, WBPF_ERR_NOMEM, "out of memory validating exports");
	for (uint32_t i = 0; i < mod->nexports; i++)
		sorted[i] = &mod->exports[i];
	qsort(sorted, mod->nexports, sizeof(*sorted), export_cmp);
	for (uint32_t i = 1; i < mod->nexports && !ret; i++) {
		if (!export_cmp(&sorted[i - 1], &sorted[i]))
			ret = invalid(err, "duplicate export name \"%s\"", sorted[i]->name);
	}
	free(sorted);
	return ret;
}

static int check_exports(struct wbpf_module *mod, const atomic_int *intr, struct wbpf_error *err)
{
	static const char *const kinds[] = { "function", "table", "memory", "global" };

	for (uint32_t i = 0; i < mod->nexports; i++) {
		const struct wasm_export *ex = &mod->exports[i];
		const uint32_t counts[] = { mod->nfuncs, mod->ntables, mod->nmems, mod->nglobals };

		POLL(intr, err, "export %u", i);

		if (ex->index >= counts[ex->kind])
			return invalid(err, "export \"%s\": unknown %s %u", ex->name, kinds[ex->kind],
				       ex->index);
		if (ex->kind == WBPF_EXTERN_FUNC)
			mod->func_declared[ex->index] = 1;
	}
	return check_export_names(mod, err);
}

int wasm_validate_module(struct wbpf_module *mod, const atomic_int *intr, struct wbpf_error *err)
{
	free(mod->func_declared);
	mod->func_declared = calloc(mod->nfuncs ? mod->nfuncs : 1, 1);
	if (!mod->func_declared)
		return wasm_fail(err, WBPF_ERR_NOMEM, "out of memory validating the module");
	TRY(check_func_types(mod, intr, err));
	TRY(check_tables(mod, err));
	TRY(check_mems(mod, err));
	TRY(check_globals(mod, intr, err));
	for (uint32_t i = 0; i < mod->nelems; i++)
		TRY(check_elem(mod, &mod->elems[i], i, intr, err));
	TRY(check_datas(mod, intr, err));
	TRY(check_start(mod, err));
	return check_exports(mod, intr, err);
}
