/* SPDX-License-Identifier: MIT */
/*
 * Shared scaffolding for the benchmark kernels. Each kernel repeats one
 * fixed unit of work `reps` times; every repetition must produce the same
 * checksum, which is compared with a constant, so the check does not depend
 * on the scale. The scale comes from argv[1] or BENCH_SCALE (default 1).
 *
 * Output, on stdout:
 *   NAME: checksum=0x... reps=N ok
 *   bench-seconds: S          (time of the repetitions only)
 * Exit status 1 when a checksum or self-test fails.
 */
#ifndef BENCH_KERNEL_H
#define BENCH_KERNEL_H

#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct bench {
	const char *name;
	long reps;
	long done;
	uint64_t first;
	int failed;
	struct timespec t0;
};

static inline double bench__now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void bench_begin(struct bench *b, const char *name, int argc, char **argv,
			       long base_reps)
{
	const char *s = argc > 1 ? argv[1] : getenv("BENCH_SCALE");
	double scale = s ? strtod(s, NULL) : 1.0;

	if (!(scale > 0))
		scale = 1.0;
	b->name = name;
	b->reps = (long)(base_reps * scale + 0.5);
	if (b->reps < 1)
		b->reps = 1;
	b->done = 0;
	b->first = 0;
	b->failed = 0;
}

/* Called right before the timed loop, after input generation. */
static inline void bench_start(struct bench *b)
{
	clock_gettime(CLOCK_MONOTONIC, &b->t0);
}

/* A failed self-test (known vector, reference implementation). */
static inline void bench_fail(struct bench *b, const char *what)
{
	fprintf(stderr, "%s: self-test failed: %s\n", b->name, what);
	b->failed = 1;
}

/* Records one repetition's checksum; all must agree. */
static inline void bench_rep(struct bench *b, uint64_t sum)
{
	if (b->done++ == 0)
		b->first = sum;
	else if (sum != b->first && !b->failed)
		bench_fail(b, "repetitions disagree");
}

static inline int bench_end(struct bench *b, uint64_t expected)
{
	struct timespec t1;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - b->t0.tv_sec) + (double)(t1.tv_nsec - b->t0.tv_nsec) * 1e-9;
	if (b->first != expected) {
		fprintf(stderr, "%s: checksum 0x%016" PRIx64 ", expected 0x%016" PRIx64 "\n",
			b->name, b->first, expected);
		b->failed = 1;
	}
	printf("%s: checksum=0x%016" PRIx64 " reps=%ld %s\n", b->name, b->first, b->reps,
	       b->failed ? "FAILED" : "ok");
	printf("bench-seconds: %.6f\n", secs);
	return b->failed;
}

/* Values laundered through volatile so that the compiler cannot prove two
 * repetitions compute the same thing and fold them into one. */
static inline void *bench_opaque_ptr(void *p)
{
	void *volatile v = p;

	return v;
}

static inline uint32_t bench_opaque_u32(uint32_t x)
{
	volatile uint32_t v = x;

	return v;
}

static inline double bench_opaque_f64(double x)
{
	volatile double v = x;

	return v;
}

/* Deterministic input: xorshift64*. */
static inline uint64_t bench_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Folds a value into a running checksum (FNV-1a over 64-bit words). */
static inline uint64_t bench_mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ull;
}

#define BENCH_MIX_INIT 0xcbf29ce484222325ull

/* Folds n bytes into a running checksum, 8 at a time, then their count:
 * so "ab","c" and "a","bc" differ. */
static inline uint64_t bench_mix_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, b + i, 8);
		h = bench_mix(h, w);
	}
	w = 0;
	if (n > i)
		memcpy(&w, b + i, n - i);
	return bench_mix(bench_mix(h, w), n);
}

#endif /* BENCH_KERNEL_H */
