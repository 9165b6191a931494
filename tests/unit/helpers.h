/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the unit tests: loading the test modules that the build
 * converts from tests/unit/wat/, a module+store+instance fixture, and
 * calls whose failures are reported at the caller's line.
 */
#ifndef WBPF_TEST_HELPERS_H
#define WBPF_TEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "wbpf/wasm.h"

#define WASM_PAGE 65536u

/* The bytes of tests/unit/wat/<name>.wat as converted at build time;
 * NULL (and a failed CHECK) when missing. Free with free(). */
uint8_t *read_wasm(const char *name, size_t *len);
/* wbpf_module__new on those bytes; NULL with err filled on failure. */
struct wbpf_module *load_module(const char *name, struct wbpf_error *err);

struct fixture {
	struct wbpf_module *mod;
	struct wbpf_store *store;
	struct wbpf_instance *inst;
	struct wbpf_error err;
};

/* Module and store only, for tests that define imports first. */
bool fixture_load(struct fixture *fx, const char *name, const struct wbpf_store_opts *opts);
bool fixture_instantiate(struct fixture *fx);
/* Both; every failure is a failed CHECK naming the module. */
bool fixture_open(struct fixture *fx, const char *name, const struct wbpf_store_opts *opts);
void fixture_close(struct fixture *fx);

struct wbpf_val val_i32(uint32_t v);
struct wbpf_val val_i64(uint64_t v);
struct wbpf_val val_f32(float v);
struct wbpf_val val_f64(double v);
struct wbpf_val val_f32_bits(uint32_t bits);
struct wbpf_val val_f64_bits(uint64_t bits);
struct wbpf_val val_ref(void *p);

/* Calls export `name`, sizing the results from its type (up to 8; the
 * first result, if any, goes to *res). Returns wbpf_func__call's value,
 * or -ENOENT when there is no such export. */
int call_export(struct wbpf_instance *inst, const char *name, const struct wbpf_val *args,
		size_t nargs, struct wbpf_val *res, struct wbpf_error *err);

/* Expects export `name`, given `nargs` i32 arguments, to return normally;
 * its i32 result (if any) is returned, else 0. */
#define CALL_I32(inst, name, ...) call_i32_at(__FILE__, __LINE__, inst, name, __VA_ARGS__)
uint32_t call_i32_at(const char *file, int line, struct wbpf_instance *inst, const char *name,
		     size_t nargs, ...);

/* Expects export `name` to trap with `trap` and a message that names
 * `where` (the function that trapped) and, for engine traps, describes
 * the trap as wbpf_trap__str() does. */
#define EXPECT_TRAP(inst, name, args, nargs, trap, where) \
	expect_trap_at(__FILE__, __LINE__, inst, name, args, nargs, trap, where)
bool expect_trap_at(const char *file, int line, struct wbpf_instance *inst, const char *name,
		    const struct wbpf_val *args, size_t nargs, enum wbpf_trap trap,
		    const char *where);

/* Whether this machine has the compiling tier; prints why a test is
 * skipped when not. */
bool jit_tier_available(void);

#endif
