/* SPDX-License-Identifier: MIT */
/*
 * Inside the plugin host: what the core (plugin.c, plugin_worker.c,
 * plugin_watchdog.c) shares with the two ABIs (src/abi/deepflow.c,
 * src/abi/l7.c) and with DeepFlow's result decoder (src/abi/l7_result.c).
 */
#ifndef WBPF_L7_PLUGIN_IMPL_H
#define WBPF_L7_PLUGIN_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "l7/plugin.h"
#include "wbpf/wasi.h"

/* _start and other load-time calls get at least this long. */
#define L7_PLUGIN_LOAD_TIMEOUT_NS 1000000000u
/* Log lines one instance may write before it is silenced. */
#define L7_PLUGIN_LOG_LINES 100

/* What the current guest call was asked to do. */
enum l7_hook {
	L7_HOOK_NONE = 0, /* load time: only logging and configuration */
	L7_HOOK_CHECK,
	L7_HOOK_PARSE,
	L7_HOOK_HTTP_REQ,
	L7_HOOK_HTTP_RESP,
	L7_HOOK_CUSTOM,
};

/* Hooks an instance registered (bits by enum l7_hook). */
#define L7_HOOK_BIT(h) (1u << (h))

enum l7_fail {
	L7_FAIL_NONE = 0,
	L7_FAIL_TIMEOUT,
	L7_FAIL_TRAP, /* including a guest exit */
	L7_FAIL_BAD,  /* a return value or result the ABI does not allow */
};

struct l7_plugin_inst;

/* One host ABI. Hooks return what the guest decided: for check the
 * protocol (0 none); for the others 0 (next plugin), 1 (stop: results in
 * inst->res), or a negative errno once the failure is marked. */
struct l7_plugin_abi {
	const char *module; /* the import module that selects this ABI */
	/* Refuses a module the ABI cannot run (err->msg says why). */
	int (*check_module)(const struct wbpf_module *mod, struct wbpf_error *err);
	int (*define)(struct l7_plugin_inst *pi);
	/* Exports and the load sequence; sets pi->hooks. */
	int (*start)(struct l7_plugin_inst *pi, struct wbpf_error *err);
	int (*check)(struct l7_plugin_inst *pi, const struct l7_msg *msg, enum l7_direction *dir);
	int (*parse)(struct l7_plugin_inst *pi, const struct l7_msg *msg);
	int (*http_req)(struct l7_plugin_inst *pi, const struct l7_msg *msg,
			const struct l7_http_req *req);
	int (*http_resp)(struct l7_plugin_inst *pi, const struct l7_msg *msg,
			 const struct l7_http_resp *resp);
	/* Optional: DeepFlow's custom message hook. */
	int (*custom)(struct l7_plugin_inst *pi, const struct l7_msg *msg,
		      const struct l7_custom_msg *cm);
	/* parse walks every plugin of this ABI until one stops (DeepFlow),
	 * rather than only the one whose check won. */
	bool parse_walks_all;
};

extern const struct l7_plugin_abi l7_abi_deepflow;
extern const struct l7_plugin_abi l7_abi_wbpf;

/* One loaded plugin: shared by its instances. */
struct l7_plugin {
	struct l7_plugins *set;
	char *path;
	const char *name; /* inside path */
	const struct l7_plugin_abi *abi;
	struct wbpf_module *mod;
	char **keys, **vals; /* --plugin-arg, split at the first '=' */
	size_t nargs;
	atomic_bool disabled;
	/* Counters of instances already freed. */
	struct l7_plugin_tally {
		_Atomic uint64_t calls, timeouts, traps, bad, time_ns, dropped;
		struct {
			_Atomic uint64_t calls, failures, time_ns, hist[L7_PLUGIN_HIST + 1];
		} hook[L7_PLUGIN_HOOKS]; /* by enum l7_hook */
	} retired;
};

struct l7_plugin_inst {
	struct l7_plugin *plugin;
	struct l7_plugins_worker *worker;
	struct wbpf_store *store;
	struct wbpf_wasi *wasi;
	struct wbpf_instance *inst;
	struct wbpf_memory *mem;
	unsigned hooks; /* L7_HOOK_BIT()s */

	/* The call in progress. */
	enum l7_hook hook;
	const struct l7_msg *msg;
	const void *hook_arg; /* l7_http_req, l7_http_resp or l7_custom_msg */
	enum l7_fail fail;
	/* Results: straight into the pipeline's array when it has room for
	 * max_res (a record is ~12 KiB: no copy), else scratch. Records past
	 * max_res are counted and dropped; once one was, the call's further
	 * field writes go nowhere (overflow). */
	struct wbpf_l7_info *res;
	int nres, max_res;
	bool overflow;
	struct wbpf_l7_info *scratch;
	/* Set when the guest's last result did not take; if the guest then
	 * stops the walk (1) to hand it over, the call failed. */
	const char *result_err;
	char name[L7_STR_SHORT]; /* protocol name the plugin gave */
	char last_err[160];	 /* why the last failed call failed */
	unsigned log_lines;

	/* ABI state. */
	struct wbpf_func *fn[8];
	char call_name[L7_STR_SHORT]; /* a name given during this call */
	uint64_t custom_hook;	      /* deepflow: get_custom_message_hook */
	uint32_t region, region_cap; /* wbpf_l7: the context region */

	/* Deadline (plugin_watchdog.c). 0 idle, else the call's start, with
	 * the interrupts it had in the low bits. */
	_Atomic uint64_t call_start;
	atomic_bool irq_pending;
	atomic_int cpu_clock; /* the calling thread's CPU-time clock ... */
	atomic_int tid;	      /* ... and its id, for its state in /proc */
	uint64_t timeout_ns;
	/* The watchdog's own view of the current call. */
	struct {
		uint64_t start;	   /* the call it describes */
		uint64_t lag;	   /* wall time before it first saw it */
		uint64_t cpu;	   /* the thread's CPU time then */
		uint64_t claimed;  /* when the store was interrupted */
	} seen;
	bool rebuild; /* its WASI was interrupted: blocking calls would fail */

	struct l7_plugin_tally cnt;
	unsigned streak; /* failures in a row */
};

struct l7_plugins {
	struct l7_plugin *plugins;
	size_t n;
	struct l7_plugins_opts opts;
	pthread_mutex_t lock; /* the instance registry */
	struct l7_plugin_inst **insts;
	size_t n_insts, cap_insts;
	struct l7_watchdog *watchdog;
	struct wbpf_l7_plugin_factory factory;
	struct l7_plugins_worker **by_worker; /* factory: open ones, by index */
	unsigned n_by_worker;
};

/* ------------------------------------------------------- core services */

/* Calls guest function `fn` under the deadline; its i32 result (if any)
 * goes to *ret. 0, or -ETIMEDOUT / -EFAULT after marking the failure. */
int l7_plugin_inst__call(struct l7_plugin_inst *pi, struct wbpf_func *fn, const struct wbpf_val *args,
			 size_t nargs, int32_t *ret);
/* Marks the current call failed (the first reason stays); returns -EINVAL. */
int l7_plugin_inst__bad(struct l7_plugin_inst *pi, const char *why);
/* One log line from the guest, rate limited per instance. */
void l7_plugin_inst__log(struct l7_plugin_inst *pi, int level, const char *s, size_t len);
/* A fresh result record; NULL past max_res (the record is counted as
 * dropped and pi->overflow set). */
struct wbpf_l7_info *l7_plugin_inst__record(struct l7_plugin_inst *pi, enum l7_msg_type type);
/* Keeps the first max_res of n records decoded into pi->res; counts the
 * rest as dropped. */
void l7_plugin_inst__took(struct l7_plugin_inst *pi, int n);
/* The set's --plugin-arg value for key, or NULL. */
const char *l7_plugin__arg(const struct l7_plugin *p, const char *key, size_t key_len);

/* The watchdog thread of a set: interrupts calls past their deadline. */
int l7_watchdog__start(struct l7_plugins *set);
void l7_watchdog__stop(struct l7_plugins *set);
/* Around every guest call. */
void l7_watchdog__arm(struct l7_plugin_inst *pi, uint64_t now_ns);
/* 0; -ETIMEDOUT when the store was interrupted; -EINTR when WASI was too
 * (the instance must then be rebuilt). */
int l7_watchdog__disarm(struct l7_plugin_inst *pi);
uint64_t l7_now_ns(void);

/* ---------------------------------------------- DeepFlow byte formats */

/* VmCtxBase of msg, with l7 as the protocol byte. Returns its length, or
 * 0 when cap is too small. */
size_t l7_df_ctx_base(const struct l7_msg *msg, uint8_t l7, uint8_t *buf, size_t cap);
/* VmHttpReqCtx / VmHttpRespCtx / VmOnCustomMessageCtx; 0 when too small. */
size_t l7_df_http_req(const struct l7_http_req *req, uint8_t *buf, size_t cap);
size_t l7_df_http_resp(const struct l7_http_resp *resp, uint8_t *buf, size_t cap);
size_t l7_df_custom(const struct l7_custom_msg *cm, uint8_t *buf, size_t cap);
/* Decodes a result buffer (records of AppInfo protobuf or the legacy
 * format) into out[0..max): records past max are checked and not kept.
 * Returns the number of records in the buffer (may exceed max), or
 * -EBADMSG on a decode error; out is then unspecified. */
int l7_df_result__decode(const uint8_t *buf, size_t len, enum l7_direction dir,
			 struct wbpf_l7_info *out, int max);
/* Whether [s, s+len) is valid UTF-8, as DeepFlow's strings must be. */
bool l7_utf8_valid(const uint8_t *s, size_t len);

#endif
