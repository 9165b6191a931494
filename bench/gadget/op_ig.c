// SPDX-License-Identifier: MIT
/* The bench operator on Inspektor Gadget's mainline ABI: reads two
 * fields and sets an added one, as IG's wasmapi makes a guest do (a host
 * call per field). Same work as op_wbpf.c. */
#include <gadget/ig_api.h>

static uint32_t seq, arg, mix;

IG_EXPORT(gadgetAPIVersion) uint64_t gadgetAPIVersion(void)
{
	return 1;
}

IG_EXPORT(gadgetInit) int32_t gadgetInit(void)
{
	uint32_t ds = ig_getDataSource(ig_cstr("flood"));

	seq = ig_dataSourceGetField(ds, ig_cstr("seq"));
	arg = ig_dataSourceGetField(ds, ig_cstr("arg"));
	mix = ig_dataSourceAddField(ds, ig_cstr("mix"), IG_KIND_UINT64);
	return !seq || !arg || !mix || ig_dataSourceSubscribe(ds, IG_SUB_DATA, 0, 0);
}

IG_EXPORT(dataSourceCallback) void dataSourceCallback(uint64_t cb, uint32_t ds, uint32_t data)
{
	uint32_t err = 0;
	uint64_t s = ig_fieldGetScalar(seq, data, IG_KIND_UINT64, (uint32_t)(uintptr_t)&err);
	uint64_t a = ig_fieldGetScalar(arg, data, IG_KIND_UINT64, (uint32_t)(uintptr_t)&err);

	(void)cb, (void)ds;
	ig_fieldSet(mix, data, IG_KIND_UINT64, s ^ a);
}
