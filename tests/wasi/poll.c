// SPDX-License-Identifier: MIT
/* poll() (poll_oneoff): readiness of stdin and files, timeouts. */
//! stdin: self
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

int main(void)
{
	struct pollfd p[2] = {{.fd = 0, .events = POLLIN}, {.fd = 1, .events = POLLOUT}};
	long long t0;
	char buf[16];
	int fd, n;

	/* One at a time: the pipe may still be empty when the file is
	 * already writable. */
	n = poll(&p[0], 1, 5000);
	printf("stdin pipe: %d ready, POLLIN %d\n", n, !!(p[0].revents & POLLIN));
	n = poll(&p[1], 1, 5000);
	printf("stdout file: %d ready, POLLOUT %d\n", n, !!(p[1].revents & POLLOUT));
	fd = open("f.txt", O_RDWR | O_CREAT, 0644);
	write(fd, "abc", 3);
	p[0] = (struct pollfd){.fd = fd, .events = POLLIN | POLLOUT};
	printf("file ready: %d, in %d out %d\n", poll(p, 1, 0), !!(p[0].revents & POLLIN),
	       !!(p[0].revents & POLLOUT));
	t0 = ms_now();
	printf("poll(no fds, 50ms): %d\n", poll(NULL, 0, 50));
	printf("slept >= 50ms: %d\n", ms_now() - t0 >= 50);
	close(fd);
	p[0] = (struct pollfd){.fd = fd, .events = POLLIN};
	n = poll(p, 1, 0);
	printf("closed fd: %d POLLNVAL %d\n", n, !!(p[0].revents & POLLNVAL));
	printf("read stdin: %zd\n", read(0, buf, sizeof(buf)));
	return 0;
}
