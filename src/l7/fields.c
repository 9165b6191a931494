// SPDX-License-Identifier: MIT
/*
 * A request log as sink fields (include/wbpf/sink.h), for `wbpf l7
 * --output`: the names and order of wbpf_l7_record__format_json, each with a
 * fixed kind so every record has the same schema. Where the JSON says null
 * the field is -1; attributes are their JSON object's text. Integers are
 * as narrow as their C types allow (DeepFlow's l7_flow_log has UInt16
 * ports and UInt8 enums too): a ClickHouse row is 40 bytes smaller, and
 * gzip, most of that sink's cost, has that much less to compress.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "l7/internal.h"
#include "wbpf/sink.h"

static void put_str(struct wbpf_field **f, const char *name, const char *v)
{
	**f = (struct wbpf_field){ .name = name, .kind = WBPF_FIELD_STR, .s = v };
	(*f)++;
}

/* A signed integer of `size` bytes (0: 64 bits); -1 when absent. */
static void put_num(struct wbpf_field **f, const char *name, uint8_t size, bool present, int64_t v)
{
	**f = (struct wbpf_field){ .name = name, .kind = WBPF_FIELD_I64, .size = size,
				   .i = present ? v : -1 };
	(*f)++;
}

/* An unsigned integer that is always there, of `size` bytes. */
static void put_unum(struct wbpf_field **f, const char *name, uint8_t size, uint64_t v)
{
	**f = (struct wbpf_field){ .name = name, .kind = WBPF_FIELD_U64, .size = size, .u = v };
	(*f)++;
}

size_t wbpf_l7_record__fields(const struct wbpf_l7_record *r, struct wbpf_field *out,
			 struct wbpf_l7_record_text *text)
{
	const struct wbpf_l7_info *in = r->info;
	struct wbpf_field *f = out;

	l7_ip_str(r->family, r->client_ip, text->client_ip, sizeof(text->client_ip));
	l7_ip_str(r->family, r->server_ip, text->server_ip, sizeof(text->server_ip));
	l7_info__attributes_json(in, text->attributes, sizeof(text->attributes));
	put_num(&f, "start_time", 0, true, (int64_t)(r->req_time_us ? r->req_time_us : r->resp_time_us));
	put_num(&f, "end_time", 0, true, (int64_t)(r->resp_time_us ? r->resp_time_us : r->req_time_us));
	put_num(&f, "flow_id", 0, true, (int64_t)r->flow_id);
	put_str(&f, "protocol", r->l4 == 6 ? "tcp" : "udp");
	put_str(&f, "ip_0", text->client_ip);
	put_unum(&f, "client_port", sizeof(r->client_port), r->client_port);
	put_str(&f, "ip_1", text->server_ip);
	put_unum(&f, "server_port", sizeof(r->server_port), r->server_port);
	put_str(&f, "process_kname", r->proc_name ? r->proc_name : "");
	/* Linux's pids stop at 2^22 (PID_MAX_LIMIT): an Int32 with room for -1. */
	put_num(&f, "process_id", 4, r->pid != 0, r->pid);
	put_str(&f, "tap_side", wbpf_l7_tap_side__str(r->tap_side));
	put_unum(&f, "l7_protocol", sizeof(in->protocol), in->protocol);
	put_str(&f, "l7_protocol_str", in->protocol_str);
	put_str(&f, "version", in->version);
	put_str(&f, "request_type", in->request_type);
	put_str(&f, "request_domain", in->request_domain);
	put_str(&f, "request_resource", in->request_resource);
	put_str(&f, "endpoint", in->endpoint);
	put_num(&f, "request_id", 0, in->has_request_id, in->request_id);
	put_unum(&f, "response_status", 1, in->response_status);
	put_num(&f, "response_code", sizeof(in->response_code), in->has_response_code,
		in->response_code);
	put_str(&f, "response_result", in->response_result);
	put_str(&f, "response_exception", in->response_exception);
	put_str(&f, "trace_id", in->trace_id);
	put_str(&f, "span_id", in->span_id);
	put_str(&f, "parent_span_id", in->parent_span_id);
	put_str(&f, "x_request_id", in->x_request_id);
	put_str(&f, "http_proxy_client", in->http_proxy_client);
	put_num(&f, "request_length", 0, in->req_len >= 0, in->req_len);
	put_num(&f, "response_length", 0, in->resp_len >= 0, in->resp_len);
	put_num(&f, "response_duration", 0, r->latency_us >= 0, r->latency_us);
	put_unum(&f, "biz_type", sizeof(in->biz_type), in->biz_type);
	put_str(&f, "biz_code", in->biz_code);
	put_str(&f, "biz_scenario", in->biz_scenario);
	put_str(&f, "biz_response_code", in->biz_response_code);
	put_str(&f, "attributes", text->attributes);
	*f++ = (struct wbpf_field){ .name = "timeout", .kind = WBPF_FIELD_BOOL, .b = r->timeout };
	assert(f - out == WBPF_L7_RECORD_FIELDS);
	return WBPF_L7_RECORD_FIELDS;
}
