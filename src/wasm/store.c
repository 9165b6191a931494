// SPDX-License-Identifier: MIT
/*
 * Stores: the execution stack, limits, host definitions and ownership of
 * everything instantiated in them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/runtime.h"

#define DEFAULT_STACK_BYTES (1u << 20)
#define DEFAULT_CALL_DEPTH 10000u

struct wbpf_store *wbpf_store__new(const struct wbpf_store_opts *opts)
{
	struct wbpf_store_opts o = { 0 };
	struct wbpf_store *st;

	if (opts)
		memcpy(&o, opts, opts->sz && opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	wasm_guard_install();
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	size_t nslots = (o.stack_bytes ? o.stack_bytes : DEFAULT_STACK_BYTES) / sizeof(slot_t);

	st->max_depth = o.max_call_depth ? o.max_call_depth : DEFAULT_CALL_DEPTH;
	st->max_memory_bytes = o.max_memory_bytes;
	st->stack = calloc(nslots ? nslots : 1, sizeof(slot_t));
	st->frames = calloc(st->max_depth, sizeof(*st->frames));
	if (!st->stack || !st->frames) {
		wbpf_store__free(st);
		return NULL;
	}
	st->stack_end = st->stack + nslots;
	st->stack_top = st->stack;
	return st;
}

static void free_host_func(struct wbpf_func *f)
{
	free(f->host_name);
	free(f->host_type.types);
	free(f);
}

static void free_defs(struct wasm_def *d)
{
	while (d) {
		struct wasm_def *next = d->next;

		free(d->module);
		free(d->name);
		free(d);
		d = next;
	}
}

void wbpf_store__free(struct wbpf_store *st)
{
	if (!st)
		return;
	while (st->instances) {
		struct wbpf_instance *next = st->instances->next;

		wasm_instance_destroy(st->instances);
		st->instances = next;
	}
	free_defs(st->defs);
	while (st->host_funcs) {
		struct wbpf_func *next = st->host_funcs->next_host;

		free_host_func(st->host_funcs);
		st->host_funcs = next;
	}
	while (st->memories) {
		struct wbpf_memory *next = st->memories->next;

		wasm_memory_destroy(st->memories);
		st->memories = next;
	}
	while (st->tables) {
		struct wbpf_table *next = st->tables->next;

		free(st->tables->elems);
		free(st->tables);
		st->tables = next;
	}
	while (st->globals) {
		struct wbpf_global *next = st->globals->next;

		free(st->globals);
		st->globals = next;
	}
	free(st->stack);
	free(st->frames);
	free(st);
}

void wbpf_store__set_fuel(struct wbpf_store *st, uint64_t fuel)
{
	st->fuel = fuel;
	st->budget = 0;
	st->fuel_enabled = true;
}

uint64_t wbpf_store__fuel(const struct wbpf_store *st)
{
	return st->fuel + (st->budget > 0 ? (uint64_t)st->budget : 0);
}

void wbpf_store__disable_fuel(struct wbpf_store *st)
{
	st->fuel_enabled = false;
}

void wbpf_store__interrupt(struct wbpf_store *st)
{
	atomic_store(&st->interrupt, 1);
}

/* ---------------------------------------------------------- definitions */

int wbpf_store__define(struct wbpf_store *st, const char *module, const char *name,
		       struct wbpf_extern ext)
{
	struct wasm_def *d;

	if (!st || !module || !name || !ext.of.func)
		return -EINVAL;
	/* A memory's guard region is only recognised by its own store. */
	if (ext.kind == WBPF_EXTERN_MEMORY && ext.of.memory->store != st)
		return -EXDEV;
	if (ext.kind == WBPF_EXTERN_FUNC && ext.of.func->store != st)
		return -EXDEV;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->module = strdup(module);
	d->name = strdup(name);
	d->ext = ext;
	if (!d->module || !d->name) {
		free(d->module);
		free(d->name);
		free(d);
		return -ENOMEM;
	}
	d->next = st->defs; /* newest first: a later definition shadows */
	st->defs = d;
	return 0;
}

static int sig_type(char ch, uint8_t *out)
{
	switch (ch) {
	case 'i': *out = WBPF_I32; return 0;
	case 'I': *out = WBPF_I64; return 0;
	case 'f': *out = WBPF_F32; return 0;
	case 'F': *out = WBPF_F64; return 0;
	case 'V': *out = WBPF_V128; return 0;
	case 'r': *out = WBPF_EXTERNREF; return 0;
	case 'R': *out = WBPF_FUNCREF; return 0;
	}
	return -EINVAL;
}

int wasm_parse_sig(const char *sig, struct wasm_functype *out)
{
	const char *close = sig && sig[0] == '(' ? strchr(sig, ')') : NULL;
	size_t np, nr;

	if (!close)
		return -EINVAL;
	np = (size_t)(close - sig - 1);
	nr = strlen(close + 1);
	out->types = malloc(np + nr + 1);
	if (!out->types)
		return -ENOMEM;
	out->nparams = (uint32_t)np;
	out->nresults = (uint32_t)nr;
	for (size_t i = 0; i < np + nr; i++) {
		char ch = i < np ? sig[1 + i] : close[1 + i - np];

		if (sig_type(ch, &out->types[i])) {
			free(out->types);
			out->types = NULL;
			return -EINVAL;
		}
	}
	out->hash = wasm_functype_hash(out);
	return 0;
}

int wbpf_store__define_func(struct wbpf_store *st, const char *module, const char *name,
			    const char *sig, wbpf_host_fn fn, void *user)
{
	struct wbpf_func *f;
	int rc;

	if (!st || !fn)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	rc = wasm_parse_sig(sig, &f->host_type);
	if (!rc && asprintf(&f->host_name, "%s.%s", module, name) < 0)
		rc = -ENOMEM;
	if (!rc) {
		f->type = &f->host_type;
		f->store = st;
		f->host = fn;
		f->user = user;
		rc = wbpf_store__define(st, module, name,
					(struct wbpf_extern){ .kind = WBPF_EXTERN_FUNC, .of.func = f });
	}
	if (rc) {
		free_host_func(f);
		return rc;
	}
	f->next_host = st->host_funcs;
	st->host_funcs = f;
	return 0;
}

int wbpf_store__define_instance(struct wbpf_store *st, const char *module, struct wbpf_instance *inst)
{
	const struct wbpf_module *mod = inst->mod;

	for (uint32_t i = 0; i < mod->nexports; i++) {
		struct wbpf_extern ext;
		int rc = wbpf_instance__export(inst, mod->exports[i].name, &ext);

		if (!rc)
			rc = wbpf_store__define(st, module, mod->exports[i].name, ext);
		if (rc)
			return rc;
	}
	return 0;
}

const struct wasm_def *wasm_store_lookup(const struct wbpf_store *st, const char *module,
					 const char *name)
{
	for (const struct wasm_def *d = st->defs; d; d = d->next)
		if (!strcmp(d->module, module) && !strcmp(d->name, name))
			return d;
	return NULL;
}

/* --------------------------------------------------------------- caller */

struct wbpf_instance *wbpf_caller__instance(struct wbpf_caller *c)
{
	return c->inst;
}

void *wbpf_caller__mem(struct wbpf_caller *c, uint64_t addr, uint64_t len)
{
	const struct wbpf_memory *mem = c->inst ? c->inst->mem : NULL;

	if (!mem || !wasm_range_ok(mem->size, addr, len))
		return NULL;
	return mem->data + addr;
}

uint64_t wbpf_caller__mem_size(struct wbpf_caller *c)
{
	return c->inst && c->inst->mem ? c->inst->mem->size : 0;
}

const char *wbpf_caller__str(struct wbpf_caller *c, uint64_t addr, uint64_t max)
{
	uint64_t size = wbpf_caller__mem_size(c);

	if (addr >= size)
		return NULL;
	const char *s = (const char *)c->inst->mem->data + addr;
	uint64_t avail = size - addr < max ? size - addr : max;

	return memchr(s, 0, avail) ? s : NULL;
}

int wbpf_caller__trap(struct wbpf_caller *c, const char *fmt, ...)
{
	struct wbpf_error *e = &c->store->pending;
	va_list ap;

	e->kind = WBPF_ERR_TRAP;
	e->trap = WBPF_TRAP_HOST;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -EFAULT;
}

int wbpf_caller__rethrow(struct wbpf_caller *c, const struct wbpf_error *err)
{
	if (!err || (err->kind != WBPF_ERR_TRAP && err->kind != WBPF_ERR_EXIT))
		return wbpf_caller__trap(c, "%s", err ? err->msg : "unknown failure");
	c->store->pending = *err;
	return err->kind == WBPF_ERR_EXIT ? -ECANCELED : -EFAULT;
}

bool wbpf_caller__interrupted(struct wbpf_caller *c)
{
	return atomic_load(&c->store->interrupt);
}

int wbpf_caller__exit(struct wbpf_caller *c, int code)
{
	struct wbpf_error *e = &c->store->pending;

	e->kind = WBPF_ERR_EXIT;
	e->trap = WBPF_TRAP_NONE;
	e->exit_code = code;
	snprintf(e->msg, sizeof(e->msg), "exit(%d)", code);
	return -ECANCELED;
}
