// SPDX-License-Identifier: MIT
/*
 * MQTT 3.1.1 and 5 as a `wbpf_l7` plugin: a record per control packet
 * (several may share a segment), the packet type as request type, the
 * topic of PUBLISH and SUBSCRIBE as resource, the packet id as request id
 * so that acknowledgements pair with what they acknowledge, the protocol
 * version, MQTT 5 reason codes as response codes and MQTT 5 properties as
 * attributes (props.c).
 *	wbpf l7 ... --plugin mqtt.wasm [--plugin-arg port=1883]
 */
#include <stdbool.h>
#include <string.h>

#include <wbpf/l7_plugin.h>

#include "mqtt.h"

#define PROTO_MQTT 101

static unsigned long port = 1883;

static const char *const types[16] = {
	"RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
	"SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT",
	"AUTH",
};

/* Acknowledgements: the responses of the protocol. */
static bool is_response(unsigned type)
{
	return type == 2 || type == 4 || type == 5 || type == 7 || type == 9 || type == 11 ||
	       type == 13;
}

WBPF_L7_HOOK(wbpf_l7_init)
{
	wbpf_l7_set_name("MQTT");
	return wbpf_l7_config_uint("port", 65535, &port) < 0;
}

/* The fixed header: type and remaining length; its size, 0 when cut
 * short, -1 when malformed. */
static int fixed_header(const uint8_t *p, size_t n, unsigned *type, size_t *rem)
{
	size_t i = 1;
	unsigned shift = 0;

	*rem = 0;
	*type = p[0] >> 4;
	do {
		if (i >= n)
			return 0;
		if (i > 4)
			return -1;
		*rem |= (size_t)(p[i] & 0x7f) << shift;
		shift += 7;
	} while (p[i++] & 0x80);
	return *type ? (int)i : -1;
}

WBPF_L7_HOOK(wbpf_l7_check)
{
	const struct wbpf_l7_ctx *c = wbpf_l7_context();
	const uint8_t *p = wbpf_l7_bytes(c, c->payload);
	size_t n = c->payload.len;

	if (c->l4 != 6 || n < 2)
		return 0;
	/* A CONNECT names the protocol: "\0\4MQTT" after the fixed header. */
	if (p[0] == 0x10 && n > 9 && !memcmp(p + 2 + (p[1] & 0x80 ? 1 : 0), "\0\4MQTT", 6))
		return PROTO_MQTT;
	return c->dport == port || c->sport == port ? PROTO_MQTT | (c->dir ? WBPF_L7_S2C : 0) : 0;
}

/* A length-prefixed string at *at within [b, b+n) into out. */
static bool str16(const uint8_t *b, size_t n, size_t *at, char *out, size_t cap)
{
	size_t len;

	if (*at + 2 > n || *at + 2 + (len = mqtt_be16(b + *at)) > n)
		return false;
	len = len < cap - 1 ? len : cap - 1;
	memcpy(out, b + *at + 2, len);
	out[len] = '\0';
	*at += 2 + mqtt_be16(b + *at);
	return true;
}

/* The protocol level each connection's CONNECT gave (3: 3.1, 4: 3.1.1,
 * 5: 5.0), by flow: only MQTT 5 packets carry properties. A connection
 * seen without its CONNECT is taken as 3.1.1. */
#define LEVELS 256
static struct {
	uint64_t flow;
	uint8_t level;
} levels[LEVELS];

static unsigned slot(uint64_t flow)
{
	return (unsigned)((flow * 0x9e3779b97f4a7c15u) >> 56) % LEVELS;
}

/* 0 when the connection's CONNECT was not seen. */
static unsigned known_level(uint64_t flow)
{
	return levels[slot(flow)].flow == flow ? levels[slot(flow)].level : 0;
}

static void set_version(unsigned level)
{
	static const char *const names[] = { [3] = "3.1", [4] = "3.1.1", [5] = "5.0" };

	if (level >= 3 && level <= 5)
		wbpf_l7_set_str(WBPF_L7_VERSION, names[level]);
}

static void connect_packet(const uint8_t *b, size_t n, uint64_t flow)
{
	char s[256];
	size_t at = 0;

	if (!str16(b, n, &at, s, sizeof(s)) || at + 4 > n)
		return;
	levels[slot(flow)].flow = flow;
	levels[slot(flow)].level = b[at];
	set_version(b[at]);
	at += 4; /* level, flags, keep-alive */
	if ((b[at - 4] == 5 && !mqtt_properties(b, n, &at)) || !str16(b, n, &at, s, sizeof(s)))
		return;
	wbpf_l7_add_attr("client_id", s);
}

/* A reason code (MQTT 5) or return code: >= 0x80 (5) or non-zero (3.1.1)
 * is a refusal, the client's doing. */
static void reason(unsigned code, bool v5)
{
	wbpf_l7_set_int(WBPF_L7_RESPONSE_CODE, code);
	wbpf_l7_set_int(WBPF_L7_RESPONSE_STATUS, (v5 ? code >= 0x80 : code != 0) ? 4 : 0);
}

/* The variable header and payload of one packet into its record. */
static void fields(unsigned type, unsigned flags, const uint8_t *b, size_t n, uint64_t flow)
{
	bool v5 = known_level(flow) == 5;
	char s[256];
	size_t at = 0;

	switch (type) {
	case 1: /* CONNECT: protocol name and level, flags, keep-alive, client id */
		connect_packet(b, n, flow);
		return;
	case 2: /* CONNACK: flags, return or reason code */
		if (n >= 2)
			reason(b[1], v5);
		at = 2;
		break;
	case 3: /* PUBLISH: topic, then a packet id when QoS > 0 */
		if (str16(b, n, &at, s, sizeof(s)))
			wbpf_l7_set_str(WBPF_L7_REQUEST_RESOURCE, s);
		if ((flags & 6) && at + 2 <= n)
			wbpf_l7_set_int(WBPF_L7_REQUEST_ID, mqtt_be16(b + at));
		at += flags & 6 ? 2 : 0;
		break;
	case 8: case 10: /* (UN)SUBSCRIBE: packet id, first topic filter */
		at = 2;
		if (n >= 2)
			wbpf_l7_set_int(WBPF_L7_REQUEST_ID, mqtt_be16(b));
		if (v5 && !mqtt_properties(b, n, &at))
			return;
		if (str16(b, n, &at, s, sizeof(s)))
			wbpf_l7_set_str(WBPF_L7_REQUEST_RESOURCE, s);
		return;
	case 9: case 11: /* SUB/UNSUBACK: packet id, then a code per filter */
		at = 2;
		if (n >= 2)
			wbpf_l7_set_int(WBPF_L7_REQUEST_ID, mqtt_be16(b));
		if (v5 && !mqtt_properties(b, n, &at))
			return;
		if (at < n && (v5 || type == 9))
			wbpf_l7_set_int(WBPF_L7_RESPONSE_STATUS, b[at] >= 0x80 ? 4 : 0);
		return;
	case 4: case 5: case 6: case 7: /* PUBACK..PUBCOMP: packet id, reason code */
		if (n >= 2)
			wbpf_l7_set_int(WBPF_L7_REQUEST_ID, mqtt_be16(b));
		if (v5 && n >= 3)
			reason(b[2], true);
		at = 3;
		break;
	case 14: case 15: /* DISCONNECT, AUTH: reason code */
		if (v5 && n >= 1)
			wbpf_l7_set_int(WBPF_L7_RESPONSE_CODE, b[0]);
		at = 1;
		break;
	}
	if (is_response(type) && type != 2 && !(v5 && n >= 3))
		wbpf_l7_set_int(WBPF_L7_RESPONSE_STATUS, 0);
	/* MQTT 5: properties follow, when the packet is long enough to have them */
	if (v5 && at < n)
		mqtt_properties(b, n, &at);
}

WBPF_L7_HOOK(wbpf_l7_parse)
{
	const struct wbpf_l7_ctx *c = wbpf_l7_context();
	const uint8_t *p = wbpf_l7_bytes(c, c->payload);
	size_t n = c->payload.len, at = 0, rem;
	int made = 0;

	while (at < n && made < 16) {
		unsigned type;
		int h = fixed_header(p + at, n - at, &type, &rem);

		if (h <= 0 || rem > n - at - (size_t)h) {
			if (h >= 0 && !made && !c->truncated)
				return WBPF_L7_AGAIN;
			break;
		}
		wbpf_l7_record(is_response(type) ? WBPF_L7_REC_RESPONSE : WBPF_L7_REC_REQUEST);
		wbpf_l7_set_int(is_response(type) ? WBPF_L7_RESP_LEN : WBPF_L7_REQ_LEN,
				(int64_t)(h + rem));
		wbpf_l7_set_str(WBPF_L7_REQUEST_TYPE, types[type]);
		set_version(known_level(c->flow_id));
		fields(type, p[at] & 0xf, p + at + h, rem, c->flow_id);
		at += (size_t)h + rem;
		/* Where it ends: a packet cut short comes back whole later. */
		wbpf_l7_set_int(WBPF_L7_MSG_END, (int64_t)at);
		made++;
	}
	return made ? 1 : 0;
}
