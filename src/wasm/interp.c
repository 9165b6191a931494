// SPDX-License-Identifier: MIT
/*
 * The interpreter: direct-threaded code (each cell holds its handler's
 * address, reached with computed goto), operands addressed as frame slots.
 * Wasm-to-wasm calls never recurse on the C stack: frames live in the
 * store's frame array, so deep guest recursion is a trap, never a host
 * stack overflow.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wasm/jit.h"
#include "wasm/numeric.h"
#include "wasm/ops.h"
#include "wasm/runtime.h"
#include "wasm/simd.h"

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Fuel is moved from the store's reserve into its running budget in
 * chunks; when fuel is off, a chunk only bounds how long an interrupt can
 * go unnoticed. Bulk memory and table operations cost one unit per
 * BULK_UNIT elements. */
#define FUEL_CHUNK 10000
#define MAX_NESTING 200
#define BULK_UNIT_SHIFT 6

#define CT_I32 uint32_t
#define CT_I64 uint64_t
#define CT_F32 float
#define CT_F64 double
/* A slot's (or an immediate's) bits as a value of each type. */
#define VAL_I32(v) ((uint32_t)(v))
#define VAL_I64(v) ((uint64_t)(v))
#define VAL_F32(v) f32_from((uint32_t)(v))
#define VAL_F64(v) f64_from(v)
#define GET_I32(s) VAL_I32(fp[s])
#define GET_I64(s) VAL_I64(fp[s])
#define GET_F32(s) VAL_F32(fp[s])
#define GET_F64(s) VAL_F64(fp[s])
/* Results go to their slot and stay in an accumulator register, where
 * the next instruction may take them from (see the _fa forms). */
#define PUT_I32(s, v) (acc = (uint32_t)(v), fp[s] = acc)
#define PUT_I64(s, v) (acc = (uint64_t)(v), fp[s] = acc)
#define PUT_F32(s, v) (facc = (v), fp[s] = f32_bits(facc))
#define PUT_F64(s, v) (dacc = (v), fp[s] = f64_bits(dacc))
#define ACC_I32 ((uint32_t)acc)
#define ACC_I64 (acc)
#define ACC_F32 (facc)
#define ACC_F64 (dacc)

#define OPND(k) (ip[k].u64)
#define NEXT(n) do { ip += (n); goto *ip->op; } while (0)
#define TRAP(code) do { trap = (code); goto do_trap; } while (0)

static const char *const trap_text[] = {
	[WBPF_TRAP_NONE] = "no trap",
	[WBPF_TRAP_UNREACHABLE] = "unreachable executed",
	[WBPF_TRAP_MEM_OOB] = "out of bounds memory access",
	[WBPF_TRAP_TABLE_OOB] = "out of bounds table access",
	[WBPF_TRAP_INT_OVERFLOW] = "integer overflow",
	[WBPF_TRAP_DIV_ZERO] = "integer divide by zero",
	[WBPF_TRAP_BAD_CONVERSION] = "invalid conversion to integer",
	[WBPF_TRAP_INDIRECT_TYPE] = "indirect call type mismatch",
	[WBPF_TRAP_UNINIT_ELEM] = "uninitialized element",
	[WBPF_TRAP_NULL_REF] = "null reference",
	[WBPF_TRAP_STACK_EXHAUSTED] = "call stack exhausted",
	[WBPF_TRAP_FUEL] = "fuel exhausted",
	[WBPF_TRAP_INTERRUPTED] = "interrupted",
	[WBPF_TRAP_HOST] = "host function trapped",
};

const char *wbpf_trap__str(enum wbpf_trap trap)
{
	if ((unsigned)trap >= sizeof(trap_text) / sizeof(trap_text[0]))
		return "unknown trap";
	return trap_text[trap];
}

static const char *func_label(const struct wbpf_func *fn, char *buf, size_t len)
{
	if (!fn->inst)
		return fn->host_name;
	return wasm_func_name(fn->inst->mod, fn->index, buf, len);
}

/* "<what> in function 'f'" followed by the guest call chain. */
static void describe_trap(struct wbpf_store *st, const char *what, struct wbpf_error *err)
{
	const size_t cap = sizeof(err->msg), summary_room = 40;
	struct wbpf_func *fn = st->running;
	char name[128], line[160];
	uint32_t left = 0;
	size_t n;

	wasm_jit_frames(st); /* compiled calls keep no records as they run */
	n = (size_t)snprintf(err->msg, cap, "%s in function '%s'", what,
			     func_label(fn, name, sizeof(name)));
	if (n >= cap)
		n = cap - 1;
	/* Whole lines only; what does not fit is counted. */
	for (uint32_t d = st->depth + 1; d-- > 0;) {
		struct wbpf_func *f = d == st->depth ? fn : st->frames[d].fn;

		if (!f)
			continue;
		size_t len = (size_t)snprintf(line, sizeof(line), "\n  at %s",
					      func_label(f, name, sizeof(name)));

		if (left || len >= sizeof(line) || n + len + summary_room >= cap) {
			left++;
			continue;
		}
		memcpy(err->msg + n, line, len + 1);
		n += len;
	}
	if (left)
		snprintf(err->msg + n, cap - n, "\n  ... %u more frames", left);
}

static void trap_error(struct wbpf_store *st, enum wbpf_trap trap, struct wbpf_error *err)
{
	if (err) {
		err->kind = WBPF_ERR_TRAP;
		err->trap = trap;
		describe_trap(st, wbpf_trap__str(trap), err);
	}
}

/* Refills the running budget; returns a trap code when it must stop. */
static int refuel(struct wbpf_store *st)
{
	if (atomic_load_explicit(&st->interrupt, memory_order_relaxed))
		return WBPF_TRAP_INTERRUPTED;
	if (!st->fuel_enabled) {
		st->budget = FUEL_CHUNK;
		return 0;
	}
	uint64_t owed = (uint64_t)-st->budget;

	if (st->fuel <= owed) {
		st->fuel = 0;
		st->budget = 0;
		return WBPF_TRAP_FUEL;
	}
	st->fuel -= owed;
	uint64_t chunk = st->fuel < FUEL_CHUNK ? st->fuel : FUEL_CHUNK;

	st->fuel -= chunk;
	st->budget = (int64_t)chunk;
	return 0;
}

static void return_fuel(struct wbpf_store *st)
{
	if (st->fuel_enabled && st->budget > 0)
		st->fuel += (uint64_t)st->budget;
	st->budget = 0;
}

/* Host functions see a store whose stack_top is above the caller's frame,
 * so that they can call back into wasm. A nonzero return carries a trap
 * or an exit in st->pending. */
static int call_host(struct wbpf_store *st, struct wbpf_func *callee, struct wbpf_instance *inst,
		     slot_t *args, slot_t *frame_end)
{
	struct wbpf_caller caller = { .store = st, .inst = inst };
	slot_t *saved_top = st->stack_top;

	st->stack_top = frame_end;
	wasm_guard_pause(true);
	int rc = callee->host(&caller, args, callee->user);

	wasm_guard_pause(false);
	st->stack_top = saved_top;
	if (rc && st->pending.kind == WBPF_OK) {
		wasm_fail(&st->pending, WBPF_ERR_TRAP, "host function '%s' failed (%d)",
			  callee->host_name, rc);
		st->pending.trap = WBPF_TRAP_HOST;
	}
	return rc;
}

static int run(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp, struct wbpf_error *err,
	       const void *const **handlers_out)
{
#define H_LABEL(name, ...) &&L_##name,
#define H_LABEL_IMM(name, ...) &&L_##name##_imm,
#define H_LABEL_BR(name, ...) &&L_br_if_##name, &&L_br_if_##name##_imm,
#define H_LABEL_GUARDED(name, ...) &&L_##name##_guarded,
#define H_LABEL_FA(name, ...) &&L_##name##_fa,
#define H_LABEL_IMM_FA(name, ...) &&L_##name##_imm_fa,
#define H_LABEL_GUARDED_FA(name, ...) &&L_##name##_guarded_fa,
#define H_LABEL_BR_FA(name, ...) &&L_br_if_##name##_fa, &&L_br_if_##name##_imm_fa,
#define H_LABEL_AI(name, ...) &&L_##name##_ai,
#define H_LABEL_GUARDED_AI(name, ...) &&L_##name##_guarded_ai,
#define H_LABEL_FB(name, ...) &&L_##name##_fb,
#define H_LABEL_MEM(name, ...) &&L_##name##_mem, &&L_##name##_mem_ai,
	static const void *const handlers[OP_COUNT] = {
		WASM_CONTROL_OPS(H_LABEL)
		WASM_UNOPS(H_LABEL)
		WASM_UNOPS_TRAP(H_LABEL)
		WASM_BINOPS(H_LABEL)
		WASM_BINOPS_TRAP(H_LABEL)
		WASM_LOADS(H_LABEL)
		WASM_STORES(H_LABEL)
		WASM_BINOPS(H_LABEL_IMM)
		WASM_CMPOPS(H_LABEL_BR)
		WASM_LOADS(H_LABEL_GUARDED)
		WASM_STORES(H_LABEL_GUARDED)
		WASM_UNOPS(H_LABEL_FA)
		WASM_BINOPS(H_LABEL_FA)
		WASM_BINOPS(H_LABEL_IMM_FA)
		WASM_CMPOPS(H_LABEL_BR_FA)
		WASM_LOADS(H_LABEL_FA)
		WASM_STORES(H_LABEL_FA)
		WASM_LOADS(H_LABEL_GUARDED_FA)
		WASM_STORES(H_LABEL_GUARDED_FA)
		WASM_LOADS(H_LABEL_AI)
		WASM_STORES(H_LABEL_AI)
		WASM_LOADS(H_LABEL_GUARDED_AI)
		WASM_STORES(H_LABEL_GUARDED_AI)
		WASM_BINOPS(H_LABEL_FB)
		WASM_BINOPS(H_LABEL_MEM)
		SIMD_HANDLERS(H_LABEL)
	};
#undef H_LABEL
#undef H_LABEL_IMM
#undef H_LABEL_BR
#undef H_LABEL_GUARDED
#undef H_LABEL_FA
#undef H_LABEL_IMM_FA
#undef H_LABEL_GUARDED_FA
#undef H_LABEL_BR_FA
#undef H_LABEL_AI
#undef H_LABEL_GUARDED_AI
#undef H_LABEL_FB
#undef H_LABEL_MEM
	if (handlers_out) {
		*handlers_out = handlers;
		return 0;
	}

	const uint32_t entry_depth = st->depth;
	struct wbpf_instance *inst = fn->inst;

	st->running = fn;
	const wasm_cell *ip = fn->code->code;
	uint8_t *mem = NULL;
	int trap = 0, rc;
	uint64_t acc = 0;
	float facc = 0;
	double dacc = 0;
	struct wbpf_func *callee;
	slot_t *nfp;
	const wasm_cell *ret_ip;

	/* A memory's base never moves (memory.c), so it is reloaded only when
	 * the running instance changes; its size is read where it is needed,
	 * since any call may have grown it. */
#define LOAD_MEM() (mem = inst->mem ? inst->mem->data : NULL)
#define MEMSIZE() (inst->mem->size)
#define CHARGE(cost) do { \
		st->budget -= (int64_t)(cost); \
		if (UNLIKELY(st->budget < 0) && (trap = refuel(st))) \
			goto do_trap; \
	} while (0)

	LOAD_MEM();
	CHARGE(1);
	goto *ip->op;

	/* ---------------------------------------------------- numeric */
	/* Operand sources: a slot, an immediate, or the accumulator that
	 * holds the previous instruction's result (the _fa forms). */
#define SRC_SLOT(T, k) GET_##T(OPND(k))
#define SRC_IMM(T, k) VAL_##T(OPND(k))
#define SRC_ACC(T, k) ACC_##T
#define UNOP_BODY(TR, TA, SRC, expr) \
	{ CT_##TA a = SRC(TA, 2); PUT_##TR(OPND(1), expr); NEXT(3); }
#define BINOP_BODY(TR, TA, SRC_A, SRC_B, expr) \
	{ \
		CT_##TA a = SRC_A(TA, 2), b = SRC_B(TA, 3); \
		PUT_##TR(OPND(1), expr); NEXT(4); \
	}
#define H_UNOP(name, opc, TR, TA, expr) \
	L_##name: UNOP_BODY(TR, TA, SRC_SLOT, expr) \
	L_##name##_fa: UNOP_BODY(TR, TA, SRC_ACC, expr)
#define H_BINOP(name, opc, TR, TA, expr) \
	L_##name: BINOP_BODY(TR, TA, SRC_SLOT, SRC_SLOT, expr) \
	L_##name##_imm: BINOP_BODY(TR, TA, SRC_SLOT, SRC_IMM, expr) \
	L_##name##_fa: BINOP_BODY(TR, TA, SRC_ACC, SRC_SLOT, expr) \
	L_##name##_imm_fa: BINOP_BODY(TR, TA, SRC_ACC, SRC_IMM, expr) \
	L_##name##_fb: BINOP_BODY(TR, TA, SRC_SLOT, SRC_ACC, expr)
#define H_UNOP_TRAP(name, opc, TR, TA, check, expr) \
	L_##name: { \
		CT_##TA a = GET_##TA(OPND(2)); \
		int t_ = (check); \
		if (UNLIKELY(t_)) TRAP(t_); \
		PUT_##TR(OPND(1), expr); NEXT(3); \
	}
#define H_BINOP_TRAP(name, opc, TR, TA, check, expr) \
	L_##name: { \
		CT_##TA a = GET_##TA(OPND(2)), b = GET_##TA(OPND(3)); \
		int t_ = (check); \
		if (UNLIKELY(t_)) TRAP(t_); \
		PUT_##TR(OPND(1), expr); NEXT(4); \
	}
	/* Taken branches charge their cost (0 unless a loop back-edge). */
#define TAKE_BRANCH(t, cost) do { \
		if (ip[cost].i64) \
			CHARGE(ip[cost].i64); \
		ip = ip[t].target; \
		goto *ip->op; \
	} while (0)
#define BRCMP_BODY(TA, SRC_A, SRC_B, expr) \
	{ \
		CT_##TA a = SRC_A(TA, 1), b = SRC_B(TA, 2); \
		if (expr) TAKE_BRANCH(3, 4); \
		NEXT(5); \
	}
#define H_BR_CMP(name, opc, TR, TA, expr) \
	L_br_if_##name: BRCMP_BODY(TA, SRC_SLOT, SRC_SLOT, expr) \
	L_br_if_##name##_imm: BRCMP_BODY(TA, SRC_SLOT, SRC_IMM, expr) \
	L_br_if_##name##_fa: BRCMP_BODY(TA, SRC_ACC, SRC_SLOT, expr) \
	L_br_if_##name##_imm_fa: BRCMP_BODY(TA, SRC_ACC, SRC_IMM, expr)
	WASM_UNOPS(H_UNOP)
	WASM_UNOPS_TRAP(H_UNOP_TRAP)
	WASM_BINOPS(H_BINOP)
	WASM_BINOPS_TRAP(H_BINOP_TRAP)
	WASM_CMPOPS(H_BR_CMP)

	/* ----------------------------------------------------- memory */
	/* Loads: d a(addr) offset. Stores: a(addr) b(value) offset. The
	 * guarded forms leave bounds to the guard region. */
#define MEM_CHECK(checked, ea, size) \
	if ((checked) && UNLIKELY((ea) + (size) > MEMSIZE())) TRAP(WBPF_TRAP_MEM_OOB)
#define LOAD_BODY(VT, MT, ADDR, off, len, checked) \
	{ \
		uint64_t ea = (uint64_t)(ADDR) + OPND(off); \
		MT v; \
		MEM_CHECK(checked, ea, sizeof(MT)); \
		memcpy(&v, mem + ea, sizeof(v)); \
		PUT_##VT(OPND(1), v); NEXT(len); \
	}
#define STORE_BODY(MT, ADDR, VALUE, off, len, checked) \
	{ \
		uint64_t ea = (uint64_t)(ADDR) + OPND(off); \
		MT v = (MT)(VALUE); \
		MEM_CHECK(checked, ea, sizeof(MT)); \
		memcpy(mem + ea, &v, sizeof(v)); NEXT(len); \
	}
	/* The folded i32.add wraps at 32 bits, as it would have alone. */
#define ADDR_AI(k) ((uint32_t)(GET_I32(OPND(k)) + (uint32_t)OPND((k) + 1)))
#define H_LOAD(name, opc, VT, MT, al) \
	L_##name: LOAD_BODY(VT, MT, SRC_SLOT(I32, 2), 3, 4, 1) \
	L_##name##_fa: LOAD_BODY(VT, MT, SRC_ACC(I32, 2), 3, 4, 1) \
	L_##name##_ai: LOAD_BODY(VT, MT, ADDR_AI(2), 4, 5, 1) \
	L_##name##_guarded: LOAD_BODY(VT, MT, SRC_SLOT(I32, 2), 3, 4, 0) \
	L_##name##_guarded_fa: LOAD_BODY(VT, MT, SRC_ACC(I32, 2), 3, 4, 0) \
	L_##name##_guarded_ai: LOAD_BODY(VT, MT, ADDR_AI(2), 4, 5, 0)
#define H_STORE(name, opc, VT, MT, al) \
	L_##name: STORE_BODY(MT, GET_I32(OPND(1)), SRC_SLOT(VT, 2), 3, 4, 1) \
	L_##name##_fa: STORE_BODY(MT, GET_I32(OPND(1)), SRC_ACC(VT, 2), 3, 4, 1) \
	L_##name##_ai: STORE_BODY(MT, ADDR_AI(1), SRC_SLOT(VT, 3), 4, 5, 1) \
	L_##name##_guarded: STORE_BODY(MT, GET_I32(OPND(1)), SRC_SLOT(VT, 2), 3, 4, 0) \
	L_##name##_guarded_fa: STORE_BODY(MT, GET_I32(OPND(1)), SRC_ACC(VT, 2), 3, 4, 0) \
	L_##name##_guarded_ai: STORE_BODY(MT, ADDR_AI(1), SRC_SLOT(VT, 3), 4, 5, 0)
	WASM_LOADS(H_LOAD)
	WASM_STORES(H_STORE)

	/* A binary op whose first operand is loaded (guarded) right here. */
#define BINOP_MEM_BODY(TR, TA, ADDR, off, bk, len, expr) \
	{ \
		CT_##TA a, b = GET_##TA(OPND(bk)); \
		memcpy(&a, mem + (uint64_t)(ADDR) + OPND(off), sizeof(a)); \
		PUT_##TR(OPND(1), expr); NEXT(len); \
	}
#define H_BINOP_MEM(name, opc, TR, TA, expr) \
	L_##name##_mem: BINOP_MEM_BODY(TR, TA, GET_I32(OPND(2)), 3, 4, 5, expr) \
	L_##name##_mem_ai: BINOP_MEM_BODY(TR, TA, ADDR_AI(2), 4, 5, 6, expr)
	WASM_BINOPS(H_BINOP_MEM)

	/* ------------------------------------------------------- SIMD */
	/* A v128 is two slots. Each instruction is a function of its shape
	 * in a cell; its result is whole before it is written, so a
	 * destination may overlap a source. */
#define V_GET(k) simd_get(fp + OPND(k))
#define V_PUT(k, v) simd_put(fp + OPND(k), (v))
#define V_FN(T, k) ((T)ip[k].fn)
L_simd_un:
	V_PUT(1, V_FN(simd_un_fn, 3)(V_GET(2)));
	NEXT(4);
L_simd_bin:
	V_PUT(1, V_FN(simd_bin_fn, 4)(V_GET(2), V_GET(3)));
	NEXT(5);
L_simd_tern:
	V_PUT(1, V_FN(simd_tern_fn, 5)(V_GET(2), V_GET(3), V_GET(4)));
	NEXT(6);
L_simd_shift:
	V_PUT(1, V_FN(simd_shift_fn, 4)(V_GET(2), GET_I32(OPND(3))));
	NEXT(5);
L_simd_splat:
	V_PUT(1, V_FN(simd_splat_fn, 3)(fp[OPND(2)]));
	NEXT(4);
L_simd_test:
	fp[OPND(1)] = V_FN(simd_test_fn, 3)(V_GET(2));
	NEXT(4);
L_simd_extract:
	fp[OPND(1)] = V_FN(simd_extract_fn, 4)(V_GET(2), OPND(3));
	NEXT(5);
L_simd_replace:
	V_PUT(1, V_FN(simd_replace_fn, 5)(V_GET(2), fp[OPND(3)], OPND(4)));
	NEXT(6);
#define H_V_FAST(name, sub, expr) \
	L_##name: { v128 a = V_GET(2), b = V_GET(3); V_PUT(1, expr); NEXT(4); }
	SIMD_FAST_BINOPS(H_V_FAST)

	/* Memory: the address in slot k, its offset and the access's size
	 * in the cells named. */
#define V_EA(k, off, size, checked) \
	uint64_t ea = (uint64_t)GET_I32(OPND(k)) + OPND(off); \
	MEM_CHECK(checked, ea, size)
#define V_LOAD_BODY(checked) \
	{ V_EA(2, 3, OPND(5), checked); V_PUT(1, V_FN(simd_load_fn, 4)(mem + ea)); NEXT(6); }
#define V_WHOLE_LOAD_BODY(checked) \
	{ V_EA(2, 3, 16, checked); V_PUT(1, simd_load(mem + ea)); NEXT(4); }
#define V_STORE_BODY(checked) \
	{ V_EA(1, 3, 16, checked); v128 v = V_GET(2); memcpy(mem + ea, &v, 16); NEXT(4); }
#define V_LOAD_LANE_BODY(checked) \
	{ \
		V_EA(2, 4, OPND(6), checked); \
		v128 v = V_GET(3); \
		memcpy((uint8_t *)&v + OPND(5) * OPND(6), mem + ea, OPND(6)); \
		V_PUT(1, v); NEXT(7); \
	}
#define V_STORE_LANE_BODY(checked) \
	{ \
		V_EA(1, 3, OPND(5), checked); \
		v128 v = V_GET(2); \
		memcpy(mem + ea, (uint8_t *)&v + OPND(4) * OPND(5), OPND(5)); NEXT(6); \
	}
L_simd_load: V_LOAD_BODY(1)
L_simd_load_guarded: V_LOAD_BODY(0)
L_v128_load: V_WHOLE_LOAD_BODY(1)
L_v128_load_guarded: V_WHOLE_LOAD_BODY(0)
L_v128_store: V_STORE_BODY(1)
L_v128_store_guarded: V_STORE_BODY(0)
L_simd_load_lane: V_LOAD_LANE_BODY(1)
L_simd_load_lane_guarded: V_LOAD_LANE_BODY(0)
L_simd_store_lane: V_STORE_LANE_BODY(1)
L_simd_store_lane_guarded: V_STORE_LANE_BODY(0)

L_v128_const:
	fp[OPND(1)] = OPND(2);
	fp[OPND(1) + 1] = OPND(3);
	NEXT(4);
L_i8x16_shuffle: {
	v128 lanes = { OPND(4), OPND(5) };

	V_PUT(1, simd_shuffle(V_GET(2), V_GET(3), lanes));
	NEXT(6);
}
L_copy_v128:
	V_PUT(1, V_GET(2));
	NEXT(3);
L_select_v128:
	V_PUT(1, GET_I32(OPND(4)) ? V_GET(2) : V_GET(3));
	NEXT(5);
L_global_get_v128: {
	const struct wbpf_global *g = inst->globals[OPND(2)];

	fp[OPND(1)] = g->val;
	fp[OPND(1) + 1] = g->hi;
	NEXT(3);
}
L_global_set_v128: {
	struct wbpf_global *g = inst->globals[OPND(1)];
	v128 v = V_GET(2);

	g->val = v[0];
	g->hi = v[1];
	NEXT(3);
}

L_memory_size:
	PUT_I32(OPND(1), MEMSIZE() / WASM_PAGE_SIZE);
	NEXT(2);
L_memory_grow:
	PUT_I32(OPND(1), (uint32_t)wasm_memory_grow(inst->mem, GET_I32(OPND(2))));
	NEXT(3);
L_memory_fill: {
	uint64_t d = GET_I32(OPND(1)), n = GET_I32(OPND(3));

	CHARGE(n >> BULK_UNIT_SHIFT);
	if (!wasm_range_ok(MEMSIZE(), d, n))
		TRAP(WBPF_TRAP_MEM_OOB);
	memset(mem + d, (int)GET_I32(OPND(2)), n);
	NEXT(4);
}
L_memory_copy: {
	uint64_t d = GET_I32(OPND(1)), s = GET_I32(OPND(2)), n = GET_I32(OPND(3));

	CHARGE(n >> BULK_UNIT_SHIFT);
	if (!wasm_range_ok(MEMSIZE(), d, n) || !wasm_range_ok(MEMSIZE(), s, n))
		TRAP(WBPF_TRAP_MEM_OOB);
	memmove(mem + d, mem + s, n);
	NEXT(4);
}
L_memory_init: {
	const struct wasm_data *seg = &inst->mod->datas[OPND(1)];
	uint64_t seglen = inst->data_dropped[OPND(1)] ? 0 : seg->len;
	uint64_t d = GET_I32(OPND(2)), s = GET_I32(OPND(3)), n = GET_I32(OPND(4));

	CHARGE(n >> BULK_UNIT_SHIFT);
	if (!wasm_range_ok(MEMSIZE(), d, n) || !wasm_range_ok(seglen, s, n))
		TRAP(WBPF_TRAP_MEM_OOB);
	if (n)
		memcpy(mem + d, seg->bytes + s, n);
	NEXT(5);
}
L_data_drop:
	inst->data_dropped[OPND(1)] = 1;
	NEXT(2);

	/* ---------------------------------------------------- control */
L_unreachable:
	TRAP(WBPF_TRAP_UNREACHABLE);
L_br:
	TAKE_BRANCH(1, 2);
L_br_if:
	if (GET_I32(OPND(1)))
		TAKE_BRANCH(2, 3);
	NEXT(4);
L_br_unless:
	if (!GET_I32(OPND(1)))
		TAKE_BRANCH(2, 3);
	NEXT(4);
L_br_if_fa:
	if (ACC_I32)
		TAKE_BRANCH(2, 3);
	NEXT(4);
L_br_unless_fa:
	if (!ACC_I32)
		TAKE_BRANCH(2, 3);
	NEXT(4);
L_br_table: {
	uint64_t i = GET_I32(OPND(1)), n = OPND(2);

	ip = ip[3 + (i < n ? i : n)].target;
	goto *ip->op;
}
L_copy:
	fp[OPND(1)] = fp[OPND(2)];
	NEXT(3);
L_copy2:
	fp[OPND(1)] = fp[OPND(2)];
	fp[OPND(3)] = fp[OPND(4)];
	NEXT(5);
L_const64:
	fp[OPND(1)] = OPND(2);
	NEXT(3);
L_select:
	fp[OPND(1)] = GET_I32(OPND(4)) ? fp[OPND(2)] : fp[OPND(3)];
	NEXT(5);
L_global_get:
	fp[OPND(1)] = inst->globals[OPND(2)]->val;
	NEXT(3);
L_global_set:
	inst->globals[OPND(1)]->val = fp[OPND(2)];
	NEXT(3);
L_ref_is_null:
	PUT_I32(OPND(1), fp[OPND(2)] == 0);
	NEXT(3);
L_ref_func:
	fp[OPND(1)] = (slot_t)(uintptr_t)inst->funcs[OPND(2)];
	NEXT(3);

	/* ----------------------------------------------------- tables */
L_table_get: {
	struct wbpf_table *t = inst->tables[OPND(2)];
	uint32_t i = GET_I32(OPND(3));

	if (i >= t->size)
		TRAP(WBPF_TRAP_TABLE_OOB);
	fp[OPND(1)] = t->elems[i];
	NEXT(4);
}
L_table_set: {
	struct wbpf_table *t = inst->tables[OPND(1)];
	uint32_t i = GET_I32(OPND(2));

	if (i >= t->size)
		TRAP(WBPF_TRAP_TABLE_OOB);
	t->elems[i] = fp[OPND(3)];
	NEXT(4);
}
L_table_size:
	PUT_I32(OPND(1), inst->tables[OPND(2)]->size);
	NEXT(3);
L_table_grow:
	PUT_I32(OPND(1), (uint32_t)wasm_table_grow(inst->tables[OPND(2)], GET_I32(OPND(4)),
						  fp[OPND(3)]));
	NEXT(5);
L_table_fill: {
	struct wbpf_table *t = inst->tables[OPND(1)];
	uint64_t i = GET_I32(OPND(2)), n = GET_I32(OPND(4));

	CHARGE(n >> BULK_UNIT_SHIFT);
	if (!wasm_range_ok(t->size, i, n))
		TRAP(WBPF_TRAP_TABLE_OOB);
	for (uint64_t k = 0; k < n; k++)
		t->elems[i + k] = fp[OPND(3)];
	NEXT(5);
}
L_table_copy: {
	struct wbpf_table *dt = inst->tables[OPND(1)], *stb = inst->tables[OPND(2)];
	uint64_t d = GET_I32(OPND(3)), s = GET_I32(OPND(4)), n = GET_I32(OPND(5));

	CHARGE(n >> BULK_UNIT_SHIFT);
	if (!wasm_range_ok(dt->size, d, n) || !wasm_range_ok(stb->size, s, n))
		TRAP(WBPF_TRAP_TABLE_OOB);
	memmove(dt->elems + d, stb->elems + s, n * sizeof(slot_t));
	NEXT(6);
}
L_table_init: {
	struct wbpf_table *t = inst->tables[OPND(1)];
	uint64_t seg = OPND(2), d = GET_I32(OPND(3)), s = GET_I32(OPND(4)), n = GET_I32(OPND(5));

	CHARGE(n >> BULK_UNIT_SHIFT);
	if (!wasm_range_ok(t->size, d, n) || !wasm_range_ok(inst->elem_counts[seg], s, n))
		TRAP(WBPF_TRAP_TABLE_OOB);
	if (n)
		memcpy(t->elems + d, inst->elem_items[seg] + s, n * sizeof(slot_t));
	NEXT(6);
}
L_elem_drop:
	inst->elem_counts[OPND(1)] = 0;
	NEXT(2);

	/* ------------------------------------------------------ calls */
L_call:
	callee = inst->funcs[OPND(1)];
	nfp = fp + OPND(2);
	ret_ip = ip + 3;
	goto do_call;
L_call_indirect: {
	struct wbpf_table *t = inst->tables[OPND(1)];
	const struct wasm_functype *want = &inst->mod->types[OPND(2)];
	uint32_t i = GET_I32(OPND(4));

	if (i >= t->size)
		TRAP(WBPF_TRAP_TABLE_OOB);
	callee = (struct wbpf_func *)(uintptr_t)t->elems[i];
	if (!callee)
		TRAP(WBPF_TRAP_UNINIT_ELEM);
	if (callee->type != want && !wasm_functype_eq(callee->type, want))
		TRAP(WBPF_TRAP_INDIRECT_TYPE);
	nfp = fp + OPND(3);
	ret_ip = ip + 5;
	goto do_call;
}
do_call:
	if (callee->host) {
		/* The caller stays on the frame stack so that a trap in wasm
		 * the host calls back into shows the whole chain. */
		if (UNLIKELY(st->depth >= st->max_depth))
			TRAP(WBPF_TRAP_STACK_EXHAUSTED);
		st->frames[st->depth++] = (struct wasm_frame){ ret_ip, fp, fn };
		rc = call_host(st, callee, inst, nfp, fp + fn->code->frame_slots);
		st->depth--;
		if (rc)
			goto do_pending;
		CHARGE(1);
		ip = ret_ip;
		goto *ip->op;
	}
	{
		const struct wasm_compiled *code = callee->code;

		if (UNLIKELY(st->depth >= st->max_depth ||
			     nfp + code->frame_slots > st->stack_end))
			TRAP(WBPF_TRAP_STACK_EXHAUSTED);
		CHARGE(1);
		st->frames[st->depth++] = (struct wasm_frame){ ret_ip, fp, fn };
		wasm_zero_locals(nfp + code->nparams, code->nlocals);
		if (wasm_jit_native(code)) {
			rc = wasm_jit_run(st, callee, nfp, false, err);
			st->depth--;
			st->running = fn;
			if (rc) {
				st->depth = entry_depth;
				return rc;
			}
			ip = ret_ip;
			goto *ip->op;
		}
		fp = nfp;
		fn = callee;
		st->running = fn;
		ip = code->code;
		if (callee->inst != inst) {
			inst = callee->inst;
			LOAD_MEM();
		}
		goto *ip->op;
	}
L_ret:
	if (st->depth == entry_depth)
		return 0;
	{
		const struct wasm_frame *f = &st->frames[--st->depth];

		ip = f->ret_ip;
		fp = f->fp;
		fn = f->fn;
		st->running = fn;
		if (fn->inst != inst) {
			inst = fn->inst;
			LOAD_MEM();
		}
		goto *ip->op;
	}

do_trap:
	trap_error(st, (enum wbpf_trap)trap, err);
	st->depth = entry_depth;
	return -EFAULT;

do_pending:
	if (err) {
		*err = st->pending;
		/* A host trap gets the guest backtrace; a guest trap a host
		 * function passed on (wbpf_caller__rethrow) already has it. */
		if (st->pending.kind == WBPF_ERR_TRAP && st->pending.trap == WBPF_TRAP_HOST) {
			char what[sizeof(err->msg)];

			snprintf(what, sizeof(what), "%s", st->pending.msg);
			describe_trap(st, what, err);
		}
	}
	st->depth = entry_depth;
	return st->pending.kind == WBPF_ERR_EXIT ? -ECANCELED : -EFAULT;
#undef LOAD_MEM
#undef CHARGE
}

int wasm_interp_run(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp, struct wbpf_error *err)
{
	return run(st, fn, fp, err, NULL);
}

int wasm_interp_refuel(struct wbpf_store *st)
{
	return refuel(st);
}

void wasm_interp_trap(struct wbpf_store *st, enum wbpf_trap trap, struct wbpf_error *err)
{
	trap_error(st, trap, err);
}

const void *const *wasm_interp_handlers(void)
{
	const void *const *handlers;

	run(NULL, NULL, NULL, NULL, &handlers);
	return handlers;
}

/* Entering the engine from the host: the outermost entry starts the
 * fuel accounting and clears the interrupt and the pending error. */
static int host_enter(struct wbpf_store *st, struct wbpf_error *err)
{
	if (st->nesting >= MAX_NESTING) {
		int rc = wasm_fail(err, WBPF_ERR_TRAP, "call stack exhausted (host/wasm nesting)");

		if (err)
			err->trap = WBPF_TRAP_STACK_EXHAUSTED;
		return rc;
	}
	if (st->nesting == 0) {
		/* Without fuel the first chunk needs no refuel call. */
		st->budget = st->fuel_enabled ? 0 : FUEL_CHUNK;
		atomic_store(&st->interrupt, 0);
		st->pending.kind = WBPF_OK;
		st->pending.msg[0] = 0;
	}
	st->nesting++;
	return 0;
}

static void host_leave(struct wbpf_store *st, struct wbpf_func *outer)
{
	st->running = outer;
	if (--st->nesting == 0)
		return_fuel(st);
}

/* A host function called from the host: its trap or exit in err. */
static int host_direct(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp,
		       struct wbpf_error *err)
{
	uint32_t np = wasm_slot_count(fn->type->types, fn->type->nparams);
	uint32_t nr = wasm_slot_count(wasm_results(fn->type), fn->type->nresults);

	if (!call_host(st, fn, NULL, fp, fp + (np > nr ? np : nr)))
		return 0;
	if (err)
		*err = st->pending;
	return st->pending.kind == WBPF_ERR_EXIT ? -ECANCELED : -EFAULT;
}

/* A wasm function, inside the caller's landing. */
static int wasm_direct(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp,
		       struct wbpf_error *err)
{
	return wasm_jit_native(fn->code) ? wasm_jit_run(st, fn, fp, true, err) :
	       run(st, fn, fp, err, NULL);
}

/* One call of a series, its arguments already in the frame. */
static int call_one(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp,
		    const struct wasm_each *each, struct wbpf_error *err)
{
	if (fn->host)
		return host_direct(st, fn, fp, err);
	wasm_zero_locals(fp + each->nparams, fn->code->nlocals);
	return wasm_direct(st, fn, fp, err);
}

/* Calls until the host's next() has no more; next() runs outside the
 * guard regions' watch, as host code. A compiled function is entered
 * once for the whole series (wasm_jit_run_each). */
static int call_series(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp,
		       const struct wasm_each *each, struct wbpf_error *err)
{
	int rc;

	if (!fn->host && wasm_jit_native(fn->code))
		return wasm_jit_run_each(st, fn, fp, each, err);
	do {
		wasm_guard_pause(true);
		rc = each->next(each->ctx, fp);
		wasm_guard_pause(false);
	} while (rc > 0 && !(rc = call_one(st, fn, fp, each, err)));
	return rc;
}

/* Every entry from the host, one call (each NULL) or a series. A load or
 * store that hits a guard region comes back to this frame's landing, so
 * the sigsetjmp must be here, in the frame that outlives the calls. */
static int host_entry(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp,
		      const struct wasm_each *each, struct wbpf_error *err)
{
	const uint32_t entry_depth = st->depth;
	struct wbpf_func *const outer = st->running;
	struct wasm_landing landing;
	int rc = host_enter(st, err);

	if (rc)
		return rc;
	if (!each && fn->host) {
		rc = host_direct(st, fn, fp, err);
	} else if (sigsetjmp(landing.jump, 0)) {
		wasm_guard_leave(&landing);
		wasm_jit_landed(st, &landing);
		trap_error(st, WBPF_TRAP_MEM_OOB, err);
		st->depth = entry_depth;
		rc = -EFAULT;
	} else {
		wasm_guard_enter(&landing, st);
		rc = each ? call_series(st, fn, fp, each, err) : wasm_direct(st, fn, fp, err);
		wasm_guard_leave(&landing);
	}
	host_leave(st, outer);
	return rc;
}

int wasm_interp_call(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp, struct wbpf_error *err)
{
	return host_entry(st, fn, fp, NULL, err);
}

int wasm_interp_call_each(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp,
			  const struct wasm_each *each, struct wbpf_error *err)
{
	return host_entry(st, fn, fp, each, err);
}
