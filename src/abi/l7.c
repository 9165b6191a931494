// SPDX-License-Identifier: MIT
/*
 * Module `wbpf_l7`: wbpf's own L7 plugin ABI (docs/abi-l7.md). Before each
 * hook the host writes the context, the HTTP strings and the payload into
 * one region of the plugin's memory (obtained once from its
 * wbpf_l7_buffer export, and again only to grow), so a hook reads
 * everything in place; results are set field by field, no encoding.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "abi/abi.h"
#include "l7/plugin_impl.h"
#include "../../sdk/c/include/wbpf/l7_plugin.h"

#define PI ((struct l7_plugin_inst *)user)
#define REGION_MIN (64u << 10)

enum l7_export { L7X_INIT, L7X_BUFFER, L7X_CHECK, L7X_PARSE, L7X_HTTP_REQ, L7X_HTTP_RESP, L7X_N };

static const char *const export_names[L7X_N] = {
	"wbpf_l7_init", "wbpf_l7_buffer", "wbpf_l7_check", "wbpf_l7_parse",
	"wbpf_l7_on_http_req", "wbpf_l7_on_http_resp",
};

/* ------------------------------------------------------ host functions */

static int l7_log(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	void *s;

	if (!abi_buf(c, ARG_U32(slots, 1), ARG_U32(slots, 2), &s))
		l7_plugin_inst__log(PI, ARG_I32(slots, 0), s ? s : "", ARG_U32(slots, 2));
	return 0;
}

/* Copies up to cap bytes of s (no NUL) to the guest; returns its length. */
static int copy_out(struct wbpf_caller *c, const char *s, uint32_t buf, uint32_t cap)
{
	size_t len = strlen(s), n = len < cap ? len : cap;
	void *dst;

	if (abi_buf(c, buf, n, &dst))
		return -EFAULT;
	if (n)
		memcpy(dst, s, n);
	return (int)len;
}

static int wbpf_l7_config(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	uint32_t klen = ARG_U32(slots, 1);
	const char *v;
	void *key;

	if (abi_buf(c, ARG_U32(slots, 0), klen, &key))
		return abi_ret(slots, -EFAULT);
	if (!(v = l7_plugin__arg(PI->plugin, key ? key : "", klen)))
		return abi_ret(slots, -ENOENT);
	return abi_ret(slots, copy_out(c, v, ARG_U32(slots, 2), ARG_U32(slots, 3)));
}

static int l7_config_key(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	uint32_t i = ARG_U32(slots, 0);

	if (i >= PI->plugin->nargs)
		return abi_ret(slots, -ENOENT);
	return abi_ret(slots, copy_out(c, PI->plugin->keys[i], ARG_U32(slots, 1),
				       ARG_U32(slots, 2)));
}

static int l7_set_name(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	uint32_t len = ARG_U32(slots, 1);
	void *s;

	if (abi_buf(c, ARG_U32(slots, 0), len, &s))
		return abi_ret(slots, -EFAULT);
	l7_info__set_str(PI->name, sizeof(PI->name), s ? s : "", len);
	return abi_ret(slots, 0);
}

/* The record being built: only in parse and HTTP hooks. */
static struct wbpf_l7_info *current(struct l7_plugin_inst *pi, int *err)
{
	*err = 0;
	if (pi->hook != L7_HOOK_PARSE && pi->hook != L7_HOOK_HTTP_REQ &&
	    pi->hook != L7_HOOK_HTTP_RESP)
		*err = -EPERM;
	else if (pi->overflow)
		*err = -ENOSPC; /* the record being written was dropped */
	else if (!pi->nres)
		*err = -ENOENT;
	return *err ? NULL : &pi->res[pi->nres - 1];
}

static int wbpf_l7_record(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct l7_plugin_inst *pi = PI;
	uint32_t type = ARG_U32(slots, 0);

	(void)c;
	if (pi->hook != L7_HOOK_PARSE && pi->hook != L7_HOOK_HTTP_REQ &&
	    pi->hook != L7_HOOK_HTTP_RESP)
		return abi_ret(slots, -EPERM);
	if (type > WBPF_L7_MSG_SESSION)
		return abi_ret(slots, -EINVAL);
	if (!l7_plugin_inst__record(pi, (enum l7_msg_type)type))
		return abi_ret(slots, -ENOSPC);
	return abi_ret(slots, pi->nres - 1);
}

#define STR_FIELD(id, f) [id] = { offsetof(struct wbpf_l7_info, f), sizeof(((struct wbpf_l7_info *)0)->f) }

static const struct {
	size_t off, size;
} str_fields[] = {
	STR_FIELD(WBPF_L7_VERSION, version),
	STR_FIELD(WBPF_L7_REQUEST_TYPE, request_type),
	STR_FIELD(WBPF_L7_REQUEST_DOMAIN, request_domain),
	STR_FIELD(WBPF_L7_REQUEST_RESOURCE, request_resource),
	STR_FIELD(WBPF_L7_ENDPOINT, endpoint),
	STR_FIELD(WBPF_L7_RESPONSE_RESULT, response_result),
	STR_FIELD(WBPF_L7_RESPONSE_EXCEPTION, response_exception),
	STR_FIELD(WBPF_L7_TRACE_ID, trace_id),
	STR_FIELD(WBPF_L7_SPAN_ID, span_id),
	STR_FIELD(WBPF_L7_PARENT_SPAN_ID, parent_span_id),
	STR_FIELD(WBPF_L7_X_REQUEST_ID, x_request_id),
	STR_FIELD(WBPF_L7_HTTP_PROXY_CLIENT, http_proxy_client),
	STR_FIELD(WBPF_L7_PROTOCOL_STR, protocol_str),
	STR_FIELD(WBPF_L7_BIZ_CODE, biz_code),
	STR_FIELD(WBPF_L7_BIZ_SCENARIO, biz_scenario),
	STR_FIELD(WBPF_L7_BIZ_RESPONSE_CODE, biz_response_code),
};

static int l7_set_str(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	uint32_t field = ARG_U32(slots, 0), len = ARG_U32(slots, 2);
	struct wbpf_l7_info *info;
	void *s;
	int err;

	if (!(info = current(PI, &err)))
		return abi_ret(slots, err);
	if (field >= sizeof(str_fields) / sizeof(str_fields[0]) || !str_fields[field].size)
		return abi_ret(slots, -EINVAL);
	if (abi_buf(c, ARG_U32(slots, 1), len, &s))
		return abi_ret(slots, -EFAULT);
	l7_info__set_str((char *)info + str_fields[field].off, str_fields[field].size,
			 s ? s : "", len);
	return abi_ret(slots, 0);
}

static int set_int(struct wbpf_l7_info *info, uint32_t field, int64_t v)
{
	switch (field) {
	case WBPF_L7_REQUEST_ID:
		info->has_request_id = true;
		info->request_id = (uint32_t)v;
		return v < 0 || v > UINT32_MAX ? -ERANGE : 0;
	case WBPF_L7_RESPONSE_CODE:
		info->has_response_code = true;
		info->response_code = (int32_t)v;
		return v < INT32_MIN || v > INT32_MAX ? -ERANGE : 0;
	case WBPF_L7_RESPONSE_STATUS:
		if (v != L7_STATUS_OK && (v < L7_STATUS_TIMEOUT || v > L7_STATUS_UNKNOWN))
			return -EINVAL;
		info->response_status = (enum l7_status)v;
		return 0;
	case WBPF_L7_REQ_LEN:
	case WBPF_L7_RESP_LEN:
		if (v < 0)
			return -ERANGE;
		*(field == WBPF_L7_REQ_LEN ? &info->req_len : &info->resp_len) = v;
		return 0;
	case WBPF_L7_BIZ_TYPE:
		info->biz_type = (uint8_t)v;
		return v < 0 || v > UINT8_MAX ? -ERANGE : 0;
	case WBPF_L7_MSG_END:
		if (v < 0)
			return -ERANGE;
		info->msg_end = (uint64_t)v;
		return 0;
	case WBPF_L7_FLAGS:
		info->need_merge = v & WBPF_L7_F_NEED_MERGE;
		info->is_end = v & WBPF_L7_F_IS_END;
		info->is_async = v & WBPF_L7_F_ASYNC;
		info->is_reversed = v & WBPF_L7_F_REVERSED;
		return v & ~(int64_t)15 ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

static int l7_set_int(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct wbpf_l7_info *info;
	int err;

	(void)c;
	if (!(info = current(PI, &err)))
		return abi_ret(slots, err);
	return abi_ret(slots, set_int(info, ARG_U32(slots, 0), ARG_I64(slots, 1)));
}

static int l7_add_attr(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	uint32_t klen = ARG_U32(slots, 1), vlen = ARG_U32(slots, 3);
	struct wbpf_l7_info *info;
	void *k, *v;
	int err;

	if (!(info = current(PI, &err)))
		return abi_ret(slots, err);
	if (abi_buf(c, ARG_U32(slots, 0), klen, &k) || abi_buf(c, ARG_U32(slots, 2), vlen, &v))
		return abi_ret(slots, -EFAULT);
	return abi_ret(slots, l7_info__add_attr(info, k ? k : "", klen, v ? v : "", vlen));
}

static const struct abi_func l7_funcs[] = {
	{ "log", "(iii)", l7_log },
	{ "config", "(iiii)i", wbpf_l7_config },
	{ "config_key", "(iii)i", l7_config_key },
	{ "set_name", "(ii)i", l7_set_name },
	{ "record", "(i)i", wbpf_l7_record },
	{ "set_str", "(iii)i", l7_set_str },
	{ "set_int", "(iI)i", l7_set_int },
	{ "add_attr", "(iiii)i", l7_add_attr },
};

static int l7_define(struct l7_plugin_inst *pi)
{
	return abi_define(pi->store, "wbpf_l7", l7_funcs, sizeof(l7_funcs) / sizeof(l7_funcs[0]),
			  pi);
}

/* ---------------------------------------------------------- loading */

static int l7_check_module(const struct wbpf_module *mod, struct wbpf_error *err)
{
	(void)mod;
	(void)err;
	return 0;
}

/* A typed export or NULL; a wrong type is an error. */
static int l7_export(struct l7_plugin_inst *pi, enum l7_export i, struct wbpf_error *err)
{
	struct wbpf_func *fn = wbpf_instance__func(pi->inst, export_names[i]);
	struct wbpf_functype ft;
	uint32_t np = i == L7X_BUFFER ? 1 : 0;

	pi->fn[i] = NULL;
	if (!fn)
		return 0;
	wbpf_func__type(fn, &ft);
	if (ft.nparams != np || (np && ft.params[0] != WBPF_I32) || ft.nresults != 1 ||
	    ft.results[0] != WBPF_I32) {
		snprintf(err->msg, sizeof(err->msg), "export %s is not of type %s",
			 export_names[i], np ? "(i32) -> i32" : "() -> i32");
		return -EINVAL;
	}
	pi->fn[i] = fn;
	return 0;
}

/* The WASI start of a reactor (_initialize) or of a command (_start). */
static int l7_wasi_start(struct l7_plugin_inst *pi, struct wbpf_error *err)
{
	struct wbpf_func *fn = wbpf_instance__func(pi->inst, "_initialize");
	struct wbpf_functype ft;

	if (!fn)
		fn = wbpf_instance__func(pi->inst, "_start");
	if (!fn)
		return 0;
	wbpf_func__type(fn, &ft);
	if (ft.nparams || ft.nresults) {
		snprintf(err->msg, sizeof(err->msg), "%s is not of type () -> ()",
			 wbpf_func__name(fn));
		return -EINVAL;
	}
	if (l7_plugin_inst__call(pi, fn, NULL, 0, NULL)) {
		snprintf(err->msg, sizeof(err->msg), "%s failed: %.900s", wbpf_func__name(fn),
			 pi->last_err);
		return -EINVAL;
	}
	return 0;
}

static int l7_start(struct l7_plugin_inst *pi, struct wbpf_error *err)
{
	int32_t r = 0;

	for (int i = 0; i < L7X_N; i++)
		if (l7_export(pi, (enum l7_export)i, err))
			return -EINVAL;
	if (!pi->fn[L7X_BUFFER]) {
		snprintf(err->msg, sizeof(err->msg), "does not export wbpf_l7_buffer (link the SDK)");
		return -ENOENT;
	}
	if (l7_wasi_start(pi, err))
		return -EINVAL;
	if (pi->fn[L7X_INIT] && (l7_plugin_inst__call(pi, pi->fn[L7X_INIT], NULL, 0, &r) || r)) {
		snprintf(err->msg, sizeof(err->msg), "wbpf_l7_init refused to start (%d)%s%.900s",
			 r, pi->fail ? ": " : "", pi->fail ? pi->last_err : "");
		return -EINVAL;
	}
	pi->hooks = (pi->fn[L7X_CHECK] ? L7_HOOK_BIT(L7_HOOK_CHECK) : 0) |
		    (pi->fn[L7X_PARSE] ? L7_HOOK_BIT(L7_HOOK_PARSE) : 0) |
		    (pi->fn[L7X_HTTP_REQ] ? L7_HOOK_BIT(L7_HOOK_HTTP_REQ) : 0) |
		    (pi->fn[L7X_HTTP_RESP] ? L7_HOOK_BIT(L7_HOOK_HTTP_RESP) : 0);
	return 0;
}

/* ------------------------------------------------------------ hooks */

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* Room for `need` bytes at pi->region, asking the guest to grow it. */
static uint8_t *region(struct l7_plugin_inst *pi, uint32_t need)
{
	struct wbpf_val arg = { .type = WBPF_I32, .of.i32 = need };
	int32_t ptr;

	if (need > pi->region_cap) {
		/* Grown in big steps: each growth is a guest call. */
		need = need < REGION_MIN ? REGION_MIN : need;
		arg.of.i32 = need;
		if (l7_plugin_inst__call(pi, pi->fn[L7X_BUFFER], &arg, 1, &ptr))
			return NULL;
		if (!ptr || (uint64_t)(uint32_t)ptr + need > wbpf_memory__size(pi->mem)) {
			l7_plugin_inst__bad(pi, "wbpf_l7_buffer gave no room");
			return NULL;
		}
		pi->region = (uint32_t)ptr;
		pi->region_cap = need;
	}
	return wbpf_memory__data(pi->mem) + pi->region;
}

static uint32_t put_str(uint8_t *base, uint32_t at, struct wbpf_l7_str *s, const void *src,
			size_t len)
{
	s->off = at;
	s->len = (uint32_t)len;
	if (len)
		memcpy(base + at, src, len);
	return at + (uint32_t)len;
}

/* Writes the context for `hook` into the region: the one copy per call. */
static int write_ctx(struct l7_plugin_inst *pi, enum wbpf_l7_hook hook, const struct l7_msg *msg,
		     const char *const http[WBPF_L7_HTTP_NSTR])
{
	size_t lens[WBPF_L7_HTTP_NSTR], need = sizeof(struct wbpf_l7_ctx) + msg->len;
	struct wbpf_l7_ctx ctx = {
		.hook = (uint8_t)hook, .dir = (uint8_t)msg->dir, .family = msg->tuple.family,
		.l4 = msg->tuple.l4, .sport = msg->tuple.sport, .dport = msg->tuple.dport,
		.protocol = hook == WBPF_L7_CHECK ? 0 : msg->protocol,
		.source = (uint8_t)msg->source, .flow_id = msg->flow_id, .time_us = msg->time_us,
		.pid = msg->pid, .tid = msg->tid, .buf_size = msg->buf_size,
		.truncated = msg->truncated,
	};
	uint8_t *base;
	uint32_t at;

	for (int i = 0; i < WBPF_L7_HTTP_NSTR; i++)
		need += lens[i] = strlen(nz(http[i]));
	if (need > UINT32_MAX / 2 || !(base = region(pi, (uint32_t)need)))
		return -EFAULT;
	memcpy(ctx.src, msg->tuple.src, 16);
	memcpy(ctx.dst, msg->tuple.dst, 16);
	memcpy(ctx.proc_name, msg->proc_name, sizeof(ctx.proc_name));
	at = sizeof(ctx);
	for (int i = 0; i < WBPF_L7_HTTP_NSTR; i++)
		at = put_str(base, at, &ctx.http[i], nz(http[i]), lens[i]);
	at = put_str(base, at, &ctx.payload, msg->payload, msg->len);
	ctx.size = at;
	if (pi->hook == L7_HOOK_HTTP_RESP) {
		const struct l7_http_resp *r = pi->hook_arg;

		ctx.http_code = r->code;
		ctx.http_status = (uint8_t)r->status;
	}
	memcpy(base, &ctx, sizeof(ctx));
	return 0;
}

static const char *const no_http[WBPF_L7_HTTP_NSTR];

static int call_hook(struct l7_plugin_inst *pi, enum l7_export fn, int32_t *r)
{
	return l7_plugin_inst__call(pi, pi->fn[fn], NULL, 0, r);
}

static int l7_check(struct l7_plugin_inst *pi, const struct l7_msg *msg, enum l7_direction *dir)
{
	int32_t v;

	if (write_ctx(pi, WBPF_L7_CHECK, msg, no_http) || call_hook(pi, L7X_CHECK, &v) || !v)
		return 0;
	if (v < 0 || (v & ~(WBPF_L7_S2C | 0xffff)) || !(v & 0xffff))
		return l7_plugin_inst__bad(pi, "wbpf_l7_check returned no protocol"), 0;
	*dir = v & WBPF_L7_S2C ? L7_S2C : L7_C2S;
	return v & 0xffff;
}

static int l7_parse(struct l7_plugin_inst *pi, const struct l7_msg *msg)
{
	int32_t r;

	if (write_ctx(pi, WBPF_L7_PARSE, msg, no_http) || call_hook(pi, L7X_PARSE, &r))
		return -EFAULT;
	if (r == WBPF_L7_AGAIN)
		return -EAGAIN;
	if (r != 0 && r != 1)
		return l7_plugin_inst__bad(pi, "wbpf_l7_parse returned neither 0, 1 nor -EAGAIN");
	return r;
}

static int http_hook(struct l7_plugin_inst *pi, enum l7_export fn, enum wbpf_l7_hook hook,
		     const struct l7_msg *msg, const char *const http[WBPF_L7_HTTP_NSTR])
{
	int32_t r;

	if (write_ctx(pi, hook, msg, http) || call_hook(pi, fn, &r))
		return -EFAULT;
	if (r != 0 && r != 1)
		return l7_plugin_inst__bad(pi, "HTTP hook returned neither 0 nor 1");
	return r;
}

static int l7_http_req(struct l7_plugin_inst *pi, const struct l7_msg *msg,
		       const struct l7_http_req *req)
{
	const char *const s[WBPF_L7_HTTP_NSTR] = { req->path, req->host, req->user_agent,
						   req->referer, NULL };

	return http_hook(pi, L7X_HTTP_REQ, WBPF_L7_HTTP_REQ, msg, s);
}

static int l7_http_resp(struct l7_plugin_inst *pi, const struct l7_msg *msg,
			const struct l7_http_resp *resp)
{
	const char *const s[WBPF_L7_HTTP_NSTR] = { [WBPF_L7_HTTP_ENDPOINT] = resp->endpoint };

	return http_hook(pi, L7X_HTTP_RESP, WBPF_L7_HTTP_RESP, msg, s);
}

const struct l7_plugin_abi l7_abi_wbpf = {
	.module = "wbpf_l7",
	.check_module = l7_check_module,
	.define = l7_define,
	.start = l7_start,
	.check = l7_check,
	.parse = l7_parse,
	.http_req = l7_http_req,
	.http_resp = l7_http_resp,
};
