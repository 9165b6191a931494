// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#ifndef UNIT_WASM_DIR
#error "UNIT_WASM_DIR must name the directory of the converted test modules"
#endif

uint8_t *read_wasm(const char *name, size_t *len)
{
	char path[4096];
	uint8_t *buf = NULL;
	long size;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.wasm", UNIT_WASM_DIR, name);
	f = fopen(path, "rb");
	if (!CHECK(f)) {
		fprintf(stderr, "  cannot open %s\n", path);
		return NULL;
	}
	if (!fseek(f, 0, SEEK_END) && (size = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET)) {
		/* One spare byte so that an empty file still gives a pointer. */
		buf = malloc((size_t)size + 1);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)size;
	}
	fclose(f);
	CHECK(buf);
	return buf;
}

struct wbpf_module *load_module(const char *name, struct wbpf_error *err)
{
	struct wbpf_module *mod;
	size_t len;
	uint8_t *bytes = read_wasm(name, &len);

	if (!bytes)
		return NULL;
	mod = wbpf_module__new(bytes, len, err);
	/* The module copies the bytes: freeing them at once proves it. */
	free(bytes);
	return mod;
}

bool fixture_load(struct fixture *fx, const char *name, const struct wbpf_store_opts *opts)
{
	memset(fx, 0, sizeof(*fx));
	fx->mod = load_module(name, &fx->err);
	if (!CHECK(fx->mod)) {
		fprintf(stderr, "  module %s: %s\n", name, fx->err.msg);
		return false;
	}
	fx->store = wbpf_store__new(opts);
	return CHECK(fx->store);
}

bool fixture_instantiate(struct fixture *fx)
{
	fx->inst = wbpf_instance__new(fx->store, fx->mod, &fx->err);
	if (!CHECK(fx->inst)) {
		fprintf(stderr, "  instantiation: %s\n", fx->err.msg);
		return false;
	}
	return true;
}

bool fixture_open(struct fixture *fx, const char *name, const struct wbpf_store_opts *opts)
{
	return fixture_load(fx, name, opts) && fixture_instantiate(fx);
}

void fixture_close(struct fixture *fx)
{
	wbpf_store__free(fx->store);
	wbpf_module__free(fx->mod);
	memset(fx, 0, sizeof(*fx));
}

struct wbpf_val val_i32(uint32_t v)
{
	return (struct wbpf_val){ .type = WBPF_I32, .of.i32 = v };
}

struct wbpf_val val_i64(uint64_t v)
{
	return (struct wbpf_val){ .type = WBPF_I64, .of.i64 = v };
}

struct wbpf_val val_f32(float v)
{
	return (struct wbpf_val){ .type = WBPF_F32, .of.f32 = v };
}

struct wbpf_val val_f64(double v)
{
	return (struct wbpf_val){ .type = WBPF_F64, .of.f64 = v };
}

struct wbpf_val val_f32_bits(uint32_t bits)
{
	return (struct wbpf_val){ .type = WBPF_F32, .of.i32 = bits };
}

struct wbpf_val val_f64_bits(uint64_t bits)
{
	return (struct wbpf_val){ .type = WBPF_F64, .of.i64 = bits };
}

struct wbpf_val val_ref(void *p)
{
	return (struct wbpf_val){ .type = WBPF_EXTERNREF, .of.ref = p };
}

int call_export(struct wbpf_instance *inst, const char *name, const struct wbpf_val *args,
		size_t nargs, struct wbpf_val *res, struct wbpf_error *err)
{
	struct wbpf_func *fn = wbpf_instance__func(inst, name);
	struct wbpf_val results[8];
	struct wbpf_functype ft;
	int rc;

	if (!fn) {
		snprintf(err->msg, sizeof(err->msg), "no export \"%s\"", name);
		return -ENOENT;
	}
	wbpf_func__type(fn, &ft);
	if (ft.nresults > 8) {
		snprintf(err->msg, sizeof(err->msg), "\"%s\" has too many results", name);
		return -E2BIG;
	}
	rc = wbpf_func__call(fn, args, nargs, results, ft.nresults, err);
	if (!rc && res && ft.nresults)
		*res = results[0];
	return rc;
}

uint32_t call_i32_at(const char *file, int line, struct wbpf_instance *inst, const char *name,
		     size_t nargs, ...)
{
	struct wbpf_val args[8], res = { .type = WBPF_I32 };
	struct wbpf_error err = { 0 };
	va_list ap;
	char what[256];
	int rc;

	va_start(ap, nargs);
	for (size_t i = 0; i < nargs && i < 8; i++)
		args[i] = val_i32(va_arg(ap, uint32_t));
	va_end(ap);
	rc = call_export(inst, name, args, nargs, &res, &err);
	snprintf(what, sizeof(what), "call %s returns normally", name);
	if (!check_report(rc == 0, what, file, line)) {
		fprintf(stderr, "    rc %d: %s\n", rc, err.msg);
		return 0;
	}
	return res.of.i32;
}

static const char *first_line(const char *msg, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s", (int)strcspn(msg, "\n"), msg);
	return buf;
}

bool expect_trap_at(const char *file, int line, struct wbpf_instance *inst, const char *name,
		    const struct wbpf_val *args, size_t nargs, enum wbpf_trap trap,
		    const char *where)
{
	struct wbpf_error err = { 0 };
	char what[256], head[sizeof(err.msg)];
	int rc = call_export(inst, name, args, nargs, NULL, &err);
	bool ok;

	snprintf(what, sizeof(what), "call %s traps with \"%s\"", name, wbpf_trap__str(trap));
	ok = rc == -EFAULT && err.kind == WBPF_ERR_TRAP && err.trap == trap;
	if (!check_report(ok, what, file, line)) {
		fprintf(stderr, "    rc %d, kind %d, trap %d (%s): %s\n", rc, err.kind, err.trap,
			wbpf_trap__str(err.trap), err.msg);
		return false;
	}
	/* The function's name may sit on the first line or in the backtrace;
	 * the trap's description belongs on the first line. */
	snprintf(what, sizeof(what), "trap message of %s names %s", name, where);
	ok = check_report(strstr(err.msg, where) != NULL, what, file, line);
	if (trap != WBPF_TRAP_HOST) {
		snprintf(what, sizeof(what), "trap message of %s says \"%s\"", name,
			 wbpf_trap__str(trap));
		ok &= check_report(strstr(first_line(err.msg, head, sizeof(head)),
					  wbpf_trap__str(trap)) != NULL,
				   what, file, line);
	}
	if (!ok)
		fprintf(stderr, "    message: %s\n", err.msg);
	return ok;
}

bool jit_tier_available(void)
{
#if defined(__x86_64__)
	return true;
#else
	printf("  skipped: the compiling tier needs x86-64\n");
	return false;
#endif
}
