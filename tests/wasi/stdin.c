// SPDX-License-Identifier: MIT
/* Reads all of stdin (fed a file): counts lines, words and bytes, echoes
 * the first lines upper-cased, and finds the longest line. */
//! stdin: self
#include <ctype.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

int main(void)
{
	char line[4096];
	long lines = 0, words = 0, bytes = 0, longest = 0;
	int c, in_word = 0;

	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (char *p = line; *p; p++)
		putchar(toupper((unsigned char)*p));
	lines = 1;
	bytes = (long)strlen(line);
	longest = bytes;
	for (long cur = 0; (c = getchar()) != EOF;) {
		bytes++;
		cur++;
		if (c == '\n') {
			lines++;
			longest = cur > longest ? cur : longest;
			cur = 0;
		}
		if (isspace(c))
			in_word = 0;
		else if (!in_word)
			in_word = 1, words++;
	}
	printf("lines %ld words %ld bytes %ld longest %ld\n", lines, words, bytes, longest);
	printf("eof: %d, error: %d\n", feof(stdin), ferror(stdin));
	printf("read after eof: %zd\n", read(0, line, sizeof(line)));
	fprintf(stderr, "stderr: done\n");
	return 0;
}
