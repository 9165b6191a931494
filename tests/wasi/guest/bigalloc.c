// SPDX-License-Identifier: MIT
/* A large malloc, then a small one: under --max-memory the large one
 * fails with NULL (memory.grow said -1) and the program goes on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the block goes: the compiler may not drop a malloc it sees
 * escape like this. */
static char *volatile kept;

static const char *try(size_t n)
{
	kept = malloc(n);
	if (!kept)
		return "refused";
	memset(kept, 1, n);
	free(kept);
	return "ok";
}

int main(void)
{
	const char *big = try(16u << 20);

	printf("16 MiB: %s, 1 MiB: %s\n", big, try(1u << 20));
	return 0;
}
