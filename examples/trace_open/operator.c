// SPDX-License-Identifier: MIT
/*
 * trace_open's operator, on Inspektor Gadget's 2025-02 ABI (module
 * `env`, as released TinyGo operators): drops opens whose path lacks
 * the --path_contains param, and adds an "access" field spelling the
 * open flags.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#define IG_ABI_ENV
#include <gadget/ig_api.h>

static uint32_t ds, fname, flags, access_f;
static char want[256];

IG_EXPORT(gadgetAPIVersion) uint64_t gadgetAPIVersion(void)
{
	return 1;
}

IG_EXPORT(gadgetInit) int32_t gadgetInit(void)
{
	uint64_t v = ig_getParamValue(ig_cstr("path_contains"));

	/* env: the host malloc'd the value; it is ours to free */
	if (v && ig_buf_len(v) < sizeof(want))
		memcpy(want, ig_buf_ptr(v), ig_buf_len(v));
	free(ig_buf_ptr(v));
	ds = ig_getDataSource(ig_cstr("open"));
	fname = ig_dataSourceGetField(ds, ig_cstr("fname"));
	flags = ig_dataSourceGetField(ds, ig_cstr("flags"));
	access_f = ig_dataSourceAddField(ds, ig_cstr("access"), IG_KIND_STRING);
	if (!ds || !fname || !flags || !access_f) {
		ig_log(IG_LOG_ERROR, "trace_open: datasource or fields missing");
		return 1;
	}
	return ig_dataSourceSubscribe(ds, IG_SUB_PACKET, 0, 1);
}

static const char *access_of(uint32_t f)
{
	switch (f & O_ACCMODE) {
	case O_WRONLY: return f & O_CREAT ? "write,create" : "write";
	case O_RDWR: return f & O_CREAT ? "read-write,create" : "read-write";
	default: return "read";
	}
}

IG_EXPORT(dataSourceCallback) void dataSourceCallback(uint64_t cb, uint32_t src, uint32_t pkt)
{
	char path[256] = "";
	uint32_t n;
	const char *a;

	(void)cb;
	n = ig_fieldGetToBuffer(fname, pkt, IG_KIND_STRING, ig_buf(path, sizeof(path) - 1));
	path[n] = '\0';
	if (want[0] && !strstr(path, want)) {
		ig_dataSourceRelease(src, pkt); /* wbpf: releasing a callback's packet drops it */
		return;
	}
	a = access_of((uint32_t)ig_fieldGet(flags, pkt, IG_KIND_UINT32));
	ig_fieldSet(access_f, pkt, IG_KIND_STRING, ig_cstr(a));
}
