// SPDX-License-Identifier: MIT
/* Arguments and environment as the guest sees them. */
//! args: one "two words" "" --flag=3 ünïcode
//! env: FOO=bar EMPTY= WITH_EQ=a=b=c
#include <string.h>

#include "common.h"

extern char **environ;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	char *env[256];
	size_t n = 0;

	printf("argc %d\n", argc);
	for (int i = 1; i < argc; i++)
		printf("argv[%d] = '%s' (%zu bytes)\n", i, argv[i], strlen(argv[i]));
	printf("argv[argc] is NULL: %d\n", argv[argc] == NULL);
	printf("FOO=%s\n", getenv("FOO") ? getenv("FOO") : "(unset)");
	printf("EMPTY=%s\n", getenv("EMPTY") ? getenv("EMPTY") : "(unset)");
	printf("UNSET=%s\n", getenv("UNSET") ? getenv("UNSET") : "(unset)");
	for (char **e = environ; *e && n < 256; e++)
		env[n++] = *e;
	qsort(env, n, sizeof(env[0]), cmp_str);
	for (size_t i = 0; i < n; i++)
		printf("env: %s\n", env[i]);
	setenv("NEW", "value", 1);
	printf("after setenv: %s\n", getenv("NEW"));
	return argc;
}
