/* SPDX-License-Identifier: MIT */
/* Quicksort (median of three, Hoare partition, insertion sort below 16
 * elements) of 256 Ki 32-bit keys. */
#include "bench.h"

#include <string.h>

#define LEN (256u << 10)
#define EXPECTED 0x78ff5b24c290fffeull

static uint32_t input[LEN], work[LEN];

static void insertion_sort(uint32_t *a, long n)
{
	for (long i = 1; i < n; i++) {
		uint32_t v = a[i];
		long j = i;

		for (; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

static inline void swap(uint32_t *a, uint32_t *b)
{
	uint32_t t = *a;

	*a = *b;
	*b = t;
}

static void quicksort(uint32_t *a, long n)
{
	while (n > 16) {
		long mid = n / 2, i = -1, j = n;
		uint32_t pivot;

		if (a[mid] < a[0])
			swap(&a[mid], &a[0]);
		if (a[n - 1] < a[0])
			swap(&a[n - 1], &a[0]);
		if (a[n - 1] < a[mid])
			swap(&a[n - 1], &a[mid]);
		pivot = a[mid];
		for (;;) {
			do
				i++;
			while (a[i] < pivot);
			do
				j--;
			while (a[j] > pivot);
			if (i >= j)
				break;
			swap(&a[i], &a[j]);
		}
		/* Recurse into the smaller half so the depth stays logarithmic. */
		if (j + 1 < n - j - 1) {
			quicksort(a, j + 1);
			a += j + 1;
			n -= j + 1;
		} else {
			quicksort(a + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	insertion_sort(a, n);
}

int main(int argc, char **argv)
{
	struct bench b;
	uint64_t seed = 0x9e3779b97f4a7c15ull, in_sum = 0;

	bench_begin(&b, "quicksort", argc, argv, 20);
	for (size_t i = 0; i < LEN; i++) {
		input[i] = (uint32_t)(bench_rand(&seed) >> 32);
		in_sum += input[i];
	}
	bench_start(&b);
	for (long r = 0; r < b.reps; r++) {
		uint64_t h = BENCH_MIX_INIT;

		memcpy(work, bench_opaque_ptr(input), sizeof(work));
		quicksort(work, LEN);
		for (size_t i = 0; i < LEN; i += 97)
			h = bench_mix(h, work[i]);
		bench_rep(&b, h);
	}
	uint64_t out_sum = work[0];
	for (size_t i = 1; i < LEN; i++) {
		if (work[i - 1] > work[i]) {
			bench_fail(&b, "output not sorted");
			break;
		}
		out_sum += work[i];
	}
	if (out_sum != in_sum)
		bench_fail(&b, "output is not a permutation of the input");
	return bench_end(&b, EXPECTED);
}
