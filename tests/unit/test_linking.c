// SPDX-License-Identifier: MIT
/* Linking: one instance's exports imported by another, type checks on
 * every kind of import, and what a failed instantiation leaves behind. */
#include <stdio.h>
#include <string.h>

#include "helpers.h"

/* link_lib instantiated and registered as module "lib" in a new store. */
static bool lib_open(struct fixture *fx)
{
	if (!fixture_open(fx, "link_lib", NULL))
		return false;
	if (!CHECK(!wbpf_store__define_instance(fx->store, "lib", fx->inst))) {
		fixture_close(fx);
		return false;
	}
	return true;
}

/* Another module instantiated in the fixture's store; NULL on failure,
 * with the error in *err. */
static struct wbpf_instance *open_in(struct fixture *fx, const char *name,
				     struct wbpf_module **mod, struct wbpf_error *err)
{
	struct wbpf_instance *inst;

	memset(err, 0, sizeof(*err));
	*mod = load_module(name, err);
	if (!CHECK(*mod)) {
		fprintf(stderr, "    %s: %s\n", name, err->msg);
		return NULL;
	}
	inst = wbpf_instance__new(fx->store, *mod, err);
	/* The store's instances hold the module: ours can go now. */
	wbpf_module__free(*mod);
	*mod = NULL;
	return inst;
}

static void test_funcs_tables_globals(void)
{
	struct wbpf_val v, arg = val_i32(5);
	struct wbpf_error err;
	struct wbpf_extern g, tab;
	struct wbpf_instance *user;
	struct wbpf_module *mod;
	struct fixture fx;

	if (!lib_open(&fx))
		return;
	user = open_in(&fx, "link_user", &mod, &err);
	if (!CHECK(user)) {
		fprintf(stderr, "    link_user: %s\n", err.msg);
		goto out;
	}
	CHECK_EQ(CALL_I32(user, "use_add", 2, 2, 3), 5);
	/* link_lib's function, reached through its table, reads link_lib's
	 * memory ("lib!"), not the caller's ("user"). */
	CHECK_EQ(CALL_I32(user, "call_tab", 2, 0, 0), 0x2162696c);
	CHECK_EQ(CALL_I32(user, "own_load", 1, 0), 0x72657375);

	CALL_I32(user, "set_g", 1, 77);
	CHECK_EQ(CALL_I32(fx.inst, "get_g", 0), 77);
	if (CHECK(!wbpf_instance__export(fx.inst, "glob_mut", &g)) &&
	    CHECK(!wbpf_global__get(g.of.global, &v)))
		CHECK_EQ(v.of.i32, 77);
	if (CHECK(!call_export(user, "get_c", NULL, 0, &v, &err)))
		CHECK_EQ(v.of.i64, (uint64_t)-7);

	/* link_user's own function stored into link_lib's table, then called
	 * through the table by both the guest and the API. */
	CALL_I32(user, "install", 1, 1);
	CHECK_EQ(CALL_I32(user, "call_tab", 2, 1, 5), 1005);
	if (CHECK(!wbpf_instance__export(fx.inst, "tab", &tab)) &&
	    CHECK(!wbpf_table__get(tab.of.table, 1, &v)) && CHECK(v.of.func)) {
		struct wbpf_val res;

		if (CHECK(!wbpf_func__call(v.of.func, &arg, 1, &res, 1, &err)))
			CHECK_EQ(res.of.i32, 1005);
	}
out:
	fixture_close(&fx);
}

static void test_shared_memory(void)
{
	struct wbpf_val arg;
	struct wbpf_instance *a, *b;
	struct wbpf_module *mod;
	struct wbpf_error err;
	struct fixture fx;

	if (!lib_open(&fx))
		return;
	a = open_in(&fx, "link_mem", &mod, &err);
	b = open_in(&fx, "link_mem", &mod, &err);
	if (!CHECK(a && b))
		goto out;
	CALL_I32(a, "store", 2, 8, 0xabcd);
	CHECK_EQ(CALL_I32(fx.inst, "own_load", 1, 8), 0xabcd);
	CHECK_EQ(CALL_I32(b, "load", 1, 8), 0xabcd);
	CHECK(wbpf_instance__memory(a) == wbpf_instance__memory(fx.inst));
	/* Growth through one importer is seen by all; link_lib's max is 2. */
	CHECK_EQ(CALL_I32(a, "grow", 1, 1), 1);
	CHECK_EQ(wbpf_memory__size(wbpf_instance__memory(fx.inst)), 2 * WASM_PAGE);
	CALL_I32(b, "store", 2, 2 * WASM_PAGE - 4, 0x1234);
	CHECK_EQ(CALL_I32(fx.inst, "own_load", 1, 2 * WASM_PAGE - 4), 0x1234);
	CHECK_EQ(CALL_I32(b, "grow", 1, 1), (uint32_t)-1);
	arg = val_i32(2 * WASM_PAGE);
	EXPECT_TRAP(b, "load", &arg, 1, WBPF_TRAP_MEM_OOB, "load");
out:
	fixture_close(&fx);
}

static void test_mismatches(void)
{
	static const struct {
		const char *module, *import;
	} cases[] = {
		{ "link_bad_functype", "add" },	    { "link_bad_kind", "add" },
		{ "link_bad_mem_min", "mem" },	    { "link_bad_mem_max", "mem" },
		{ "link_bad_table", "tab" },	    { "link_bad_table_type", "tab" },
		{ "link_bad_global_mut", "glob_mut" }, { "link_bad_global_const", "glob_const" },
		{ "link_bad_global_type", "glob_mut" }, { "link_bad_missing", "nope" },
	};
	struct wbpf_module *mod;
	struct wbpf_error err;
	struct fixture fx;

	if (!lib_open(&fx))
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wbpf_instance *inst = open_in(&fx, cases[i].module, &mod, &err);

		if (!CHECK(!inst) || !CHECK_EQ(err.kind, WBPF_ERR_LINK))
			fprintf(stderr, "    %s linked: %s\n", cases[i].module, err.msg);
		else if (!CHECK(strstr(err.msg, cases[i].import)))
			fprintf(stderr, "    %s: message names no \"%s\": %s\n", cases[i].module,
				cases[i].import, err.msg);
	}
	/* None of the failures disturbed link_lib. */
	CHECK_EQ(CALL_I32(fx.inst, "get_g", 0), 5);
	fixture_close(&fx);
}

/* Import limits are checked against the current size, not the declared
 * minimum: after growth, a larger minimum links. */
static void test_link_after_growth(void)
{
	struct wbpf_instance *inst;
	struct wbpf_module *mod;
	struct wbpf_error err;
	struct fixture fx;

	if (!lib_open(&fx))
		return;
	CHECK_EQ(wbpf_memory__grow(wbpf_instance__memory(fx.inst), 1), 1);
	inst = open_in(&fx, "link_bad_mem_min", &mod, &err);
	if (!CHECK(inst))
		fprintf(stderr, "    link_bad_mem_min: %s\n", err.msg);
	/* The maximum still doesn't fit. */
	CHECK(!open_in(&fx, "link_bad_mem_max", &mod, &err));
	CHECK_EQ(err.kind, WBPF_ERR_LINK);
	fixture_close(&fx);
}

static void test_grow_across_instances(void)
{
	struct wbpf_instance *inst;
	struct wbpf_module *mod;
	struct wbpf_error err;
	struct fixture fx;

	if (!lib_open(&fx))
		return;
	inst = open_in(&fx, "link_grow", &mod, &err);
	if (CHECK(inst))
		CHECK_EQ(CALL_I32(inst, "grow_via_lib_then_store", 0), 0x5eed);
	CHECK_EQ(CALL_I32(fx.inst, "own_load", 1, 65540), 0x5eed);
	fixture_close(&fx);
}

static void test_offset_from_import(void)
{
	struct wbpf_global *base;
	struct fixture fx;

	if (!fixture_load(&fx, "link_offset", NULL))
		return;
	base = wbpf_global__new(fx.store, val_i32(200), false);
	if (CHECK(base) &&
	    CHECK(!wbpf_store__define(fx.store, "env", "base",
				      (struct wbpf_extern){ .kind = WBPF_EXTERN_GLOBAL,
							    .of.global = base })) &&
	    fixture_instantiate(&fx)) {
		CHECK_EQ(CALL_I32(fx.inst, "load16", 1, 200), 0x6968);
		CHECK_EQ(CALL_I32(fx.inst, "load16", 1, 0), 0);
	}
	fixture_close(&fx);
}

/* A memory made in another store: refused, or working like any other
 * memory, out-of-bounds accesses included (a trap, not a crash). */
static void test_foreign_memory(void)
{
	struct wbpf_val arg = val_i32(WASM_PAGE);
	struct wbpf_store *other = wbpf_store__new(NULL);
	struct wbpf_memory *mem = other ? wbpf_memory__new(other, 1, 2) : NULL;
	struct fixture fx;

	if (!CHECK(mem) || !fixture_load(&fx, "link_mem", NULL))
		goto out;
	if (wbpf_store__define(fx.store, "lib", "mem",
			       (struct wbpf_extern){ .kind = WBPF_EXTERN_MEMORY, .of.memory = mem }) ||
	    !(fx.inst = wbpf_instance__new(fx.store, fx.mod, &fx.err)))
		goto close;
	CHECK(!wbpf_memory__write(mem, 8, "\x2a", 1));
	CHECK_EQ(CALL_I32(fx.inst, "load", 1, 8), 42);
	EXPECT_TRAP(fx.inst, "load", &arg, 1, WBPF_TRAP_MEM_OOB, "load");
close:
	fixture_close(&fx);
out:
	wbpf_store__free(other);
}

static int host_sig(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	(void)c, (void)slots, (void)user;
	return 0;
}

static void test_host_mismatch(void)
{
	struct fixture fx;

	if (!fixture_load(&fx, "link_host", NULL))
		return;
	CHECK(!wbpf_store__define_func(fx.store, "env", "host_sig", "(i)i", host_sig, NULL));
	fx.inst = wbpf_instance__new(fx.store, fx.mod, &fx.err);
	CHECK(!fx.inst);
	CHECK_EQ(fx.err.kind, WBPF_ERR_LINK);
	CHECK_HAS(fx.err.msg, "host_sig");
	fixture_close(&fx);
}

/* Writes a failed instantiation made to imported objects stay, and the
 * function it put into an imported table stays callable. */
static void test_partial_instantiation(void)
{
	struct wbpf_extern tab;
	struct wbpf_memory *mem;
	struct wbpf_module *mod;
	struct wbpf_error err;
	struct wbpf_val v;
	struct fixture fx;
	uint8_t buf[8];

	if (!lib_open(&fx))
		return;
	mem = wbpf_instance__memory(fx.inst);
	CHECK(!open_in(&fx, "link_partial", &mod, &err));
	CHECK_EQ(err.kind, WBPF_ERR_TRAP);
	CHECK_EQ(err.trap, WBPF_TRAP_MEM_OOB);
	if (CHECK(mem) && CHECK(!wbpf_memory__read(mem, 100, buf, 7)))
		CHECK(!memcmp(buf, "written", 7));
	if (CHECK(mem) && CHECK(!wbpf_memory__read(mem, WASM_PAGE - 1, buf, 1)))
		CHECK_EQ(buf[0], 0);
	if (CHECK(!wbpf_instance__export(fx.inst, "tab", &tab)) &&
	    CHECK(!wbpf_table__get(tab.of.table, 1, &v)) && CHECK(v.of.func))
		CHECK(!wbpf_func__call(v.of.func, NULL, 0, NULL, 0, &err));

	CHECK(!open_in(&fx, "link_partial_start", &mod, &err));
	CHECK_EQ(err.kind, WBPF_ERR_TRAP);
	CHECK_EQ(err.trap, WBPF_TRAP_UNREACHABLE);
	if (CHECK(mem) && CHECK(!wbpf_memory__read(mem, 300, buf, 3)))
		CHECK(!memcmp(buf, "seg", 3));
	CHECK_EQ(CALL_I32(fx.inst, "own_load", 1, 400), 0x2a);
	fixture_close(&fx);
}

static const struct check_test tests[] = {
	{ "funcs_tables_globals", test_funcs_tables_globals },
	{ "shared_memory", test_shared_memory },
	{ "mismatches", test_mismatches },
	{ "link_after_growth", test_link_after_growth },
	{ "grow_across_instances", test_grow_across_instances },
	{ "offset_from_import", test_offset_from_import },
	{ "foreign_memory", test_foreign_memory },
	{ "host_mismatch", test_host_mismatch },
	{ "partial_instantiation", test_partial_instantiation },
};

CHECK_MAIN(tests)
