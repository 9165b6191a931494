// SPDX-License-Identifier: MIT
/* A `deepflow` guest that lists a directory: it imports fd_readdir, which
 * DeepFlow's agent does not link, so it must be refused at load. */
#include <dirent.h>

#include <wbpf/deepflow.h>

DF_EXPORT(get_hook_bitmap) { return 0; }
DF_EXPORT(check_payload) { return 0; }
DF_EXPORT(parse_payload) { return 0; }
DF_EXPORT(on_http_req) { return 0; }
DF_EXPORT(on_http_resp) { return 0; }

int main(void)
{
	DIR *d = opendir(".");

	if (d && readdir(d))
		df_wasm_log("listed", 6, 0);
	return 0;
}
