/* SPDX-License-Identifier: MIT */
/*
 * The fixed-width SIMD instructions (prefix 0xfd), defined once as the
 * scalar ones are in ops.h. Each list is one operand shape; compile.c
 * builds its decoding table from them and interp.c its handlers. The
 * expressions use simd.h's vector types and helpers: `a`, `b`, `c` are
 * v128 operands, `n` a shift count, `x` a scalar operand's slot bits,
 * `l` a lane index, `p` a pointer into linear memory.
 *
 * A v128 occupies two consecutive slots, low half first (see
 * docs/engine.md).
 */
#ifndef WBPF_WASM_OPS_SIMD_H
#define WBPF_WASM_OPS_SIMD_H

#include <stdint.h>

/* v128 -> v128: X(name, sub-opcode, expression) */
#define SIMD_UNOPS(X) \
	X(v128_not, 0x4d, ~a) \
	X(f32x4_demote_f64x2_zero, 0x5e, SIMD_CONVERT(f32, 2, f64, (float), a)) \
	X(f64x2_promote_low_f32x4, 0x5f, SIMD_CONVERT(f64, 2, f32, (double), a)) \
	X(i8x16_abs, 0x60, SIMD_ABS(i8, u8, a)) \
	X(i8x16_neg, 0x61, (v128)(-U8(a))) \
	X(i8x16_popcnt, 0x62, simd_popcnt(a)) \
	X(f32x4_ceil, 0x67, SIMD_MAP(f32, 4, f32_ceil, a)) \
	X(f32x4_floor, 0x68, SIMD_MAP(f32, 4, f32_floor, a)) \
	X(f32x4_trunc, 0x69, SIMD_MAP(f32, 4, f32_trunc, a)) \
	X(f32x4_nearest, 0x6a, SIMD_MAP(f32, 4, f32_nearest, a)) \
	X(f64x2_ceil, 0x74, SIMD_MAP(f64, 2, f64_ceil, a)) \
	X(f64x2_floor, 0x75, SIMD_MAP(f64, 2, f64_floor, a)) \
	X(f64x2_trunc, 0x7a, SIMD_MAP(f64, 2, f64_trunc, a)) \
	X(f64x2_nearest, 0x94, SIMD_MAP(f64, 2, f64_nearest, a)) \
	X(i16x8_extadd_pairwise_i8x16_s, 0x7c, SIMD_EXTADD(i16, 8, i8, a)) \
	X(i16x8_extadd_pairwise_i8x16_u, 0x7d, SIMD_EXTADD(u16, 8, u8, a)) \
	X(i32x4_extadd_pairwise_i16x8_s, 0x7e, SIMD_EXTADD(i32, 4, i16, a)) \
	X(i32x4_extadd_pairwise_i16x8_u, 0x7f, SIMD_EXTADD(u32, 4, u16, a)) \
	X(i16x8_abs, 0x80, SIMD_ABS(i16, u16, a)) \
	X(i16x8_neg, 0x81, (v128)(-U16(a))) \
	X(i16x8_extend_low_i8x16_s, 0x87, SIMD_EXTEND(i16, 8, i8, 0, a)) \
	X(i16x8_extend_high_i8x16_s, 0x88, SIMD_EXTEND(i16, 8, i8, 8, a)) \
	X(i16x8_extend_low_i8x16_u, 0x89, SIMD_EXTEND(u16, 8, u8, 0, a)) \
	X(i16x8_extend_high_i8x16_u, 0x8a, SIMD_EXTEND(u16, 8, u8, 8, a)) \
	X(i32x4_abs, 0xa0, SIMD_ABS(i32, u32, a)) \
	X(i32x4_neg, 0xa1, (v128)(-U32(a))) \
	X(i32x4_extend_low_i16x8_s, 0xa7, SIMD_EXTEND(i32, 4, i16, 0, a)) \
	X(i32x4_extend_high_i16x8_s, 0xa8, SIMD_EXTEND(i32, 4, i16, 4, a)) \
	X(i32x4_extend_low_i16x8_u, 0xa9, SIMD_EXTEND(u32, 4, u16, 0, a)) \
	X(i32x4_extend_high_i16x8_u, 0xaa, SIMD_EXTEND(u32, 4, u16, 4, a)) \
	X(i64x2_abs, 0xc0, SIMD_ABS(i64, u64, a)) \
	X(i64x2_neg, 0xc1, -a) \
	X(i64x2_extend_low_i32x4_s, 0xc7, SIMD_EXTEND(i64, 2, i32, 0, a)) \
	X(i64x2_extend_high_i32x4_s, 0xc8, SIMD_EXTEND(i64, 2, i32, 2, a)) \
	X(i64x2_extend_low_i32x4_u, 0xc9, SIMD_EXTEND(u64, 2, u32, 0, a)) \
	X(i64x2_extend_high_i32x4_u, 0xca, SIMD_EXTEND(u64, 2, u32, 2, a)) \
	X(f32x4_abs, 0xe0, a & SIMD_SPLAT64(0x7fffffff7fffffffull)) \
	X(f32x4_neg, 0xe1, a ^ SIMD_SPLAT64(0x8000000080000000ull)) \
	X(f32x4_sqrt, 0xe3, SIMD_MAP(f32, 4, sqrtf, a)) \
	X(f64x2_abs, 0xec, a & SIMD_SPLAT64(0x7fffffffffffffffull)) \
	X(f64x2_neg, 0xed, a ^ SIMD_SPLAT64(0x8000000000000000ull)) \
	X(f64x2_sqrt, 0xef, SIMD_MAP(f64, 2, sqrt, a)) \
	X(i32x4_trunc_sat_f32x4_s, 0xf8, SIMD_CONVERT(i32, 4, f32, i32_sat_f32_s, a)) \
	X(i32x4_trunc_sat_f32x4_u, 0xf9, SIMD_CONVERT(u32, 4, f32, i32_sat_f32_u, a)) \
	X(f32x4_convert_i32x4_s, 0xfa, SIMD_CONVERT(f32, 4, i32, (float), a)) \
	X(f32x4_convert_i32x4_u, 0xfb, SIMD_CONVERT(f32, 4, u32, (float), a)) \
	X(i32x4_trunc_sat_f64x2_s_zero, 0xfc, SIMD_CONVERT(i32, 2, f64, i32_sat_f64_s, a)) \
	X(i32x4_trunc_sat_f64x2_u_zero, 0xfd, SIMD_CONVERT(u32, 2, f64, i32_sat_f64_u, a)) \
	X(f64x2_convert_low_i32x4_s, 0xfe, SIMD_CONVERT(f64, 2, i32, (double), a)) \
	X(f64x2_convert_low_i32x4_u, 0xff, SIMD_CONVERT(f64, 2, u32, (double), a))

/* Lane-wise compares: all ones where true. */
#define SIMD_CMPS(X) \
	X(i8x16_eq, 0x23, (v128)(I8(a) == I8(b))) \
	X(i8x16_ne, 0x24, (v128)(I8(a) != I8(b))) \
	X(i8x16_lt_s, 0x25, (v128)(I8(a) < I8(b))) \
	X(i8x16_lt_u, 0x26, (v128)(U8(a) < U8(b))) \
	X(i8x16_gt_s, 0x27, (v128)(I8(a) > I8(b))) \
	X(i8x16_gt_u, 0x28, (v128)(U8(a) > U8(b))) \
	X(i8x16_le_s, 0x29, (v128)(I8(a) <= I8(b))) \
	X(i8x16_le_u, 0x2a, (v128)(U8(a) <= U8(b))) \
	X(i8x16_ge_s, 0x2b, (v128)(I8(a) >= I8(b))) \
	X(i8x16_ge_u, 0x2c, (v128)(U8(a) >= U8(b))) \
	X(i16x8_eq, 0x2d, (v128)(I16(a) == I16(b))) \
	X(i16x8_ne, 0x2e, (v128)(I16(a) != I16(b))) \
	X(i16x8_lt_s, 0x2f, (v128)(I16(a) < I16(b))) \
	X(i16x8_lt_u, 0x30, (v128)(U16(a) < U16(b))) \
	X(i16x8_gt_s, 0x31, (v128)(I16(a) > I16(b))) \
	X(i16x8_gt_u, 0x32, (v128)(U16(a) > U16(b))) \
	X(i16x8_le_s, 0x33, (v128)(I16(a) <= I16(b))) \
	X(i16x8_le_u, 0x34, (v128)(U16(a) <= U16(b))) \
	X(i16x8_ge_s, 0x35, (v128)(I16(a) >= I16(b))) \
	X(i16x8_ge_u, 0x36, (v128)(U16(a) >= U16(b))) \
	X(i32x4_eq, 0x37, (v128)(I32(a) == I32(b))) \
	X(i32x4_ne, 0x38, (v128)(I32(a) != I32(b))) \
	X(i32x4_lt_s, 0x39, (v128)(I32(a) < I32(b))) \
	X(i32x4_lt_u, 0x3a, (v128)(U32(a) < U32(b))) \
	X(i32x4_gt_s, 0x3b, (v128)(I32(a) > I32(b))) \
	X(i32x4_gt_u, 0x3c, (v128)(U32(a) > U32(b))) \
	X(i32x4_le_s, 0x3d, (v128)(I32(a) <= I32(b))) \
	X(i32x4_le_u, 0x3e, (v128)(U32(a) <= U32(b))) \
	X(i32x4_ge_s, 0x3f, (v128)(I32(a) >= I32(b))) \
	X(i32x4_ge_u, 0x40, (v128)(U32(a) >= U32(b))) \
	X(f32x4_eq, 0x41, (v128)(F32(a) == F32(b))) \
	X(f32x4_ne, 0x42, (v128)(F32(a) != F32(b))) \
	X(f32x4_lt, 0x43, (v128)(F32(a) < F32(b))) \
	X(f32x4_gt, 0x44, (v128)(F32(a) > F32(b))) \
	X(f32x4_le, 0x45, (v128)(F32(a) <= F32(b))) \
	X(f32x4_ge, 0x46, (v128)(F32(a) >= F32(b))) \
	X(f64x2_eq, 0x47, (v128)(F64(a) == F64(b))) \
	X(f64x2_ne, 0x48, (v128)(F64(a) != F64(b))) \
	X(f64x2_lt, 0x49, (v128)(F64(a) < F64(b))) \
	X(f64x2_gt, 0x4a, (v128)(F64(a) > F64(b))) \
	X(f64x2_le, 0x4b, (v128)(F64(a) <= F64(b))) \
	X(f64x2_ge, 0x4c, (v128)(F64(a) >= F64(b))) \
	X(i64x2_eq, 0xd6, (v128)(I64(a) == I64(b))) \
	X(i64x2_ne, 0xd7, (v128)(I64(a) != I64(b))) \
	X(i64x2_lt_s, 0xd8, (v128)(I64(a) < I64(b))) \
	X(i64x2_gt_s, 0xd9, (v128)(I64(a) > I64(b))) \
	X(i64x2_le_s, 0xda, (v128)(I64(a) <= I64(b))) \
	X(i64x2_ge_s, 0xdb, (v128)(I64(a) >= I64(b)))

/* v128 v128 -> v128 */
#define SIMD_BINOPS(X) \
	SIMD_CMPS(X) \
	X(i8x16_swizzle, 0x0e, simd_swizzle(a, b)) \
	X(i8x16_narrow_i16x8_s, 0x65, simd_narrow_i8_s(a, b)) \
	X(i8x16_narrow_i16x8_u, 0x66, simd_narrow_i8_u(a, b)) \
	X(i8x16_add_sat_s, 0x6f, simd_add_sat_i8(a, b)) \
	X(i8x16_add_sat_u, 0x70, simd_add_sat_u8(a, b)) \
	X(i8x16_sub_sat_s, 0x72, simd_sub_sat_i8(a, b)) \
	X(i8x16_sub_sat_u, 0x73, simd_sub_sat_u8(a, b)) \
	X(i8x16_min_s, 0x76, SIMD_PICK(I8(a) < I8(b), a, b)) \
	X(i8x16_min_u, 0x77, SIMD_PICK(U8(a) < U8(b), a, b)) \
	X(i8x16_max_s, 0x78, SIMD_PICK(I8(a) > I8(b), a, b)) \
	X(i8x16_max_u, 0x79, SIMD_PICK(U8(a) > U8(b), a, b)) \
	X(i8x16_avgr_u, 0x7b, simd_avgr_u8(a, b)) \
	X(i16x8_q15mulr_sat_s, 0x82, simd_q15mulr(a, b)) \
	X(i16x8_narrow_i32x4_s, 0x85, simd_narrow_i16_s(a, b)) \
	X(i16x8_narrow_i32x4_u, 0x86, simd_narrow_i16_u(a, b)) \
	X(i16x8_add_sat_s, 0x8f, simd_add_sat_i16(a, b)) \
	X(i16x8_add_sat_u, 0x90, simd_add_sat_u16(a, b)) \
	X(i16x8_sub_sat_s, 0x92, simd_sub_sat_i16(a, b)) \
	X(i16x8_sub_sat_u, 0x93, simd_sub_sat_u16(a, b)) \
	X(i16x8_min_s, 0x96, SIMD_PICK(I16(a) < I16(b), a, b)) \
	X(i16x8_min_u, 0x97, SIMD_PICK(U16(a) < U16(b), a, b)) \
	X(i16x8_max_s, 0x98, SIMD_PICK(I16(a) > I16(b), a, b)) \
	X(i16x8_max_u, 0x99, SIMD_PICK(U16(a) > U16(b), a, b)) \
	X(i16x8_avgr_u, 0x9b, simd_avgr_u16(a, b)) \
	X(i16x8_extmul_low_i8x16_s, 0x9c, SIMD_EXTMUL(i16, 8, i8, 0, a, b)) \
	X(i16x8_extmul_high_i8x16_s, 0x9d, SIMD_EXTMUL(i16, 8, i8, 8, a, b)) \
	X(i16x8_extmul_low_i8x16_u, 0x9e, SIMD_EXTMUL(u16, 8, u8, 0, a, b)) \
	X(i16x8_extmul_high_i8x16_u, 0x9f, SIMD_EXTMUL(u16, 8, u8, 8, a, b)) \
	X(i32x4_min_s, 0xb6, SIMD_PICK(I32(a) < I32(b), a, b)) \
	X(i32x4_min_u, 0xb7, SIMD_PICK(U32(a) < U32(b), a, b)) \
	X(i32x4_max_s, 0xb8, SIMD_PICK(I32(a) > I32(b), a, b)) \
	X(i32x4_max_u, 0xb9, SIMD_PICK(U32(a) > U32(b), a, b)) \
	X(i32x4_dot_i16x8_s, 0xba, simd_dot(a, b)) \
	X(i32x4_extmul_low_i16x8_s, 0xbc, SIMD_EXTMUL(i32, 4, i16, 0, a, b)) \
	X(i32x4_extmul_high_i16x8_s, 0xbd, SIMD_EXTMUL(i32, 4, i16, 4, a, b)) \
	X(i32x4_extmul_low_i16x8_u, 0xbe, SIMD_EXTMUL(u32, 4, u16, 0, a, b)) \
	X(i32x4_extmul_high_i16x8_u, 0xbf, SIMD_EXTMUL(u32, 4, u16, 4, a, b)) \
	X(i64x2_mul, 0xd5, a * b) \
	X(i64x2_extmul_low_i32x4_s, 0xdc, SIMD_EXTMUL(i64, 2, i32, 0, a, b)) \
	X(i64x2_extmul_high_i32x4_s, 0xdd, SIMD_EXTMUL(i64, 2, i32, 2, a, b)) \
	X(i64x2_extmul_low_i32x4_u, 0xde, SIMD_EXTMUL(u64, 2, u32, 0, a, b)) \
	X(i64x2_extmul_high_i32x4_u, 0xdf, SIMD_EXTMUL(u64, 2, u32, 2, a, b)) \
	X(f32x4_min, 0xe8, SIMD_ZIP(f32, 4, f32_min, a, b)) \
	X(f32x4_max, 0xe9, SIMD_ZIP(f32, 4, f32_max, a, b)) \
	X(f32x4_pmin, 0xea, SIMD_PICK(F32(b) < F32(a), b, a)) \
	X(f32x4_pmax, 0xeb, SIMD_PICK(F32(a) < F32(b), b, a)) \
	X(f64x2_min, 0xf4, SIMD_ZIP(f64, 2, f64_min, a, b)) \
	X(f64x2_max, 0xf5, SIMD_ZIP(f64, 2, f64_max, a, b)) \
	X(f64x2_pmin, 0xf6, SIMD_PICK(F64(b) < F64(a), b, a)) \
	X(f64x2_pmax, 0xf7, SIMD_PICK(F64(a) < F64(b), b, a))

/* The binary ops common in vectorised loops: their own interpreter
 * handlers (d a b), with no call. */
#define SIMD_FAST_BINOPS(X) \
	X(v128_and, 0x4e, a & b) \
	X(v128_andnot, 0x4f, a & ~b) \
	X(v128_or, 0x50, a | b) \
	X(v128_xor, 0x51, a ^ b) \
	X(i8x16_add, 0x6e, (v128)(U8(a) + U8(b))) \
	X(i8x16_sub, 0x71, (v128)(U8(a) - U8(b))) \
	X(i16x8_add, 0x8e, (v128)(U16(a) + U16(b))) \
	X(i16x8_sub, 0x91, (v128)(U16(a) - U16(b))) \
	X(i16x8_mul, 0x95, (v128)(U16(a) * U16(b))) \
	X(i32x4_add, 0xae, (v128)(U32(a) + U32(b))) \
	X(i32x4_sub, 0xb1, (v128)(U32(a) - U32(b))) \
	X(i32x4_mul, 0xb5, (v128)(U32(a) * U32(b))) \
	X(i64x2_add, 0xce, a + b) \
	X(i64x2_sub, 0xd1, a - b) \
	X(f32x4_add, 0xe4, (v128)(F32(a) + F32(b))) \
	X(f32x4_sub, 0xe5, (v128)(F32(a) - F32(b))) \
	X(f32x4_mul, 0xe6, (v128)(F32(a) * F32(b))) \
	X(f32x4_div, 0xe7, (v128)(F32(a) / F32(b))) \
	X(f64x2_add, 0xf0, (v128)(F64(a) + F64(b))) \
	X(f64x2_sub, 0xf1, (v128)(F64(a) - F64(b))) \
	X(f64x2_mul, 0xf2, (v128)(F64(a) * F64(b))) \
	X(f64x2_div, 0xf3, (v128)(F64(a) / F64(b)))

/* v128 v128 v128 -> v128 */
#define SIMD_TERNOPS(X) \
	X(v128_bitselect, 0x52, (a & c) | (b & ~c))

/* v128 i32 -> v128: the count is taken modulo the lane width. */
#define SIMD_SHIFTS(X) \
	X(i8x16_shl, 0x6b, (v128)(U8(a) << (n & 7))) \
	X(i8x16_shr_s, 0x6c, (v128)(I8(a) >> (n & 7))) \
	X(i8x16_shr_u, 0x6d, (v128)(U8(a) >> (n & 7))) \
	X(i16x8_shl, 0x8b, (v128)(U16(a) << (n & 15))) \
	X(i16x8_shr_s, 0x8c, (v128)(I16(a) >> (n & 15))) \
	X(i16x8_shr_u, 0x8d, (v128)(U16(a) >> (n & 15))) \
	X(i32x4_shl, 0xab, (v128)(U32(a) << (n & 31))) \
	X(i32x4_shr_s, 0xac, (v128)(I32(a) >> (n & 31))) \
	X(i32x4_shr_u, 0xad, (v128)(U32(a) >> (n & 31))) \
	X(i64x2_shl, 0xcb, a << (n & 63)) \
	X(i64x2_shr_s, 0xcc, (v128)(I64(a) >> (n & 63))) \
	X(i64x2_shr_u, 0xcd, a >> (n & 63))

/* scalar -> v128: X(name, sub-opcode, operand type, lane C type). */
#define SIMD_SPLATS(X) \
	X(i8x16_splat, 0x0f, I32, uint8_t) \
	X(i16x8_splat, 0x10, I32, uint16_t) \
	X(i32x4_splat, 0x11, I32, uint32_t) \
	X(i64x2_splat, 0x12, I64, uint64_t) \
	X(f32x4_splat, 0x13, F32, uint32_t) \
	X(f64x2_splat, 0x14, F64, uint64_t)

/* v128 -> i32 */
#define SIMD_TESTS(X) \
	X(v128_any_true, 0x53, (a[0] | a[1]) != 0) \
	X(i8x16_all_true, 0x63, SIMD_ALL_TRUE(u8, a)) \
	X(i8x16_bitmask, 0x64, simd_bitmask_i8(a)) \
	X(i16x8_all_true, 0x83, SIMD_ALL_TRUE(u16, a)) \
	X(i16x8_bitmask, 0x84, SIMD_BITMASK(i16, 8, a)) \
	X(i32x4_all_true, 0xa3, SIMD_ALL_TRUE(u32, a)) \
	X(i32x4_bitmask, 0xa4, SIMD_BITMASK(i32, 4, a)) \
	X(i64x2_all_true, 0xc3, SIMD_ALL_TRUE(u64, a)) \
	X(i64x2_bitmask, 0xc4, SIMD_BITMASK(i64, 2, a))

/* v128 -> scalar slot bits: X(name, sub-opcode, result type, lanes, expression) */
#define SIMD_EXTRACTS(X) \
	X(i8x16_extract_lane_s, 0x15, I32, 16, (uint32_t)(int32_t)I8(a)[l]) \
	X(i8x16_extract_lane_u, 0x16, I32, 16, U8(a)[l]) \
	X(i16x8_extract_lane_s, 0x18, I32, 8, (uint32_t)(int32_t)I16(a)[l]) \
	X(i16x8_extract_lane_u, 0x19, I32, 8, U16(a)[l]) \
	X(i32x4_extract_lane, 0x1b, I32, 4, U32(a)[l]) \
	X(i64x2_extract_lane, 0x1d, I64, 2, a[l]) \
	X(f32x4_extract_lane, 0x1f, F32, 4, U32(a)[l]) \
	X(f64x2_extract_lane, 0x21, F64, 2, a[l])

/* v128 scalar -> v128: X(name, sub-opcode, operand type, lanes, lane C type) */
#define SIMD_REPLACES(X) \
	X(i8x16_replace_lane, 0x17, I32, 16, uint8_t) \
	X(i16x8_replace_lane, 0x1a, I32, 8, uint16_t) \
	X(i32x4_replace_lane, 0x1c, I32, 4, uint32_t) \
	X(i64x2_replace_lane, 0x1e, I64, 2, uint64_t) \
	X(f32x4_replace_lane, 0x20, F32, 4, uint32_t) \
	X(f64x2_replace_lane, 0x22, F64, 2, uint64_t)

/* Memory -> v128: X(name, sub-opcode, bytes read, natural alignment log2, expression);
 * v128.load itself has its own handler. */
#define SIMD_LOADS(X) \
	X(v128_load8x8_s, 0x01, 8, 3, SIMD_LOAD_EXTEND(i16, 8, int8_t, p)) \
	X(v128_load8x8_u, 0x02, 8, 3, SIMD_LOAD_EXTEND(i16, 8, uint8_t, p)) \
	X(v128_load16x4_s, 0x03, 8, 3, SIMD_LOAD_EXTEND(i32, 4, int16_t, p)) \
	X(v128_load16x4_u, 0x04, 8, 3, SIMD_LOAD_EXTEND(i32, 4, uint16_t, p)) \
	X(v128_load32x2_s, 0x05, 8, 3, SIMD_LOAD_EXTEND(i64, 2, int32_t, p)) \
	X(v128_load32x2_u, 0x06, 8, 3, SIMD_LOAD_EXTEND(i64, 2, uint32_t, p)) \
	X(v128_load8_splat, 0x07, 1, 0, SIMD_LOAD_SPLAT(uint8_t, p)) \
	X(v128_load16_splat, 0x08, 2, 1, SIMD_LOAD_SPLAT(uint16_t, p)) \
	X(v128_load32_splat, 0x09, 4, 2, SIMD_LOAD_SPLAT(uint32_t, p)) \
	X(v128_load64_splat, 0x0a, 8, 3, SIMD_LOAD_SPLAT(uint64_t, p)) \
	X(v128_load32_zero, 0x5c, 4, 2, SIMD_LOAD_ZERO(uint32_t, p)) \
	X(v128_load64_zero, 0x5d, 8, 3, SIMD_LOAD_ZERO(uint64_t, p))

/* One lane from or to memory: X(name, sub-opcode, lane bytes, natural alignment log2, lanes) */
#define SIMD_LOAD_LANES(X) \
	X(v128_load8_lane, 0x54, 1, 0, 16) \
	X(v128_load16_lane, 0x55, 2, 1, 8) \
	X(v128_load32_lane, 0x56, 4, 2, 4) \
	X(v128_load64_lane, 0x57, 8, 3, 2)

#define SIMD_STORE_LANES(X) \
	X(v128_store8_lane, 0x58, 1, 0, 16) \
	X(v128_store16_lane, 0x59, 2, 1, 8) \
	X(v128_store32_lane, 0x5a, 4, 2, 4) \
	X(v128_store64_lane, 0x5b, 8, 3, 2)

/* Every memory access, in one order for the checked and guarded forms. */
#define SIMD_MEMOPS(X_LOAD, X_WHOLE, X_LOAD_LANE, X_STORE_LANE) \
	SIMD_LOADS(X_LOAD) \
	X_WHOLE(v128_load, 0x00, 16, 4, S_LOAD) \
	X_WHOLE(v128_store, 0x0b, 16, 4, S_STORE) \
	SIMD_LOAD_LANES(X_LOAD_LANE) \
	SIMD_STORE_LANES(X_STORE_LANE)

/*
 * The interpreter's SIMD handlers: one per operand shape, calling the
 * instruction's function (simd.c) from a cell, so that hundreds of lane
 * operations stay out of the threaded interpreter's one big function.
 *   simd_un       d a fn          simd_bin      d a b fn
 *   simd_tern     d a b c fn      simd_shift    d a b(i32) fn
 *   simd_splat    d a fn          simd_test     d a fn
 *   simd_extract  d a lane fn     simd_replace  d a b lane fn
 *   simd_load     d a(addr) offset fn size
 *   v128_load     d a(addr) offset
 *   v128_store    a(addr) b offset
 *   simd_load_lane  d a(addr) b offset lane size
 *   simd_store_lane a(addr) b offset lane size
 *   v128_const    d lo hi
 *   i8x16_shuffle d a b lo hi     (the 16 lane indices, 8 a cell)
 *   copy_v128     d a             (a move of both slots)
 *   select_v128   d a b c
 *   global_get_v128 d index, global_set_v128 index a
 *   <fast binop>  d a b
 * Each memory access is followed by its _guarded form.
 */
#define SIMD_HANDLERS(X) \
	X(simd_un) \
	X(simd_bin) \
	X(simd_tern) \
	X(simd_shift) \
	X(simd_splat) \
	X(simd_test) \
	X(simd_extract) \
	X(simd_replace) \
	X(simd_load) \
	X(simd_load_guarded) \
	X(v128_load) \
	X(v128_load_guarded) \
	X(v128_store) \
	X(v128_store_guarded) \
	X(simd_load_lane) \
	X(simd_load_lane_guarded) \
	X(simd_store_lane) \
	X(simd_store_lane_guarded) \
	X(v128_const) \
	X(i8x16_shuffle) \
	X(copy_v128) \
	X(select_v128) \
	X(global_get_v128) \
	X(global_set_v128) \
	SIMD_FAST_BINOPS(X)

/* Operand shapes of the 0xfd instructions. */
enum simd_shape {
	S_NONE, S_UN, S_BIN, S_TERN, S_SHIFT, S_SPLAT, S_TEST, S_EXTRACT, S_REPLACE,
	S_LOAD, S_STORE, S_LOAD_LANE, S_STORE_LANE,
};

/* One 0xfd sub-opcode (all but v128.const and i8x16.shuffle). */
struct wasm_simd_op {
	uint16_t handler; /* enum wasm_op; a memory access's guarded form is next */
	uint8_t shape;	  /* enum simd_shape, S_NONE: no such instruction */
	uint8_t type;	  /* the scalar operand or result */
	uint8_t natural;  /* memory accesses: natural alignment log2 */
	uint8_t lanes;	  /* lane immediates: how many lanes */
	uint8_t size;	  /* memory accesses: bytes */
	void (*fn)(void); /* the operation, of its shape's type (simd.c) */
};

/* simd.c, indexed by sub-opcode. */
extern const struct wasm_simd_op wasm_simd_ops[0x100];

#endif
