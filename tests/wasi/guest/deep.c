// SPDX-License-Identifier: MIT
/* Unbounded recursion in C: must trap (call stack exhausted), not crash
 * the host. The locals live in wasm locals, not the shadow stack, so the
 * engine's call depth is what runs out. */
#include <stdio.h>

static volatile int stop;

__attribute__((noinline)) static int deeper(int n)
{
	if (stop)
		return n;
	return deeper(n + 1) * 3 + n;
}

int main(void)
{
	printf("%d\n", deeper(0));
	return 0;
}
