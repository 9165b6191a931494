// SPDX-License-Identifier: MIT
/*
 * Opens a FIFO as a native program would (blocking open), then:
 *   fifo_open PATH r    says "opened", reads it and prints what it read
 *   fifo_open PATH w    writes "hello\n" to it
 * With nobody at the other end the open blocks, until --timeout.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[64];
	ssize_t n;
	int fd;

	if (argc != 3)
		return 2;
	fd = open(argv[1], argv[2][0] == 'w' ? O_WRONLY : O_RDONLY);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	if (argv[2][0] == 'w')
		return write(fd, "hello\n", 6) == 6 ? 0 : 1;
	/* Unbuffered: the test looks for it while the writer is silent. */
	if (write(1, "opened\n", 7) != 7)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return 1;
	buf[n] = '\0';
	printf("read: %s", buf);
	return 0;
}
