// SPDX-License-Identifier: MIT
/* Bench guest, `deepflow` ABI: what a Go SDK plugin does per hook. check
 * reads the context and the payload and declines; parse also hands back
 * one AppInfo record. */
#include <wbpf/deepflow.h>

static uint8_t bitmap[16] = { [15] = DF_HOOK_PAYLOAD_BYTE15 };
static uint8_t ctx[1024], payload[1024], out[1024];

DF_EXPORT(get_hook_bitmap) { return (int)(uintptr_t)bitmap; }
DF_EXPORT(on_http_req) { return 0; }
DF_EXPORT(on_http_resp) { return 0; }

DF_EXPORT(check_payload)
{
	struct df_ctx c;
	int n = df_vm_read_ctx_base(ctx, sizeof(ctx));

	df_ctx_decode(ctx, (size_t)n, &c);
	n = df_vm_read_payload(payload, sizeof(payload));
	return n > 0 && payload[0] == 'B' && c.dst_port == 1 ? 200 : 0;
}

DF_EXPORT(parse_payload)
{
	struct df_info info = { .is_req = true, .req.type = "GET", .req.resource = "/bench",
				.has_request_id = true, .request_id = 1 };
	size_t len = 0;

	check_payload();
	df_encode_pb(&info, out, &len, sizeof(out));
	return df_host_read_l7_protocol_info(out, (uint32_t)len);
}

int main(void) { return 0; }
