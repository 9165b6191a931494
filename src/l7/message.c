// SPDX-License-Identifier: MIT
/* wbpf_l7_info helpers shared by every parser (see message.h). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "l7/message.h"

_Static_assert(offsetof(struct wbpf_l7_info, attrs) + sizeof(((struct wbpf_l7_info *)0)->attrs) +
			       8 > sizeof(struct wbpf_l7_info),
	       "attrs[] must stay the record's last field");

/* A parser fills a few short fields of a 12 KiB record: zeroing all of it
 * was most of what a message cost. */
void l7_info__init(struct wbpf_l7_info *info, enum l7_msg_type type)
{
	char *b = (char *)info;

	for (unsigned i = 0; i <= L7_INFO_N_STRINGS; i++) {
		size_t n, at = l7_info__gap(i, &n);

		if (n)
			memset(b + at, 0, n);
		if (i < L7_INFO_N_STRINGS)
			b[l7_info_strings[i].off] = '\0';
	}
	info->type = type;
	info->response_status = L7_STATUS_UNKNOWN;
	info->req_len = -1;
	info->resp_len = -1;
}

int l7_info__add_attr(struct wbpf_l7_info *info, const char *key, size_t key_len, const char *val,
		      size_t val_len)
{
	struct l7_attr *a;

	if (info->n_attrs >= L7_ATTR_MAX)
		return -ENOSPC;
	a = &info->attrs[info->n_attrs++];
	l7_info__set_str(a->key, sizeof(a->key), key, key_len);
	l7_info__set_str(a->val, sizeof(a->val), val, val_len);
	return 0;
}
