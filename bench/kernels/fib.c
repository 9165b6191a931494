/* SPDX-License-Identifier: MIT */
/* Doubly recursive Fibonacci: call overhead. */
#include "bench.h"

#define FIB_N 32
#define EXPECTED 0x0000000000213d05ull

static uint32_t fib(uint32_t n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static uint32_t fib_iter(uint32_t n)
{
	uint32_t a = 0, c = 1;

	while (n--) {
		uint32_t t = a + c;

		a = c;
		c = t;
	}
	return a;
}

int main(int argc, char **argv)
{
	struct bench b;

	bench_begin(&b, "fib", argc, argv, 60);
	if (fib(20) != 6765 || fib_iter(20) != 6765)
		bench_fail(&b, "fib(20)");
	bench_start(&b);
	for (long r = 0; r < b.reps; r++)
		bench_rep(&b, fib(bench_opaque_u32(FIB_N)));
	if (b.first != fib_iter(FIB_N))
		bench_fail(&b, "recursive and iterative results differ");
	return bench_end(&b, EXPECTED);
}
