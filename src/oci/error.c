// SPDX-License-Identifier: MIT
/* One-line error messages of the OCI layer. */
#include <stdio.h>

#include "oci/internal.h"

int oci_err(struct wbpf_oci_error *err, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return ret;
}
