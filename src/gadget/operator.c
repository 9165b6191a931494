// SPDX-License-Identifier: MIT
/*
 * The gadget's Wasm operator: one instance in its own store, with WASI
 * (no files, no environment; its stdout and stderr go to our stderr so
 * they cannot corrupt the output), the operator ABIs, and the lifecycle
 * exports called in order. Every call into the guest has a fuel budget
 * and a memory cap: a guest that traps or loops is stopped, counted and
 * reported, and the gadget goes on without it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gadget/operator.h"

#define DEFAULT_MEMORY (256ull << 20)
#define DEFAULT_FUEL 1000000000ull

static int op_fail(struct wbpf_gadget *g, const char *what, const struct wbpf_error *err)
{
	const char *nl = strchr(err->msg, '\n');

	g->stats.operator_errors++;
	if (err->kind == WBPF_ERR_TRAP)
		g->stats.operator_traps++;
	return gerr(g, -ECANCELED, "operator: %s: %.*s", what,
		    nl ? (int)(nl - err->msg) : (int)strlen(err->msg), err->msg);
}

static int make_store(struct wbpf_gadget *g, struct gop *op)
{
	struct wbpf_store_opts so = {
		.sz = sizeof(so),
		.max_memory_bytes = g->opts.max_memory ? g->opts.max_memory : DEFAULT_MEMORY,
	};
	static const int stdio[3] = {-1, 2, 2};
	const char *argv[] = {"operator"};
	struct wbpf_error err = {0};

	if (!(op->store = wbpf_store__new(&so)))
		return -ENOMEM;
	op->wasi = wbpf_wasi__new(&(struct wbpf_wasi_opts){
		.sz = sizeof(struct wbpf_wasi_opts), .argv = argv, .argc = 1, .stdio = stdio,
	}, &err);
	if (!op->wasi)
		return gerr(g, -ENOMEM, "operator: WASI: %s", err.msg);
	return wbpf_wasi__define(op->wasi, op->store);
}

int gop_open(struct wbpf_gadget *g)
{
	struct wbpf_error err = {0};
	struct gop *op;
	int ret;

	if (!g->wasm)
		return 0;
	if (!(op = calloc(1, sizeof(*op))))
		return -ENOMEM;
	g->op = op;
	op->g = g;
	op->fuel = g->opts.callback_fuel ? g->opts.callback_fuel : DEFAULT_FUEL;
	if (!(op->mod = wbpf_module__new(g->wasm, g->wasm_size, &err)))
		return gerr(g, -EINVAL, "operator: not a valid Wasm module: %s", err.msg);
	if ((ret = make_store(g, op)) || (ret = gop_define_abis(op)))
		return ret;
	if (g->opts.deterministic && (ret = gop_define_deterministic(op)))
		return ret;
	wbpf_store__set_fuel(op->store, op->fuel);
	if (!(op->inst = wbpf_instance__new(op->store, op->mod, &err)))
		return op_fail(g, "cannot instantiate", &err);
	wbpf_instance__set_user(op->inst, op);
	/* Reactors: only _initialize, never _start. */
	if ((ret = gop_call(g, "_initialize")))
		return ret;
	return gop_check_version(op);
}

int gop_call_func(struct gop *op, struct wbpf_func *fn, const struct wbpf_val *args,
		  size_t nargs, struct wbpf_val *res, size_t nres, struct wbpf_error *err)
{
	int ret;

	wbpf_store__set_fuel(op->store, op->fuel);
	op->depth++;
	ret = wbpf_func__call(fn, args, nargs, res, nres, err);
	op->depth--;
	return ret;
}

/* A lifecycle export: ()->i32 (non-zero = failure) or ()->() for
 * _initialize. Missing ones are skipped. */
int gop_call(struct wbpf_gadget *g, const char *name)
{
	struct gop *op = g->op;
	struct wbpf_error err = {0};
	struct wbpf_val res = {0};
	struct wbpf_functype ft;
	struct wbpf_func *fn;
	bool init = !strcmp(name, "_initialize");

	if (!op || !op->inst || op->dead || !(fn = wbpf_instance__func(op->inst, name)))
		return 0;
	wbpf_func__type(fn, &ft);
	if (ft.nparams || ft.nresults != (init ? 0u : 1u) ||
	    (!init && ft.results[0] != WBPF_I32))
		return gerr(g, -EINVAL, "operator: export %s must have type %s", name,
			    init ? "() -> ()" : "() -> i32");
	if (gop_call_func(op, fn, NULL, 0, &res, init ? 0 : 1, &err)) {
		op->dead = true;
		return op_fail(g, name, &err);
	}
	if (!init && res.of.i32) {
		g->stats.operator_errors++;
		return gerr(g, -ECANCELED, "operator: %s returned %d%s%s", name, (int)res.of.i32,
			    op->reason[0] ? ": " : "", op->reason);
	}
	return 0;
}

void gop_vfail(struct gop *op, const char *fn, const char *fmt, va_list ap)
{
	int n = snprintf(op->reason, sizeof(op->reason), "%s: ", fn);

	if (n > 0 && (size_t)n < sizeof(op->reason))
		vsnprintf(op->reason + n, sizeof(op->reason) - (size_t)n, fmt, ap);
	if (++op->failed_calls <= GOP_MAX_REPORTS)
		gwarn("operator: %s%s", op->reason, op->failed_calls == GOP_MAX_REPORTS ?
		      " (further failing calls are counted, not shown)" : "");
}

/* A callback's trap or failure: counted and logged; the gadget goes on. */
void gop_callback_failed(struct gop *op, const char *what, const struct wbpf_error *err)
{
	const char *nl = strchr(err->msg, '\n');

	op->g->stats.operator_errors++;
	if (err->kind == WBPF_ERR_TRAP)
		op->g->stats.operator_traps++;
	if (op->g->stats.operator_errors <= GOP_MAX_REPORTS)
		gwarn("operator: %s: %.*s%s", what,
		      nl ? (int)(nl - err->msg) : (int)strlen(err->msg), err->msg,
		      op->g->stats.operator_errors == GOP_MAX_REPORTS ? " (further errors counted, "
		      "not shown)" : "");
}

void gop_close(struct wbpf_gadget *g)
{
	struct gop *op = g->op;

	if (!op)
		return;
	gop_free_abis(op);
	wbpf_store__free(op->store);
	wbpf_wasi__free(op->wasi);
	wbpf_module__free(op->mod);
	free(op->fake);
	free(op);
	g->op = NULL;
}
