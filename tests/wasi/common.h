/* SPDX-License-Identifier: MIT */
/*
 * Shared by the tests/wasi programs, which run natively and as wasm32-wasi
 * and must print the same bytes: errno values differ between Linux and
 * WASI and so do strerror() texts, so errors print as names.
 */
#ifndef WASI_TEST_COMMON_H
#define WASI_TEST_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static inline const char *errname(int e)
{
	switch (e) {
	case 0: return "OK";
	case EACCES: return "EACCES";
	case EBADF: return "EBADF";
	case EEXIST: return "EEXIST";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case EISDIR: return "EISDIR";
	case ELOOP: return "ELOOP";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOENT: return "ENOENT";
	case ENOSYS: return "ENOSYS";
	case ENOTDIR: return "ENOTDIR";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ENOTSUP: return "ENOTSUP";
	case EPERM: return "EPERM";
	case ESPIPE: return "ESPIPE";
	case EXDEV: return "EXDEV";
#ifdef ENOTCAPABLE
	case ENOTCAPABLE: return "ENOTCAPABLE";
#endif
	}
	return "E?";
}

/* Prints what a call returned: "label: OK" or "label: ENAME". */
#define CHECK(label, expr)                                                  \
	do {                                                                \
		errno = 0;                                                  \
		long r_ = (long)(expr);                                     \
		printf("%s: %s\n", (label), r_ < 0 ? errname(errno) : "OK"); \
	} while (0)

/* A deterministic generator: the same numbers on every platform. */
static inline unsigned lcg(unsigned *state)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 8) & 0xffffff;
}

#endif /* WASI_TEST_COMMON_H */
