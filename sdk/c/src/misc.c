// SPDX-License-Identifier: MIT
/* libbpf's process-wide helpers that ported tools call. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* libbpf's warnings come from the host's libbpf, which the runner
 * prints; there is nothing for a guest-side printer to receive. */
libbpf_print_fn_t libbpf_set_print(libbpf_print_fn_t fn)
{
	(void)fn;
	return NULL;
}

long libbpf_get_error(const void *ptr)
{
	return ptr ? 0 : -errno;
}

int libbpf_strerror(int err, char *buf, size_t size)
{
	if (!buf || !size)
		return sdk_fail(EINVAL);
	snprintf(buf, size, "%s", strerror(err < 0 ? -err : err));
	return 0;
}
