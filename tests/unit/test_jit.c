// SPDX-License-Identifier: MIT
/* The compiling tier: which functions it takes, calls between compiled
 * and interpreted functions both ways, recursion across the tiers that
 * must trap rather than exhaust the C stack, results equal to the
 * interpreter's, and code memory never writable and executable at once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

struct tier {
	struct wbpf_module *mod;
	struct wbpf_store *store;
	struct wbpf_instance *inst;
	struct wbpf_error err;
};

static bool tier_open(struct tier *t, enum wbpf_engine engine, const struct wbpf_store_opts *opts)
{
	size_t len;
	uint8_t *bytes = read_wasm("jit", &len);
	struct wbpf_module_opts mo = { .sz = sizeof(mo), .engine = engine };

	memset(t, 0, sizeof(*t));
	if (!bytes)
		return false;
	t->mod = wbpf_module__new_opts(bytes, len, &mo, &t->err);
	free(bytes);
	if (!CHECK(t->mod))
		return fprintf(stderr, "  %s\n", t->err.msg), false;
	t->store = wbpf_store__new(opts);
	t->inst = t->store ? wbpf_instance__new(t->store, t->mod, &t->err) : NULL;
	return CHECK(t->inst);
}

static void tier_close(struct tier *t)
{
	wbpf_store__free(t->store);
	wbpf_module__free(t->mod);
}

static bool tier_available(void)
{
	enum wbpf_engine e;

	CHECK_EQ(wbpf_engine__parse("compile", &e), 0);
	CHECK_EQ(e, WBPF_ENGINE_COMPILE);
	return jit_tier_available();
}

static void test_engine_names(void)
{
	enum wbpf_engine e = WBPF_ENGINE_DEFAULT;

	CHECK_EQ(wbpf_engine__parse("interp", &e), 0);
	CHECK_EQ(e, WBPF_ENGINE_INTERP);
	CHECK_EQ(wbpf_engine__parse("auto", &e), 0);
	CHECK_EQ(e, WBPF_ENGINE_AUTO);
	CHECK_EQ(wbpf_engine__parse("jit", &e), -EINVAL);
	CHECK_EQ(wbpf_engine__parse(NULL, &e), -EINVAL);
}

/* A bad WBPF_ENGINE is an error naming it, not a silent fallback. */
static void test_engine_env(void)
{
	const char *was = getenv("WBPF_ENGINE");
	char *saved = was ? strdup(was) : NULL;
	struct wbpf_error err = { 0 };
	struct wbpf_module *mod;

	setenv("WBPF_ENGINE", "fast", 1);
	mod = load_module("jit", &err);
	CHECK(!mod);
	CHECK_EQ(err.kind, WBPF_ERR_ARG);
	CHECK_HAS(err.msg, "WBPF_ENGINE=fast");
	wbpf_module__free(mod);
	if (saved)
		setenv("WBPF_ENGINE", saved, 1);
	else
		unsetenv("WBPF_ENGINE");
	free(saved);
}

static void test_which_functions(void)
{
	struct tier t;

	if (!tier_available())
		return;
	if (tier_open(&t, WBPF_ENGINE_INTERP, NULL))
		CHECK_EQ(wbpf_module__native_count(t.mod), 0);
	tier_close(&t);
	/* All but pong and simd_trap, which have SIMD and stay interpreted. */
	if (tier_open(&t, WBPF_ENGINE_COMPILE, NULL))
		CHECK_EQ(wbpf_module__native_count(t.mod), 11);
	tier_close(&t);
}

static void test_calls_across_tiers(void)
{
	struct tier t;

	if (!tier_available() || !tier_open(&t, WBPF_ENGINE_COMPILE, NULL))
		return tier_close(&t);
	/* ping (compiled) -> pong (interpreted) -> ping ..., entered from
	 * either side. */
	CHECK_EQ(CALL_I32(t.inst, "ping", 1, 0), 0);
	CHECK_EQ(CALL_I32(t.inst, "ping", 1, 1000), 1000);
	CHECK_EQ(CALL_I32(t.inst, "pong", 1, 999), 999);
	tier_close(&t);
}

/* Each switch between the tiers takes C stack: with a call depth limit
 * far above what that stack holds, recursion still ends in a trap, and
 * the store keeps working. */
static void test_recursion_across_tiers(void)
{
	struct wbpf_store_opts opts = {
		.sz = sizeof(opts), .max_call_depth = 4000000, .stack_bytes = 256u << 20,
	};
	struct wbpf_val arg = val_i32(3000000);
	struct tier t;

	if (!tier_available() || !tier_open(&t, WBPF_ENGINE_COMPILE, &opts))
		return tier_close(&t);
	EXPECT_TRAP(t.inst, "ping", &arg, 1, WBPF_TRAP_STACK_EXHAUSTED, "p");
	CHECK_EQ(CALL_I32(t.inst, "ping", 1, 100), 100);
	tier_close(&t);
}

static uint64_t mix(struct tier *t, uint32_t n)
{
	struct wbpf_val arg = val_i32(n), res = { 0 };
	struct wbpf_error err = { 0 };

	CHECK_EQ(call_export(t->inst, "mix", &arg, 1, &res, &err), 0);
	return res.of.i64;
}

static uint64_t fb_after_const(struct tier *t, uint64_t x)
{
	struct wbpf_val arg = val_i64(x), res = { 0 };
	struct wbpf_error err = { 0 };

	CHECK_EQ(call_export(t->inst, "fb_after_const", &arg, 1, &res, &err), 0);
	return res.of.i64;
}

static void test_same_results(void)
{
	static const uint32_t ns[] = { 0, 1, 2, 7, 100, 5000 };
	struct tier a, b;

	if (!tier_available())
		return;
	if (tier_open(&a, WBPF_ENGINE_INTERP, NULL) && tier_open(&b, WBPF_ENGINE_COMPILE, NULL)) {
		for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
			CHECK_EQ(mix(&a, ns[i]), mix(&b, ns[i]));
			CHECK_EQ(fb_after_const(&b, ns[i]), 0x123456789ull - ns[i] - 1);
			CHECK_EQ(fb_after_const(&a, ns[i]), 0x123456789ull - ns[i] - 1);
		}
		CHECK(!memcmp(wbpf_memory__data(wbpf_instance__memory(a.inst)),
			      wbpf_memory__data(wbpf_instance__memory(b.inst)), WASM_PAGE));
	}
	tier_close(&a);
	tier_close(&b);
}

static int32_t ind(struct tier *t, uint32_t i, uint32_t n)
{
	return (int32_t)CALL_I32(t->inst, "ind", 2, i, n);
}

static uint64_t fuel_of_ind(struct tier *t, uint32_t i, uint32_t n)
{
	wbpf_store__set_fuel(t->store, 1000000);
	CHECK_EQ(ind(t, i, n), (int32_t)n);
	return 1000000 - wbpf_store__fuel(t->store);
}

/* call_indirect: compiled callees of the instance called by compiled
 * code, the others through the interpreter, every trap of the lookup
 * with its kind, the callee's locals zeroed, fuel charged as the
 * interpreter charges it, and recursion through the table trapping. */
static void test_indirect_calls(void)
{
	struct wbpf_store_opts opts = {
		.sz = sizeof(opts), .max_call_depth = 4000000, .stack_bytes = 256u << 20,
	};
	struct wbpf_val args[2] = { val_i32(4), val_i32(3000000) };
	struct tier a, b;

	if (!tier_available())
		return;
	if (tier_open(&a, WBPF_ENGINE_INTERP, NULL) && tier_open(&b, WBPF_ENGINE_COMPILE, &opts)) {
		for (struct tier *t = &a; t; t = t == &a ? &b : NULL) {
			CHECK_EQ(ind(t, 0, 300), 300); /* ping: compiled, and pong */
			CHECK_EQ(ind(t, 1, 300), 300); /* pong: interpreted */
			CHECK_EQ(ind(t, 4, 1000), 1000);
			CHECK_EQ(ind(t, 6, 5), -4);
			CHECK_EQ(ind(t, 2, 5), 5);
			args[0] = val_i32(3);
			EXPECT_TRAP(t->inst, "ind", args, 2, WBPF_TRAP_INDIRECT_TYPE, "ind");
			args[0] = val_i32(5);
			EXPECT_TRAP(t->inst, "ind", args, 2, WBPF_TRAP_UNINIT_ELEM, "ind");
			args[0] = val_i32(8);
			EXPECT_TRAP(t->inst, "ind", args, 2, WBPF_TRAP_TABLE_OOB, "ind");
			args[0] = val_i32(-1);
			EXPECT_TRAP(t->inst, "ind", args, 2, WBPF_TRAP_TABLE_OOB, "ind");
		}
		CHECK_EQ(fuel_of_ind(&b, 4, 1000), fuel_of_ind(&a, 4, 1000));
		CHECK_EQ(fuel_of_ind(&b, 0, 100), fuel_of_ind(&a, 0, 100));
		wbpf_store__set_fuel(b.store, 500);
		args[0] = val_i32(4);
		args[1] = val_i32(1000);
		EXPECT_TRAP(b.inst, "ind", args, 2, WBPF_TRAP_FUEL, "rec");
		wbpf_store__disable_fuel(b.store);
		args[1] = val_i32(3000000);
		EXPECT_TRAP(b.inst, "ind", args, 2, WBPF_TRAP_STACK_EXHAUSTED, "rec");
		CHECK_EQ(ind(&b, 4, 100), 100);
	}
	tier_close(&a);
	tier_close(&b);
}

/* Fuel left after a guard-region fault in a loop, as the interpreter
 * leaves it: compiled code keeps the budget in a register, which the
 * fault's unwinding must not lose. */
static uint64_t fuel_after_fault(enum wbpf_engine engine, uint32_t n)
{
	struct wbpf_val arg = val_i32(n);
	uint64_t left = 0;
	struct tier t;

	if (tier_open(&t, engine, NULL)) {
		wbpf_store__set_fuel(t.store, 1000000);
		EXPECT_TRAP(t.inst, "spin_then_fault", &arg, 1, WBPF_TRAP_MEM_OOB, "spin_then_fault");
		left = wbpf_store__fuel(t.store);
	}
	tier_close(&t);
	return left;
}

static void test_fuel_after_fault(void)
{
	uint64_t interp;

	if (!tier_available())
		return;
	interp = fuel_after_fault(WBPF_ENGINE_INTERP, 5000);
	CHECK(interp < 1000000 - 5000);
	CHECK_EQ(fuel_after_fault(WBPF_ENGINE_COMPILE, 5000), interp);
}

/* chain(n, k): 0, or the trap's message. */
static int chain(struct tier *t, uint32_t n, uint32_t k, struct wbpf_error *err)
{
	struct wbpf_val args[2] = { val_i32(n), val_i32(k) }, res = { 0 };
	int rc;

	memset(err, 0, sizeof(*err));
	rc = call_export(t->inst, "chain", args, 2, &res, err);
	if (!rc)
		CHECK_EQ(res.of.i32, k);
	return rc;
}

/* Compiled calls keep no frame records as they run: a trap deep in them
 * (in compiled code, a guard-region fault, in an interpreted callee, out
 * of fuel, in compiled code the interpreter called from compiled code)
 * gives the interpreter's message, function and backtrace, and the call
 * depth limit stops recursion at the interpreter's depth. */
static void test_backtraces(void)
{
	static const uint32_t ns[] = { 0, 1, 5, 45 };
	struct wbpf_store_opts opts = { .sz = sizeof(opts), .max_call_depth = 50 };
	struct wbpf_error ea, eb;
	struct tier a, b;

	if (!tier_available())
		return;
	if (tier_open(&a, WBPF_ENGINE_INTERP, &opts) && tier_open(&b, WBPF_ENGINE_COMPILE, &opts)) {
		for (uint32_t k = 0; k < 4; k++) {
			for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
				wbpf_store__set_fuel(a.store, 5000);
				wbpf_store__set_fuel(b.store, 5000);
				CHECK(chain(&a, ns[i], k, &ea) && chain(&b, ns[i], k, &eb));
				CHECK_EQ(ea.trap, eb.trap);
				if (!CHECK(!strcmp(ea.msg, eb.msg)))
					fprintf(stderr, "  %s\n  %s\n", ea.msg, eb.msg);
				CHECK(strstr(eb.msg, "at chain_end\n  at chain"));
			}
		}
		/* ping (compiled) and pong (interpreted) calling each other:
		 * entries into compiled code nested in the interpreter's. */
		for (uint64_t fuel = 20; fuel < 28; fuel++) {
			struct wbpf_val arg = val_i32(40), res;

			wbpf_store__set_fuel(a.store, fuel);
			wbpf_store__set_fuel(b.store, fuel);
			memset(&ea, 0, sizeof(ea));
			memset(&eb, 0, sizeof(eb));
			CHECK(call_export(a.inst, "ping", &arg, 1, &res, &ea) &&
			      call_export(b.inst, "ping", &arg, 1, &res, &eb));
			CHECK_EQ(eb.trap, WBPF_TRAP_FUEL);
			if (!CHECK(!strcmp(ea.msg, eb.msg)))
				fprintf(stderr, "  %s\n  %s\n", ea.msg, eb.msg);
		}
		wbpf_store__disable_fuel(a.store);
		wbpf_store__disable_fuel(b.store);
		for (uint32_t n = 40; n < 55; n++) {
			int ra = chain(&a, n, 4, &ea);

			CHECK_EQ(chain(&b, n, 4, &eb), ra);
			CHECK(!strcmp(ea.msg, eb.msg));
			CHECK_EQ(!ra, n < 50); /* 50 calls below the entry */
		}
		CHECK(strstr(eb.msg, "call stack exhausted"));
		CHECK_EQ(chain(&b, 30, 4, &eb), 0);
	}
	tier_close(&a);
	tier_close(&b);
}

/* No mapping of the process is writable and executable at once. */
static void test_code_memory(void)
{
	struct tier t;
	char line[512];
	FILE *maps;
	int wx = 0;

	if (!tier_available() || !tier_open(&t, WBPF_ENGINE_COMPILE, NULL))
		return tier_close(&t);
	maps = fopen("/proc/self/maps", "r");
	if (CHECK(maps)) {
		while (fgets(line, sizeof(line), maps))
			if (strstr(line, " rwx"))
				wx++;
		fclose(maps);
	}
	CHECK_EQ(wx, 0);
	tier_close(&t);
}

static const struct check_test tests[] = {
	{ "engine_names", test_engine_names },
	{ "engine_env", test_engine_env },
	{ "which_functions", test_which_functions },
	{ "calls_across_tiers", test_calls_across_tiers },
	{ "recursion_across_tiers", test_recursion_across_tiers },
	{ "same_results", test_same_results },
	{ "indirect_calls", test_indirect_calls },
	{ "fuel_after_fault", test_fuel_after_fault },
	{ "backtraces", test_backtraces },
	{ "code_memory", test_code_memory },
};

CHECK_MAIN(tests)
