/* SPDX-License-Identifier: MIT */
/*
 * The decoded form of a module: what decode.c produces from the binary,
 * what validate.c checks at module level and compile.c turns into code.
 * Index spaces are merged as in the spec: imports come first.
 */
#ifndef WBPF_WASM_MODULE_H
#define WBPF_WASM_MODULE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wbpf/wasm.h"

#define WASM_PAGE_SIZE 65536u
#define WASM_MAX_PAGES 65536u
#define WASM_MAX_LOCALS 50000u	/* per function, params included */
#define WASM_MAX_TABLE 10000000u	/* elements, as other engines */

/* Engine limits (docs/engine.md): the web embedding's published ones
 * where it has one, V8's for br_table; each refused with an error naming
 * it. They also bound what a module can make loading cost. */
#define WASM_MAX_MODULE_SIZE (1u << 30)
#define WASM_MAX_TYPES 1000000u
#define WASM_MAX_FUNCTIONS 1000000u	/* imported ones included */
#define WASM_MAX_IMPORTS 100000u
#define WASM_MAX_EXPORTS 100000u
#define WASM_MAX_GLOBALS 1000000u
#define WASM_MAX_TABLES 100000u
#define WASM_MAX_DATA_SEGMENTS 100000u
#define WASM_MAX_ELEM_SEGMENTS 100000u
#define WASM_MAX_ELEM_ITEMS 10000000u	/* per segment */
#define WASM_MAX_NAME 100000u		/* bytes of an import or export name */
#define WASM_MAX_PARAMS 1000u		/* per function or block type */
#define WASM_MAX_RESULTS 1000u
#define WASM_MAX_BODY_SIZE 7654321u	/* bytes, local declarations included */
#define WASM_MAX_BR_TABLE 65520u	/* labels, the default one included */
#define WASM_MAX_NESTING 100000u	/* blocks, loops and ifs open at once */

/* Binary value types are enum wbpf_valtype values (0x7f i32 ... 0x6f). */
static inline bool wasm_is_reftype(uint8_t t)
{
	return t == WBPF_FUNCREF || t == WBPF_EXTERNREF;
}

/* Values live in 8-byte slots; a v128 takes two, low half first. */
static inline uint32_t wasm_type_slots(uint8_t t)
{
	return t == WBPF_V128 ? 2 : 1;
}

static inline uint32_t wasm_slot_count(const uint8_t *types, uint32_t n)
{
	uint32_t slots = 0;

	for (uint32_t i = 0; i < n; i++)
		slots += wasm_type_slots(types[i]);
	return slots;
}

struct wasm_functype {
	uint32_t nparams, nresults;
	uint8_t *types; /* nparams params, then nresults results */
	uint64_t hash;	/* of the signature, for fast structural checks */
};

static inline const uint8_t *wasm_results(const struct wasm_functype *ft)
{
	return ft->types + ft->nparams;
}

bool wasm_functype_eq(const struct wasm_functype *a, const struct wasm_functype *b);
uint64_t wasm_functype_hash(const struct wasm_functype *ft);

struct wasm_limits {
	uint32_t min, max;
	bool has_max;
};

struct wasm_tabletype {
	uint8_t elem; /* WBPF_FUNCREF or WBPF_EXTERNREF */
	struct wasm_limits lim;
};

struct wasm_globaltype {
	uint8_t type;
	bool mut;
};

/* A constant expression. Wasm 2.0 allows exactly one instruction before
 * `end`; anything else decodes as op = WASM_INIT_INVALID and fails
 * validation with "constant expression required". */
enum wasm_init_op {
	WASM_INIT_INVALID = 0,
	WASM_INIT_CONST,      /* value holds the bits of `type` */
	WASM_INIT_GLOBAL_GET, /* index */
	WASM_INIT_REF_NULL,   /* type is the reference type */
	WASM_INIT_REF_FUNC,   /* index */
};

struct wasm_init {
	uint8_t op;   /* enum wasm_init_op */
	uint8_t type; /* for CONST and REF_NULL */
	uint32_t index;
	uint64_t value;
	uint64_t value_hi; /* the high half of a v128 */
};

struct wasm_import {
	char *module, *name;
	uint8_t kind; /* enum wbpf_extern_kind */
	uint32_t index; /* in the index space of its kind */
};

struct wasm_export {
	char *name;
	uint32_t name_len; /* names may hold NUL bytes ("" vs "\0\1") */
	uint8_t kind;
	uint32_t index;
};

struct wasm_global {
	struct wasm_globaltype type;
	struct wasm_init init; /* unused for imported globals */
};

enum wasm_segment_mode { WASM_SEG_ACTIVE, WASM_SEG_PASSIVE, WASM_SEG_DECLARATIVE };

struct wasm_elem {
	uint8_t mode;
	uint8_t type; /* reference type of the items */
	uint32_t table;
	struct wasm_init offset; /* active only */
	uint32_t count;
	struct wasm_init *items; /* REF_FUNC, REF_NULL or GLOBAL_GET */
};

struct wasm_data {
	uint8_t mode;
	uint32_t mem;
	struct wasm_init offset; /* active only */
	const uint8_t *bytes;	/* points into wasm_module.bytes */
	uint32_t len;
};

/* Declared locals as the binary gives them, (count, type) runs, so that
 * 50000 locals declared in a few bytes cost a few bytes. */
struct wasm_local_run {
	uint32_t start; /* its first local, counted from the first non-param */
	uint32_t slot;	/* that local's slot, counted from the first non-param's */
	uint8_t type;
};

/* A defined function's body as decoded. */
struct wasm_code {
	uint32_t nlocals;     /* declared locals, params excluded */
	uint32_t nlocal_slots; /* the slots they take */
	uint32_t nruns;	      /* non-empty runs */
	struct wasm_local_run *runs;
	const uint8_t *body;  /* the instructions, final `end` included */
	uint32_t body_len;
	uint32_t offset;      /* of `body` in the module, for messages */
};

struct wasm_custom {
	char *name;
	const uint8_t *bytes;
	uint32_t len;
};

struct wasm_compiled; /* compile.c */
struct jit_module;   /* jit.c */

struct wbpf_module {
	_Atomic int refs;
	uint8_t *bytes; /* owned copy of the binary */
	size_t len;

	uint32_t ntypes;
	struct wasm_functype *types;

	uint32_t nimports;
	struct wasm_import *imports;

	uint32_t nfuncs, nimported_funcs;
	uint32_t *func_types; /* type index of every function */
	struct wasm_code *codes; /* nfuncs - nimported_funcs */

	uint32_t ntables, nimported_tables;
	struct wasm_tabletype *tables;

	uint32_t nmems, nimported_mems;
	struct wasm_limits *mems;

	uint32_t nglobals, nimported_globals;
	struct wasm_global *globals;

	uint32_t nexports;
	struct wasm_export *exports;

	bool has_start;
	uint32_t start;

	uint32_t nelems;
	struct wasm_elem *elems;

	uint32_t ndatas;
	struct wasm_data *datas;
	bool has_datacount;

	uint32_t ncustoms;
	struct wasm_custom *customs;

	char **func_names; /* nfuncs entries from the name section, or NULL */

	/* Filled by validation: functions a ref.func may name (C.refs). */
	uint8_t *func_declared; /* nfuncs entries, 0 or 1 */

	struct wasm_compiled **compiled; /* per defined function */
	/* What lives as long as the module: compiled code, local runs. */
	struct wasm_arena *arena;
	struct jit_module *jit; /* the compiling tier's code, or NULL */
	struct jit_background *jit_background; /* auto: compiling it (jit_auto.c) */
	/* Loads and stores check bounds explicitly instead of relying on
	 * guard regions (environment WBPF_BOUNDS_CHECKS=1 at compile time). */
	bool bounds_checked;
	/* The first index of each type's structural twin, so that functions
	 * and call_indirect of one module agree on type pointers. */
	uint32_t *type_canon;
};

/* For functions returning 0 or a negative errno with err filled: pass a
 * failure up. */
#define TRY(expr) \
	do { \
		int err_ = (expr); \
		if (err_) \
			return err_; \
	} while (0)

/* decode.c: bytes -> module; WBPF_ERR_MALFORMED on failure, and
 * WBPF_TRAP_INTERRUPTED once *interrupt (may be NULL) is set. */
int wasm_decode(struct wbpf_module *mod, const atomic_int *interrupt, struct wbpf_error *err);
/* validate.c: module-level rules (everything but function bodies);
 * WBPF_ERR_INVALID on failure, WBPF_TRAP_INTERRUPTED once *interrupt is set. */
int wasm_validate_module(struct wbpf_module *mod, const atomic_int *interrupt,
			 struct wbpf_error *err);
/* compile.c: validates every function body and compiles it; stops with
 * WBPF_TRAP_INTERRUPTED once *interrupt (may be NULL) is set. */
int wasm_compile_module(struct wbpf_module *mod, const atomic_int *interrupt,
			struct wbpf_error *err);
/* Frees everything decode/validate/compile allocated. */
void wasm_module_release(struct wbpf_module *mod);

/* The name of function `idx` for messages: name section, else an export
 * name, else "func[idx]". Writes into buf. */
const char *wasm_func_name(const struct wbpf_module *mod, uint32_t idx, char *buf, size_t len);

/* error.c: fills err (if any) and returns the errno matching `kind`. */
int wasm_fail(struct wbpf_error *err, enum wbpf_error_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Buffers loading may grow to megabytes (bigbuf.c): like realloc (`old`
 * bytes kept) and free, huge-page backed when large. Only these two may
 * resize or free what they return. */
void *wasm_bigbuf_realloc(void *p, size_t old, size_t size);
void *wasm_bigbuf_calloc(size_t n, size_t size);
void wasm_bigbuf_free(void *p);

/* Blocks that live as long as the module, carved from shared chunks
 * (*arena starts NULL) and freed all at once. */
struct wasm_arena;
void *wasm_arena_alloc(struct wasm_arena **arena, size_t size);
void wasm_arena_free(struct wasm_arena *arena);

/* 0 while *interrupt (may be NULL) is clear; once set, a WBPF_TRAP_INTERRUPTED
 * error "interrupted while loading (WHERE)" and its errno. Loading polls it
 * before every item, so it is kept to a plain load in the common case. */
int wasm_load_interrupted_slow(struct wbpf_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define wasm_load_interrupted(interrupt, err, ...) \
	(!(interrupt) || !atomic_load_explicit((interrupt), memory_order_relaxed) ? 0 : \
	 wasm_load_interrupted_slow((err), __VA_ARGS__))

#endif
