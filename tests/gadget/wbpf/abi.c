// SPDX-License-Identifier: MIT
/*
 * Calls every host function of wbpf's operator ABI (gadget/wbpf_op.h)
 * with good and bad handles, pointers, lengths and kinds, on trace_open's
 * gadget. The test opens files named keep_* and drop_*: records of drop_*
 * are dropped by the return value; each kept record gets "tag" and "nums"
 * (an array) set in one call, its fd rewritten in place (WG_MODIFIED),
 * and a record emitted into the operator's own datasource "echo". A timer
 * counts its turns. Each failed check logs "FAIL line N"; the end says
 * "wbpf_abi: N checks, M failed".
 */
#include <stdio.h>
#include <string.h>

#include <gadget/wbpf_op.h>

static int checks, failed, events, timer_turns;
static char msg[200];

#define CHECK(cond)                                                                 \
	do {                                                                        \
		checks++;                                                           \
		if (!(cond)) {                                                      \
			failed++;                                                   \
			snprintf(msg, sizeof(msg), "FAIL line %d: %s", __LINE__, #cond); \
			wg_log(WG_LOG_ERROR, msg);                                  \
		}                                                                   \
	} while (0)

#define BAD_PTR ((void *)0xfffffff0u)

static int32_t open_ds, echo_ds;
static struct wg_field fname, fd, comm, pid, error, tag, nums, e_name, e_pid;
static uint8_t rec[512];

static int error_says(const char *what)
{
	char buf[256];
	int32_t n = wg_last_error(buf, sizeof(buf) - 1);

	if (n < 0)
		return 0;
	buf[n < (int32_t)sizeof(buf) - 1 ? n : (int32_t)sizeof(buf) - 1] = '\0';
	return strstr(buf, what) != NULL;
}

static void init_checks(void)
{
	char buf[64];
	struct wg_field f;

	CHECK(wg_ds("nosuch") == -2 /* ENOENT */ && error_says("no datasource 'nosuch'"));
	CHECK(wg__ds_get(BAD_PTR, 8) < 0 && error_says("bad name"));
	CHECK(wg__ds_get("open", 100000) < 0);
	CHECK((open_ds = wg_ds("open")) > 0);
	CHECK(wg_field(open_ds, "fname", &fname) > 0 && fname.kind == WG_CSTRING &&
	      (fname.flags & WG_FIELD_STATIC) && fname.offs == 44 && fname.size == 256);
	CHECK(wg_field(open_ds, "fd", &fd) > 0 && fd.kind == WG_INT32 && fd.size == 4);
	CHECK(wg_field(open_ds, "comm", &comm) > 0);
	CHECK(wg_field(open_ds, "pid", &pid) > 0 && pid.kind == WG_UINT32);
	CHECK(wg_field(open_ds, "error", &error) > 0 && error.kind == WG_STRING &&
	      !(error.flags & WG_FIELD_STATIC));
	CHECK(wg_field(open_ds, "fname", &f) == fname.h); /* same field, same handle */
	CHECK(wg_field(open_ds, "nosuch", &f) < 0 && error_says("has no field 'nosuch'"));
	CHECK(wg__field_get(9999, "fd", 2, NULL) < 0 && error_says("bad datasource handle"));
	CHECK(wg__field_get(open_ds, "fd", 2, BAD_PTR) < 0 && error_says("info pointer"));
	CHECK(wg_field_add(open_ds, "tag", WG_STRING, &tag) > 0);
	CHECK(wg_field_add(open_ds, "nums", WG_UINT16 | WG_ARRAY, &nums) > 0);
	CHECK(wg_field_add(open_ds, "tag", WG_STRING, &f) < 0);
	CHECK(wg_field_add(open_ds, "bad", 99, &f) < 0 && error_says("bad kind"));
	CHECK(wg_field_add(open_ds, "bad", WG_CSTRING, &f) < 0);
	CHECK(wg_field_hide(9999, 1) < 0 && wg_field_hide(comm.h, 1) == 0 &&
	      wg_field_hide(comm.h, 0) == 0);
	CHECK((echo_ds = wg_ds_new("echo", WG_DS_SINGLE)) > 0);
	CHECK(wg_ds_new("echo", WG_DS_SINGLE) < 0 && error_says("exists"));
	CHECK(wg_ds_new("bad", 7) < 0);
	CHECK(wg_field_add(echo_ds, "name", WG_STRING, &e_name) > 0);
	CHECK(wg_field_add(echo_ds, "pid", WG_UINT32, &e_pid) > 0);
	CHECK(wg_param("path_contains", buf, sizeof(buf)) == 3 && !strcmp(buf, "abc"));
	CHECK(wg_param("path_contains", buf, 1) == 3); /* the length, even when short */
	CHECK(wg_param("nosuch", buf, sizeof(buf)) < 0 && error_says("no param"));
	CHECK(wg__param("comm", 4, BAD_PTR, 16) < 0);
	CHECK(wg_subscribe(9999, 0, rec, sizeof(rec), 1) < 0);
	CHECK(wg_subscribe(open_ds, 0, rec, 8, 1) < 0 && error_says("under the"));
	CHECK(wg_subscribe(open_ds, 0, BAD_PTR, 512, 1) < 0);
	CHECK(wg_subscribe(open_ds, 0, rec, sizeof(rec), 7) == 0);
	CHECK(wg_subscribe(echo_ds, 0, NULL, 0, 8) == 0);
	CHECK(wg_timer(50000000, 3) == 0);
	CHECK(wg_set(1, NULL, 0) < 0 && error_says("only valid in its callback"));
}

WG_EXPORT(gadgetInit) int32_t gadgetInit(void)
{
	init_checks();
	return 0;
}

static int32_t on_echo(int32_t data, uint32_t len)
{
	struct wg_val v[2] = {{(uint32_t)e_name.h, 0, 0}, {(uint32_t)e_pid.h, 0, 0}};
	char buf[300];

	CHECK(len == 0);
	CHECK(wg_get(data, v, 2, buf, sizeof(buf)) > 0 && v[0].len > 5 &&
	      !memcmp(buf, "echo:", 5) && v[1].v > 0);
	return WG_KEEP;
}

static int32_t on_open(int32_t data, uint32_t len)
{
	uint32_t n;
	const char *path = wg_str(&fname, rec, &n);
	static const uint16_t arr[3] = {1, 2, 65535};
	struct wg_val v[3];
	char buf[300], big[300];

	events++;
	CHECK(len >= fname.offs + fname.size); /* the whole record */
	if (!memmem(path, n, "keep_", 5))
		return memmem(path, n, "drop_", 5) ? WG_DROP : WG_KEEP;
	/* several values, one call */
	v[0] = wg_buf(&tag, "kept", 4);
	v[1] = wg_buf(&nums, arr, sizeof(arr));
	CHECK(wg_set(data, v, 2) == 0);
	v[0] = wg_buf(&nums, arr, 3);
	CHECK(wg_set(data, v, 1) < 0 && error_says("whole number of elements"));
	v[0] = wg_buf(&tag, BAD_PTR, 64);
	CHECK(wg_set(data, v, 1) < 0 && error_says("out of bounds"));
	v[0] = (struct wg_val){9999, 0, 0};
	CHECK(wg_set(data, v, 1) < 0 && error_says("bad field handle"));
	v[0] = (struct wg_val){(uint32_t)e_name.h, 0, 0}; /* another datasource's */
	CHECK(wg_set(data, v, 1) < 0);
	CHECK(wg_set(data + 1, v, 1) < 0 && wg_set(data, BAD_PTR, 2) < 0);
	CHECK(wg_set(data, v, 100000) < 0);
	/* read back: static, dynamic, array */
	v[0] = (struct wg_val){(uint32_t)fname.h, 0, 0};
	v[1] = (struct wg_val){(uint32_t)nums.h, 0, 0};
	v[2] = (struct wg_val){(uint32_t)pid.h, 0, 0};
	CHECK(wg_get(data, v, 3, buf, sizeof(buf)) == (int32_t)(n + 6) && v[0].len == n &&
	      !memcmp((void *)(uintptr_t)v[0].v, path, n) && v[1].len == 6 &&
	      !memcmp((void *)(uintptr_t)v[1].v, arr, 6) && v[2].v == wg_u32(&pid, rec));
	CHECK(wg_get(data, v, 3, buf, 4) < 0 && error_says("buffer too small"));
	CHECK(wg_get(data, v, 3, BAD_PTR, 64) < 0);
	/* emit into our own datasource, from inside a callback */
	snprintf(big, sizeof(big), "echo:%.*s", (int)n, path);
	v[0] = wg_buf(&e_name, big, (uint32_t)strlen(big));
	v[1] = wg_scalar(&e_pid, wg_u32(&pid, rec));
	CHECK(wg_emit(echo_ds, v, 2) == 0);
	CHECK(wg_emit(9999, v, 2) < 0);
	v[0] = wg_buf(&tag, "x", 1); /* open's field on echo */
	CHECK(wg_emit(echo_ds, v, 1) < 0);
	/* rewrite an eBPF field in place */
	memcpy(rec + fd.offs, &(int32_t){4242}, 4);
	return WG_MODIFIED;
}

WG_EXPORT(wbpf_gadget_event) int32_t wbpf_gadget_event(uint32_t cookie, int32_t data,
						       uint32_t len)
{
	if (cookie == 8)
		return on_echo(data, len);
	CHECK(cookie == 7);
	return on_open(data, len);
}

WG_EXPORT(wbpf_gadget_timer) void wbpf_gadget_timer(uint32_t cookie)
{
	CHECK(cookie == 3);
	timer_turns++;
}

WG_EXPORT(gadgetStop) int32_t gadgetStop(void)
{
	CHECK(timer_turns >= 2);
	snprintf(msg, sizeof(msg), "wbpf_abi: %d checks, %d failed, %d events, %d timer turns",
		 checks, failed, events, timer_turns);
	wg_log(WG_LOG_INFO, msg);
	return 0;
}
