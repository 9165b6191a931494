// SPDX-License-Identifier: MIT
/*
 * What compiled code runs on: the trampoline between C and compiled code,
 * traps unwound to it, and the operations compiled code calls rather than
 * inlines (see jit.c for the register conventions).
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>

#include "wasm/jit.h"
#include "wasm/numeric.h"

/* Compiled calls made below the entry's frame to the one at sp. A
 * series' frames are 16 bytes below the trampoline's (less than a frame):
 * the quotient is the same. */
static uint32_t calls_to(const struct jit_ctx *c, uintptr_t sp)
{
	return (uint32_t)((c->frame0 - sp) / JIT_FRAME);
}

/* The function whose code a call returns to at ret, of the entry's
 * instance (compiled calls never leave it). The call is before ret, which
 * may be the next function's start when the call ends the code. */
static struct wbpf_func *func_at(const struct jit_ctx *c, uintptr_t ret)
{
	struct wbpf_instance *inst = c->fn->inst;
	const struct jit_module *jm = inst->mod->jit;
	uintptr_t at = ret - 1 - (uintptr_t)jm->mem;
	uint32_t lo = 0, hi = jm->ncompiled;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (jm->starts[mid].at <= at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? inst->funcs[inst->mod->nimported_funcs + jm->starts[lo - 1].defined] : c->fn;
}

/* The store's depth and running function: those of the frame c left. */
static void left_at(struct wbpf_store *st, struct jit_ctx *c)
{
	st->depth = c->depth + calls_to(c, c->exit_sp);
	st->running = func_at(c, c->exit_pc);
}

void wasm_jit_frames(struct wbpf_store *st)
{
	for (const struct jit_ctx *c = st->jit_ctx; c; c = c->outer) {
		const uintptr_t *f = (const uintptr_t *)c->exit_sp;

		if (!f)
			continue;
		/* Each frame's return address is in its caller's code. */
		for (uint32_t d = c->depth + calls_to(c, c->exit_sp); d-- > c->depth;
		     f += JIT_FRAME / sizeof(*f))
			if (d < st->max_depth)
				st->frames[d].fn = func_at(c, f[JIT_FRAME / sizeof(*f) - 1]);
	}
}

void wasm_jit_fault(struct wbpf_store *st, uintptr_t sp, uintptr_t pc)
{
	struct jit_ctx *c = st->jit_ctx;

	if (c && st->jit_in_code) {
		c->exit_sp = sp;
		c->exit_pc = pc + 1; /* as if returned to after the access */
		left_at(st, c);
	}
	wasm_jit_frames(st);
}

#if defined(__x86_64__)

#define JIT_STR_(x) #x
#define JIT_STR(x) JIT_STR_(x)

/*
 * wasm_jit_trampoline(ctx, fp, entry, inst, mem, store): saves the
 * callee-saved registers, records where a trap unwinds to, sets the call
 * floor (struct jit_ctx) from the entry function's frame, loads the
 * registers compiled code keeps its state in (rbx store, r12 frame, r13
 * memory base, r14 the fuel budget, r15 instance) and calls entry.
 * Returns 0, or the trap code compiled code left in eax when it jumped
 * to wasm_jit_exit with the stack pointer reset to ctx->unwind_sp;
 * either way the budget left is back in ctx->budget.
 */
int wasm_jit_trampoline(struct jit_ctx *ctx, slot_t *fp, const void *entry,
			struct wbpf_instance *inst, uint8_t *mem, struct wbpf_store *st);
#define CTX_AT(field, off)                                                     \
	_Static_assert(offsetof(struct jit_ctx, field) == off, "the trampoline uses " #field)
CTX_AT(unwind_sp, 0);
CTX_AT(budget, 8);
CTX_AT(frame0, 16);
CTX_AT(room, 24);
CTX_AT(sp_floor, 32);
CTX_AT(floor_at, 40);
CTX_AT(call_floor, 48);
__asm__(".text\n"
	".globl wasm_jit_trampoline\n"
	".type wasm_jit_trampoline, @function\n"
	"wasm_jit_trampoline:\n"
	"	push %rbp\n"
	"	push %rbx\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	sub $8, %rsp\n"
	"	mov %rsp, (%rdi)\n"
	/* The entry function's frame, below the return address of the
	 * call; the call floor: room below it, not under the stack's. */
	"	lea -" JIT_STR(JIT_FRAME) "(%rsp), %rax\n"
	"	mov %rax, 16(%rdi)\n"
	"	sub 24(%rdi), %rax\n"
	"	cmp 32(%rdi), %rax\n"
	"	cmovb 32(%rdi), %rax\n"
	"	mov %rax, 48(%rdi)\n"
	"	mov 40(%rdi), %r10\n"
	"	mov %rax, (%r10)\n"
	"	mov %rdi, (%rsp)\n"
	"	mov 8(%rdi), %r14\n"
	"	mov %rsi, %r12\n"
	"	mov %rcx, %r15\n"
	"	mov %r8, %r13\n"
	"	mov %r9, %rbx\n"
	"	call *%rdx\n"
	"	xor %eax, %eax\n"
	".globl wasm_jit_exit\n"
	"wasm_jit_exit:\n"
	"	mov (%rsp), %rdi\n"
	"	mov %r14, 8(%rdi)\n"
	"	add $8, %rsp\n"
	"	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbx\n"
	"	pop %rbp\n"
	"	ret\n"
	".size wasm_jit_trampoline, .-wasm_jit_trampoline\n");

/* The lowest stack address compiled code may reach on this thread, found
 * once per store and thread (pthread_getattr_np may read /proc). */
static uintptr_t stack_floor(struct wbpf_store *st, uintptr_t sp)
{
	pthread_t self = pthread_self();
	pthread_attr_t attr;
	void *lo;
	size_t size;

	if (st->jit_sp_limit && pthread_equal(st->jit_thread, self))
		return st->jit_sp_limit;
	st->jit_sp_limit = sp - JIT_STACK_UNKNOWN;
	st->jit_thread = self;
	if (pthread_getattr_np(self, &attr))
		return st->jit_sp_limit;
	/* Only a stack sp is on (not a fiber's or a signal stack), and not
	 * an unlimited one. */
	if (!pthread_attr_getstack(&attr, &lo, &size) && sp > (uintptr_t)lo &&
	    sp - (uintptr_t)lo <= size && sp - (uintptr_t)lo > JIT_STACK_RESERVE) {
		uintptr_t floor = (uintptr_t)lo + JIT_STACK_RESERVE;

		st->jit_sp_limit = sp - floor > JIT_STACK_MAX ? sp - JIT_STACK_MAX : floor;
	}
	pthread_attr_destroy(&attr);
	return st->jit_sp_limit;
}

/* Runs entry (fn's code, or the series loop) on fn's registers from C. */
static int jit_enter(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp, bool charge,
		     const void *entry, struct jit_ctx *ctx)
{
	const uint32_t entry_depth = st->depth;
	struct jit_ctx *outer = st->jit_ctx;
	const uintptr_t outer_floor = st->jit_call_floor;
	bool outer_in_code = st->jit_in_code;
	uintptr_t sp, floor;
	int trap;

	/* The real stack pointer: a sanitizer's frame may live elsewhere. */
	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	st->running = fn;
	floor = stack_floor(st, sp);
	ctx->outer = outer;
	ctx->fn = fn;
	ctx->depth = entry_depth;
	ctx->sp_floor = floor;
	ctx->floor_at = &st->jit_call_floor;
	/* -1 (no call at all) when the depth is at the limit already; never
	 * further down than the stack's floor. */
	ctx->room = (int64_t)(st->max_depth - entry_depth) * JIT_FRAME - 1;
	if (sp > floor && ctx->room > (int64_t)(sp - floor))
		ctx->room = (int64_t)(sp - floor);
	if (sp < floor) {
		trap = WBPF_TRAP_STACK_EXHAUSTED;
	} else if (charge && --st->budget < 0 && (trap = wasm_interp_refuel(st))) {
		;
	} else {
		ctx->budget = st->budget;
		st->jit_ctx = ctx;
		st->jit_in_code = true;
		trap = wasm_jit_trampoline(ctx, fp, entry, fn->inst,
					   fn->inst->mem ? fn->inst->mem->data : NULL, st);
		if (trap && trap != JIT_PROPAGATE) {
			/* The trap path filled the frame records: the stack
			 * they were read from is C's now. The trap is
			 * described below, at the depth it happened. */
			left_at(st, ctx);
			ctx->exit_sp = 0;
		}
		st->jit_ctx = outer;
		st->jit_call_floor = outer_floor;
		st->jit_in_code = outer_in_code;
		st->budget = ctx->budget;
	}
	if (trap && trap != JIT_PROPAGATE) {
		wasm_interp_trap(st, (enum wbpf_trap)trap, ctx->err);
		ctx->rc = -EFAULT;
	}
	st->depth = entry_depth;
	return trap ? ctx->rc : 0;
}

int wasm_jit_run(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp, bool charge,
		 struct wbpf_error *err)
{
	struct jit_ctx ctx = { .st = st, .err = err };

	return jit_enter(st, fn, fp, charge, wasm_jit_native(fn->code), &ctx);
}

/*
 * A series (wbpf_func__call_each) enters compiled code once: the
 * trampoline calls the series loop, which steps between two calls (as
 * host code: next() writing the arguments over the last call's results in
 * the frame, the call's unit of fuel as wasm_jit_run charges it) and calls
 * the function (whose entry zeroes its locals), until next() ends the series or the
 * charge traps. The loop keeps the trampoline's registers (C preserves
 * them) and the budget in r14, so each call costs next() and the
 * function's own call; only a refuel goes through C.
 */
struct jit_series {
	struct jit_ctx ctx;
	int (*refuel)(struct jit_series *s); /* 0, or the trap that stops */
	const void *entry;
	int (*next)(void *ctx, uint64_t *slots);
	void *next_ctx;
	slot_t *fp;
	int64_t *budget; /* the store's: next() may enter the store again */
	bool *in_code;	 /* the store's jit_in_code */
	bool *in_guest;	 /* host_entry's landing's: paused around next() */
	int rc;		 /* next()'s value that ended the series */
	int trap;	 /* the charge's trap */
};
#define SERIES_AT(field, off)                                                  \
	_Static_assert(offsetof(struct jit_series, field) == off, "the series loop reads " #field)
SERIES_AT(ctx, 0);
SERIES_AT(refuel, 120);
SERIES_AT(entry, 128);
SERIES_AT(next, 136);
SERIES_AT(next_ctx, 144);
SERIES_AT(fp, 152);
SERIES_AT(budget, 160);
SERIES_AT(in_code, 168);
SERIES_AT(in_guest, 176);
SERIES_AT(rc, 184);

/* The series (the trampoline's ctx, above the return address) is kept at
 * (%rsp). */
void wasm_jit_series_loop(void);
__asm__(".text\n"
	".globl wasm_jit_series_loop\n"
	".type wasm_jit_series_loop, @function\n"
	"wasm_jit_series_loop:\n"
	"	push 8(%rsp)\n"
	/* Host code from here: the store sees the running budget. */
	"1:	mov (%rsp), %rcx\n"
	"	mov 160(%rcx), %rax\n"
	"	mov %r14, (%rax)\n"
	"	mov 168(%rcx), %rax\n"
	"	movb $0, (%rax)\n"
	"	mov 176(%rcx), %rax\n"
	"	movb $0, (%rax)\n"
	"	mov 144(%rcx), %rdi\n"
	"	mov 152(%rcx), %rsi\n"
	"	call *136(%rcx)\n"
	"	mov (%rsp), %rdi\n"
	"	mov 176(%rdi), %rcx\n"
	"	movb $1, (%rcx)\n"
	"	mov 160(%rdi), %rcx\n"
	"	mov (%rcx), %r14\n"
	"	mov %eax, 184(%rdi)\n"
	"	test %eax, %eax\n"
	"	jle 4f\n"
	"	sub $1, %r14\n"
	"	js 5f\n"
	"6:	mov 168(%rdi), %rcx\n"
	"	movb $1, (%rcx)\n"
	"	call *128(%rdi)\n"
	"	jmp 1b\n"
	/* The budget ran out: refuel (the store's reserve, interrupts). */
	"5:	mov %r14, 8(%rdi)\n"
	"	call *120(%rdi)\n"
	"	mov (%rsp), %rdi\n"
	"	mov 8(%rdi), %r14\n"
	"	test %eax, %eax\n"
	"	jz 6b\n"
	"4:	mov 168(%rdi), %rcx\n"
	"	movb $1, (%rcx)\n"
	"	add $8, %rsp\n"
	"	ret\n"
	".size wasm_jit_series_loop, .-wasm_jit_series_loop\n");

static int series_refuel(struct jit_series *s)
{
	struct wbpf_store *st = s->ctx.st;

	st->budget = s->ctx.budget;
	s->trap = wasm_interp_refuel(st);
	s->ctx.budget = st->budget;
	return s->trap;
}

int wasm_jit_run_each(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp,
		      const struct wasm_each *each, struct wbpf_error *err)
{
	struct jit_series s = {
		.ctx = { .st = st, .err = err }, .refuel = series_refuel,
		.entry = wasm_jit_native(fn->code), .next = each->next, .next_ctx = each->ctx,
		.fp = fp,
		.budget = &st->budget, .in_code = &st->jit_in_code,
		.in_guest = &wasm_guard_current()->in_guest,
	};
	int rc = jit_enter(st, fn, fp, false, (const void *)wasm_jit_series_loop, &s.ctx);

	if (rc || !s.trap)
		return rc ? rc : s.rc;
	wasm_interp_trap(st, (enum wbpf_trap)s.trap, err);
	return -EFAULT;
}

void wasm_jit_landed(struct wbpf_store *st, const struct wasm_landing *l)
{
	/* jit_in_code is set only while compiled code itself runs (not the
	 * interpreter or C it hands work to), so r14 at the fault was the
	 * budget then. */
	if (st->jit_in_code)
		st->budget = l->fault_r14;
	st->jit_ctx = l->jit_ctx;
	if (l->jit_ctx)
		st->jit_call_floor = l->jit_ctx->call_floor;
	st->jit_in_code = l->jit_in_code;
}

bool wasm_jit_available(void)
{
	return true;
}

#else

int wasm_jit_run(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp, bool charge,
		 struct wbpf_error *err)
{
	(void)st, (void)fn, (void)fp, (void)charge;
	return wasm_fail(err, WBPF_ERR_ARG, "the compiling tier needs x86-64");
}

int wasm_jit_run_each(struct wbpf_store *st, struct wbpf_func *fn, slot_t *fp,
		      const struct wasm_each *each, struct wbpf_error *err)
{
	(void)st, (void)fn, (void)fp, (void)each;
	return wasm_fail(err, WBPF_ERR_ARG, "the compiling tier needs x86-64");
}

void wasm_jit_landed(struct wbpf_store *st, const struct wasm_landing *l)
{
	(void)st, (void)l;
}

bool wasm_jit_available(void)
{
	return false;
}

void wasm_jit_exit(void)
{
}

#endif

/* The instruction runs as a function of its own: the copy of its cells
 * ends with `ret`, and its frame is the caller's. Any call it makes is
 * the interpreter's, host or wasm alike, with every check that implies.
 * Compiled code left from its frame at sp: the interpreter sees the
 * store's depth there, and the frame records are filled if it describes
 * a trap (wasm_jit_frames). */
int wasm_jit_interp_one(struct jit_ctx *ctx, struct wbpf_instance *inst, slot_t *fp,
			const struct jit_site *site, uintptr_t sp)
{
	struct wbpf_store *st = ctx->st;
	struct wbpf_func *self = inst->funcs[site->self], as_site = *self;
	int rc;

	as_site.code = &site->code;
	ctx->exit_sp = sp;
	ctx->exit_pc = ((const uintptr_t *)sp)[-1]; /* the return address */
	st->depth = ctx->depth + calls_to(ctx, sp);
	st->budget++; /* the interpreter's entry charges one unit: not an extra call */
	st->jit_in_code = false; /* r14 is the interpreter's now (wasm_jit_landed) */
	rc = wasm_interp_run(st, &as_site, fp, ctx->err);
	st->jit_in_code = true;
	st->depth = ctx->depth;
	ctx->exit_sp = 0;
	if (!rc)
		return 0;
	ctx->rc = rc;
	return JIT_PROPAGATE;
}

/* ------------------------------------------------------------ numeric */
#define CT_I32 uint32_t
#define CT_I64 uint64_t
#define CT_F32 float
#define CT_F64 double
#define FROM_I32(v) ((uint32_t)(v))
#define FROM_I64(v) ((uint64_t)(v))
#define FROM_F32(v) f32_from((uint32_t)(v))
#define FROM_F64(v) f64_from(v)
#define TO_I32(v) ((uint64_t)(uint32_t)(v))
#define TO_I64(v) ((uint64_t)(v))
#define TO_F32(v) ((uint64_t)f32_bits(v))
#define TO_F64(v) f64_bits(v)

#define JN_UN(name, opc, TR, TA, expr) \
	static uint64_t jn_##name(uint64_t x) { CT_##TA a = FROM_##TA(x); return TO_##TR(expr); }
#define JN_BIN(name, opc, TR, TA, expr) \
	static uint64_t jn_##name(uint64_t x, uint64_t y) \
	{ \
		CT_##TA a = FROM_##TA(x), b = FROM_##TA(y); \
		return TO_##TR(expr); \
	}
#define JN_UN_TRAP(name, opc, TR, TA, check, expr) \
	static struct jit_pair jn_##name(uint64_t x) \
	{ \
		CT_##TA a = FROM_##TA(x); \
		int t_ = (check); \
		return t_ ? (struct jit_pair){ 0, (uint64_t)t_ } : (struct jit_pair){ TO_##TR(expr), 0 }; \
	}
WASM_UNOPS(JN_UN)
WASM_BINOPS(JN_BIN)
WASM_UNOPS_TRAP(JN_UN_TRAP)

const void *wasm_jit_numeric_fn(enum wasm_op op)
{
#define JN_ENTRY(name, ...) [OP_##name] = (const void *)jn_##name,
	static const void *const fns[OP_COUNT] = {
		WASM_UNOPS(JN_ENTRY)
		WASM_BINOPS(JN_ENTRY)
		WASM_UNOPS_TRAP(JN_ENTRY)
	};
#undef JN_ENTRY
	return (unsigned)op < OP_COUNT ? fns[op] : NULL;
}
