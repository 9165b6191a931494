/* SPDX-License-Identifier: MIT */
/* `wbpf run`'s eBPF side: the permission flags and the host given to a
 * guest that imports `wbpf`, `wasm_bpf` or `callback-wrapper`. */
#ifndef WBPF_CLI_RUN_BPF_H
#define WBPF_CLI_RUN_BPF_H

#include <stddef.h>

#include "wbpf/bpf.h"
#include "wbpf/wasm.h"

enum run_bpf_flag {
	RUN_BPF_ALLOW_UPROBE, /* --allow-uprobe BINARY */
	RUN_BPF_ALLOW_IFACE,  /* --allow-iface IFNAME */
	RUN_BPF_ALLOW_ATTACH, /* --allow-attach KIND */
	RUN_BPF_ALLOW_HELPER, /* --allow-helper NAME */
};

#define RUN_BPF_HELP                                                                   \
	"  --allow-uprobe BINARY  let eBPF guests put uprobes on BINARY (a path; its\n" \
	"                        base name also matches, e.g. libc.so.6; '*' = any).\n" \
	"  --allow-iface IFNAME   let eBPF guests attach socket filters and XDP\n"     \
	"                        programs on interface IFNAME ('*' = any).\n"           \
	"  --allow-attach KIND    allow an attach kind denied by default: cgroup,\n"    \
	"                        kprobe, fentry, lsm, perf_event, usdt, iter, other.\n" \
	"                        Tracepoints, raw_tp and tp_btf are always allowed.\n" \
	"  --allow-helper NAME    let eBPF guests' programs call a restricted helper:\n" \
	"                        a name (bpf_send_signal) or a class: signal,\n"     \
	"                        user-write, override, syscall, kfunc.\n"

struct run_bpf_flag_arg {
	enum run_bpf_flag flag;
	const char *arg;
};

struct run_bpf_opts {
	struct run_bpf_flag_arg *flags;
	size_t n, cap;
};

/* Records a flag (arg stays owned by argv); -EINVAL after printing why. */
int run_bpf_opts__add(struct run_bpf_opts *o, enum run_bpf_flag flag, const char *arg);
void run_bpf_opts__free(struct run_bpf_opts *o);

/* When `mod` imports an eBPF module, creates the host with the flags'
 * permissions and defines the modules in `store`; *out stays NULL
 * otherwise. Prints why on failure. */
int run_bpf__setup(const struct run_bpf_opts *o, struct wbpf_store *store,
		   const struct wbpf_module *mod, struct wbpf_bpf_host **out);

#endif /* WBPF_CLI_RUN_BPF_H */
