// SPDX-License-Identifier: MIT
/* A DNS client that sends its queries in one sendmmsg() call and takes
 * the answers with recvmmsg(), on an unconnected UDP socket: the calls
 * that carry several messages each, with each message's peer in its own
 * msg_name (tests/l7/socket.sh checks their records against tshark's).
 *
 *   mmsg_dns SERVER-IPv4 NAME TYPE [NAME TYPE]...   (TYPE: A or AAAA; up to 8)
 *
 * Exits 0 once every query is answered, 1 on a timeout or error. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_QUERIES 8
#define QUERY_MAX 512

/* A query for name (dotted) and type into q: its length, 0 if it does not fit. */
static size_t make_query(uint8_t *q, uint16_t id, const char *name, uint16_t type)
{
	size_t n = 12;

	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[2] = 0x01; /* recursion desired */
	q[5] = 1;    /* one question */
	while (*name) {
		size_t label = strcspn(name, ".");

		if (!label || label > 63 || n + label + 6 > QUERY_MAX)
			return 0;
		q[n++] = (uint8_t)label;
		memcpy(q + n, name, label);
		n += label;
		name += label + (name[label] == '.');
	}
	q[n++] = 0;
	q[n++] = (uint8_t)(type >> 8);
	q[n++] = (uint8_t)type;
	q[n++] = 0;
	q[n++] = 1; /* class IN */
	return n;
}

int main(int argc, char **argv)
{
	static uint8_t queries[MAX_QUERIES][QUERY_MAX], answers[MAX_QUERIES][QUERY_MAX];
	struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons(53)}, from[MAX_QUERIES];
	struct mmsghdr out[MAX_QUERIES], in[MAX_QUERIES];
	struct iovec out_iov[MAX_QUERIES], in_iov[MAX_QUERIES];
	int n = (argc - 2) / 2, got = 0, fd;

	if (argc < 4 || argc % 2 || n > MAX_QUERIES || inet_pton(AF_INET, argv[1], &server.sin_addr) != 1) {
		fprintf(stderr, "usage: mmsg_dns SERVER-IPv4 NAME A|AAAA [NAME A|AAAA]... (up to %d)\n",
			MAX_QUERIES);
		return 2;
	}
	memset(out, 0, sizeof(out));
	for (int i = 0; i < n; i++) {
		uint16_t type = strcmp(argv[3 + 2 * i], "AAAA") ? 1 : 28;

		out_iov[i].iov_base = queries[i];
		out_iov[i].iov_len = make_query(queries[i], (uint16_t)(0x4d00 + i), argv[2 + 2 * i], type);
		if (!out_iov[i].iov_len) {
			fprintf(stderr, "mmsg_dns: bad name '%s'\n", argv[2 + 2 * i]);
			return 2;
		}
		out[i].msg_hdr = (struct msghdr){.msg_name = &server, .msg_namelen = sizeof(server),
						 .msg_iov = &out_iov[i], .msg_iovlen = 1};
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || sendmmsg(fd, out, (unsigned)n, 0) != n) {
		perror("mmsg_dns: sendmmsg");
		return 1;
	}
	while (got < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r;

		if (poll(&p, 1, 2000) != 1) {
			fprintf(stderr, "mmsg_dns: %d of %d answers\n", got, n);
			return 1;
		}
		memset(in, 0, sizeof(in));
		for (int i = got; i < n; i++) {
			in_iov[i] = (struct iovec){.iov_base = answers[i], .iov_len = QUERY_MAX};
			in[i - got].msg_hdr = (struct msghdr){.msg_name = &from[i], .msg_namelen = sizeof(from[i]),
							      .msg_iov = &in_iov[i], .msg_iovlen = 1};
		}
		r = recvmmsg(fd, in, (unsigned)(n - got), MSG_WAITFORONE, NULL);
		if (r <= 0) {
			perror("mmsg_dns: recvmmsg");
			return 1;
		}
		got += r;
	}
	close(fd);
	return 0;
}
