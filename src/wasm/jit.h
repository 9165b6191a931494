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

/*
 * One entry from C into compiled code (the store's jit_ctx while it
 * runs). Compiled code keeps the store's fuel budget in r14: `budget` is
 * where it goes in and comes out.
 *
 * Calls between compiled functions keep no records: every compiled
 * function's native frame is JIT_FRAME bytes (its return address
 * included), so a frame's call depth is the entry's plus its distance
 * from the entry's frame in frames, and the function running in it is
 * the one its callee's return address points into. The entry computes
 * the lowest stack pointer a call may be made from (`call_floor`: the
 * call depth limit and the native stack's floor in one), and the store's
 * call depth and frame records are written only where C looks at them:
 * when compiled code leaves for the interpreter (`exit_sp` set meanwhile)
 * and when it traps (wasm_jit_frames).
 */
struct jit_ctx {
	uintptr_t unwind_sp; /* the trampoline's stack pointer, for traps */
	int64_t budget;
	uintptr_t frame0;    /* the entry function's frame (the trampoline's) */
	int64_t room;	     /* frame0 - room: the call floor for the depth limit */
	uintptr_t sp_floor;  /* the native stack's floor */
	uintptr_t *floor_at; /* the store's jit_call_floor */
	uintptr_t call_floor;
	uintptr_t exit_sp;   /* the frame that left for C (0: none), and */
	uintptr_t exit_pc;   /* a return address into its function's code */
	struct jit_ctx *outer;
	struct wbpf_func *fn; /* the entry function */
	uint32_t depth;	      /* the store's call depth at entry */
	struct wbpf_store *st;
	struct wbpf_error *err;
	int rc;		     /* set when a trap is already described in err */
};

/* The native frame of every compiled function, its return address
 * included (jit.c). */
#define JIT_FRAME 32

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

/*
 * Generated code is position-independent but for the absolute addresses
 * it loads (runtime helpers, the interpreter sites above): each is
 * emitted as an 8-byte immediate and recorded as a relocation naming
 * what it refers to, and filled in when the code is installed, so the
 * same bytes can be stored in the code cache and loaded by another
 * process. Calls between compiled functions are relative.
 */
enum jit_reloc_kind {
	JIT_RELOC_HELPER,  /* a: enum jit_helper */
	JIT_RELOC_NUMERIC, /* a: the enum wasm_op of wasm_jit_numeric_fn */
	JIT_RELOC_SITE,	   /* a: defined function, b: cell of the instruction */
	JIT_RELOC_KINDS,
};

enum jit_helper {
	JIT_HELPER_EXIT,       /* wasm_jit_exit */
	JIT_HELPER_INTERP_ONE, /* wasm_jit_interp_one */
	JIT_HELPER_REFUEL,     /* wasm_interp_refuel */
	JIT_HELPER_FRAMES,     /* wasm_jit_frames */
	JIT_HELPERS,
};

struct jit_reloc {
	uint32_t at;   /* offset of the 8-byte immediate in the code */
	uint32_t kind; /* enum jit_reloc_kind */
	uint32_t a, b;
};

#define JIT_NOT_COMPILED UINT32_MAX

/* A module's code before it is installed: what the code cache stores. */
struct jit_image {
	uint8_t *code;
	size_t len;
	uint32_t *entry;	  /* per defined function: offset, or JIT_NOT_COMPILED */
	uint32_t ndefined;
	struct jit_reloc *relocs;
	uint32_t nrelocs;
};

/* Where a compiled function's code starts. */
struct jit_start {
	uint32_t at, defined;
};

/* A module's machine code, shared by all its instances. */
struct jit_module {
	void *mem;
	size_t size;
	struct jit_site *sites;
	uint32_t ncompiled;
	struct jit_start *starts; /* the compiled functions by code address */
	bool from_cache; /* loaded from the code cache, not compiled */
};

struct jit_opts {
	const char *cache_dir;	    /* the code cache, or NULL */
	uint64_t cache_max;	    /* its size cap in bytes (wasm_jit_cache_max) */
	bool cache_only;	    /* -ENOENT rather than compile on a miss */
	const atomic_bool *cancel;  /* stop compiling (-ECANCELED) once set */
	const atomic_int *interrupt; /* the loading store's: stop with its trap */
	bool fork_points;	    /* a background compile: forks wait for a function's end */
};

/* jit.c: compiles every function the tier supports (the others stay
 * interpreted), or loads that code from the code cache and stores it
 * there after compiling; publishes mod->jit and each compiled function's
 * `native` (atomically: the interpreter may be running the module). */
int wasm_jit_compile_module(struct wbpf_module *mod, const struct jit_opts *o,
			    struct wbpf_error *err);

/* jit_auto.c: the `auto` engine. Code from the cache now, else compiled
 * by a background thread while the module starts interpreted. */
int wasm_jit_auto(struct wbpf_module *mod, const struct jit_opts *o, struct wbpf_error *err);
/* Between two functions of a background compile: lets a waiting fork in. */
void wasm_jit_fork_point(void);
/* Stops (and waits for) the background compile of a module being freed. */
void wasm_jit_auto_stop(struct wbpf_module *mod);

/* A function's machine code, once published (NULL until then). */
static inline const void *wasm_jit_native(const struct wasm_compiled *code)
{
	return __atomic_load_n(&code->native, __ATOMIC_ACQUIRE);
}
void wasm_jit_free(struct jit_module *jm);
bool wasm_jit_available(void);

/* jit_rt.c: runs compiled fn with its frame at fp, as wasm_interp_run
 * does (charge: take the entry's unit of fuel, as the interpreter's
 * entry does). */
int wasm_jit_run(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp, bool charge,
		 struct wbpf_error *err);

/* jit_rt.c: a series (wasm_interp_call_each) of calls to compiled fn,
 * entering compiled code once; returns as the interpreter's series does. */
int wasm_jit_run_each(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp,
		      const struct wasm_each *each, struct wbpf_error *err);

/* Fills the store's frame records of the compiled calls of every entry
 * into compiled code that has left for C (see struct jit_ctx), for a
 * backtrace: interp.c calls it before describing a trap, the trap path
 * of compiled code before it unwinds their stack. */
void wasm_jit_frames(struct wbpf_store *st);

/* A guard-region fault at sp, pc: while compiled code itself ran, its
 * frame is where it left (the store's depth and running function set
 * from it); every entry's frame records are filled now, before the
 * unwind reuses their stack (guard.c, in the signal handler). */
void wasm_jit_fault(struct wbpf_store *st, uintptr_t sp, uintptr_t pc);

/* A guard-region fault unwound (siglongjmp) to landing l past any
 * compiled code running: the budget it kept in r14 goes back to the
 * store, which no longer has a compiled entry running. */
void wasm_jit_landed(struct wbpf_store *st, const struct wasm_landing *l);

/* Called from compiled code. */
int wasm_jit_interp_one(struct jit_ctx *ctx, struct wbpf_instance *inst, slot_t *fp,
			const struct jit_site *site, uintptr_t sp);
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
