// SPDX-License-Identifier: MIT
/* wbpf_l7_info helpers shared by every parser (see message.h). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "l7/message.h"

void l7_info__init(struct wbpf_l7_info *info, enum l7_msg_type type)
{
	const size_t attrs_end = offsetof(struct wbpf_l7_info, attrs) + sizeof(info->attrs);

	/* attrs[n_attrs..] are never read: leaving them is 3/4 of the
	 * record's size not written for every message. */
	memset(info, 0, offsetof(struct wbpf_l7_info, attrs));
	memset((char *)info + attrs_end, 0, sizeof(*info) - attrs_end);
	info->type = type;
	info->response_status = L7_STATUS_UNKNOWN;
	info->req_len = -1;
	info->resp_len = -1;
}

void l7_info__set_str(char *dst, size_t dst_size, const char *s, size_t len)
{
	if (!dst_size)
		return;
	if (len >= dst_size)
		len = dst_size - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
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
