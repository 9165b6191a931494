// SPDX-License-Identifier: MIT
/*
 * The plugin host (src/l7/plugin*.c, src/abi/deepflow.c, src/abi/l7*.c):
 * DeepFlow's byte formats against the reference test vector and hand-made
 * records, a guest that calls every `deepflow` host function with good and
 * bad buffers, both result formats end to end, and hostile plugins that
 * must be contained and counted while the others keep producing records.
 * Guests are built from tests/l7/plugins/ into PLUGINS_WASM_DIR.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "l7/plugin_impl.h"

#define WASM(name) PLUGINS_WASM_DIR "/" name ".wasm"
#define EXAMPLES_DIR PLUGINS_WASM_DIR "/../examples"

/* The reference's VmCtxBase: 1.2.3.4:12345 -> 5.6.7.8:8080 TCP, check
 * phase, tracepoint, c2s, time 12345678, "test_wasm", flow 1234567,
 * buf_size 999. */
static const uint8_t vector[45] = {
	0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x30, 0x39, 0x1f, 0x90, 0x06,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xbc, 0x61, 0x4e, 0x00, 0x09, 0x74, 0x65,
	0x73, 0x74, 0x5f, 0x77, 0x61, 0x73, 0x6d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0xd6,
	0x87, 0x03, 0xe7,
};

static struct l7_msg vector_msg(const char *payload)
{
	struct l7_msg m = {
		.tuple = { .family = 4, .l4 = 6, .sport = 12345, .dport = 8080,
			   .src = { 1, 2, 3, 4 }, .dst = { 5, 6, 7, 8 } },
		.dir = L7_C2S, .source = L7_SRC_TRACEPOINT, .flow_id = 1234567,
		.time_us = 12345678, .payload = (const uint8_t *)payload,
		.len = (uint32_t)strlen(payload), .buf_size = 999, .proc_name = "test_wasm",
	};
	return m;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

static const char *attr(const struct wbpf_l7_info *info, const char *key)
{
	for (unsigned i = 0; i < info->n_attrs; i++)
		if (!strcmp(info->attrs[i].key, key))
			return info->attrs[i].val;
	return NULL;
}

#define CHECK_ATTR(info, key, val) check_attr_at(__FILE__, __LINE__, info, key, val)
static void check_attr_at(const char *file, int line, const struct wbpf_l7_info *info, const char *key,
			  const char *val)
{
	const char *v = attr(info, key);

	if (!v || strcmp(v, val)) {
		fprintf(stderr, "%s:%d: attribute %s is %s, expected %s\n", file, line, key,
			v ? v : "(absent)", val);
		check_report(false, key, file, line);
	}
}

/* ------------------------------------------------------- byte formats */

static void test_ctx_vector(void)
{
	struct l7_msg m = vector_msg("");
	uint8_t buf[128];
	struct l7_msg m6 = m;

	CHECK_EQ(l7_df_ctx_base(&m, 0, buf, sizeof(buf)), 45);
	CHECK(!memcmp(buf, vector, 45));
	CHECK_EQ(l7_df_ctx_base(&m, 20, buf, sizeof(buf)), 45);
	CHECK_EQ(buf[14], 0x14);
	CHECK_EQ(l7_df_ctx_base(&m, 0, buf, 44), 0);
	m6.tuple.family = 6;
	CHECK_EQ(l7_df_ctx_base(&m6, 0, buf, sizeof(buf)), 60 + 9);
	CHECK_EQ(buf[0], 6);
}

static void test_http_formats(void)
{
	struct l7_http_req req = { "/a", "h", "u", NULL };
	struct l7_http_resp resp = { 404, L7_STATUS_CLIENT_ERROR, "/ep" };
	struct l7_custom_msg cm = { 1, 104, (const uint8_t *)"\x0a\x01x", 3 };
	uint8_t buf[64];
	char h[129];

	CHECK_EQ(l7_df_http_req(&req, buf, sizeof(buf)), 12);
	hex(buf, 12, h);
	CHECK_HAS(h, "00022f61000168000175" "0000");
	CHECK_EQ(l7_df_http_req(&req, buf, 11), 0);
	CHECK_EQ(l7_df_http_resp(&resp, buf, sizeof(buf)), 8);
	hex(buf, 8, h);
	CHECK_HAS(h, "01940400032f6570");
	CHECK_EQ(l7_df_http_resp(&resp, buf, 7), 3); /* the endpoint only if it fits */
	CHECK_EQ(l7_df_http_resp(&resp, buf, 2), 0);
	CHECK_EQ(l7_df_custom(&cm, buf, sizeof(buf)), 13);
	hex(buf, 13, h);
	CHECK_HAS(h, "00010000006800000003" "0a0178");
}

/* A legacy response record, by hand: lengths, id, status, code, strings,
 * merge byte, trace, two attributes, biz_type. */
static const uint8_t legacy_resp[] = {
	0x00, 0x36,			      /* record length 54 */
	0x80, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x05, /* req_len 10, resp_len absent */
	0x01, 0x00, 0x00, 0x01, 0x00,		      /* request id 256 */
	0x03, 0x01, 0xff, 0xff, 0xff, 0xfe,	      /* server error, code -2 */
	0x00, 0x02, 'o', 'k', 0x00, 0x00,	      /* result, exception */
	0x00, 0x03, 'r', 'e', 'd',		      /* proto_str */
	0x81,					      /* merge, end */
	0x01, 0x00, 0x01, 'T', 0x00, 0x01, 'S', 0x00, 0x00, /* trace */
	0x01, 0x00, 0x01, 'k', 0x00, 0x01, 'v',	      /* attributes */
	0x00, 0x02, 'k', '2', 0x00, 0x00,
	0x07,					      /* biz_type */
};

static void test_legacy_decode(void)
{
	struct wbpf_l7_info out[4];

	CHECK_EQ(sizeof(legacy_resp), 56);
	if (!CHECK_EQ(l7_df_result__decode(legacy_resp, sizeof(legacy_resp), L7_S2C, out, 4), 1))
		return;
	CHECK_EQ(out[0].type, L7_MSG_RESPONSE);
	CHECK_EQ(out[0].req_len, 10);
	CHECK_EQ(out[0].resp_len, -1);
	CHECK(out[0].has_request_id && out[0].request_id == 256);
	CHECK_EQ(out[0].response_status, L7_STATUS_SERVER_ERROR);
	CHECK(out[0].has_response_code && out[0].response_code == -2);
	CHECK(!strcmp(out[0].response_result, "ok"));
	CHECK(!strcmp(out[0].protocol_str, "red"));
	CHECK(out[0].need_merge && out[0].is_end);
	CHECK(!strcmp(out[0].trace_id, "T") && !strcmp(out[0].span_id, "S"));
	CHECK_EQ(out[0].n_attrs, 2);
	CHECK_ATTR(&out[0], "k2", "");
	CHECK_EQ(out[0].biz_type, 7);
	/* The same bytes read as a request mean something else and fail. */
	CHECK_EQ(l7_df_result__decode(legacy_resp, sizeof(legacy_resp), L7_C2S, out, 4), -EBADMSG);
	/* Tiling: a cut record, a trailing byte, an empty buffer. */
	CHECK_EQ(l7_df_result__decode(legacy_resp, sizeof(legacy_resp) - 1, L7_S2C, out, 4),
		 -EBADMSG);
	CHECK_EQ(l7_df_result__decode(legacy_resp, 0, L7_S2C, out, 4), -EBADMSG);
	/* past max: checked, counted, not kept */
	CHECK_EQ(l7_df_result__decode(legacy_resp, sizeof(legacy_resp), L7_S2C, out, 0), 1);
}

static const uint8_t pb_resp[] = {
	0x00, 0x20, 'P', 'B',
	0x18, 0x80, 0x01,		    /* 3 request_id 128 */
	0x5a, 0x08,			    /* 11 resp { */
	0x08, 0x04,			    /*   status client error */
	0x10, 0xfe, 0xff, 0xff, 0xff, 0x0f, /*   code -2 as int32 (5-byte form) */
	0x6a, 0x00,			    /* } 13 protocol_str "" */
	0xa8, 0x01, 0x00,		    /* 21 is_end false: merge */
	0xfa, 0x01, 0x06, 0x0a, 0x01, 'a', 0x12, 0x01, 'b', /* 31 {a: b} */
	0xf8, 0x3f, 0x01,		    /* unknown field 1023 */
};

static void test_pb_decode(void)
{
	struct wbpf_l7_info out[2];
	uint8_t bad[sizeof(pb_resp)];

	CHECK_EQ(sizeof(pb_resp), 34);
	if (!CHECK_EQ(l7_df_result__decode(pb_resp, sizeof(pb_resp), L7_C2S, out, 2), 1))
		return;
	CHECK_EQ(out[0].type, L7_MSG_RESPONSE); /* the oneof, not the direction */
	CHECK(out[0].has_request_id && out[0].request_id == 128);
	CHECK_EQ(out[0].response_status, L7_STATUS_CLIENT_ERROR);
	CHECK(out[0].has_response_code && out[0].response_code == -2);
	CHECK(out[0].need_merge && !out[0].is_end);
	CHECK_ATTR(&out[0], "a", "b");
	/* Status 1 does not exist. */
	memcpy(bad, pb_resp, sizeof(bad));
	bad[10] = 0x01;
	CHECK_EQ(l7_df_result__decode(bad, sizeof(bad), L7_C2S, out, 2), -EBADMSG);
	/* A response without a status. */
	memcpy(bad, pb_resp, sizeof(bad));
	bad[9] = 0x38; /* field 7, unknown: no status left */
	CHECK_EQ(l7_df_result__decode(bad, sizeof(bad), L7_C2S, out, 2), -EBADMSG);
	/* Invalid UTF-8 in a string. */
	memcpy(bad, pb_resp, sizeof(bad));
	bad[30] = 0xff;
	CHECK_EQ(l7_df_result__decode(bad, sizeof(bad), L7_C2S, out, 2), -EBADMSG);
}

/* ----------------------------------------------------- with plugins */

struct rig {
	struct l7_plugins *set;
	struct l7_plugins_worker *w;
	struct wbpf_error err;
};

/* Deadlines are wall time: tests that do not test them give the plugins a
 * second, for sanitizer builds on a loaded machine. */
#define RELAXED_TIMEOUT_NS 1000000000u

static bool rig_open(struct rig *r, const struct l7_plugin_spec *specs, size_t n,
		     uint64_t timeout_ns)
{
	struct l7_plugins_opts o = { .sz = sizeof(o),
				     .hook_timeout_ns = timeout_ns ? timeout_ns : RELAXED_TIMEOUT_NS,
				     .mem_cap = 4u << 20 };

	memset(r, 0, sizeof(*r));
	r->set = l7_plugins__load(specs, n, &o, &r->err);
	if (!r->set) {
		fprintf(stderr, "load: %s\n", r->err.msg);
		return CHECK(r->set);
	}
	r->w = l7_plugins__instantiate(r->set, &r->err);
	if (!r->w)
		fprintf(stderr, "instantiate: %s\n", r->err.msg);
	return CHECK(r->w);
}

static void rig_close(struct rig *r)
{
	l7_plugins_worker__free(r->w);
	l7_plugins__free(r->set);
}

/* The parser whose check claims msg, after the pipeline's fashion. */
static struct wbpf_l7_parser *infer(struct rig *r, struct l7_msg *m, enum l7_direction *dir)
{
	for (size_t i = 0; i < r->w->n_parsers; i++) {
		int proto = r->w->parsers[i].check(r->w->parsers[i].self, m, dir);

		if (proto) {
			m->protocol = (uint16_t)proto;
			return &r->w->parsers[i];
		}
	}
	return NULL;
}

static int parse(struct rig *r, const char *payload, enum l7_direction d, struct wbpf_l7_info *out,
		 int max)
{
	struct l7_msg m = vector_msg(payload);
	enum l7_direction dir;
	struct wbpf_l7_parser *p;

	m.dir = d;
	if (!(p = infer(r, &m, &dir)))
		return -ENOENT;
	return p->parse(p->self, &m, out, max);
}

static const struct l7_plugin_spec probe = { WASM("df_probe"), NULL, 0 };

static void test_probe_pb(void)
{
	struct rig r;
	struct wbpf_l7_info out[4];
	struct l7_plugin_stats st;
	char want[91];
	uint8_t v[45];

	if (!rig_open(&r, &probe, 1, 0))
		return;
	if (CHECK_EQ(parse(&r, "PROBE-PB", L7_C2S, out, 4), 1)) {
		CHECK_EQ(out[0].type, L7_MSG_REQUEST);
		CHECK_EQ(out[0].protocol, 200);
		/* DeepFlow names parse results after the check's string. */
		CHECK(!strcmp(out[0].protocol_str, "probe"));
		CHECK(!strcmp(out[0].request_type, "PROBE"));
		CHECK(!strcmp(out[0].request_resource, "/r"));
		CHECK(out[0].req_len == 11 && out[0].request_id == 7);
		CHECK(!strcmp(out[0].trace_id, "t-1") && !strcmp(out[0].span_id, "s-1"));
		CHECK(out[0].need_merge && out[0].is_end && out[0].biz_type == 9);
		/* The vector again, with the parse phase's protocol byte. */
		memcpy(v, vector, 45);
		v[14] = 200;
		hex(v, 45, want);
		CHECK_ATTR(&out[0], "ctx_len", "45");
		CHECK_ATTR(&out[0], "ctx", want);
		CHECK_ATTR(&out[0], "payload_len", "8");
		CHECK_ATTR(&out[0], "start_ctx", "0");
		CHECK_ATTR(&out[0], "start_payload", "0");
		CHECK_ATTR(&out[0], "start_result", "0");
		CHECK_ATTR(&out[0], "start_random", "0");
		CHECK_ATTR(&out[0], "ctx_oob", "0");
		CHECK_ATTR(&out[0], "ctx_wrap", "0");
		CHECK_ATTR(&out[0], "ctx_small", "0");
		CHECK_ATTR(&out[0], "payload_small", "-1");
		CHECK_ATTR(&out[0], "req_in_parse", "0");
		CHECK_ATTR(&out[0], "custom_in_parse", "0");
		CHECK_ATTR(&out[0], "result_bad", "0");
		CHECK_ATTR(&out[0], "result_empty", "0");
		CHECK_ATTR(&out[0], "str_bad", "0");
	}
	CHECK_EQ(parse(&r, "PROBE-TWO", L7_C2S, out, 4), 2);
	CHECK_EQ(parse(&r, "PROBE-PASS", L7_C2S, out, 4), -EINVAL);
	CHECK_EQ(parse(&r, "nothing", L7_C2S, out, 4), -ENOENT);
	CHECK_EQ(l7_plugins__stats(r.set, 0, &st), 0);
	CHECK(!strcmp(st.abi, "deepflow") && !strcmp(st.name, "df_probe.wasm"));
	/* 4 checks, 3 parses; bad reads the guest recovered from are no failure. */
	CHECK_EQ(st.calls, 7);
	CHECK_EQ(st.bad_results, 0);
	CHECK_EQ(st.timeouts + st.traps, 0);
	rig_close(&r);
}

static void test_probe_legacy(void)
{
	struct rig r;
	struct l7_plugin_stats st;
	uint64_t fails;
	struct wbpf_l7_info out[2];
	struct l7_msg m = vector_msg("PROBE-RESP");
	enum l7_direction dir = L7_C2S;

	if (!rig_open(&r, &probe, 1, 0))
		return;
	CHECK_EQ(infer(&r, &m, &dir) != NULL, 1);
	CHECK_EQ(dir, L7_S2C);
	if (CHECK_EQ(parse(&r, "PROBE-LEGACY", L7_S2C, out, 2), 1)) {
		CHECK_EQ(out[0].type, L7_MSG_RESPONSE);
		CHECK_EQ(out[0].response_status, L7_STATUS_SERVER_ERROR);
		CHECK(out[0].has_response_code && out[0].response_code == -5);
		CHECK(!strcmp(out[0].response_result, "boom"));
		CHECK(!strcmp(out[0].trace_id, "t-1"));
		CHECK(out[0].has_request_id && out[0].request_id == 7);
		CHECK_ATTR(&out[0], "payload_small", "-1");
		CHECK_EQ(out[0].biz_type, 9);
	}
	m = vector_msg("PROBE-BADDIR");
	CHECK_EQ(infer(&r, &m, &dir) == NULL, 1);
	CHECK_EQ(parse(&r, "PROBE-GARBAGE", L7_C2S, out, 2), -EINVAL);
	/* 17 records where the caller holds 2: 2 taken, 15 counted as dropped */
	l7_plugins__stats(r.set, 0, &st);
	fails = st.failures;
	CHECK_EQ(parse(&r, "PROBE-HUGE", L7_C2S, out, 2), 2);
	l7_plugins__stats(r.set, 0, &st);
	CHECK_EQ(st.records_dropped, 15);
	CHECK_EQ(st.failures, fails);
	rig_close(&r);
}

static void test_probe_http(void)
{
	struct rig r;
	struct l7_msg m = vector_msg("GET /a HTTP/1.1\r\n\r\n");
	struct l7_http_req req = { "/a", "h", "u", NULL };
	struct l7_http_resp resp = { 404, L7_STATUS_CLIENT_ERROR, "/ep" };
	struct wbpf_l7_info info;

	if (!rig_open(&r, &probe, 1, 0))
		return;
	CHECK(r.w->has_http);
	l7_info__init(&info, L7_MSG_REQUEST);
	strcpy(info.request_type, "GET");
	CHECK_EQ(r.w->http.on_request(r.w->http.self, &m, &req, &info), 1);
	CHECK(!strcmp(info.trace_id, "from-req-hook"));
	CHECK(!strcmp(info.request_type, "GET")); /* unset fields leave it be */
	CHECK_ATTR(&info, "req_len", "12");
	CHECK_ATTR(&info, "req", "00022f610001680001750000");
	CHECK_ATTR(&info, "req_small", "0");
	CHECK_ATTR(&info, "resp_in_req", "0");
	m.dir = L7_S2C;
	l7_info__init(&info, L7_MSG_RESPONSE);
	info.response_status = L7_STATUS_OK;
	CHECK_EQ(r.w->http.on_response(r.w->http.self, &m, &resp, &info), 1);
	CHECK_EQ(info.response_status, L7_STATUS_CLIENT_ERROR);
	CHECK_ATTR(&info, "resp_len", "8");
	CHECK_ATTR(&info, "resp", "01940400032f6570");
	CHECK_ATTR(&info, "resp_short", "3");
	CHECK_ATTR(&info, "resp_tiny", "0");
	rig_close(&r);
}

/* Custom messages: only the hook point and type code the plugin asked for. */
static void test_probe_custom(void)
{
	struct l7_custom_msg nats = { 1, 104, (const uint8_t *)"\x0a\x01x", 3 };
	struct l7_custom_msg other = { 0, 104, NULL, 0 };
	struct l7_msg m = vector_msg("");
	struct wbpf_l7_info info;
	struct rig r;

	if (!rig_open(&r, &probe, 1, 0))
		return;
	l7_info__init(&info, L7_MSG_REQUEST);
	CHECK_EQ(l7_plugins_worker__custom_message(r.w, &m, &nats, &info), 1);
	CHECK_ATTR(&info, "custom", "00010000006800000003" "0a0178");
	CHECK_ATTR(&info, "custom_small", "0");
	l7_info__init(&info, L7_MSG_REQUEST);
	CHECK_EQ(l7_plugins_worker__custom_message(r.w, &m, &other, &info), 0);
	CHECK_EQ(info.n_attrs, 0);
	rig_close(&r);
}

/* --------------------------------------------------------- hostile */

/* A hostile plugin in front of the probe: every probe message must still
 * give its record, the hostile one must be counted, then disabled. */
/* Deadlines are CPU time, and ten times that in wall time. */
#define HOSTILE_TIMEOUT_NS 20000000u

static void hostile(const char *mode, const char *payload, bool timeout,
		    uint64_t *fails, bool *disabled)
{
	char arg[64];
	const char *args[] = { arg };
	struct l7_plugin_spec specs[] = { { WASM("hostile"), args, 1 }, probe };
	struct l7_plugin_stats st;
	struct wbpf_l7_info out[2];
	struct rig r;

	snprintf(arg, sizeof(arg), "mode=%s", mode);
	if (!rig_open(&r, specs, 2, HOSTILE_TIMEOUT_NS))
		return;
	for (int i = 0; i < 12; i++) {
		uint64_t t0 = l7_now_ns();

		parse(&r, payload, L7_C2S, out, 2);
		/* Cut: the deadline is CPU time, so on a loaded machine
		 * the wall time it takes is the scheduler's; only a gross
		 * overrun (a call never cut) fails. */
		if (timeout && i == 0)
			CHECK(l7_now_ns() - t0 < 5000000000u);
		if (!CHECK_EQ(parse(&r, "PROBE-PB", L7_C2S, out, 2), 1))
			fprintf(stderr, "mode %s: round %d lost the probe's record\n", mode, i);
	}
	l7_plugins__stats(r.set, 0, &st);
	*fails = st.failures;
	*disabled = st.disabled;
	if (timeout)
		CHECK_EQ(st.timeouts, st.failures);
	rig_close(&r);
}

#define HOSTILE(name, mode, payload, timeout)                          \
	static void test_hostile_##name(void)                         \
	{                                                             \
		uint64_t fails = 0;                                   \
		bool disabled = false;                                \
		hostile(mode, payload, timeout, &fails, &disabled);   \
		CHECK_EQ(fails, L7_PLUGIN_MAX_FAILURES);              \
		CHECK(disabled);                                      \
	}

HOSTILE(loop_check, "loop_check", "HOSTILE", true)
HOSTILE(loop_parse, "loop_parse", "HOSTILE", true)
HOSTILE(sleep, "sleep", "HOSTILE", true)
HOSTILE(trap, "trap", "HOSTILE", false)
HOSTILE(grow, "grow", "HOSTILE", false)
HOSTILE(garbage, "garbage", "HOSTILE", false)
HOSTILE(exit, "exit", "HOSTILE", false)

/* 40 records from one call: all kept under the default limit; past
 * max_records the rest are dropped and counted, and the call still counts
 * as a success (the records are good). */
static void records_cap(unsigned max_records, int want, uint64_t dropped)
{
	const char *args[] = { "mode=records" };
	struct l7_plugin_spec spec = { WASM("hostile"), args, 1 };
	struct l7_plugins_opts o = { .sz = sizeof(o), .hook_timeout_ns = RELAXED_TIMEOUT_NS,
				     .max_records = max_records };
	static struct wbpf_l7_info out[64];
	struct l7_plugin_stats st;
	struct rig r = { 0 };

	if (!CHECK(r.set = l7_plugins__load(&spec, 1, &o, &r.err)) ||
	    !CHECK(r.w = l7_plugins__instantiate(r.set, &r.err))) {
		fprintf(stderr, "records_cap: %s\n", r.err.msg);
		rig_close(&r);
		return;
	}
	CHECK_EQ(parse(&r, "HOSTILE", L7_C2S, out, 64), want);
	l7_plugins__stats(r.set, 0, &st);
	CHECK_EQ(st.records_dropped, dropped);
	CHECK_EQ(st.failures, 0);
	CHECK(!st.disabled);
	rig_close(&r);
}

static void test_records_cap(void)
{
	records_cap(0, 40, 0);
	records_cap(16, 16, 24);
}

static void test_hostile_badptr(void)
{
	const char *args[] = { "mode=badptr" };
	struct l7_plugin_spec spec = { WASM("hostile"), args, 1 };
	struct l7_plugin_stats st;
	struct wbpf_l7_info out[2];
	struct rig r;
	char e[16];

	if (!rig_open(&r, &spec, 1, 0))
		return;
	if (CHECK_EQ(parse(&r, "HOSTILE", L7_C2S, out, 2), 1)) {
		snprintf(e, sizeof(e), "%d", -EFAULT);
		CHECK_ATTR(&out[0], "str_oob", e);
		CHECK_ATTR(&out[0], "str_huge", e);
		CHECK_ATTR(&out[0], "attr_oob", e);
		CHECK_ATTR(&out[0], "config_oob", e);
		CHECK_ATTR(&out[0], "config_out_oob", e);
		snprintf(e, sizeof(e), "%d", -EINVAL);
		CHECK_ATTR(&out[0], "field_bad", e);
		CHECK_ATTR(&out[0], "int_field_bad", e);
		CHECK_ATTR(&out[0], "status_bad", e);
		CHECK_ATTR(&out[0], "type_bad", e);
		snprintf(e, sizeof(e), "%d", -ENOENT);
		CHECK_ATTR(&out[0], "config_missing", e);
		CHECK_ATTR(&out[0], "config_key_past", e);
		CHECK(!strcmp(out[0].protocol_str, "hostile"));
	}
	l7_plugins__stats(r.set, 0, &st);
	CHECK_EQ(st.failures, 0);
	rig_close(&r);
}

static void test_memory_cap(void)
{
	const char *args[] = { "mode=grow" };
	struct l7_plugin_spec spec = { WASM("hostile"), args, 1 };
	struct l7_plugin_inst *pi;
	struct wbpf_l7_info out[2];
	struct rig r;

	if (!rig_open(&r, &spec, 1, 0))
		return;
	CHECK_EQ(parse(&r, "HOSTILE", L7_C2S, out, 2), -EFAULT);
	pi = r.w->parsers[0].self;
	CHECK(wbpf_memory__size(pi->mem) <= (4u << 20));
	CHECK(wbpf_memory__size(pi->mem) > (3u << 20));
	rig_close(&r);
}

/* DeepFlow links 18 WASI functions (wbpf two more): a plugin needing
 * another is refused by name, as DeepFlow's agent refuses it. */
static void test_wasi_allowed(void)
{
	struct l7_plugin_spec spec = { WASM("df_badwasi"), NULL, 0 };
	struct wbpf_error err;

	CHECK(!l7_plugins__load(&spec, 1, NULL, &err));
	CHECK_HAS(err.msg, "imports wasi_snapshot_preview1.fd_readdir, which DeepFlow's ABI does not provide");
}

static void test_load_errors(void)
{
	const char *bad_arg[] = { "novalue" }, *port[] = { "port=70000" };
	struct l7_plugin_spec bad_port = { EXAMPLES_DIR "/l7_redis.wasm", port, 1 };
	struct l7_plugin_spec specs[] = {
		{ "/nonexistent.wasm", NULL, 0 },
		{ WASM("hostile"), bad_arg, 1 },
		{ WASM("hostile"), NULL, 0 }, /* no mode: init refuses */
	};
	struct wbpf_error err;

	CHECK(!l7_plugins__load(&specs[0], 1, NULL, &err));
	CHECK_HAS(err.msg, "/nonexistent.wasm: cannot read");
	CHECK(!l7_plugins__load(&specs[1], 1, NULL, &err));
	CHECK_HAS(err.msg, "expected key=value");
	CHECK(!l7_plugins__load(&specs[2], 1, NULL, &err));
	CHECK_HAS(err.msg, "wbpf_l7_init refused");
	CHECK(!l7_plugins__load(&bad_port, 1, NULL, &err));
	CHECK_HAS(err.msg, "l7_redis.wasm: wbpf_l7_init refused");
}

/* The HTTP hook example: trace id and user id from headers or query. */
static void test_http_trace_example(void)
{
	const char *args[] = { "user_param=uid" };
	struct l7_plugin_spec spec = { EXAMPLES_DIR "/l7_http_trace.wasm", args, 1 };
	struct l7_msg m = vector_msg("GET /a?x=1&uid=u42 HTTP/1.1\r\nHost: h\r\n"
				     "X-Trace-Id: abc123\r\n\r\n");
	struct l7_http_req req = { "/a?x=1&uid=u42", "h", NULL, NULL };
	struct wbpf_l7_info info;
	struct rig r;

	if (!rig_open(&r, &spec, 1, 0))
		return;
	l7_info__init(&info, L7_MSG_REQUEST);
	CHECK_EQ(r.w->http.on_request(r.w->http.self, &m, &req, &info), 1);
	CHECK(!strcmp(info.trace_id, "abc123"));
	CHECK_ATTR(&info, "user_id", "u42");
	/* Neither: the hook adds nothing. */
	m = vector_msg("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
	req.path = "/";
	l7_info__init(&info, L7_MSG_REQUEST);
	CHECK_EQ(r.w->http.on_request(r.w->http.self, &m, &req, &info), 0);
	CHECK_EQ(info.n_attrs, 0);
	rig_close(&r);
}

/* The Redis example: pipelined commands, one cut short. */
static void test_redis_example(void)
{
	struct l7_plugin_spec spec = { EXAMPLES_DIR "/l7_redis.wasm", NULL, 0 };
	const char *two = "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n";
	struct wbpf_l7_info out[L7_PLUGIN_MAX_RECORDS];
	struct l7_msg m = vector_msg(two);
	enum l7_direction dir;
	struct rig r;

	if (!rig_open(&r, &spec, 1, 0))
		return;
	m.tuple.dport = 6379;
	if (!CHECK_EQ(r.w->parsers[0].check(r.w->parsers[0].self, &m, &dir), 80))
		goto out;
	m.protocol = 80;
	if (CHECK_EQ(r.w->parsers[0].parse(r.w->parsers[0].self, &m, out, L7_PLUGIN_MAX_RECORDS), 1)) {
		CHECK(!strcmp(out[0].request_type, "GET"));
		CHECK(!strcmp(out[0].request_resource, "GET a"));
		CHECK(!strcmp(out[0].protocol_str, "Redis"));
		CHECK_EQ(out[0].msg_end, 20); /* the SET waits for its last bytes */
	}
	m.len = 10; /* a prefix only: more bytes wanted */
	CHECK_EQ(r.w->parsers[0].parse(r.w->parsers[0].self, &m, out, L7_PLUGIN_MAX_RECORDS), -EAGAIN);
	m.truncated = true; /* ... unless no more will come */
	CHECK_EQ(r.w->parsers[0].parse(r.w->parsers[0].self, &m, out, L7_PLUGIN_MAX_RECORDS), -EINVAL);
out:
	rig_close(&r);
}

static const struct check_test tests[] = {
	{ "ctx_vector", test_ctx_vector },
	{ "http_formats", test_http_formats },
	{ "legacy_decode", test_legacy_decode },
	{ "pb_decode", test_pb_decode },
	{ "probe_pb", test_probe_pb },
	{ "probe_legacy", test_probe_legacy },
	{ "probe_http", test_probe_http },
	{ "probe_custom", test_probe_custom },
	{ "wasi_allowed", test_wasi_allowed },
	{ "hostile_loop_check", test_hostile_loop_check },
	{ "hostile_loop_parse", test_hostile_loop_parse },
	{ "hostile_sleep", test_hostile_sleep },
	{ "hostile_trap", test_hostile_trap },
	{ "hostile_grow", test_hostile_grow },
	{ "records_cap", test_records_cap },
	{ "hostile_garbage", test_hostile_garbage },
	{ "hostile_exit", test_hostile_exit },
	{ "hostile_badptr", test_hostile_badptr },
	{ "memory_cap", test_memory_cap },
	{ "load_errors", test_load_errors },
	{ "http_trace_example", test_http_trace_example },
	{ "redis_example", test_redis_example },
};

CHECK_MAIN(tests)
