/* SPDX-License-Identifier: MIT */
/* Dense double matrix multiply, C = A * B, 256x256, i-k-j loop order.
 * Entries are small integers so every sum is exact and an independent
 * dot-product check must agree bit for bit. */
#include "bench.h"

#include <string.h>

#define N 256
#define EXPECTED 0x1b94ed2e3e4001a9ull

static double A[N][N], B[N][N], C[N][N];

static void matmul(double (*a)[N], double (*b)[N], double (*c)[N])
{
	memset(c, 0, sizeof(double[N][N]));
	for (int i = 0; i < N; i++)
		for (int k = 0; k < N; k++) {
			double aik = a[i][k];

			for (int j = 0; j < N; j++)
				c[i][j] += aik * b[k][j];
		}
}

static uint64_t checksum(double (*c)[N])
{
	uint64_t h = BENCH_MIX_INIT;

	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++)
			h = bench_mix(h, (uint64_t)(int64_t)c[i][j]);
	return h;
}

int main(int argc, char **argv)
{
	struct bench b;
	uint64_t seed = 0x5eed;

	bench_begin(&b, "matmul", argc, argv, 90);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			A[i][j] = (double)((int)(bench_rand(&seed) % 17) - 8);
			B[i][j] = (double)((int)(bench_rand(&seed) % 17) - 8);
		}
	bench_start(&b);
	for (long r = 0; r < b.reps; r++) {
		matmul(bench_opaque_ptr(A), bench_opaque_ptr(B), C);
		bench_rep(&b, checksum(bench_opaque_ptr(C)));
	}
	for (int i = 0; i < N; i += 37)
		for (int j = 0; j < N; j += 13) {
			double dot = 0;

			for (int k = 0; k < N; k++)
				dot += A[i][k] * B[k][j];
			if (dot != C[i][j])
				bench_fail(&b, "element differs from its dot product");
		}
	return bench_end(&b, EXPECTED);
}
