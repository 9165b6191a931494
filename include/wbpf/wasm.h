/* SPDX-License-Identifier: MIT */
/*
 * wbpf's WebAssembly engine: the embedding API.
 *
 * Four objects:
 *   module    decoded, validated and compiled bytes; immutable, shareable
 *             between threads, instantiable any number of times.
 *   store     everything one thread runs: instances, host definitions,
 *             the execution stack, limits. Freed as a whole. A store is
 *             used by one thread at a time.
 *   instance  a module linked against definitions in its store.
 *   func      a callable (exported wasm function or host function).
 *
 * Conventions (as libbpf): functions returning int give 0 or a negative
 * errno; functions returning pointers give NULL on error. Where a
 * `struct wbpf_error *` is taken (may be NULL), it receives a message that
 * names what went wrong.
 */
#ifndef WBPF_WASM_H
#define WBPF_WASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum wbpf_valtype {
	WBPF_I32 = 0x7f,
	WBPF_I64 = 0x7e,
	WBPF_F32 = 0x7d,
	WBPF_F64 = 0x7c,
	WBPF_V128 = 0x7b,
	WBPF_FUNCREF = 0x70,
	WBPF_EXTERNREF = 0x6f,
};

struct wbpf_func;
struct wbpf_instance;

/* A typed value. Floats are also reachable as raw bits (f32 in .i32,
 * f64 in .i64) so that NaN payloads survive. A null reference is NULL.
 * A v128 is two little-endian halves, low first. */
struct wbpf_val {
	enum wbpf_valtype type;
	union {
		uint32_t i32;
		uint64_t i64;
		float f32;
		double f64;
		struct wbpf_func *func; /* WBPF_FUNCREF */
		void *ref;		/* WBPF_EXTERNREF */
		uint64_t v128[2];	/* WBPF_V128 */
	} of;
};

enum wbpf_error_kind {
	WBPF_OK = 0,
	WBPF_ERR_MALFORMED,   /* bytes are not a wasm binary */
	WBPF_ERR_INVALID,     /* decodes but breaks a validation rule */
	WBPF_ERR_LINK,	      /* an import is missing or has the wrong type */
	WBPF_ERR_TRAP,	      /* execution trapped (see enum wbpf_trap) */
	WBPF_ERR_EXIT,	      /* the guest asked to exit (exit_code) */
	WBPF_ERR_NOMEM,
	WBPF_ERR_ARG,	      /* the embedder passed a bad argument */
};

enum wbpf_trap {
	WBPF_TRAP_NONE = 0,
	WBPF_TRAP_UNREACHABLE,
	WBPF_TRAP_MEM_OOB,	  /* out of bounds memory access */
	WBPF_TRAP_TABLE_OOB,	  /* out of bounds table access / undefined element */
	WBPF_TRAP_INT_OVERFLOW,
	WBPF_TRAP_DIV_ZERO,
	WBPF_TRAP_BAD_CONVERSION, /* invalid conversion to integer */
	WBPF_TRAP_INDIRECT_TYPE,  /* indirect call type mismatch */
	WBPF_TRAP_UNINIT_ELEM,	  /* uninitialized element */
	WBPF_TRAP_NULL_REF,	  /* null reference */
	WBPF_TRAP_STACK_EXHAUSTED,/* call stack exhausted */
	WBPF_TRAP_FUEL,		  /* fuel exhausted */
	WBPF_TRAP_INTERRUPTED,	  /* interrupted (deadline) */
	WBPF_TRAP_HOST,		  /* a host function trapped */
};

struct wbpf_error {
	enum wbpf_error_kind kind;
	enum wbpf_trap trap; /* when kind == WBPF_ERR_TRAP */
	int exit_code;	     /* when kind == WBPF_ERR_EXIT */
	char msg[1024];	     /* one line; traps add "\n" + a backtrace */
};

/* "i32", "funcref", ...; "unknown" for anything else. */
const char *wbpf_valtype__str(enum wbpf_valtype type);

/* Human-readable text of a trap code, e.g. "out of bounds memory access". */
const char *wbpf_trap__str(enum wbpf_trap trap);

/* ---------------------------------------------------------------- module */

struct wbpf_module;

/* Decodes, validates and compiles `bytes` (copied: the caller may free).
 * Loading takes time linear in the size of the module, which must stay
 * within the engine's limits (docs/engine.md). */
struct wbpf_module *wbpf_module__new(const void *bytes, size_t len, struct wbpf_error *err);

struct wbpf_store;

/* How a module's functions run (docs/engine.md, "Compiling tier"). */
enum wbpf_engine {
	WBPF_ENGINE_DEFAULT = 0, /* WBPF_ENGINE in the environment ("interp", "compile",
				  * "auto"), else auto */
	WBPF_ENGINE_INTERP,	 /* the interpreter only */
	WBPF_ENGINE_COMPILE,	 /* machine code for every function the tier supports;
				  * loading fails where the tier is not available */
	WBPF_ENGINE_AUTO,	 /* the compiling tier where available, else interp */
};

struct wbpf_module_opts {
	size_t sz;	/* sizeof(struct wbpf_module_opts), for growth */
	/* Loading stops with WBPF_ERR_TRAP / WBPF_TRAP_INTERRUPTED when this
	 * store is interrupted (wbpf_store__interrupt) meanwhile, so that a
	 * deadline covers loading too. Its flag is cleared first, as when a
	 * call starts. The module does not depend on the store afterwards. */
	struct wbpf_store *interrupt_from;
	enum wbpf_engine engine;
	/* Where the compiling tier keeps machine code between loads
	 * (docs/engine.md, "Code cache"): a directory, "off", or NULL for
	 * WBPF_CODE_CACHE, else $XDG_CACHE_HOME/wbpf if that is set. */
	const char *code_cache;
	/* The code cache's size cap in bytes: once a new entry takes it past
	 * that, the least recently used entries are removed. 0 for
	 * WBPF_CODE_CACHE_MAX (k, M, G suffixes), else 256 MiB. */
	uint64_t code_cache_max;
};

/* wbpf_module__new with options (opts may be NULL). */
struct wbpf_module *wbpf_module__new_opts(const void *bytes, size_t len,
					  const struct wbpf_module_opts *opts,
					  struct wbpf_error *err);
/* How many of the module's own functions run as machine code (0 with the
 * interpreter; the others use what the compiling tier does not support). */
size_t wbpf_module__native_count(const struct wbpf_module *mod);
/* Whether that machine code came from the code cache (not compiled). */
bool wbpf_module__native_cached(const struct wbpf_module *mod);
/* Parses "interp", "compile" or "auto"; -EINVAL for anything else. */
int wbpf_engine__parse(const char *name, enum wbpf_engine *out);
/* Modules are reference counted: instances keep theirs alive. */
void wbpf_module__free(struct wbpf_module *mod);

enum wbpf_extern_kind {
	WBPF_EXTERN_FUNC = 0,
	WBPF_EXTERN_TABLE = 1,
	WBPF_EXTERN_MEMORY = 2,
	WBPF_EXTERN_GLOBAL = 3,
};

struct wbpf_functype {
	uint32_t nparams, nresults;
	const uint8_t *params;	/* enum wbpf_valtype values */
	const uint8_t *results;
};

struct wbpf_extern_desc {
	const char *module; /* NULL for exports */
	const char *name;
	enum wbpf_extern_kind kind;
	struct wbpf_functype func; /* kind == WBPF_EXTERN_FUNC */
};

size_t wbpf_module__import_count(const struct wbpf_module *mod);
int wbpf_module__import(const struct wbpf_module *mod, size_t i, struct wbpf_extern_desc *out);
size_t wbpf_module__export_count(const struct wbpf_module *mod);
int wbpf_module__export(const struct wbpf_module *mod, size_t i, struct wbpf_extern_desc *out);

/* ----------------------------------------------------------------- store */

struct wbpf_store_opts {
	size_t sz;		/* sizeof(struct wbpf_store_opts), for growth */
	size_t stack_bytes;	/* value stack; 0 = default (1 MiB) */
	uint32_t max_call_depth;/* 0 = default (10000) */
	uint64_t max_memory_bytes; /* per memory; 0 = 4 GiB (no cap) */
};

struct wbpf_store *wbpf_store__new(const struct wbpf_store_opts *opts);
/* Frees every instance, host function, memory, table and global in it. */
void wbpf_store__free(struct wbpf_store *store);

/* Fuel: an instruction budget checked at calls and loop back-edges.
 * Enabled by setting it; running out traps with WBPF_TRAP_FUEL. */
void wbpf_store__set_fuel(struct wbpf_store *store, uint64_t fuel);
uint64_t wbpf_store__fuel(const struct wbpf_store *store);
void wbpf_store__disable_fuel(struct wbpf_store *store);
/* Safe from any thread or signal handler: the running guest traps with
 * WBPF_TRAP_INTERRUPTED at its next call or loop back-edge. The flag is
 * cleared when a top-level call starts. */
void wbpf_store__interrupt(struct wbpf_store *store);

/* Host functions receive raw, unboxed slots: parameters in slots[0..n),
 * results to be written to slots[0..m). An i32/f32 occupies the low 32
 * bits of its slot; references are pointers; a v128 takes two slots (low
 * half first), so later values move up by one. Return 0, or the value of
 * wbpf_caller__trap()/__exit(). */
struct wbpf_caller;
typedef int (*wbpf_host_fn)(struct wbpf_caller *caller, uint64_t *slots, void *user);

/* Signature strings: "(params)results" with i=i32 I=i64 f=f32 F=f64
 * V=v128 r=externref R=funcref, e.g. "(ii)i", "(I)", "()F". */
int wbpf_store__define_func(struct wbpf_store *store, const char *module, const char *name,
			    const char *sig, wbpf_host_fn fn, void *user);

struct wbpf_table;
struct wbpf_memory;
struct wbpf_global;

struct wbpf_extern {
	enum wbpf_extern_kind kind;
	union {
		struct wbpf_func *func;
		struct wbpf_table *table;
		struct wbpf_memory *memory;
		struct wbpf_global *global;
	} of;
};

int wbpf_store__define(struct wbpf_store *store, const char *module, const char *name,
		       struct wbpf_extern ext);
/* Makes every export of `inst` importable as module `module`. */
int wbpf_store__define_instance(struct wbpf_store *store, const char *module,
				struct wbpf_instance *inst);

/* Standalone objects, owned by the store. max = UINT32_MAX for none. */
struct wbpf_memory *wbpf_memory__new(struct wbpf_store *store, uint32_t min_pages, uint32_t max_pages);
struct wbpf_table *wbpf_table__new(struct wbpf_store *store, enum wbpf_valtype elem,
				   uint32_t min, uint32_t max);
struct wbpf_global *wbpf_global__new(struct wbpf_store *store, struct wbpf_val value, bool mutable_);

/* -------------------------------------------------------------- instance */

struct wbpf_instance;

/* Resolves imports from the store's definitions, allocates, initialises
 * segments and runs the start function. On a trap during instantiation
 * (an out-of-bounds segment, a trapping start function) NULL is returned;
 * writes already made to imported memories and tables stay, as the spec
 * requires. */
struct wbpf_instance *wbpf_instance__new(struct wbpf_store *store, const struct wbpf_module *mod,
					 struct wbpf_error *err);
const struct wbpf_module *wbpf_instance__module(const struct wbpf_instance *inst);
int wbpf_instance__export(const struct wbpf_instance *inst, const char *name, struct wbpf_extern *out);
/* Exported function `name`, or NULL. */
struct wbpf_func *wbpf_instance__func(const struct wbpf_instance *inst, const char *name);
/* Memory 0 (imported or own), or NULL. */
struct wbpf_memory *wbpf_instance__memory(const struct wbpf_instance *inst);
/* Table `idx` (imported or own, exported or not), or NULL. */
struct wbpf_table *wbpf_instance__table(const struct wbpf_instance *inst, uint32_t idx);
void wbpf_instance__set_user(struct wbpf_instance *inst, void *user);
void *wbpf_instance__user(const struct wbpf_instance *inst);

/* ------------------------------------------------------------------ func */

void wbpf_func__type(const struct wbpf_func *fn, struct wbpf_functype *out);
/* Name from the export or the name section, for messages; never NULL. */
const char *wbpf_func__name(const struct wbpf_func *fn);
/* Calls `fn` with args whose types must match. Reentrant from host
 * functions. On a trap returns -EFAULT with err->kind = WBPF_ERR_TRAP;
 * a guest exit returns -ECANCELED with err->kind = WBPF_ERR_EXIT. */
int wbpf_func__call(struct wbpf_func *fn, const struct wbpf_val *args, size_t nargs,
		    struct wbpf_val *results, size_t nresults, struct wbpf_error *err);
/* The same with raw slots laid out as a host function's: parameters in
 * slots[0..n), results written to slots[0..m); `slots` holds the larger
 * of the two. For a host calling the same function per event, with its
 * type checked once (wbpf_func__type): nothing is checked or boxed per
 * call. Functions taking or returning references are refused
 * (WBPF_ERR_ARG): a raw slot is no proof of a valid reference. */
int wbpf_func__call_slots(struct wbpf_func *fn, uint64_t *slots, struct wbpf_error *err);
/* Calls fn once per event, entering the engine once for the series:
 * before each call next(ctx, s) writes the arguments into s (laid out
 * as for wbpf_func__call_slots) and returns 1, or ends the series by
 * returning 0 or a negative value, which is returned. From the second
 * call on, s holds the previous call's results when next() runs. s is
 * the engine's frame, so that nothing is copied per call: next() must
 * use the pointer it is given, and only while it runs.
 * A trap or exit ends the series with -EFAULT or -ECANCELED and err set
 * as for wbpf_func__call (err->kind is WBPF_OK otherwise). */
int wbpf_func__call_each(struct wbpf_func *fn, int (*next)(void *ctx, uint64_t *slots),
			 void *ctx, struct wbpf_error *err);

/* ---------------------------------------------------- memory / globals */

/* Current data and size. The pointer is invalidated by growth. */
uint8_t *wbpf_memory__data(const struct wbpf_memory *mem);
uint64_t wbpf_memory__size(const struct wbpf_memory *mem); /* bytes */
/* Bounds-checked copies: -EFAULT when [off, off+len) is outside. */
int wbpf_memory__read(const struct wbpf_memory *mem, uint64_t off, void *buf, size_t len);
int wbpf_memory__write(struct wbpf_memory *mem, uint64_t off, const void *buf, size_t len);
/* Returns the old size in pages, or -1 past the maximum or the store cap. */
int64_t wbpf_memory__grow(struct wbpf_memory *mem, uint32_t delta_pages);

int wbpf_global__get(const struct wbpf_global *g, struct wbpf_val *out);
int wbpf_global__set(struct wbpf_global *g, struct wbpf_val v); /* -EPERM if immutable */

uint32_t wbpf_table__size(const struct wbpf_table *t);
int wbpf_table__get(const struct wbpf_table *t, uint32_t i, struct wbpf_val *out);

/* ---------------------------------------------------------------- caller */

/* The instance whose code called the host function. */
struct wbpf_instance *wbpf_caller__instance(struct wbpf_caller *c);
/* A checked view of the caller's memory 0: a pointer to [addr, addr+len)
 * or NULL when any part is outside (or there is no memory). Valid until
 * the guest runs again. */
void *wbpf_caller__mem(struct wbpf_caller *c, uint64_t addr, uint64_t len);
uint64_t wbpf_caller__mem_size(struct wbpf_caller *c);
/* A NUL-terminated string at addr of at most max bytes, or NULL. */
const char *wbpf_caller__str(struct wbpf_caller *c, uint64_t addr, uint64_t max);
/* Record a trap; a host function returns this value. */
int wbpf_caller__trap(struct wbpf_caller *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Ends the whole call stack with WBPF_ERR_EXIT and `code`. */
int wbpf_caller__exit(struct wbpf_caller *c, int code);
/* Whether wbpf_store__interrupt() was called during this top-level call:
 * a host function that waits checks it now and then, and traps. */
bool wbpf_caller__interrupted(struct wbpf_caller *c);
/* Passes on a trap or exit that a nested wbpf_func__call returned, with
 * its kind, trap code and backtrace; a host function returns this. */
int wbpf_caller__rethrow(struct wbpf_caller *c, const struct wbpf_error *err);

#ifdef __cplusplus
}
#endif
#endif /* WBPF_WASM_H */
