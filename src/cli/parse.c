// SPDX-License-Identifier: MIT
/* Option values shared by the wbpf subcommands. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"

int cli_parse_u64(const char *s, uint64_t *out)
{
	char *end;

	/* strtoull accepts "-1" and wraps it; nobody means that. */
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

/* A number with an optional fraction, then a unit. */
static int parse_scaled(const char *s, double *num, const char **unit)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	*num = strtod(s, &end);
	if (errno || end == s || !isfinite(*num))
		return -EINVAL;
	*unit = end;
	return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	static const char *const units[] = {"", "k", "m", "g", "t"};
	const char *unit;
	double num, scale = 1;
	size_t i, n = sizeof(units) / sizeof(units[0]);

	if (parse_scaled(s, &num, &unit))
		return -EINVAL;
	for (i = 0; i < n; i++, scale *= 1024) {
		size_t len = strlen(units[i]);

		if (strncasecmp(unit, units[i], len))
			continue;
		if (!strcasecmp(unit + len, "") || !strcasecmp(unit + len, "b") ||
		    (len && !strcasecmp(unit + len, "ib")))
			break;
	}
	if (i == n || num * scale >= 18446744073709551616.0)
		return -EINVAL;
	*out = (uint64_t)(num * scale);
	return 0;
}

int cli_parse_duration(const char *s, uint64_t *out_ns)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {
		{"", 1e9}, {"s", 1e9}, {"ms", 1e6}, {"us", 1e3}, {"ns", 1},
		{"m", 60e9}, {"min", 60e9}, {"h", 3600e9},
	};
	const char *unit;
	double num;

	if (parse_scaled(s, &num, &unit))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].unit))
			continue;
		if (num * units[i].ns >= 18446744073709551616.0)
			return -EINVAL;
		*out_ns = (uint64_t)(num * units[i].ns);
		return 0;
	}
	return -EINVAL;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "wbpf %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'wbpf %s --help')\n", cmd);
	return CLI_EXIT_USAGE;
}
