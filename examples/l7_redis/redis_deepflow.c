// SPDX-License-Identifier: MIT
/*
 * The Redis plugin of redis.c written against DeepFlow's `deepflow` ABI,
 * sending byte for byte what deepflow-wasm-go-sdk sends: it runs on
 * DeepFlow's agent as on wbpf. Built twice: redis_deepflow_pb.wasm sends
 * AppInfo protobuf records, redis_deepflow_legacy.wasm (-DRESULT_LEGACY)
 * the older fixed layout; both must give wbpf the same records.
 */
#include <string.h>

#include <wbpf/deepflow.h>

#include "resp.h"

#define PROTO_REDIS 80
#define PORT 6379

static uint8_t ctx_buf[1024], payload[64 * 1024], out[64 * 1024];

DF_PAYLOAD_PLUGIN()

static int read_all(struct df_ctx *c)
{
	int n = df_vm_read_ctx_base(ctx_buf, sizeof(ctx_buf));

	if (n <= 0 || df_ctx_decode(ctx_buf, (size_t)n, c))
		return -1;
	return df_vm_read_payload(payload, sizeof(payload));
}

DF_EXPORT(check_payload)
{
	struct df_ctx c;
	uint8_t name[16];
	size_t len = 0;
	int n = read_all(&c);
	int proto = 0;

	if (n < 0 || c.l4 != 6)
		return 0;
	if (resp_looks_like_command(payload, (size_t)n))
		proto = PROTO_REDIS;
	else if (c.dst_port == PORT || c.src_port == PORT)
		proto = PROTO_REDIS | (c.direction ? DF_DIR_RESPONSE : DF_DIR_REQUEST);
	if (proto) {
		df_encode_str("Redis", name, &len, sizeof(name));
		df_host_read_str_result(name, (uint32_t)len);
	}
	return proto;
}

static int encode(const struct resp_msg *m, int dir, size_t *len)
{
	struct df_info info = { .is_req = dir == 0, .is_resp = dir == 1 };

	if (dir == 0) {
		info.has_req_len = true;
		info.req_len = (uint32_t)m->len;
		info.req.type = m->cmd;
		info.req.resource = m->line;
	} else {
		info.has_resp_len = true;
		info.resp_len = (uint32_t)m->len;
		info.resp.status = m->type == '-' || m->type == '!' ? 3 : 0;
		if (info.resp.status)
			info.resp.exception = m->text;
		else
			info.resp.result = m->text;
	}
#ifdef RESULT_LEGACY
	return df_encode_legacy(&info, dir, out, len, sizeof(out));
#else
	return df_encode_pb(&info, out, len, sizeof(out));
#endif
}

DF_EXPORT(parse_payload)
{
	struct df_ctx c;
	struct resp_msg m;
	int n = read_all(&c), made = 0;
	size_t at = 0, len = 0;

	if (n <= 0)
		return 0;
	while (at < (size_t)n && made < 16 && resp_read(payload + at, (size_t)n - at, &m) == RESP_OK) {
		if (encode(&m, c.direction, &len))
			break;
		made++;
		at += m.len;
	}
	if (!made)
		return 0;
	return df_host_read_l7_protocol_info(out, (uint32_t)len) ? 1 : 0;
}

int main(void)
{
	return 0;
}
