/* SPDX-License-Identifier: MIT */
/*
 * The internal instruction set, defined once. compile.c uses these lists
 * to validate and to emit; interp.c expands them into handlers.
 *
 * Operands follow the handler cell. "d" is the destination slot, "a",
 * "b", "c" source slots (frame-relative indices), "T" a branch target.
 */
#ifndef WBPF_WASM_OPS_H
#define WBPF_WASM_OPS_H

#include "wasm/ops_simd.h"

/*
 * Numeric instructions: X(name, wasm opcode, result type, operand type,
 * C expression over `a` (and `b`)). Types are I32 I64 F32 F64 (held in C
 * as uint32_t, uint64_t, float, double). TRAP variants carry a condition
 * yielding an enum wbpf_trap (0 = none) checked before the expression.
 * Saturating conversions use opcode 0x100 + their 0xFC sub-opcode.
 */
#define WASM_UNOPS(X) \
	X(i32_eqz, 0x45, I32, I32, a == 0) \
	X(i64_eqz, 0x50, I32, I64, a == 0) \
	X(i32_clz, 0x67, I32, I32, i32_clz(a)) \
	X(i32_ctz, 0x68, I32, I32, i32_ctz(a)) \
	X(i32_popcnt, 0x69, I32, I32, (uint32_t)__builtin_popcount(a)) \
	X(i64_clz, 0x79, I64, I64, i64_clz(a)) \
	X(i64_ctz, 0x7a, I64, I64, i64_ctz(a)) \
	X(i64_popcnt, 0x7b, I64, I64, (uint64_t)__builtin_popcountll(a)) \
	X(f32_abs, 0x8b, F32, F32, f32_abs(a)) \
	X(f32_neg, 0x8c, F32, F32, f32_neg(a)) \
	X(f32_ceil, 0x8d, F32, F32, f32_ceil(a)) \
	X(f32_floor, 0x8e, F32, F32, f32_floor(a)) \
	X(f32_trunc, 0x8f, F32, F32, f32_trunc(a)) \
	X(f32_nearest, 0x90, F32, F32, f32_nearest(a)) \
	X(f32_sqrt, 0x91, F32, F32, sqrtf(a)) \
	X(f64_abs, 0x99, F64, F64, f64_abs(a)) \
	X(f64_neg, 0x9a, F64, F64, f64_neg(a)) \
	X(f64_ceil, 0x9b, F64, F64, f64_ceil(a)) \
	X(f64_floor, 0x9c, F64, F64, f64_floor(a)) \
	X(f64_trunc, 0x9d, F64, F64, f64_trunc(a)) \
	X(f64_nearest, 0x9e, F64, F64, f64_nearest(a)) \
	X(f64_sqrt, 0x9f, F64, F64, sqrt(a)) \
	X(i32_wrap_i64, 0xa7, I32, I64, (uint32_t)a) \
	X(i64_extend_i32_s, 0xac, I64, I32, (uint64_t)(int64_t)(int32_t)a) \
	X(i64_extend_i32_u, 0xad, I64, I32, (uint64_t)a) \
	X(f32_convert_i32_s, 0xb2, F32, I32, (float)(int32_t)a) \
	X(f32_convert_i32_u, 0xb3, F32, I32, (float)a) \
	X(f32_convert_i64_s, 0xb4, F32, I64, (float)(int64_t)a) \
	X(f32_convert_i64_u, 0xb5, F32, I64, (float)a) \
	X(f32_demote_f64, 0xb6, F32, F64, (float)a) \
	X(f64_convert_i32_s, 0xb7, F64, I32, (double)(int32_t)a) \
	X(f64_convert_i32_u, 0xb8, F64, I32, (double)a) \
	X(f64_convert_i64_s, 0xb9, F64, I64, (double)(int64_t)a) \
	X(f64_convert_i64_u, 0xba, F64, I64, (double)a) \
	X(f64_promote_f32, 0xbb, F64, F32, (double)a) \
	X(i32_reinterpret_f32, 0xbc, I32, F32, f32_bits(a)) \
	X(i64_reinterpret_f64, 0xbd, I64, F64, f64_bits(a)) \
	X(f32_reinterpret_i32, 0xbe, F32, I32, f32_from(a)) \
	X(f64_reinterpret_i64, 0xbf, F64, I64, f64_from(a)) \
	X(i32_extend8_s, 0xc0, I32, I32, (uint32_t)(int32_t)(int8_t)a) \
	X(i32_extend16_s, 0xc1, I32, I32, (uint32_t)(int32_t)(int16_t)a) \
	X(i64_extend8_s, 0xc2, I64, I64, (uint64_t)(int64_t)(int8_t)a) \
	X(i64_extend16_s, 0xc3, I64, I64, (uint64_t)(int64_t)(int16_t)a) \
	X(i64_extend32_s, 0xc4, I64, I64, (uint64_t)(int64_t)(int32_t)a) \
	X(i32_trunc_sat_f32_s, 0x100, I32, F32, (uint32_t)i32_sat_f32_s(a)) \
	X(i32_trunc_sat_f32_u, 0x101, I32, F32, i32_sat_f32_u(a)) \
	X(i32_trunc_sat_f64_s, 0x102, I32, F64, (uint32_t)i32_sat_f64_s(a)) \
	X(i32_trunc_sat_f64_u, 0x103, I32, F64, i32_sat_f64_u(a)) \
	X(i64_trunc_sat_f32_s, 0x104, I64, F32, (uint64_t)i64_sat_f32_s(a)) \
	X(i64_trunc_sat_f32_u, 0x105, I64, F32, i64_sat_f32_u(a)) \
	X(i64_trunc_sat_f64_s, 0x106, I64, F64, (uint64_t)i64_sat_f64_s(a)) \
	X(i64_trunc_sat_f64_u, 0x107, I64, F64, i64_sat_f64_u(a))

#define WASM_TRUNC_TRAP(x, OK) ((x) != (x) ? WBPF_TRAP_BAD_CONVERSION : OK(x) ? 0 : WBPF_TRAP_INT_OVERFLOW)

#define WASM_UNOPS_TRAP(X) \
	X(i32_trunc_f32_s, 0xa8, I32, F32, WASM_TRUNC_TRAP(a, F32_I32_OK), (uint32_t)(int32_t)a) \
	X(i32_trunc_f32_u, 0xa9, I32, F32, WASM_TRUNC_TRAP(a, F32_U32_OK), (uint32_t)a) \
	X(i32_trunc_f64_s, 0xaa, I32, F64, WASM_TRUNC_TRAP(a, F64_I32_OK), (uint32_t)(int32_t)a) \
	X(i32_trunc_f64_u, 0xab, I32, F64, WASM_TRUNC_TRAP(a, F64_U32_OK), (uint32_t)a) \
	X(i64_trunc_f32_s, 0xae, I64, F32, WASM_TRUNC_TRAP(a, F32_I64_OK), (uint64_t)(int64_t)a) \
	X(i64_trunc_f32_u, 0xaf, I64, F32, WASM_TRUNC_TRAP(a, F32_U64_OK), (uint64_t)a) \
	X(i64_trunc_f64_s, 0xb0, I64, F64, WASM_TRUNC_TRAP(a, F64_I64_OK), (uint64_t)(int64_t)a) \
	X(i64_trunc_f64_u, 0xb1, I64, F64, WASM_TRUNC_TRAP(a, F64_U64_OK), (uint64_t)a)

/* Integer compares: also fused with a following br_if (see below). */
#define WASM_CMPOPS(X) \
	X(i32_eq, 0x46, I32, I32, a == b) \
	X(i32_ne, 0x47, I32, I32, a != b) \
	X(i32_lt_s, 0x48, I32, I32, (int32_t)a < (int32_t)b) \
	X(i32_lt_u, 0x49, I32, I32, a < b) \
	X(i32_gt_s, 0x4a, I32, I32, (int32_t)a > (int32_t)b) \
	X(i32_gt_u, 0x4b, I32, I32, a > b) \
	X(i32_le_s, 0x4c, I32, I32, (int32_t)a <= (int32_t)b) \
	X(i32_le_u, 0x4d, I32, I32, a <= b) \
	X(i32_ge_s, 0x4e, I32, I32, (int32_t)a >= (int32_t)b) \
	X(i32_ge_u, 0x4f, I32, I32, a >= b) \
	X(i64_eq, 0x51, I32, I64, a == b) \
	X(i64_ne, 0x52, I32, I64, a != b) \
	X(i64_lt_s, 0x53, I32, I64, (int64_t)a < (int64_t)b) \
	X(i64_lt_u, 0x54, I32, I64, a < b) \
	X(i64_gt_s, 0x55, I32, I64, (int64_t)a > (int64_t)b) \
	X(i64_gt_u, 0x56, I32, I64, a > b) \
	X(i64_le_s, 0x57, I32, I64, (int64_t)a <= (int64_t)b) \
	X(i64_le_u, 0x58, I32, I64, a <= b) \
	X(i64_ge_s, 0x59, I32, I64, (int64_t)a >= (int64_t)b) \
	X(i64_ge_u, 0x5a, I32, I64, a >= b) \

#define WASM_BINOPS(X) \
	WASM_CMPOPS(X) \
	X(f32_eq, 0x5b, I32, F32, a == b) \
	X(f32_ne, 0x5c, I32, F32, a != b) \
	X(f32_lt, 0x5d, I32, F32, a < b) \
	X(f32_gt, 0x5e, I32, F32, a > b) \
	X(f32_le, 0x5f, I32, F32, a <= b) \
	X(f32_ge, 0x60, I32, F32, a >= b) \
	X(f64_eq, 0x61, I32, F64, a == b) \
	X(f64_ne, 0x62, I32, F64, a != b) \
	X(f64_lt, 0x63, I32, F64, a < b) \
	X(f64_gt, 0x64, I32, F64, a > b) \
	X(f64_le, 0x65, I32, F64, a <= b) \
	X(f64_ge, 0x66, I32, F64, a >= b) \
	X(i32_add, 0x6a, I32, I32, a + b) \
	X(i32_sub, 0x6b, I32, I32, a - b) \
	X(i32_mul, 0x6c, I32, I32, a * b) \
	X(i32_and, 0x71, I32, I32, a & b) \
	X(i32_or, 0x72, I32, I32, a | b) \
	X(i32_xor, 0x73, I32, I32, a ^ b) \
	X(i32_shl, 0x74, I32, I32, a << (b & 31)) \
	X(i32_shr_s, 0x75, I32, I32, (uint32_t)((int32_t)a >> (b & 31))) \
	X(i32_shr_u, 0x76, I32, I32, a >> (b & 31)) \
	X(i32_rotl, 0x77, I32, I32, i32_rotl(a, b)) \
	X(i32_rotr, 0x78, I32, I32, i32_rotr(a, b)) \
	X(i64_add, 0x7c, I64, I64, a + b) \
	X(i64_sub, 0x7d, I64, I64, a - b) \
	X(i64_mul, 0x7e, I64, I64, a * b) \
	X(i64_and, 0x83, I64, I64, a & b) \
	X(i64_or, 0x84, I64, I64, a | b) \
	X(i64_xor, 0x85, I64, I64, a ^ b) \
	X(i64_shl, 0x86, I64, I64, a << (b & 63)) \
	X(i64_shr_s, 0x87, I64, I64, (uint64_t)((int64_t)a >> (b & 63))) \
	X(i64_shr_u, 0x88, I64, I64, a >> (b & 63)) \
	X(i64_rotl, 0x89, I64, I64, i64_rotl(a, b)) \
	X(i64_rotr, 0x8a, I64, I64, i64_rotr(a, b)) \
	X(f32_add, 0x92, F32, F32, a + b) \
	X(f32_sub, 0x93, F32, F32, a - b) \
	X(f32_mul, 0x94, F32, F32, a * b) \
	X(f32_div, 0x95, F32, F32, a / b) \
	X(f32_min, 0x96, F32, F32, f32_min(a, b)) \
	X(f32_max, 0x97, F32, F32, f32_max(a, b)) \
	X(f32_copysign, 0x98, F32, F32, f32_copysign(a, b)) \
	X(f64_add, 0xa0, F64, F64, a + b) \
	X(f64_sub, 0xa1, F64, F64, a - b) \
	X(f64_mul, 0xa2, F64, F64, a * b) \
	X(f64_div, 0xa3, F64, F64, a / b) \
	X(f64_min, 0xa4, F64, F64, f64_min(a, b)) \
	X(f64_max, 0xa5, F64, F64, f64_max(a, b)) \
	X(f64_copysign, 0xa6, F64, F64, f64_copysign(a, b))

#define WASM_DIV_S_TRAP(a, b, MIN) \
	((b) == 0 ? WBPF_TRAP_DIV_ZERO : ((a) == (MIN) && (b) == (__typeof__(b))-1) ? WBPF_TRAP_INT_OVERFLOW : 0)

#define WASM_BINOPS_TRAP(X) \
	X(i32_div_s, 0x6d, I32, I32, WASM_DIV_S_TRAP(a, b, 0x80000000u), (uint32_t)((int32_t)a / (int32_t)b)) \
	X(i32_div_u, 0x6e, I32, I32, b == 0 ? WBPF_TRAP_DIV_ZERO : 0, a / b) \
	X(i32_rem_s, 0x6f, I32, I32, b == 0 ? WBPF_TRAP_DIV_ZERO : 0, \
	  b == 0xffffffffu ? 0 : (uint32_t)((int32_t)a % (int32_t)b)) \
	X(i32_rem_u, 0x70, I32, I32, b == 0 ? WBPF_TRAP_DIV_ZERO : 0, a % b) \
	X(i64_div_s, 0x7f, I64, I64, WASM_DIV_S_TRAP(a, b, 0x8000000000000000ull), \
	  (uint64_t)((int64_t)a / (int64_t)b)) \
	X(i64_div_u, 0x80, I64, I64, b == 0 ? WBPF_TRAP_DIV_ZERO : 0, a / b) \
	X(i64_rem_s, 0x81, I64, I64, b == 0 ? WBPF_TRAP_DIV_ZERO : 0, \
	  b == ~0ull ? 0 : (uint64_t)((int64_t)a % (int64_t)b)) \
	X(i64_rem_u, 0x82, I64, I64, b == 0 ? WBPF_TRAP_DIV_ZERO : 0, a % b)

/* Loads and stores: X(name, wasm opcode, value type, C memory type,
 * natural alignment log2). */
#define WASM_LOADS(X) \
	X(i32_load, 0x28, I32, uint32_t, 2) \
	X(i64_load, 0x29, I64, uint64_t, 3) \
	X(f32_load, 0x2a, F32, float, 2) \
	X(f64_load, 0x2b, F64, double, 3) \
	X(i32_load8_s, 0x2c, I32, int8_t, 0) \
	X(i32_load8_u, 0x2d, I32, uint8_t, 0) \
	X(i32_load16_s, 0x2e, I32, int16_t, 1) \
	X(i32_load16_u, 0x2f, I32, uint16_t, 1) \
	X(i64_load8_s, 0x30, I64, int8_t, 0) \
	X(i64_load8_u, 0x31, I64, uint8_t, 0) \
	X(i64_load16_s, 0x32, I64, int16_t, 1) \
	X(i64_load16_u, 0x33, I64, uint16_t, 1) \
	X(i64_load32_s, 0x34, I64, int32_t, 2) \
	X(i64_load32_u, 0x35, I64, uint32_t, 2)

#define WASM_STORES(X) \
	X(i32_store, 0x36, I32, uint32_t, 2) \
	X(i64_store, 0x37, I64, uint64_t, 3) \
	X(f32_store, 0x38, F32, float, 2) \
	X(f64_store, 0x39, F64, double, 3) \
	X(i32_store8, 0x3a, I32, uint8_t, 0) \
	X(i32_store16, 0x3b, I32, uint16_t, 1) \
	X(i64_store8, 0x3c, I64, uint8_t, 0) \
	X(i64_store16, 0x3d, I64, uint16_t, 1) \
	X(i64_store32, 0x3e, I64, uint32_t, 2)

/* Everything else, handled one by one in interp.c. */
#define WASM_CONTROL_OPS(X) \
	X(unreachable) /* */ \
	X(br)		/* T cost */ \
	X(br_if)	/* a T cost */ \
	X(br_unless)	/* a T cost */ \
	X(br_if_fa)	/* a T cost: the condition in the accumulator */ \
	X(br_unless_fa)	/* a T cost */ \
	X(br_table)	/* a n T0..Tn (Tn is the default) */ \
	X(call)		/* func base */ \
	X(call_indirect) /* table type base a */ \
	X(ret)		/* */ \
	X(copy)		/* d a */ \
	X(copy2)	/* d a d2 a2: two copies, in order */ \
	X(const64)	/* d value */ \
	X(select)	/* d a b c */ \
	X(global_get)	/* d index */ \
	X(global_set)	/* index a */ \
	X(ref_is_null)	/* d a */ \
	X(ref_func)	/* d index */ \
	X(table_get)	/* d table a */ \
	X(table_set)	/* table a b */ \
	X(table_size)	/* d table */ \
	X(table_grow)	/* d table a(init) b(n) */ \
	X(table_fill)	/* table a(i) b(val) c(n) */ \
	X(table_copy)	/* dst src a b c */ \
	X(table_init)	/* table seg a b c */ \
	X(elem_drop)	/* seg */ \
	X(memory_size)	/* d */ \
	X(memory_grow)	/* d a */ \
	X(memory_fill)	/* a b c */ \
	X(memory_copy)	/* a b c */ \
	X(memory_init)	/* seg a b c */ \
	X(data_drop)	/* seg */

/*
 * Every branch carries a fuel cost: 0 forward, the loop body's length on
 * back-edges, so that fuel and interrupts are checked once per iteration
 * without an instruction of their own.
 *
 * Fused forms, derived from the lists above:
 *   <binop>_imm       d a imm      the second operand a constant
 *   br_if_<cmp>       a b T cost   compare and branch
 *   br_if_<cmp>_imm   a imm T cost
 *   <load/store>_guarded  without a bounds check: the memory's guard
 *                     region faults instead (see guard.c)
 *   <load/store>_ai   the address is a + imm (wrapping at 32 bits), the
 *                     i32.add before it folded in: d a imm offset /
 *                     a imm b(value) offset
 *   <op>_fa           operand a (a load's address, a store's value) is
 *                     the result of the instruction just before, still in
 *                     a register: no round trip through its slot
 *   <binop>_fb        the same for operand b
 *   <binop>_mem[_ai]  operand a loaded from memory (guarded): the load
 *                     just before folded in: d addr [imm] offset b
 */
#define WASM_OP_ENUM_NAME(name, ...) OP_##name,
#define WASM_OP_ENUM_IMM(name, ...) OP_##name##_imm,
#define WASM_OP_ENUM_BR(name, ...) OP_br_if_##name, OP_br_if_##name##_imm,
#define WASM_OP_ENUM_GUARDED(name, ...) OP_##name##_guarded,
#define WASM_OP_ENUM_FA(name, ...) OP_##name##_fa,
#define WASM_OP_ENUM_IMM_FA(name, ...) OP_##name##_imm_fa,
#define WASM_OP_ENUM_GUARDED_FA(name, ...) OP_##name##_guarded_fa,
#define WASM_OP_ENUM_BR_FA(name, ...) OP_br_if_##name##_fa, OP_br_if_##name##_imm_fa,
#define WASM_OP_ENUM_AI(name, ...) OP_##name##_ai,
#define WASM_OP_ENUM_FB(name, ...) OP_##name##_fb,
#define WASM_OP_ENUM_MEM(name, ...) OP_##name##_mem, OP_##name##_mem_ai,
#define WASM_OP_ENUM_GUARDED_AI(name, ...) OP_##name##_guarded_ai,
enum wasm_op {
	WASM_CONTROL_OPS(WASM_OP_ENUM_NAME)
	WASM_UNOPS(WASM_OP_ENUM_NAME)
	WASM_UNOPS_TRAP(WASM_OP_ENUM_NAME)
	WASM_BINOPS(WASM_OP_ENUM_NAME)
	WASM_BINOPS_TRAP(WASM_OP_ENUM_NAME)
	WASM_LOADS(WASM_OP_ENUM_NAME)
	WASM_STORES(WASM_OP_ENUM_NAME)
	WASM_BINOPS(WASM_OP_ENUM_IMM)
	WASM_CMPOPS(WASM_OP_ENUM_BR)
	WASM_LOADS(WASM_OP_ENUM_GUARDED)
	WASM_STORES(WASM_OP_ENUM_GUARDED)
	WASM_UNOPS(WASM_OP_ENUM_FA)
	WASM_BINOPS(WASM_OP_ENUM_FA)
	WASM_BINOPS(WASM_OP_ENUM_IMM_FA)
	WASM_CMPOPS(WASM_OP_ENUM_BR_FA)
	WASM_LOADS(WASM_OP_ENUM_FA)
	WASM_STORES(WASM_OP_ENUM_FA)
	WASM_LOADS(WASM_OP_ENUM_GUARDED_FA)
	WASM_STORES(WASM_OP_ENUM_GUARDED_FA)
	WASM_LOADS(WASM_OP_ENUM_AI)
	WASM_STORES(WASM_OP_ENUM_AI)
	WASM_LOADS(WASM_OP_ENUM_GUARDED_AI)
	WASM_STORES(WASM_OP_ENUM_GUARDED_AI)
	WASM_BINOPS(WASM_OP_ENUM_FB)
	WASM_BINOPS(WASM_OP_ENUM_MEM)
	SIMD_HANDLERS(WASM_OP_ENUM_NAME)
	OP_COUNT
};

#endif
