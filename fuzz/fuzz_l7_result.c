// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: DeepFlow plugin results (src/abi/l7_df_result.c), the
 * bytes a `deepflow` plugin hands host_read_l7_protocol_info. Both record
 * formats, read as a request and as a response. A decoded record must be
 * well formed: NUL-terminated strings, attribute count in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l7/plugin_impl.h"

static void check(const struct wbpf_l7_info *r)
{
	if (r->n_attrs > L7_ATTR_MAX || !memchr(r->protocol_str, 0, sizeof(r->protocol_str)) ||
	    !memchr(r->request_resource, 0, sizeof(r->request_resource)) ||
	    !memchr(r->trace_id, 0, sizeof(r->trace_id)))
		abort();
	if (r->response_status != L7_STATUS_OK && (r->response_status < L7_STATUS_TIMEOUT ||
						   r->response_status > L7_STATUS_UNKNOWN))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wbpf_l7_info out[16];

	for (int dir = L7_C2S; dir <= L7_S2C; dir++) {
		int n = l7_df_result__decode(data, size, (enum l7_direction)dir, out, 16);

		if (n > 16)
			n = 16; /* the rest were checked, not kept */
		for (int i = 0; i < n; i++)
			check(&out[i]);
	}
	return 0;
}
