/* SPDX-License-Identifier: MIT */
/*
 * Numeric semantics the C operators don't give directly: IEEE min/max
 * with NaN propagation and signed zeros, sign-bit operations that must not
 * touch NaN payloads, rounding, and the range checks of float -> int.
 */
#ifndef WBPF_WASM_NUMERIC_H
#define WBPF_WASM_NUMERIC_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline uint64_t f64_bits(double f) { uint64_t u; memcpy(&u, &f, 8); return u; }
static inline float f32_from(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline double f64_from(uint64_t u) { double f; memcpy(&f, &u, 8); return f; }

/* Sign operations work on bits so that NaN payloads pass unchanged. */
static inline float f32_abs(float x) { return f32_from(f32_bits(x) & 0x7fffffffu); }
static inline float f32_neg(float x) { return f32_from(f32_bits(x) ^ 0x80000000u); }
static inline float f32_copysign(float a, float b)
{
	return f32_from((f32_bits(a) & 0x7fffffffu) | (f32_bits(b) & 0x80000000u));
}
static inline double f64_abs(double x) { return f64_from(f64_bits(x) & 0x7fffffffffffffffull); }
static inline double f64_neg(double x) { return f64_from(f64_bits(x) ^ 0x8000000000000000ull); }
static inline double f64_copysign(double a, double b)
{
	return f64_from((f64_bits(a) & 0x7fffffffffffffffull) | (f64_bits(b) & 0x8000000000000000ull));
}

/* Wasm min/max: any NaN operand gives NaN (a + b quiets and propagates
 * it), and -0 is below +0. */
#define WASM_MINMAX(name, T, bits, from, join, cmp) \
	static inline T name(T a, T b) \
	{ \
		if (a != a || b != b) \
			return a + b; \
		if (a == b) /* zeros of either sign: join the sign bits */ \
			return from(bits(a) join bits(b)); \
		return a cmp b ? a : b; \
	}
WASM_MINMAX(f32_min, float, f32_bits, f32_from, |, <)
WASM_MINMAX(f32_max, float, f32_bits, f32_from, &, >)
WASM_MINMAX(f64_min, double, f64_bits, f64_from, |, <)
WASM_MINMAX(f64_max, double, f64_bits, f64_from, &, >)
#undef WASM_MINMAX

/* Rounding functions of libm return NaN inputs unchanged (possibly
 * signalling); wasm wants them quieted. */
#define WASM_ROUND(name, T, fn) \
	static inline T name(T x) { return x != x ? x + x : fn(x); }
WASM_ROUND(f32_ceil, float, ceilf)
WASM_ROUND(f32_floor, float, floorf)
WASM_ROUND(f32_trunc, float, truncf)
WASM_ROUND(f32_nearest, float, nearbyintf)
WASM_ROUND(f64_ceil, double, ceil)
WASM_ROUND(f64_floor, double, floor)
WASM_ROUND(f64_trunc, double, trunc)
WASM_ROUND(f64_nearest, double, nearbyint)
#undef WASM_ROUND

static inline uint32_t i32_rotl(uint32_t a, uint32_t b) { b &= 31; return (a << b) | (a >> ((32 - b) & 31)); }
static inline uint32_t i32_rotr(uint32_t a, uint32_t b) { b &= 31; return (a >> b) | (a << ((32 - b) & 31)); }
static inline uint64_t i64_rotl(uint64_t a, uint64_t b) { b &= 63; return (a << b) | (a >> ((64 - b) & 63)); }
static inline uint64_t i64_rotr(uint64_t a, uint64_t b) { b &= 63; return (a >> b) | (a << ((64 - b) & 63)); }
static inline uint32_t i32_clz(uint32_t a) { return a ? (uint32_t)__builtin_clz(a) : 32; }
static inline uint32_t i32_ctz(uint32_t a) { return a ? (uint32_t)__builtin_ctz(a) : 32; }
static inline uint64_t i64_clz(uint64_t a) { return a ? (uint64_t)__builtin_clzll(a) : 64; }
static inline uint64_t i64_ctz(uint64_t a) { return a ? (uint64_t)__builtin_ctzll(a) : 64; }

/*
 * Float -> int: `lo < x < hi` with exclusive bounds that are exactly
 * representable, so the comparison itself never rounds. NaN fails both.
 */
#define WASM_IN_RANGE(x, lo, hi) ((x) > (lo) && (x) < (hi))
#define F32_I32_OK(x) WASM_IN_RANGE(x, -2147483904.0f, 2147483648.0f)
#define F32_U32_OK(x) WASM_IN_RANGE(x, -1.0f, 4294967296.0f)
#define F64_I32_OK(x) WASM_IN_RANGE(x, -2147483649.0, 2147483648.0)
#define F64_U32_OK(x) WASM_IN_RANGE(x, -1.0, 4294967296.0)
#define F32_I64_OK(x) WASM_IN_RANGE(x, -9223373136366403584.0f, 9223372036854775808.0f)
#define F32_U64_OK(x) WASM_IN_RANGE(x, -1.0f, 18446744073709551616.0f)
#define F64_I64_OK(x) WASM_IN_RANGE(x, -9223372036854777856.0, 9223372036854775808.0)
#define F64_U64_OK(x) WASM_IN_RANGE(x, -1.0, 18446744073709551616.0)

/* Saturating conversions: NaN -> 0, out of range -> the nearest bound. */
#define WASM_SAT(name, TI, TF, OK, MIN, MAX) \
	static inline TI name(TF x) \
	{ \
		if (x != x) \
			return 0; \
		if (OK(x)) \
			return (TI)x; \
		return x < 0 ? MIN : MAX; \
	}
WASM_SAT(i32_sat_f32_s, int32_t, float, F32_I32_OK, INT32_MIN, INT32_MAX)
WASM_SAT(i32_sat_f32_u, uint32_t, float, F32_U32_OK, 0, UINT32_MAX)
WASM_SAT(i32_sat_f64_s, int32_t, double, F64_I32_OK, INT32_MIN, INT32_MAX)
WASM_SAT(i32_sat_f64_u, uint32_t, double, F64_U32_OK, 0, UINT32_MAX)
WASM_SAT(i64_sat_f32_s, int64_t, float, F32_I64_OK, INT64_MIN, INT64_MAX)
WASM_SAT(i64_sat_f32_u, uint64_t, float, F32_U64_OK, 0, UINT64_MAX)
WASM_SAT(i64_sat_f64_s, int64_t, double, F64_I64_OK, INT64_MIN, INT64_MAX)
WASM_SAT(i64_sat_f64_u, uint64_t, double, F64_U64_OK, 0, UINT64_MAX)
#undef WASM_SAT

#endif
