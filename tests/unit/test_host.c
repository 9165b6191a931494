// SPDX-License-Identifier: MIT
/* Host functions: unboxed arguments and results, checked views of the
 * caller's memory, calls back into wasm, traps and exits from the host. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"

struct host_ctx {
	struct wbpf_instance *inst; /* the caller every host function expects */
	struct wbpf_instance *add_caller; /* what add() last saw */
	uint64_t mem_size;	    /* what probe() expects wbpf_caller__mem_size to say */
	int probes;
	const char *target;	    /* the export callback() calls */
	bool swallow;		    /* callback() handles errors itself */
	struct wbpf_error nested;   /* the first error callback() saw */
	int nested_errors;
	uint64_t wide_args[3];
	void *seen_ref;
};

static int h_add(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct host_ctx *ctx = user;

	ctx->add_caller = wbpf_caller__instance(c);
	slots[0] = (uint32_t)slots[0] + (uint32_t)slots[1];
	return 0;
}

/* Records the raw slots, then returns them (i64 plus one) so that the
 * test sees both directions of the boxing. */
static int h_wide(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct host_ctx *ctx = user;

	(void)c;
	memcpy(ctx->wide_args, slots, sizeof(ctx->wide_args));
	slots[0] += 1;
	slots[1] = (uint32_t)slots[1];
	return 0;
}

static void probe_without_memory(struct wbpf_caller *c)
{
	CHECK_EQ(wbpf_caller__mem_size(c), 0);
	CHECK(!wbpf_caller__mem(c, 0, 1));
	CHECK(!wbpf_caller__str(c, 0, 16));
}

static void probe_with_memory(struct wbpf_caller *c, uint64_t size)
{
	const char *s;
	uint8_t *p;

	CHECK_EQ(wbpf_caller__mem_size(c), size);
	p = wbpf_caller__mem(c, 0, size);
	CHECK(p && !memcmp(p + 16, "hello", 6));
	CHECK(!wbpf_caller__mem(c, 0, size + 1));
	CHECK(!wbpf_caller__mem(c, size, 1));
	p = wbpf_caller__mem(c, size - 1, 1);
	CHECK(p && (size > WASM_PAGE || *p == 'f'));
	/* Ranges whose end wraps around 64 bits. */
	CHECK(!wbpf_caller__mem(c, UINT64_MAX, 2));
	CHECK(!wbpf_caller__mem(c, 1, UINT64_MAX));
	CHECK(!wbpf_caller__mem(c, 0x100000000ull, 1));

	s = wbpf_caller__str(c, 16, 64);
	CHECK(s && !strcmp(s, "hello"));
	/* No NUL within 3 bytes. */
	CHECK(!wbpf_caller__str(c, 16, 3));
	CHECK(!wbpf_caller__str(c, size, 16));
	if (size == WASM_PAGE) {
		/* "abcdef" runs into the end of memory without a NUL. */
		CHECK(!wbpf_caller__str(c, WASM_PAGE - 6, 64));
	}
}

static int h_probe(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct host_ctx *ctx = user;

	(void)slots;
	ctx->probes++;
	CHECK(wbpf_caller__instance(c) == ctx->inst);
	if (ctx->mem_size)
		probe_with_memory(c, ctx->mem_size);
	else
		probe_without_memory(c);
	return 0;
}

static int h_sum_bytes(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	uint32_t addr = (uint32_t)slots[0], len = (uint32_t)slots[1], sum = 0;
	const uint8_t *p = wbpf_caller__mem(c, addr, len);

	(void)user;
	if (!p)
		return wbpf_caller__trap(c, "sum_bytes: [%u, +%u) is outside memory", addr, len);
	for (uint32_t i = 0; i < len; i++)
		sum += p[i];
	slots[0] = sum;
	return 0;
}

static int h_fill(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	uint32_t addr = (uint32_t)slots[0], len = (uint32_t)slots[1];
	uint8_t *p = wbpf_caller__mem(c, addr, len);

	(void)user;
	if (!p)
		return wbpf_caller__trap(c, "fill: [%u, +%u) is outside memory", addr, len);
	memset(p, (int)(uint8_t)slots[2], len);
	return 0;
}

/* Calls ctx->target in the calling instance with our argument. A failure
 * is recorded (the innermost comes first) and passed up as a trap, or as
 * an exit with the same code. */
static int h_callback(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct host_ctx *ctx = user;
	struct wbpf_val arg = val_i32((uint32_t)slots[0]), res = val_i32(0);
	struct wbpf_error err = { 0 };
	int rc = call_export(wbpf_caller__instance(c), ctx->target, &arg, 1, &res, &err);

	if (!rc) {
		slots[0] = res.of.i32;
		return 0;
	}
	if (!ctx->nested_errors++)
		ctx->nested = err;
	if (ctx->swallow) {
		slots[0] = 0xdead;
		return 0;
	}
	if (err.kind == WBPF_ERR_EXIT)
		return wbpf_caller__exit(c, err.exit_code);
	return wbpf_caller__trap(c, "%s failed: %.*s", ctx->target, (int)strcspn(err.msg, "\n"),
				 err.msg);
}

static int h_fail(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)user;
	return wbpf_caller__trap(c, "host says no: %d", (int)(uint32_t)slots[0]);
}

static int h_quit(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)user;
	return wbpf_caller__exit(c, (int)(uint32_t)slots[0]);
}

/* The result slot already holds the argument: identity. */
static int h_ref_id(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct host_ctx *ctx = user;

	(void)c;
	ctx->seen_ref = (void *)(uintptr_t)slots[0];
	return 0;
}

static int h_grow(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)user;
	slots[0] = (uint32_t)wbpf_memory__grow(wbpf_instance__memory(wbpf_caller__instance(c)), 1);
	return 0;
}

static bool define_all(struct wbpf_store *store, struct host_ctx *ctx)
{
	static const struct {
		const char *name, *sig;
		wbpf_host_fn fn;
	} defs[] = {
		{ "add", "(ii)i", h_add },	       { "wide", "(IfF)IfF", h_wide },
		{ "probe", "()", h_probe },	       { "sum_bytes", "(ii)i", h_sum_bytes },
		{ "fill", "(iii)", h_fill },	       { "callback", "(i)i", h_callback },
		{ "fail", "(i)", h_fail },	       { "quit", "(i)", h_quit },
		{ "ref_id", "(r)r", h_ref_id },	       { "grow", "()i", h_grow },
	};
	bool ok = true;

	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		ok &= CHECK(!wbpf_store__define_func(store, "env", defs[i].name, defs[i].sig,
						     defs[i].fn, ctx));
	return ok;
}

/* The host test fixture: host.wat with every import defined. */
static bool host_open(struct fixture *fx, struct host_ctx *ctx, const char *module)
{
	memset(ctx, 0, sizeof(*ctx));
	if (!fixture_load(fx, module, NULL))
		return false;
	if (!define_all(fx->store, ctx) || !fixture_instantiate(fx)) {
		fixture_close(fx);
		return false;
	}
	ctx->inst = fx->inst;
	ctx->mem_size = wbpf_instance__memory(fx->inst) ? WASM_PAGE : 0;
	return true;
}

static void test_args_unboxed(void)
{
	struct wbpf_val args[2] = { val_i32(40), val_i32(2) }, res;
	struct wbpf_error err = { 0 };
	struct wbpf_functype ft;
	struct wbpf_func *add;
	struct host_ctx ctx;
	struct fixture fx;

	if (!host_open(&fx, &ctx, "host"))
		return;
	CHECK_EQ(CALL_I32(fx.inst, "call_add", 2, -5, 3), (uint32_t)-2);
	CHECK(ctx.add_caller == fx.inst);
	CHECK_EQ(CALL_I32(fx.inst, "call_add", 2, 0xffffffff, 1), 0);
	/* The host function re-exported and called from the API: no guest
	 * code called it, so there is no caller instance. */
	add = wbpf_instance__func(fx.inst, "add");
	if (CHECK(add)) {
		wbpf_func__type(add, &ft);
		CHECK(ft.nparams == 2 && ft.nresults == 1 && ft.params[0] == WBPF_I32);
		if (CHECK(!wbpf_func__call(add, args, 2, &res, 1, &err)))
			CHECK(res.type == WBPF_I32 && res.of.i32 == 42);
		CHECK(ctx.add_caller == NULL);
	}
	fixture_close(&fx);
}

static void test_wide_bits(void)
{
	struct wbpf_val args[3] = {
		val_i64(0x7fffffffffffffffull),
		val_f32_bits(0xffa00001), /* negative signalling NaN with payload */
		val_f64_bits(0x7ff4000000000001ull),
	};
	struct wbpf_val res[3];
	struct wbpf_error err = { 0 };
	struct host_ctx ctx;
	struct fixture fx;
	struct wbpf_func *fn;

	if (!host_open(&fx, &ctx, "host"))
		return;
	fn = wbpf_instance__func(fx.inst, "call_wide");
	if (CHECK(fn) && CHECK(!wbpf_func__call(fn, args, 3, res, 3, &err))) {
		CHECK_EQ(ctx.wide_args[0], 0x7fffffffffffffffull);
		CHECK_EQ((uint32_t)ctx.wide_args[1], 0xffa00001);
		CHECK_EQ(ctx.wide_args[2], 0x7ff4000000000001ull);
		CHECK(res[0].type == WBPF_I64 && res[1].type == WBPF_F32 &&
		      res[2].type == WBPF_F64);
		CHECK_EQ(res[0].of.i64, 0x8000000000000000ull);
		CHECK_EQ(res[1].of.i32, 0xffa00001);
		CHECK_EQ(res[2].of.i64, 0x7ff4000000000001ull);
	}
	fixture_close(&fx);
}

static void test_caller_views(void)
{
	struct host_ctx ctx;
	struct fixture fx;

	if (!host_open(&fx, &ctx, "host"))
		return;
	CALL_I32(fx.inst, "probe", 0);
	CHECK_EQ(ctx.probes, 1);
	/* The view follows growth done by the guest just before the call. */
	ctx.mem_size = 2 * WASM_PAGE;
	CALL_I32(fx.inst, "grow_then_probe", 0);
	CHECK_EQ(ctx.probes, 2);
	fixture_close(&fx);
}

static void test_caller_without_memory(void)
{
	struct host_ctx ctx;
	struct fixture fx;

	memset(&ctx, 0, sizeof(ctx));
	if (!fixture_load(&fx, "host_nomem", NULL))
		return;
	if (CHECK(!wbpf_store__define_func(fx.store, "env", "probe", "()", h_probe, &ctx)) &&
	    fixture_instantiate(&fx)) {
		ctx.inst = fx.inst;
		CALL_I32(fx.inst, "probe", 0);
		CHECK_EQ(ctx.probes, 1);
	}
	fixture_close(&fx);
}

static void test_checked_reads(void)
{
	struct wbpf_val args[2];
	struct host_ctx ctx;
	struct fixture fx;

	if (!host_open(&fx, &ctx, "host"))
		return;
	CHECK_EQ(CALL_I32(fx.inst, "sum_bytes", 2, 16, 5), 532);
	CHECK_EQ(CALL_I32(fx.inst, "sum_bytes", 2, WASM_PAGE - 1, 1), 'f');
	CHECK_EQ(CALL_I32(fx.inst, "sum_bytes", 2, 0, WASM_PAGE), 532 + 597);
	args[0] = val_i32(WASM_PAGE - 1);
	args[1] = val_i32(2);
	EXPECT_TRAP(fx.inst, "sum_bytes", args, 2, WBPF_TRAP_HOST, "outside memory");
	args[0] = val_i32(0xffffffff);
	EXPECT_TRAP(fx.inst, "sum_bytes", args, 2, WBPF_TRAP_HOST, "outside memory");
	CHECK_EQ(CALL_I32(fx.inst, "sum_bytes", 2, 16, 2), 'h' + 'e');
	fixture_close(&fx);
}

static void test_host_writes_memory(void)
{
	struct wbpf_val args[3] = { val_i32(WASM_PAGE - 8), val_i32(9), val_i32(1) };
	uint8_t buf[26];
	struct host_ctx ctx;
	struct fixture fx;

	if (!host_open(&fx, &ctx, "host"))
		return;
	CHECK_EQ(CALL_I32(fx.inst, "fill_then_load", 3, 1000, 24, 0x5a), 0x5a);
	if (CHECK(!wbpf_memory__read(wbpf_instance__memory(fx.inst), 999, buf, 26))) {
		CHECK_EQ(buf[0], 0);
		CHECK_EQ(buf[1], 0x5a);
		CHECK_EQ(buf[24], 0x5a);
		CHECK_EQ(buf[25], 0);
	}
	/* One byte too many: refused as a whole, nothing written. */
	EXPECT_TRAP(fx.inst, "fill_then_load", args, 3, WBPF_TRAP_HOST, "outside memory");
	CHECK_EQ(CALL_I32(fx.inst, "sum_bytes", 2, WASM_PAGE - 6, 6), 597);
	fixture_close(&fx);
}

static void test_host_grows_memory(void)
{
	struct host_ctx ctx;
	struct fixture fx;

	if (!host_open(&fx, &ctx, "host"))
		return;
	CHECK_EQ(CALL_I32(fx.inst, "host_grow_then_store", 0), 7);
	CHECK_EQ(wbpf_memory__size(wbpf_instance__memory(fx.inst)), 2 * WASM_PAGE);
	fixture_close(&fx);
}

static void test_host_in_table(void)
{
	struct host_ctx ctx;
	struct fixture fx;

	if (!host_open(&fx, &ctx, "host"))
		return;
	CHECK_EQ(CALL_I32(fx.inst, "indirect_add", 2, 40, 2), 42);
	CHECK(ctx.add_caller == fx.inst);
	fixture_close(&fx);
}

static void test_callback(void)
{
	struct host_ctx ctx;
	struct fixture fx;

	if (!host_open(&fx, &ctx, "host"))
		return;
	ctx.target = "square";
	CHECK_EQ(CALL_I32(fx.inst, "via_callback", 1, 7), 50);
	/* 100 levels of guest -> host -> guest, each level adding one. */
	ctx.target = "recurse";
	CHECK_EQ(CALL_I32(fx.inst, "recurse", 1, 100), 100);
	CHECK_EQ(ctx.nested_errors, 0);
	fixture_close(&fx);
}

static void test_host_trap(void)
{
	struct wbpf_val arg = val_i32(5);
	struct host_ctx ctx;
	struct fixture fx;

	if (!host_open(&fx, &ctx, "host"))
		return;
	EXPECT_TRAP(fx.inst, "store_then_fail", &arg, 1, WBPF_TRAP_HOST, "host says no: 5");
	/* The guest's store before the trap stays; the instance goes on. */
	CHECK_EQ(CALL_I32(fx.inst, "value", 0), 99);
	CHECK_EQ(CALL_I32(fx.inst, "call_add", 2, 1, 2), 3);
	fixture_close(&fx);
}

/* A trap in wasm called by a host function called by wasm. */
static void test_nested_trap(void)
{
	struct wbpf_val arg = val_i32(3);
	struct host_ctx ctx;
	struct fixture fx;

	if (!host_open(&fx, &ctx, "host"))
		return;
	ctx.target = "store_then_fail";
	EXPECT_TRAP(fx.inst, "via_callback", &arg, 1, WBPF_TRAP_HOST, "host says no: 3");
	CHECK_EQ(ctx.nested_errors, 1);
	CHECK_EQ(ctx.nested.kind, WBPF_ERR_TRAP);
	CHECK_EQ(ctx.nested.trap, WBPF_TRAP_HOST);
	ctx.target = "square";
	CHECK_EQ(CALL_I32(fx.inst, "via_callback", 1, 3), 10);
	fixture_close(&fx);
}

/* A host function may handle a failed call back into wasm and go on:
 * the trap must not leak into the outer call. */
static void test_nested_trap_handled(void)
{
	struct wbpf_val arg = val_i32(9);
	struct host_ctx ctx;
	struct fixture fx;

	if (!host_open(&fx, &ctx, "host"))
		return;
	ctx.target = "store_then_fail";
	ctx.swallow = true;
	CHECK_EQ(CALL_I32(fx.inst, "via_callback", 1, 3), 0xdead + 1);
	CHECK_EQ(ctx.nested_errors, 1);
	CHECK_EQ(CALL_I32(fx.inst, "value", 0), 99);
	/* The next trap says its own thing. */
	EXPECT_TRAP(fx.inst, "store_then_fail", &arg, 1, WBPF_TRAP_HOST, "host says no: 9");
	ctx.target = "square";
	CHECK_EQ(CALL_I32(fx.inst, "via_callback", 1, 4), 17);
	fixture_close(&fx);
}

/* Memory traps below a host frame and above it again. */
static void test_nested_memory_trap(void)
{
	struct wbpf_val arg = val_i32(WASM_PAGE);
	struct host_ctx ctx;
	struct fixture fx;

	if (!host_open(&fx, &ctx, "host"))
		return;
	ctx.target = "oob";
	EXPECT_TRAP(fx.inst, "via_callback", &arg, 1, WBPF_TRAP_HOST, "out of bounds memory access");
	CHECK_EQ(ctx.nested.trap, WBPF_TRAP_MEM_OOB);
	ctx.swallow = true;
	EXPECT_TRAP(fx.inst, "callback_then_oob", &arg, 1, WBPF_TRAP_MEM_OOB, "callback_then_oob");
	CHECK_EQ(ctx.nested_errors, 2);
	CHECK_EQ(CALL_I32(fx.inst, "oob", 1, 16), 0x6c6c6568);
	fixture_close(&fx);
}

static void expect_exit(struct wbpf_instance *inst, const char *name, uint32_t arg, int code)
{
	struct wbpf_val a = val_i32(arg);
	struct wbpf_error err = { 0 };

	CHECK_EQ(call_export(inst, name, &a, 1, NULL, &err), -ECANCELED);
	CHECK_EQ(err.kind, WBPF_ERR_EXIT);
	CHECK_EQ(err.exit_code, code);
}

static void test_host_exit(void)
{
	struct host_ctx ctx;
	struct fixture fx;

	if (!host_open(&fx, &ctx, "host"))
		return;
	expect_exit(fx.inst, "quit", 7, 7);
	CHECK_EQ(CALL_I32(fx.inst, "call_add", 2, 1, 2), 3);
	/* From two host frames down. */
	ctx.target = "quit";
	expect_exit(fx.inst, "via_callback", 3, 3);
	CHECK_EQ(ctx.nested.kind, WBPF_ERR_EXIT);
	CHECK_EQ(CALL_I32(fx.inst, "call_add", 2, 2, 2), 4);
	fixture_close(&fx);
}

static void test_externref(void)
{
	struct wbpf_val arg, res;
	struct wbpf_error err = { 0 };
	struct host_ctx ctx;
	struct fixture fx;
	int marker;

	if (!host_open(&fx, &ctx, "host"))
		return;
	arg = val_ref(&marker);
	if (CHECK(!call_export(fx.inst, "ref_roundtrip", &arg, 1, &res, &err)))
		CHECK(res.type == WBPF_EXTERNREF && res.of.ref == &marker);
	CHECK(ctx.seen_ref == &marker);
	arg = val_ref(NULL);
	if (CHECK(!call_export(fx.inst, "ref_roundtrip", &arg, 1, &res, &err)))
		CHECK(res.of.ref == NULL);
	CHECK(ctx.seen_ref == NULL);
	fixture_close(&fx);
}

struct start_seen {
	struct wbpf_instance *inst;
	bool str_ok;
};

static int h_start_probe(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	struct start_seen *seen = user;
	const char *s = wbpf_caller__str(c, (uint32_t)slots[0], 64);

	seen->inst = wbpf_caller__instance(c);
	seen->str_ok = s && !strcmp(s, "started");
	return 0;
}

/* During the start function the instance exists for its host calls, data
 * segments already in place. */
static void test_host_from_start(void)
{
	struct start_seen seen = { 0 };
	struct fixture fx;

	if (!fixture_load(&fx, "host_start", NULL))
		return;
	if (CHECK(!wbpf_store__define_func(fx.store, "env", "start_probe", "(i)", h_start_probe,
					   &seen)) &&
	    fixture_instantiate(&fx)) {
		CHECK(seen.inst == fx.inst);
		CHECK(seen.str_ok);
	}
	fixture_close(&fx);
}

static void test_bad_signatures(void)
{
	static const char *const bad[] = { "", "i", "(i", "i)", "(q)i", "(i)x", "(i))", "((i)" };
	struct wbpf_store *store = wbpf_store__new(NULL);

	if (!CHECK(store))
		return;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!CHECK(wbpf_store__define_func(store, "env", "f", bad[i], h_fail, NULL) < 0))
			fprintf(stderr, "    accepted \"%s\"\n", bad[i]);
	}
	CHECK(!wbpf_store__define_func(store, "env", "f", "()", h_fail, NULL));
	CHECK(!wbpf_store__define_func(store, "env", "g", "(iIfFrR)iIfFrR", h_fail, NULL));
	wbpf_store__free(store);
}

/* Guest -> host -> guest without end: the engine's call depth limit must
 * end it as a trap before the host's C stack runs out. */
static void test_unbounded_reentry(void)
{
	struct wbpf_val arg = val_i32(1000000000);
	struct wbpf_error err = { 0 };
	struct host_ctx ctx;
	struct fixture fx;

	if (!host_open(&fx, &ctx, "host"))
		return;
	ctx.target = "recurse";
	CHECK_EQ(call_export(fx.inst, "recurse", &arg, 1, NULL, &err), -EFAULT);
	CHECK_EQ(err.kind, WBPF_ERR_TRAP);
	CHECK_EQ(ctx.nested.kind, WBPF_ERR_TRAP);
	CHECK_EQ(ctx.nested.trap, WBPF_TRAP_STACK_EXHAUSTED);
	CHECK_EQ(CALL_I32(fx.inst, "recurse", 1, 10), 10);
	fixture_close(&fx);
}

static const struct check_test tests[] = {
	{ "args_unboxed", test_args_unboxed },
	{ "wide_bits", test_wide_bits },
	{ "caller_views", test_caller_views },
	{ "caller_without_memory", test_caller_without_memory },
	{ "checked_reads", test_checked_reads },
	{ "host_writes_memory", test_host_writes_memory },
	{ "host_grows_memory", test_host_grows_memory },
	{ "host_in_table", test_host_in_table },
	{ "callback", test_callback },
	{ "host_trap", test_host_trap },
	{ "nested_trap", test_nested_trap },
	{ "nested_trap_handled", test_nested_trap_handled },
	{ "nested_memory_trap", test_nested_memory_trap },
	{ "host_exit", test_host_exit },
	{ "externref", test_externref },
	{ "host_from_start", test_host_from_start },
	{ "bad_signatures", test_bad_signatures },
	{ "unbounded_reentry", test_unbounded_reentry },
};

CHECK_MAIN(tests)
