// SPDX-License-Identifier: MIT
/* Records as text: JSON lines with DeepFlow's l7_flow_log field names, a
 * readable table, and the exit summary. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>

#include "l7/internal.h"
#include "wbpf/sink.h"

/* snprintf-style writer: counts what it could not store. */
struct out {
	char *p;
	size_t size, len;
};

/* A whole piece in one copy of its own length: the keys' lengths are
 * constants, so their copies are inlined rather than calls. */
static inline void put(struct out *o, const char *s, size_t n)
{
	if (o->len < o->size) {
		size_t room = o->size - o->len;

		if (n <= room)
			memcpy(o->p + o->len, s, n);
		else
			memcpy(o->p + o->len, s, room);
	}
	o->len += n;
}

static void finish(struct out *o)
{
	if (o->size)
		o->p[o->len < o->size ? o->len : o->size - 1] = '\0';
}

static void put_cb(void *o, const char *s, size_t n)
{
	put(o, s, n);
}

/* Escaped as the sinks escape (one implementation, src/sink/buf.c). Most
 * of a record's strings are short or empty and need no escaping: those
 * are copied here in one pass, without a call per piece; a string with a
 * byte to escape, or one that does not fit, goes to the escaper. */
static void json_str(struct out *o, const char *s)
{
	size_t room = o->len < o->size ? o->size - o->len : 0, i = 0;
	char *d = o->p + o->len;

	if (s && room >= 2) {
		d[0] = '"';
		for (; s[i] && i + 2 < room; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c < 0x20 || c == '"' || c == '\\')
				break;
			d[i + 1] = (char)c;
		}
		if (!s[i]) {
			d[i + 1] = '"';
			o->len += i + 2;
			return;
		}
	}
	wbpf_json_str(put_cb, o, s);
}

/* ,"name": written as one piece: keys are literals. */
#define KEY(o, k) put(o, ",\"" k "\":", sizeof(",\"" k "\":") - 1)
#define KSTR(o, k, v) (KEY(o, k), json_str(o, v))
#define KNUM(o, k, present, v) (KEY(o, k), knum_val(o, present, v))

/* Decimal without printf: numbers are most of a record's fields. */
static void num(struct out *o, int64_t v)
{
	char tmp[24], *e = tmp + sizeof(tmp), *p = e;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	if (o->len < o->size && o->size - o->len >= sizeof(tmp)) {
		/* room for any number: a short loop, not a call */
		for (char *d = o->p + o->len; p < e; o->len++)
			*d++ = *p++;
		return;
	}
	put(o, p, (size_t)(e - p));
}

static void knum_val(struct out *o, bool present, int64_t v)
{
	if (present)
		num(o, v);
	else
		put(o, "null", 4);
}

/* IPv4 by hand: inet_ntop formats it through sprintf, which showed up as
 * a tenth of the time per record. */
void l7_ip_str(uint8_t family, const uint8_t *ip, char *buf, size_t size)
{
	char *p = buf;

	if (family == 6 || size < INET_ADDRSTRLEN) {
		inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, buf, (socklen_t)size);
		return;
	}
	for (int i = 0; i < 4; i++) {
		unsigned v = ip[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
}

const char *wbpf_l7_protocol__str(unsigned protocol)
{
	switch (protocol) {
	case L7_PROTO_HTTP1: return "HTTP";
	case L7_PROTO_HTTP2: return "HTTP2";
	case L7_PROTO_DUBBO: return "Dubbo";
	case L7_PROTO_GRPC: return "gRPC";
	case L7_PROTO_MYSQL: return "MySQL";
	case L7_PROTO_REDIS: return "Redis";
	case L7_PROTO_MQTT: return "MQTT";
	case L7_PROTO_NATS: return "NATS";
	case L7_PROTO_DNS: return "DNS";
	case L7_PROTO_CUSTOM: return "Custom";
	case L7_PROTO_UNKNOWN: return "Unknown";
	}
	return "Other";
}

static void attributes_obj(struct out *o, const struct wbpf_l7_info *in)
{
	put(o, "{", 1);
	for (unsigned i = 0; i < in->n_attrs && i < L7_ATTR_MAX; i++) {
		if (i)
			put(o, ",", 1);
		json_str(o, in->attrs[i].key);
		put(o, ":", 1);
		json_str(o, in->attrs[i].val);
	}
	put(o, "}", 1);
}

static void attributes(struct out *o, const struct wbpf_l7_info *in)
{
	KEY(o, "attributes");
	attributes_obj(o, in);
}

void l7_info__attributes_json(const struct wbpf_l7_info *in, char *buf, size_t size)
{
	struct out o = { buf, size, 0 };

	attributes_obj(&o, in);
	if (o.len >= size)
		o.len = 0;
	finish(&o);
}

const char *wbpf_l7_tap_side__str(unsigned tap_side)
{
	return tap_side == WBPF_L7_TAP_CLIENT_PROCESS   ? "c-p"
	       : tap_side == WBPF_L7_TAP_SERVER_PROCESS ? "s-p"
						   : "";
}

size_t wbpf_l7_record__format_json(const struct wbpf_l7_record *r, char *buf, size_t size)
{
	const struct wbpf_l7_info *in = r->info;
	struct out o = {buf, size, 0};
	char c[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN];

	l7_ip_str(r->family, r->client_ip, c, sizeof(c));
	l7_ip_str(r->family, r->server_ip, s, sizeof(s));
	put(&o, "{\"start_time\":", 14);
	num(&o, (int64_t)(r->req_time_us ? r->req_time_us : r->resp_time_us));
	KNUM(&o, "end_time", true, (int64_t)(r->resp_time_us ? r->resp_time_us : r->req_time_us));
	KNUM(&o, "flow_id", true, (int64_t)r->flow_id);
	KSTR(&o, "protocol", r->l4 == 6 ? "tcp" : "udp");
	KSTR(&o, "ip_0", c);
	KNUM(&o, "client_port", true, r->client_port);
	KSTR(&o, "ip_1", s);
	KNUM(&o, "server_port", true, r->server_port);
	KSTR(&o, "process_kname", r->proc_name ? r->proc_name : "");
	KNUM(&o, "process_id", r->pid != 0, r->pid);
	KSTR(&o, "tap_side", wbpf_l7_tap_side__str(r->tap_side));
	KNUM(&o, "l7_protocol", true, in->protocol);
	KSTR(&o, "l7_protocol_str", in->protocol_str);
	KSTR(&o, "version", in->version);
	KSTR(&o, "request_type", in->request_type);
	KSTR(&o, "request_domain", in->request_domain);
	KSTR(&o, "request_resource", in->request_resource);
	KSTR(&o, "endpoint", in->endpoint);
	KNUM(&o, "request_id", in->has_request_id, in->request_id);
	KNUM(&o, "response_status", true, in->response_status);
	KNUM(&o, "response_code", in->has_response_code, in->response_code);
	KSTR(&o, "response_result", in->response_result);
	KSTR(&o, "response_exception", in->response_exception);
	KSTR(&o, "trace_id", in->trace_id);
	KSTR(&o, "span_id", in->span_id);
	KSTR(&o, "parent_span_id", in->parent_span_id);
	KSTR(&o, "x_request_id", in->x_request_id);
	KSTR(&o, "http_proxy_client", in->http_proxy_client);
	KNUM(&o, "request_length", in->req_len >= 0, in->req_len);
	KNUM(&o, "response_length", in->resp_len >= 0, in->resp_len);
	KNUM(&o, "response_duration", r->latency_us >= 0, r->latency_us);
	KNUM(&o, "biz_type", true, in->biz_type);
	KSTR(&o, "biz_code", in->biz_code);
	KSTR(&o, "biz_scenario", in->biz_scenario);
	KSTR(&o, "biz_response_code", in->biz_response_code);
	attributes(&o, in);
	KEY(&o, "timeout");
	put(&o, r->timeout ? "true}\n" : "false}\n", r->timeout ? 6 : 7);
	finish(&o);
	return o.len;
}

static const char *status_str(enum l7_status s)
{
	switch (s) {
	case L7_STATUS_OK: return "ok";
	case L7_STATUS_TIMEOUT: return "timeout";
	case L7_STATUS_SERVER_ERROR: return "server_error";
	case L7_STATUS_CLIENT_ERROR: return "client_error";
	default: return "unknown";
	}
}

void wbpf_l7_record__fprint_header(FILE *f)
{
	fprintf(f, "%-17s %-6s %-45s %-8s %-40s %-12s %5s %10s\n", "TIME", "PROTO",
		"CLIENT -> SERVER", "TYPE", "RESOURCE", "STATUS", "CODE", "LATENCY_US");
}

size_t wbpf_l7_record__format_row(const struct wbpf_l7_record *r, char *buf, size_t size)
{
	const struct wbpf_l7_info *in = r->info;
	char c[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN], ends[128], code[16] = "-", lat[24] = "-";
	uint64_t t = r->req_time_us ? r->req_time_us : r->resp_time_us;
	int n;

	l7_ip_str(r->family, r->client_ip, c, sizeof(c));
	l7_ip_str(r->family, r->server_ip, s, sizeof(s));
	snprintf(ends, sizeof(ends), "%s:%u -> %s:%u", c, r->client_port, s, r->server_port);
	if (in->has_response_code)
		snprintf(code, sizeof(code), "%d", in->response_code);
	if (r->latency_us >= 0)
		snprintf(lat, sizeof(lat), "%" PRId64, r->latency_us);
	n = snprintf(buf, size, "%10" PRIu64 ".%06" PRIu64 " %-6.6s %-45s %-8.8s %-40.40s %-12s %5s %10s\n",
		     t / 1000000, t % 1000000, in->protocol_str, ends, in->request_type,
		     in->request_resource, status_str(in->response_status), code, lat);
	return n < 0 ? 0 : (size_t)n;
}

void wbpf_l7_stats__fprint(const struct wbpf_l7_stats *st, const struct wbpf_l7_plugin_counters *pl,
		      unsigned n_plugins, FILE *f)
{
	fprintf(f,
		"summary: %" PRIu64 " packets (%" PRIu64 " bytes), %" PRIu64 " flows, %" PRIu64
		" records\n"
		"  flows: %" PRIu64 " evicted, %" PRIu64 " of unknown protocol\n"
		"  packets: %" PRIu64 " not TCP/UDP over IP, %" PRIu64 " malformed, %" PRIu64
		" IP fragments (%" PRIu64 " datagrams reassembled, %" PRIu64 " given up)\n"
		"  tcp: %" PRIu64 " gaps (%" PRIu64 " bytes), %" PRIu64 " bytes retransmitted\n"
		"  messages: %" PRIu64 " over the size limit, %" PRIu64 " not parsed, %" PRIu64
		" HTTP hook failures\n"
		"  sessions: %" PRIu64 " requests timed out, %" PRIu64 " responses without request, %" PRIu64
		" parts of multi-record exchanges merged\n",
		st->packets, st->bytes, st->flows, st->records, st->flows_evicted, st->flows_unknown,
		st->not_ip, st->malformed, st->ip_fragments, st->ip_reassembled, st->ip_frags_dropped,
		st->gaps, st->gap_bytes,
		st->retransmitted_bytes, st->msgs_too_big, st->parse_errors, st->hook_failures,
		st->requests_timed_out, st->responses_orphan, st->merged_parts);
	for (unsigned i = 0; i < WBPF_L7_NPROTO; i++)
		if (st->records_by_proto[i])
			fprintf(f, "  %-8s %" PRIu64 " records\n", wbpf_l7_protocol__str(i),
				st->records_by_proto[i]);
	for (unsigned i = 0; i < n_plugins; i++)
		fprintf(f,
			"  plugin %s: %" PRIu64 " calls, %" PRIu64 " failures, %.3f ms, %" PRIu64
			" records over --max-records dropped%s\n",
			pl[i].name, pl[i].calls, pl[i].failures, (double)pl[i].time_ns / 1e6,
			pl[i].records_dropped, pl[i].disabled ? ", disabled" : "");
}
