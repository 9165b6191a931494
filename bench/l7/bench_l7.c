// SPDX-License-Identifier: MIT
/* Bench guest, `wbpf_l7` ABI: the same work as bench_df.c, reading the
 * context in place and setting fields one call each. */
#include <wbpf/l7_plugin.h>

WBPF_L7_HOOK(wbpf_l7_check)
{
	const struct wbpf_l7_ctx *c = wbpf_l7_context();

	return c->payload.len && wbpf_l7_bytes(c, c->payload)[0] == 'B' && c->dport == 1 ? 200 : 0;
}

WBPF_L7_HOOK(wbpf_l7_parse)
{
	wbpf_l7_check();
	wbpf_l7_record(WBPF_L7_REC_REQUEST);
	wbpf_l7_set_str(WBPF_L7_REQUEST_TYPE, "GET");
	wbpf_l7_set_str(WBPF_L7_REQUEST_RESOURCE, "/bench");
	wbpf_l7_set_int(WBPF_L7_REQUEST_ID, 1);
	return 1;
}
