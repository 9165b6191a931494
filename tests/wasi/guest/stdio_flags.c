// SPDX-License-Identifier: MIT
/*
 * Changes the file status flags of its standard streams, as a guest
 * may: stdin non-blocking, stdout append, stderr both. Run with stdin
 * an empty pipe that has a writer and stdout a file holding
 * "0123456789" at offset 0. Prints what it sees: the flags now set, that
 * a read of stdin no longer waits, and appends a line to stdout. The
 * caller's own descriptions must not change.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void show(const char *name, int fd)
{
	int fl = fcntl(fd, F_GETFL);

	fprintf(stderr, "%s:%s%s\n", name, fl & O_NONBLOCK ? " nonblock" : "",
		fl & O_APPEND ? " append" : "");
}

int main(void)
{
	char buf[8];
	ssize_t n;

	if (fcntl(0, F_SETFL, O_NONBLOCK) || fcntl(1, F_SETFL, O_APPEND) ||
	    fcntl(2, F_SETFL, O_NONBLOCK | O_APPEND)) {
		perror("F_SETFL");
		return 1;
	}
	show("stdin", 0);
	show("stdout", 1);
	show("stderr", 2);
	n = read(0, buf, sizeof(buf));
	fprintf(stderr, "read: %s\n", n < 0 && errno == EAGAIN ? "EAGAIN" : "did not fail");
	if (write(1, "appended\n", 9) != 9)
		return 1;
	return 0;
}
