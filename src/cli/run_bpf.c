// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/run_bpf.h"

int run_bpf_opts__add(struct run_bpf_opts *o, enum run_bpf_flag flag, const char *arg)
{
	struct run_bpf_flag_arg *f;

	if (flag == RUN_BPF_ALLOW_ATTACH && wbpf_bpf_attach_kind__parse(arg) < 0) {
		fprintf(stderr, "wbpf run: --allow-attach: unknown kind '%s' (one of tracepoint, "
				"raw_tp, tp_btf, uprobe, socket, cgroup, xdp, kprobe, fentry, lsm, "
				"perf_event, usdt, iter, other)\n", arg);
		return -EINVAL;
	}
	if (flag == RUN_BPF_ALLOW_HELPER && !wbpf_bpf_helper__grantable(arg)) {
		fprintf(stderr, "wbpf run: --allow-helper: unknown helper or class '%s' (a helper "
				"such as bpf_send_signal, or one of signal, user-write, override, "
				"syscall, kfunc)\n", arg);
		return -EINVAL;
	}
	if (!*arg) {
		fprintf(stderr, "wbpf run: --allow-%s needs a value\n",
			flag == RUN_BPF_ALLOW_UPROBE ? "uprobe" : "iface");
		return -EINVAL;
	}
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 8;

		if (!(f = realloc(o->flags, cap * sizeof(*f))))
			return -ENOMEM;
		o->flags = f;
		o->cap = cap;
	}
	o->flags[o->n++] = (struct run_bpf_flag_arg){ flag, arg };
	return 0;
}

void run_bpf_opts__free(struct run_bpf_opts *o)
{
	free(o->flags);
	*o = (struct run_bpf_opts){ 0 };
}

/* Plain WASI programs get no eBPF host (and never touch libbpf). */
static bool imports_bpf(const struct wbpf_module *mod)
{
	struct wbpf_extern_desc d;

	for (size_t i = 0; i < wbpf_module__import_count(mod); i++)
		if (!wbpf_module__import(mod, i, &d) &&
		    (!strcmp(d.module, "wbpf") || !strcmp(d.module, "wasm_bpf") ||
		     !strcmp(d.module, "callback-wrapper")))
			return true;
	return false;
}

static int apply(struct wbpf_bpf_host *host, const struct run_bpf_flag_arg *f)
{
	switch (f->flag) {
	case RUN_BPF_ALLOW_UPROBE: return wbpf_bpf_host__allow_uprobe(host, f->arg);
	case RUN_BPF_ALLOW_IFACE: return wbpf_bpf_host__allow_iface(host, f->arg);
	case RUN_BPF_ALLOW_ATTACH:
		return wbpf_bpf_host__allow_attach(host, wbpf_bpf_attach_kind__parse(f->arg));
	case RUN_BPF_ALLOW_HELPER: return wbpf_bpf_host__allow_helper(host, f->arg);
	}
	return -EINVAL;
}

int run_bpf__setup(const struct run_bpf_opts *o, struct wbpf_store *store,
		   const struct wbpf_module *mod, struct wbpf_bpf_host **out)
{
	struct wbpf_bpf_host *host;
	int err = 0;

	*out = NULL;
	if (!imports_bpf(mod))
		return 0;
	host = wbpf_bpf_host__new(NULL);
	if (!host)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < o->n; i++)
		err = apply(host, &o->flags[i]);
	if (!err)
		err = wbpf_bpf_abi__define(store, host);
	if (err) {
		fprintf(stderr, "wbpf run: cannot set up eBPF: %s\n", strerror(-err));
		wbpf_bpf_host__free(host);
		return err;
	}
	*out = host;
	return 0;
}
