// SPDX-License-Identifier: MIT
/*
 * Instantiation (link imports, allocate, run segments and the start
 * function), exports, tables, globals and calls from the embedder.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/runtime.h"

static const char *const kind_names[] = { "function", "table", "memory", "global" };

/* ---------------------------------------------------- tables, globals */

struct wbpf_table *wasm_table_create(struct wbpf_store *st, uint8_t type, uint32_t min, uint32_t max)
{
	struct wbpf_table *t;

	if (min > WASM_MAX_TABLE)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->elems = calloc(min ? min : 1, sizeof(slot_t));
	if (!t->elems) {
		free(t);
		return NULL;
	}
	t->size = min;
	t->max = max;
	t->type = type;
	t->next = st->tables;
	st->tables = t;
	return t;
}

int64_t wasm_table_grow(struct wbpf_table *t, uint32_t delta, slot_t init)
{
	uint32_t old = t->size;
	uint64_t want = (uint64_t)old + delta;

	if (want > t->max || want > WASM_MAX_TABLE)
		return -1;
	slot_t *elems = realloc(t->elems, (want ? want : 1) * sizeof(slot_t));

	if (!elems)
		return -1;
	for (uint64_t i = old; i < want; i++)
		elems[i] = init;
	t->elems = elems;
	t->size = (uint32_t)want;
	return old;
}

struct wbpf_global *wasm_global_create(struct wbpf_store *st, uint8_t type, bool mut, slot_t val,
				       slot_t hi)
{
	struct wbpf_global *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->type = type;
	g->mut = mut;
	g->val = val;
	g->hi = hi;
	g->next = st->globals;
	st->globals = g;
	return g;
}

/* ------------------------------------------------------------- values */

/* A value into its slots (two for a v128); returns how many it took. */
static uint32_t val_to_slots(const struct wbpf_val *v, slot_t *s)
{
	switch (v->type) {
	case WBPF_I32:
	case WBPF_F32:
		s[0] = v->of.i32;
		return 1;
	case WBPF_FUNCREF:
		s[0] = (slot_t)(uintptr_t)v->of.func;
		return 1;
	case WBPF_EXTERNREF:
		s[0] = (slot_t)(uintptr_t)v->of.ref;
		return 1;
	case WBPF_V128:
		s[0] = v->of.v128[0];
		s[1] = v->of.v128[1];
		return 2;
	default:
		s[0] = v->of.i64;
		return 1;
	}
}

static struct wbpf_val slots_to_val(uint8_t type, const slot_t *s)
{
	struct wbpf_val v = { .type = (enum wbpf_valtype)type };

	switch (type) {
	case WBPF_I32:
	case WBPF_F32:
		v.of.i32 = (uint32_t)s[0];
		break;
	case WBPF_FUNCREF:
		v.of.func = (struct wbpf_func *)(uintptr_t)s[0];
		break;
	case WBPF_EXTERNREF:
		v.of.ref = (void *)(uintptr_t)s[0];
		break;
	case WBPF_V128:
		v.of.v128[0] = s[0];
		v.of.v128[1] = s[1];
		break;
	default:
		v.of.i64 = s[0];
	}
	return v;
}

struct wbpf_table *wbpf_table__new(struct wbpf_store *store, enum wbpf_valtype elem, uint32_t min,
				   uint32_t max)
{
	if (!store || (elem != WBPF_FUNCREF && elem != WBPF_EXTERNREF) || min > max)
		return NULL;
	return wasm_table_create(store, (uint8_t)elem, min, max);
}

struct wbpf_global *wbpf_global__new(struct wbpf_store *store, struct wbpf_val value, bool mutable_)
{
	slot_t s[2] = { 0, 0 };

	if (!store)
		return NULL;
	val_to_slots(&value, s);
	return wasm_global_create(store, (uint8_t)value.type, mutable_, s[0], s[1]);
}

int wbpf_global__get(const struct wbpf_global *g, struct wbpf_val *out)
{
	if (!g || !out)
		return -EINVAL;
	slot_t s[2] = { g->val, g->hi };

	*out = slots_to_val(g->type, s);
	return 0;
}

int wbpf_global__set(struct wbpf_global *g, struct wbpf_val v)
{
	if (!g || v.type != g->type)
		return -EINVAL;
	if (!g->mut)
		return -EPERM;
	slot_t s[2] = { 0, 0 };

	val_to_slots(&v, s);
	g->val = s[0];
	g->hi = s[1];
	return 0;
}

uint32_t wbpf_table__size(const struct wbpf_table *t)
{
	return t ? t->size : 0;
}

int wbpf_table__get(const struct wbpf_table *t, uint32_t i, struct wbpf_val *out)
{
	if (!t || i >= t->size)
		return -EINVAL;
	*out = slots_to_val(t->type, &t->elems[i]);
	return 0;
}

/* ------------------------------------------------------------ linking */

static bool limits_match(uint64_t have_min, bool have_has_max, uint64_t have_max,
			 const struct wasm_limits *want)
{
	if (have_min < want->min)
		return false;
	return !want->has_max || (have_has_max && have_max <= want->max);
}

static int link_one(struct wbpf_instance *inst, const struct wasm_import *im, struct wbpf_error *err)
{
	const struct wbpf_module *mod = inst->mod;
	const struct wasm_def *def = wasm_store_lookup(inst->store, im->module, im->name);
	bool ok = true;

	if (!def)
		return wasm_fail(err, WBPF_ERR_LINK, "unknown import: %s '%s'.'%s' is not defined",
				 kind_names[im->kind], im->module, im->name);
	if (def->ext.kind != im->kind)
		return wasm_fail(err, WBPF_ERR_LINK,
				 "incompatible import type: '%s'.'%s' is a %s, the module imports a %s",
				 im->module, im->name, kind_names[def->ext.kind], kind_names[im->kind]);
	switch (im->kind) {
	case WBPF_EXTERN_FUNC:
		ok = wasm_functype_eq(def->ext.of.func->type, &mod->types[mod->func_types[im->index]]);
		inst->funcs[im->index] = def->ext.of.func;
		break;
	case WBPF_EXTERN_TABLE: {
		const struct wbpf_table *t = def->ext.of.table;
		const struct wasm_tabletype *want = &mod->tables[im->index];

		ok = t->type == want->elem &&
		     limits_match(t->size, t->max != UINT32_MAX, t->max, &want->lim);
		inst->tables[im->index] = def->ext.of.table;
		break;
	}
	case WBPF_EXTERN_MEMORY: {
		const struct wbpf_memory *m = def->ext.of.memory;

		ok = limits_match(m->size / WASM_PAGE_SIZE, m->has_max, m->max_pages, &mod->mems[0]);
		inst->mem = def->ext.of.memory;
		break;
	}
	default: {
		const struct wbpf_global *g = def->ext.of.global;
		const struct wasm_globaltype *want = &mod->globals[im->index].type;

		ok = g->type == want->type && g->mut == want->mut;
		inst->globals[im->index] = def->ext.of.global;
	}
	}
	if (!ok)
		return wasm_fail(err, WBPF_ERR_LINK,
				 "incompatible import type: %s '%s'.'%s' does not match the import's type",
				 kind_names[im->kind], im->module, im->name);
	return 0;
}

/* --------------------------------------------------------- allocation */

static slot_t eval_init(const struct wbpf_instance *inst, const struct wasm_init *e)
{
	switch (e->op) {
	case WASM_INIT_CONST:
		return e->value;
	case WASM_INIT_GLOBAL_GET:
		return inst->globals[e->index]->val;
	case WASM_INIT_REF_FUNC:
		return (slot_t)(uintptr_t)inst->funcs[e->index];
	default:
		return 0;
	}
}

static int alloc_arrays(struct wbpf_instance *inst)
{
	const struct wbpf_module *mod = inst->mod;
	uint32_t ndefined = mod->nfuncs - mod->nimported_funcs;

	inst->funcs = calloc(mod->nfuncs + 1, sizeof(*inst->funcs));
	inst->own_funcs = calloc(ndefined + 1, sizeof(*inst->own_funcs));
	inst->tables = calloc(mod->ntables + 1, sizeof(*inst->tables));
	inst->globals = calloc(mod->nglobals + 1, sizeof(*inst->globals));
	inst->elem_items = calloc(mod->nelems + 1, sizeof(*inst->elem_items));
	inst->elem_counts = calloc(mod->nelems + 1, sizeof(*inst->elem_counts));
	inst->data_dropped = calloc(mod->ndatas + 1, 1);
	if (!inst->funcs || !inst->own_funcs || !inst->tables || !inst->globals ||
	    !inst->elem_items || !inst->elem_counts || !inst->data_dropped)
		return -ENOMEM;
	return 0;
}

static int alloc_defined(struct wbpf_instance *inst, struct wbpf_error *err)
{
	const struct wbpf_module *mod = inst->mod;
	struct wbpf_store *st = inst->store;

	for (uint32_t i = mod->nimported_funcs; i < mod->nfuncs; i++) {
		struct wbpf_func *f = &inst->own_funcs[i - mod->nimported_funcs];

		f->type = &mod->types[mod->type_canon[mod->func_types[i]]];
		f->store = st;
		f->inst = inst;
		f->code = mod->compiled[i - mod->nimported_funcs];
		f->index = i;
		inst->funcs[i] = f;
	}
	for (uint32_t i = mod->nimported_tables; i < mod->ntables; i++) {
		const struct wasm_tabletype *tt = &mod->tables[i];

		inst->tables[i] = wasm_table_create(st, tt->elem, tt->lim.min,
						    tt->lim.has_max ? tt->lim.max : UINT32_MAX);
		if (!inst->tables[i])
			return wasm_fail(err, WBPF_ERR_NOMEM, "cannot allocate table %u (%u elements)",
					 i, tt->lim.min);
	}
	if (mod->nmems > mod->nimported_mems) {
		const struct wasm_limits *l = &mod->mems[0];

		inst->mem = wasm_memory_create(st, l->min, l->has_max ? l->max : UINT32_MAX);
		if (!inst->mem)
			return wasm_fail(err, WBPF_ERR_NOMEM,
					 "cannot allocate memory of %u pages (over the limit?)", l->min);
	}
	for (uint32_t i = mod->nimported_globals; i < mod->nglobals; i++) {
		const struct wasm_global *g = &mod->globals[i];

		const struct wasm_init *in = &g->init;
		/* A v128 global copies both halves of its constant or source. */
		slot_t hi = in->op == WASM_INIT_GLOBAL_GET ? inst->globals[in->index]->hi : in->value_hi;

		inst->globals[i] = wasm_global_create(st, g->type.type, g->type.mut,
						      eval_init(inst, in), hi);
		if (!inst->globals[i])
			return wasm_fail(err, WBPF_ERR_NOMEM, "out of memory");
	}
	return 0;
}

static int eval_elems(struct wbpf_instance *inst, struct wbpf_error *err)
{
	const struct wbpf_module *mod = inst->mod;

	for (uint32_t i = 0; i < mod->nelems; i++) {
		const struct wasm_elem *e = &mod->elems[i];

		inst->elem_items[i] = calloc(e->count + 1, sizeof(slot_t));
		if (!inst->elem_items[i])
			return wasm_fail(err, WBPF_ERR_NOMEM, "out of memory");
		for (uint32_t k = 0; k < e->count; k++)
			inst->elem_items[i][k] = eval_init(inst, &e->items[k]);
		inst->elem_counts[i] = e->mode == WASM_SEG_DECLARATIVE ? 0 : e->count;
	}
	return 0;
}

static int init_trap(struct wbpf_error *err, enum wbpf_trap trap, const char *what, uint32_t seg)
{
	int rc = wasm_fail(err, WBPF_ERR_TRAP, "%s (initialising %s segment %u)",
			   wbpf_trap__str(trap), what, seg);

	if (err)
		err->trap = trap;
	return rc;
}

/* Active segments are copied in order; a failing one traps, and what the
 * earlier ones wrote stays, as the spec requires. */
static int init_segments(struct wbpf_instance *inst, struct wbpf_error *err)
{
	const struct wbpf_module *mod = inst->mod;

	for (uint32_t i = 0; i < mod->nelems; i++) {
		const struct wasm_elem *e = &mod->elems[i];

		if (e->mode != WASM_SEG_ACTIVE)
			continue;
		struct wbpf_table *t = inst->tables[e->table];
		uint64_t off = (uint32_t)eval_init(inst, &e->offset);

		if (!wasm_range_ok(t->size, off, e->count))
			return init_trap(err, WBPF_TRAP_TABLE_OOB, "elem", i);
		memcpy(t->elems + off, inst->elem_items[i], (size_t)e->count * sizeof(slot_t));
		inst->elem_counts[i] = 0;
	}
	for (uint32_t i = 0; i < mod->ndatas; i++) {
		const struct wasm_data *d = &mod->datas[i];

		if (d->mode != WASM_SEG_ACTIVE)
			continue;
		uint64_t off = (uint32_t)eval_init(inst, &d->offset);
		uint64_t size = inst->mem ? inst->mem->size : 0;

		if (!wasm_range_ok(size, off, d->len))
			return init_trap(err, WBPF_TRAP_MEM_OOB, "data", i);
		if (d->len)
			memcpy(inst->mem->data + off, d->bytes, d->len);
		inst->data_dropped[i] = 1;
	}
	return 0;
}

void wasm_instance_destroy(struct wbpf_instance *inst)
{
	if (inst->elem_items)
		for (uint32_t i = 0; i < inst->mod->nelems; i++)
			free(inst->elem_items[i]);
	free(inst->elem_items);
	free(inst->elem_counts);
	free(inst->data_dropped);
	free(inst->funcs);
	free(inst->own_funcs);
	free(inst->tables);
	free(inst->globals);
	wbpf_module__free(inst->mod);
	free(inst);
}

struct wbpf_instance *wbpf_instance__new(struct wbpf_store *st, const struct wbpf_module *cmod,
					 struct wbpf_error *err)
{
	struct wbpf_module *mod = (struct wbpf_module *)cmod;
	struct wbpf_instance *inst;
	int rc;

	if (!st || !mod) {
		wasm_fail(err, WBPF_ERR_ARG, "no store or module given");
		return NULL;
	}
	inst = calloc(1, sizeof(*inst));
	if (!inst) {
		wasm_fail(err, WBPF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	atomic_fetch_add(&mod->refs, 1);
	inst->mod = mod;
	inst->store = st;
	if (alloc_arrays(inst)) {
		wasm_fail(err, WBPF_ERR_NOMEM, "out of memory");
		wasm_instance_destroy(inst);
		return NULL;
	}
	for (uint32_t i = 0; i < mod->nimports; i++) {
		if ((rc = link_one(inst, &mod->imports[i], err))) {
			wasm_instance_destroy(inst);
			return NULL;
		}
	}
	if ((rc = alloc_defined(inst, err)) || (rc = eval_elems(inst, err))) {
		wasm_instance_destroy(inst);
		return NULL;
	}
	/* From here on other instances may hold references into this one
	 * (through imported tables), so it belongs to the store even if
	 * instantiation traps. */
	inst->next = st->instances;
	st->instances = inst;
	if (init_segments(inst, err))
		return NULL;
	if (mod->has_start &&
	    wbpf_func__call(inst->funcs[mod->start], NULL, 0, NULL, 0, err))
		return NULL;
	return inst;
}

/* ------------------------------------------------------------ exports */

const struct wbpf_module *wbpf_instance__module(const struct wbpf_instance *inst)
{
	return inst->mod;
}

int wbpf_instance__export(const struct wbpf_instance *inst, const char *name, struct wbpf_extern *out)
{
	const struct wbpf_module *mod = inst->mod;

	for (uint32_t i = 0; i < mod->nexports; i++) {
		const struct wasm_export *ex = &mod->exports[i];

		if (strcmp(ex->name, name))
			continue;
		out->kind = (enum wbpf_extern_kind)ex->kind;
		switch (ex->kind) {
		case WBPF_EXTERN_FUNC: out->of.func = inst->funcs[ex->index]; break;
		case WBPF_EXTERN_TABLE: out->of.table = inst->tables[ex->index]; break;
		case WBPF_EXTERN_MEMORY: out->of.memory = inst->mem; break;
		default: out->of.global = inst->globals[ex->index]; break;
		}
		return 0;
	}
	return -ENOENT;
}

struct wbpf_func *wbpf_instance__func(const struct wbpf_instance *inst, const char *name)
{
	struct wbpf_extern ext;

	if (!inst || !name || wbpf_instance__export(inst, name, &ext) || ext.kind != WBPF_EXTERN_FUNC)
		return NULL;
	return ext.of.func;
}

struct wbpf_memory *wbpf_instance__memory(const struct wbpf_instance *inst)
{
	return inst ? inst->mem : NULL;
}

struct wbpf_table *wbpf_instance__table(const struct wbpf_instance *inst, uint32_t idx)
{
	return inst && idx < inst->mod->ntables ? inst->tables[idx] : NULL;
}

void wbpf_instance__set_user(struct wbpf_instance *inst, void *user)
{
	inst->user = user;
}

void *wbpf_instance__user(const struct wbpf_instance *inst)
{
	return inst->user;
}

/* -------------------------------------------------------------- calls */

void wbpf_func__type(const struct wbpf_func *fn, struct wbpf_functype *out)
{
	out->nparams = fn->type->nparams;
	out->nresults = fn->type->nresults;
	out->params = fn->type->types;
	out->results = wasm_results(fn->type);
}

const char *wbpf_func__name(const struct wbpf_func *fn)
{
	if (!fn->inst)
		return fn->host_name;
	const struct wbpf_module *mod = fn->inst->mod;

	if (mod->func_names && mod->func_names[fn->index])
		return mod->func_names[fn->index];
	for (uint32_t i = 0; i < mod->nexports; i++)
		if (mod->exports[i].kind == WBPF_EXTERN_FUNC && mod->exports[i].index == fn->index)
			return mod->exports[i].name;
	return "<anonymous>";
}

static int check_args(const struct wasm_functype *ft, const struct wbpf_val *args, size_t nargs,
		      size_t nresults, struct wbpf_error *err)
{
	if ((nargs && !args) || nargs != ft->nparams || (nresults && nresults < ft->nresults))
		return wasm_fail(err, WBPF_ERR_ARG, "expected %u arguments and %u results, got %zu and %zu",
				 ft->nparams, ft->nresults, nargs, nresults);
	for (size_t i = 0; i < nargs; i++)
		if ((uint8_t)args[i].type != ft->types[i])
			return wasm_fail(err, WBPF_ERR_ARG, "argument %zu has the wrong type", i);
	return 0;
}

/* The frame at the top of the stack for calling fn with `need` slots of
 * arguments or results; NULL (with err set) when the stack is full. */
static slot_t *call_frame(struct wbpf_func *fn, uint32_t need, struct wbpf_error *err)
{
	struct wbpf_store *st = fn->store;
	slot_t *fp = st->stack_top;

	if ((size_t)(st->stack_end - fp) >= need + (fn->code ? fn->code->frame_slots : 0))
		return fp;
	wasm_fail(err, WBPF_ERR_TRAP, "call stack exhausted calling '%s'", wbpf_func__name(fn));
	if (err)
		err->trap = WBPF_TRAP_STACK_EXHAUSTED;
	return NULL;
}

/* Runs fn on fp, which holds its arguments (nparams slots). */
static int call_on(struct wbpf_func *fn, slot_t *fp, uint32_t nparams, struct wbpf_error *err)
{
	int rc;

	if (fn->code)
		wasm_zero_locals(fp + nparams, fn->code->nlocals);
	rc = wasm_interp_call(fn->store, fn, fp, err);
	if (!rc && err)
		err->kind = WBPF_OK;
	return rc;
}

int wbpf_func__call(struct wbpf_func *fn, const struct wbpf_val *args, size_t nargs,
		    struct wbpf_val *results, size_t nresults, struct wbpf_error *err)
{
	if (!fn)
		return wasm_fail(err, WBPF_ERR_ARG, "no function given");
	const struct wasm_functype *ft = fn->type;
	uint32_t nparams = wasm_slot_count(ft->types, ft->nparams);
	uint32_t nres = wasm_slot_count(wasm_results(ft), ft->nresults);
	int rc = check_args(ft, args, nargs, nresults, err);
	slot_t *fp;

	if (!rc && nresults && !results)
		rc = wasm_fail(err, WBPF_ERR_ARG, "no room given for the results");
	if (rc)
		return rc;
	if (!(fp = call_frame(fn, nparams > nres ? nparams : nres, err)))
		return -EFAULT;
	for (size_t i = 0, k = 0; i < nargs; i++)
		k += val_to_slots(&args[i], fp + k);
	rc = call_on(fn, fp, nparams, err);
	if (rc)
		return rc;
	for (size_t i = 0, k = 0; i < ft->nresults && i < nresults; i++) {
		results[i] = slots_to_val(wasm_results(ft)[i], fp + k);
		k += wasm_type_slots(wasm_results(ft)[i]);
	}
	return 0;
}

/* Whether any of the types is a reference, which a raw slot cannot be
 * trusted to hold. */
static bool has_refs(const uint8_t *types, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (types[i] == WBPF_FUNCREF || types[i] == WBPF_EXTERNREF)
			return true;
	return false;
}

/* The checks of a raw call: the slots fn takes and returns, and its
 * frame in *fp. */
static int raw_frame(struct wbpf_func *fn, uint32_t *nparams, uint32_t *nres, slot_t **fp,
		     struct wbpf_error *err)
{
	if (!fn)
		return wasm_fail(err, WBPF_ERR_ARG, "no function given");
	const struct wasm_functype *ft = fn->type;
	const struct wasm_compiled *code = fn->code;

	if (has_refs(ft->types, ft->nparams + ft->nresults))
		return wasm_fail(err, WBPF_ERR_ARG, "'%s' takes or returns references",
				 wbpf_func__name(fn));
	*nparams = code ? code->nparams : wasm_slot_count(ft->types, ft->nparams);
	*nres = code ? code->nresults : wasm_slot_count(wasm_results(ft), ft->nresults);
	*fp = call_frame(fn, *nparams > *nres ? *nparams : *nres, err);
	return *fp ? 0 : -EFAULT;
}

int wbpf_func__call_slots(struct wbpf_func *fn, uint64_t *slots, struct wbpf_error *err)
{
	uint32_t nparams, nres;
	slot_t *fp;
	int rc = slots ? raw_frame(fn, &nparams, &nres, &fp, err) :
			 wasm_fail(err, WBPF_ERR_ARG, "no slots given");

	if (rc)
		return rc;
	/* A few slots each way: plain stores beat memcpy calls. */
	for (uint32_t i = 0; i < nparams; i++)
		fp[i] = slots[i];
	rc = call_on(fn, fp, nparams, err);
	for (uint32_t i = 0; !rc && i < nres; i++)
		slots[i] = fp[i];
	return rc;
}

int wbpf_func__call_each(struct wbpf_func *fn, int (*next)(void *ctx, uint64_t *slots),
			 void *ctx, struct wbpf_error *err)
{
	struct wasm_each each = { .next = next, .ctx = ctx };
	uint32_t nres;
	slot_t *fp;
	int rc = raw_frame(fn, &each.nparams, &nres, &fp, err);

	if (rc)
		return rc;
	if (!next)
		return wasm_fail(err, WBPF_ERR_ARG, "no next() given");
	if (err)
		err->kind = WBPF_OK;
	return wasm_interp_call_each(fn->store, fn, fp, &each, err);
}
