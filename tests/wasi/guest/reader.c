// SPDX-License-Identifier: MIT
/* Blocks reading stdin (a pipe nobody writes to) until --timeout. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	char buf[16];

	printf("read returned %zd\n", read(0, buf, sizeof(buf)));
	return 0;
}
