// SPDX-License-Identifier: MIT
/*
 * A `deepflow` guest that calls every host function with good and bad
 * buffers and reports what it got as attributes of its result record, for
 * plugins_test.c to check. The payload says what to do:
 *	"PROBE..."	check: protocol 200, named "probe"; "PROBE-RESP" a response
 *	"PROBE-PB"	parse: one AppInfo record of the probes
 *	"PROBE-LEGACY"	parse: the same in the legacy layout
 *	"PROBE-PASS"	parse: returns 0 (next plugin)
 *	"PROBE-TWO"	parse: two records
 *	"PROBE-HUGE"	parse: more records than the host takes
 *	"PROBE-GARBAGE"	parse: returns 7
 *	"PROBE-BADDIR"	check: a direction that does not exist
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <wbpf/deepflow.h>

static uint8_t bitmap[16] = { DF_HOOK_HTTP_REQ_BYTE0 | DF_HOOK_HTTP_RESP_BYTE0 |
				       DF_HOOK_CUSTOM_BYTE0, [15] = DF_HOOK_PAYLOAD_BYTE15 };
/* Custom messages of hook point 1 (session filter) from NATS (104). */
static uint8_t custom_hook[8] = { 0, 0, 0, 1, 0, 0, 0, 104 };
static int start_ctx = -99, start_payload = -99, start_result = -99, start_random = -99;
static uint8_t ctx[1024], payload[1024], out[8192];
static char vals[16][96];
static struct df_kv kv[16];
static size_t nkv;

DF_EXPORT(get_hook_bitmap)
{
	return (int)(uintptr_t)bitmap;
}

DF_EXPORT(get_custom_message_hook)
{
	return (int)(uintptr_t)custom_hook;
}

static void note(const char *key, const char *fmt, long v)
{
	if (nkv == 16)
		return;
	snprintf(vals[nkv], sizeof(vals[nkv]), fmt, v);
	kv[nkv] = (struct df_kv){ key, vals[nkv] };
	nkv++;
}

static void note_hex(const char *key, const uint8_t *b, int n)
{
	if (nkv == 16 || n < 0 || n > 47)
		return;
	for (int i = 0; i < n; i++)
		snprintf(vals[nkv] + 2 * i, 3, "%02x", b[i]);
	kv[nkv] = (struct df_kv){ key, vals[nkv] };
	nkv++;
}

static int read_payload(void)
{
	return df_vm_read_payload(payload, sizeof(payload) - 1);
}

DF_EXPORT(check_payload)
{
	uint8_t name[16];
	size_t len = 0;
	int n = read_payload();

	if (n < 5 || memcmp(payload, "PROBE", 5))
		return 0;
	df_encode_str("probe", name, &len, sizeof(name));
	df_host_read_str_result(name, (uint32_t)len);
	if (n >= 12 && !memcmp(payload, "PROBE-BADDIR", 12))
		return 200 | 3 << 8;
	return n >= 10 && !memcmp(payload, "PROBE-RESP", 10) ? 200 | DF_DIR_RESPONSE : 200;
}

/* Every host function with buffers it must refuse. */
static void probe_bad(void)
{
	uint8_t bad_rec[] = { 0, 5, 'P', 'B', 0x08 }; /* a varint cut short */
	uint8_t bad_str[] = { 0, 9, 'x' };

	note("start_ctx", "%ld", start_ctx);
	note("start_payload", "%ld", start_payload);
	note("start_result", "%ld", start_result);
	note("start_random", "%ld", start_random);
	note("ctx_oob", "%ld", df_vm_read_ctx_base((void *)0x7ffffff0, 64));
	/* DeepFlow sums these in 32 bits: 0xfffffff0 + 0x20 wraps to 0x10. */
	note("ctx_wrap", "%ld", df_vm_read_ctx_base((void *)0xfffffff0, 0x20));
	note("ctx_small", "%ld", df_vm_read_ctx_base(ctx, 10));
	note("payload_small", "%ld", df_vm_read_payload(payload, 3));
	note("req_in_parse", "%ld", df_vm_read_http_req_info(ctx, sizeof(ctx)));
	note("custom_in_parse", "%ld", df_vm_read_custom_message_info(ctx, sizeof(ctx)));
	note("result_bad", "%ld", df_host_read_l7_protocol_info(bad_rec, sizeof(bad_rec)));
	note("result_empty", "%ld", df_host_read_l7_protocol_info(out, 0));
	note("str_bad", "%ld", df_host_read_str_result(bad_str, sizeof(bad_str)));
}

static int report(int legacy, int records)
{
	int n = df_vm_read_ctx_base(ctx, sizeof(ctx));
	struct df_ctx c;
	struct df_info info = { .has_req_len = true, .req_len = 11, .has_request_id = true,
				.request_id = 7, .protocol_str = "from-plugin", .kv = kv };
	size_t len = 0;

	df_ctx_decode(ctx, (size_t)(n > 0 ? n : 0), &c);
	nkv = 0;
	note("ctx_len", "%ld", n);
	note_hex("ctx", ctx, n);
	note("payload_len", "%ld", read_payload());
	probe_bad();
	info.nkv = nkv;
	info.is_req = c.direction == 0;
	info.is_resp = c.direction == 1;
	info.req.type = "PROBE";
	info.req.resource = "/r";
	info.resp.status = 3;
	info.resp.has_code = true;
	info.resp.code = -5;
	info.resp.result = "boom";
	info.has_trace = true;
	info.trace.trace_id = "t-1";
	info.trace.span_id = "s-1";
	info.need_merge = true;
	info.is_end = true;
	info.biz_type = 9;
	for (int i = 0; i < records; i++)
		if (legacy ? df_encode_legacy(&info, c.direction, out, &len, sizeof(out))
			   : df_encode_pb(&info, out, &len, sizeof(out)))
			return 2;
	return df_host_read_l7_protocol_info(out, (uint32_t)len) == 1 ? 1 : 3;
}

DF_EXPORT(parse_payload)
{
	int n = read_payload();

	payload[n > 0 ? n : 0] = '\0';
	if (!strcmp((char *)payload, "PROBE-PASS"))
		return 0;
	if (!strcmp((char *)payload, "PROBE-GARBAGE"))
		return 7;
	return report(!strcmp((char *)payload, "PROBE-LEGACY"),
		      !strcmp((char *)payload, "PROBE-TWO")    ? 2
		      : !strcmp((char *)payload, "PROBE-HUGE") ? 17
							       : 1);
}

/* The HTTP hooks hand back what they read, as a record. */
DF_EXPORT(on_http_req)
{
	int n = df_vm_read_http_req_info(ctx, sizeof(ctx));
	struct df_info info = { .is_req = true, .kv = kv, .nkv = 0 };
	size_t len = 0;

	nkv = 0;
	note("req_len", "%ld", n);
	note_hex("req", ctx, n);
	note("req_small", "%ld", df_vm_read_http_req_info(ctx, 4));
	note("resp_in_req", "%ld", df_vm_read_http_resp_info(ctx, sizeof(ctx)));
	info.nkv = nkv;
	info.has_trace = true;
	info.trace.trace_id = "from-req-hook";
	df_encode_pb(&info, out, &len, sizeof(out));
	return df_host_read_l7_protocol_info(out, (uint32_t)len);
}

DF_EXPORT(on_http_resp)
{
	int n = df_vm_read_http_resp_info(ctx, sizeof(ctx));
	struct df_info info = { .is_resp = true, .resp.status = 4, .kv = kv };
	size_t len = 0;

	nkv = 0;
	note("resp_len", "%ld", n);
	note_hex("resp", ctx, n);
	note("resp_short", "%ld", df_vm_read_http_resp_info(ctx, 4));
	note("resp_tiny", "%ld", df_vm_read_http_resp_info(ctx, 2));
	info.nkv = nkv;
	df_encode_legacy(&info, 1, out, &len, sizeof(out));
	return df_host_read_l7_protocol_info(out, (uint32_t)len);
}

/* The custom message hook hands back what it read. */
DF_EXPORT(on_custom_message)
{
	int n = df_vm_read_custom_message_info(ctx, sizeof(ctx));
	struct df_info info = { .kv = kv };
	size_t len = 0;

	nkv = 0;
	note_hex("custom", ctx, n);
	note("custom_small", "%ld", df_vm_read_custom_message_info(ctx, 5));
	info.nkv = nkv;
	df_encode_pb(&info, out, &len, sizeof(out));
	return df_host_read_l7_protocol_info(out, (uint32_t)len);
}

int main(void)
{
	uint8_t seed[8];

	/* Outside any hook DeepFlow aborts the agent; wbpf answers 0. */
	start_ctx = df_vm_read_ctx_base(ctx, sizeof(ctx));
	start_payload = df_vm_read_payload(payload, sizeof(payload));
	start_result = df_host_read_l7_protocol_info(out, 4);
	start_random = getentropy(seed, sizeof(seed)); /* random_get, which wbpf adds */
	df_wasm_log("probe loaded", 12, 0);
	return 0;
}
