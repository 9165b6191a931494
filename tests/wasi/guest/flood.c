// SPDX-License-Identifier: MIT
/* Writes to stdout without end: against a reader that stopped reading,
 * the write blocks once the pipe is full, until --timeout. */
#include <string.h>
#include <unistd.h>

int main(void)
{
	static char buf[65536];

	memset(buf, 'x', sizeof(buf));
	for (;;)
		if (write(1, buf, sizeof(buf)) < 0)
			return 1;
}
