// SPDX-License-Identifier: MIT
/*
 * The guest side of the `wbpf_l7` ABI (docs/abi-l7.md): the context region
 * the host writes into before every hook, and configuration lookups.
 */
#include <stdlib.h>
#include <string.h>

#include "wbpf/l7_plugin.h"

static void *region;
static size_t region_cap;

/* The host asks for room before a hook whose context does not fit; 0
 * tells it there is none. */
__attribute__((export_name("wbpf_l7_buffer"))) void *wbpf_l7_buffer(uint32_t size)
{
	void *p;

	if (size <= region_cap)
		return region;
	if (!(p = realloc(region, size)))
		return NULL;
	region = p;
	region_cap = size;
	return region;
}

const struct wbpf_l7_ctx *wbpf_l7_context(void)
{
	return region;
}

const char *wbpf_l7_config(const char *key, char *buf, size_t cap)
{
	int n = wbpf_l7_config_raw(key, (uint32_t)strlen(key), buf, cap ? (uint32_t)cap - 1 : 0);

	if (n < 0 || !cap)
		return NULL;
	buf[(size_t)n < cap - 1 ? (size_t)n : cap - 1] = '\0';
	return buf;
}

int wbpf_l7_config_uint(const char *key, unsigned long max, unsigned long *v)
{
	char buf[24], *end;
	unsigned long n;

	if (!wbpf_l7_config(key, buf, sizeof(buf)))
		return 0;
	n = strtoul(buf, &end, 10);
	if (!buf[0] || *end || buf[0] == '-' || n == 0 || n > max)
		return -1;
	*v = n;
	return 1;
}
