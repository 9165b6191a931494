/* SPDX-License-Identifier: MIT */
/* Gravitational n-body simulation: 48 bodies from a seeded generator,
 * symplectic Euler steps with softening; total energy as the result. */
#include "bench.h"

#include <math.h>
#include <string.h>

#define NB 48
#define STEPS 1000
#define DT 0.001
#define SOFT2 1e-2
#define EXPECTED 0xc073ec80f28fa71aull

struct body {
	double x, y, z, vx, vy, vz, m;
};

static struct body initial[NB], sys[NB];

static double energy(const struct body *b)
{
	double e = 0;

	for (int i = 0; i < NB; i++) {
		e += 0.5 * b[i].m * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
		for (int j = i + 1; j < NB; j++) {
			double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;

			e -= b[i].m * b[j].m / sqrt(dx * dx + dy * dy + dz * dz + SOFT2);
		}
	}
	return e;
}

static void step(struct body *b, double dt)
{
	for (int i = 0; i < NB; i++)
		for (int j = i + 1; j < NB; j++) {
			double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
			double d2 = dx * dx + dy * dy + dz * dz + SOFT2;
			double mag = dt / (d2 * sqrt(d2));

			b[i].vx -= dx * b[j].m * mag;
			b[i].vy -= dy * b[j].m * mag;
			b[i].vz -= dz * b[j].m * mag;
			b[j].vx += dx * b[i].m * mag;
			b[j].vy += dy * b[i].m * mag;
			b[j].vz += dz * b[i].m * mag;
		}
	for (int i = 0; i < NB; i++) {
		b[i].x += dt * b[i].vx;
		b[i].y += dt * b[i].vy;
		b[i].z += dt * b[i].vz;
	}
}

static double unit(uint64_t *seed)
{
	return (double)(bench_rand(seed) >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
}

int main(int argc, char **argv)
{
	struct bench b;
	uint64_t seed = 0xb0d1e5;
	double e0, e1 = 0;
	union {
		double d;
		uint64_t u;
	} bits;

	bench_begin(&b, "nbody", argc, argv, 75);
	for (int i = 0; i < NB; i++) {
		initial[i] = (struct body){ .x = unit(&seed), .y = unit(&seed), .z = unit(&seed),
					    .vx = 0.1 * unit(&seed), .vy = 0.1 * unit(&seed),
					    .vz = 0.1 * unit(&seed), .m = 0.5 + 0.5 * unit(&seed) };
	}
	e0 = energy(initial);
	bench_start(&b);
	for (long r = 0; r < b.reps; r++) {
		memcpy(sys, bench_opaque_ptr(initial), sizeof(sys));
		for (int s = 0; s < STEPS; s++)
			step(sys, DT);
		e1 = energy(sys);
		bits.d = e1;
		bench_rep(&b, bits.u);
	}
	if (!(fabs((e1 - e0) / e0) < 1e-2))
		bench_fail(&b, "energy not conserved");
	return bench_end(&b, EXPECTED);
}
