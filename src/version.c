// SPDX-License-Identifier: MIT
/* The build's identity (include/wbpf/version.h); the Makefile passes the
 * values, and rebuilds this file alone when they change. */
#include "wbpf/version.h"

const char *wbpf_version__string(void)
{
	return WBPF_VERSION_STR;
}

const char *wbpf_version__commit(void)
{
	return WBPF_COMMIT_STR;
}

const char *wbpf_version__features(void)
{
	return WBPF_FEATURES_STR;
}
