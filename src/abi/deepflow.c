// SPDX-License-Identifier: MIT
/*
 * Module `deepflow`: the DeepFlow agent's plugin ABI, so that its plugins
 * (TinyGo builds of deepflow-wasm-go-sdk) run unmodified. Every function,
 * return value and byte format is DeepFlow's (docs/abi-deepflow.md); where
 * DeepFlow aborts or misbehaves wbpf answers the guest with the function's
 * error value instead: a call outside a hook, bounds summed past 32 bits,
 * a result left over from another plugin's call.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "abi/abi.h"
#include "l7/plugin_impl.h"

#define PI ((struct l7_plugin_inst *)user)

enum df_export {
	DF_START,
	DF_BITMAP,
	DF_CHECK,
	DF_PARSE,
	DF_HTTP_REQ,
	DF_HTTP_RESP,
	DF_CUSTOM,
	DF_CUSTOM_HOOK,
};

/* The WASI functions DeepFlow links, and the two its users asked for. */
static const char *const wasi_allowed[] = {
	"clock_time_get", "args_sizes_get", "args_get", "environ_get", "environ_sizes_get",
	"fd_close", "fd_fdstat_get", "fd_filestat_get", "fd_pread", "fd_prestat_get",
	"fd_prestat_dir_name", "fd_read", "fd_seek", "fd_write", "path_open", "path_readlink",
	"proc_exit", "sched_yield", "random_get", "poll_oneoff",
};

/* ------------------------------------------------------ host functions */

/* [ptr, ptr+len) of guest memory, summed in 64 bits (DeepFlow's 32-bit sum
 * wraps). len 0 is a valid, empty buffer. */
static bool df_buf(struct wbpf_caller *c, uint32_t ptr, uint32_t len, uint8_t **out)
{
	if ((uint64_t)ptr + len > wbpf_caller__mem_size(c))
		return false;
	*out = len ? wbpf_caller__mem(c, ptr, len) : NULL;
	return !len || *out;
}

static int wasm_log(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	uint8_t *s;

	if (df_buf(c, ARG_U32(slots, 0), ARG_U32(slots, 1), &s))
		l7_plugin_inst__log(PI, ARG_I32(slots, 2), (const char *)s, ARG_U32(slots, 1));
	return 0;
}

/* The protocol byte of VmCtxBase: none while inferring; the flow's in a
 * parse; HTTP/1 unless the pipeline knows better in the HTTP hooks. */
static uint8_t ctx_l7(const struct l7_plugin_inst *pi)
{
	switch (pi->hook) {
	case L7_HOOK_PARSE:
		return (uint8_t)pi->msg->protocol;
	case L7_HOOK_HTTP_REQ:
	case L7_HOOK_HTTP_RESP:
		return pi->msg->protocol ? (uint8_t)pi->msg->protocol : L7_PROTO_HTTP1;
	default:
		return 0;
	}
}

typedef size_t (*df_writer)(const struct l7_plugin_inst *pi, uint8_t *buf, size_t cap);

/* The vm_read_* pattern: only inside `hook` (any hook for L7_HOOK_NONE),
 * a checked buffer, the bytes written or 0. */
static int vm_read(struct wbpf_caller *c, uint64_t *slots, struct l7_plugin_inst *pi,
		   enum l7_hook hook, df_writer write)
{
	uint32_t len = ARG_U32(slots, 1);
	uint8_t *buf;

	if (pi->hook == L7_HOOK_NONE || (hook != L7_HOOK_NONE && pi->hook != hook) ||
	    !df_buf(c, ARG_U32(slots, 0), len, &buf))
		return abi_ret(slots, 0);
	return abi_ret(slots, (int)write(pi, buf, len));
}

static size_t w_ctx(const struct l7_plugin_inst *pi, uint8_t *buf, size_t cap)
{
	return l7_df_ctx_base(pi->msg, ctx_l7(pi), buf, cap);
}

static size_t w_req(const struct l7_plugin_inst *pi, uint8_t *buf, size_t cap)
{
	return l7_df_http_req(pi->hook_arg, buf, cap);
}

static size_t w_resp(const struct l7_plugin_inst *pi, uint8_t *buf, size_t cap)
{
	return l7_df_http_resp(pi->hook_arg, buf, cap);
}

static size_t w_custom(const struct l7_plugin_inst *pi, uint8_t *buf, size_t cap)
{
	return l7_df_custom(pi->hook_arg, buf, cap);
}

static int vm_read_ctx_base(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	return vm_read(c, slots, PI, L7_HOOK_NONE, w_ctx);
}

static int vm_read_http_req_info(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	return vm_read(c, slots, PI, L7_HOOK_HTTP_REQ, w_req);
}

static int vm_read_http_resp_info(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	return vm_read(c, slots, PI, L7_HOOK_HTTP_RESP, w_resp);
}

static int vm_read_custom_message_info(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	return vm_read(c, slots, PI, L7_HOOK_CUSTOM, w_custom);
}

/* Size, 0 when empty, -1 when the buffer is smaller than the payload. */
static int vm_read_payload(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct l7_plugin_inst *pi = PI;
	uint32_t len = ARG_U32(slots, 1);
	uint8_t *buf;

	if (pi->hook == L7_HOOK_NONE || !df_buf(c, ARG_U32(slots, 0), len, &buf))
		return abi_ret(slots, 0);
	if (!pi->msg->len)
		return abi_ret(slots, 0);
	if (len < pi->msg->len)
		return abi_ret(slots, -1);
	memcpy(buf, pi->msg->payload, pi->msg->len);
	return abi_ret(slots, (int)pi->msg->len);
}

/* Records replace what an earlier read in the same call stored; a buffer
 * that does not decode stores none (see result_err). */
static int host_read_l7_protocol_info(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct l7_plugin_inst *pi = PI;
	uint32_t len = ARG_U32(slots, 1);
	uint8_t *buf;
	int n;

	if (pi->hook == L7_HOOK_NONE || !df_buf(c, ARG_U32(slots, 0), len, &buf))
		return abi_ret(slots, 0);
	n = l7_df_result__decode(buf, len, pi->msg->dir, pi->res, pi->max_res);
	if (n < 0) {
		pi->nres = 0;
		pi->result_err = "result records do not decode";
		return abi_ret(slots, 0);
	}
	l7_plugin_inst__took(pi, n);
	pi->result_err = NULL;
	return abi_ret(slots, 1);
}

static int host_read_str_result(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct l7_plugin_inst *pi = PI;
	uint32_t len = ARG_U32(slots, 1), n;
	uint8_t *buf;

	if (pi->hook == L7_HOOK_NONE || !df_buf(c, ARG_U32(slots, 0), len, &buf) || len < 2)
		return abi_ret(slots, 0);
	n = (uint32_t)buf[0] << 8 | buf[1];
	if (n > len - 2 || !l7_utf8_valid(buf + 2, n))
		return abi_ret(slots, 0);
	l7_info__set_str(pi->call_name, sizeof(pi->call_name), (const char *)buf + 2, n);
	return abi_ret(slots, 1);
}

static const struct abi_func df_funcs[] = {
	{ "wasm_log", "(iii)", wasm_log },
	{ "vm_read_ctx_base", "(ii)i", vm_read_ctx_base },
	{ "vm_read_payload", "(ii)i", vm_read_payload },
	{ "vm_read_http_req_info", "(ii)i", vm_read_http_req_info },
	{ "vm_read_http_resp_info", "(ii)i", vm_read_http_resp_info },
	{ "vm_read_custom_message_info", "(ii)i", vm_read_custom_message_info },
	{ "host_read_l7_protocol_info", "(ii)i", host_read_l7_protocol_info },
	{ "host_read_str_result", "(ii)i", host_read_str_result },
};

static int df_define(struct l7_plugin_inst *pi)
{
	return abi_define(pi->store, "deepflow", df_funcs, sizeof(df_funcs) / sizeof(df_funcs[0]),
			  pi);
}

/* --------------------------------------------------------- loading */

static bool wasi_ok(const char *name)
{
	for (size_t i = 0; i < sizeof(wasi_allowed) / sizeof(wasi_allowed[0]); i++)
		if (!strcmp(name, wasi_allowed[i]))
			return true;
	return false;
}

/* DeepFlow links nothing else: a module that needs more is refused by name. */
static int df_check_module(const struct wbpf_module *mod, struct wbpf_error *err)
{
	struct wbpf_extern_desc d;

	for (size_t i = 0; i < wbpf_module__import_count(mod); i++) {
		if (wbpf_module__import(mod, i, &d) || !strcmp(d.module, "deepflow") ||
		    (!strcmp(d.module, "wasi_snapshot_preview1") && wasi_ok(d.name)))
			continue;
		snprintf(err->msg, sizeof(err->msg),
			 "imports %s.%s, which DeepFlow's ABI does not provide", d.module, d.name);
		return -ENOENT;
	}
	return 0;
}

/* An export of type ()->i32 (or ()->() when `void_`); NULL if absent. */
static int df_export(struct l7_plugin_inst *pi, const char *name, bool void_, bool required,
		     struct wbpf_func **out, struct wbpf_error *err)
{
	struct wbpf_func *fn = wbpf_instance__func(pi->inst, name);
	struct wbpf_functype ft;

	*out = NULL;
	if (!fn) {
		if (required)
			snprintf(err->msg, sizeof(err->msg), "does not export %s", name);
		return required ? -ENOENT : 0;
	}
	wbpf_func__type(fn, &ft);
	if (ft.nparams || ft.nresults != (void_ ? 0u : 1u) ||
	    (!void_ && ft.results[0] != WBPF_I32)) {
		snprintf(err->msg, sizeof(err->msg), "export %s is not of type %s", name,
			 void_ ? "() -> ()" : "() -> i32");
		return -EINVAL;
	}
	*out = fn;
	return 0;
}

/* Calls a load-time export returning a pointer to n bytes, read into buf;
 * a null pointer leaves buf zeroed. */
static int df_pointed(struct l7_plugin_inst *pi, struct wbpf_func *fn, uint8_t *buf, uint32_t n,
		      struct wbpf_error *err)
{
	int32_t ptr;

	memset(buf, 0, n);
	if (l7_plugin_inst__call(pi, fn, NULL, 0, &ptr)) {
		snprintf(err->msg, sizeof(err->msg), "%s failed: %.900s", wbpf_func__name(fn),
			 pi->last_err);
		return -EINVAL;
	}
	if (ptr && wbpf_memory__read(pi->mem, (uint32_t)ptr, buf, n)) {
		snprintf(err->msg, sizeof(err->msg), "%s returned a pointer outside memory",
			 wbpf_func__name(fn));
		return -EFAULT;
	}
	return 0;
}

static int df_exports(struct l7_plugin_inst *pi, struct wbpf_error *err)
{
	static const struct {
		const char *name;
		bool void_, required;
	} ex[] = {
		[DF_START] = { "_start", true, true },
		[DF_BITMAP] = { "get_hook_bitmap", false, true },
		[DF_CHECK] = { "check_payload", false, true },
		[DF_PARSE] = { "parse_payload", false, true },
		[DF_HTTP_REQ] = { "on_http_req", false, true },
		[DF_HTTP_RESP] = { "on_http_resp", false, true },
		[DF_CUSTOM] = { "on_custom_message", false, false },
		[DF_CUSTOM_HOOK] = { "get_custom_message_hook", false, false },
	};
	struct wbpf_extern mem;

	if (wbpf_instance__export(pi->inst, "memory", &mem) || mem.kind != WBPF_EXTERN_MEMORY) {
		snprintf(err->msg, sizeof(err->msg), "does not export memory");
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++)
		if (df_export(pi, ex[i].name, ex[i].void_, ex[i].required, &pi->fn[i], err))
			return -EINVAL;
	return 0;
}

static uint64_t be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* _start (main registers the parser), then the hook bitmap: a big-endian
 * u128 whose top bits are the HTTP and custom hooks and bit 0 the payload
 * hooks; then the custom message hook, a big-endian u64. */
static int df_start(struct l7_plugin_inst *pi, struct wbpf_error *err)
{
	uint8_t bm[16], ch[8];

	if (df_exports(pi, err))
		return -EINVAL;
	if (l7_plugin_inst__call(pi, pi->fn[DF_START], NULL, 0, NULL)) {
		snprintf(err->msg, sizeof(err->msg), "_start failed: %.900s", pi->last_err);
		return -EINVAL;
	}
	if (df_pointed(pi, pi->fn[DF_BITMAP], bm, sizeof(bm), err))
		return -EINVAL;
	pi->hooks = (bm[0] & 0x80 ? L7_HOOK_BIT(L7_HOOK_HTTP_REQ) : 0) |
		    (bm[0] & 0x40 ? L7_HOOK_BIT(L7_HOOK_HTTP_RESP) : 0) |
		    (bm[15] & 0x01 ? L7_HOOK_BIT(L7_HOOK_CHECK) | L7_HOOK_BIT(L7_HOOK_PARSE) : 0);
	if (!pi->fn[DF_CUSTOM] || !pi->fn[DF_CUSTOM_HOOK])
		return 0;
	if (df_pointed(pi, pi->fn[DF_CUSTOM_HOOK], ch, sizeof(ch), err))
		return -EINVAL;
	pi->custom_hook = be64(ch);
	if ((bm[0] & 0x20) && pi->custom_hook)
		pi->hooks |= L7_HOOK_BIT(L7_HOOK_CUSTOM);
	return 0;
}

/* ------------------------------------------------------------ hooks */

/* 0 next, 1 stop; anything else is the plugin's error. */
static int df_hook(struct l7_plugin_inst *pi, enum df_export which)
{
	int32_t r;

	if (l7_plugin_inst__call(pi, pi->fn[which], NULL, 0, &r))
		return -EFAULT;
	if (r != 0 && r != 1)
		return l7_plugin_inst__bad(pi, "hook returned neither 0 nor 1");
	return r;
}

/* 0 not mine; 1..255 the protocol of a request; else protocol v & 0xff
 * and direction v >> 8: 1 request, 2 response. */
static int df_check(struct l7_plugin_inst *pi, const struct l7_msg *msg, enum l7_direction *dir)
{
	int32_t v, d;

	(void)msg;
	pi->call_name[0] = '\0';
	if (l7_plugin_inst__call(pi, pi->fn[DF_CHECK], NULL, 0, &v) || !v || !(v & 0xff))
		return 0;
	d = v >> 8;
	if (d != 0 && d != 1 && d != 2)
		return l7_plugin_inst__bad(pi, "check_payload returned an unknown direction"), 0;
	*dir = d == 2 ? L7_S2C : L7_C2S;
	memcpy(pi->name, pi->call_name, sizeof(pi->name));
	return v & 0xff;
}

static int df_parse(struct l7_plugin_inst *pi, const struct l7_msg *msg)
{
	(void)msg;
	return df_hook(pi, DF_PARSE);
}

static int df_http_req(struct l7_plugin_inst *pi, const struct l7_msg *msg,
		       const struct l7_http_req *req)
{
	(void)msg;
	(void)req;
	return df_hook(pi, DF_HTTP_REQ);
}

static int df_http_resp(struct l7_plugin_inst *pi, const struct l7_msg *msg,
			const struct l7_http_resp *resp)
{
	(void)msg;
	(void)resp;
	return df_hook(pi, DF_HTTP_RESP);
}

/* Bits 63..48 set match everything; else hook point (47..32) and type
 * code (31..0) must both match. */
static int df_custom(struct l7_plugin_inst *pi, const struct l7_msg *msg,
		     const struct l7_custom_msg *cm)
{
	uint64_t h = pi->custom_hook;

	(void)msg;
	if (!(h >> 48) && ((h >> 32 & 0xffff) != cm->hook_point || (uint32_t)h != cm->type_code))
		return 0;
	return df_hook(pi, DF_CUSTOM);
}

const struct l7_plugin_abi l7_abi_deepflow = {
	.module = "deepflow",
	.check_module = df_check_module,
	.define = df_define,
	.start = df_start,
	.check = df_check,
	.parse = df_parse,
	.http_req = df_http_req,
	.http_resp = df_http_resp,
	.custom = df_custom,
	.parse_walks_all = true,
};
