/* SPDX-License-Identifier: MIT */
/* The Wasm operator of a gadget (operator.c) and the ABIs it is given
 * (abi.c: which ABI a module gets; abi_ig.c: Inspektor Gadget's). */
#ifndef WBPF_GADGET_OPERATOR_H
#define WBPF_GADGET_OPERATOR_H

#include "gadget/internal.h"
#include "wbpf/wasi.h"
#include "wbpf/wasm.h"

/* Callback failures shown on stderr; later ones are only counted. */
#define GOP_MAX_REPORTS 10

struct gig;
struct gwb;
struct gfake;

struct gop {
	struct wbpf_gadget *g;
	struct wbpf_store *store;
	struct wbpf_wasi *wasi;
	struct wbpf_module *mod;
	struct wbpf_instance *inst;
	uint64_t fuel;	  /* per call into the guest */
	int depth;	  /* guest calls in progress (emits nest) */
	bool dead;	  /* trapped in a lifecycle call: not called again */
	char reason[256]; /* why the last host call failed */
	uint64_t failed_calls;
	struct gig *ig;	  /* Inspektor Gadget's ABI state, when imported */
	struct gwb *wb;	  /* wbpf's own ABI state, when imported */
	struct gfake *fake; /* --deterministic clocks and random */
};

/* A host call failed: the reason is kept (the guest may read it) and
 * logged, the first GOP_MAX_REPORTS times. */
void gop_vfail(struct gop *op, const char *fn, const char *fmt, va_list ap);

/* Calls fn with the per-call fuel budget. */
int gop_call_func(struct gop *op, struct wbpf_func *fn, const struct wbpf_val *args,
		  size_t nargs, struct wbpf_val *res, size_t nres, struct wbpf_error *err);
void gop_callback_failed(struct gop *op, const char *what, const struct wbpf_error *err);

/* abi_wbpf.c: wbpf's own operator ABI (module wbpf_gadget). */
int gwb_define(struct gop *op);
int gwb_bind(struct gwb *wb);
void gwb_free(struct gwb *wb);

/* determ.c: IG's fake clocks and random_get, shadowing WASI's. */
int gop_define_deterministic(struct gop *op);

/* abi.c */
int gop_define_abis(struct gop *op);
int gop_check_version(struct gop *op);
void gop_free_abis(struct gop *op);

#endif /* WBPF_GADGET_OPERATOR_H */
