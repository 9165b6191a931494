/* SPDX-License-Identifier: MIT */
/*
 * Run-time objects: stores, instances, functions, memories, tables,
 * globals, and the compiled code form shared by compile.c and interp.c.
 */
#ifndef WBPF_WASM_RUNTIME_H
#define WBPF_WASM_RUNTIME_H

#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <string.h>

#include "wasm/module.h"

/* Every value lives in an 8-byte slot: locals and operand stack alike.
 * i32/f32 use the low 32 bits; references are pointers; a v128 takes two
 * consecutive slots, low half first. */
typedef uint64_t slot_t;

/* Compiled code: a handler address followed by its operands. */
typedef union wasm_cell {
	const void *op;
	const union wasm_cell *target;
	uint64_t u64;
	int64_t i64;
	void *ptr;
	void (*fn)(void); /* SIMD: the operation, cast to its real type */
} wasm_cell;

struct wasm_compiled {
	uint32_t nparams, nresults; /* slots */
	uint32_t nlocals;	    /* declared locals, zeroed on entry */
	uint32_t frame_slots;	    /* params + locals + deepest operand stack */
	wasm_cell *code;
	size_t ncells;
	const void *native; /* the compiling tier's entry, or NULL (jit.c) */
};

struct wbpf_func {
	const struct wasm_functype *type;
	struct wbpf_store *store;
	struct wbpf_instance *inst; /* NULL for host functions */
	const struct wasm_compiled *code;
	wbpf_host_fn host;
	void *user;
	uint32_t index; /* in its module's function space */
	char *host_name; /* "module.name" for host functions */
	struct wasm_functype host_type;
	struct wbpf_func *next_host; /* the store's list of host functions */
};

struct wbpf_memory {
	uint8_t *data;
	uint64_t size;	   /* bytes accessible */
	uint64_t reserved; /* bytes of address space reserved */
	uint32_t max_pages;
	bool has_max;
	struct wbpf_store *store;
	struct wbpf_memory *next;
};

struct wbpf_table {
	slot_t *elems;
	uint32_t size, max; /* max UINT32_MAX: none */
	uint8_t type;
	struct wbpf_table *next;
};

struct wbpf_global {
	slot_t val;
	slot_t hi; /* a v128's high half */
	uint8_t type;
	bool mut;
	struct wbpf_global *next;
};

struct wbpf_instance {
	struct wbpf_module *mod;
	struct wbpf_store *store;
	struct wbpf_func **funcs;
	struct wbpf_func *own_funcs;
	struct wbpf_table **tables;
	struct wbpf_memory *mem; /* memory 0 or NULL */
	struct wbpf_global **globals;
	/* Element segments evaluated at instantiation; count 0 once dropped. */
	slot_t **elem_items;
	uint32_t *elem_counts;
	uint8_t *data_dropped;
	void *user;
	struct wbpf_instance *next;
};

struct wasm_frame {
	const wasm_cell *ret_ip;
	slot_t *fp;
	struct wbpf_func *fn;
};

struct wasm_def {
	char *module, *name;
	struct wbpf_extern ext;
	struct wasm_def *next;
};

struct wbpf_caller {
	struct wbpf_store *store;
	struct wbpf_instance *inst;
};

struct wbpf_store {
	slot_t *stack, *stack_end;
	slot_t *stack_top; /* first free slot above the running frames */
	struct wasm_frame *frames;
	uint32_t depth, max_depth;
	uint32_t nesting; /* host -> wasm reentries */
	struct wbpf_func *running; /* the function executing, for messages */
	uint64_t max_memory_bytes;

	uint64_t fuel;	/* reserve, beyond the running budget */
	int64_t budget;	/* charged at calls and taken back-edges */
	bool fuel_enabled;
	atomic_int interrupt;
	/* Compiled code's native stack floor on the thread that last ran
	 * it, the lowest stack pointer a compiled call may be made from
	 * (that floor and the call depth limit), and the innermost entry
	 * into compiled code (jit_rt.c). */
	uintptr_t jit_sp_limit;
	uintptr_t jit_call_floor;
	struct jit_ctx *jit_ctx;
	bool jit_in_code; /* compiled code itself runs (its budget in r14) */
	pthread_t jit_thread;

	/* A trap or exit raised by a host function, waiting to unwind. */
	struct wbpf_error pending;

	struct wasm_def *defs;
	struct wbpf_func *host_funcs;
	struct wbpf_instance *instances;
	struct wbpf_memory *memories;
	struct wbpf_table *tables;
	struct wbpf_global *globals;
};

/* Is [off, off+len) inside [0, size)? Written so that nothing overflows. */
/* Most functions have a handful of locals: a call to memset costs more
 * than the stores. */
static inline void wasm_zero_locals(slot_t *p, uint32_t n)
{
	switch (n) {
	case 4: p[3] = 0; /* fall through */
	case 3: p[2] = 0; /* fall through */
	case 2: p[1] = 0; /* fall through */
	case 1: p[0] = 0; /* fall through */
	case 0: return;
	default: memset(p, 0, n * sizeof(slot_t));
	}
}

static inline bool wasm_range_ok(uint64_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

/* interp.c */
const void *const *wasm_interp_handlers(void);
/* Runs fn with its arguments in fp[0..); results land in fp[0..). */
int wasm_interp_call(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp, struct wbpf_error *err);
/* wbpf_func__call_each's series: next() writes each call's arguments
 * straight into the frame (fp[0..nparams)), where the previous call left
 * its results, so that nothing is copied between calls. */
struct wasm_each {
	uint32_t nparams;
	int (*next)(void *ctx, uint64_t *slots);
	void *ctx;
};
/* Calls fn for each event of the series under one landing and one entry
 * into the engine (fp: the frame, checked for room). Returns next()'s
 * value when it ends the series (<= 0), or the first call's failure. */
int wasm_interp_call_each(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp,
			  const struct wasm_each *each, struct wbpf_error *err);
/* For the compiling tier: runs fn in the interpreter from a frame already
 * set up (no landing, no nesting count); refuels the running budget; and
 * describes a trap of compiled code at the current depth. */
int wasm_interp_run(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp, struct wbpf_error *err);
int wasm_interp_refuel(struct wbpf_store *st);
void wasm_interp_trap(struct wbpf_store *st, enum wbpf_trap trap, struct wbpf_error *err);

/* guard.c: faults in a memory's guard region become traps. */
struct wasm_landing {
	sigjmp_buf jump;
	struct wbpf_store *store;
	bool in_guest;
	struct wasm_landing *prev;
	int64_t fault_r14; /* at the fault: compiled code's fuel budget (jit.c) */
	struct jit_ctx *jit_ctx; /* the store's, on entry */
	bool jit_in_code;
};
void wasm_guard_install(void);
void wasm_guard_enter(struct wasm_landing *l, struct wbpf_store *st);
void wasm_guard_leave(struct wasm_landing *l);
void wasm_guard_pause(bool paused);
/* The innermost landing of this thread (NULL outside the engine): a
 * series pauses it per call without looking it up again. */
struct wasm_landing *wasm_guard_current(void);

/* memory.c */
struct wbpf_memory *wasm_memory_create(struct wbpf_store *st, uint32_t min_pages, uint32_t max_pages);
int64_t wasm_memory_grow(struct wbpf_memory *mem, uint32_t delta);
void wasm_memory_destroy(struct wbpf_memory *mem);

/* instance.c */
struct wbpf_table *wasm_table_create(struct wbpf_store *st, uint8_t type, uint32_t min, uint32_t max);
int64_t wasm_table_grow(struct wbpf_table *t, uint32_t delta, slot_t init);
struct wbpf_global *wasm_global_create(struct wbpf_store *st, uint8_t type, bool mut, slot_t val,
				       slot_t hi);

/* store.c */
int wasm_parse_sig(const char *sig, struct wasm_functype *out);
const struct wasm_def *wasm_store_lookup(const struct wbpf_store *st, const char *module,
					 const char *name);
void wasm_instance_destroy(struct wbpf_instance *inst);

#endif
