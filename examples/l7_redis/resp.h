/* SPDX-License-Identifier: MIT */
/*
 * A RESP (Redis serialization protocol, versions 2 and 3) message reader,
 * shared by the Redis plugin for wbpf's ABI (redis.c) and the one for
 * DeepFlow's (redis_deepflow.c). No allocation; nesting is bounded.
 */
#ifndef L7_EXAMPLE_RESP_H
#define L7_EXAMPLE_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct resp_msg {
	size_t len;	     /* bytes of the whole message */
	bool command;	     /* an array of bulk strings: a client's command */
	char type;	     /* a reply's first byte: + - : $ * and RESP3's */
	char cmd[32];	     /* the command name, upper case */
	char line[256];	     /* command and arguments, space-separated, cut to fit */
	char text[256];	     /* a reply: its simple string, error or integer */
};

#define RESP_OK 1
#define RESP_MORE 0	/* a prefix of a message: wait for more */
#define RESP_BAD (-1)	/* not RESP */

/* Reads the first message of [p, p+n). */
int resp_read(const uint8_t *p, size_t n, struct resp_msg *m);
/* Whether [p, p+n) starts like a RESP command (a client's first bytes). */
bool resp_looks_like_command(const uint8_t *p, size_t n);

#endif
