// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the engine: arbitrary bytes through load (decode,
 * validate, compile), instantiation in a fresh store, and a bounded call
 * of every exported function with zero arguments.
 *
 * Fuel and small store limits keep every input short and small: a guest
 * can't loop forever, recurse deeply or take much memory. Function imports
 * are satisfied by stubs that return zeros; other imports stay undefined
 * and fail linking, which is a path worth covering too.
 *
 * Every input runs on the interpreter and on the compiling tier, which
 * must agree on every call's results, on every error's whole description
 * (kind, trap, message: the function that trapped and the backtrace) and
 * on the final memory.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wbpf/wasm.h"

#define FUZZ_FUEL 100000
#define FUZZ_STACK_BYTES (256u << 10)
/* The call depth limit must be what stops a recursion on both tiers:
 * compiled calls and the switches between the tiers recurse on the native
 * stack, and the compiling tier traps (as "call stack exhausted", but at
 * a smaller depth, so with a shorter backtrace) once less than 256 KiB of
 * it is left (docs/engine.md, "Same guarantees as the interpreter"), which
 * the interpreter never does. Under ASan a compiled function and an
 * interpreted one calling each other take about 3.2 KiB of it a pair
 * (measured: the main thread's 8 MiB end such a recursion after 2494
 * pairs), so FUZZ_CALL_DEPTH of them (800 KiB) fit in the 8 MiB ten
 * times over, and even in the 1 MiB the tier assumes on a thread whose
 * stack it cannot learn. */
#define FUZZ_CALL_DEPTH 500
#define FUZZ_MEMORY_BYTES (16u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a run did, as a hash of every call's outcome and the final memory;
 * verbose prints each outcome too, to show how two runs differ. */
struct outcome {
	uint64_t hash;
	uint32_t calls;
	bool verbose;
};

static void note(struct outcome *o, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		o->hash = (o->hash ^ b[i]) * 0x100000001b3ull;
}

static void note_u64(struct outcome *o, uint64_t v)
{
	note(o, &v, sizeof(v));
}

/* The whole error as the embedder gets it. */
static void note_error(struct outcome *o, const char *what, const struct wbpf_error *err)
{
	note_u64(o, err->kind);
	note_u64(o, err->kind == WBPF_ERR_TRAP ? err->trap : 0);
	note(o, err->msg, strnlen(err->msg, sizeof(err->msg)));
	if (o->verbose)
		fprintf(stderr, "fuzz: %s: error %d, trap %d: %s\n", what, err->kind,
			err->kind == WBPF_ERR_TRAP ? err->trap : 0, err->msg);
}

/* Results by value; any NaN is the same NaN (the spec lets its bits
 * vary), v128 lanes are compared as bits. */
static void note_result(struct outcome *o, const struct wbpf_val *v)
{
	switch (v->type) {
	case WBPF_I32: note_u64(o, v->of.i32); break;
	case WBPF_I64: note_u64(o, v->of.i64); break;
	case WBPF_F32: note_u64(o, isnan(v->of.f32) ? 1 : 2 + (uint64_t)v->of.i32); break;
	case WBPF_F64: note_u64(o, isnan(v->of.f64) ? 1 : 2 + v->of.i64); break;
	case WBPF_V128: note(o, v->of.v128, sizeof(v->of.v128)); break;
	default: note_u64(o, v->of.ref != NULL); break;
	}
}

/* `user` carries the number of results to zero. */
static int stub(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)c;
	memset(slots, 0, (size_t)(uintptr_t)user * sizeof(*slots));
	return 0;
}

static char sig_letter(uint8_t type)
{
	switch (type) {
	case WBPF_I32: return 'i';
	case WBPF_I64: return 'I';
	case WBPF_F32: return 'f';
	case WBPF_F64: return 'F';
	case WBPF_EXTERNREF: return 'r';
	case WBPF_FUNCREF: return 'R';
	default: return 0; /* v128 has no letter: such imports stay undefined */
	}
}

/* "(params)results" for wbpf_store__define_func, or NULL. */
static char *signature(const struct wbpf_functype *ft)
{
	char *sig = malloc((size_t)ft->nparams + ft->nresults + 3), *p = sig;

	if (!sig)
		return NULL;
	*p++ = '(';
	for (uint32_t i = 0; i < ft->nparams; i++)
		if (!(*p++ = sig_letter(ft->params[i])))
			goto bad;
	*p++ = ')';
	for (uint32_t i = 0; i < ft->nresults; i++)
		if (!(*p++ = sig_letter(ft->results[i])))
			goto bad;
	*p = '\0';
	return sig;
bad:
	free(sig);
	return NULL;
}

static void define_stubs(struct wbpf_store *store, const struct wbpf_module *mod)
{
	struct wbpf_extern_desc d;

	for (size_t i = 0; i < wbpf_module__import_count(mod); i++) {
		char *sig;

		if (wbpf_module__import(mod, i, &d) || d.kind != WBPF_EXTERN_FUNC)
			continue;
		sig = signature(&d.func);
		/* A repeated name fails here and then links or not; both are fine. */
		if (sig)
			wbpf_store__define_func(store, d.module, d.name, sig, stub,
						(void *)(uintptr_t)d.func.nresults);
		free(sig);
	}
}

/* Zero arguments of the right types; false when a type can't be made. */
static bool zero_args(const struct wbpf_functype *ft, struct wbpf_val *args)
{
	for (uint32_t i = 0; i < ft->nparams; i++) {
		if (ft->params[i] == WBPF_V128)
			return false;
		memset(&args[i], 0, sizeof(args[i]));
		args[i].type = ft->params[i];
	}
	return true;
}

static void call_export(struct wbpf_store *store, struct wbpf_instance *inst, const char *name,
			struct outcome *o)
{
	struct wbpf_func *fn = wbpf_instance__func(inst, name);
	struct wbpf_val *args, *results;
	struct wbpf_error err;
	struct wbpf_functype ft;

	if (!fn)
		return;
	wbpf_func__type(fn, &ft);
	args = calloc(ft.nparams + 1, sizeof(*args));
	results = calloc(ft.nresults + 1, sizeof(*results));
	if (args && results && zero_args(&ft, args)) {
		int rc;

		wbpf_store__set_fuel(store, FUZZ_FUEL);
		rc = wbpf_func__call(fn, args, ft.nparams, results, ft.nresults, &err);
		note_u64(o, (uint64_t)rc);
		if (rc)
			note_error(o, name, &err);
		else if (o->verbose)
			fprintf(stderr, "fuzz: %s: returned\n", name);
		for (uint32_t i = 0; !rc && i < ft.nresults; i++)
			note_result(o, &results[i]);
		o->calls++;
	}
	free(args);
	free(results);
}

/* Touches the instance's other exports through the API as well. */
static void inspect_export(struct wbpf_instance *inst, const char *name)
{
	struct wbpf_extern ext;
	struct wbpf_val v;
	uint8_t byte;

	if (wbpf_instance__export(inst, name, &ext))
		return;
	switch (ext.kind) {
	case WBPF_EXTERN_MEMORY:
		if (wbpf_memory__size(ext.of.memory))
			wbpf_memory__read(ext.of.memory, wbpf_memory__size(ext.of.memory) - 1,
					  &byte, 1);
		break;
	case WBPF_EXTERN_GLOBAL:
		wbpf_global__get(ext.of.global, &v);
		break;
	case WBPF_EXTERN_TABLE:
		if (wbpf_table__size(ext.of.table))
			wbpf_table__get(ext.of.table, 0, &v);
		break;
	case WBPF_EXTERN_FUNC:
		break;
	}
}

static void run(const struct wbpf_module *mod, struct outcome *o)
{
	const struct wbpf_store_opts opts = {
		.sz = sizeof(opts),
		.stack_bytes = FUZZ_STACK_BYTES,
		.max_call_depth = FUZZ_CALL_DEPTH,
		.max_memory_bytes = FUZZ_MEMORY_BYTES,
	};
	struct wbpf_store *store = wbpf_store__new(&opts);
	struct wbpf_instance *inst;
	struct wbpf_extern_desc d;
	struct wbpf_error err;

	if (!store)
		return;
	define_stubs(store, mod);
	/* The start function runs on this fuel. */
	wbpf_store__set_fuel(store, FUZZ_FUEL);
	inst = wbpf_instance__new(store, mod, &err);
	if (!inst)
		note_error(o, "instantiation", &err);
	for (size_t i = 0; inst && i < wbpf_module__export_count(mod); i++) {
		if (wbpf_module__export(mod, i, &d))
			continue;
		if (d.kind == WBPF_EXTERN_FUNC)
			call_export(store, inst, d.name, o);
		else
			inspect_export(inst, d.name);
	}
	note_u64(o, inst != NULL);
	if (inst && wbpf_instance__memory(inst)) {
		const struct wbpf_memory *m = wbpf_instance__memory(inst);

		note(o, wbpf_memory__data(m), wbpf_memory__size(m));
	}
	wbpf_store__free(store);
}

/* The compiling tier is asked for explicitly: auto would start most short
 * runs interpreted while a thread compiles. No code cache: a run must not
 * depend on earlier ones or leave files behind. */
static bool load_and_run(const uint8_t *data, size_t size, enum wbpf_engine engine,
			 bool verbose, struct outcome *o)
{
	struct wbpf_module_opts opts = { .sz = sizeof(opts), .engine = engine,
					 .code_cache = "off" };
	struct wbpf_error err;
	struct wbpf_module *mod = wbpf_module__new_opts(data, size, &opts, &err);

	*o = (struct outcome){ .hash = 0xcbf29ce484222325ull, .verbose = verbose };
	if (!mod)
		return false;
	run(mod, o);
	wbpf_module__free(mod);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome interp, compiled;

	if (!load_and_run(data, size, WBPF_ENGINE_INTERP, false, &interp))
		return 0;
	if (!load_and_run(data, size, WBPF_ENGINE_COMPILE, false, &compiled)) {
		fprintf(stderr, "fuzz: the module loads for the interpreter only\n");
		abort();
	}
	if (interp.hash != compiled.hash || interp.calls != compiled.calls) {
		fprintf(stderr, "fuzz: the tiers differ (%u calls interpreted, %u compiled)\n"
			"fuzz: interpreted:\n", interp.calls, compiled.calls);
		load_and_run(data, size, WBPF_ENGINE_INTERP, true, &interp);
		fprintf(stderr, "fuzz: compiled:\n");
		load_and_run(data, size, WBPF_ENGINE_COMPILE, true, &compiled);
		abort();
	}
	return 0;
}
