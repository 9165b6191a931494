/* SPDX-License-Identifier: MIT */
/*
 * DeepFlow's plugin ABI (module `deepflow`, docs/abi-deepflow.md) for C
 * guests: the imports, the context it writes, and the result encoders,
 * byte for byte what deepflow-wasm-go-sdk sends. A plugin written with it
 * runs on DeepFlow's agent as on wbpf.
 *
 * The plugin is a WASI command: main() runs once at load (from _start)
 * and must return. It exports get_hook_bitmap, check_payload,
 * parse_payload, on_http_req and on_http_resp (DF_EXPORT), all ()->i32.
 */
#ifndef WBPF_SDK_DEEPFLOW_H
#define WBPF_SDK_DEEPFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DF_IMPORT(name) __attribute__((import_module("deepflow"), import_name(#name)))
#define DF_EXPORT(name) __attribute__((export_name(#name))) int name(void)

DF_IMPORT(wasm_log) void df_wasm_log(const void *msg, uint32_t len, int level);
DF_IMPORT(vm_read_ctx_base) int df_vm_read_ctx_base(void *buf, uint32_t len);
DF_IMPORT(vm_read_payload) int df_vm_read_payload(void *buf, uint32_t len);
DF_IMPORT(vm_read_http_req_info) int df_vm_read_http_req_info(void *buf, uint32_t len);
DF_IMPORT(vm_read_http_resp_info) int df_vm_read_http_resp_info(void *buf, uint32_t len);
DF_IMPORT(vm_read_custom_message_info) int df_vm_read_custom_message_info(void *buf, uint32_t len);
DF_IMPORT(host_read_l7_protocol_info) int df_host_read_l7_protocol_info(const void *buf,
									 uint32_t len);
DF_IMPORT(host_read_str_result) int df_host_read_str_result(const void *buf, uint32_t len);

/* get_hook_bitmap's 16 bytes: a big-endian u128. */
#define DF_HOOK_HTTP_REQ_BYTE0 0x80
#define DF_HOOK_HTTP_RESP_BYTE0 0x40
#define DF_HOOK_CUSTOM_BYTE0 0x20
#define DF_HOOK_PAYLOAD_BYTE15 0x01

/* For a plugin that only parses payloads: its hook bitmap, and the HTTP
 * hooks DeepFlow requires anyway, which pass (0). */
#define DF_PAYLOAD_PLUGIN()                                                        \
	static uint8_t df_payload_bitmap_[16] = { [15] = DF_HOOK_PAYLOAD_BYTE15 }; \
	DF_EXPORT(get_hook_bitmap) { return (int)(uintptr_t)df_payload_bitmap_; }  \
	DF_EXPORT(on_http_req) { return 0; }                                       \
	DF_EXPORT(on_http_resp) { return 0; }

/* check_payload's answer for a response: proto | DF_DIR_RESPONSE. */
#define DF_DIR_REQUEST (1 << 8)
#define DF_DIR_RESPONSE (2 << 8)

/* VmCtxBase, decoded. */
struct df_ctx {
	uint8_t ip_type; /* 4 or 6 */
	uint8_t src_ip[16], dst_ip[16];
	uint16_t src_port, dst_port;
	uint8_t l4, l7, ebpf_type;
	uint64_t time_us;
	uint8_t direction; /* 0 c2s, 1 s2c */
	char proc_name[256];
	uint64_t flow_id;
	uint16_t buf_size;
};

/* Decodes VmCtxBase; 0, or -1 when the bytes are short or malformed. */
int df_ctx_decode(const uint8_t *b, size_t n, struct df_ctx *ctx);

/* One result record, as the Go SDK's structs hold it. NULL strings are
 * absent (the protobuf field is left out; legacy writes ""). */
struct df_kv {
	const char *key, *val;
};

struct df_info {
	bool has_req_len, has_resp_len, has_request_id;
	uint32_t req_len, resp_len, request_id;
	bool is_req, is_resp; /* which oneof the protobuf carries */
	struct {
		const char *version, *type, *domain, *resource, *endpoint;
	} req;
	struct {
		uint8_t status; /* 0 ok, 2 timeout, 3 server, 4 client error, 5 unknown */
		bool has_code;
		int32_t code;
		const char *exception, *result, *type, *endpoint;
	} resp;
	bool has_trace;
	struct {
		const char *trace_id, *span_id, *parent_span_id, *x_request_id, *http_proxy_client;
	} trace;
	const char *protocol_str;
	bool need_merge, is_end, is_async, is_reversed;
	const struct df_kv *kv;
	size_t nkv;
	uint8_t biz_type;
	const char *biz_code, *biz_scenario, *biz_response_code;
};

/* Appends one [u16 len]["PB" AppInfo] record to buf (at *len, room cap);
 * 0, or -1 when it does not fit (nothing appended). */
int df_encode_pb(const struct df_info *info, uint8_t *buf, size_t *len, size_t cap);
/* The same record in the legacy layout; dir is the context's direction
 * (0 c2s: request fields; 1 s2c: response fields). */
int df_encode_legacy(const struct df_info *info, int dir, uint8_t *buf, size_t *len, size_t cap);
/* A [u16 len][bytes] string, for host_read_str_result. */
int df_encode_str(const char *s, uint8_t *buf, size_t *len, size_t cap);

#endif
