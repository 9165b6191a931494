/* SPDX-License-Identifier: MIT */
/*
 * Wasm parser plugins for the L7 pipeline.
 *
 * A plugin is a WASI module speaking one of two host ABIs: DeepFlow's
 * module `deepflow` (docs/abi-deepflow.md), so that DeepFlow plugins run
 * unmodified, or wbpf's own module `wbpf_l7` (docs/abi-l7.md, guest SDK in
 * sdk/c/include/wbpf/l7.h). The ABI is told by the module's imports.
 *
 * Usage:
 *	set = l7_plugins__load(specs, n, &opts, &err);	 once: compiles
 *	w = l7_plugins__instantiate(set, &err);		 per worker thread
 *	... w->parsers ahead of the built-ins, w->http from the HTTP parser ...
 *	l7_plugins_worker__free(w);
 *	l7_plugins__stats(set, i, &st) for the summary;
 *	l7_plugins__free(set);				 after every worker
 * or, for the pipeline (include/wbpf/l7.h), l7_plugins__factory(set) does
 * the per-worker part.
 *
 * Every guest call runs under the hook deadline and the memory cap. A call
 * that traps, runs out of time or returns garbage counts as a failure and
 * the record goes on without it; after max_failures failures in a row the
 * plugin is disabled in every worker, with one line on stderr.
 */
#ifndef WBPF_L7_PLUGIN_H
#define WBPF_L7_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l7/message.h"
#include "wbpf/l7.h"
#include "wbpf/wasm.h"

/* One `--plugin P.wasm [--plugin-arg k=v]...`. */
struct l7_plugin_spec {
	const char *path;
	const char *const *args; /* "key=value" strings, in order */
	size_t nargs;
};

#define L7_PLUGIN_TIMEOUT_NS 5000000u	    /* --hook-timeout default: 5 ms */
#define L7_PLUGIN_MEM_CAP (64u << 20)	    /* per plugin instance */
#define L7_PLUGIN_MAX_FAILURES 10u	    /* in a row, then disabled */
/* Records one hook call may hand over (--max-records); more are dropped
 * and counted (records_dropped), never silently cut. */
#define L7_PLUGIN_MAX_RECORDS 64u
#define L7_PLUGIN_RECORDS_LIMIT 4096u
/* Call-time histograms: bucket i counts guest calls of at most 10^i us
 * (i < 8: 1 us .. 10 s, as the metrics registry's), bucket 8 slower ones. */
#define L7_PLUGIN_HIST 8
/* Hook kinds the counters are kept by: load-time calls, then the hooks. */
#define L7_PLUGIN_HOOKS 6

struct l7_plugins_opts {
	size_t sz;		/* sizeof(struct l7_plugins_opts) */
	uint64_t hook_timeout_ns; /* 0 = L7_PLUGIN_TIMEOUT_NS */
	uint64_t mem_cap;	/* bytes of linear memory; 0 = L7_PLUGIN_MEM_CAP */
	unsigned max_failures;	/* 0 = L7_PLUGIN_MAX_FAILURES */
	unsigned max_records;	/* 0 = L7_PLUGIN_MAX_RECORDS, at most L7_PLUGIN_RECORDS_LIMIT */
};

struct l7_plugins;

/* Reads, compiles and checks every plugin (a trial instance runs the load
 * sequence once, so a plugin that cannot start is refused here). NULL on
 * error, err->msg naming the file and what was wrong. */
struct l7_plugins *l7_plugins__load(const struct l7_plugin_spec *specs, size_t n,
				    const struct l7_plugins_opts *opts, struct wbpf_error *err);
/* Every worker must have been freed first. */
void l7_plugins__free(struct l7_plugins *set);
size_t l7_plugins__count(const struct l7_plugins *set);

/* One worker's instances of every plugin. Used by one thread at a time. */
struct l7_plugins_worker {
	/* Plugins with a payload hook, in load order: walk them ahead of the
	 * built-ins, for inference and parsing alike. */
	struct wbpf_l7_parser *parsers;
	size_t n_parsers;
	/* Plugins with HTTP hooks, walked in load order by one entry. */
	struct wbpf_l7_http_hooks http;
	bool has_http;
};

struct l7_plugins_worker *l7_plugins__instantiate(struct l7_plugins *set, struct wbpf_error *err);
void l7_plugins_worker__free(struct l7_plugins_worker *w);

/* Offers cm to the plugins whose custom message hook matches, in load
 * order, as the HTTP hooks. 1 when `info` was changed, else 0. */
int l7_plugins_worker__custom_message(struct l7_plugins_worker *w, const struct l7_msg *msg,
				      const struct l7_custom_msg *cm, struct wbpf_l7_info *info);

/* One plugin's counters, summed over its workers. */
struct l7_plugin_stats {
	const char *name; /* file name without directory */
	const char *abi;  /* "deepflow" or "wbpf_l7" */
	uint64_t calls, failures;
	uint64_t timeouts, traps, bad_results; /* failures by kind */
	uint64_t time_ns;		       /* inside the guest, all calls */
	uint64_t records_dropped;	       /* past max_records */
	struct l7_plugin_hook_stats {
		uint64_t calls, failures, time_ns;
		uint64_t hist[L7_PLUGIN_HIST + 1]; /* guest calls by time; last: slower */
	} hooks[L7_PLUGIN_HOOKS];	       /* by l7_plugin__hook_name's index */
	bool disabled;
};
/* "load", "check", "parse", "http_req", "http_resp", "custom". */
const char *l7_plugin__hook_name(unsigned i);

int l7_plugins__stats(const struct l7_plugins *set, size_t i, struct l7_plugin_stats *out);

/* The pipeline's view of the set: open() instantiates for a worker (one
 * line on stderr if that fails), close() frees that, stats() sums. Valid
 * as long as the set. */
const struct wbpf_l7_plugin_factory *l7_plugins__factory(struct l7_plugins *set);

#endif
