/* SPDX-License-Identifier: MIT */
/* `wbpf run` internals: options, the running context, the deadline
 * thread (run_deadline.c) and --invoke values (run_invoke.c). */
#ifndef WBPF_CLI_RUN_H
#define WBPF_CLI_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/run_bpf.h"
#include "cli/run_metrics.h"
#include "cli/run_sink.h"
#include "wbpf/wasi.h"
#include "wbpf/wasm.h"

struct run_opts {
	struct wbpf_wasi_preopen *dirs;
	size_t ndirs, dirs_cap;
	int *sockets;		/* --listen-fd */
	size_t nsockets, sockets_cap;
	char **env;		/* "KEY=VALUE", owned */
	size_t nenv, env_cap;
	bool inherit_env, help, has_fuel;
	uint64_t fuel, timeout_ns, max_memory, max_stack;
	const char *timeout_str;	/* as written, for messages */
	const char *invoke;
	const char *module;
	char **args;		/* guest arguments or --invoke values */
	size_t nargs;
	struct run_bpf_opts bpf;	/* --allow-* */
	const char *output, *metrics;	/* --output, --metrics */
	enum wbpf_engine engine;	/* --engine */
	const char *code_cache;		/* --code-cache, or NULL */
	uint64_t code_cache_max;	/* --code-cache-max, or 0 */
};

int run_opts__parse(struct run_opts *o, int argc, char **argv);
void run_opts__free(struct run_opts *o);

struct run_deadline;

struct run_ctx {
	const struct run_opts *opts;
	struct wbpf_store *store;
	struct wbpf_wasi *wasi;
	struct wbpf_instance *inst;
	struct run_deadline *deadline;
	struct wbpf_bpf_host *bpf;	/* NULL unless the guest uses eBPF */
	struct run_sink sink;
	struct run_bpf_metrics bpf_metrics;	/* --metrics: the host's buffers */
};

/* Starts a thread that interrupts the guest (loading, running, waiting
 * in WASI) after opts->timeout_ns.
 * Returns 0 or a negative errno (after printing why). */
int run_deadline__start(struct run_ctx *r);
/* The guest's eBPF host (r->bpf), set up after the deadline started,
 * is interrupted by it from now on. Safe when none was started. */
void run_deadline__watch_bpf(struct run_ctx *r);
/* Stops and frees it; safe when none was started. */
void run_deadline__stop(struct run_ctx *r);
/* Whether the deadline passed (and interrupted the guest). */
bool run_deadline__fired(const struct run_deadline *d);

/* Calls export opts->invoke with opts->args as its values and prints
 * its results. Returns the exit status. */
int run_invoke(struct run_ctx *r);
/* Reports how a call (ret, err) ended; returns the exit status. */
int run_outcome(const struct run_ctx *r, int ret, const struct wbpf_error *err);

#endif /* WBPF_CLI_RUN_H */
