// SPDX-License-Identifier: MIT
/* Long-running loops: a sieve, Collatz lengths, a hash chain, matrix
 * products: the same numbers natively and in wasm. */
//! slow
#include <stdint.h>
#include <string.h>

#include "common.h"

#define SIEVE 3000000

static void sieve(void)
{
	static unsigned char composite[SIEVE + 1];
	long count = 0, last = 0;

	/* long is 32 bits in wasm32: i * i needs long long. */
	for (long long i = 2; i <= SIEVE; i++) {
		if (composite[i])
			continue;
		count++;
		last = (long)i;
		for (long long j = i * i; j <= SIEVE; j += i)
			composite[j] = 1;
	}
	printf("primes <= %d: %ld, largest %ld\n", SIEVE, count, last);
}

static void collatz(void)
{
	uint64_t best = 0, best_n = 0;

	for (uint64_t n = 1; n < 300000; n++) {
		uint64_t x = n, steps = 0;

		while (x != 1) {
			x = x & 1 ? 3 * x + 1 : x / 2;
			steps++;
		}
		if (steps > best)
			best = steps, best_n = n;
	}
	printf("longest collatz below 300000: %llu (%llu steps)\n", (unsigned long long)best_n,
	       (unsigned long long)best);
}

static void hashes(void)
{
	uint64_t h = 1469598103934665603ull;

	for (uint32_t i = 0; i < 5000000; i++) {
		h ^= i;
		h *= 1099511628211ull;
		h = (h << 13) | (h >> 51);
	}
	printf("fnv chain: %016llx\n", (unsigned long long)h);
}

static void matrix(void)
{
	enum { M = 96 };
	static double a[M][M], b[M][M], c[M][M];
	double trace = 0;

	for (int i = 0; i < M; i++)
		for (int j = 0; j < M; j++) {
			a[i][j] = (i * 3 + j) % 17 / 7.0;
			b[i][j] = (i + j * 5) % 13 / 3.0;
		}
	for (int rep = 0; rep < 5; rep++)
		for (int i = 0; i < M; i++)
			for (int j = 0; j < M; j++) {
				double s = 0;

				for (int k = 0; k < M; k++)
					s += a[i][k] * b[k][j];
				c[i][j] = s;
			}
	for (int i = 0; i < M; i++)
		trace += c[i][i];
	printf("matrix trace: %.17g\n", trace);
}

int main(void)
{
	sieve();
	collatz();
	hashes();
	matrix();
	return 0;
}
