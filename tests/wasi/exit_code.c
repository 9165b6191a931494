// SPDX-License-Identifier: MIT
/* Exit status: exit() with buffered output and atexit handlers. */
#include <stdlib.h>

#include "common.h"

static void bye(void)
{
	printf("atexit handler ran\n");
}

int main(void)
{
	atexit(bye);
	printf("buffered output before exit(");
	fprintf(stderr, "on stderr\n");
	printf("42)\n");
	exit(42);
}
