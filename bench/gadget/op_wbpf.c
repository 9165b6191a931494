// SPDX-License-Identifier: MIT
/* The bench operator on wbpf's own ABI: the same work as op_ig.c (two
 * fields read, an added one set), with the record read in place and one
 * host call. */
#include <gadget/wbpf_op.h>

static struct wg_field seq, arg, mix;
static uint8_t rec[256];

WG_EXPORT(gadgetInit) int32_t gadgetInit(void)
{
	int32_t ds = wg_ds("flood");

	if (ds < 0 || wg_field(ds, "seq", &seq) < 0 || wg_field(ds, "arg", &arg) < 0 ||
	    wg_field_add(ds, "mix", WG_UINT64, &mix) < 0)
		return 1;
	return wg_subscribe(ds, 0, rec, sizeof(rec), 0) < 0;
}

WG_EXPORT(wbpf_gadget_event) int32_t wbpf_gadget_event(uint32_t cookie, int32_t data,
						       uint32_t len)
{
	struct wg_val v = wg_scalar(&mix, wg_u64(&seq, rec) ^ wg_u64(&arg, rec));

	(void)cookie, (void)len;
	wg_set(data, &v, 1);
	return WG_KEEP;
}
