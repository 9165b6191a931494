/* SPDX-License-Identifier: MIT */
/* Escape-time Mandelbrot set on a 320x240 grid, at most 200 iterations. */
#include "bench.h"

#define W 320
#define H 240
#define MAX_ITER 200
#define EXPECTED 0x9ed437eb514163e7ull

static int escape(double cr, double ci, int max_iter)
{
	double zr = 0, zi = 0;
	int n = 0;

	while (n < max_iter && zr * zr + zi * zi <= 4.0) {
		double t = zr * zr - zi * zi + cr;

		zi = 2.0 * zr * zi + ci;
		zr = t;
		n++;
	}
	return n;
}

static uint64_t render(double x0, double y0, double step, int max_iter)
{
	uint64_t h = BENCH_MIX_INIT, total = 0;

	for (int y = 0; y < H; y++) {
		uint64_t row = 0;

		for (int x = 0; x < W; x++)
			row += (uint64_t)escape(x0 + x * step, y0 + y * step, max_iter);
		h = bench_mix(h, row);
		total += row;
	}
	return bench_mix(h, total);
}

int main(int argc, char **argv)
{
	struct bench b;

	bench_begin(&b, "mandelbrot", argc, argv, 40);
	/* 0 lies in the main cardioid; 2+2i escapes after one step. */
	if (escape(0, 0, MAX_ITER) != MAX_ITER || escape(2, 2, MAX_ITER) != 1)
		bench_fail(&b, "escape counts of known points");
	bench_start(&b);
	for (long r = 0; r < b.reps; r++)
		bench_rep(&b, render(bench_opaque_f64(-2.2), -1.2, 3.2 / W,
				     (int)bench_opaque_u32(MAX_ITER)));
	return bench_end(&b, EXPECTED);
}
