// SPDX-License-Identifier: MIT
/* Calls libc's getenv() on each argument: the event the uprobe example
 * must report. Prints what it got, for the test's log. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *value = getenv(argv[i]);

		printf("%s=%s\n", argv[i], value ? value : "(unset)");
	}
	return 0;
}
