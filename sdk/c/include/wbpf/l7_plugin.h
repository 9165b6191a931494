/* SPDX-License-Identifier: MIT */
/*
 * wbpf's L7 plugin ABI, module `wbpf_l7` (docs/abi-l7.md): the context
 * layout the host writes into the plugin's memory before every hook, the
 * result fields, and, for wasm32 guests, the imports and SDK helpers.
 *
 * A plugin is a WASI reactor that exports some of
 *	int wbpf_l7_check(void)        payload hook: is this my protocol?
 *	int wbpf_l7_parse(void)        payload hook: records for one message
 *	int wbpf_l7_on_http_req(void)  HTTP hooks: add to the built-in
 *	int wbpf_l7_on_http_resp(void) HTTP parser's record
 *	int wbpf_l7_init(void)         once, after _initialize: read the
 *	                               configuration; non-zero refuses it
 * (WBPF_L7_HOOK() exports one). Hooks read the context with
 * wbpf_l7_context() and the payload in place, without host calls.
 *
 * This header is the one definition of the layout: the host includes it
 * too. Integers are little-endian, as wasm is.
 */
#ifndef WBPF_SDK_L7_PLUGIN_H
#define WBPF_SDK_L7_PLUGIN_H

#include <stdint.h>

#define WBPF_L7_ABI_VERSION 1

enum wbpf_l7_hook {
	WBPF_L7_CHECK = 1,
	WBPF_L7_PARSE = 2,
	WBPF_L7_HTTP_REQ = 3,
	WBPF_L7_HTTP_RESP = 4,
};

/* A string or byte range in the context region: off from the region's
 * start (the context itself), len bytes, not NUL-terminated. */
struct wbpf_l7_str {
	uint32_t off, len;
};

enum wbpf_l7_http_str {
	WBPF_L7_HTTP_PATH,
	WBPF_L7_HTTP_HOST,
	WBPF_L7_HTTP_USER_AGENT,
	WBPF_L7_HTTP_REFERER,
	WBPF_L7_HTTP_ENDPOINT, /* responses */
	WBPF_L7_HTTP_NSTR,
};

struct wbpf_l7_ctx {
	uint32_t size;	   /* bytes valid from here: context, strings, payload */
	uint8_t hook;	   /* enum wbpf_l7_hook */
	uint8_t dir;	   /* 0 client to server, 1 server to client */
	uint8_t family;	   /* 4 or 6 */
	uint8_t l4;	   /* 6 TCP, 17 UDP */
	uint16_t sport, dport; /* of the sender, the receiver */
	uint16_t protocol; /* 0 while inferring, else the flow's protocol */
	uint8_t source;	   /* where the payload was seen: 255 packets */
	uint8_t http_status; /* on_http_resp: 0 ok, 2 timeout, 3 server, 4 client error, 5 unknown */
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
	uint64_t flow_id;
	uint64_t time_us;  /* wall clock of the message's first byte */
	uint32_t pid, tid; /* 0 when unknown */
	char proc_name[16];/* "" when unknown */
	uint32_t buf_size; /* the configured largest message */
	uint16_t http_code; /* on_http_resp */
	uint8_t truncated; /* no more bytes will come for this message: parse
			    * what is there rather than answer WBPF_L7_AGAIN */
	uint8_t reserved;
	struct wbpf_l7_str payload;
	struct wbpf_l7_str http[WBPF_L7_HTTP_NSTR]; /* the HTTP hooks */
};

_Static_assert(sizeof(struct wbpf_l7_ctx) == 144, "ABI: wbpf_l7_ctx is 144 bytes");
_Static_assert(__builtin_offsetof(struct wbpf_l7_ctx, flow_id) == 48, "ABI: flow_id at 48");
_Static_assert(__builtin_offsetof(struct wbpf_l7_ctx, payload) == 96, "ABI: payload at 96");

/* wbpf_l7_check's answer: 0 not mine, else the protocol number, with
 * WBPF_L7_S2C when the payload says it travels server to client. */
#define WBPF_L7_S2C (1 << 16)
/* wbpf_l7_parse's answers besides 1 (records made) and 0 (not understood):
 * the message is incomplete; the host calls again with more bytes. */
#define WBPF_L7_AGAIN (-11)

enum wbpf_l7_record_type {
	WBPF_L7_REC_REQUEST = 0,
	WBPF_L7_REC_RESPONSE = 1,
	WBPF_L7_REC_SESSION = 2, /* both halves in one */
};

/* Result fields: strings (set_str) below 32, integers (set_int) above. */
enum wbpf_l7_field {
	WBPF_L7_VERSION = 1,
	WBPF_L7_REQUEST_TYPE,
	WBPF_L7_REQUEST_DOMAIN,
	WBPF_L7_REQUEST_RESOURCE,
	WBPF_L7_ENDPOINT,
	WBPF_L7_RESPONSE_RESULT,
	WBPF_L7_RESPONSE_EXCEPTION,
	WBPF_L7_TRACE_ID,
	WBPF_L7_SPAN_ID,
	WBPF_L7_PARENT_SPAN_ID,
	WBPF_L7_X_REQUEST_ID,
	WBPF_L7_HTTP_PROXY_CLIENT,
	WBPF_L7_PROTOCOL_STR,
	WBPF_L7_BIZ_CODE,
	WBPF_L7_BIZ_SCENARIO,
	WBPF_L7_BIZ_RESPONSE_CODE,

	WBPF_L7_REQUEST_ID = 32,  /* u32 */
	WBPF_L7_RESPONSE_CODE,	  /* i32 */
	WBPF_L7_RESPONSE_STATUS,  /* 0 ok, 2 timeout, 3 server error, 4 client error, 5 unknown */
	WBPF_L7_REQ_LEN,	  /* >= 0 */
	WBPF_L7_RESP_LEN,	  /* >= 0 */
	WBPF_L7_BIZ_TYPE,	  /* u8 */
	WBPF_L7_FLAGS,		  /* WBPF_L7_F_* */
	WBPF_L7_MSG_END,	  /* where this record's message ends in the payload;
				   * unset: the whole payload. Bytes past the
				   * largest end are offered again with more. */
};

#define WBPF_L7_F_NEED_MERGE 1 /* more records follow for this direction */
#define WBPF_L7_F_IS_END 2
#define WBPF_L7_F_ASYNC 4      /* pair by request id only */
#define WBPF_L7_F_REVERSED 8   /* the server spoke first */

#ifdef __wasm__
#include <stddef.h>
#include <string.h>

#define WBPF_L7_IMPORT(name) __attribute__((import_module("wbpf_l7"), import_name(#name)))
#define WBPF_L7_HOOK(name) __attribute__((export_name(#name))) int name(void)

/* The raw imports: >= 0 on success, else a negative Linux errno. */
WBPF_L7_IMPORT(log) void wbpf_l7_log(int level, const char *msg, uint32_t len);
/* The value of --plugin-arg key=...: its length (copied up to cap bytes,
 * no NUL added), or -ENOENT (-2). */
WBPF_L7_IMPORT(config) int wbpf_l7_config_raw(const char *key, uint32_t key_len, char *buf,
					       uint32_t cap);
/* The i-th key given, as config; -ENOENT past the last. */
WBPF_L7_IMPORT(config_key) int wbpf_l7_config_key(uint32_t i, char *buf, uint32_t cap);
/* The protocol name records get when they set none. */
WBPF_L7_IMPORT(set_name) int wbpf_l7_set_name_raw(const char *name, uint32_t len);
/* Starts a record (parse and HTTP hooks); its index. */
WBPF_L7_IMPORT(record) int wbpf_l7_record(int type);
WBPF_L7_IMPORT(set_str) int wbpf_l7_set_strn(int field, const char *s, uint32_t len);
WBPF_L7_IMPORT(set_int) int wbpf_l7_set_int(int field, int64_t v);
WBPF_L7_IMPORT(add_attr) int wbpf_l7_add_attrn(const char *key, uint32_t key_len, const char *val,
					       uint32_t val_len);

/* The context of the hook being run (the SDK's region). */
const struct wbpf_l7_ctx *wbpf_l7_context(void);

static inline const uint8_t *wbpf_l7_bytes(const struct wbpf_l7_ctx *ctx, struct wbpf_l7_str s)
{
	return (const uint8_t *)ctx + s.off;
}

static inline int wbpf_l7_set_str(int field, const char *s)
{
	return wbpf_l7_set_strn(field, s, (uint32_t)strlen(s));
}

static inline int wbpf_l7_add_attr(const char *key, const char *val)
{
	return wbpf_l7_add_attrn(key, (uint32_t)strlen(key), val, (uint32_t)strlen(val));
}

static inline int wbpf_l7_set_name(const char *name)
{
	return wbpf_l7_set_name_raw(name, (uint32_t)strlen(name));
}

/* --plugin-arg `key` as a NUL-terminated string in buf (cut to fit), or
 * NULL when not given. */
const char *wbpf_l7_config(const char *key, char *buf, size_t cap);
/* --plugin-arg `key` as a number in 1..max into *v: 1 when given, 0 when
 * not (*v unchanged), -1 when not such a number (refuse it in init). */
int wbpf_l7_config_uint(const char *key, unsigned long max, unsigned long *v);
#endif /* __wasm__ */

#endif
