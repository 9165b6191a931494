// SPDX-License-Identifier: MIT
/* Fixed-width SIMD: built for wasm with -msimd128, the same output as
 * natively. Vector-extension code (SSE natively, v128 in wasm), loops the
 * compiler vectorises, and in wasm the wasm_simd128.h intrinsics, each
 * printing what its scalar C reference prints natively. */
//! wasm-cflags: -msimd128
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "common.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

typedef uint32_t u32x4 __attribute__((vector_size(16)));
typedef float f32x4 __attribute__((vector_size(16)));

#define BUF (1 << 20)
#define N 96

static uint8_t buf[BUF];
/* Written at run time, so that the compiler cannot fold the float ops. */
static float fvals[8] = { NAN, -INFINITY, 3e9f, -2.5f, 1.0f, -0.0f, NAN, -3.5f };
static float ma[N][N], mb[N][N], mc[N][N];

static uint32_t rng = 12345;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Four interleaved Fletcher-style sums over 16-byte blocks. */
static void checksum(void)
{
	u32x4 a = { 1, 1, 1, 1 }, b = { 0 };
	uint32_t bytes = 0, x = 0, above = 0;

	for (size_t i = 0; i < BUF; i += 16) {
		u32x4 w;

		memcpy(&w, buf + i, 16);
		a += (w & 0xffff) + (w >> 16);
		b += a ^ (w << 3);
	}
	/* Loops the compiler vectorises on its own. */
	for (size_t i = 0; i < BUF; i++)
		bytes += buf[i];
	for (size_t i = 0; i < BUF; i++)
		above += buf[i] > 200;
	for (size_t i = 0; i < BUF; i++)
		x ^= (uint32_t)buf[i] << (i & 7);
	printf("checksum: a %08x %08x %08x %08x b %08x %08x %08x %08x bytes %u above %u xor %08x\n",
	       a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], bytes, above, x);
}

/* C = A * B with four columns at a time. */
static void matmul(void)
{
	double trace = 0, total = 0;

	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			ma[i][j] = (float)((int)(next() % 2001) - 1000) / 256.0f;
			mb[i][j] = (float)((int)(next() % 2001) - 1000) / 512.0f;
		}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j += 4) {
			f32x4 acc = { 0 };

			for (int k = 0; k < N; k++) {
				f32x4 row;

				memcpy(&row, &mb[k][j], sizeof(row));
				acc += ma[i][k] * row;
			}
			memcpy(&mc[i][j], &acc, sizeof(acc));
		}
	for (int i = 0; i < N; i++) {
		trace += mc[i][i];
		for (int j = 0; j < N; j++)
			total += mc[i][j];
	}
	printf("matmul %dx%d: trace %.6f total %.6f c[3][5] %.6f c[95][94] %.6f\n", N, N, trace, total,
	       mc[3][5], mc[95][94]);
}

/* ---- each op: the intrinsic in wasm, its scalar definition natively */

#ifndef __wasm_simd128__
static int32_t sat_i32(float f)
{
	if (f != f)
		return 0;
	if (f >= 2147483648.0f)
		return INT32_MAX;
	if (f < -2147483648.0f)
		return INT32_MIN;
	return (int32_t)f;
}

static int16_t sat_i16(int32_t x)
{
	return (int16_t)(x > INT16_MAX ? INT16_MAX : x < INT16_MIN ? INT16_MIN : x);
}

static uint8_t sat_u8(int32_t x)
{
	return (uint8_t)(x > 255 ? 255 : x < 0 ? 0 : x);
}
#endif

/* A NaN with the payload each path may choose prints as "nan". */
static void print_f32(const char *what, const float *v)
{
	printf("%s:", what);
	for (int i = 0; i < 4; i++)
		if (v[i] != v[i])
			printf(" nan");
		else
			printf(" %.9g", v[i]);
	printf("\n");
}

static void lanes(void)
{
	int16_t s16[8], t16[8], q[8];
	int32_t dot[4], i32[4];
	uint8_t bytes[16], rev[16], narrow[16], avg[16];
	const float *f = fvals, *g = fvals + 4;
	float mn[4], mx[4], pmn[4];
	uint32_t mask = 0, pop = 0;

	for (int i = 0; i < 8; i++) {
		s16[i] = (int16_t)next();
		t16[i] = (int16_t)next();
	}
	s16[0] = t16[0] = INT16_MIN; /* the one overflowing product */
	for (int i = 0; i < 16; i++)
		bytes[i] = (uint8_t)next();
#ifdef __wasm_simd128__
	v128_t a = wasm_v128_load(s16), b = wasm_v128_load(t16), v = wasm_v128_load(bytes);
	v128_t fa = wasm_v128_load(f), fb = wasm_v128_load(g);

	wasm_v128_store(dot, wasm_i32x4_dot_i16x8(a, b));
	wasm_v128_store(q, wasm_i16x8_q15mulr_sat(a, b));
	wasm_v128_store(rev, wasm_i8x16_shuffle(v, v, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
	wasm_v128_store(narrow, wasm_u8x16_narrow_i16x8(a, b));
	wasm_v128_store(avg, wasm_u8x16_avgr(v, wasm_i8x16_swizzle(v, wasm_i8x16_const(3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 32))));
	wasm_v128_store(i32, wasm_i32x4_trunc_sat_f32x4(fa));
	wasm_v128_store(mn, wasm_f32x4_min(fa, fb));
	wasm_v128_store(mx, wasm_f32x4_max(fa, fb));
	wasm_v128_store(pmn, wasm_f32x4_pmin(fa, fb));
	mask = wasm_i8x16_bitmask(v);
	v128_t counts = wasm_i8x16_popcnt(v);
	for (int i = 0; i < 16; i++)
		pop += ((uint8_t *)&counts)[i];
#else
	static const uint8_t sw[16] = { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 32 };

	for (int i = 0; i < 4; i++)
		dot[i] = (int32_t)((uint32_t)(s16[2 * i] * t16[2 * i]) + (uint32_t)(s16[2 * i + 1] * t16[2 * i + 1]));
	for (int i = 0; i < 8; i++) {
		q[i] = sat_i16((s16[i] * t16[i] + 0x4000) >> 15);
		narrow[i] = sat_u8(s16[i]);
		narrow[i + 8] = sat_u8(t16[i]);
	}
	for (int i = 0; i < 16; i++) {
		uint8_t o = sw[i] < 16 ? bytes[sw[i]] : 0;

		rev[i] = bytes[15 - i];
		avg[i] = (uint8_t)((bytes[i] + o + 1) >> 1);
		mask |= (uint32_t)(bytes[i] >> 7) << i;
		pop += (uint32_t)__builtin_popcount(bytes[i]);
	}
	for (int i = 0; i < 4; i++) {
		i32[i] = sat_i32(f[i]);
		mn[i] = f[i] != f[i] || g[i] != g[i] ? NAN : f[i] == g[i] ? (signbit(f[i]) ? f[i] : g[i]) : fminf(f[i], g[i]);
		mx[i] = f[i] != f[i] || g[i] != g[i] ? NAN : f[i] == g[i] ? (signbit(f[i]) ? g[i] : f[i]) : fmaxf(f[i], g[i]);
		pmn[i] = g[i] < f[i] ? g[i] : f[i];
	}
#endif
	printf("dot: %d %d %d %d\n", dot[0], dot[1], dot[2], dot[3]);
	printf("q15mulr:");
	for (int i = 0; i < 8; i++)
		printf(" %d", q[i]);
	printf("\nbytes reversed, narrowed, averaged with a swizzle:\n");
	for (int i = 0; i < 16; i++)
		printf(" %02x/%02x/%02x", rev[i], narrow[i], avg[i]);
	printf("\nbitmask %04x popcount %u\n", mask, pop);
	printf("trunc_sat: %d %d %d %d\n", i32[0], i32[1], i32[2], i32[3]);
	print_f32("min", mn);
	print_f32("max", mx);
	print_f32("pmin", pmn);
}

int main(void)
{
	for (size_t i = 0; i < BUF; i++)
		buf[i] = (uint8_t)(next() >> 7);
	if (next() == 0)
		fvals[0] = 0;
	checksum();
	matmul();
	lanes();
	return 0;
}
