/* SPDX-License-Identifier: MIT */
/*
 * The compiling tier (x86-64): jit.c translates each function's threaded
 * code into machine code, jit_rt.c is what that code calls at run time.
 * Shared with interp.c, which calls compiled functions, and module.c.
 */
#ifndef WBPF_WASM_JIT_H
#define WBPF_WASM_JIT_H

#include "wasm/ops.h"
#include "wasm/runtime.h"

/* What compiled code sees of a call from C (register r14 points at it). */
struct jit_ctx {
	uintptr_t unwind_sp; /* the trampoline's stack pointer, for traps */
	uintptr_t sp_limit;  /* a call that would go below traps */
	struct wbpf_store *st;
	struct wbpf_error *err;
	int rc;		     /* set when a trap is already described in err */
};

/* A trap code compiled code returns when err is already filled (a trap
 * in an interpreted or host callee). */
#define JIT_PROPAGATE 0x100

/* Compiled code and the interpreter calls it makes recurse on the
 * thread's stack: calls trap once less than this is left of it, whatever
 * the call depth limit (host functions run in what is left). Where the
 * thread's stack cannot be known, JIT_STACK_UNKNOWN below the first
 * entry is used. */
#define JIT_STACK_RESERVE (256u << 10)
#define JIT_STACK_UNKNOWN (1u << 20)
#define JIT_STACK_MAX (64u << 20)

/* An instruction compiled code hands to the interpreter: a copy of its
 * cells followed by `ret`, run as a function of its own (see
 * wasm_jit_interp_one). */
struct jit_site {
	struct wasm_compiled code;
	uint32_t self; /* the function it belongs to */
	struct jit_site *next;
	wasm_cell cells[];
};

/* A module's machine code, shared by all its instances. */
struct jit_module {
	void *mem;
	size_t size;
	struct jit_site *sites;
	uint32_t ncompiled;
};

/* jit.c: compiles every function the tier supports (the others stay
 * interpreted); fills mod->jit and each compiled function's `native`. */
int wasm_jit_compile_module(struct wbpf_module *mod, struct wbpf_error *err);
void wasm_jit_free(struct jit_module *jm);
bool wasm_jit_available(void);

/* jit_rt.c: runs compiled fn with its frame at fp, as wasm_interp_run
 * does (charge: take the entry's unit of fuel, as the interpreter's
 * entry does). */
int wasm_jit_run(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp, bool charge,
		 struct wbpf_error *err);

/* Called from compiled code. */
int wasm_jit_interp_one(struct jit_ctx *ctx, struct wbpf_instance *inst, slot_t *fp,
			const struct jit_site *site);
void wasm_jit_exit(void); /* the trampoline's return path, jumped to */

/* Numeric operations compiled code calls rather than inlines: operand
 * bits in, result bits out (and a trap code for the trapping ones). */
struct jit_pair {
	uint64_t v, trap;
};
typedef uint64_t (*jit_un_fn)(uint64_t a);
typedef uint64_t (*jit_bin_fn)(uint64_t a, uint64_t b);
typedef struct jit_pair (*jit_trap_fn)(uint64_t a);
const void *wasm_jit_numeric_fn(enum wasm_op op);

#endif
