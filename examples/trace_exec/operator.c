// SPDX-License-Identifier: MIT
/*
 * trace_exec's operator, on wbpf's own ABI (gadget/wbpf_op.h): the
 * NUL-separated argv bytes the BPF side copies become an "argv" array of
 * strings and an "args" string (arguments joined by spaces); the raw
 * buffer is hidden. The record is read in place: one host call per event.
 */
#include <gadget/wbpf_op.h>

#define ARGS_LEN 256
#define REC_MAX 1024

static struct wg_field args_buf, args_size, argv, args;
static uint8_t rec[REC_MAX];

WG_EXPORT(gadgetInit) int32_t gadgetInit(void)
{
	int32_t ds = wg_ds("exec");

	if (ds < 0 || wg_field(ds, "args_buf", &args_buf) < 0 ||
	    wg_field(ds, "args_size", &args_size) < 0 ||
	    wg_field_add(ds, "argv", WG_STRING | WG_ARRAY, &argv) < 0 ||
	    wg_field_add(ds, "args", WG_STRING, &args) < 0) {
		wg_log(WG_LOG_ERROR, "trace_exec: fields missing");
		return 1;
	}
	wg_field_hide(args_buf.h, 1);
	return wg_subscribe(ds, 0, rec, sizeof(rec), 0) < 0;
}

WG_EXPORT(wbpf_gadget_event) int32_t wbpf_gadget_event(uint32_t cookie, int32_t data,
						       uint32_t len)
{
	const uint8_t *raw = wg_bytes(&args_buf, rec);
	uint32_t n = wg_u32(&args_size, rec);
	char joined[ARGS_LEN];
	struct wg_val vals[2];

	(void)cookie, (void)len;
	if (n > ARGS_LEN)
		n = ARGS_LEN;
	while (n && !raw[n - 1]) /* the last argument's NUL */
		n--;
	for (uint32_t i = 0; i < n; i++)
		joined[i] = raw[i] ? (char)raw[i] : ' ';
	vals[0] = wg_buf(&argv, raw, n);
	vals[1] = wg_buf(&args, joined, n);
	wg_set(data, vals, 2);
	return WG_KEEP;
}
