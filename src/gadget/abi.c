// SPDX-License-Identifier: MIT
/*
 * Which operator ABI a module gets, chosen by the module names it
 * imports: Inspektor Gadget's `env` (2025-02) or `ig` (mainline), or
 * wbpf's own `wbpf_gadget` (docs/gadget-operator-abi.md).
 */
#include <errno.h>
#include <string.h>

#include "gadget/ig.h"

static bool imports(const struct wbpf_module *mod, const char *module)
{
	struct wbpf_extern_desc d;

	for (size_t i = 0; i < wbpf_module__import_count(mod); i++)
		if (!wbpf_module__import(mod, i, &d) && !strcmp(d.module, module))
			return true;
	return false;
}

int gop_define_abis(struct gop *op)
{
	bool env = imports(op->mod, "env"), ig = imports(op->mod, "ig");
	bool wb = imports(op->mod, "wbpf_gadget");

	if (env + ig + wb > 1)
		return gerr(op->g, -EINVAL, "operator: imports more than one operator ABI (env, ig, "
			    "wbpf_gadget)");
	if (wb)
		return gwb_define(op);
	if (env || ig)
		return gig_define(op, env);
	return 0;
}

/* IG's operators export gadgetAPIVersion() -> i64, which must be 1. */
int gop_check_version(struct gop *op)
{
	struct wbpf_func *fn = wbpf_instance__func(op->inst, "gadgetAPIVersion");
	struct wbpf_error err = {0};
	struct wbpf_val res = {0};
	struct wbpf_functype ft;
	int ret;

	if (op->ig && (ret = gig_bind(op->ig)))
		return ret;
	if (op->wb && (ret = gwb_bind(op->wb)))
		return ret;
	if (!fn)
		return op->ig ? gerr(op->g, -EINVAL, "operator: exports no gadgetAPIVersion") : 0;
	wbpf_func__type(fn, &ft);
	if (ft.nparams || ft.nresults != 1 || ft.results[0] != WBPF_I64)
		return gerr(op->g, -EINVAL, "operator: gadgetAPIVersion must be () -> i64");
	if (gop_call_func(op, fn, NULL, 0, &res, 1, &err))
		return gerr(op->g, -ECANCELED, "operator: gadgetAPIVersion trapped: %s", err.msg);
	if (res.of.i64 != 1)
		return gerr(op->g, -EINVAL, "operator: API version %lld, wbpf speaks 1",
			    (long long)res.of.i64);
	return 0;
}

void gop_free_abis(struct gop *op)
{
	gig_free(op->ig);
	op->ig = NULL;
	gwb_free(op->wb);
	op->wb = NULL;
}
