// SPDX-License-Identifier: MIT
/*
 * trace_exec's operator, on Inspektor Gadget's mainline ABI (module
 * `ig`): turns the NUL-separated argv bytes the BPF side copies into an
 * "args" string field (arguments joined by spaces).
 */
#include <string.h>

#include <gadget/ig_api.h>

#define ARGS_LEN 256

static uint32_t args_buf, args_size, args;

IG_EXPORT(gadgetAPIVersion) uint64_t gadgetAPIVersion(void)
{
	return 1;
}

IG_EXPORT(gadgetInit) int32_t gadgetInit(void)
{
	uint32_t ds = ig_getDataSource(ig_cstr("exec"));

	args_buf = ig_dataSourceGetField(ds, ig_cstr("args_buf"));
	args_size = ig_dataSourceGetField(ds, ig_cstr("args_size"));
	args = ig_dataSourceAddField(ds, ig_cstr("args"), IG_KIND_STRING);
	if (!args_buf || !args_size || !args) {
		ig_log(IG_LOG_ERROR, "trace_exec: fields missing");
		return 1;
	}
	return ig_dataSourceSubscribe(ds, IG_SUB_DATA, 0, 0);
}

IG_EXPORT(dataSourceCallback) void dataSourceCallback(uint64_t cb, uint32_t ds, uint32_t data)
{
	char buf[ARGS_LEN];
	uint32_t err = 0, n;
	int32_t got;

	(void)cb, (void)ds;
	n = (uint32_t)ig_fieldGetScalar(args_size, data, IG_KIND_UINT32, (uint32_t)(uintptr_t)&err);
	got = ig_fieldGetBuffer(args_buf, data, IG_KIND_UINT8 | IG_KIND_ARRAY, ig_buf(buf, sizeof(buf)));
	if (err || got < 0)
		return;
	if (n > (uint32_t)got)
		n = (uint32_t)got;
	while (n && !buf[n - 1]) /* the last argument's NUL */
		n--;
	for (uint32_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	ig_fieldSet(args, data, IG_KIND_STRING, ig_buf(buf, n));
}
