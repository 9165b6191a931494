// SPDX-License-Identifier: MIT
/* Modules: decode, validate and compile once; share read-only after. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/jit.h"
#include "wasm/jit_cache.h"
#include "wasm/runtime.h"

void wbpf_module__free(struct wbpf_module *mod)
{
	if (!mod || atomic_fetch_sub(&mod->refs, 1) != 1)
		return;
	wasm_jit_auto_stop(mod);
	free(mod->compiled);
	wasm_arena_free(mod->arena);
	wasm_jit_free(mod->jit);
	free(mod->type_canon);
	wasm_module_release(mod);
	wasm_bigbuf_free(mod->bytes);
	free(mod);
}

struct wbpf_module *wbpf_module__new(const void *bytes, size_t len, struct wbpf_error *err)
{
	return wbpf_module__new_opts(bytes, len, NULL, err);
}

/* An option the caller's struct is large enough to hold, else `def`. */
#define OPT(o, field, def) \
	((o) && (o)->sz >= offsetof(struct wbpf_module_opts, field) + sizeof((o)->field) ? \
	 (o)->field : (def))

int wbpf_engine__parse(const char *name, enum wbpf_engine *out)
{
	static const char *const names[] = { [WBPF_ENGINE_INTERP] = "interp",
					     [WBPF_ENGINE_COMPILE] = "compile",
					     [WBPF_ENGINE_AUTO] = "auto" };

	for (size_t i = WBPF_ENGINE_INTERP; name && i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(name, names[i])) {
			*out = (enum wbpf_engine)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int compile_native(struct wbpf_module *mod, const struct wbpf_module_opts *opts,
			  const atomic_int *interrupt, struct wbpf_error *err)
{
	enum wbpf_engine engine = OPT(opts, engine, WBPF_ENGINE_DEFAULT);
	const char *env = getenv("WBPF_ENGINE");

	if (engine == WBPF_ENGINE_DEFAULT && env && *env && wbpf_engine__parse(env, &engine))
		return wasm_fail(err, WBPF_ERR_ARG, "WBPF_ENGINE=%s: expected interp, compile "
				 "or auto", env);
	if (engine == WBPF_ENGINE_DEFAULT)
		engine = WBPF_ENGINE_AUTO;
	if (engine == WBPF_ENGINE_INTERP || (engine == WBPF_ENGINE_AUTO && !wasm_jit_available()))
		return 0;
	char *dir = wasm_jit_cache_dir(OPT(opts, code_cache, NULL));
	struct jit_opts o = { .cache_dir = dir, .interrupt = interrupt,
			      .cache_max = wasm_jit_cache_max(OPT(opts, code_cache_max, 0)) };
	int rc = engine == WBPF_ENGINE_AUTO ? wasm_jit_auto(mod, &o, err) :
		 wasm_jit_compile_module(mod, &o, err);

	free(dir);
	/* The code cache's key and entry are read unpolled: an interrupt
	 * meanwhile still stops this load. */
	return rc ? rc : wasm_load_interrupted(interrupt, err, "loading machine code");
}

size_t wbpf_module__native_count(const struct wbpf_module *mod)
{
	const struct jit_module *jm = __atomic_load_n(&mod->jit, __ATOMIC_ACQUIRE);

	return jm ? jm->ncompiled : 0;
}

bool wbpf_module__native_cached(const struct wbpf_module *mod)
{
	const struct jit_module *jm = __atomic_load_n(&mod->jit, __ATOMIC_ACQUIRE);

	return jm && jm->from_cache;
}

struct wbpf_module *wbpf_module__new_opts(const void *bytes, size_t len,
					  const struct wbpf_module_opts *opts,
					  struct wbpf_error *err)
{
	struct wbpf_store *st = OPT(opts, interrupt_from, NULL);
	struct wbpf_module *mod;

	if (!bytes && len) {
		wasm_fail(err, WBPF_ERR_ARG, "no bytes given");
		return NULL;
	}
	if (len > WASM_MAX_MODULE_SIZE) {
		wasm_fail(err, WBPF_ERR_INVALID, "limit exceeded: module of %zu bytes (the engine's "
			  "limit is %u)", len, WASM_MAX_MODULE_SIZE);
		return NULL;
	}
	if (st)
		atomic_store(&st->interrupt, 0);
	mod = calloc(1, sizeof(*mod));
	if (!mod || !(mod->bytes = wasm_bigbuf_realloc(NULL, 0, len ? len : 1))) {
		free(mod);
		wasm_fail(err, WBPF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (len)
		memcpy(mod->bytes, bytes, len);
	mod->len = len;
	atomic_init(&mod->refs, 1);
	const atomic_int *interrupt = st ? &st->interrupt : NULL;

	if (wasm_decode(mod, interrupt, err) || wasm_validate_module(mod, interrupt, err) ||
	    wasm_compile_module(mod, interrupt, err) || compile_native(mod, opts, interrupt, err)) {
		wbpf_module__free(mod);
		return NULL;
	}
	return mod;
}

static void describe_func_type(const struct wbpf_module *mod, uint32_t func,
			       struct wbpf_functype *out)
{
	const struct wasm_functype *ft = &mod->types[mod->func_types[func]];

	out->nparams = ft->nparams;
	out->nresults = ft->nresults;
	out->params = ft->types;
	out->results = wasm_results(ft);
}

size_t wbpf_module__import_count(const struct wbpf_module *mod)
{
	return mod->nimports;
}

int wbpf_module__import(const struct wbpf_module *mod, size_t i, struct wbpf_extern_desc *out)
{
	if (i >= mod->nimports)
		return -ENOENT;
	const struct wasm_import *im = &mod->imports[i];

	memset(out, 0, sizeof(*out));
	out->module = im->module;
	out->name = im->name;
	out->kind = (enum wbpf_extern_kind)im->kind;
	if (im->kind == WBPF_EXTERN_FUNC)
		describe_func_type(mod, im->index, &out->func);
	return 0;
}

size_t wbpf_module__export_count(const struct wbpf_module *mod)
{
	return mod->nexports;
}

int wbpf_module__export(const struct wbpf_module *mod, size_t i, struct wbpf_extern_desc *out)
{
	if (i >= mod->nexports)
		return -ENOENT;
	const struct wasm_export *ex = &mod->exports[i];

	memset(out, 0, sizeof(*out));
	out->name = ex->name;
	out->kind = (enum wbpf_extern_kind)ex->kind;
	if (ex->kind == WBPF_EXTERN_FUNC)
		describe_func_type(mod, ex->index, &out->func);
	return 0;
}
