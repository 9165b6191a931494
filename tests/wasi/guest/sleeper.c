// SPDX-License-Identifier: MIT
/* Sleeps far longer than any test waits: --timeout must cut the sleep. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	sleep(30);
	printf("woke up: the timeout did not interrupt the sleep\n");
	return 0;
}
