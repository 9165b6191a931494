/* SPDX-License-Identifier: MIT */
/*
 * A tiny test framework for the engine's unit tests.
 *
 * A test file lists its tests in a table and ends with CHECK_MAIN(table).
 * CHECK* macros count failures and return whether they held, so a test can
 * stop early (`if (!CHECK(mod)) return;`) instead of dereferencing NULL.
 * Every test runs in a forked child (see check.c): a crash, a hang or a
 * sanitizer report in the engine fails that test alone and names it.
 */
#ifndef WBPF_TEST_CHECK_H
#define WBPF_TEST_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct check_test {
	const char *name;
	void (*fn)(void);
};

bool check_report(bool ok, const char *expr, const char *file, int line);
bool check_eq(uint64_t a, uint64_t b, const char *ea, const char *eb, const char *file,
	      int line);
bool check_has(const char *hay, const char *needle, const char *ehay, const char *file,
	       int line);
int check_run(const struct check_test *tests, size_t n, int argc, char **argv);

#define CHECK(cond) check_report(!!(cond), #cond, __FILE__, __LINE__)
/* Integers of any width compared as 64-bit patterns; both printed on failure. */
#define CHECK_EQ(a, b) check_eq((uint64_t)(a), (uint64_t)(b), #a, #b, __FILE__, __LINE__)
/* `hay` (may be NULL) contains `needle`. */
#define CHECK_HAS(hay, needle) check_has((hay), (needle), #hay, __FILE__, __LINE__)

#define CHECK_MAIN(table)                                                         \
	int main(int argc, char **argv)                                           \
	{                                                                         \
		return check_run(table, sizeof(table) / sizeof((table)[0]), argc, \
				 argv);                                           \
	}

#endif
