// SPDX-License-Identifier: MIT
/*
 * MQTT 5 properties (OASIS MQTT 5.0, section 2.2.2): a Variable Byte
 * Integer length, then properties, each an identifier and a value whose
 * form the identifier fixes. Each becomes an attribute of the packet's
 * record: the property's name (snake case) and its value as text; a user
 * property is its own key and value.
 */
#include <stdio.h>
#include <string.h>

#include <wbpf/l7_plugin.h>

#include "mqtt.h"

enum form { BYTE, TWO, FOUR, VARINT, STRING, BINARY, PAIR };

static const struct {
	uint8_t id;
	uint8_t form;
	const char *name;
} props[] = {
	{ 0x01, BYTE, "payload_format_indicator" },
	{ 0x02, FOUR, "message_expiry_interval" },
	{ 0x03, STRING, "content_type" },
	{ 0x08, STRING, "response_topic" },
	{ 0x09, BINARY, "correlation_data" },
	{ 0x0b, VARINT, "subscription_identifier" },
	{ 0x11, FOUR, "session_expiry_interval" },
	{ 0x12, STRING, "assigned_client_identifier" },
	{ 0x13, TWO, "server_keep_alive" },
	{ 0x15, STRING, "authentication_method" },
	{ 0x16, BINARY, "authentication_data" },
	{ 0x17, BYTE, "request_problem_information" },
	{ 0x18, FOUR, "will_delay_interval" },
	{ 0x19, BYTE, "request_response_information" },
	{ 0x1a, STRING, "response_information" },
	{ 0x1c, STRING, "server_reference" },
	{ 0x1f, STRING, "reason_string" },
	{ 0x21, TWO, "receive_maximum" },
	{ 0x22, TWO, "topic_alias_maximum" },
	{ 0x23, TWO, "topic_alias" },
	{ 0x24, BYTE, "maximum_qos" },
	{ 0x25, BYTE, "retain_available" },
	{ 0x26, PAIR, NULL },
	{ 0x27, FOUR, "maximum_packet_size" },
	{ 0x28, BYTE, "wildcard_subscription_available" },
	{ 0x29, BYTE, "subscription_identifier_available" },
	{ 0x2a, BYTE, "shared_subscription_available" },
};

bool mqtt_varint(const uint8_t *b, size_t n, size_t *at, size_t *v)
{
	unsigned shift = 0;

	*v = 0;
	do {
		if (*at >= n || shift > 21)
			return false;
		*v |= (size_t)(b[*at] & 0x7f) << shift;
		shift += 7;
	} while (b[(*at)++] & 0x80);
	return true;
}

static int find(uint8_t id)
{
	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
		if (props[i].id == id)
			return (int)i;
	return -1;
}

/* A [u16 len][bytes] at *at, as text: cut to fit, binary data in hex. */
static bool text(const uint8_t *b, size_t n, size_t *at, bool hex, char *out, size_t cap)
{
	size_t len, o = 0;

	if (*at + 2 > n || *at + 2 + (len = mqtt_be16(b + *at)) > n)
		return false;
	for (size_t i = 0; i < len && o + 3 < cap; i++)
		o += hex ? (size_t)snprintf(out + o, cap - o, "%02x", b[*at + 2 + i])
			 : (out[o] = (char)b[*at + 2 + i], 1u);
	out[o] = '\0';
	*at += 2 + len;
	return true;
}

/* One property's value at *at into attributes; false when malformed. */
static bool property(int k, const uint8_t *b, size_t n, size_t *at)
{
	char key[128], val[256];
	size_t v = 0, w = props[k].form == TWO ? 2 : props[k].form == FOUR ? 4 : 1;

	switch (props[k].form) {
	case BYTE: case TWO: case FOUR:
		if (*at + w > n)
			return false;
		for (size_t i = 0; i < w; i++)
			v = v << 8 | b[*at + i];
		*at += w;
		snprintf(val, sizeof(val), "%zu", v);
		break;
	case VARINT:
		if (!mqtt_varint(b, n, at, &v))
			return false;
		snprintf(val, sizeof(val), "%zu", v);
		break;
	case PAIR:
		if (!text(b, n, at, false, key, sizeof(key)) || !text(b, n, at, false, val, sizeof(val)))
			return false;
		wbpf_l7_add_attr(key, val);
		return true;
	default:
		if (!text(b, n, at, props[k].form == BINARY, val, sizeof(val)))
			return false;
	}
	wbpf_l7_add_attr(props[k].name, val);
	return true;
}

bool mqtt_properties(const uint8_t *b, size_t n, size_t *at)
{
	size_t len, end;

	if (!mqtt_varint(b, n, at, &len) || len > n - *at)
		return false;
	for (end = *at + len; *at < end;) {
		int k = find(b[(*at)++]);

		if (k < 0 || !property(k, b, end, at))
			return false;
	}
	return true;
}
