/* SPDX-License-Identifier: MIT */
/* Helpers shared by the tests of tests/bpf. */
#ifndef WBPF_TESTS_BPF_UTIL_H
#define WBPF_TESTS_BPF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

extern int failures;

#define CHECK(cond)                                                                \
	((cond) ? true                                                             \
		: (fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, \
			   #cond),                                                 \
		   failures++, false))
#define CHECK_EQ(a, b)                                                              \
	({                                                                          \
		long long a_ = (long long)(a), b_ = (long long)(b);                 \
		if (a_ != b_) {                                                     \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
				__FILE__, __LINE__, #a, a_, #b, b_);                \
			failures++;                                                 \
		}                                                                   \
		a_ == b_;                                                           \
	})

struct test {
	const char *name;
	void (*fn)(void);
};

/* The whole file, malloc'ed; NULL on error. */
void *read_file(const char *path, size_t *size);
int count_fds(void);
/* Makes the probes' tracepoints fire n times in this process. */
void hit_tracepoints(int n);
/* Root check, tracefs, then each test; fails if fds were left open. */
int run_tests(const char *suite, const struct test *tests, size_t n);

#endif
