// SPDX-License-Identifier: MIT
/* Recursion argv[1] calls deep, in wasm locals only (no shadow stack):
 * what --max-stack allows. */
#include <stdio.h>
#include <stdlib.h>

static volatile int bias;

__attribute__((noinline)) static long down(long n)
{
	if (n <= 0)
		return bias;
	return down(n - 1) * 3 % 1000003 + n;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;

	printf("depth %ld: %ld\n", n, down(n));
	return 0;
}
