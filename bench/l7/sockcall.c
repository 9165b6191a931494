// SPDX-License-Identifier: MIT
/* What one traced socket call costs the process making it, free of the
 * neighbours' load: one process writes SIZE bytes into one end of a TCP
 * connection on 127.0.0.1 and reads them from the other, N times, and
 * prints the CPU time (user + system, getrusage) per call in ns. Run by
 * bench/l7/socket.sh without and with the socket source attached. With
 * `getppid` for SIZE it times N getppid() calls instead: what a system
 * call the source does not trace pays for its hooks; with `close`, N
 * opens and closes of a file (a web server closes the file it served
 * once a request), per pair. With PIECES, each message is written by one
 * writev(2) of that many iovecs of about equal size (nginx writes a reply's
 * header and body so).
 *
 *   sockcall N SIZE [PIECES]
 *   sockcall N getppid|close */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tcp_pair.h"

#define PIECES_MAX 16

static double cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

/* The raw system call: glibc answers getppid() itself on some systems. */
static int untraced_calls(long n, int close_file)
{
	double t0 = cpu_ns();

	for (long i = 0; i < n; i++) {
		int fd;

		if (!close_file) {
			syscall(SYS_getppid);
			continue;
		}
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return perror("sockcall: /dev/null"), 1;
		close(fd);
	}
	printf("%.0f\n", (cpu_ns() - t0) / (double)n);
	return 0;
}

/* One message of size bytes from buf: write(2), or writev(2) of `pieces`
 * iovecs. */
static ssize_t send_message(int fd, char *buf, long size, int pieces)
{
	struct iovec v[PIECES_MAX];
	long at = 0;

	if (pieces == 1)
		return write(fd, buf, (size_t)size);
	for (int i = 0; i < pieces; i++) {
		long n = (size - at) / (pieces - i);

		v[i] = (struct iovec){.iov_base = buf + at, .iov_len = (size_t)n};
		at += n;
	}
	return writev(fd, v, pieces);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0, size = argc > 2 ? atol(argv[2]) : 0;
	int pieces = argc > 3 ? atoi(argv[3]) : 1;
	char *buf;
	int fd[2];
	double t0;

	if (n > 0 && argc > 2 && (!strcmp(argv[2], "getppid") || !strcmp(argv[2], "close")))
		return untraced_calls(n, !strcmp(argv[2], "close"));
	buf = malloc(size > 0 ? (size_t)size : 1);
	if (n <= 0 || size <= 0 || size > (1 << 20) || pieces < 1 || pieces > PIECES_MAX ||
	    pieces > size || !buf) {
		fprintf(stderr, "usage: sockcall N SIZE [PIECES] (SIZE up to 1 MiB, PIECES up to %d) | "
				"sockcall N getppid|close\n",
			PIECES_MAX);
		return 2;
	}
	if (tcp_pair(fd)) {
		perror("sockcall: loopback connection");
		return 1;
	}
	memset(buf, 'x', (size_t)size);
	t0 = cpu_ns();
	for (long i = 0; i < n; i++) {
		ssize_t got = 0;

		if (send_message(fd[0], buf, size, pieces) != size)
			return perror("sockcall: write"), 1;
		while (got < size) {
			ssize_t r = read(fd[1], buf + got, (size_t)(size - got));

			if (r <= 0)
				return perror("sockcall: read"), 1;
			got += r;
		}
	}
	printf("%.0f\n", (cpu_ns() - t0) / (2.0 * n));
	return 0;
}
