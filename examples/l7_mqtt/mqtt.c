// SPDX-License-Identifier: MIT
/*
 * MQTT 3.1.1 as a `wbpf_l7` plugin: a record per control packet (several
 * may share a segment), the packet type as request type, the topic of
 * PUBLISH and SUBSCRIBE as resource, the packet id as request id so that
 * acknowledgements pair with what they acknowledge.
 *	wbpf l7 ... --plugin mqtt.wasm [--plugin-arg port=1883]
 */
#include <stdbool.h>
#include <string.h>

#include <wbpf/l7_plugin.h>

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

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* A length-prefixed string at *at within [b, b+n) into out. */
static bool str16(const uint8_t *b, size_t n, size_t *at, char *out, size_t cap)
{
	size_t len;

	if (*at + 2 > n || *at + 2 + (len = be16(b + *at)) > n)
		return false;
	len = len < cap - 1 ? len : cap - 1;
	memcpy(out, b + *at + 2, len);
	out[len] = '\0';
	*at += 2 + be16(b + *at);
	return true;
}

/* The variable header and payload of one packet into its record. */
static void fields(unsigned type, unsigned flags, const uint8_t *b, size_t n)
{
	char s[256];
	size_t at = 0;

	switch (type) {
	case 1: /* CONNECT: protocol name, level, flags, keep-alive, client id */
		at = 10;
		if (str16(b, n, &at, s, sizeof(s)))
			wbpf_l7_add_attr("client_id", s);
		break;
	case 2: /* CONNACK: the return code */
		if (n >= 2) {
			wbpf_l7_set_int(WBPF_L7_RESPONSE_CODE, b[1]);
			wbpf_l7_set_int(WBPF_L7_RESPONSE_STATUS, b[1] ? 4 : 0);
		}
		break;
	case 3: /* PUBLISH: topic, then a packet id when QoS > 0 */
		if (str16(b, n, &at, s, sizeof(s)))
			wbpf_l7_set_str(WBPF_L7_REQUEST_RESOURCE, s);
		if ((flags & 6) && at + 2 <= n)
			wbpf_l7_set_int(WBPF_L7_REQUEST_ID, be16(b + at));
		break;
	case 8: case 10: /* (UN)SUBSCRIBE: packet id, first topic filter */
		at = 2;
		if (n >= 2)
			wbpf_l7_set_int(WBPF_L7_REQUEST_ID, be16(b));
		if (str16(b, n, &at, s, sizeof(s)))
			wbpf_l7_set_str(WBPF_L7_REQUEST_RESOURCE, s);
		break;
	case 4: case 5: case 6: case 7: case 9: case 11:
		if (n >= 2)
			wbpf_l7_set_int(WBPF_L7_REQUEST_ID, be16(b));
		if (type == 9 && n >= 3)
			wbpf_l7_set_int(WBPF_L7_RESPONSE_STATUS, b[2] == 0x80 ? 4 : 0);
		break;
	}
	if (is_response(type) && type != 2 && type != 9)
		wbpf_l7_set_int(WBPF_L7_RESPONSE_STATUS, 0);
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
		wbpf_l7_set_str(WBPF_L7_REQUEST_TYPE, types[type]);
		wbpf_l7_set_int(is_response(type) ? WBPF_L7_RESP_LEN : WBPF_L7_REQ_LEN,
				(int64_t)(h + rem));
		fields(type, p[at] & 0xf, p + at + h, rem);
		at += (size_t)h + rem;
		/* Where it ends: a packet cut short comes back whole later. */
		wbpf_l7_set_int(WBPF_L7_MSG_END, (int64_t)at);
		made++;
	}
	return made ? 1 : 0;
}
