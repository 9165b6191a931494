/* SPDX-License-Identifier: MIT */
/*
 * A minimal check harness for the test guests: one "ok"/"FAIL" line per
 * check on stdout, a summary, and the exit status the test script reads.
 */
#ifndef E2E_CHECK_H
#define E2E_CHECK_H

#include <stdio.h>

/* Linux errno values, as the host returns them (wasi-libc's differ). */
enum {
	L_EPERM = 1,
	L_ENOENT = 2,
	L_EINTR = 4,
	L_E2BIG = 7,
	L_EBADF = 9,
	L_ENOMEM = 12,
	L_EFAULT = 14,
	L_EBUSY = 16,
	L_EINVAL = 22,
	L_ENAMETOOLONG = 36,
	L_EOPNOTSUPP = 95,
};

struct checks {
	int run;
	int failed;
};

static struct checks checks;

static inline void check_that(const char *what, int ok, long long got)
{
	checks.run++;
	if (ok) {
		printf("ok %s\n", what);
		return;
	}
	checks.failed++;
	printf("FAIL %s (got %lld)\n", what, got);
}

#define CHECK_EQ(what, got, want)                          \
	do {                                               \
		long long got_ = (long long)(got);         \
		check_that(what, got_ == (long long)(want), got_); \
	} while (0)
#define CHECK_TRUE(what, cond) check_that(what, (cond) != 0, 0)
/* A handle or count: success. */
#define CHECK_OK(what, got)                         \
	do {                                        \
		long long got_ = (long long)(got);  \
		check_that(what, got_ >= 0, got_);  \
	} while (0)
/* Any error: for host results the ABI leaves open. */
#define CHECK_ERR(what, got)                        \
	do {                                        \
		long long got_ = (long long)(got);  \
		check_that(what, got_ < 0, got_);   \
	} while (0)

static inline int checks_summary(const char *suite)
{
	printf("%s: %d/%d checks passed\n", suite, checks.run - checks.failed, checks.run);
	return checks.failed ? 1 : 0;
}

#endif /* E2E_CHECK_H */
