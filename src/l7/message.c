// SPDX-License-Identifier: MIT
/* wbpf_l7_info helpers shared by every parser (see message.h). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "l7/message.h"

_Static_assert(offsetof(struct wbpf_l7_info, attrs) + sizeof(((struct wbpf_l7_info *)0)->attrs) +
			       8 > sizeof(struct wbpf_l7_info),
	       "attrs[] must stay the record's last field");

#define STR_SIZE(f) +sizeof(((struct wbpf_l7_info *)0)->f)
#define NUMBERS offsetof(struct wbpf_l7_info, protocol_str)
_Static_assert(NUMBERS + (0 L7_INFO_STRINGS(STR_SIZE)) == offsetof(struct wbpf_l7_info, attrs),
	       "the record's strings must sit together between its numbers and attrs[]");

/* A parser fills a few short fields of a 12 KiB record: zeroing all of it
 * was most of what a message cost. Field by field, not by walking
 * l7_info_strings: a loop over the table was not unrolled, and its
 * bookkeeping cost more than the stores. */
void l7_info__init(struct wbpf_l7_info *info, enum l7_msg_type type)
{
	memset(info, 0, NUMBERS);
#define CLEAR(f) info->f[0] = '\0';
	L7_INFO_STRINGS(CLEAR)
#undef CLEAR
	info->type = type;
	info->response_status = L7_STATUS_UNKNOWN;
	info->req_len = -1;
	info->resp_len = -1;
}

void l7_info__copy(struct wbpf_l7_info *dst, const struct wbpf_l7_info *src)
{
	unsigned n = src->n_attrs < L7_ATTR_MAX ? src->n_attrs : L7_ATTR_MAX;

	memcpy(dst, src, NUMBERS);
#define COPY(f)                                                                              \
	if (src->f[0])                                                                       \
		l7_str_copy(dst->f, src->f, sizeof(dst->f));                                \
	else                                                                                 \
		dst->f[0] = '\0'; /* most are empty */
	L7_INFO_STRINGS(COPY)
#undef COPY
	for (unsigned i = 0; i < n; i++) {
		l7_str_copy(dst->attrs[i].key, src->attrs[i].key, sizeof(dst->attrs[i].key));
		l7_str_copy(dst->attrs[i].val, src->attrs[i].val, sizeof(dst->attrs[i].val));
	}
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
