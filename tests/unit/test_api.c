// SPDX-License-Identifier: MIT
/* The embedding API: loading (and its errors), listing imports and
 * exports, typed calls and their argument checks, memory, globals, tables. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"

/* A load failure of the given kind whose message is one non-empty line
 * that contains `about`. */
static void expect_load_error(const void *bytes, size_t len, enum wbpf_error_kind kind,
			      const char *about)
{
	struct wbpf_error err = { 0 };
	struct wbpf_module *mod = wbpf_module__new(bytes, len, &err);

	if (!CHECK(!mod)) {
		wbpf_module__free(mod);
		return;
	}
	CHECK_EQ(err.kind, kind);
	CHECK(err.msg[0] != '\0');
	CHECK(!strchr(err.msg, '\n'));
	CHECK_HAS(err.msg, about);
}

static void test_load_malformed(void)
{
	static const uint8_t bad_magic[] = { 0, 'a', 's', 'n', 1, 0, 0, 0 };
	static const uint8_t bad_version[] = { 0, 'a', 's', 'm', 2, 0, 0, 0 };
	/* Section id 0x0e does not exist. */
	static const uint8_t bad_section[] = { 0, 'a', 's', 'm', 1, 0, 0, 0, 0x0e, 0x01, 0x00 };
	/* A type section announcing more bytes than there are. */
	static const uint8_t short_section[] = { 0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x10, 0x01 };
	static const uint8_t empty_module[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
	struct wbpf_module *mod;

	expect_load_error("", 0, WBPF_ERR_MALFORMED, "");
	expect_load_error(bad_magic, sizeof(bad_magic), WBPF_ERR_MALFORMED, "magic");
	expect_load_error(bad_version, sizeof(bad_version), WBPF_ERR_MALFORMED, "version");
	expect_load_error(bad_section, sizeof(bad_section), WBPF_ERR_MALFORMED, "section");
	expect_load_error(short_section, sizeof(short_section), WBPF_ERR_MALFORMED, "");
	/* Errors are optional for the caller. */
	CHECK(!wbpf_module__new(bad_magic, sizeof(bad_magic), NULL));
	/* The smallest valid module, so the cases above fail for their reason. */
	mod = wbpf_module__new(empty_module, sizeof(empty_module), NULL);
	CHECK(mod);
	wbpf_module__free(mod);
}

static void test_load_invalid(void)
{
	struct wbpf_error err = { 0 };

	CHECK(!load_module("invalid_type", &err));
	CHECK_EQ(err.kind, WBPF_ERR_INVALID);
	CHECK_HAS(err.msg, "type mismatch");
	memset(&err, 0, sizeof(err));
	CHECK(!load_module("invalid_local", &err));
	CHECK_EQ(err.kind, WBPF_ERR_INVALID);
	CHECK_HAS(err.msg, "local");
}

/* Every prefix of a valid module: either a clean MALFORMED error or (at a
 * section boundary) a module; never a crash or an over-read (ASan). */
static void test_load_truncated(void)
{
	size_t len;
	uint8_t *bytes = read_wasm("api", &len);

	if (!bytes)
		return;
	for (size_t n = 0; n < len; n++) {
		struct wbpf_error err = { 0 };
		/* An exact-size copy so that ASan sees any read past the end. */
		uint8_t *prefix = malloc(n ? n : 1);
		struct wbpf_module *mod;

		memcpy(prefix, bytes, n);
		mod = wbpf_module__new(prefix, n, &err);
		if (mod)
			wbpf_module__free(mod);
		else if (!CHECK_EQ(err.kind, WBPF_ERR_MALFORMED) || !CHECK(err.msg[0]))
			fprintf(stderr, "    prefix of %zu bytes: %s\n", n, err.msg);
		free(prefix);
	}
	free(bytes);
}

static void test_module_copies_bytes(void)
{
	struct wbpf_store *store = wbpf_store__new(NULL);
	struct wbpf_instance *inst;
	struct wbpf_module *mod;
	size_t len;
	uint8_t *bytes = read_wasm("api", &len);

	if (!bytes || !CHECK(store))
		return;
	mod = wbpf_module__new(bytes, len, NULL);
	memset(bytes, 0xff, len);
	free(bytes);
	if (!CHECK(mod))
		return;
	inst = wbpf_instance__new(store, mod, NULL);
	if (CHECK(inst))
		CHECK_EQ(CALL_I32(inst, "add", 2, 40, 2), 42);
	wbpf_store__free(store);
	wbpf_module__free(mod);
}

static bool find_export(const struct wbpf_module *mod, const char *name,
			struct wbpf_extern_desc *out)
{
	for (size_t i = 0; i < wbpf_module__export_count(mod); i++) {
		if (!wbpf_module__export(mod, i, out) && !strcmp(out->name, name))
			return true;
	}
	return false;
}

static void check_functype(const struct wbpf_functype *ft, const char *params,
			   const char *results)
{
	CHECK_EQ(ft->nparams, strlen(params));
	CHECK_EQ(ft->nresults, strlen(results));
	for (size_t i = 0; i < ft->nparams && i < strlen(params); i++)
		CHECK_EQ(ft->params[i], (uint8_t)params[i]);
	for (size_t i = 0; i < ft->nresults && i < strlen(results); i++)
		CHECK_EQ(ft->results[i], (uint8_t)results[i]);
}

/* Valtype strings for check_functype. */
#define I32 "\x7f"
#define I64 "\x7e"
#define F32 "\x7d"
#define F64 "\x7c"

static void test_exports_listing(void)
{
	static const struct {
		const char *name;
		enum wbpf_extern_kind kind;
	} want[] = {
		{ "memory", WBPF_EXTERN_MEMORY }, { "table", WBPF_EXTERN_TABLE },
		{ "counter", WBPF_EXTERN_GLOBAL }, { "answer", WBPF_EXTERN_GLOBAL },
		{ "add", WBPF_EXTERN_FUNC },	   { "mix", WBPF_EXTERN_FUNC },
		{ "swap", WBPF_EXTERN_FUNC },	   { "id_f32", WBPF_EXTERN_FUNC },
		{ "id_f64", WBPF_EXTERN_FUNC },	   { "id_ref", WBPF_EXTERN_FUNC },
		{ "nop", WBPF_EXTERN_FUNC },	   { "div", WBPF_EXTERN_FUNC },
		{ "fresh", WBPF_EXTERN_FUNC },	   { "load", WBPF_EXTERN_FUNC },
		{ "store", WBPF_EXTERN_FUNC },	   { "grow", WBPF_EXTERN_FUNC },
		{ "size", WBPF_EXTERN_FUNC },	   { "bump", WBPF_EXTERN_FUNC },
	};
	struct wbpf_extern_desc d;
	struct wbpf_module *mod = load_module("api", NULL);

	if (!CHECK(mod))
		return;
	CHECK_EQ(wbpf_module__import_count(mod), 0);
	CHECK_EQ(wbpf_module__export_count(mod), sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!CHECK(find_export(mod, want[i].name, &d))) {
			fprintf(stderr, "    export %s missing\n", want[i].name);
			continue;
		}
		CHECK_EQ(d.kind, want[i].kind);
		CHECK(d.module == NULL);
	}
	if (CHECK(find_export(mod, "swap", &d)))
		check_functype(&d.func, I64 I32, I32 I64);
	if (CHECK(find_export(mod, "nop", &d)))
		check_functype(&d.func, "", "");
	CHECK(wbpf_module__export(mod, wbpf_module__export_count(mod), &d) < 0);
	CHECK(wbpf_module__import(mod, 0, &d) < 0);
	wbpf_module__free(mod);
}

static void test_imports_listing(void)
{
	static const struct {
		const char *name;
		enum wbpf_extern_kind kind;
	} want[] = {
		{ "host_fn", WBPF_EXTERN_FUNC },
		{ "host_mem", WBPF_EXTERN_MEMORY },
		{ "host_tab", WBPF_EXTERN_TABLE },
		{ "host_g", WBPF_EXTERN_GLOBAL },
	};
	struct wbpf_extern_desc d;
	struct wbpf_module *mod = load_module("imports", NULL);

	if (!CHECK(mod))
		return;
	CHECK_EQ(wbpf_module__import_count(mod), 4);
	for (size_t i = 0; i < 4; i++) {
		if (!CHECK(!wbpf_module__import(mod, i, &d)))
			continue;
		CHECK_HAS(d.module, "env");
		CHECK(d.name && !strcmp(d.name, want[i].name));
		CHECK_EQ(d.kind, want[i].kind);
	}
	if (CHECK(!wbpf_module__import(mod, 0, &d)))
		check_functype(&d.func, I32 I64, F32);
	CHECK(wbpf_module__import(mod, 4, &d) < 0);
	CHECK_EQ(wbpf_module__export_count(mod), 5);
	wbpf_module__free(mod);
}

static int host_fn(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	float sum = (float)((uint32_t)slots[0] + slots[1]) + *(float *)user;
	uint32_t bits;

	(void)c;
	memcpy(&bits, &sum, sizeof(bits));
	slots[0] = bits;
	return 0;
}

/* Imports satisfied by a host function and standalone objects made with
 * the API; each shows up inside the guest. */
static void test_imports_defined(void)
{
	struct wbpf_global *g;
	struct wbpf_memory *mem;
	struct wbpf_table *tab;
	struct wbpf_val res;
	struct wbpf_error err = { 0 };
	float bias = 0.5f;
	struct fixture fx;

	if (!fixture_load(&fx, "imports", NULL))
		return;
	CHECK(!wbpf_store__define_func(fx.store, "env", "host_fn", "(iI)f", host_fn, &bias));
	mem = wbpf_memory__new(fx.store, 1, 2);
	tab = wbpf_table__new(fx.store, WBPF_FUNCREF, 3, UINT32_MAX);
	g = wbpf_global__new(fx.store, val_i32(11), true);
	if (!CHECK(mem && tab && g))
		goto out;
	CHECK(!wbpf_store__define(fx.store, "env", "host_mem",
				  (struct wbpf_extern){ .kind = WBPF_EXTERN_MEMORY, .of.memory = mem }));
	CHECK(!wbpf_store__define(fx.store, "env", "host_tab",
				  (struct wbpf_extern){ .kind = WBPF_EXTERN_TABLE, .of.table = tab }));
	CHECK(!wbpf_store__define(fx.store, "env", "host_g",
				  (struct wbpf_extern){ .kind = WBPF_EXTERN_GLOBAL, .of.global = g }));
	if (!fixture_instantiate(&fx))
		goto out;
	if (CHECK(!call_export(fx.inst, "call_fn", NULL, 0, &res, &err)))
		CHECK(res.of.f32 == 15.5f);
	CHECK(!wbpf_memory__write(mem, 64, "\x01\x02\x03\x04", 4));
	CHECK_EQ(CALL_I32(fx.inst, "peek", 1, 64), 0x04030201);
	CHECK(wbpf_instance__memory(fx.inst) == mem);
	CHECK_EQ(CALL_I32(fx.inst, "tab_size", 0), 3);
	CHECK_EQ(CALL_I32(fx.inst, "get_g", 0), 11);
	CALL_I32(fx.inst, "set_g", 1, 99);
	if (CHECK(!wbpf_global__get(g, &res)))
		CHECK_EQ(res.of.i32, 99);
out:
	fixture_close(&fx);
}

static void test_imports_missing(void)
{
	struct fixture fx;

	if (!fixture_load(&fx, "imports", NULL))
		return;
	fx.inst = wbpf_instance__new(fx.store, fx.mod, &fx.err);
	CHECK(!fx.inst);
	CHECK_EQ(fx.err.kind, WBPF_ERR_LINK);
	CHECK_HAS(fx.err.msg, "host_fn");
	fixture_close(&fx);
}

static void test_call_typed(void)
{
	struct wbpf_val args[4], res[2];
	struct wbpf_error err = { 0 };
	struct wbpf_func *fn;
	struct fixture fx;
	int marker;

	if (!fixture_open(&fx, "api", NULL))
		return;
	CHECK_EQ(CALL_I32(fx.inst, "add", 2, -5, 3), (uint32_t)-2);
	args[0] = val_i32((uint32_t)-1);
	args[1] = val_i64(1ull << 40);
	args[2] = val_f32(1.5f);
	args[3] = val_f64(0.25);
	if (CHECK(!call_export(fx.inst, "mix", args, 4, res, &err)))
		CHECK(res[0].type == WBPF_F64 && res[0].of.f64 == 1099511627776.0 + 0.75);

	fn = wbpf_instance__func(fx.inst, "swap");
	args[0] = val_i64(0x1122334455667788ull);
	args[1] = val_i32(0xdeadbeef);
	if (CHECK(fn) && CHECK(!wbpf_func__call(fn, args, 2, res, 2, &err))) {
		CHECK(res[0].type == WBPF_I32 && res[1].type == WBPF_I64);
		CHECK_EQ(res[0].of.i32, 0xdeadbeef);
		CHECK_EQ(res[1].of.i64, 0x1122334455667788ull);
	}

	/* Signalling NaNs with payloads, which an FPU round trip would quiet. */
	args[0] = val_f32_bits(0x7fa00001);
	if (CHECK(!call_export(fx.inst, "id_f32", args, 1, res, &err)))
		CHECK_EQ(res[0].of.i32, 0x7fa00001);
	args[0] = val_f64_bits(0x7ff4000000000001ull);
	if (CHECK(!call_export(fx.inst, "id_f64", args, 1, res, &err)))
		CHECK_EQ(res[0].of.i64, 0x7ff4000000000001ull);

	args[0] = val_ref(&marker);
	if (CHECK(!call_export(fx.inst, "id_ref", args, 1, res, &err)))
		CHECK(res[0].type == WBPF_EXTERNREF && res[0].of.ref == &marker);
	args[0] = val_ref(NULL);
	if (CHECK(!call_export(fx.inst, "id_ref", args, 1, res, &err)))
		CHECK(res[0].of.ref == NULL);

	fn = wbpf_instance__func(fx.inst, "nop");
	CHECK(fn && !wbpf_func__call(fn, NULL, 0, NULL, 0, &err));
	fixture_close(&fx);
}

/* A call the embedder got wrong: WBPF_ERR_ARG, nothing run, no crash. */
static void expect_arg_error(struct wbpf_func *fn, const struct wbpf_val *args, size_t nargs,
			     struct wbpf_val *res, size_t nres)
{
	struct wbpf_error err = { 0 };
	int rc = wbpf_func__call(fn, args, nargs, res, nres, &err);

	CHECK(rc < 0);
	CHECK_EQ(err.kind, WBPF_ERR_ARG);
	CHECK(err.msg[0]);
}

static void test_call_bad_args(void)
{
	struct wbpf_val args[3] = { val_i32(1), val_i32(2), val_i32(3) }, res[2];
	struct wbpf_val wrong[2] = { val_i64(1), val_i32(2) };
	struct wbpf_val swap_args[2] = { val_i64(1), val_i32(2) };
	struct wbpf_func *add, *swap;
	struct fixture fx;

	if (!fixture_open(&fx, "api", NULL))
		return;
	add = wbpf_instance__func(fx.inst, "add");
	swap = wbpf_instance__func(fx.inst, "swap");
	if (!CHECK(add && swap))
		goto out;
	expect_arg_error(add, args, 1, res, 1);
	expect_arg_error(add, args, 3, res, 1);
	expect_arg_error(add, wrong, 2, res, 1);
	wrong[0] = val_f32(1.0f);
	expect_arg_error(add, wrong, 2, res, 1);
	/* Room for one of two results. */
	expect_arg_error(swap, swap_args, 2, res, 1);
	/* Missing arrays: an error, not a NULL dereference. */
	expect_arg_error(add, NULL, 2, res, 1);
	expect_arg_error(add, args, 2, NULL, 1);
	/* Nothing above left the instance in a bad state. */
	CHECK_EQ(CALL_I32(fx.inst, "add", 2, 20, 22), 42);
out:
	fixture_close(&fx);
}

static void test_func_type_and_name(void)
{
	struct wbpf_functype ft;
	struct wbpf_func *fn;
	struct fixture fx;

	if (!fixture_open(&fx, "api", NULL))
		return;
	fn = wbpf_instance__func(fx.inst, "mix");
	if (CHECK(fn)) {
		wbpf_func__type(fn, &ft);
		check_functype(&ft, I32 I64 F32 F64, F64);
		CHECK(wbpf_func__name(fn) && !strcmp(wbpf_func__name(fn), "mix"));
	}
	CHECK(!wbpf_instance__func(fx.inst, "no_such_export"));
	/* An export that is not a function. */
	CHECK(!wbpf_instance__func(fx.inst, "memory"));
	CHECK(wbpf_instance__module(fx.inst) == fx.mod);
	fixture_close(&fx);
}

static void test_instance_exports(void)
{
	struct wbpf_extern ext;
	struct fixture fx;

	if (!fixture_open(&fx, "api", NULL))
		return;
	if (CHECK(!wbpf_instance__export(fx.inst, "memory", &ext))) {
		CHECK_EQ(ext.kind, WBPF_EXTERN_MEMORY);
		CHECK(ext.of.memory == wbpf_instance__memory(fx.inst));
	}
	if (CHECK(!wbpf_instance__export(fx.inst, "add", &ext))) {
		CHECK_EQ(ext.kind, WBPF_EXTERN_FUNC);
		CHECK(ext.of.func == wbpf_instance__func(fx.inst, "add"));
	}
	CHECK(wbpf_instance__export(fx.inst, "no_such_export", &ext) < 0);
	CHECK(!wbpf_instance__user(fx.inst));
	wbpf_instance__set_user(fx.inst, &fx);
	CHECK(wbpf_instance__user(fx.inst) == &fx);
	fixture_close(&fx);
}

static void test_memory_rw(void)
{
	uint8_t buf[8], ones[8];
	struct wbpf_memory *mem;
	struct fixture fx;

	if (!fixture_open(&fx, "api", NULL))
		return;
	mem = wbpf_instance__memory(fx.inst);
	if (!CHECK(mem))
		goto out;
	CHECK_EQ(wbpf_memory__size(mem), WASM_PAGE);
	CHECK(!wbpf_memory__write(mem, 100, "abcd", 4));
	CHECK_EQ(CALL_I32(fx.inst, "load", 1, 100), 0x64636261);
	CHECK(!memcmp(wbpf_memory__data(mem) + 100, "abcd", 4));
	CALL_I32(fx.inst, "store", 2, 200, 0x11223344);
	CHECK(!wbpf_memory__read(mem, 200, buf, 4));
	CHECK(!memcmp(buf, "\x44\x33\x22\x11", 4));

	/* The last four bytes are in; one more is out, and a failed write
	 * must not write the part that fits. */
	CHECK(!wbpf_memory__write(mem, WASM_PAGE - 4, "wxyz", 4));
	memset(ones, 1, sizeof(ones));
	CHECK_EQ(wbpf_memory__write(mem, WASM_PAGE - 4, ones, 8), -EFAULT);
	CHECK(!wbpf_memory__read(mem, WASM_PAGE - 4, buf, 4));
	CHECK(!memcmp(buf, "wxyz", 4));
	CHECK_EQ(wbpf_memory__read(mem, WASM_PAGE - 3, buf, 4), -EFAULT);
	CHECK_EQ(wbpf_memory__read(mem, WASM_PAGE, buf, 1), -EFAULT);
	/* Offsets and lengths whose sum wraps around. */
	CHECK_EQ(wbpf_memory__read(mem, UINT64_MAX, buf, 2), -EFAULT);
	CHECK_EQ(wbpf_memory__write(mem, UINT64_MAX - 1, ones, 4), -EFAULT);
	CHECK_EQ(wbpf_memory__read(mem, 1, buf, SIZE_MAX), -EFAULT);
	CHECK_EQ(wbpf_memory__read(mem, 1ull << 32, buf, 1), -EFAULT);
out:
	fixture_close(&fx);
}

static void test_memory_grow(void)
{
	struct wbpf_memory *mem;
	struct fixture fx;

	if (!fixture_open(&fx, "api", NULL))
		return;
	mem = wbpf_instance__memory(fx.inst);
	if (!CHECK(mem))
		goto out;
	CHECK(!wbpf_memory__write(mem, 10, "keep", 4));
	CHECK_EQ(wbpf_memory__grow(mem, 1), 1);
	CHECK_EQ(wbpf_memory__size(mem), 2 * WASM_PAGE);
	CHECK_EQ(CALL_I32(fx.inst, "size", 0), 2);
	/* Contents survive growth; the new page is zeroed and usable. */
	CHECK(!memcmp(wbpf_memory__data(mem) + 10, "keep", 4));
	CHECK_EQ(CALL_I32(fx.inst, "load", 1, 2 * WASM_PAGE - 4), 0);
	CHECK(!wbpf_memory__write(mem, 2 * WASM_PAGE - 4, "new!", 4));
	/* The declared maximum is 4 pages. */
	CHECK_EQ(wbpf_memory__grow(mem, 3), -1);
	CHECK_EQ(wbpf_memory__grow(mem, 0), 2);
	CHECK_EQ(CALL_I32(fx.inst, "grow", 1, 2), 2);
	CHECK_EQ(CALL_I32(fx.inst, "grow", 1, 1), (uint32_t)-1);
	CHECK_EQ(wbpf_memory__size(mem), 4 * WASM_PAGE);
	CHECK(!memcmp(wbpf_memory__data(mem) + 2 * WASM_PAGE - 4, "new!", 4));
out:
	fixture_close(&fx);
}

static void test_globals(void)
{
	struct wbpf_extern counter, answer;
	struct wbpf_val v;
	struct fixture fx;

	if (!fixture_open(&fx, "api", NULL))
		return;
	if (!CHECK(!wbpf_instance__export(fx.inst, "counter", &counter)) ||
	    !CHECK(!wbpf_instance__export(fx.inst, "answer", &answer)) ||
	    !CHECK(counter.kind == WBPF_EXTERN_GLOBAL && answer.kind == WBPF_EXTERN_GLOBAL))
		goto out;
	CHECK_EQ(CALL_I32(fx.inst, "bump", 0), 1);
	if (CHECK(!wbpf_global__get(counter.of.global, &v)))
		CHECK(v.type == WBPF_I32 && v.of.i32 == 1);
	CHECK(!wbpf_global__set(counter.of.global, val_i32(41)));
	CHECK_EQ(CALL_I32(fx.inst, "bump", 0), 42);
	/* A value of the wrong type is refused and changes nothing. */
	CHECK(wbpf_global__set(counter.of.global, val_i64(7)) < 0);
	CHECK_EQ(CALL_I32(fx.inst, "bump", 0), 43);

	if (CHECK(!wbpf_global__get(answer.of.global, &v)))
		CHECK(v.type == WBPF_I64 && v.of.i64 == 42);
	CHECK_EQ(wbpf_global__set(answer.of.global, val_i64(1)), -EPERM);
	if (CHECK(!wbpf_global__get(answer.of.global, &v)))
		CHECK_EQ(v.of.i64, 42);
out:
	fixture_close(&fx);
}

static void test_table_export(void)
{
	struct wbpf_extern tab;
	struct wbpf_val v;
	struct fixture fx;

	if (!fixture_open(&fx, "api", NULL))
		return;
	if (CHECK(!wbpf_instance__export(fx.inst, "table", &tab)) &&
	    CHECK_EQ(tab.kind, WBPF_EXTERN_TABLE)) {
		CHECK_EQ(wbpf_table__size(tab.of.table), 2);
		v.of.func = (struct wbpf_func *)&v;
		if (CHECK(!wbpf_table__get(tab.of.table, 1, &v)))
			CHECK(v.type == WBPF_FUNCREF && v.of.func == NULL);
		CHECK(wbpf_table__get(tab.of.table, 2, &v) < 0);
	}
	fixture_close(&fx);
}

/* Instances keep their module alive; the embedder's reference can go. */
static void test_module_refcount(void)
{
	struct fixture fx;

	if (!fixture_open(&fx, "api", NULL))
		return;
	wbpf_module__free(fx.mod);
	fx.mod = NULL;
	CHECK_EQ(CALL_I32(fx.inst, "add", 2, 1, 2), 3);
	CHECK(wbpf_instance__module(fx.inst) != NULL);
	fixture_close(&fx);
}

/* Instances of one module in one store own separate memories and globals. */
static void test_many_instances(void)
{
	struct wbpf_instance *inst[16];
	struct fixture fx;

	if (!fixture_open(&fx, "api", NULL))
		return;
	inst[0] = fx.inst;
	for (int i = 1; i < 16; i++) {
		inst[i] = wbpf_instance__new(fx.store, fx.mod, &fx.err);
		if (!CHECK(inst[i]))
			goto out;
	}
	for (int i = 0; i < 16; i++) {
		for (int n = 0; n <= i; n++)
			CALL_I32(inst[i], "bump", 0);
		CALL_I32(inst[i], "store", 2, 0, 1000 + i);
	}
	for (int i = 0; i < 16; i++) {
		CHECK_EQ(CALL_I32(inst[i], "bump", 0), i + 2);
		CHECK_EQ(CALL_I32(inst[i], "load", 1, 0), 1000 + i);
	}
out:
	fixture_close(&fx);
}

static void test_trap_strings(void)
{
	CHECK_HAS(wbpf_trap__str(WBPF_TRAP_MEM_OOB), "out of bounds memory access");
	for (int a = WBPF_TRAP_UNREACHABLE; a <= WBPF_TRAP_HOST; a++) {
		CHECK(wbpf_trap__str(a) && wbpf_trap__str(a)[0]);
		for (int b = WBPF_TRAP_UNREACHABLE; b < a; b++)
			CHECK(strcmp(wbpf_trap__str(a), wbpf_trap__str(b)));
	}
}

/* Raw slots as a host function has them: the same results as typed
 * calls, traps reported, references refused. */
static void test_call_slots(void)
{
	struct wbpf_error err = { 0 };
	struct fixture fx;
	uint64_t s[4];

	if (!fixture_open(&fx, "api", NULL))
		return;
	s[0] = (uint32_t)-5;
	s[1] = 3;
	if (CHECK(!wbpf_func__call_slots(wbpf_instance__func(fx.inst, "add"), s, &err)))
		CHECK_EQ((uint32_t)s[0], (uint32_t)-2);
	s[0] = 0x1122334455667788ull;
	s[1] = 0xdeadbeef;
	if (CHECK(!wbpf_func__call_slots(wbpf_instance__func(fx.inst, "swap"), s, &err))) {
		CHECK_EQ((uint32_t)s[0], 0xdeadbeef);
		CHECK_EQ(s[1], 0x1122334455667788ull);
	}
	s[0] = 0xfffffff0u;
	CHECK_EQ(wbpf_func__call_slots(wbpf_instance__func(fx.inst, "load"), s, &err), -EFAULT);
	CHECK(err.kind == WBPF_ERR_TRAP && err.trap == WBPF_TRAP_MEM_OOB);
	s[0] = 0;
	CHECK(wbpf_func__call_slots(wbpf_instance__func(fx.inst, "id_ref"), s, &err) < 0);
	CHECK_EQ(err.kind, WBPF_ERR_ARG);
	CHECK(wbpf_func__call_slots(NULL, s, &err) < 0 && err.kind == WBPF_ERR_ARG);
	CHECK_EQ(CALL_I32(fx.inst, "add", 2, 20, 22), 42);
	fixture_close(&fx);
}

/* wbpf_func__call_each's events: "add" on (i, 10 * i), each result seen
 * by the next call to next(); `stop` is what next returns at the end. */
struct series {
	int calls, stop;
	uint64_t sum, arg;
	int zero_at; /* the call whose second argument is 0 */
};

static int series_next(void *ctx, uint64_t *slots)
{
	struct series *s = ctx;

	if (s->calls)
		s->sum += (uint32_t)slots[0];
	if (s->calls == 3)
		return s->stop;
	s->calls++;
	slots[0] = s->arg ? s->arg : (uint64_t)s->calls;
	slots[1] = s->calls == s->zero_at ? 0 : 10u * (uint64_t)s->calls;
	return 1;
}

static int call_each(struct fixture *fx, const char *name, struct series *s,
		     struct wbpf_error *err)
{
	return wbpf_func__call_each(wbpf_instance__func(fx->inst, name), series_next, s, err);
}

static void test_call_each(void)
{
	struct wbpf_error err = { 0 };
	struct series s = { 0 };
	struct fixture fx;

	if (!fixture_open(&fx, "api", NULL))
		return;
	CHECK_EQ(call_each(&fx, "add", &s, &err), 0);
	CHECK_EQ(err.kind, WBPF_OK);
	CHECK_EQ(s.sum, 66);
	s = (struct series){ .stop = -7 };
	CHECK_EQ(call_each(&fx, "add", &s, &err), -7);
	CHECK_EQ(err.kind, WBPF_OK);
	/* A trap in the first call ends the series with it. */
	s = (struct series){ .arg = 0xfffffff0u };
	CHECK_EQ(call_each(&fx, "load", &s, &err), -EFAULT);
	CHECK(err.kind == WBPF_ERR_TRAP && err.trap == WBPF_TRAP_MEM_OOB);
	CHECK_EQ(s.calls, 1);
	CHECK(call_each(&fx, "id_ref", &s, &err) < 0);
	CHECK_EQ(err.kind, WBPF_ERR_ARG);
	CHECK(wbpf_func__call_each(NULL, series_next, &s, &err) < 0 && err.kind == WBPF_ERR_ARG);
	CHECK(wbpf_func__call_each(wbpf_instance__func(fx.inst, "add"), NULL, &s, &err) < 0 &&
	      err.kind == WBPF_ERR_ARG);
	/* The same on every engine, where a compiled function's series
	 * enters compiled code once: each call's locals zeroed, one unit of
	 * fuel a call, fuel running out mid-series and a trap in a later
	 * call ending it. */
	s = (struct series){ 0 };
	wbpf_store__set_fuel(fx.store, 1000);
	CHECK_EQ(call_each(&fx, "fresh", &s, &err), 0);
	CHECK_EQ(s.sum, 66);
	CHECK_EQ(wbpf_store__fuel(fx.store), 1000 - 3 * 2); /* fresh and nop, each time */
	s = (struct series){ .arg = 100 };
	/* 100 / 10, 100 / 20, 100 / 30 */
	CHECK_EQ(call_each(&fx, "div", &s, &err), 0);
	CHECK_EQ(s.sum, 10 + 5 + 3);
	wbpf_store__set_fuel(fx.store, 2);
	s = (struct series){ 0 };
	CHECK_EQ(call_each(&fx, "add", &s, &err), -EFAULT);
	CHECK(err.kind == WBPF_ERR_TRAP && err.trap == WBPF_TRAP_FUEL);
	CHECK_EQ(s.calls, 3);
	CHECK_EQ(s.sum, 11 + 22);
	wbpf_store__disable_fuel(fx.store);
	/* A trap in the second call ends the series with it; the store goes on. */
	s = (struct series){ .arg = 100, .zero_at = 2 };
	CHECK_EQ(call_each(&fx, "div", &s, &err), -EFAULT);
	CHECK(err.kind == WBPF_ERR_TRAP && err.trap == WBPF_TRAP_DIV_ZERO);
	CHECK_HAS(err.msg, "div");
	CHECK_EQ(s.calls, 2);
	CHECK_EQ(s.sum, 10);
	CHECK_EQ(CALL_I32(fx.inst, "add", 2, 20, 22), 42);
	fixture_close(&fx);
}

static const struct check_test tests[] = {
	{ "load_malformed", test_load_malformed },
	{ "load_invalid", test_load_invalid },
	{ "load_truncated", test_load_truncated },
	{ "module_copies_bytes", test_module_copies_bytes },
	{ "exports_listing", test_exports_listing },
	{ "imports_listing", test_imports_listing },
	{ "imports_defined", test_imports_defined },
	{ "imports_missing", test_imports_missing },
	{ "call_typed", test_call_typed },
	{ "call_bad_args", test_call_bad_args },
	{ "call_slots", test_call_slots },
	{ "call_each", test_call_each },
	{ "func_type_and_name", test_func_type_and_name },
	{ "instance_exports", test_instance_exports },
	{ "memory_rw", test_memory_rw },
	{ "memory_grow", test_memory_grow },
	{ "globals", test_globals },
	{ "table_export", test_table_export },
	{ "module_refcount", test_module_refcount },
	{ "many_instances", test_many_instances },
	{ "trap_strings", test_trap_strings },
};

CHECK_MAIN(tests)
