/* SPDX-License-Identifier: MIT */
/* The two ends of a TCP connection on 127.0.0.1, for the socket source's
 * benchmarks (sockcall.c, ringcost.c): fd[0] connected, fd[1] accepted,
 * Nagle off on fd[0] so each write goes out at once. 0, or -1. */
#ifndef WBPF_BENCH_TCP_PAIR_H
#define WBPF_BENCH_TCP_PAIR_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

static int tcp_pair(int fd[2])
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		return -1;
	fd[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (fd[0] < 0 || connect(fd[0], (struct sockaddr *)&a, sizeof(a)))
		return -1;
	fd[1] = accept(l, NULL, NULL);
	close(l);
	setsockopt(fd[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd[1] < 0 ? -1 : 0;
}

#endif
