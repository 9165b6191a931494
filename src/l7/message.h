/* SPDX-License-Identifier: MIT */
/*
 * The contract between the L7 pipeline and its parsers.
 *
 * The pipeline (capture, flows, reassembly, sessions) hands every parser an
 * `l7_msg`: one L7 message as the sender wrote it, with where it came from.
 * A parser, built in or a Wasm plugin, answers with `wbpf_l7_info` records: one
 * request or one response each, in DeepFlow's field set, which sessions then
 * pair into request logs.
 *
 * Strings are fixed, NUL-terminated arrays: a record never allocates, and a
 * parser that writes a longer value has it cut (l7_info__set_str) rather
 * than failing. Both sides may add fields; none may change a meaning.
 */
#ifndef WBPF_L7_MESSAGE_H
#define WBPF_L7_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Message direction, numbered as DeepFlow's context carries it. */
enum l7_direction {
	L7_C2S = 0, /* client to server: a request */
	L7_S2C = 1, /* server to client: a response */
};

/* Where a payload was seen (DeepFlow's ebpf_type numbering). */
enum l7_source_kind {
	L7_SRC_TRACEPOINT = 0,
	L7_SRC_TLS_UPROBE = 1,
	L7_SRC_GO_HTTP2_UPROBE = 2,
	L7_SRC_IO_EVENT = 4,
	L7_SRC_GO_HTTP2_UPROBE_DATA = 5,
	L7_SRC_UNIX_SOCKET = 8,
	L7_SRC_PACKET = 255, /* packet capture: not eBPF */
};

/* L7 protocol numbers: DeepFlow's, so plugins' numbers mean the same. */
enum l7_protocol {
	L7_PROTO_UNKNOWN = 0,
	L7_PROTO_HTTP1 = 20,
	L7_PROTO_HTTP2 = 21,
	L7_PROTO_DUBBO = 40,
	L7_PROTO_GRPC = 41,
	L7_PROTO_MYSQL = 60,
	L7_PROTO_REDIS = 80,
	L7_PROTO_MQTT = 101,
	L7_PROTO_NATS = 104,
	L7_PROTO_DNS = 120,
	L7_PROTO_CUSTOM = 127, /* a plugin's protocol without a number of its own */
};

/* One flow's addresses as seen in one message: src is the sender. IPv4
 * addresses sit in the first four bytes. */
struct l7_tuple {
	uint8_t family; /* 4 or 6 */
	uint8_t l4;	/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t sport, dport;
	uint8_t src[16], dst[16];
};

struct l7_msg {
	struct l7_tuple tuple;
	enum l7_direction dir;
	enum l7_source_kind source;
	uint64_t flow_id;
	uint64_t time_us; /* wall clock of the message's first byte */
	/* One whole message when reassembly found its end, else the bytes
	 * buffered so far; never longer than the configured maximum. */
	const uint8_t *payload;
	uint32_t len;
	uint16_t protocol;  /* 0 while inferring, else the flow's protocol */
	uint16_t buf_size;  /* the payload limit parsers are told about */
	uint32_t pid, tid;  /* 0 when the source does not know */
	char proc_name[16]; /* "" when the source does not know */
	/* No more bytes will come for this message (it reached the maximum
	 * size, or its flow ended): parse what is there rather than -EAGAIN. */
	bool truncated;
};

/* DeepFlow's response status values. */
enum l7_status {
	L7_STATUS_OK = 0,
	L7_STATUS_TIMEOUT = 2,
	L7_STATUS_SERVER_ERROR = 3,
	L7_STATUS_CLIENT_ERROR = 4,
	L7_STATUS_UNKNOWN = 5,
};

enum l7_msg_type {
	L7_MSG_REQUEST = 0,
	L7_MSG_RESPONSE = 1,
	WBPF_L7_MSG_SESSION = 2, /* one record holds both halves (e.g. a merged plugin result) */
};

#define L7_STR_SHORT 64
#define L7_STR_LONG 512
#define L7_ATTR_MAX 16

struct l7_attr {
	char key[L7_STR_SHORT];
	char val[L7_STR_LONG];
};

/* Numbers first, then the strings, then the attributes: code that walks
 * the record (l7_info__gap) takes the numbers in one piece. */
struct wbpf_l7_info {
	enum l7_msg_type type;
	uint16_t protocol;
	bool has_request_id;
	uint32_t request_id;
	enum l7_status response_status;
	bool has_response_code;
	int32_t response_code;

	/* lengths: -1 when unknown */
	int64_t req_len, resp_len;

	unsigned n_attrs; /* in attrs[] */
	uint8_t biz_type;

	/* multi-message exchanges: more records follow for this direction */
	bool need_merge, is_end;
	bool is_async;	  /* pair by request id only, not by order */
	bool is_reversed; /* the server spoke first */

	/* Where this record's message ends, counted from the payload's first
	 * byte; 0: the whole payload. Past `len` means the message goes on
	 * (e.g. an HTTP body): the pipeline skips the rest as it arrives.
	 * With several records, the largest end is taken. */
	uint64_t msg_end;

	char protocol_str[L7_STR_SHORT];
	char version[L7_STR_SHORT];

	/* request half */
	char request_type[L7_STR_SHORT];
	char request_domain[L7_STR_LONG];
	char request_resource[L7_STR_LONG];
	char endpoint[L7_STR_LONG];

	/* response half */
	char response_result[L7_STR_LONG];
	char response_exception[L7_STR_LONG];

	/* tracing */
	char trace_id[L7_STR_SHORT];
	char span_id[L7_STR_SHORT];
	char parent_span_id[L7_STR_SHORT];
	char x_request_id[L7_STR_SHORT];
	char http_proxy_client[L7_STR_SHORT];

	char biz_code[L7_STR_SHORT];
	char biz_scenario[L7_STR_SHORT];
	char biz_response_code[L7_STR_SHORT];

	/* Last: code that walks the record stops before it (l7_info__gap).
	 * attrs[n_attrs..] are never read. */
	struct l7_attr attrs[L7_ATTR_MAX];
};

/* The record's string fields in declaration order, for code that walks
 * the record (initialising, packing, merging): X(field) each. Only a
 * string's bytes up to its NUL mean anything: records are not zeroed
 * past it. A field not listed is carried everywhere as raw bytes. */
#define L7_INFO_STRINGS(X)                                                                     \
	X(protocol_str) X(version) X(request_type) X(request_domain) X(request_resource)       \
	X(endpoint) X(response_result) X(response_exception) X(trace_id) X(span_id)            \
	X(parent_span_id) X(x_request_id) X(http_proxy_client) X(biz_code) X(biz_scenario)     \
	X(biz_response_code)
#define L7_INFO_N_STRINGS 16

struct l7_str_field {
	uint16_t off, size;
};

#define L7_STR_FIELD(f)                                                                      \
	{offsetof(struct wbpf_l7_info, f), sizeof(((struct wbpf_l7_info *)0)->f)},

/* L7_INFO_STRINGS' places in order, then attrs[] as an empty one. Known
 * to the compiler: loops over it unroll into fixed moves. */
static const struct l7_str_field l7_info_strings[L7_INFO_N_STRINGS + 1] = {
	L7_INFO_STRINGS(L7_STR_FIELD){offsetof(struct wbpf_l7_info, attrs), 0},
};

/* The raw bytes (not a string, not attrs[]) before string i, or before
 * attrs[] for i == L7_INFO_N_STRINGS: their offset, their count in *len. */
static inline size_t l7_info__gap(unsigned i, size_t *len)
{
	size_t at = i ? (size_t)l7_info_strings[i - 1].off + l7_info_strings[i - 1].size : 0;

	*len = l7_info_strings[i].off - at;
	return at;
}

/* Protocol parsers: the built-ins and the plugin host implement the same
 * calls, so inference and parsing walk one list. */
struct wbpf_l7_parser {
	const char *name;
	/* 0: not this protocol. Else the protocol number, with *dir set to
	 * the direction the payload says it travels. */
	int (*check)(void *self, const struct l7_msg *msg, enum l7_direction *dir);
	/* Fills out[0..max) and returns how many were filled; -EAGAIN when the
	 * message is incomplete (the pipeline calls again with more bytes),
	 * other negative errno when the payload is not understood. */
	int (*parse)(void *self, const struct l7_msg *msg, struct wbpf_l7_info *out, int max);
	void *self;
};

/* Hooks: the built-in HTTP parser offers each request and response to
 * whoever registered, the NATS parser its messages, and each merges what
 * comes back into its record. */
struct l7_http_req {
	const char *path, *host, *user_agent, *referer;
};

struct l7_http_resp {
	uint16_t code;
	enum l7_status status;
	const char *endpoint;
};

/* DeepFlow's custom messages: what a protocol parser hands the plugins
 * (hook point 0 protocol parse, 1 session filter, 2 sampling; type code
 * the parser's protocol number; a protobuf it defines). */
struct l7_custom_msg {
	uint16_t hook_point;
	uint32_t type_code;
	const uint8_t *pb;
	uint32_t pb_len;
};

struct wbpf_l7_http_hooks {
	/* 1: `info` was changed; 0: nothing to add; negative errno: failed
	 * (counted by the caller, the record goes out as the parser made it). */
	int (*on_request)(void *self, const struct l7_msg *msg, const struct l7_http_req *req,
			  struct wbpf_l7_info *info);
	int (*on_response)(void *self, const struct l7_msg *msg, const struct l7_http_resp *resp,
			   struct wbpf_l7_info *info);
	/* A custom message from a built-in parser (NATS), likewise. */
	int (*on_custom)(void *self, const struct l7_msg *msg, const struct l7_custom_msg *cm,
			 struct wbpf_l7_info *info);
	void *self;
};

/* memcpy for the short pieces records are made of (most strings are a few
 * bytes): inline moves rather than a call for up to 32 bytes. */
static inline void l7_copy(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;

	if (n > 32) {
		memcpy(d, s, n);
	} else if (n >= 16) { /* two moves, overlapping when n < 32 */
		memcpy(d, s, 16);
		memcpy(d + n - 16, s + n - 16, 16);
	} else if (n >= 8) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else if (n) { /* 1 to 3 bytes: first, middle and last cover them */
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
}

/* The string in s, an array of `max` bytes (a multiple of 8), into d, as
 * large: to its NUL a word at a time (16 bytes with SSE2: most strings are
 * shorter), cut at max - 1 when it has none. */
static inline void l7_str_copy(char *d, const char *s, size_t max)
{
	const uint64_t ones = 0x0101010101010101ull;

#ifdef __SSE2__
	if (max % 16 == 0) {
		for (size_t i = 0; i < max; i += 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));

			_mm_storeu_si128((__m128i *)(void *)(d + i), v);
			if (_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128())))
				return;
		}
		d[max - 1] = '\0';
		return;
	}
#endif
	for (size_t i = 0; i < max; i += 8) {
		uint64_t v;

		memcpy(&v, s + i, 8);
		memcpy(d + i, &v, 8);
		if ((v - ones) & ~v & (ones * 0x80))
			return;
	}
	d[max - 1] = '\0';
}

/* An empty record of `type`: strings "", lengths unknown. Only the
 * strings' first bytes are written (see L7_INFO_STRINGS). */
void l7_info__init(struct wbpf_l7_info *info, enum l7_msg_type type);
/* dst as a copy of src where it means anything (numbers, strings to their
 * NUL, attrs[0..n_attrs)): what packing and unpacking give, without them. */
void l7_info__copy(struct wbpf_l7_info *dst, const struct wbpf_l7_info *src);
/* Copies [s, s+len) into one of the record's arrays, cut to fit and
 * NUL-terminated (`dst_size` is sizeof the array). */
static inline void l7_info__set_str(char *dst, size_t dst_size, const char *s, size_t len)
{
	if (!dst_size)
		return;
	if (len >= dst_size)
		len = dst_size - 1;
	l7_copy(dst, s, len);
	dst[len] = '\0';
}
/* Adds an attribute; -ENOSPC past L7_ATTR_MAX. */
int l7_info__add_attr(struct wbpf_l7_info *info, const char *key, size_t key_len, const char *val,
		      size_t val_len);

#endif
