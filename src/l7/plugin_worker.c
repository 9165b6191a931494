// SPDX-License-Identifier: MIT
/*
 * One worker's instances of the plugins, and every call into them: each
 * plugin instance has a store of its own (its memory cap, its interrupt),
 * a WASI world without arguments, environment, files or standard streams,
 * and counters. The parsers and HTTP hooks handed to the pipeline wrap the
 * ABI's hooks with the deadline, the failure count and disabling.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l7/plugin_impl.h"

/* Each instance's value stack: plugins are parsers, not recursions. */
#define PLUGIN_STACK_BYTES (256u << 10)

struct worker {
	struct l7_plugins_worker pub;
	struct l7_plugins *set;
	struct l7_plugin_inst **insts; /* load order */
	size_t n;
};

static struct worker *worker_of(struct l7_plugins_worker *w)
{
	return (struct worker *)w;
}

/* Counters have one writer, the worker: no locked instructions. */
static void bump(_Atomic uint64_t *c, uint64_t d)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + d,
			      memory_order_relaxed);
}

/* ------------------------------------------------------ call services */

/* A guest call's time, in total and in its hook's histogram. */
static void account(struct l7_plugin_inst *pi, uint64_t ns)
{
	unsigned b = 0;

	for (uint64_t bound = 1000; b < L7_PLUGIN_HIST && ns > bound; bound *= 10)
		b++;
	bump(&pi->cnt.time_ns, ns);
	bump(&pi->cnt.hook[pi->hook].time_ns, ns);
	bump(&pi->cnt.hook[pi->hook].hist[b], 1);
}

static void mark(struct l7_plugin_inst *pi, enum l7_fail why, const char *msg)
{
	if (pi->fail)
		return;
	pi->fail = why;
	snprintf(pi->last_err, sizeof(pi->last_err), "%s", msg);
	/* A backtrace follows the first line: the summary line only needs that. */
	pi->last_err[strcspn(pi->last_err, "\n")] = '\0';
}

int l7_plugin_inst__call(struct l7_plugin_inst *pi, struct wbpf_func *fn, const struct wbpf_val *args,
			 size_t nargs, int32_t *ret)
{
	struct wbpf_val res = { .type = WBPF_I32 };
	struct wbpf_error err;
	uint64_t t0 = l7_now_ns();
	int r, late;

	l7_watchdog__arm(pi, t0);
	r = wbpf_func__call(fn, args, nargs, &res, ret ? 1 : 0, &err);
	late = l7_watchdog__disarm(pi);
	if (late == -EINTR)
		pi->rebuild = true;
	account(pi, l7_now_ns() - t0);
	if (!r) {
		if (ret)
			*ret = (int32_t)res.of.i32;
		return 0;
	}
	/* A WASI wait the watchdog broke traps as a host function. */
	if (late || (err.kind == WBPF_ERR_TRAP && err.trap == WBPF_TRAP_INTERRUPTED)) {
		mark(pi, L7_FAIL_TIMEOUT, "deadline exceeded");
		return -ETIMEDOUT;
	}
	mark(pi, L7_FAIL_TRAP, err.msg);
	return -EFAULT;
}

int l7_plugin_inst__bad(struct l7_plugin_inst *pi, const char *why)
{
	mark(pi, L7_FAIL_BAD, why);
	return -EINVAL;
}

void l7_plugin_inst__log(struct l7_plugin_inst *pi, int level, const char *s, size_t len)
{
	static const char *const names[] = { "info", "warn", "error" };

	if (pi->log_lines > L7_PLUGIN_LOG_LINES)
		return;
	if (++pi->log_lines > L7_PLUGIN_LOG_LINES) {
		fprintf(stderr, "wbpf l7: plugin %s: more log lines suppressed\n", pi->plugin->name);
		return;
	}
	if (len > 1024)
		len = 1024;
	fprintf(stderr, "wbpf l7: plugin %s: %s: %.*s\n", pi->plugin->name,
		level >= 0 && level <= 2 ? names[level] : "log", (int)len, s);
}

struct wbpf_l7_info *l7_plugin_inst__record(struct l7_plugin_inst *pi, enum l7_msg_type type)
{
	if (pi->overflow || pi->nres == pi->max_res) {
		pi->overflow = true;
		bump(&pi->cnt.dropped, 1);
		return NULL;
	}
	l7_info__init(&pi->res[pi->nres], type);
	return &pi->res[pi->nres++];
}

void l7_plugin_inst__took(struct l7_plugin_inst *pi, int n)
{
	pi->nres = n < pi->max_res ? n : pi->max_res;
	if (n > pi->max_res)
		bump(&pi->cnt.dropped, (uint64_t)(n - pi->max_res));
}

/* ---------------------------------------------------------- dispatch */

static bool begin(struct l7_plugin_inst *pi, enum l7_hook hook, const struct l7_msg *msg,
		  const void *arg, struct wbpf_l7_info *out, int max)
{
	if (!(pi->hooks & L7_HOOK_BIT(hook)) || atomic_load_explicit(&pi->plugin->disabled,
								      memory_order_relaxed))
		return false;
	pi->hook = hook;
	pi->msg = msg;
	pi->hook_arg = arg;
	pi->fail = L7_FAIL_NONE;
	pi->nres = 0;
	pi->overflow = false;
	pi->res = out && max >= pi->max_res ? out : pi->scratch;
	pi->result_err = NULL;
	return true;
}

static void disable(struct l7_plugin_inst *pi)
{
	struct l7_plugin *p = pi->plugin;

	if (!atomic_exchange(&p->disabled, true))
		fprintf(stderr, "wbpf l7: plugin %s disabled after %u failures in a row (last: %s)\n",
			p->name, pi->streak, pi->last_err);
}

static int inst_boot(struct l7_plugin_inst *pi, struct wbpf_error *err);
static void inst_teardown(struct l7_plugin_inst *pi);

/* An instance whose WASI was interrupted starts afresh. */
static void rebuild(struct l7_plugin_inst *pi)
{
	struct wbpf_error err = { .msg = "" };

	pi->rebuild = false;
	inst_teardown(pi);
	if (inst_boot(pi, &err) && !atomic_exchange(&pi->plugin->disabled, true))
		fprintf(stderr, "wbpf l7: plugin %s disabled: cannot restart it: %s\n",
			pi->plugin->name, err.msg);
}

/* A streak of failures ends only with a call that gave records: checks
 * say little about a parser that always traps. */
static void end(struct l7_plugin_inst *pi, bool productive)
{
	if (pi->rebuild)
		rebuild(pi);
	bump(&pi->cnt.calls, 1);
	bump(&pi->cnt.hook[pi->hook].calls, 1);
	if (pi->fail)
		bump(&pi->cnt.hook[pi->hook].failures, 1);
	pi->hook = L7_HOOK_NONE;
	pi->msg = NULL;
	pi->hook_arg = NULL;
	if (!pi->fail) {
		if (productive)
			pi->streak = 0;
		return;
	}
	bump(pi->fail == L7_FAIL_TIMEOUT ? &pi->cnt.timeouts
	     : pi->fail == L7_FAIL_TRAP	 ? &pi->cnt.traps
					 : &pi->cnt.bad, 1);
	if (++pi->streak >= pi->plugin->set->opts.max_failures)
		disable(pi);
}

static int plugin_check(void *self, const struct l7_msg *msg, enum l7_direction *dir)
{
	struct l7_plugin_inst *pi = self;
	int r;

	if (!begin(pi, L7_HOOK_CHECK, msg, NULL, NULL, 0))
		return 0;
	r = pi->plugin->abi->check(pi, msg, dir);
	end(pi, false);
	return r > 0 ? r : 0;
}

/* Results go out under the protocol the check found and its name. */
static int take_records(struct l7_plugin_inst *winner, struct l7_plugin_inst *pi,
			const struct l7_msg *msg, struct wbpf_l7_info *out, int max)
{
	int n = pi->nres < max ? pi->nres : max;

	if (pi->nres > max) /* the pipeline keeps fewer than the host took */
		bump(&pi->cnt.dropped, (uint64_t)(pi->nres - max));
	for (int i = 0; i < n; i++) {
		if (pi->res != out)
			out[i] = pi->res[i];
		if (!out[i].protocol)
			out[i].protocol = msg->protocol;
		if (winner->plugin->abi->parse_walks_all || !out[i].protocol_str[0])
			memcpy(out[i].protocol_str, winner->name, sizeof(winner->name));
	}
	return n;
}

/* The hook's verdict, once what it handed over is known to be good. */
static int verdict(struct l7_plugin_inst *pi, int r)
{
	return r == 1 && pi->result_err ? l7_plugin_inst__bad(pi, pi->result_err) : r;
}

/* One plugin's parse: 1 records taken, 0 passed, negative errno. */
static int parse_one(struct l7_plugin_inst *pi, const struct l7_msg *msg, struct wbpf_l7_info *out,
		     int max)
{
	int r;

	if (!begin(pi, L7_HOOK_PARSE, msg, NULL, out, max))
		return 0;
	r = verdict(pi, pi->plugin->abi->parse(pi, msg));
	end(pi, r == 1);
	return r;
}

static int plugin_parse(void *self, const struct l7_msg *msg, struct wbpf_l7_info *out, int max)
{
	struct l7_plugin_inst *pi = self;
	struct worker *w = worker_of(pi->worker);
	int r;

	if (!pi->plugin->abi->parse_walks_all) {
		r = parse_one(pi, msg, out, max);
		return r == 1 ? take_records(pi, pi, msg, out, max) : r == 0 ? -EINVAL : r;
	}
	/* DeepFlow offers the payload to every parser plugin of its ABI, in
	 * load order, until one stops; the check's winner names the result. */
	for (size_t i = 0; i < w->n; i++) {
		struct l7_plugin_inst *q = w->insts[i];

		if (q->plugin->abi == pi->plugin->abi && parse_one(q, msg, out, max) == 1)
			return take_records(pi, q, msg, out, max);
	}
	return -EINVAL;
}

static void merge_str(char *dst, const char *src, size_t size)
{
	if (src[0])
		memcpy(dst, src, size);
}

#define MERGE(dst, src, f) merge_str((dst)->f, (src)->f, sizeof((dst)->f))

/* What a hook's record sets overrides the parser's; attributes add up. */
static void merge(struct wbpf_l7_info *dst, const struct wbpf_l7_info *src)
{
	MERGE(dst, src, protocol_str);
	MERGE(dst, src, version);
	MERGE(dst, src, request_type);
	MERGE(dst, src, request_domain);
	MERGE(dst, src, request_resource);
	MERGE(dst, src, endpoint);
	MERGE(dst, src, response_result);
	MERGE(dst, src, response_exception);
	MERGE(dst, src, trace_id);
	MERGE(dst, src, span_id);
	MERGE(dst, src, parent_span_id);
	MERGE(dst, src, x_request_id);
	MERGE(dst, src, http_proxy_client);
	MERGE(dst, src, biz_code);
	MERGE(dst, src, biz_scenario);
	MERGE(dst, src, biz_response_code);
	if (src->has_request_id) {
		dst->has_request_id = true;
		dst->request_id = src->request_id;
	}
	if (src->has_response_code) {
		dst->has_response_code = true;
		dst->response_code = src->response_code;
	}
	if (src->type == L7_MSG_RESPONSE && src->response_status != L7_STATUS_UNKNOWN)
		dst->response_status = src->response_status;
	if (src->req_len >= 0)
		dst->req_len = src->req_len;
	if (src->resp_len >= 0)
		dst->resp_len = src->resp_len;
	if (src->biz_type)
		dst->biz_type = src->biz_type;
	for (unsigned i = 0; i < src->n_attrs; i++)
		l7_info__add_attr(dst, src->attrs[i].key, strlen(src->attrs[i].key),
				  src->attrs[i].val, strlen(src->attrs[i].val));
}

/* Hooks: 0 next plugin, 1 stop and take the last record, else failed. */
static int walk_hooks(struct worker *w, enum l7_hook hook, const struct l7_msg *msg,
		      const void *arg, struct wbpf_l7_info *info)
{
	int changed = 0;

	for (size_t i = 0; i < w->n; i++) {
		struct l7_plugin_inst *pi = w->insts[i];
		const struct l7_plugin_abi *abi = pi->plugin->abi;
		int r;

		if (!begin(pi, hook, msg, arg, NULL, 0))
			continue;
		r = verdict(pi, hook == L7_HOOK_HTTP_REQ    ? abi->http_req(pi, msg, arg)
				: hook == L7_HOOK_HTTP_RESP ? abi->http_resp(pi, msg, arg)
							    : abi->custom(pi, msg, arg));
		if (r == 1 && pi->nres) {
			merge(info, &pi->res[pi->nres - 1]);
			changed = 1;
		}
		end(pi, r == 1);
		if (r == 1)
			break;
	}
	return changed;
}

static int plugin_http_req(void *self, const struct l7_msg *msg, const struct l7_http_req *req,
			   struct wbpf_l7_info *info)
{
	return walk_hooks(self, L7_HOOK_HTTP_REQ, msg, req, info);
}

static int plugin_http_resp(void *self, const struct l7_msg *msg, const struct l7_http_resp *resp,
			    struct wbpf_l7_info *info)
{
	return walk_hooks(self, L7_HOOK_HTTP_RESP, msg, resp, info);
}

int l7_plugins_worker__custom_message(struct l7_plugins_worker *w, const struct l7_msg *msg,
				      const struct l7_custom_msg *cm, struct wbpf_l7_info *info)
{
	return walk_hooks(worker_of(w), L7_HOOK_CUSTOM, msg, cm, info);
}

static int plugin_custom(void *self, const struct l7_msg *msg, const struct l7_custom_msg *cm,
			 struct wbpf_l7_info *info)
{
	return walk_hooks(self, L7_HOOK_CUSTOM, msg, cm, info);
}

/* ------------------------------------------------------- instances */

static void inst_free(struct l7_plugins *set, struct l7_plugin_inst *pi)
{
	/* A tally is nothing but counters: add them all up. */
	_Atomic uint64_t *to = (_Atomic uint64_t *)&pi->plugin->retired;
	_Atomic uint64_t *from = (_Atomic uint64_t *)&pi->cnt;

	pthread_mutex_lock(&set->lock);
	for (size_t i = 0; i < set->n_insts; i++)
		if (set->insts[i] == pi) {
			set->insts[i] = set->insts[--set->n_insts];
			break;
		}
	for (size_t i = 0; i < sizeof(pi->cnt) / sizeof(*from); i++)
		atomic_fetch_add(&to[i], atomic_load(&from[i]));
	pthread_mutex_unlock(&set->lock);
	inst_teardown(pi);
	free(pi->scratch);
	free(pi);
}

static int inst_register(struct l7_plugins *set, struct l7_plugin_inst *pi)
{
	int ret = 0;

	pthread_mutex_lock(&set->lock);
	if (set->n_insts == set->cap_insts) {
		size_t cap = set->cap_insts ? set->cap_insts * 2 : 8;
		void *p = realloc(set->insts, cap * sizeof(*set->insts));

		if (p) {
			set->insts = p;
			set->cap_insts = cap;
		}
	}
	if (set->n_insts < set->cap_insts)
		set->insts[set->n_insts++] = pi;
	else
		ret = -ENOMEM;
	pthread_mutex_unlock(&set->lock);
	return ret;
}

static void inst_teardown(struct l7_plugin_inst *pi)
{
	wbpf_store__free(pi->store);
	wbpf_wasi__free(pi->wasi);
	pi->store = NULL;
	pi->wasi = NULL;
	pi->inst = NULL;
	pi->mem = NULL;
	pi->region = pi->region_cap = 0;
	pi->hooks = 0;
}

/* A store, a WASI world and an instance, through the ABI's load sequence
 * (under the longer load deadline). */
static int inst_boot(struct l7_plugin_inst *pi, struct wbpf_error *err)
{
	static const int no_stdio[3] = { -1, -1, -1 };
	const struct l7_plugins_opts *o = &pi->plugin->set->opts;
	const struct l7_plugin_abi *abi = pi->plugin->abi;
	struct wbpf_wasi_opts wo = { .sz = sizeof(wo), .stdio = no_stdio };
	struct wbpf_store_opts so = { .sz = sizeof(so), .stack_bytes = PLUGIN_STACK_BYTES,
				      .max_memory_bytes = o->mem_cap };
	int ret = -EINVAL;

	pi->timeout_ns = L7_PLUGIN_LOAD_TIMEOUT_NS > o->hook_timeout_ns ? L7_PLUGIN_LOAD_TIMEOUT_NS
									 : o->hook_timeout_ns;
	if (!(pi->store = wbpf_store__new(&so)) || !(pi->wasi = wbpf_wasi__new(&wo, err)) ||
	    wbpf_wasi__define(pi->wasi, pi->store) || abi->define(pi))
		snprintf(err->msg, sizeof(err->msg), "out of memory");
	else if ((pi->inst = wbpf_instance__new(pi->store, pi->plugin->mod, err)) &&
		 !(pi->mem = wbpf_instance__memory(pi->inst)))
		snprintf(err->msg, sizeof(err->msg), "has no memory");
	else if (pi->mem)
		ret = abi->start(pi, err);
	pi->timeout_ns = o->hook_timeout_ns;
	return ret;
}

static struct l7_plugin_inst *inst_new(struct l7_plugin *p, struct worker *w,
				       struct wbpf_error *err)
{
	struct l7_plugin_inst *pi = calloc(1, sizeof(*pi));

	if (!pi)
		return NULL;
	pi->max_res = (int)w->set->opts.max_records;
	if (!(pi->scratch = calloc((size_t)pi->max_res, sizeof(*pi->scratch)))) {
		free(pi);
		return NULL;
	}
	pi->plugin = p;
	pi->worker = &w->pub;
	if (inst_register(w->set, pi)) {
		free(pi->scratch);
		free(pi);
		return NULL;
	}
	if (inst_boot(pi, err)) {
		inst_free(w->set, pi);
		return NULL;
	}
	return pi;
}

static int worker_fill(struct worker *w, struct wbpf_error *err)
{
	const unsigned payload = L7_HOOK_BIT(L7_HOOK_CHECK) | L7_HOOK_BIT(L7_HOOK_PARSE);
	const unsigned http = L7_HOOK_BIT(L7_HOOK_HTTP_REQ) | L7_HOOK_BIT(L7_HOOK_HTTP_RESP) |
			      L7_HOOK_BIT(L7_HOOK_CUSTOM);

	for (; w->n < w->set->n; w->n++) {
		struct l7_plugin *p = &w->set->plugins[w->n];
		struct l7_plugin_inst *pi;

		err->msg[0] = '\0';
		if (!(pi = inst_new(p, w, err))) {
			char why[sizeof(err->msg)];

			snprintf(why, sizeof(why), "%s", err->msg[0] ? err->msg : "out of memory");
			snprintf(err->msg, sizeof(err->msg), "plugin %s: %.900s", p->path, why);
			return -EINVAL;
		}
		w->insts[w->n] = pi;
		if (pi->hooks & payload)
			w->pub.parsers[w->pub.n_parsers++] = (struct wbpf_l7_parser){
				.name = p->name, .check = plugin_check, .parse = plugin_parse,
				.self = pi };
		if (pi->hooks & http)
			w->pub.has_http = true;
	}
	w->pub.http = (struct wbpf_l7_http_hooks){ .on_request = plugin_http_req,
					      .on_response = plugin_http_resp,
					      .on_custom = plugin_custom, .self = w };
	return 0;
}

struct l7_plugins_worker *l7_plugins__instantiate(struct l7_plugins *set, struct wbpf_error *err)
{
	struct wbpf_error local;
	struct worker *w = calloc(1, sizeof(*w));

	if (!err)
		err = &local;
	if (w) {
		w->set = set;
		w->insts = calloc(set->n ? set->n : 1, sizeof(*w->insts));
		w->pub.parsers = calloc(set->n ? set->n : 1, sizeof(*w->pub.parsers));
	}
	if (!w || !w->insts || !w->pub.parsers) {
		l7_plugins_worker__free(w ? &w->pub : NULL);
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return NULL;
	}
	if (worker_fill(w, err)) {
		l7_plugins_worker__free(&w->pub);
		return NULL;
	}
	return &w->pub;
}

void l7_plugins_worker__free(struct l7_plugins_worker *pub)
{
	struct worker *w = pub ? worker_of(pub) : NULL;

	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		if (w->insts[i])
			inst_free(w->set, w->insts[i]);
	free(w->insts);
	free(w->pub.parsers);
	free(w);
}
