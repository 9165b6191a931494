// SPDX-License-Identifier: MIT
/*
 * The SIMD instructions as functions, one per sub-opcode, generated from
 * the lists in ops_simd.h, and the table compile.c decodes them with.
 * The interpreter calls them through a code cell (see SIMD_HANDLERS).
 */
#include "wasm/ops.h"
#include "wasm/runtime.h"
#include "wasm/simd.h"

#define F_UN(name, sub, expr) static v128 simd_##name(v128 a) { return expr; }
#define F_BIN(name, sub, expr) static v128 simd_##name(v128 a, v128 b) { return expr; }
#define F_TERN(name, sub, expr) static v128 simd_##name(v128 a, v128 b, v128 c) { return expr; }
#define F_SHIFT(name, sub, expr) static v128 simd_##name(v128 a, uint32_t n) { return expr; }
#define F_SPLAT(name, sub, T, MT) static v128 simd_##name(uint64_t x) { return SIMD_SPLAT_BITS(MT, x); }
#define F_TEST(name, sub, expr) static uint64_t simd_##name(v128 a) { return (uint32_t)(expr); }
#define F_EXTRACT(name, sub, T, lanes, expr) \
	static uint64_t simd_##name(v128 a, uint64_t l) { return expr; }
#define F_REPLACE(name, sub, T, lanes, MT) \
	static v128 simd_##name(v128 a, uint64_t x, uint64_t l) \
	{ \
		MT v = (MT)x; \
		memcpy((uint8_t *)&a + l * sizeof(MT), &v, sizeof(v)); \
		return a; \
	}
#define F_LOAD(name, sub, size, al, expr) static v128 simd_##name(const uint8_t *p) { return expr; }
#define F_NONE(...)
SIMD_UNOPS(F_UN)
SIMD_BINOPS(F_BIN)
SIMD_TERNOPS(F_TERN)
SIMD_SHIFTS(F_SHIFT)
SIMD_SPLATS(F_SPLAT)
SIMD_TESTS(F_TEST)
SIMD_EXTRACTS(F_EXTRACT)
SIMD_REPLACES(F_REPLACE)
SIMD_MEMOPS(F_LOAD, F_NONE, F_NONE, F_NONE)

#define FN(name) ((void (*)(void))simd_##name)
#define T_I32 WBPF_I32
#define T_I64 WBPF_I64
#define T_F32 WBPF_F32
#define T_F64 WBPF_F64
#define E_UN(name, sub, ...) [sub] = { OP_simd_un, S_UN, 0, 0, 0, 0, FN(name) },
#define E_BIN(name, sub, ...) [sub] = { OP_simd_bin, S_BIN, 0, 0, 0, 0, FN(name) },
#define E_TERN(name, sub, ...) [sub] = { OP_simd_tern, S_TERN, 0, 0, 0, 0, FN(name) },
#define E_SHIFT(name, sub, ...) [sub] = { OP_simd_shift, S_SHIFT, T_I32, 0, 0, 0, FN(name) },
#define E_SPLAT(name, sub, T, ...) [sub] = { OP_simd_splat, S_SPLAT, T_##T, 0, 0, 0, FN(name) },
#define E_TEST(name, sub, ...) [sub] = { OP_simd_test, S_TEST, T_I32, 0, 0, 0, FN(name) },
#define E_EXTRACT(name, sub, T, lanes, ...) \
	[sub] = { OP_simd_extract, S_EXTRACT, T_##T, 0, lanes, 0, FN(name) },
#define E_REPLACE(name, sub, T, lanes, ...) \
	[sub] = { OP_simd_replace, S_REPLACE, T_##T, 0, lanes, 0, FN(name) },
#define E_LOAD(name, sub, size, al, ...) [sub] = { OP_simd_load, S_LOAD, 0, al, 0, size, FN(name) },
#define E_FAST(name, sub, ...) [sub] = { OP_##name, S_BIN, 0, 0, 0, 0, NULL },
#define E_WHOLE(name, sub, size, al, shape) [sub] = { OP_##name, shape, 0, al, 0, size, NULL },
#define E_LOAD_LANE(name, sub, size, al, lanes) \
	[sub] = { OP_simd_load_lane, S_LOAD_LANE, 0, al, lanes, size, NULL },
#define E_STORE_LANE(name, sub, size, al, lanes) \
	[sub] = { OP_simd_store_lane, S_STORE_LANE, 0, al, lanes, size, NULL },
const struct wasm_simd_op wasm_simd_ops[0x100] = {
	SIMD_UNOPS(E_UN)
	SIMD_BINOPS(E_BIN)
	SIMD_FAST_BINOPS(E_FAST)
	SIMD_TERNOPS(E_TERN)
	SIMD_SHIFTS(E_SHIFT)
	SIMD_SPLATS(E_SPLAT)
	SIMD_TESTS(E_TEST)
	SIMD_EXTRACTS(E_EXTRACT)
	SIMD_REPLACES(E_REPLACE)
	SIMD_MEMOPS(E_LOAD, E_WHOLE, E_LOAD_LANE, E_STORE_LANE)
};
