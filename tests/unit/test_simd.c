// SPDX-License-Identifier: MIT
/* v128 at the engine's boundaries: host functions (two slots each), the
 * call API, tables of v128 signatures, globals, and the frame layout of
 * v128 locals beside scalars. The instructions themselves are the spec
 * suite's (simd_*.wast). */
#include <string.h>

#include "helpers.h"

struct mix_ctx {
	uint64_t seen[4];
};

/* (i32 v128 i64) -> (v128 i32): records its slots, returns the v128's
 * halves swapped and the i32 doubled. */
static int h_mix(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct mix_ctx *ctx = user;
	uint64_t lo = slots[1], hi = slots[2];

	(void)c;
	memcpy(ctx->seen, slots, sizeof(ctx->seen));
	slots[2] = (uint32_t)slots[0] * 2;
	slots[0] = hi;
	slots[1] = lo;
	return 0;
}

static struct wbpf_val val_v128(uint64_t lo, uint64_t hi)
{
	return (struct wbpf_val){ .type = WBPF_V128, .of.v128 = { lo, hi } };
}

/* All results of an export. */
static int call_all(struct wbpf_instance *inst, const char *name, const struct wbpf_val *args,
		    size_t nargs, struct wbpf_val *res, size_t nres, struct wbpf_error *err)
{
	return wbpf_func__call(wbpf_instance__func(inst, name), args, nargs, res, nres, err);
}

static bool simd_open(struct fixture *fx, struct mix_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	if (!fixture_load(fx, "simd", NULL))
		return false;
	if (!CHECK(!wbpf_store__define_func(fx->store, "env", "mix", "(iVI)Vi", h_mix, ctx)) ||
	    !fixture_instantiate(fx)) {
		fixture_close(fx);
		return false;
	}
	return true;
}

static void test_host_slots(void)
{
	struct wbpf_val args[3] = { val_i32(21), val_v128(0x1111, 0x2222), val_i64(0x3333) }, res[2];
	struct wbpf_error err = { 0 };
	struct mix_ctx ctx;
	struct fixture fx;

	if (!simd_open(&fx, &ctx))
		return;
	CHECK_EQ(call_all(fx.inst, "call_mix", args, 3, res, 2, &err), 0);
	CHECK_EQ(ctx.seen[0], 21);
	CHECK_EQ(ctx.seen[1], 0x1111);
	CHECK_EQ(ctx.seen[2], 0x2222);
	CHECK_EQ(ctx.seen[3], 0x3333);
	CHECK(res[0].type == WBPF_V128 && res[1].type == WBPF_I32);
	CHECK_EQ(res[0].of.v128[0], 0x2222);
	CHECK_EQ(res[0].of.v128[1], 0x1111);
	CHECK_EQ(res[1].of.i32, 42);
	fixture_close(&fx);
}

/* A host function whose signature does not say v128 is refused at link
 * time, and the API refuses a scalar where a v128 is expected. */
static void test_refused(void)
{
	struct wbpf_val args[3] = { val_i32(1), val_i64(2), val_i64(3) }, res[2];
	struct wbpf_error err = { 0 };
	struct mix_ctx ctx = { 0 };
	struct fixture fx;

	if (!fixture_load(&fx, "simd", NULL))
		return;
	CHECK(!wbpf_store__define_func(fx.store, "env", "mix", "(iII)Ii", h_mix, &ctx));
	CHECK(!wbpf_instance__new(fx.store, fx.mod, &err));
	CHECK_EQ(err.kind, WBPF_ERR_LINK);
	fixture_close(&fx);
	if (!simd_open(&fx, &ctx))
		return;
	CHECK(call_all(fx.inst, "call_mix", args, 3, res, 2, &err) < 0);
	CHECK_EQ(err.kind, WBPF_ERR_ARG);
	fixture_close(&fx);
}

static void test_table_and_global(void)
{
	struct wbpf_val args[3] = { val_v128(0x0000000200000001ull, 0x0000000400000003ull),
				    val_i32(10), val_i32(0) }, res;
	struct wbpf_error err = { 0 };
	struct mix_ctx ctx;
	struct fixture fx;
	struct wbpf_extern g;
	struct wbpf_val gv;

	if (!simd_open(&fx, &ctx))
		return;
	/* $rot: lanes 1 2 3 4 -> 2 3 4 1 */
	if (CHECK(!call_export(fx.inst, "indirect", args, 3, &res, &err))) {
		CHECK_EQ(res.of.v128[0], 0x0000000300000002ull);
		CHECK_EQ(res.of.v128[1], 0x0000000100000004ull);
	}
	args[2] = val_i32(1); /* $add: each lane + 10 */
	if (CHECK(!call_export(fx.inst, "indirect", args, 3, &res, &err))) {
		CHECK_EQ(res.of.v128[0], 0x0000000c0000000bull);
		CHECK_EQ(res.of.v128[1], 0x0000000e0000000dull);
	}
	args[2] = val_i32(2);
	CHECK(call_export(fx.inst, "indirect", args, 3, &res, &err) < 0);
	CHECK_EQ(err.trap, WBPF_TRAP_TABLE_OOB);
	/* The global holds the last result; the API writes it whole too. */
	if (CHECK(!wbpf_instance__export(fx.inst, "g", &g)) &&
	    CHECK(!wbpf_global__get(g.of.global, &gv))) {
		CHECK(gv.type == WBPF_V128 && gv.of.v128[0] == 0x0000000c0000000bull &&
		      gv.of.v128[1] == 0x0000000e0000000dull);
		CHECK(!wbpf_global__set(g.of.global, val_v128(5, 6)));
		CHECK(!wbpf_global__get(g.of.global, &gv) && gv.of.v128[0] == 5 &&
		      gv.of.v128[1] == 6);
	}
	fixture_close(&fx);
}

static void test_locals_and_blocks(void)
{
	struct wbpf_val args[3] = { val_v128(0x0000000200000001ull, 0x0000000400000003ull),
				    val_i32(4) }, res[3];
	struct wbpf_error err = { 0 };
	struct mix_ctx ctx;
	struct fixture fx;

	if (!simd_open(&fx, &ctx))
		return;
	/* x + 4x = 5x: lanes 5 10 15 20, sum 50 */
	if (CHECK(!call_all(fx.inst, "loop", args, 2, res, 3, &err))) {
		CHECK_EQ(res[0].of.i32, 50);
		CHECK_EQ(res[1].of.v128[0], 0x0000000a00000005ull);
		CHECK_EQ(res[1].of.v128[1], 0x000000140000000full);
		CHECK_EQ(res[2].of.i64, 7);
	}
	args[1] = val_v128(~0ull, 0x5555);
	args[2] = val_i32(0);
	if (CHECK(!call_export(fx.inst, "pick", args, 3, res, &err)))
		CHECK(res[0].of.v128[0] == ~0ull && res[0].of.v128[1] == 0x5555);
	fixture_close(&fx);
}

static const struct check_test tests[] = {
	{ "host_slots", test_host_slots },
	{ "refused", test_refused },
	{ "table_and_global", test_table_and_global },
	{ "locals_and_blocks", test_locals_and_blocks },
};

CHECK_MAIN(tests)
