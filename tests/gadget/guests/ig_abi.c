// SPDX-License-Identifier: MIT
/*
 * Calls every host function of Inspektor Gadget's operator ABI with good
 * and bad handles, kinds, pointers and lengths, on trace_open's gadget.
 * Built twice: -DIG_ABI_ENV (module env, 2025-02) and without (module
 * ig, mainline). Each failed check logs "FAIL line N"; the run ends with
 * "ig_abi: N checks, M failed" and the lifecycle is logged as it goes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gadget/ig_api.h>

static int checks, failed;
static char msg[160];

#define CHECK(cond)                                                       \
	do {                                                              \
		checks++;                                                 \
		if (!(cond)) {                                            \
			failed++;                                         \
			snprintf(msg, sizeof(msg), "FAIL line %d: %s", __LINE__, #cond); \
			ig_log(IG_LOG_ERROR, msg);                        \
		}                                                         \
	} while (0)

static void say(const char *what)
{
	ig_log(IG_LOG_INFO, what);
}

/* A buf no guest memory holds. */
#define BAD_BUF (((uint64_t)16 << 32) | 0xfffffff0u)

static uint32_t open_ds, mine, arr, f_str, f_u32, f_arr_u32, cb_calls, cb_bad_ds, arr_calls,
	elem_calls, value_ok;

#ifdef IG_ABI_ENV
/* env: strings come back malloc'd; copy and free. */
static int host_str(uint64_t buf, char *out, size_t size)
{
	uint32_t n = ig_buf_len(buf);

	if (!buf || n >= size) {
		free(ig_buf_ptr(buf));
		return -1;
	}
	memcpy(out, ig_buf_ptr(buf), n);
	out[n] = '\0';
	free(ig_buf_ptr(buf));
	return 0;
}
#endif

__attribute__((constructor)) static void init(void)
{
	say("lifecycle: _initialize");
}

IG_EXPORT(gadgetAPIVersion) uint64_t gadgetAPIVersion(void)
{
	return 1;
}

static void check_datasources(void)
{
	uint32_t a = ig_getDataSource(ig_cstr("open")), b = ig_getDataSource(ig_cstr("open"));
	uint32_t tmp;

	CHECK(a && b && a != b); /* a new handle on every call */
	CHECK(ig_getDataSource(ig_cstr("nosuch")) == 0);
	CHECK(ig_getDataSource(BAD_BUF) == 0);
	open_ds = a;
	CHECK(ig_dataSourceGetField(a, ig_cstr("fname")) != 0);
	CHECK(ig_dataSourceGetField(a, ig_cstr("nosuch")) == 0);
	CHECK(ig_dataSourceGetField(4095, ig_cstr("fname")) == 0);
	CHECK(ig_dataSourceGetField(0, ig_cstr("fname")) == 0);
	CHECK(ig_dataSourceAddField(a, ig_cstr("bad_kind"), 15) == 0);
	CHECK(ig_dataSourceAddField(a, ig_cstr("fname"), IG_KIND_STRING) == 0); /* duplicate */
	CHECK(ig_dataSourceAddField(a, ig_cstr("extra"), IG_KIND_UINT16) != 0);
	mine = ig_newDataSource(ig_cstr("mine"), IG_DS_SINGLE);
	arr = ig_newDataSource(ig_cstr("arr"), IG_DS_ARRAY);
	CHECK(mine && arr);
	CHECK(ig_newDataSource(ig_cstr("bad"), 3) == 0);
	CHECK(ig_newDataSource(ig_cstr(""), IG_DS_SINGLE) == 0);
	tmp = ig_newDataSource(ig_cstr("gone"), IG_DS_SINGLE);
	CHECK(ig_dataSourceIsReferenced(tmp) == 1);
	CHECK(ig_dataSourceUnreference(tmp) == 0);
	CHECK(ig_dataSourceIsReferenced(tmp) == 0);
	CHECK(ig_dataSourceIsReferenced(4000) == 2); /* IG: 2 for a bad handle */
	CHECK(ig_dataSourceUnreference(4000) == 1);
	f_str = ig_dataSourceAddField(mine, ig_cstr("text"), IG_KIND_STRING);
	f_u32 = ig_dataSourceAddField(mine, ig_cstr("num"), IG_KIND_UINT32);
	f_arr_u32 = ig_dataSourceAddField(arr, ig_cstr("n"), IG_KIND_UINT32);
	CHECK(f_str && f_u32 && f_arr_u32);
	CHECK(ig_fieldAddTag(f_str, ig_cstr("role:test")) == 0);
	CHECK(ig_fieldAddTag(0, ig_cstr("x")) == 1);
	CHECK(ig_fieldAddTag(f_str, BAD_BUF) == 1);
	/* types: 1 data, 2 array, 3 packet */
	CHECK(ig_dataSourceSubscribe(mine, IG_SUB_ARRAY, 0, 1) == 1); /* array on single */
	CHECK(ig_dataSourceSubscribe(0, IG_SUB_DATA, 0, 1) == 1);
	CHECK(ig_dataSourceSubscribe(mine, 4, 0, 1) == 1);
	CHECK(ig_dataSourceSubscribe(mine, IG_SUB_DATA, 5, 7) == 0);
	CHECK(ig_dataSourceSubscribe(arr, IG_SUB_ARRAY, 0, 8) == 0);
	CHECK(ig_dataSourceSubscribe(arr, IG_SUB_DATA, 1, 9) == 0);
}

static void check_params_and_syscalls(void)
{
	char buf[64];
	uint8_t decl[252];

#ifdef IG_ABI_ENV
	CHECK(host_str(ig_getParamValue(ig_cstr("path_contains")), buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "abc"));
	CHECK(ig_getParamValue(ig_cstr("nosuch")) == 0);
	CHECK(host_str(ig_getSyscallName(428), buf, sizeof(buf)) == 0 && !strcmp(buf, "open_tree"));
	CHECK(host_str(ig_getSyscallName(1337), buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "syscall_539"));
	CHECK(host_str(ig_getSyscallName(0x10000 + 257), buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "openat")); /* cut to u16 */
#else
	CHECK(ig_getParamValue(ig_cstr("path_contains"), ig_buf(buf, sizeof(buf))) == 0 &&
	      !strcmp(buf, "abc"));
	CHECK(ig_getParamValue(ig_cstr("path_contains"), ig_buf(buf, 3)) == 1); /* no room for NUL */
	CHECK(ig_getParamValue(ig_cstr("nosuch"), ig_buf(buf, sizeof(buf))) == 1);
	CHECK(ig_getParamValue(ig_cstr("path_contains"), BAD_BUF) == 1);
	CHECK(ig_getSyscallName(428, ig_buf(buf, sizeof(buf))) == 0 && !strcmp(buf, "open_tree"));
	CHECK(ig_getSyscallName(1337, ig_buf(buf, sizeof(buf))) == 0 && !strcmp(buf, "syscall_539"));
	CHECK(ig_getSyscallName(428, ig_buf(buf, 4)) == 1);
	CHECK(ig_getSyscallID(ig_cstr("openat")) == 257);
	CHECK(ig_getSyscallID(ig_cstr("nosuch")) == -1);
	CHECK(ig_gadgetShouldLog(IG_LOG_INFO) == 1 && ig_gadgetShouldLog(IG_LOG_DEBUG) == 0);
	CHECK(ig_shouldDiscardMntnsID(12345) == 0);
#endif
	CHECK(ig_getSyscallDeclaration(ig_cstr("openat"), ig_buf(decl, sizeof(decl))) == 0);
	CHECK(!strcmp((char *)decl, "openat") && decl[32] == 4);
	CHECK(!strcmp((char *)decl + 36, "dfd") && decl[36 + 32] == 0);
	CHECK(!strcmp((char *)decl + 72, "filename") && decl[72 + 32] == 1); /* a pointer */
	CHECK(ig_getSyscallDeclaration(ig_cstr("openat"), ig_buf(decl, 251)) == 1);
	CHECK(ig_getSyscallDeclaration(ig_cstr("nosuch"), ig_buf(decl, sizeof(decl))) == 1);
	CHECK(ig_kallsymsSymbolExists(ig_cstr("do_sys_openat2")) == 1);
	CHECK(ig_kallsymsSymbolExists(ig_cstr("no_such_symbol_anywhere")) == 0);
	CHECK(ig_setConfig(ig_cstr("programs.enter_openat.attach_to"), ig_cstr("x"), 13) == 1);
	CHECK(ig_setConfig(ig_cstr("some.key"), ig_cstr("value"), IG_KIND_STRING) == 0);
	CHECK(ig_getMap(ig_cstr("starts")) == 0); /* maps exist from gadgetStart on */
}

/* Fills all free handles, checks the cap, frees them again. */
static void check_handle_limit(void)
{
	static uint32_t hs[4096];
	uint32_t n = 0, h, lowest = 0xffffffffu;

	while (n < 4096 && (h = ig_getDataSource(ig_cstr("open"))))
		hs[n++] = h;
	CHECK(n > 4000 && n < 4096);
	CHECK(ig_getDataSource(ig_cstr("open")) == 0);
	for (uint32_t i = 0; i < n; i++) {
		lowest = hs[i] < lowest ? hs[i] : lowest;
		CHECK(hs[i] <= 4096);
	}
	for (uint32_t i = 0; i < n; i++)
		ig_releaseHandle(hs[i]);
	CHECK(ig_releaseHandle(hs[0]) == 1);
	CHECK(ig_releaseHandle(0) == 1);
	h = ig_getDataSource(ig_cstr("open"));
	CHECK(h == lowest); /* the lowest free ID comes back first */
	ig_releaseHandle(h);
}

IG_EXPORT(gadgetInit) int32_t gadgetInit(void)
{
	say("lifecycle: gadgetInit");
	check_datasources();
	check_params_and_syscalls();
	check_handle_limit();
	return 0;
}

IG_EXPORT(gadgetPreStart) int32_t gadgetPreStart(void)
{
	say("lifecycle: gadgetPreStart");
	return 0;
}

static void check_fields(uint32_t pkt)
{
	char buf[32];

	CHECK(ig_fieldSet(f_str, pkt, IG_KIND_STRING, ig_cstr("hello")) ==
#ifdef IG_ABI_ENV
	      f_str); /* IG 2025-02 never writes the result: the guest sees arg0 */
#else
	      0);
#endif
	CHECK(ig_fieldSet(f_str, pkt, IG_KIND_STRING, BAD_BUF) == 1);
	CHECK(ig_fieldSet(f_str, pkt, IG_KIND_UINT32, 1) == 1); /* kind */
	CHECK(ig_fieldSet(f_u32, pkt, IG_KIND_INT32, (uint64_t)-2) != 1); /* size, not sign */
	CHECK(ig_fieldSet(f_u32, pkt, IG_KIND_UINT64, 1) == 1);
	CHECK(ig_fieldSet(f_u32, 4000, IG_KIND_UINT32, 1) == 1);
	CHECK(ig_fieldSet(f_arr_u32, pkt, IG_KIND_UINT32, 1) == 1); /* another source's field */
#ifdef IG_ABI_ENV
	CHECK(ig_fieldGet(f_u32, pkt, IG_KIND_UINT32) == 0xfffffffeu);
	CHECK(ig_fieldGet(f_u32, pkt, IG_KIND_INT32) == (uint64_t)-2);
	CHECK(ig_fieldGet(f_u32, pkt, IG_KIND_UINT64) == 0);
	CHECK(ig_fieldGet(f_str, pkt, IG_KIND_CSTRING) == 0);
	CHECK(host_str(ig_fieldGet(f_str, pkt, IG_KIND_STRING), buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "hello"));
	CHECK(ig_fieldGetToBuffer(f_str, pkt, IG_KIND_STRING, ig_buf(buf, sizeof(buf))) == 5 &&
	      !memcmp(buf, "hello", 5));
	CHECK(ig_fieldGetToBuffer(f_str, pkt, IG_KIND_STRING, ig_buf(buf, 4)) == 0);
	CHECK(ig_fieldGetToBuffer(f_u32, pkt, IG_KIND_UINT32, ig_buf(buf, sizeof(buf))) == 0);
	CHECK(ig_fieldGetToBuffer(f_str, pkt, IG_KIND_STRING, BAD_BUF) == 0);
#else
	uint32_t err = 0;

	CHECK(ig_fieldGetScalar(f_u32, pkt, IG_KIND_UINT32, (uint32_t)(uintptr_t)&err) ==
	      0xfffffffeu && !err);
	CHECK(ig_fieldGetScalar(f_u32, pkt, IG_KIND_INT32, 0) == (uint64_t)-2);
	CHECK(ig_fieldGetScalar(f_u32, pkt, IG_KIND_UINT64, (uint32_t)(uintptr_t)&err) == 0 &&
	      err == 1);
	CHECK(ig_fieldGetBuffer(f_str, pkt, IG_KIND_STRING, ig_buf(buf, sizeof(buf))) == 5 &&
	      !memcmp(buf, "hello", 5));
	CHECK(ig_fieldGetBuffer(f_str, pkt, IG_KIND_STRING, ig_buf(buf, 4)) == -1);
	CHECK(ig_fieldGetBuffer(f_str, 0, IG_KIND_STRING, ig_buf(buf, sizeof(buf))) == -1);
#endif
}

static void check_packets(void)
{
	uint32_t pkt = ig_dataSourceNewPacketSingle(mine), apkt, e1, e2, e3, el;

	CHECK(pkt != 0);
	CHECK(ig_dataSourceNewPacketArray(mine) == 0); /* type mismatch */
	CHECK(ig_dataSourceNewPacketSingle(arr) == 0);
	check_fields(pkt);
	ig_fieldSet(f_u32, pkt, IG_KIND_UINT32, 42);
	CHECK(ig_dataSourceEmitAndRelease(arr, pkt) == 1); /* wrong source */
	CHECK(ig_dataSourceEmitAndRelease(mine, pkt) == 0);
	CHECK(cb_calls == 1 && value_ok && !cb_bad_ds);
	CHECK(ig_dataSourceRelease(mine, pkt) == 1); /* freed by the emit */
	pkt = ig_dataSourceNewPacketSingle(mine);
	CHECK(ig_dataSourceRelease(mine, pkt) == 0);
	CHECK(ig_dataSourceRelease(mine, pkt) == 1);

	apkt = ig_dataSourceNewPacketArray(arr);
	e1 = ig_dataArrayNew(apkt);
	e2 = ig_dataArrayNew(apkt);
	e3 = ig_dataArrayNew(apkt);
	CHECK(e1 && e2 && e3 && ig_dataArrayNew(0) == 0);
	ig_fieldSet(f_arr_u32, e1, IG_KIND_UINT32, 1);
	ig_fieldSet(f_arr_u32, e2, IG_KIND_UINT32, 2);
	CHECK(ig_dataArrayAppend(apkt, e1) == 0 && ig_dataArrayAppend(apkt, e2) == 0);
	CHECK(ig_dataArrayAppend(apkt, e1) == 1); /* freed by the append */
	CHECK(ig_dataArrayRelease(apkt, e3) == 0 && ig_dataArrayRelease(apkt, e3) == 1);
	CHECK(ig_dataArrayLen(apkt) == 2 && ig_dataArrayLen(4000) == 0);
	el = ig_dataArrayGet(apkt, 1);
	CHECK(el == (1u << 31 | 1u << 16 | apkt));
	CHECK(ig_dataArrayGet(apkt, 2) == 0);
#ifdef IG_ABI_ENV
	CHECK(ig_fieldGet(f_arr_u32, el, IG_KIND_UINT32) == 2);
#else
	CHECK(ig_fieldGetScalar(f_arr_u32, el, IG_KIND_UINT32, 0) == 2);
#endif
	CHECK(ig_dataSourceEmitAndRelease(arr, apkt) == 0);
	/* the array callback removed element 0: one element was left */
	CHECK(arr_calls == 1 && elem_calls == 1);
}

static void check_maps(void)
{
	uint32_t key = 7, val[4] = {0}, out[4] = {0}, m, own, ring;

	m = ig_getMap(ig_cstr("starts"));
	CHECK(m != 0 && ig_getMap(ig_cstr("nosuch")) == 0);
	val[2] = 99;
	CHECK(ig_mapUpdate(m, ig_buf(&key, 4), ig_buf(val, 16), 0) == 0);
	CHECK(ig_mapLookup(m, ig_buf(&key, 4), ig_buf(out, 16)) == 0 && out[2] == 99);
	CHECK(ig_mapLookup(m, ig_buf(&key, 4), ig_buf(out, 8)) == 1); /* short value */
	CHECK(ig_mapUpdate(m, ig_buf(&key, 4), ig_buf(val, 16), 5) == 1); /* flags > 4 */
	CHECK(ig_mapLookup(m, BAD_BUF, ig_buf(out, 16)) == 1);
	CHECK(ig_mapDelete(m, ig_buf(&key, 4)) == 0 && ig_mapDelete(m, ig_buf(&key, 4)) == 1);
	CHECK(ig_mapRelease(m) == 1); /* only newMap's maps */
	own = ig_newMap(ig_cstr("own"), 1 /* hash */, 4, 8, 16);
	CHECK(own != 0 && ig_newMap(ig_cstr("bad"), 34, 4, 8, 16) == 0);
	CHECK(ig_mapUpdate(own, ig_buf(&key, 4), ig_buf(val, 8), 1 /* NOEXIST */) == 0);
	CHECK(ig_mapUpdate(own, ig_buf(&key, 4), ig_buf(val, 8), 1) == 1);
	CHECK(ig_mapLookup(own, ig_buf(&key, 4), ig_buf(out, 8)) == 0);
	CHECK(ig_mapRelease(own) == 0 && ig_mapRelease(own) == 1);
	ring = ig_getMap(ig_cstr("events"));
	CHECK(ring != 0 && ig_mapLookup(ring, ig_buf(&key, 4), ig_buf(out, 16)) == 1);
	CHECK(ig_newPerfReader(4000, 4096, 0) == 1); /* IG: 1, not 0, for a bad map */
	CHECK(ig_newPerfReader(ring, 4096, 0) == 1); /* not a perf array */
	CHECK(ig_perfReaderClose(4000) == 1 && ig_perfReaderPause(4000) == 1);
	ig_releaseHandle(ring);
}

IG_EXPORT(gadgetStart) int32_t gadgetStart(void)
{
	say("lifecycle: gadgetStart");
	check_packets();
	check_maps();
	ig_gadgetLog(IG_LOG_INFO, BAD_BUF); /* ignored, not fatal */
	snprintf(msg, sizeof(msg), "ig_abi: %d checks, %d failed", checks, failed);
	say(msg);
	return 0;
}

IG_EXPORT(gadgetStop) int32_t gadgetStop(void)
{
	say("lifecycle: gadgetStop");
	return 0;
}

IG_EXPORT(gadgetPostStop) int32_t gadgetPostStop(void)
{
	say("lifecycle: gadgetPostStop");
	return 0;
}

IG_EXPORT(dataSourceCallback) void dataSourceCallback(uint64_t cb, uint32_t ds, uint32_t data)
{
	if (cb == 7) { /* data of `mine`: the real datasource handle */
		cb_calls++;
		cb_bad_ds += ds != mine && ig_dataSourceIsReferenced(ds) == 2;
#ifdef IG_ABI_ENV
		value_ok = ig_fieldGet(f_u32, data, IG_KIND_UINT32) == 42;
#else
		value_ok = ig_fieldGetScalar(f_u32, data, IG_KIND_UINT32, 0) == 42;
#endif
	} else if (cb == 8) { /* array: drop its first element */
		arr_calls++;
		ig_dataArrayRelease(data, ig_dataArrayGet(data, 0));
	} else if (cb == 9) { /* data on an array: once per element left */
		elem_calls++;
	}
}
