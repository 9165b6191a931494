// SPDX-License-Identifier: MIT
/* Traps: each kind comes back to the embedder as an error naming the
 * function, and the instance stays usable with its state defined. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"

#define INT32_MIN_U 0x80000000u

/* The trap, then proof that the instance still answers correctly. */
#define TRAP_THEN_OK(fx, name, args, nargs, trap, where)                      \
	do {                                                                  \
		EXPECT_TRAP((fx)->inst, name, args, nargs, trap, where);      \
		CHECK_EQ(CALL_I32((fx)->inst, "ok", 0), 42);                  \
	} while (0)

static struct wbpf_val ret(struct fixture *fx, const char *name, const struct wbpf_val *args,
			   size_t nargs)
{
	struct wbpf_val res = { 0 };
	struct wbpf_error err = { 0 };

	if (!CHECK(!call_export(fx->inst, name, args, nargs, &res, &err)))
		fprintf(stderr, "    %s: %s\n", name, err.msg);
	return res;
}

static void test_unreachable(void)
{
	struct fixture fx;

	if (!fixture_open(&fx, "traps", NULL))
		return;
	TRAP_THEN_OK(&fx, "unreachable", NULL, 0, WBPF_TRAP_UNREACHABLE, "hidden_unreachable");
	fixture_close(&fx);
}

static void test_memory_oob(void)
{
	struct wbpf_val a[3];
	struct fixture fx;

	if (!fixture_open(&fx, "traps", NULL))
		return;
	CHECK_EQ(CALL_I32(fx.inst, "load_at", 1, WASM_PAGE - 4), 0);
	a[0] = val_i32(WASM_PAGE - 3);
	TRAP_THEN_OK(&fx, "load_at", a, 1, WBPF_TRAP_MEM_OOB, "load_at");
	a[0] = val_i32(0xffffffff);
	TRAP_THEN_OK(&fx, "load_at", a, 1, WBPF_TRAP_MEM_OOB, "load_at");
	a[0] = val_i32(1);
	TRAP_THEN_OK(&fx, "load_far", a, 1, WBPF_TRAP_MEM_OOB, "load_far");
	a[0] = val_i32(WASM_PAGE - 8);
	CHECK_EQ(ret(&fx, "load64_at", a, 1).of.i64, 0);
	a[0] = val_i32(WASM_PAGE - 7);
	TRAP_THEN_OK(&fx, "load64_at", a, 1, WBPF_TRAP_MEM_OOB, "load64_at");
	fixture_close(&fx);
}

/* The first line names the function that trapped, not the one called. */
static void test_trap_names_callee(void)
{
	struct wbpf_val a = val_i32(WASM_PAGE);
	struct wbpf_error err = { 0 };
	struct fixture fx;

	if (!fixture_open(&fx, "traps", NULL))
		return;
	TRAP_THEN_OK(&fx, "oob_in_callee", &a, 1, WBPF_TRAP_MEM_OOB, "load_at");
	if (CHECK_EQ(call_export(fx.inst, "oob_in_callee", &a, 1, NULL, &err), -EFAULT)) {
		*strchrnul(err.msg, '\n') = '\0';
		CHECK_HAS(err.msg, "load_at");
	}
	a = val_i32(1);
	CHECK_EQ(ret(&fx, "oob_in_callee", &a, 1).of.i32, 0);
	fixture_close(&fx);
}

/* Out-of-bounds writes trap before writing anything. */
static void test_memory_oob_writes(void)
{
	struct wbpf_memory *mem;
	struct wbpf_val a[3];
	uint8_t tail[4];
	struct fixture fx;

	if (!fixture_open(&fx, "traps", NULL))
		return;
	mem = wbpf_instance__memory(fx.inst);
	a[0] = val_i32(WASM_PAGE - 3);
	a[1] = val_i32(0x01010101);
	TRAP_THEN_OK(&fx, "store_at", a, 2, WBPF_TRAP_MEM_OOB, "store_at");
	a[0] = val_i32(WASM_PAGE - 1000);
	a[1] = val_i32(1001);
	TRAP_THEN_OK(&fx, "fill", a, 2, WBPF_TRAP_MEM_OOB, "fill");
	/* A zero-length fill at the very end is in bounds, one past is not. */
	CALL_I32(fx.inst, "fill", 2, WASM_PAGE, 0);
	a[0] = val_i32(WASM_PAGE + 1);
	a[1] = val_i32(0);
	TRAP_THEN_OK(&fx, "fill", a, 2, WBPF_TRAP_MEM_OOB, "fill");
	CALL_I32(fx.inst, "store_at", 2, 0, 0x04030201);
	a[0] = val_i32(WASM_PAGE - 2);
	a[1] = val_i32(0);
	a[2] = val_i32(4);
	TRAP_THEN_OK(&fx, "copy", a, 3, WBPF_TRAP_MEM_OOB, "copy");
	a[0] = val_i32(0);
	a[1] = val_i32(WASM_PAGE - 1);
	a[2] = val_i32(2);
	TRAP_THEN_OK(&fx, "copy", a, 3, WBPF_TRAP_MEM_OOB, "copy");
	if (CHECK(mem) && CHECK(!wbpf_memory__read(mem, WASM_PAGE - 4, tail, 4)))
		CHECK(!memcmp(tail, "\0\0\0\0", 4));
	CHECK_EQ(CALL_I32(fx.inst, "load_at", 1, WASM_PAGE - 1000), 0);
	CHECK_EQ(CALL_I32(fx.inst, "load_at", 1, 0), 0x04030201);
	fixture_close(&fx);
}

static void test_table_traps(void)
{
	struct wbpf_val a[2] = { val_i32(3), val_i32(5) };
	struct fixture fx;

	if (!fixture_open(&fx, "traps", NULL))
		return;
	CHECK_EQ(CALL_I32(fx.inst, "indirect", 2, 0, 5), 25);
	TRAP_THEN_OK(&fx, "indirect", a, 2, WBPF_TRAP_TABLE_OOB, "indirect");
	a[0] = val_i32(0xffffffff);
	TRAP_THEN_OK(&fx, "indirect", a, 2, WBPF_TRAP_TABLE_OOB, "indirect");
	a[0] = val_i32(2);
	TRAP_THEN_OK(&fx, "indirect", a, 2, WBPF_TRAP_UNINIT_ELEM, "indirect");
	a[0] = val_i32(1);
	TRAP_THEN_OK(&fx, "indirect", a, 2, WBPF_TRAP_INDIRECT_TYPE, "indirect");
	a[0] = val_i32(3);
	TRAP_THEN_OK(&fx, "table_get", a, 1, WBPF_TRAP_TABLE_OOB, "table_get");
	CHECK_EQ(CALL_I32(fx.inst, "indirect", 2, 0, 6), 36);
	/* A funcref taken out of the table is callable from the API. */
	a[0] = val_i32(0);
	a[1] = ret(&fx, "table_get", a, 1);
	if (CHECK(a[1].type == WBPF_FUNCREF && a[1].of.func)) {
		struct wbpf_val six = val_i32(6), res;
		struct wbpf_error err = { 0 };

		if (CHECK(!wbpf_func__call(a[1].of.func, &six, 1, &res, 1, &err)))
			CHECK_EQ(res.of.i32, 36);
	}
	fixture_close(&fx);
}

static void test_integer_traps(void)
{
	struct wbpf_val a[2] = { val_i32(INT32_MIN_U), val_i32(0xffffffff) };
	struct wbpf_val b[2] = { val_i64(0x8000000000000000ull), val_i64(UINT64_MAX) };
	struct fixture fx;

	if (!fixture_open(&fx, "traps", NULL))
		return;
	TRAP_THEN_OK(&fx, "div_s", a, 2, WBPF_TRAP_INT_OVERFLOW, "div_s");
	TRAP_THEN_OK(&fx, "div_s64", b, 2, WBPF_TRAP_INT_OVERFLOW, "div_s64");
	/* The same operands are fine for the remainder. */
	CHECK_EQ(CALL_I32(fx.inst, "rem_s", 2, INT32_MIN_U, -1), 0);
	CHECK_EQ(ret(&fx, "rem_s64", b, 2).of.i64, 0);
	CHECK_EQ(CALL_I32(fx.inst, "div_s", 2, 7, -2), (uint32_t)-3);

	a[0] = val_i32(1);
	a[1] = val_i32(0);
	TRAP_THEN_OK(&fx, "div_s", a, 2, WBPF_TRAP_DIV_ZERO, "div_s");
	TRAP_THEN_OK(&fx, "div_u", a, 2, WBPF_TRAP_DIV_ZERO, "div_u");
	TRAP_THEN_OK(&fx, "rem_s", a, 2, WBPF_TRAP_DIV_ZERO, "rem_s");
	TRAP_THEN_OK(&fx, "rem_u", a, 2, WBPF_TRAP_DIV_ZERO, "rem_u");
	b[1] = val_i64(0);
	TRAP_THEN_OK(&fx, "div_s64", b, 2, WBPF_TRAP_DIV_ZERO, "div_s64");
	TRAP_THEN_OK(&fx, "rem_s64", b, 2, WBPF_TRAP_DIV_ZERO, "rem_s64");
	fixture_close(&fx);
}

static void test_conversion_traps(void)
{
	struct wbpf_val a;
	struct fixture fx;

	if (!fixture_open(&fx, "traps", NULL))
		return;
	a = val_f32(NAN);
	TRAP_THEN_OK(&fx, "trunc_f32_s", &a, 1, WBPF_TRAP_BAD_CONVERSION, "trunc_f32_s");
	a = val_f64(NAN);
	TRAP_THEN_OK(&fx, "trunc_f64_u", &a, 1, WBPF_TRAP_BAD_CONVERSION, "trunc_f64_u");
	/* Out of range is an overflow, not a bad conversion. */
	a = val_f32(2147483648.0f);
	TRAP_THEN_OK(&fx, "trunc_f32_s", &a, 1, WBPF_TRAP_INT_OVERFLOW, "trunc_f32_s");
	a = val_f64(-1.0);
	TRAP_THEN_OK(&fx, "trunc_f64_u", &a, 1, WBPF_TRAP_INT_OVERFLOW, "trunc_f64_u");
	a = val_f64(4294967296.0);
	TRAP_THEN_OK(&fx, "trunc_f64_u", &a, 1, WBPF_TRAP_INT_OVERFLOW, "trunc_f64_u");
	a = val_f64(INFINITY);
	TRAP_THEN_OK(&fx, "trunc_f64_s64", &a, 1, WBPF_TRAP_INT_OVERFLOW, "trunc_f64_s64");
	a = val_f64(9.3e18);
	TRAP_THEN_OK(&fx, "trunc_f64_s64", &a, 1, WBPF_TRAP_INT_OVERFLOW, "trunc_f64_s64");

	/* The edges that are in range. */
	a = val_f32(-2147483648.0f);
	CHECK_EQ(ret(&fx, "trunc_f32_s", &a, 1).of.i32, INT32_MIN_U);
	a = val_f64(-0.9);
	CHECK_EQ(ret(&fx, "trunc_f64_u", &a, 1).of.i32, 0);
	a = val_f64(4294967295.9);
	CHECK_EQ(ret(&fx, "trunc_f64_u", &a, 1).of.i32, 0xffffffff);
	a = val_f32(NAN);
	CHECK_EQ(ret(&fx, "trunc_sat", &a, 1).of.i32, 0);
	a = val_f32(3e9f);
	CHECK_EQ(ret(&fx, "trunc_sat", &a, 1).of.i32, 0x7fffffff);
	fixture_close(&fx);
}

static void test_stack_exhausted(void)
{
	struct wbpf_val a = val_i32(0), n = val_i64(20);
	struct fixture fx;

	if (!fixture_open(&fx, "traps", NULL))
		return;
	for (int i = 0; i < 3; i++) {
		TRAP_THEN_OK(&fx, "recurse_forever", &a, 1, WBPF_TRAP_STACK_EXHAUSTED,
			     "recurse_forever");
		/* The unwound stack is whole again: a recursion of 20 works. */
		CHECK_EQ(ret(&fx, "fac", &n, 1).of.i64, 2432902008176640000ull);
	}
	fixture_close(&fx);
}

static void test_state_after_trap(void)
{
	struct fixture fx;

	if (!fixture_open(&fx, "traps", NULL))
		return;
	TRAP_THEN_OK(&fx, "bump_then_trap", NULL, 0, WBPF_TRAP_UNREACHABLE, "bump_then_trap");
	CHECK_EQ(CALL_I32(fx.inst, "get_g", 0), 1);
	CHECK_EQ(CALL_I32(fx.inst, "load_at", 1, 0), 77);
	TRAP_THEN_OK(&fx, "bump_then_trap", NULL, 0, WBPF_TRAP_UNREACHABLE, "bump_then_trap");
	CHECK_EQ(CALL_I32(fx.inst, "get_g", 0), 2);
	fixture_close(&fx);
}

static void test_start_trap(void)
{
	struct fixture fx;

	if (!fixture_load(&fx, "traps_start", NULL))
		return;
	fx.inst = wbpf_instance__new(fx.store, fx.mod, &fx.err);
	CHECK(!fx.inst);
	CHECK_EQ(fx.err.kind, WBPF_ERR_TRAP);
	CHECK_EQ(fx.err.trap, WBPF_TRAP_DIV_ZERO);
	CHECK_HAS(fx.err.msg, "boom");
	fixture_close(&fx);
}

/* Traps by the thousand: nothing leaks (LeakSanitizer) or drifts. */
static void test_many_traps(void)
{
	struct wbpf_val a[2] = { val_i32(1), val_i32(0) };
	struct wbpf_error err;
	struct fixture fx;
	int wrong = 0;

	if (!fixture_open(&fx, "traps", NULL))
		return;
	for (int i = 0; i < 2000; i++) {
		memset(&err, 0, sizeof(err));
		if (call_export(fx.inst, "div_u", a, 2, NULL, &err) != -EFAULT ||
		    err.trap != WBPF_TRAP_DIV_ZERO)
			wrong++;
	}
	for (int i = 0; i < 10; i++) {
		memset(&err, 0, sizeof(err));
		if (call_export(fx.inst, "recurse_forever", a, 1, NULL, &err) != -EFAULT ||
		    err.trap != WBPF_TRAP_STACK_EXHAUSTED)
			wrong++;
	}
	CHECK_EQ(wrong, 0);
	CHECK_EQ(CALL_I32(fx.inst, "div_u", 2, 84, 2), 42);
	fixture_close(&fx);
}

static const struct check_test tests[] = {
	{ "unreachable", test_unreachable },
	{ "memory_oob", test_memory_oob },
	{ "trap_names_callee", test_trap_names_callee },
	{ "memory_oob_writes", test_memory_oob_writes },
	{ "table_traps", test_table_traps },
	{ "integer_traps", test_integer_traps },
	{ "conversion_traps", test_conversion_traps },
	{ "stack_exhausted", test_stack_exhausted },
	{ "state_after_trap", test_state_after_trap },
	{ "start_trap", test_start_trap },
	{ "many_traps", test_many_traps },
};

CHECK_MAIN(tests)
