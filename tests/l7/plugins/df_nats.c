// SPDX-License-Identifier: MIT
/*
 * A `deepflow` guest that hooks the custom messages of the built-in NATS
 * parser (type code 104, hook point 0, as DeepFlow's NATS parser sends
 * them) and hands back what it read, as attributes of the message's
 * record: the hook point, type code, and NatsMessage's subject, reply_to
 * and payload, and a protocol name. For tests/l7/nats.sh.
 */
#include <string.h>

#include <wbpf/deepflow.h>

static uint8_t bitmap[16] = { DF_HOOK_CUSTOM_BYTE0 };
static uint8_t custom_hook[8] = { 0, 0, 0, 0, 0, 0, 0, 104 };
static uint8_t buf[65536], out[8192];
static char fields[3][1024], hp[8], tc[16];

DF_EXPORT(get_hook_bitmap)
{
	return (int)(uintptr_t)bitmap;
}

DF_EXPORT(get_custom_message_hook)
{
	return (int)(uintptr_t)custom_hook;
}

DF_EXPORT(check_payload)
{
	return 0;
}

DF_EXPORT(parse_payload)
{
	return 0;
}

DF_EXPORT(on_http_req)
{
	return 0;
}

DF_EXPORT(on_http_resp)
{
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* NatsMessage: fields 1..3, all length-delimited; false when malformed. */
static bool decode(const uint8_t *p, size_t n)
{
	for (size_t at = 0; at < n;) {
		unsigned key = p[at++], shift = 0;
		size_t len = 0;

		do {
			if (at >= n || shift > 28)
				return false;
			len |= (size_t)(p[at] & 0x7f) << shift;
			shift += 7;
		} while (p[at++] & 0x80);
		if ((key & 7) != 2 || (key >> 3) < 1 || (key >> 3) > 3 || len > n - at ||
		    len >= sizeof(fields[0]))
			return false;
		memcpy(fields[(key >> 3) - 1], p + at, len);
		fields[(key >> 3) - 1][len] = '\0';
		at += len;
	}
	return true;
}

static void num(char *s, size_t cap, uint32_t v)
{
	char tmp[12];
	size_t n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < sizeof(tmp));
	for (size_t i = 0; i < n && i + 1 < cap; i++)
		s[i] = tmp[n - 1 - i];
	s[n < cap ? n : cap - 1] = '\0';
}

DF_EXPORT(on_custom_message)
{
	int n = df_vm_read_custom_message_info(buf, sizeof(buf));
	struct df_kv kv[5];
	struct df_info info = { .kv = kv, .nkv = 5, .protocol_str = "NATS-hooked" };
	size_t len = 0;

	memset(fields, 0, sizeof(fields));
	if (n < 10 || (uint32_t)n < 10 + be32(buf + 6) || !decode(buf + 10, be32(buf + 6)))
		return 2; /* an error: the host counts it */
	num(hp, sizeof(hp), (uint32_t)buf[0] << 8 | buf[1]);
	num(tc, sizeof(tc), be32(buf + 2));
	kv[0] = (struct df_kv){ "hook_point", hp };
	kv[1] = (struct df_kv){ "type_code", tc };
	kv[2] = (struct df_kv){ "nats.subject", fields[0] };
	kv[3] = (struct df_kv){ "nats.reply_to", fields[1] };
	kv[4] = (struct df_kv){ "nats.payload", fields[2] };
	if (df_encode_pb(&info, out, &len, sizeof(out)))
		return 2;
	return df_host_read_l7_protocol_info(out, (uint32_t)len) ? 1 : 2;
}

int main(void)
{
	return 0;
}
