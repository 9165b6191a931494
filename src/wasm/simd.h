/* SPDX-License-Identifier: MIT */
/*
 * v128 lane semantics for the interpreter's SIMD handlers (ops_simd.h).
 *
 * Values are GCC/clang vector types: the compiler turns lane-wise
 * arithmetic into SSE2 (the x86-64 baseline) or whatever the target has,
 * and into scalar code where it has nothing. Operations without a direct
 * vector expression use the SSE intrinsic the build enables (SSE2 always
 * on x86-64; SSSE3 and SSE4.1 only with -march flags that allow them)
 * and a portable loop otherwise. Wasm lanes are little-endian, as x86's.
 */
#ifndef WBPF_WASM_SIMD_H
#define WBPF_WASM_SIMD_H

#include <stdint.h>
#include <string.h>

#include "wasm/numeric.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __SSSE3__
#include <tmmintrin.h>
#endif
#ifdef __SSE4_1__
#include <smmintrin.h>
#endif

#define SIMD_VEC(T) __attribute__((vector_size(16))) T
typedef SIMD_VEC(uint64_t) v128; /* the carrier; lanes are views of it */
typedef SIMD_VEC(int8_t) v_i8;
typedef SIMD_VEC(uint8_t) v_u8;
typedef SIMD_VEC(int16_t) v_i16;
typedef SIMD_VEC(uint16_t) v_u16;
typedef SIMD_VEC(int32_t) v_i32;
typedef SIMD_VEC(uint32_t) v_u32;
typedef SIMD_VEC(int64_t) v_i64;
typedef SIMD_VEC(uint64_t) v_u64;
typedef SIMD_VEC(float) v_f32;
typedef SIMD_VEC(double) v_f64;
#undef SIMD_VEC

/* The functions of each operand shape (simd.c), as code cells hold them. */
typedef v128 (*simd_un_fn)(v128);
typedef v128 (*simd_bin_fn)(v128, v128);
typedef v128 (*simd_tern_fn)(v128, v128, v128);
typedef v128 (*simd_shift_fn)(v128, uint32_t);
typedef v128 (*simd_splat_fn)(uint64_t);
typedef uint64_t (*simd_test_fn)(v128);
typedef uint64_t (*simd_extract_fn)(v128, uint64_t);
typedef v128 (*simd_replace_fn)(v128, uint64_t, uint64_t);
typedef v128 (*simd_load_fn)(const uint8_t *);

#define I8(v) ((v_i8)(v))
#define U8(v) ((v_u8)(v))
#define I16(v) ((v_i16)(v))
#define U16(v) ((v_u16)(v))
#define I32(v) ((v_i32)(v))
#define U32(v) ((v_u32)(v))
#define I64(v) ((v_i64)(v))
#define F32(v) ((v_f32)(v))
#define F64(v) ((v_f64)(v))

#define SIMD_SPLAT64(x) ((v128){ (x), (x) })
/* A lane value repeated: its bits times 0x01..01 of its width. */
#define SIMD_SPLAT_BITS(MT, x) SIMD_SPLAT64((uint64_t)(MT)(x) * (UINT64_MAX / (MT) ~(MT)0))

/* Slots are 8-byte aligned; a v128 spans two. */
static inline v128 simd_get(const uint64_t *slots)
{
	v128 v;

	memcpy(&v, slots, sizeof(v));
	return v;
}

static inline void simd_put(uint64_t *slots, v128 v)
{
	memcpy(slots, &v, sizeof(v));
}

static inline v128 simd_load(const uint8_t *p)
{
	v128 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Lane-wise choice: x where the mask is all ones, else y. */
#define SIMD_PICK(mask, x, y) ({ v128 m_ = (v128)(mask); ((x) & m_) | ((y) & ~m_); })

/* |x| computed unsigned, so that the minimum wraps to itself. */
#define SIMD_ABS(IT, UT, a) ({ \
	v_##UT x_ = (v_##UT)(a), m_ = (v_##UT)((v_##IT)(a) < 0); \
	(v128)((x_ ^ m_) - m_); })

/* Per-lane loops: the compiler vectorises what it can. */
#define SIMD_MAP(T, n, fn, a) ({ \
	v_##T x_ = (v_##T)(a), r_ = { 0 }; \
	for (int i_ = 0; i_ < (n); i_++) \
		r_[i_] = fn(x_[i_]); \
	(v128)r_; })
#define SIMD_ZIP(T, n, fn, a, b) ({ \
	v_##T x_ = (v_##T)(a), y_ = (v_##T)(b), r_ = { 0 }; \
	for (int i_ = 0; i_ < (n); i_++) \
		r_[i_] = fn(x_[i_], y_[i_]); \
	(v128)r_; })
/* n lanes converted from type AT to RT; lanes beyond n are zero. */
#define SIMD_CONVERT(RT, n, AT, fn, a) ({ \
	v_##AT x_ = (v_##AT)(a); \
	v_##RT r_ = { 0 }; \
	for (int i_ = 0; i_ < (n); i_++) \
		r_[i_] = fn(x_[i_]); \
	(v128)r_; })
#define SIMD_LANE_T(v) __typeof__((v)[0])
#define SIMD_EXTEND(RT, n, AT, first, a) ({ \
	v_##AT x_ = (v_##AT)(a); \
	v_##RT r_ = { 0 }; \
	for (int i_ = 0; i_ < (n); i_++) \
		r_[i_] = x_[(first) + i_]; \
	(v128)r_; })
#define SIMD_EXTMUL(RT, n, AT, first, a, b) ({ \
	v_##AT x_ = (v_##AT)(a), y_ = (v_##AT)(b); \
	v_##RT r_ = { 0 }; \
	for (int i_ = 0; i_ < (n); i_++) \
		r_[i_] = (SIMD_LANE_T(r_))x_[(first) + i_] * (SIMD_LANE_T(r_))y_[(first) + i_]; \
	(v128)r_; })
#define SIMD_EXTADD(RT, n, AT, a) ({ \
	v_##AT x_ = (v_##AT)(a); \
	v_##RT r_ = { 0 }; \
	for (int i_ = 0; i_ < (n); i_++) \
		r_[i_] = (SIMD_LANE_T(r_))x_[2 * i_] + (SIMD_LANE_T(r_))x_[2 * i_ + 1]; \
	(v128)r_; })
#define SIMD_ALL_TRUE(T, a) ({ \
	v128 z_ = (v128)((v_##T)(a) == 0); \
	(z_[0] | z_[1]) == 0; })
#define SIMD_BITMASK(T, n, a) ({ \
	v_##T x_ = (v_##T)(a); \
	uint32_t m_ = 0; \
	for (int i_ = 0; i_ < (n); i_++) \
		m_ |= (uint32_t)(x_[i_] < 0) << i_; \
	m_; })

#define SIMD_LOAD_EXTEND(RT, n, MT, p) ({ \
	MT m_[n]; \
	v_##RT r_ = { 0 }; \
	memcpy(m_, (p), sizeof(m_)); \
	for (int i_ = 0; i_ < (n); i_++) \
		r_[i_] = m_[i_]; \
	(v128)r_; })
#define SIMD_LOAD_SPLAT(MT, p) ({ MT m_; memcpy(&m_, (p), sizeof(m_)); SIMD_SPLAT_BITS(MT, m_); })
#define SIMD_LOAD_ZERO(MT, p) ({ v128 r_ = { 0, 0 }; memcpy(&r_, (p), sizeof(MT)); r_; })

/* Integer saturation to a lane's range. */
static inline int32_t simd_clamp(int32_t x, int32_t lo, int32_t hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* Saturating add/sub of 8- and 16-bit lanes; SSE2 has each. */
#define SIMD_SAT(name, T, n, op, lo, hi, sse) \
	static inline v128 name(v128 a, v128 b) \
	{ \
		SIMD_SSE2(return (v128)sse((__m128i)a, (__m128i)b);) \
		v_##T x = (v_##T)a, y = (v_##T)b, r = { 0 }; \
		for (int i = 0; i < (n); i++) \
			r[i] = (SIMD_LANE_T(r))simd_clamp((int32_t)x[i] op(int32_t) y[i], lo, hi); \
		return (v128)r; \
	}
#ifdef __SSE2__
#define SIMD_SSE2(code) code
#else
#define SIMD_SSE2(code)
#endif
SIMD_SAT(simd_add_sat_i8, i8, 16, +, INT8_MIN, INT8_MAX, _mm_adds_epi8)
SIMD_SAT(simd_add_sat_u8, u8, 16, +, 0, UINT8_MAX, _mm_adds_epu8)
SIMD_SAT(simd_sub_sat_i8, i8, 16, -, INT8_MIN, INT8_MAX, _mm_subs_epi8)
SIMD_SAT(simd_sub_sat_u8, u8, 16, -, 0, UINT8_MAX, _mm_subs_epu8)
SIMD_SAT(simd_add_sat_i16, i16, 8, +, INT16_MIN, INT16_MAX, _mm_adds_epi16)
SIMD_SAT(simd_add_sat_u16, u16, 8, +, 0, UINT16_MAX, _mm_adds_epu16)
SIMD_SAT(simd_sub_sat_i16, i16, 8, -, INT16_MIN, INT16_MAX, _mm_subs_epi16)
SIMD_SAT(simd_sub_sat_u16, u16, 8, -, 0, UINT16_MAX, _mm_subs_epu16)
#undef SIMD_SAT

/* Rounding average: (a + b + 1) / 2 without overflow; SSE2 pavgb/pavgw. */
#define SIMD_AVGR(name, T, n, sse) \
	static inline v128 name(v128 a, v128 b) \
	{ \
		SIMD_SSE2(return (v128)sse((__m128i)a, (__m128i)b);) \
		v_##T x = (v_##T)a, y = (v_##T)b, r = { 0 }; \
		for (int i = 0; i < (n); i++) \
			r[i] = (SIMD_LANE_T(r))(((uint32_t)x[i] + y[i] + 1) >> 1); \
		return (v128)r; \
	}
SIMD_AVGR(simd_avgr_u8, u8, 16, _mm_avg_epu8)
SIMD_AVGR(simd_avgr_u16, u16, 8, _mm_avg_epu16)
#undef SIMD_AVGR

/* Narrowing: a's lanes, then b's, each saturated (inputs are signed). */
#define SIMD_NARROW(name, RT, AT, n, lo, hi) \
	static inline v128 name##_loop(v128 a, v128 b) \
	{ \
		v_##AT x = (v_##AT)a, y = (v_##AT)b; \
		v_##RT r = { 0 }; \
		for (int i = 0; i < (n); i++) { \
			r[i] = (SIMD_LANE_T(r))simd_clamp(x[i], lo, hi); \
			r[i + (n)] = (SIMD_LANE_T(r))simd_clamp(y[i], lo, hi); \
		} \
		return (v128)r; \
	}
SIMD_NARROW(simd_narrow_i8_s, i8, i16, 8, INT8_MIN, INT8_MAX)
SIMD_NARROW(simd_narrow_i8_u, u8, i16, 8, 0, UINT8_MAX)
SIMD_NARROW(simd_narrow_i16_s, i16, i32, 4, INT16_MIN, INT16_MAX)
SIMD_NARROW(simd_narrow_i16_u, u16, i32, 4, 0, UINT16_MAX)
#undef SIMD_NARROW

#ifdef __SSE2__
#define simd_narrow_i8_s(a, b) ((v128)_mm_packs_epi16((__m128i)(a), (__m128i)(b)))
#define simd_narrow_i8_u(a, b) ((v128)_mm_packus_epi16((__m128i)(a), (__m128i)(b)))
#define simd_narrow_i16_s(a, b) ((v128)_mm_packs_epi32((__m128i)(a), (__m128i)(b)))
#else
#define simd_narrow_i8_s simd_narrow_i8_s_loop
#define simd_narrow_i8_u simd_narrow_i8_u_loop
#define simd_narrow_i16_s simd_narrow_i16_s_loop
#endif
#ifdef __SSE4_1__
#define simd_narrow_i16_u(a, b) ((v128)_mm_packus_epi32((__m128i)(a), (__m128i)(b)))
#else
#define simd_narrow_i16_u simd_narrow_i16_u_loop
#endif

/* Lane i of the result is a[b[i]], or 0 when b[i] >= 16. */
static inline v128 simd_swizzle(v128 a, v128 b)
{
#ifdef __SSSE3__
	/* pshufb zeroes lanes whose index has bit 7 set: push 16.. there. */
	return (v128)_mm_shuffle_epi8((__m128i)a, _mm_adds_epu8((__m128i)b, _mm_set1_epi8(0x70)));
#else
	v_u8 x = U8(a), idx = U8(b), r = { 0 };

	for (int i = 0; i < 16; i++)
		r[i] = idx[i] < 16 ? x[idx[i] & 15] : 0;
	return (v128)r;
#endif
}

/* Lane i from the 32 lanes of a and b, by the shuffle's immediate. */
static inline v128 simd_shuffle(v128 a, v128 b, v128 lanes)
{
	v_u8 x = U8(a), y = U8(b), idx = U8(lanes), r = { 0 };

	for (int i = 0; i < 16; i++)
		r[i] = idx[i] < 16 ? x[idx[i] & 15] : y[idx[i] & 15];
	return (v128)r;
}

/* Bit counts of each byte, in SWAR steps over the two halves. */
static inline v128 simd_popcnt(v128 a)
{
	v128 x = a - ((a >> 1) & SIMD_SPLAT64(0x5555555555555555ull));

	x = (x & SIMD_SPLAT64(0x3333333333333333ull)) + ((x >> 2) & SIMD_SPLAT64(0x3333333333333333ull));
	return (x + (x >> 4)) & SIMD_SPLAT64(0x0f0f0f0f0f0f0f0full);
}

static inline uint32_t simd_bitmask_i8(v128 a)
{
#ifdef __SSE2__
	return (uint32_t)_mm_movemask_epi8((__m128i)a);
#else
	return SIMD_BITMASK(i8, 16, a);
#endif
}

/* (a * b + 2^14) >> 15, saturated: only -32768 * -32768 overflows. */
static inline v128 simd_q15mulr(v128 a, v128 b)
{
	v_i16 x = I16(a), y = I16(b), r = { 0 };

	for (int i = 0; i < 8; i++)
		r[i] = (int16_t)simd_clamp((x[i] * y[i] + 0x4000) >> 15, INT16_MIN, INT16_MAX);
	return (v128)r;
}

/* Pairwise products of signed 16-bit lanes, summed; the one overflow
 * (all four -32768) wraps, as pmaddwd does. */
static inline v128 simd_dot(v128 a, v128 b)
{
#ifdef __SSE2__
	return (v128)_mm_madd_epi16((__m128i)a, (__m128i)b);
#else
	v_i16 x = I16(a), y = I16(b);
	v_u32 r = { 0 };

	for (int i = 0; i < 4; i++)
		r[i] = (uint32_t)(x[2 * i] * y[2 * i]) + (uint32_t)(x[2 * i + 1] * y[2 * i + 1]);
	return (v128)r;
#endif
}

#endif
