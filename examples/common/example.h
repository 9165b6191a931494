/* SPDX-License-Identifier: MIT */
/*
 * Guest-side helpers the examples share: how long to run and how output
 * leaves. WASI has no signals, so a run ends after `-d SECONDS` (or when
 * the runner stops the module).
 */
#ifndef EXAMPLES_EXAMPLE_H
#define EXAMPLES_EXAMPLE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Longest wait of one poll, so the deadline is noticed promptly. */
#define EXAMPLE_POLL_MS 100

static inline uint64_t example_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Line-buffered stdout: a test reading the pipe sees each event as it
 * happens, and nothing is lost when the run is cut short. */
static inline void example_init_output(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* SECONDS (fractions allowed) from argv into milliseconds. */
static inline int example_parse_ms(const char *arg, uint64_t *ms)
{
	char *end;
	double s = strtod(arg, &end);

	if (end == arg || *end || !(s >= 0.001) || s > 86400.0 * 365) {
		fprintf(stderr, "bad duration '%s': want seconds >= 0.001\n", arg);
		return -EINVAL;
	}
	*ms = (uint64_t)(s * 1000);
	return 0;
}

/* "-d SECONDS" into an absolute deadline in ms. */
static inline int example_parse_deadline(const char *arg, uint64_t *deadline)
{
	uint64_t ms;
	int err = example_parse_ms(arg, &ms);

	if (!err)
		*deadline = example_now_ms() + ms;
	return err;
}

/* A deadline of 0 means "run until stopped". */
static inline bool example_expired(uint64_t deadline)
{
	return deadline && example_now_ms() >= deadline;
}

/* The outcome of a poll loop: a count is success, and so is -EINTR
 * (the runner is stopping the module). */
static inline int example_poll_status(int err)
{
	return err < 0 && err != -EINTR ? err : 0;
}

/* Digits only, fitting in 32 bits: a pid or a uid from argv. */
static inline int example_parse_u32(const char *arg, uint32_t *out)
{
	char *end;
	unsigned long v;

	/* strtoul alone would take "-1" or " 7". */
	if (*arg < '0' || *arg > '9')
		end = (char *)arg;
	else {
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || v > UINT32_MAX)
			end = (char *)arg;
	}
	if (end == arg || *end) {
		fprintf(stderr, "bad number '%s'\n", arg);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

#endif /* EXAMPLES_EXAMPLE_H */
