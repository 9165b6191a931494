// SPDX-License-Identifier: MIT
/*
 * The compiling tier: a single pass over each function's threaded code
 * (compile.c's output, already validated, operands already assigned to
 * frame slots) emits x86-64 for it. The most-used slots (locals and
 * operand-stack slots alike) live in registers, the other values in
 * their slots as in the interpreter; what goes is the dispatch, the
 * operand decoding and the C-level
 * bookkeeping, and branches compare and jump directly.
 *
 * Registers while compiled code runs: rbx the store, r12 the frame (slot
 * 0), r13 the memory base, r14 the store's fuel budget, r15 the instance
 * (all callee-saved, so C helpers keep them). The budget goes back to
 * the store before anything that may read or charge it (the interpreter,
 * refuelling) and is read again after; the entry's jit_ctx is the
 * store's. rax, rcx, rdx, xmm0 and
 * xmm1 are scratch; rbp, rsi, rdi, r8-r11 and xmm2-xmm15 hold locals
 * (see "local registers").
 * A function is entered with `call` (rsp 8 below 16-byte alignment), and
 * keeps rsp aligned for the helpers it calls.
 *
 * Calls to functions of the same module that are compiled too are direct
 * `call`s, checked and charged as the interpreter's; they keep no frame
 * records: the call depth is the native stack's (struct jit_ctx), and the
 * records are written from it where C reads them, so traps and
 * backtraces read the same.
 * Everything the tier does not emit itself (other calls, tables, bulk
 * memory, references) runs in the interpreter one instruction at a time
 * (see wasm_jit_interp_one); a function with an instruction the tier
 * cannot handle at all (SIMD) stays interpreted.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "wasm/jit.h"
#include "wasm/jit_cache.h"
#include "wasm/jit_x86.h"

enum jform {
	J_NONE,	      /* not supported: the function stays interpreted */
	J_UN, J_UN_TRAP, J_BIN, J_BIN_IMM, J_BIN_TRAP, J_BIN_MEM, J_BIN_MEM_AI,
	J_BR_CMP, J_BR_CMP_IMM,
	J_LOAD, J_LOAD_AI, J_STORE, J_STORE_AI,
	J_CTL,	      /* emitted one by one */
	J_ONE,	      /* run by the interpreter */
};

struct jdesc {
	uint8_t form;
	uint8_t len;	  /* cells, for J_CTL and J_ONE (br_table: its minimum) */
	bool checked;	  /* loads and stores: explicit bounds check */
	bool fa;	  /* operand a is the previous instruction's result (in rax) */
	bool fb;	  /* ... operand b is */
	uint16_t base;	  /* the plain op of a fused form */
};

static const uint8_t form_len[] = {
	[J_UN] = 3, [J_UN_TRAP] = 3, [J_BIN] = 4, [J_BIN_IMM] = 4, [J_BIN_TRAP] = 4,
	[J_BIN_MEM] = 5, [J_BIN_MEM_AI] = 6, [J_BR_CMP] = 5, [J_BR_CMP_IMM] = 5,
	[J_LOAD] = 4, [J_LOAD_AI] = 5, [J_STORE] = 4, [J_STORE_AI] = 5,
};

#define D(op, f, b, ...) [op] = { .form = f, .base = b, __VA_ARGS__ },
#define D_UN(n, ...) D(OP_##n, J_UN, OP_##n) D(OP_##n##_fa, J_UN, OP_##n, .fa = true)
#define D_UN_TRAP(n, ...) D(OP_##n, J_UN_TRAP, OP_##n)
#define D_BIN(n, ...) \
	D(OP_##n, J_BIN, OP_##n) D(OP_##n##_fa, J_BIN, OP_##n, .fa = true) \
	D(OP_##n##_fb, J_BIN, OP_##n, .fb = true) D(OP_##n##_imm, J_BIN_IMM, OP_##n) \
	D(OP_##n##_imm_fa, J_BIN_IMM, OP_##n, .fa = true) \
	D(OP_##n##_mem, J_BIN_MEM, OP_##n) D(OP_##n##_mem_ai, J_BIN_MEM_AI, OP_##n)
#define D_BIN_TRAP(n, ...) D(OP_##n, J_BIN_TRAP, OP_##n)
#define D_BR(n, ...) \
	D(OP_br_if_##n, J_BR_CMP, OP_##n) D(OP_br_if_##n##_fa, J_BR_CMP, OP_##n, .fa = true) \
	D(OP_br_if_##n##_imm, J_BR_CMP_IMM, OP_##n) \
	D(OP_br_if_##n##_imm_fa, J_BR_CMP_IMM, OP_##n, .fa = true)
#define D_MEM(n, PLAIN, AI) \
	D(OP_##n, PLAIN, OP_##n, .checked = true) \
	D(OP_##n##_fa, PLAIN, OP_##n, .checked = true, .fa = true) \
	D(OP_##n##_ai, AI, OP_##n, .checked = true) D(OP_##n##_guarded, PLAIN, OP_##n) \
	D(OP_##n##_guarded_fa, PLAIN, OP_##n, .fa = true) D(OP_##n##_guarded_ai, AI, OP_##n)
#define D_LOAD(n, ...) D_MEM(n, J_LOAD, J_LOAD_AI)
#define D_STORE(n, ...) D_MEM(n, J_STORE, J_STORE_AI)
#define D_CTL(n, l) D(OP_##n, J_CTL, OP_##n, .len = l)
#define D_ONE(n, l) D(OP_##n, J_ONE, OP_##n, .len = l)

static const struct jdesc descs[OP_COUNT] = {
	WASM_UNOPS(D_UN)
	WASM_UNOPS_TRAP(D_UN_TRAP)
	WASM_BINOPS(D_BIN)
	WASM_BINOPS_TRAP(D_BIN_TRAP)
	WASM_CMPOPS(D_BR)
	WASM_LOADS(D_LOAD)
	WASM_STORES(D_STORE)
	D_CTL(unreachable, 1) D_CTL(br, 3) D_CTL(br_if, 4) D_CTL(br_unless, 4)
	D(OP_br_if_fa, J_CTL, OP_br_if_fa, .len = 4, .fa = true)
	D(OP_br_unless_fa, J_CTL, OP_br_unless_fa, .len = 4, .fa = true) D_CTL(br_table, 3) D_CTL(call, 3)
	D_CTL(ret, 1) D_CTL(copy, 3) D_CTL(copy2, 5) D_CTL(const64, 3) D_CTL(select, 5)
	D_CTL(global_get, 3) D_CTL(global_set, 3)
	D_CTL(call_indirect, 5) D_ONE(ref_is_null, 3) D_ONE(ref_func, 3)
	D_ONE(table_get, 4) D_ONE(table_set, 4) D_ONE(table_size, 3) D_ONE(table_grow, 5)
	D_ONE(table_fill, 5) D_ONE(table_copy, 6) D_ONE(table_init, 6) D_ONE(elem_drop, 2)
	D_ONE(memory_size, 2) D_ONE(memory_grow, 3) D_ONE(memory_fill, 4)
	D_ONE(memory_copy, 4) D_ONE(memory_init, 5) D_ONE(data_drop, 2)
};

/* Handler addresses back to ops, sorted for bsearch. */
struct handler_op {
	const void *addr;
	uint32_t op;
};

static int handler_cmp(const void *a, const void *b)
{
	const struct handler_op *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Out-of-line code a function's paths jump to, emitted after its body. */
enum stub_kind { STUB_TRAP, STUB_TRAP_RDX, STUB_REFUEL };

struct stub {
	size_t at;	    /* the rel32 jumping to the stub */
	uint8_t kind;
	uint8_t trap;	    /* STUB_TRAP */
	uint32_t cell;	    /* STUB_REFUEL: resume at this cell ... */
	size_t resume;	    /* ... or at this offset (cell == UINT32_MAX) */
};

struct fixup {
	size_t at;	/* a 32-bit field holding pos(cell) - base */
	size_t base;
	uint32_t cell;
};

struct call_fixup {
	size_t at;
	uint32_t func;
};

/* A slot in a register: a local for the whole function, or the shadow. */
struct jreg {
	uint64_t slot;
	int8_t reg;
	uint8_t kind;
};

struct jit {
	struct wbpf_module *mod;
	struct xbuf b;
	struct handler_op *ops;
	uint32_t nops;
	const uint8_t *compiled; /* per defined function: compiled by the tier */
	size_t *entry;		 /* per defined function: offset of its code */

	/* The function being compiled. */
	uint32_t self;
	const struct wasm_compiled *code;
	size_t *cell_pos;
	struct fixup *fix;
	size_t nfix, fix_cap;
	struct stub *stubs;
	size_t nstubs, stubs_cap;
	struct call_fixup *calls;
	size_t ncalls, calls_cap;
	struct jit_reloc *relocs;
	size_t nrelocs, relocs_cap;
	struct jreg *regs; /* the locals in registers */
	uint32_t nregs;
	bool next_takes_result; /* the next instruction is an _fa or _fb form */
	bool result_wanted;	/* ... or the first after the moves that follow */
	bool next_any_reg;	/* the next one takes an integer operand a from
				 * any register (fa_out), not only rax */
	int fa_out, fa_in;	/* where the result for the next instruction is,
				 * where this one's operand a is (rax unless so) */
	bool next_branches;	/* the next one is br_if_fa or br_unless_fa, or a
				 * select on the result (flags_for) */
	uint64_t flags_for;	/* ... the slot of that select's condition */
	int cc_out, cc_in;	/* a compare for it left only the flags: the
				 * condition they hold (-1: none) */
	size_t moves_end;	/* where the moves after the instruction end */
	struct jreg shadow;	/* the last float written to an operand-stack slot
				 * is in xmm15 (slot UINT64_MAX: none) ... */
	bool shadow_dirty;	/* ... and not yet in its slot */
	uint8_t *is_target;	/* per cell: a branch goes there */
	bool oom;
};

static bool jgrow(struct jit *j, void **p, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return true;
	size_t ncap = *cap ? 2 * *cap : 64;
	void *q = realloc(*p, ncap * elem);

	if (!q) {
		j->oom = true;
		return false;
	}
	*p = q;
	*cap = ncap;
	return true;
}

static int op_of(const struct jit *j, const void *addr)
{
	struct handler_op key = { addr, 0 };
	const struct handler_op *h = bsearch(&key, j->ops, j->nops, sizeof(*j->ops), handler_cmp);

	return h ? (int)h->op : -1;
}

/* Cells of the instruction at `ip`, or 0 if the tier cannot take it. */
static size_t instr_len(const struct jit *j, const wasm_cell *ip, int *op_out)
{
	int op = op_of(j, ip->op);

	*op_out = op;
	if (op < 0 || descs[op].form == J_NONE)
		return 0;
	if (op == OP_br_table)
		return 3 + ip[2].u64 + 1;
	if (descs[op].form == J_CTL || descs[op].form == J_ONE)
		return descs[op].len;
	return form_len[descs[op].form];
}

/* Whether the instruction at ip takes an operand from the previous
 * one's result register. */
static bool takes_result(const struct jit *j, const wasm_cell *ip)
{
	int op = op_of(j, ip->op);

	return op >= 0 && (descs[op].fa || descs[op].fb);
}

/* The first instruction at or after cell i that is not a move (compile.c
 * may put copies and constants between a result and its _fa/_fb taker). */
static size_t skip_moves(const struct jit *j, size_t i)
{
	int op;

	while (i < j->code->ncells && (op = op_of(j, j->code->code[i].op)) >= 0 &&
	       (op == OP_copy || op == OP_copy2 || op == OP_const64))
		i += descs[op].len;
	return i;
}

static bool supported(const struct jit *j, const struct wasm_compiled *code)
{
	int op;

	for (size_t i = 0; i < code->ncells;) {
		size_t n = instr_len(j, code->code + i, &op);

		if (!n)
			return false;
		i += n;
	}
	return true;
}

/* ------------------------------------------------------------ helpers */
#define B (&j->b)
#define OPND(k) (ip[k].u64)

static struct xmem S(uint64_t slot)
{
	return M(R12, (int32_t)(slot * sizeof(slot_t)));
}

static void add_fix(struct jit *j, size_t at, size_t base, uint64_t cell)
{
	if (jgrow(j, (void **)&j->fix, &j->fix_cap, j->nfix, sizeof(*j->fix)))
		j->fix[j->nfix++] = (struct fixup){ at, base, (uint32_t)cell };
}

static void add_stub(struct jit *j, struct stub s)
{
	if (jgrow(j, (void **)&j->stubs, &j->stubs_cap, j->nstubs, sizeof(*j->stubs)))
		j->stubs[j->nstubs++] = s;
}

static void jump_to_cell(struct jit *j, size_t at, const wasm_cell *target)
{
	add_fix(j, at, at + 4, (uint64_t)(target - j->code->code));
}

/* Every absolute address the code holds goes through here: an 8-byte
 * immediate filled in when the code is installed (see jit.h). */
static void emit_addr(struct jit *j, int reg, enum jit_reloc_kind kind, uint32_t a, uint32_t b)
{
	x_movabs(B, reg, 0);
	if (jgrow(j, (void **)&j->relocs, &j->relocs_cap, j->nrelocs, sizeof(*j->relocs)))
		j->relocs[j->nrelocs++] = (struct jit_reloc){ (uint32_t)(B->len - 8), kind, a, b };
}

static void call_addr(struct jit *j, enum jit_reloc_kind kind, uint32_t a)
{
	emit_addr(j, RAX, kind, a, 0);
	x_call_reg(B, RAX);
}

static void trap_if(struct jit *j, enum x86_cc cc, enum wbpf_trap trap)
{
	add_stub(j, (struct stub){ .at = x_jcc(B, cc), .kind = STUB_TRAP, .trap = (uint8_t)trap });
}

/* A call's `cost` units of fuel; refuels (or traps) out of line, then
 * goes on right here. */
static void charge(struct jit *j, uint64_t cost)
{
	x_alu_ri(B, true, ALU_SUB, R14, (int32_t)cost);
	size_t at = x_jcc(B, CC_S);

	add_stub(j, (struct stub){ .at = at, .kind = STUB_REFUEL, .cell = UINT32_MAX,
				   .resume = B->len });
}

/* A taken branch: back-edges charge their loop's cost first, and jump
 * while the budget lasts (else refuel out of line, then go on there). */
static void branch(struct jit *j, const wasm_cell *target, uint64_t cost)
{
	if (!cost) {
		jump_to_cell(j, x_jmp(B), target);
		return;
	}
	x_alu_ri(B, true, ALU_SUB, R14, (int32_t)cost);
	jump_to_cell(j, x_jcc(B, CC_NS), target);
	add_stub(j, (struct stub){ .at = x_jmp(B), .kind = STUB_REFUEL,
				   .cell = (uint32_t)(target - j->code->code) });
}

static void branch_if(struct jit *j, enum x86_cc cc, const wasm_cell *target, uint64_t cost)
{
	if (!cost) {
		jump_to_cell(j, x_jcc(B, cc), target);
		return;
	}
	size_t skip = x_jcc(B, (enum x86_cc)(cc ^ 1));

	branch(j, target, cost);
	x_link(B, skip, B->len);
}

/* ----------------------------------------------------- local registers */
/*
 * A function's most-used slots (weighted by loop depth) live in
 * registers for the whole function instead of their slots: integers in
 * the GPR pool, floats in xmm2-xmm14. Operand-stack slots compete with
 * the locals, each given the class of the values it holds (one, or no
 * register). Every instruction reads and
 * writes them there, so a value never needs moving at block boundaries;
 * only code that is not this function's reads slots, so they are written
 * back (spill) before calls, C helpers and interpreted instructions, and
 * read again after (around a direct call, only the slots that may be
 * live: not those above the arguments or results), and result slots are
 * written back before `ret`. All of these registers are free to clobber for callees (the caller
 * spills), so a function's register use costs only where it calls.
 */
static const int8_t gpr_pool[] = { RBP, RSI, RDI, R8, R9, R10, R11 };
#define XMM_FIRST 2
#define NXMM 13
#define SHADOW_XMM 15
#define XREG 16 /* register numbers >= XREG are xmm(reg - XREG) */
#define NGPR (sizeof(gpr_pool) / sizeof(gpr_pool[0]))

enum kind { K_NONE, K_INT, K_F32, K_F64 };

static const struct jreg *mapped(const struct jit *j, uint64_t slot)
{
	for (uint32_t i = 0; i < j->nregs; i++)
		if (j->regs[i].slot == slot)
			return &j->regs[i];
	return NULL;
}

/* Where a slot is read from: a local's register, the shadow, or NULL
 * for its memory. */
static const struct jreg *readable(const struct jit *j, uint64_t slot)
{
	return slot == j->shadow.slot ? &j->shadow : mapped(j, slot);
}

/* The register a slot is read from, or NO_REG. */
static int sreg(const struct jit *j, uint64_t slot)
{
	const struct jreg *m = readable(j, slot);

	return m ? m->reg : NO_REG;
}

/* The register a slot is written to (a local's), or NO_REG for its
 * memory; a write to the shadowed slot ends the shadow. */
static int wreg(struct jit *j, uint64_t slot)
{
	const struct jreg *m = mapped(j, slot);

	if (slot == j->shadow.slot)
		j->shadow.slot = UINT64_MAX;
	return m ? m->reg : NO_REG;
}

/* xmm15 is clobbered (C calls), or control may come from elsewhere
 * (after flush_shadow: the slot must hold the value). */
static void forget_shadow(struct jit *j)
{
	j->shadow.slot = UINT64_MAX;
}

static void store_x32(struct jit *j, uint64_t slot, int xmm);
static void sse_mem(struct jit *j, bool w, bool store, int xmm, struct xmem m);

/* The shadowed value into its slot, before anything that reads slots
 * from memory: code that is not this function's (calls, C helpers, the
 * interpreter), and branch targets, which forget the shadow. */
static void flush_shadow(struct jit *j)
{
	if (j->shadow.slot == UINT64_MAX || !j->shadow_dirty)
		return;
	if (j->shadow.kind == K_F32)
		store_x32(j, j->shadow.slot, SHADOW_XMM);
	else
		sse_mem(j, true, true, SHADOW_XMM, S(j->shadow.slot));
	j->shadow_dirty = false;
}

static bool is_gpr(int r) { return r >= 0 && r < XREG; }
static bool is_xmm(int r) { return r >= XREG; }

/* movaps xmm d, xmm s */
static void x_movaps(struct xbuf *b, int d, int s)
{
	if (d != s)
		x_rr(b, 0, false, OPC("\x0f\x28"), d, s);
}

/* reg = the slot's 64 bits (an f32 zero-extended, as in its slot). */
static void get64(struct jit *j, int reg, uint64_t slot)
{
	int r = sreg(j, slot);

	if (is_gpr(r) && r != reg)
		x_mov_rr(B, true, reg, r);
	else if (is_xmm(r) && readable(j, slot)->kind == K_F32)
		x_movd_from_xmm(B, reg, r - XREG);
	else if (is_xmm(r))
		x_movq_from_xmm(B, reg, r - XREG);
	else if (r == NO_REG)
		x_load64(B, reg, S(slot));
}

static void get32(struct jit *j, int reg, uint64_t slot)
{
	if (sreg(j, slot) == NO_REG)
		x_load32(B, reg, S(slot));
	else
		get64(j, reg, slot);
}

/* slot = reg's 64 bits */
static void set64(struct jit *j, uint64_t slot, int reg)
{
	int r = wreg(j, slot);

	if (is_gpr(r) && r != reg)
		x_mov_rr(B, true, r, reg);
	else if (is_xmm(r))
		x_movq_to_xmm(B, r - XREG, reg);
	else if (r == NO_REG)
		x_store64(B, S(slot), reg);
}

/* xmm = the slot's float (f64 if w) */
static void get_x(struct jit *j, bool w, int xmm, uint64_t slot)
{
	int r = sreg(j, slot);

	if (is_xmm(r))
		x_movaps(B, xmm, r - XREG);
	else if (is_gpr(r) && w)
		x_movq_to_xmm(B, xmm, r);
	else if (is_gpr(r))
		x_movd_to_xmm(B, xmm, r);
	else
		sse_mem(j, w, false, xmm, S(slot));
}

/* slot = xmm's float (f64 if w), zero-extended for f32 */
static void set_x(struct jit *j, bool w, uint64_t slot, int xmm)
{
	int r = wreg(j, slot);

	if (is_xmm(r)) {
		x_movaps(B, r - XREG, xmm);
	} else if (is_gpr(r) && w) {
		x_movq_from_xmm(B, r, xmm);
	} else if (is_gpr(r)) {
		x_movd_from_xmm(B, r, xmm);
	} else if (w) {
		x_rm(B, 0x66, false, OPC("\x0f\xd6"), xmm, S(slot)); /* movq [slot], xmm */
	} else {
		x_movd_from_xmm(B, RCX, xmm);
		x_store64(B, S(slot), RCX);
	}
}

/* slot d = slot s, bits as they are */
static void move_slot(struct jit *j, uint64_t d, uint64_t s)
{
	int rs = sreg(j, s), rd = wreg(j, d);

	if (is_xmm(rd) && is_xmm(rs)) {
		x_movaps(B, rd - XREG, rs - XREG);
	} else if (is_gpr(rd)) {
		get64(j, rd, s);
	} else if (is_gpr(rs)) {
		set64(j, d, rs);
	} else {
		get64(j, RDX, s);
		set64(j, d, RDX);
	}
}

/* op reg, slot for an instruction with a register-register form: the
 * slot's register if it has one of the right class (xmm for sse, where w
 * is the float's width, not REX.W), else its memory, or a scratch copy
 * (rdx, xmm1) when it is in the other class. */
static void op_slot(struct jit *j, uint8_t prefix, bool w, const char *op, int nop, int reg,
		    uint64_t slot, bool sse)
{
	int r = sreg(j, slot);

	if (r == NO_REG) {
		x_rm(B, prefix, w && !sse, op, nop, reg, S(slot));
		return;
	}
	if (sse && is_gpr(r)) {
		get_x(j, w, 1, slot);
		r = XREG + 1;
	} else if (!sse && is_xmm(r)) {
		get64(j, RDX, slot);
		r = RDX;
	}
	x_rr(B, prefix, w && !sse, op, nop, reg, sse ? r - XREG : r);
}

/* [slot] = the low 32 bits of xmm, zero-extended (no scratch register:
 * spills happen where rcx may hold an operand). */
static void store_x32(struct jit *j, uint64_t slot, int xmm)
{
	struct xmem hi = S(slot);

	sse_mem(j, false, true, xmm, S(slot));
	hi.disp += 4;
	x_rm(B, 0, false, OPC("\xc7"), 0, hi); /* mov dword [slot + 4], 0 */
	x_u32(B, 0);
}

/* Writes a register's slot back, as `type` (the local's, or the result's
 * that `ret` leaves there). */
static void spill_one(struct jit *j, const struct jreg *m, enum kind type)
{
	if (is_gpr(m->reg))
		x_store64(B, S(m->slot), m->reg);
	else if (type == K_F32)
		store_x32(j, m->slot, m->reg - XREG);
	else
		x_rm(B, 0x66, false, OPC("\x0f\xd6"), m->reg - XREG, S(m->slot)); /* movq [slot], xmm */
}

/* Before code that reads or writes slots, or clobbers the registers. */
static void spill_all(struct jit *j)
{
	for (uint32_t i = 0; i < j->nregs; i++)
		spill_one(j, &j->regs[i], j->regs[i].kind);
}

/* Whether a register's slot is above the operand stack's top (`top`, the
 * first slot past it): its value is dead there. */
static bool above_stack(const struct jit *j, const struct jreg *m, uint64_t top)
{
	return m->slot >= (uint64_t)j->code->nparams + j->code->nlocals && m->slot >= top;
}

static void reload_one(struct jit *j, const struct jreg *m)
{
	if (is_gpr(m->reg))
		x_load64(B, m->reg, S(m->slot));
	else
		sse_mem(j, m->kind == K_F64, false, m->reg - XREG, S(m->slot));
}

/* ... and after it. */
static void reload_all(struct jit *j)
{
	for (uint32_t i = 0; i < j->nregs; i++)
		reload_one(j, &j->regs[i]);
}

/* Around a direct call with its frame at `base`: the operand-stack slots
 * above the arguments before it, and above the results after it, hold
 * nothing live. */
static void spill_below(struct jit *j, uint64_t top)
{
	for (uint32_t i = 0; i < j->nregs; i++)
		if (!above_stack(j, &j->regs[i], top))
			spill_one(j, &j->regs[i], j->regs[i].kind);
}

static void reload_below(struct jit *j, uint64_t top)
{
	for (uint32_t i = 0; i < j->nregs; i++)
		if (!above_stack(j, &j->regs[i], top))
			reload_one(j, &j->regs[i]);
}

static enum kind kind_of_type(int t)
{
	switch (t) {
	case WBPF_I32: case WBPF_I64: return K_INT;
	case WBPF_F32: return K_F32;
	case WBPF_F64: return K_F64;
	default: return K_NONE;
	}
}

/* Result slots back from their registers, each as its result's type. */
static void spill_results(struct jit *j)
{
	const struct wasm_functype *ft = j->mod->types + j->mod->func_types[j->self];
	const uint8_t *rt = wasm_results(ft);
	uint64_t slot = 0;

	for (uint32_t i = 0; i < ft->nresults; i++) {
		const struct jreg *m = mapped(j, slot);
		enum kind k = kind_of_type(rt[i]);

		if (m)
			spill_one(j, m, k == K_F32 ? K_F32 : K_F64);
		slot += wasm_type_slots(rt[i]);
	}
}

/* The cells of an instruction that name slots; returns how many. */
static int slot_cells(int op, uint8_t out[4])
{
	const struct jdesc *d = &descs[op];
	int n = 0;

	switch (d->form) {
	case J_UN: case J_UN_TRAP:
		out[n++] = 1;
		if (!d->fa)
			out[n++] = 2;
		return n;
	case J_BIN: case J_BIN_IMM: case J_BIN_TRAP:
		out[n++] = 1;
		if (!d->fa)
			out[n++] = 2;
		if (d->form != J_BIN_IMM && !d->fb)
			out[n++] = 3;
		return n;
	case J_BIN_MEM: case J_BIN_MEM_AI:
		out[n++] = 1;
		out[n++] = 2;
		out[n++] = d->form == J_BIN_MEM ? 4 : 5;
		return n;
	case J_BR_CMP: case J_BR_CMP_IMM:
		if (!d->fa)
			out[n++] = 1;
		if (d->form == J_BR_CMP)
			out[n++] = 2;
		return n;
	case J_LOAD: case J_LOAD_AI:
		out[n++] = 1;
		if (!d->fa)
			out[n++] = 2;
		return n;
	case J_STORE: case J_STORE_AI:
		out[n++] = 1;
		if (!d->fa)
			out[n++] = d->form == J_STORE ? 2 : 3;
		return n;
	default:
		break;
	}
	switch (op) {
	case OP_br_if: case OP_br_unless: case OP_br_table: case OP_const64: case OP_global_get:
		out[n++] = 1;
		return n;
	case OP_global_set:
		out[n++] = 2;
		return n;
	case OP_copy2:
		out[n++] = 3;
		out[n++] = 4;
		/* fall through */
	case OP_copy:
		out[n++] = 1;
		out[n++] = 2;
		return n;
	case OP_select:
		for (int k = 1; k <= 4; k++)
			out[n++] = (uint8_t)k;
		return n;
	default:
		return 0;
	}
}

static void op_types(int op, int *ta, int *tr);

/* The type of the value in the slot named by cell `c` of an instruction,
 * K_NONE where the instruction only moves bits (copies, select's values,
 * constants, globals). */
static enum kind cell_kind(int op, int c)
{
	const struct jdesc *d = &descs[op];
	int ta, tr;

	switch (d->form) {
	case J_UN: case J_UN_TRAP: case J_BIN: case J_BIN_IMM: case J_BIN_TRAP:
	case J_BIN_MEM: case J_BIN_MEM_AI:
		op_types(d->base, &ta, &tr);
		if (c == 1)
			return kind_of_type(tr);
		if (c == 2 && (d->form == J_BIN_MEM || d->form == J_BIN_MEM_AI))
			return K_INT;
		return kind_of_type(ta);
	case J_BR_CMP: case J_BR_CMP_IMM:
		op_types(d->base, &ta, &tr);
		return kind_of_type(ta);
	case J_LOAD: case J_LOAD_AI:
		if (c == 2)
			return K_INT;
		return d->base == OP_f32_load ? K_F32 : d->base == OP_f64_load ? K_F64 : K_INT;
	case J_STORE: case J_STORE_AI:
		if (c == 1)
			return K_INT;
		return d->base == OP_f32_store ? K_F32 : d->base == OP_f64_store ? K_F64 : K_INT;
	default:
		break;
	}
	if (op == OP_select)
		return c == 4 ? K_INT : K_NONE;
	return op == OP_br_if || op == OP_br_unless || op == OP_br_table ? K_INT : K_NONE;
}

/* The cell a branch instruction jumps to (the first, for br_table), or NULL. */
static const wasm_cell *branch_target(int op, const wasm_cell *ip)
{
	if (op == OP_br)
		return ip[1].target;
	if (op == OP_br_if || op == OP_br_unless || op == OP_br_if_fa || op == OP_br_unless_fa)
		return ip[2].target;
	if (descs[op].form == J_BR_CMP || descs[op].form == J_BR_CMP_IMM || op == OP_br_table)
		return ip[3].target;
	return NULL;
}

/* A local slot's kind, from the function's type and local runs. */
static enum kind slot_kind(const struct jit *j, uint32_t defined, uint64_t slot)
{
	const struct wasm_functype *ft = j->mod->types + j->mod->func_types[j->self];
	const struct wasm_code *body = &j->mod->codes[defined];
	uint64_t at = 0;
	uint32_t lo = 0, hi = body->nruns;

	for (uint32_t i = 0; i < ft->nparams; i++) {
		if (at == slot)
			return kind_of_type(ft->types[i]);
		at += wasm_type_slots(ft->types[i]);
	}
	if (slot < at)
		return K_NONE; /* a v128's second half */
	slot -= at;
	while (hi - lo > 1) { /* the last run starting at or below slot */
		uint32_t mid = lo + (hi - lo) / 2;

		if (body->runs[mid].slot <= slot)
			lo = mid;
		else
			hi = mid;
	}
	if (lo >= body->nruns || body->runs[lo].slot > slot)
		return K_NONE;
	return kind_of_type(body->runs[lo].type); /* v128 is K_NONE either way */
}

/* The declared locals that live in their slots start as zero: the
 * callee clears them, not its callers, so those it keeps in registers
 * cost nothing (the interpreter's and the embedder's calls into compiled
 * code clear them all before, as for an interpreted callee). A run of
 * slots is cleared 16 bytes a store; a long one by `rep stosq`, before
 * the registers are loaded (it takes rdi). */
static void zero_locals(struct jit *j)
{
	uint64_t first = j->code->nparams, end = first + j->code->nlocals, n = 0;
	bool xmm0_zero = false;

	if (j->code->nlocals > 64) {
		x_lea(B, RDI, S(first));
		x_mov_imm(B, RCX, j->code->nlocals);
		x_alu_rr(B, false, ALU_XOR, RAX, RAX);
		x_byte(B, 0xf3), x_byte(B, 0x48), x_byte(B, 0xab); /* rep stosq */
		return;
	}
	for (uint64_t s = first; s < end; s += n ? n : 1) {
		for (n = 0; s + n < end && !mapped(j, s + n); n++)
			;
		if (n >= 2 && !xmm0_zero) {
			x_rr(B, 0, false, OPC("\x0f\x57"), 0, 0); /* xorps xmm0, xmm0 */
			xmm0_zero = true;
		}
		for (uint64_t k = 0; k + 2 <= n; k += 2)
			x_rm(B, 0, false, OPC("\x0f\x11"), 0, S(s + k)); /* movups */
		if (n & 1)
			x_store_imm64(B, S(s + n - 1), 0);
	}
}

/* On entry: parameters from their slots, declared locals zero
 * (operand-stack slots are written before they are read). */
static void enter_registers(struct jit *j)
{
	for (uint32_t i = 0; i < j->nregs; i++) {
		const struct jreg *m = &j->regs[i];

		if (m->slot < j->code->nparams)
			reload_one(j, m);
		else if (m->slot >= (uint64_t)j->code->nparams + j->code->nlocals)
			continue;
		else if (is_gpr(m->reg))
			x_alu_rr(B, false, ALU_XOR, m->reg, m->reg);
		else
			x_rr(B, 0, false, OPC("\x0f\x57"), m->reg - XREG, m->reg - XREG); /* xorps */
	}
}

struct use {
	uint64_t slot, weight;
	uint8_t kinds; /* bits (1 << enum kind) of the types seen there */
};

static int use_by_slot(const void *a, const void *b)
{
	const struct use *x = a, *y = b;

	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static int use_by_weight(const void *a, const void *b)
{
	const struct use *x = a, *y = b;

	return x->weight > y->weight ? -1 : x->weight < y->weight;
}

/* Marks the cells the instruction at ip may jump to. */
static void mark_targets(struct jit *j, int op, const wasm_cell *ip)
{
	const wasm_cell *t = branch_target(op, ip);

	if (op == OP_br_table)
		for (uint64_t i = 0; i <= ip[2].u64; i++)
			j->is_target[ip[3 + i].target - j->code->code] = 1;
	else if (t)
		j->is_target[t - j->code->code] = 1;
}

/* The uses of slots, weighted by 8 per loop level (loops found as
 * back-edges), one entry per slot; returns how many, or -1. */
static long slot_uses(struct jit *j, struct use **out)
{
	const struct wasm_compiled *code = j->code;
	int32_t *depth = calloc(code->ncells + 1, sizeof(*depth));
	struct use *u = malloc((4 * code->ncells + 1) * sizeof(*u));
	int32_t level = 0;
	size_t n = 0, m = 0;
	int op;

	free(j->is_target);
	j->is_target = calloc(code->ncells + 1, 1);
	if (!depth || !u || !j->is_target) {
		free(depth);
		free(u);
		return -1;
	}
	for (size_t i = 0, len; i < code->ncells; i += len) {
		const wasm_cell *ip = code->code + i, *t;

		len = instr_len(j, ip, &op);
		t = branch_target(op, ip);
		if (t && t <= ip) {
			depth[t - code->code]++;
			depth[i + len]--;
		}
		mark_targets(j, op, ip);
	}
	for (size_t i = 0, len; i < code->ncells; i += len) {
		const wasm_cell *ip = code->code + i;
		uint8_t cells[4];
		int nc;

		len = instr_len(j, ip, &op);
		nc = slot_cells(op, cells);
		for (size_t k = 0; k < len; k++)
			level += depth[i + k];
		for (int k = 0; k < nc; k++)
			u[n++] = (struct use){ ip[cells[k]].u64,
					       (uint64_t)1 << (3 * (level < 6 ? level : 6)),
					       (uint8_t)(1u << cell_kind(op, cells[k])) };
	}
	free(depth);
	qsort(u, n, sizeof(*u), use_by_slot);
	for (size_t i = 0; i < n; i++) {
		if (m && u[m - 1].slot == u[i].slot) {
			u[m - 1].weight += u[i].weight;
			u[m - 1].kinds |= u[i].kinds;
		} else
			u[m++] = u[i];
	}
	qsort(u, m, sizeof(*u), use_by_weight);
	*out = u;
	return (long)m;
}

/* An operand-stack slot holds values of different types over time: it
 * can have a register if they all have one class and width (values only
 * moved, never typed, make it an integer one). */
static enum kind stack_kind(uint8_t kinds)
{
	kinds &= (uint8_t)~(1u << K_NONE);
	if (!kinds)
		return K_INT;
	return kinds & (kinds - 1) ? K_NONE : (enum kind)__builtin_ctz(kinds);
}

/* Picks the registers: the heaviest slots of each class first, locals
 * and operand-stack slots alike. */
static bool assign_registers(struct jit *j, uint32_t defined)
{
	uint64_t nlocal = (uint64_t)j->code->nparams + j->code->nlocals;
	struct use *u;
	long n = slot_uses(j, &u);
	uint32_t ngpr = 0, nxmm = 0;

	j->nregs = 0;
	if (n < 0)
		return false;
	for (long i = 0; i < n && j->nregs < NGPR + NXMM; i++) {
		enum kind k = u[i].slot < nlocal ? slot_kind(j, defined, u[i].slot) :
			      stack_kind(u[i].kinds);
		int reg;

		if (k == K_INT && ngpr < NGPR)
			reg = gpr_pool[ngpr++];
		else if ((k == K_F32 || k == K_F64) && nxmm < NXMM)
			reg = XREG + XMM_FIRST + (int)nxmm++;
		else
			continue;
		j->regs[j->nregs++] = (struct jreg){ (uint32_t)u[i].slot, (int8_t)reg, (uint8_t)k };
	}
	free(u);
	return true;
}

/* ------------------------------------------------------------ numeric */
static bool is64(int t) { return t == WBPF_I64 || t == WBPF_F64; }

/* Operand b of a binary op: a slot, an immediate, or a register (rcx,
 * xmm1 for floats). */
struct opnd {
	bool imm;
	uint64_t v;
	bool reg;
};

static void load_b(struct jit *j, int reg, struct opnd b)
{
	if (b.reg) {
		if (reg != RCX)
			x_mov_rr(B, true, reg, RCX);
	} else if (b.imm)
		x_mov_imm(B, reg, b.v);
	else
		get64(j, reg, b.v);
}

static bool fits32(uint64_t v, bool w)
{
	return !w || ((int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX);
}

/* dst = dst OP b for the ALU group. */
static void alu(struct jit *j, bool w, enum x86_alu op, int dst, struct opnd b)
{
	char code[1] = { (char)(op * 8 + 3) };

	if (b.imm && fits32(b.v, w)) {
		x_alu_ri(B, w, op, dst, (int32_t)b.v);
	} else if (b.imm || b.reg) {
		load_b(j, RCX, b);
		x_alu_rr(B, w, op, dst, RCX);
	} else {
		op_slot(j, 0, w, code, 1, dst, b.v, false);
	}
}

static enum x86_cc cmp_cc(int op)
{
	switch (op) {
	case OP_i32_eq: case OP_i64_eq: return CC_E;
	case OP_i32_ne: case OP_i64_ne: return CC_NE;
	case OP_i32_lt_s: case OP_i64_lt_s: return CC_L;
	case OP_i32_lt_u: case OP_i64_lt_u: return CC_B;
	case OP_i32_gt_s: case OP_i64_gt_s: return CC_G;
	case OP_i32_gt_u: case OP_i64_gt_u: return CC_A;
	case OP_i32_le_s: case OP_i64_le_s: return CC_LE;
	case OP_i32_le_u: case OP_i64_le_u: return CC_BE;
	case OP_i32_ge_s: case OP_i64_ge_s: return CC_GE;
	default: return CC_AE; /* ge_u */
	}
}

static bool is_cmp(int op)
{
	return op >= OP_i32_eq && op <= OP_i64_ge_u;
}

/* A C helper: rax = fn(rax, b); the local registers go through their
 * slots (b may be in one of them: it is read before rdi is written). */
static void call_numeric(struct jit *j, int op, bool binary, struct opnd b)
{
	flush_shadow(j);
	spill_all(j);
	if (binary)
		load_b(j, RSI, b);
	x_mov_rr(B, true, RDI, RAX);
	call_addr(j, JIT_RELOC_NUMERIC, (uint32_t)op);
	reload_all(j);
	forget_shadow(j);
}

static void to_xmm(struct jit *j, bool w, int xmm, int reg)
{
	if (w)
		x_movq_to_xmm(B, xmm, reg);
	else
		x_movd_to_xmm(B, xmm, reg);
}

static void from_xmm0(struct jit *j, bool w)
{
	if (w)
		x_movq_from_xmm(B, RAX, 0);
	else
		x_movd_from_xmm(B, RAX, 0);
}

static bool is_float(int t) { return t == WBPF_F32 || t == WBPF_F64; }

/* movss/movsd xmm, [m] (and the other way with store = true). */
static void sse_mem(struct jit *j, bool w, bool store, int xmm, struct xmem m)
{
	x_rm(B, w ? 0xf2 : 0xf3, false, store ? "\x0f\x11" : "\x0f\x10", 2, xmm, m);
}

/*
 * Where numeric ops find operand a and leave their result: integers in
 * rax (i32 zero-extended), floats in xmm0. An _fa form's operand is
 * already there; otherwise it is loaded from its slot.
 */
static void a_in_xmm0(struct jit *j, bool fa, uint64_t slot, bool w)
{
	if (!fa)
		get_x(j, w, 0, slot);
}

/* Operand a's bits in rax, whatever its type. */
static void a_in_rax(struct jit *j, bool fa, uint64_t slot, int type)
{
	if (!fa)
		get64(j, RAX, slot);
	else if (is_float(type))
		from_xmm0(j, is64(type));
}

/* Stores the result to slot d and leaves it where the next op looks for
 * it; in_xmm0: a float result is in xmm0 (else its bits are in rax). An
 * operand-stack value the next instruction takes from the register is
 * popped there: nothing else reads its slot, so it is not written. */
static void put(struct jit *j, int type, uint64_t d, bool in_xmm0)
{
	bool stack = d >= (uint64_t)j->code->nparams + j->code->nlocals;

	if (j->next_takes_result && stack) {
		wreg(j, d);
		if (is_float(type) && !in_xmm0)
			to_xmm(j, is64(type), 0, RAX);
		return;
	}
	if (is_float(type) && !in_xmm0)
		to_xmm(j, is64(type), 0, RAX);
	/* A float on the operand stack is likely read soon as an operand,
	 * from xmm15 then: its slot is written only if something may read
	 * it from memory before it is overwritten (flush_shadow). */
	if (is_float(type) && stack && !mapped(j, d)) {
		wreg(j, d);
		flush_shadow(j);
		x_movaps(B, SHADOW_XMM, 0);
		j->shadow = (struct jreg){ d, XREG + SHADOW_XMM, type == WBPF_F64 ? K_F64 : K_F32 };
		j->shadow_dirty = true;
	} else if (is_float(type)) {
		set_x(j, type == WBPF_F64, d, 0);
	} else {
		set64(j, d, RAX);
	}
}

/* Operand b of a float op in xmm1. */
static void b_in_xmm1(struct jit *j, bool w, struct opnd b)
{
	if (b.reg)
		return;
	if (b.imm) {
		x_mov_imm(B, RCX, b.v);
		to_xmm(j, w, 1, RCX);
	} else {
		get_x(j, w, 1, b.v);
	}
}

/* Float arithmetic and compares in SSE registers: xmm0 = xmm0 OP b, or
 * rax = the compare's result. False for what needs a helper. */
static bool float_binop(struct jit *j, int op, int x, struct opnd b)
{
	static const struct { uint16_t op32, op64; uint8_t code; } arith[] = {
		{ OP_f32_add, OP_f64_add, 0x58 }, { OP_f32_sub, OP_f64_sub, 0x5c },
		{ OP_f32_mul, OP_f64_mul, 0x59 }, { OP_f32_div, OP_f64_div, 0x5e },
	};
	/* ucomis[sd] sets the flags as an unsigned compare would, and PF on
	 * NaN, which only eq and ne must look at. */
	static const struct { uint16_t op32, op64; bool swap; uint8_t cc; } cmps[] = {
		{ OP_f32_eq, OP_f64_eq, false, CC_E }, { OP_f32_ne, OP_f64_ne, false, CC_NE },
		{ OP_f32_lt, OP_f64_lt, true, CC_A }, { OP_f32_gt, OP_f64_gt, false, CC_A },
		{ OP_f32_le, OP_f64_le, true, CC_AE }, { OP_f32_ge, OP_f64_ge, false, CC_AE },
	};

	for (size_t i = 0; i < sizeof(arith) / sizeof(arith[0]); i++) {
		if (arith[i].op32 != op && arith[i].op64 != op)
			continue;
		bool w = arith[i].op64 == op;
		char code[2] = { 0x0f, (char)arith[i].code };

		if (b.imm || b.reg) {
			b_in_xmm1(j, w, b);
			x_rr(B, w ? 0xf2 : 0xf3, false, code, 2, x, 1);
		} else {
			op_slot(j, w ? 0xf2 : 0xf3, w, code, 2, x, b.v, true);
		}
		return true;
	}
	for (size_t i = 0; i < sizeof(cmps) / sizeof(cmps[0]); i++) {
		if (cmps[i].op32 != op && cmps[i].op64 != op)
			continue;
		bool w = cmps[i].op64 == op;

		b_in_xmm1(j, w, b);
		x_rr(B, w ? 0x66 : 0, false, OPC("\x0f\x2e"), cmps[i].swap, !cmps[i].swap);
		x_setcc(B, (enum x86_cc)cmps[i].cc, RAX);
		if (cmps[i].cc == CC_E || cmps[i].cc == CC_NE) {
			x_setcc(B, cmps[i].cc == CC_E ? CC_NP : CC_P, RCX);
			x_rr(B, 0, false, cmps[i].cc == CC_E ? "\x22" : "\x0a", 1, RAX, RCX);
		}
		x_movzx8(B, RAX, RAX);
		return true;
	}
	return false;
}

/* Conversions and square roots SSE does as wasm wants, from operand a
 * (where a_in_xmm0 / a_in_rax put it) to xmm0. */
static bool float_unop(struct jit *j, int op, bool fa, uint64_t slot)
{
	static const struct { uint16_t op; uint8_t prefix, code; bool w_in; } ops[] = {
		{ OP_f64_convert_i32_s, 0xf2, 0x2a, false },
		{ OP_f64_convert_i64_s, 0xf2, 0x2a, true },
		{ OP_f64_convert_i32_u, 0xf2, 0x2a, true }, /* zero-extended: exact */
		{ OP_f32_convert_i32_s, 0xf3, 0x2a, false },
		{ OP_f32_convert_i64_s, 0xf3, 0x2a, true },
		{ OP_f32_convert_i32_u, 0xf3, 0x2a, true },
		{ OP_f64_promote_f32, 0xf3, 0x5a, false },
		{ OP_f32_demote_f64, 0xf2, 0x5a, true },
		{ OP_f64_sqrt, 0xf2, 0x51, true },
		{ OP_f32_sqrt, 0xf3, 0x51, false },
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (ops[i].op != op)
			continue;
		char code[2] = { 0x0f, (char)ops[i].code };

		if (ops[i].code == 0x2a) {
			if (!fa)
				get64(j, RAX, slot);
			if (op == OP_f64_convert_i32_u || op == OP_f32_convert_i32_u)
				x_mov_rr(B, false, RAX, RAX);
			x_rr(B, 0, false, OPC("\x0f\x57"), 0, 0); /* xorps: no stale lanes */
			x_rr(B, ops[i].prefix, ops[i].w_in, code, 2, 0, RAX);
		} else {
			a_in_xmm0(j, fa, slot, ops[i].w_in);
			x_rr(B, ops[i].prefix, false, code, 2, 0, 0);
		}
		return true;
	}
	return false;
}

/* r = r OP b for the integer ops done in any register (not the compares
 * and the helpers'); false for the others. */
static bool binop_in(struct jit *j, int op, bool w, int r, struct opnd b)
{
	static const struct { uint16_t op32, op64; uint8_t kind, code; } table[] = {
		{ OP_i32_add, OP_i64_add, 0, ALU_ADD }, { OP_i32_sub, OP_i64_sub, 0, ALU_SUB },
		{ OP_i32_and, OP_i64_and, 0, ALU_AND }, { OP_i32_or, OP_i64_or, 0, ALU_OR },
		{ OP_i32_xor, OP_i64_xor, 0, ALU_XOR },
		{ OP_i32_shl, OP_i64_shl, 1, 4 }, { OP_i32_shr_s, OP_i64_shr_s, 1, 7 },
		{ OP_i32_shr_u, OP_i64_shr_u, 1, 5 }, { OP_i32_rotl, OP_i64_rotl, 1, 0 },
		{ OP_i32_rotr, OP_i64_rotr, 1, 1 },
	};

	if (op == OP_i32_mul || op == OP_i64_mul) {
		if (b.imm && fits32(b.v, w)) {
			x_rr(B, 0, w, OPC("\x69"), r, r);
			x_u32(B, (uint32_t)b.v);
		} else if (b.imm || b.reg) {
			load_b(j, RCX, b);
			x_rr(B, 0, w, OPC("\x0f\xaf"), r, RCX);
		} else {
			op_slot(j, 0, w, OPC("\x0f\xaf"), r, b.v, false);
		}
		return true;
	}
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (table[i].op32 != op && table[i].op64 != op)
			continue;
		if (table[i].kind == 0) {
			alu(j, w, (enum x86_alu)table[i].code, r, b);
		} else if (table[i].kind == 1 && b.imm) {
			x_shift_imm(B, w, table[i].code, r, (uint8_t)(b.v & (w ? 63 : 31)));
		} else {
			load_b(j, RCX, b);
			x_shift_cl(B, w, table[i].code, r);
		}
		return true;
	}
	return false;
}

/* rax = rax OP b, for every binary op that cannot trap. */
static void binop(struct jit *j, int op, bool w, struct opnd b)
{
	if (is_cmp(op)) {
		alu(j, w, ALU_CMP, RAX, b);
		x_setcc(B, cmp_cc(op), RAX);
		x_movzx8(B, RAX, RAX);
	} else if (!binop_in(j, op, w, RAX, b)) {
		call_numeric(j, op, true, b);
	}
}

/* div and rem: rax = rax OP b, trapping as the spec says. */
static void divop(struct jit *j, int op, bool w, struct opnd b)
{
	bool is_signed = op == OP_i32_div_s || op == OP_i64_div_s || op == OP_i32_rem_s ||
			 op == OP_i64_rem_s;
	bool rem = op == OP_i32_rem_s || op == OP_i64_rem_s || op == OP_i32_rem_u ||
		   op == OP_i64_rem_u;
	size_t normal = 0, done = 0;

	load_b(j, RCX, b);
	x_test_rr(B, w, RCX, RCX);
	trap_if(j, CC_E, WBPF_TRAP_DIV_ZERO);
	if (is_signed) {
		x_alu_ri(B, w, ALU_CMP, RCX, -1);
		normal = x_jcc(B, CC_NE);
		if (rem) {
			x_alu_rr(B, false, ALU_XOR, RAX, RAX);
			done = x_jmp(B);
		} else {
			x_mov_imm(B, RDX, w ? 0x8000000000000000ull : 0x80000000u);
			x_alu_rr(B, w, ALU_CMP, RAX, RDX);
			trap_if(j, CC_E, WBPF_TRAP_INT_OVERFLOW);
		}
		x_link(B, normal, B->len);
		x_head(B, 0, w, 0, 0, 0, OPC("\x99"), false); /* cdq / cqo */
		x_rr(B, 0, w, OPC("\xf7"), 7, RCX);	      /* idiv */
	} else {
		x_alu_rr(B, false, ALU_XOR, RDX, RDX);
		x_rr(B, 0, w, OPC("\xf7"), 6, RCX); /* div */
	}
	if (rem)
		x_mov_rr(B, w, RAX, RDX);
	if (done)
		x_link(B, done, B->len);
}

/* rax = OP rax for unary ops. */
static void unop(struct jit *j, int op)
{
	switch (op) {
	case OP_i32_eqz:
	case OP_i64_eqz:
		x_test_rr(B, op == OP_i64_eqz, RAX, RAX);
		x_setcc(B, CC_E, RAX);
		x_movzx8(B, RAX, RAX);
		return;
	case OP_i32_wrap_i64:
	case OP_i64_extend_i32_u:
		x_mov_rr(B, false, RAX, RAX);
		return;
	case OP_i64_extend_i32_s:
	case OP_i64_extend32_s:
		x_rr(B, 0, true, OPC("\x63"), RAX, RAX);
		return;
	case OP_i32_extend8_s:
	case OP_i64_extend8_s:
		x_rr(B, 0, op == OP_i64_extend8_s, OPC("\x0f\xbe"), RAX, RAX);
		return;
	case OP_i32_extend16_s:
	case OP_i64_extend16_s:
		x_rr(B, 0, op == OP_i64_extend16_s, OPC("\x0f\xbf"), RAX, RAX);
		return;
	case OP_i32_reinterpret_f32:
	case OP_f32_reinterpret_i32:
		x_mov_rr(B, false, RAX, RAX);
		return;
	case OP_i64_reinterpret_f64:
	case OP_f64_reinterpret_i64:
		return;
	case OP_f32_neg:
		x_alu_ri(B, false, ALU_XOR, RAX, INT32_MIN);
		return;
	case OP_f32_abs:
		x_alu_ri(B, false, ALU_AND, RAX, INT32_MAX);
		return;
	case OP_f64_neg:
	case OP_f64_abs:
		x_rr(B, 0, true, OPC("\x0f\xba"), op == OP_f64_neg ? 7 : 6, RAX); /* btc/btr */
		x_byte(B, 63);
		return;
	default:
		call_numeric(j, op, false, (struct opnd){ 0 });
	}
}

/* The operand and result types of a numeric op. */
static void op_types(int op, int *ta, int *tr)
{
#define T_OF(name, opc, TR, TA, ...) [OP_##name] = { WBPF_##TA, WBPF_##TR },
	static const uint8_t types[OP_COUNT][2] = {
		WASM_UNOPS(T_OF) WASM_UNOPS_TRAP(T_OF) WASM_BINOPS(T_OF) WASM_BINOPS_TRAP(T_OF)
	};
#undef T_OF
	*ta = types[op][0];
	*tr = types[op][1];
}

/* A unary op; a in its slot, or where the previous op left it (fa). */
static int dest_reg(struct jit *j, uint64_t d, bool fl, struct opnd b);
static void want_result_in(struct jit *j, int r);

/* An integer width change straight into the result's register r from
 * the operand's (src) or its slot (src NO_REG); false for other ops. */
static bool unop_into(struct jit *j, int op, int r, int src, uint64_t a)
{
	static const struct { uint16_t op; bool w; char code[3]; } ops[] = {
		{ OP_i32_wrap_i64, false, "\x8b" }, { OP_i64_extend_i32_u, false, "\x8b" },
		{ OP_i64_extend_i32_s, true, "\x63" }, { OP_i64_extend32_s, true, "\x63" },
		{ OP_i32_extend16_s, false, "\x0f\xbf" }, { OP_i64_extend16_s, true, "\x0f\xbf" },
		{ OP_i32_extend8_s, false, "\x0f\xbe" }, { OP_i64_extend8_s, true, "\x0f\xbe" },
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		int n = ops[i].code[1] ? 2 : 1;

		if (ops[i].op != op)
			continue;
		if (src == NO_REG)
			x_rm(B, 0, ops[i].w, ops[i].code, n, r, S(a));
		else if (n == 2 && ops[i].code[1] == '\xbe' && src >= RSP && src < R8)
			return false; /* sil, dil, bpl need a REX this form has not */
		else
			x_rr(B, 0, ops[i].w, ops[i].code, n, r, src);
		return true;
	}
	return false;
}

static void emit_unary(struct jit *j, int op, bool trapping, bool fa, uint64_t a, uint64_t d)
{
	int ta, tr;

	op_types(op, &ta, &tr);
	if (!trapping && !is_float(ta) && !is_float(tr)) {
		int r = dest_reg(j, d, false, (struct opnd){ .imm = true });
		int src = fa ? RAX : sreg(j, a);

		if (r != NO_REG && !is_xmm(src) && unop_into(j, op, r, src, a)) {
			want_result_in(j, r);
			return;
		}
	}
	if (!trapping && float_unop(j, op, fa, a)) {
		put(j, tr, d, true);
		return;
	}
	a_in_rax(j, fa, a, ta);
	if (trapping) {
		call_numeric(j, op, false, (struct opnd){ 0 });
		x_test_rr(B, true, RDX, RDX);
		add_stub(j, (struct stub){ .at = x_jcc(B, CC_NE), .kind = STUB_TRAP_RDX });
	} else {
		unop(j, op);
	}
	put(j, tr, d, false);
}

/* A result just left in register r (a local's) that an instruction after
 * wants: it reads it there if it can, else from rax. */
static void want_result_in(struct jit *j, int r)
{
	if (!j->result_wanted)
		return;
	if (j->next_any_reg)
		j->fa_out = r;
	else
		x_mov_rr(B, true, RAX, r);
}

static bool one_of(int op, const uint16_t *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i] == op)
			return true;
	return false;
}

/* The ALU op just emitted for the result d set ZF by it, and only moves
 * follow: a br_if or select on d next takes the flags (not zero). */
static void zf_for_branch(struct jit *j, int op, uint64_t d)
{
	static const uint16_t ops[] = { OP_i32_add, OP_i32_sub, OP_i32_and, OP_i32_or, OP_i32_xor,
					OP_i64_add, OP_i64_sub, OP_i64_and, OP_i64_or, OP_i64_xor };

	if (j->next_branches && (j->flags_for == UINT64_MAX || j->flags_for == d) &&
	    one_of(op, ops, sizeof(ops) / sizeof(ops[0])))
		j->cc_out = CC_NE;
}

/* local = local OP b, where the local has a register and OP is in the
 * ALU group: done in that register (and copied to rax only if the next
 * instruction takes it from there). */
static bool in_place(struct jit *j, int op, bool w, struct opnd b, uint64_t d)
{
	static const struct { uint16_t op32, op64; uint8_t alu; } ops[] = {
		{ OP_i32_add, OP_i64_add, ALU_ADD }, { OP_i32_sub, OP_i64_sub, ALU_SUB },
		{ OP_i32_and, OP_i64_and, ALU_AND }, { OP_i32_or, OP_i64_or, ALU_OR },
		{ OP_i32_xor, OP_i64_xor, ALU_XOR },
	};
	const struct jreg *m = mapped(j, d);

	if (!m || !is_gpr(m->reg))
		return false;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (ops[i].op32 != op && ops[i].op64 != op)
			continue;
		alu(j, w, (enum x86_alu)ops[i].alu, m->reg, b);
		want_result_in(j, m->reg);
		zf_for_branch(j, op, d);
		return true;
	}
	return false;
}

/* The register a result can be computed in directly: the destination
 * slot's own, of the class asked for, when no instruction takes the
 * result from rax or xmm0 (or the next one takes it from any register)
 * and operand b is not in it; else NO_REG. */
static int dest_reg(struct jit *j, uint64_t d, bool fl, struct opnd b)
{
	const struct jreg *m = mapped(j, d);

	if (!m || (j->result_wanted && (fl || !j->next_any_reg)) ||
	    (fl ? !is_xmm(m->reg) : !is_gpr(m->reg)))
		return NO_REG;
	return !b.imm && !b.reg && b.v == d ? NO_REG : m->reg;
}

/* The ops into_dest takes: what float_binop does as arithmetic and
 * binop_in does at all. */
static bool dest_op(int op, bool fl)
{
	static const uint16_t fops[] = { OP_f32_add, OP_f32_sub, OP_f32_mul, OP_f32_div,
					 OP_f64_add, OP_f64_sub, OP_f64_mul, OP_f64_div };
	static const uint16_t iops[] = {
		OP_i32_add, OP_i32_sub, OP_i32_mul, OP_i32_and, OP_i32_or, OP_i32_xor, OP_i32_shl,
		OP_i32_shr_s, OP_i32_shr_u, OP_i32_rotl, OP_i32_rotr,
		OP_i64_add, OP_i64_sub, OP_i64_mul, OP_i64_and, OP_i64_or, OP_i64_xor, OP_i64_shl,
		OP_i64_shr_s, OP_i64_shr_u, OP_i64_rotl, OP_i64_rotr,
	};

	return fl ? one_of(op, fops, sizeof(fops) / sizeof(fops[0])) :
		    one_of(op, iops, sizeof(iops) / sizeof(iops[0]));
}

/* r = ra + b in one `lea` when a and b are both in registers, or b is
 * an immediate (a 32-bit one wraps as an i32.add does); false else. */
static bool add_by_lea(struct jit *j, bool w, int r, int ra, struct opnd b)
{
	int rb = b.reg ? RCX : b.imm ? NO_REG : sreg(j, b.v);

	if (!is_gpr(ra) || ra == r || (b.imm ? !fits32(b.v, w) : !is_gpr(rb)))
		return false;
	x_rm(B, 0, w, OPC("\x8d"), r, b.imm ? M(ra, (int32_t)b.v) : MI(ra, rb, 0, 0));
	return true;
}

/* d = a OP b computed in d's register (mov r, a; op r, b) rather than in
 * rax or xmm0 and then moved there; false where that does not apply. */
static bool into_dest(struct jit *j, int op, int ta, bool fa, uint64_t a, const struct xmem *mem,
		      struct opnd b, uint64_t d)
{
	bool w = is64(ta), fl = is_float(ta);
	int r = dest_reg(j, d, fl, b);

	if (r == NO_REG || !dest_op(op, fl))
		return false;
	if (fl) {
		if (mem)
			sse_mem(j, w, false, r - XREG, *mem);
		else if (fa)
			x_movaps(B, r - XREG, 0);
		else
			get_x(j, w, r - XREG, a);
		return float_binop(j, op, r - XREG, b);
	}
	if (!mem && (op == OP_i32_add || op == OP_i64_add) &&
	    add_by_lea(j, w, r, fa ? RAX : sreg(j, a), b)) {
		want_result_in(j, r);
		return true;
	}
	if (mem)
		x_rm(B, 0, w, OPC("\x8b"), r, *mem);
	else if (fa)
		x_mov_rr(B, true, r, RAX);
	else
		get64(j, r, a);
	binop_in(j, op, w, r, b);
	want_result_in(j, r);
	zf_for_branch(j, op, d);
	return true;
}

/* d = a OP b for float arithmetic whose result put() would keep in the
 * shadow: computed in xmm15 itself rather than in xmm0 and copied (not
 * where b is read from the shadow, which a's load would overwrite). */
static bool into_shadow(struct jit *j, int op, bool fa, uint64_t a, const struct xmem *mem,
			struct opnd b, uint64_t d)
{
	bool w = op == OP_f64_add || op == OP_f64_sub || op == OP_f64_mul || op == OP_f64_div;

	if (!dest_op(op, true) || mapped(j, d) || d < (uint64_t)j->code->nparams + j->code->nlocals ||
	    j->next_takes_result || (!b.imm && !b.reg && b.v == j->shadow.slot))
		return false;
	if (j->shadow.slot != d) /* as put() does */
		flush_shadow(j);
	if (mem)
		sse_mem(j, w, false, SHADOW_XMM, *mem);
	else if (fa)
		x_movaps(B, SHADOW_XMM, 0);
	else
		get_x(j, w, SHADOW_XMM, a);
	forget_shadow(j);
	float_binop(j, op, SHADOW_XMM, b);
	j->shadow = (struct jreg){ d, XREG + SHADOW_XMM, w ? K_F64 : K_F32 };
	j->shadow_dirty = true;
	return true;
}

static bool commutes(int op)
{
	static const uint16_t ops[] = { OP_i32_add, OP_i32_and, OP_i32_or, OP_i32_xor,
					OP_i64_add, OP_i64_and, OP_i64_or, OP_i64_xor };

	return one_of(op, ops, sizeof(ops) / sizeof(ops[0]));
}

/* An integer compare whose result the next instruction only branches or
 * selects on (br_if_fa, br_unless_fa, select): the flags, with a
 * compared where it is. */
static bool compare_for_branch(struct jit *j, int op, bool w, bool fa, uint64_t a,
			       const struct xmem *mem, struct opnd b, uint64_t d)
{
	int r = fa ? RAX : mem ? NO_REG : sreg(j, a);

	if (!j->next_branches || d < (uint64_t)j->code->nparams + j->code->nlocals ||
	    (j->flags_for != UINT64_MAX && j->flags_for != d))
		return false;
	if (mem) {
		x_rm(B, 0, w, OPC("\x8b"), RAX, *mem);
		r = RAX;
	} else if (!is_gpr(r)) {
		get64(j, RAX, a);
		r = RAX;
	}
	alu(j, w, ALU_CMP, r, b);
	wreg(j, d);
	j->cc_out = cmp_cc(op);
	return true;
}

/* A binary op; a in its slot, where the previous op left it (fa), or
 * loaded from memory at `mem` (a _mem form). */
static void emit_binary(struct jit *j, int op, bool trapping, bool fa, uint64_t a,
			const struct xmem *mem, struct opnd b, uint64_t d)
{
	int ta, tr;
	bool w;

	op_types(op, &ta, &tr);
	w = is64(ta);
	if (b.reg && is_float(ta))
		x_rr(B, 0, false, OPC("\x0f\x28"), 1, 0); /* movaps xmm1, xmm0 */
	else if (b.reg)
		x_mov_rr(B, true, RCX, RAX);
	if (!trapping && !mem && !fa && a == d && in_place(j, op, w, b, d))
		return;
	if (is_cmp(op) && compare_for_branch(j, op, w, fa, a, mem, b, d))
		return;
	/* local = a OP local, for an op that commutes: the same. */
	if (!trapping && !mem && !fa && !b.imm && !b.reg && b.v == d && a != d && commutes(op) &&
	    in_place(j, op, w, (struct opnd){ .v = a }, d))
		return;
	if (!trapping && into_dest(j, op, ta, fa, a, mem, b, d))
		return;
	if (is_float(ta) && !trapping && into_shadow(j, op, fa, a, mem, b, d))
		return;
	if (is_float(ta)) {
		if (mem)
			sse_mem(j, w, false, 0, *mem);
		else
			a_in_xmm0(j, fa, a, w);
		if (float_binop(j, op, 0, b)) {
			put(j, tr, d, is_float(tr));
			return;
		}
		from_xmm0(j, w);
		if (b.reg) /* the helpers take b's bits */
			x_rr(B, 0x66, w, OPC("\x0f\x7e"), 1, RCX);
	} else if (mem) {
		x_rm(B, 0, w, OPC("\x8b"), RAX, *mem);
	} else if (!fa && (op == OP_i32_add || op == OP_i64_add) &&
		   add_by_lea(j, w, RAX, sreg(j, a), b)) {
		put(j, tr, d, false);
		return;
	} else {
		a_in_rax(j, fa, a, ta);
	}
	if (trapping)
		divop(j, op, w, b);
	else
		binop(j, op, w, b);
	put(j, tr, d, false);
	if (!trapping)
		zf_for_branch(j, op, d);
}

/* ------------------------------------------------------------- memory */
struct memop {
	uint8_t size;
	bool sign, w; /* sign-extending; to 64 bits */
};

static struct memop memop_of(int op)
{
	switch (op) {
	case OP_i32_load: case OP_f32_load: case OP_i32_store: case OP_f32_store:
	case OP_i64_store32: return (struct memop){ 4, false, false };
	case OP_i64_load: case OP_f64_load: case OP_i64_store: case OP_f64_store:
		return (struct memop){ 8, false, true };
	case OP_i32_load8_s: return (struct memop){ 1, true, false };
	case OP_i32_load8_u: case OP_i32_store8: case OP_i64_store8: return (struct memop){ 1, false, false };
	case OP_i32_load16_s: return (struct memop){ 2, true, false };
	case OP_i32_load16_u: case OP_i32_store16: case OP_i64_store16: return (struct memop){ 2, false, false };
	case OP_i64_load8_s: return (struct memop){ 1, true, true };
	case OP_i64_load8_u: return (struct memop){ 1, false, true };
	case OP_i64_load16_s: return (struct memop){ 2, true, true };
	case OP_i64_load16_u: return (struct memop){ 2, false, true };
	case OP_i64_load32_s: return (struct memop){ 4, true, true };
	default: return (struct memop){ 4, false, true }; /* i64_load32_u */
	}
}

/* The effective address's memory operand, from the address in slot
 * `addr` (plus `imm` when an add was folded in, wrapping at 32 bits) and
 * the static offset; bounds checked here unless the guard region is.
 * in_reg: where the address is when it is the previous result (_fa). */
static struct xmem address(struct jit *j, uint64_t addr, bool ai, uint64_t imm, uint64_t offset,
			   unsigned size, bool checked, int in_reg)
{
	int r = in_reg != NO_REG ? in_reg : sreg(j, addr);

	if (!is_gpr(r)) {
		get32(j, RAX, addr);
		r = RAX;
	}
	if (ai) { /* lea eax, [r + imm]: wraps at 32 bits */
		x_rm(B, 0, false, OPC("\x8d"), RAX, M(r, (int32_t)(uint32_t)imm));
		r = RAX;
	}
	if (checked) {
		x_mov_imm(B, RCX, offset + size);
		x_alu_rr(B, true, ALU_ADD, RCX, r);
		x_load64(B, RDX, M(R15, offsetof(struct wbpf_instance, mem)));
		x_alu_rm(B, true, ALU_CMP, RCX, M(RDX, offsetof(struct wbpf_memory, size)));
		trap_if(j, CC_A, WBPF_TRAP_MEM_OOB);
	}
	if (offset > INT32_MAX) {
		x_mov_imm(B, RCX, offset);
		x_alu_rr(B, true, ALU_ADD, RCX, r);
		r = RCX;
		offset = 0;
	}
	return MI(R13, r, 0, (int32_t)offset);
}

static void load_value(struct jit *j, struct memop m, struct xmem at, int r)
{
	static const char *const ext[2][3] = { { "\x0f\xb6", "\x0f\xb7", NULL },
					       { "\x0f\xbe", "\x0f\xbf", "\x63" } };

	if (m.size == 8 || (m.size == 4 && !m.sign)) {
		x_rm(B, 0, m.size == 8, OPC("\x8b"), r, at);
		return;
	}
	const char *op = ext[m.sign][m.size == 1 ? 0 : m.size == 2 ? 1 : 2];

	x_rm(B, 0, m.w && m.sign, op, m.size == 4 ? 1 : 2, r, at);
}

/* Stores reg's low m.size bytes (for a byte, reg has a REX-free low
 * byte: not rsp-rdi). */
static void store_value(struct jit *j, struct memop m, struct xmem at, int reg)
{
	switch (m.size) {
	case 1: x_rm(B, 0, false, OPC("\x88"), reg, at); break;
	case 2: x_rm(B, 0x66, false, OPC("\x89"), reg, at); break;
	case 4: x_rm(B, 0, false, OPC("\x89"), reg, at); break;
	default: x_rm(B, 0, true, OPC("\x89"), reg, at); break;
	}
}

/* -------------------------------------------------------------- calls */
static struct xmem store_field(size_t off)
{
	return M(RBX, (int32_t)off);
}

/* A function's native frame: a scratch word at [rsp] and padding, a
 * multiple of 16 with the return address: JIT_FRAME in all, for every
 * function, which is what gives a frame's call depth (struct jit_ctx). */
#define FRAME_BYTES 24
_Static_assert(FRAME_BYTES + 8 == JIT_FRAME, "jit_rt.c walks frames of JIT_FRAME bytes");

/* The interpreter's checks before a call whose frame ends at rdx: the
 * value stack, the call depth and native stack at once (the call
 * floor), then its charge. */
static void call_checks(struct jit *j)
{
	x_alu_rm(B, true, ALU_CMP, RDX, store_field(offsetof(struct wbpf_store, stack_end)));
	trap_if(j, CC_A, WBPF_TRAP_STACK_EXHAUSTED);
	x_alu_rm(B, true, ALU_CMP, RSP, store_field(offsetof(struct wbpf_store, jit_call_floor)));
	trap_if(j, CC_B, WBPF_TRAP_STACK_EXHAUSTED);
	charge(j, 1);
}

/* Back from a call with its frame at `base`, returning nres slots. */
static void after_call(struct jit *j, uint64_t base, uint32_t nres)
{
	x_lea(B, R12, M(R12, -(int32_t)(base * sizeof(slot_t))));
	reload_below(j, base + nres);
	forget_shadow(j);
}

/* A direct call to a compiled function of this module: the interpreter's
 * checks and charge, then `call`. */
static void direct_call(struct jit *j, uint32_t func, uint64_t base)
{
	const struct wasm_compiled *callee = j->mod->compiled[func - j->mod->nimported_funcs];
	const struct wasm_functype *ft = j->mod->types + j->mod->func_types[func];

	flush_shadow(j);
	spill_below(j, base + callee->nparams);
	x_lea(B, RDX, S(base + callee->frame_slots));
	call_checks(j);
	x_lea(B, R12, S(base));
	size_t at = x_call_rel(B);

	if (jgrow(j, (void **)&j->calls, &j->calls_cap, j->ncalls, sizeof(*j->calls)))
		j->calls[j->ncalls++] = (struct call_fixup){ at, func - j->mod->nimported_funcs };
	after_call(j, base, wasm_slot_count(wasm_results(ft), ft->nresults));
}

/* A jump to the module's trap path (with the trap code in eax) as a
 * call: its return address names the function that trapped. */
static void trap_call(struct jit *j)
{
	x_link(B, x_call_rel(B), 0);
}

/* The instruction at ip, run by the interpreter (its site is made when
 * the code is installed). */
static void interp_one(struct jit *j, const wasm_cell *ip)
{
	flush_shadow(j);
	spill_all(j);
	x_store64(B, store_field(offsetof(struct wbpf_store, budget)), R14);
	x_load64(B, RDI, store_field(offsetof(struct wbpf_store, jit_ctx)));
	x_mov_rr(B, true, RSI, R15);
	x_mov_rr(B, true, RDX, R12);
	emit_addr(j, RCX, JIT_RELOC_SITE, j->self - j->mod->nimported_funcs,
		  (uint32_t)(ip - j->code->code));
	x_mov_rr(B, true, R8, RSP);
	call_addr(j, JIT_RELOC_HELPER, JIT_HELPER_INTERP_ONE);
	x_load64(B, R14, store_field(offsetof(struct wbpf_store, budget)));
	x_test_rr(B, false, RAX, RAX);
	size_t ok = x_jcc(B, CC_E);

	trap_call(j);
	x_link(B, ok, B->len);
	reload_all(j);
	forget_shadow(j);
}

/* rcx = table OPND(1)'s element at the key OPND(4) (eax, zero-extended);
 * returns the rel32 of the jump taken where the key is past the end. */
static size_t table_elem(struct jit *j, const wasm_cell *ip)
{
	size_t oob;

	get32(j, RAX, OPND(4));
	x_mov_rr(B, false, RAX, RAX); /* a register's upper half is not the key's */
	x_load64(B, RCX, M(R15, offsetof(struct wbpf_instance, tables)));
	x_load64(B, RCX, M(RCX, (int32_t)(OPND(1) * sizeof(void *))));
	x_alu_rm(B, false, ALU_CMP, RAX, M(RCX, offsetof(struct wbpf_table, size)));
	oob = x_jcc(B, CC_AE);
	x_load64(B, RCX, M(RCX, offsetof(struct wbpf_table, elems)));
	x_load64(B, RCX, MI(RCX, RAX, 3, 0));
	return oob;
}

/*
 * call_indirect: where the element is a compiled function of this
 * instance of the expected type, the call is made here as direct_call
 * makes it (the frame's size and locals read from the callee); anything
 * else (a trap of the lookup, host or interpreted functions, other
 * instances' functions) is the interpreter's instruction, which checks
 * again and traps or calls as it always does.
 */
static void indirect_call(struct jit *j, const wasm_cell *ip)
{
	const struct wasm_functype *ft = j->mod->types + OPND(2);
	uint64_t base = OPND(3);
	uint32_t nparams = wasm_slot_count(ft->types, ft->nparams);
	size_t slow[5], done;
	int n = 0;

	flush_shadow(j);
	spill_below(j, base + nparams);
	slow[n++] = table_elem(j, ip);
	x_test_rr(B, true, RCX, RCX);
	slow[n++] = x_jcc(B, CC_E);
	x_load64(B, RDX, M(R15, offsetof(struct wbpf_instance, mod)));
	x_load64(B, RDX, M(RDX, offsetof(struct wbpf_module, types)));
	x_lea(B, RDX, M(RDX, (int32_t)(OPND(2) * sizeof(struct wasm_functype))));
	x_alu_rm(B, true, ALU_CMP, RDX, M(RCX, offsetof(struct wbpf_func, type)));
	slow[n++] = x_jcc(B, CC_NE);
	x_alu_rm(B, true, ALU_CMP, R15, M(RCX, offsetof(struct wbpf_func, inst)));
	slow[n++] = x_jcc(B, CC_NE);
	x_load64(B, RDX, M(RCX, offsetof(struct wbpf_func, code)));
	x_load64(B, RCX, M(RDX, offsetof(struct wasm_compiled, native)));
	x_test_rr(B, true, RCX, RCX);
	slow[n++] = x_jcc(B, CC_E);

	/* rdx = the end of the callee's frame */
	x_load32(B, RDX, M(RDX, offsetof(struct wasm_compiled, frame_slots)));
	x_lea(B, RDX, MI(R12, RDX, 3, (int32_t)(base * sizeof(slot_t))));
	/* The callee's code waits in the frame's scratch word while a
	 * refuel may clobber rcx. */
	x_store64(B, M(RSP, 0), RCX);
	call_checks(j);
	x_lea(B, R12, S(base));
	x_rm(B, 0, false, OPC("\xff"), 2, M(RSP, 0)); /* call */
	after_call(j, base, wasm_slot_count(wasm_results(ft), ft->nresults));
	done = x_jmp(B);
	for (int i = 0; i < n; i++)
		x_link(B, slow[i], B->len);
	interp_one(j, ip);
	x_link(B, done, B->len);
}

/* ------------------------------------------------------- instructions */
static void emit_control(struct jit *j, int op, const wasm_cell *ip)
{
	switch (op) {
	case OP_unreachable:
		add_stub(j, (struct stub){ .at = x_jmp(B), .kind = STUB_TRAP,
					   .trap = WBPF_TRAP_UNREACHABLE });
		return;
	case OP_br:
		branch(j, ip[1].target, OPND(2));
		return;
	case OP_br_if:
	case OP_br_if_fa:
	case OP_br_unless:
	case OP_br_unless_fa: {
		int r = descs[op].fa ? j->fa_in : sreg(j, OPND(1));
		bool when = op == OP_br_if || op == OP_br_if_fa;

		if (descs[op].fa && j->cc_in >= 0) {
			branch_if(j, (enum x86_cc)(when ? j->cc_in : j->cc_in ^ 1), ip[2].target,
				  OPND(3));
			return;
		}
		if (r == NO_REG) /* in its slot: compared there */
			x_alu_mi(B, false, ALU_CMP, S(OPND(1)), 0);
		else if (!is_gpr(r))
			get32(j, r = RAX, OPND(1));
		if (r != NO_REG)
			x_test_rr(B, false, r, r);
		branch_if(j, when ? CC_NE : CC_E, ip[2].target, OPND(3));
		return;
	}
	case OP_br_table: {
		uint64_t count = OPND(2);
		int r = sreg(j, OPND(1));

		/* eax = the index, or count past it (the default) */
		x_mov_imm(B, RAX, count);
		if (is_gpr(r)) {
			x_alu_rr(B, false, ALU_CMP, r, RAX);
			x_rr(B, 0, false, OPC("\x0f\x42"), RAX, r); /* cmovb eax, r */
		} else {
			op_slot(j, 0, false, OPC("\x3b"), RAX, OPND(1), false); /* cmp eax, idx */
			op_slot(j, 0, false, OPC("\x0f\x47"), RAX, OPND(1), false); /* cmova */
		}
		/* lea rcx, [rip + table]; movsxd rax, [rcx + rax*4]; add rax, rcx; jmp rax */
		x_byte(B, 0x48), x_byte(B, 0x8d), x_byte(B, 0x0d);
		size_t rel = B->len;

		x_u32(B, 0);
		x_rm(B, 0, true, OPC("\x63"), RAX, MI(RCX, RAX, 2, 0));
		x_alu_rr(B, true, ALU_ADD, RAX, RCX);
		x_jmp_reg(B, RAX);
		size_t table = B->len;

		x_link(B, rel, table);
		for (uint64_t i = 0; i <= count; i++) {
			add_fix(j, B->len, table, (uint64_t)(ip[3 + i].target - j->code->code));
			x_u32(B, 0);
		}
		return;
	}
	case OP_call: {
		uint32_t func = (uint32_t)OPND(1);
		uint32_t nimp = j->mod->nimported_funcs;

		if (func >= nimp && j->compiled[func - nimp])
			direct_call(j, func, OPND(2));
		else
			interp_one(j, ip);
		return;
	}
	case OP_call_indirect:
		indirect_call(j, ip);
		return;
	case OP_ret:
		spill_results(j);
		x_alu_ri(B, true, ALU_ADD, RSP, FRAME_BYTES);
		x_byte(B, 0xc3);
		return;
	/* Moves compile.c places between an instruction and the one taking
	 * its result from a register (_fa, _fb): rax and xmm0 stay. */
	case OP_copy:
	case OP_copy2:
		move_slot(j, OPND(1), OPND(2));
		if (op == OP_copy2)
			move_slot(j, OPND(3), OPND(4));
		return;
	case OP_const64: {
		int r = wreg(j, OPND(1));

		if (r == NO_REG && fits32(OPND(2), true)) {
			x_store_imm64(B, S(OPND(1)), (int32_t)OPND(2));
		} else if (is_gpr(r)) {
			x_mov_imm(B, r, OPND(2));
		} else {
			x_mov_imm(B, RDX, OPND(2));
			set64(j, OPND(1), RDX);
		}
		return;
	}
	case OP_select: {
		/* b when the condition is 0, or the compare before it false */
		char cmov[2] = { 0x0f, (char)(0x40 + (j->cc_in >= 0 ? j->cc_in ^ 1 : CC_E)) };

		if (j->cc_in < 0)
			get32(j, RCX, OPND(4));
		get64(j, RAX, OPND(2));
		if (j->cc_in < 0)
			x_test_rr(B, false, RCX, RCX);
		op_slot(j, 0, true, cmov, 2, RAX, OPND(3), false);
		set64(j, OPND(1), RAX);
		return;
	}
	case OP_global_get:
		x_load64(B, RAX, M(R15, offsetof(struct wbpf_instance, globals)));
		x_load64(B, RAX, M(RAX, (int32_t)(OPND(2) * sizeof(void *))));
		x_load64(B, RAX, M(RAX, offsetof(struct wbpf_global, val)));
		set64(j, OPND(1), RAX);
		return;
	default: /* global_set */
		x_load64(B, RCX, M(R15, offsetof(struct wbpf_instance, globals)));
		x_load64(B, RCX, M(RCX, (int32_t)(OPND(1) * sizeof(void *))));
		get64(j, RAX, OPND(2));
		x_store64(B, M(RCX, offsetof(struct wbpf_global, val)), RAX);
		return;
	}
}

static void emit_instr(struct jit *j, int op, const wasm_cell *ip)
{
	const struct jdesc *d = &descs[op];
	int base = d->base, ta, tr;
	bool w;

	op_types(base, &ta, &tr);
	w = is64(ta);

	switch (d->form) {
	case J_UN:
	case J_UN_TRAP:
		emit_unary(j, base, d->form == J_UN_TRAP, d->fa, OPND(2), OPND(1));
		return;
	case J_BIN:
	case J_BIN_IMM:
	case J_BIN_TRAP:
		emit_binary(j, base, d->form == J_BIN_TRAP, d->fa, OPND(2), NULL,
			    (struct opnd){ d->form == J_BIN_IMM, OPND(3), d->fb }, OPND(1));
		return;
	case J_BIN_MEM:
	case J_BIN_MEM_AI: {
		bool ai = d->form == J_BIN_MEM_AI;
		struct xmem at = address(j, OPND(2), ai, OPND(3), OPND(ai ? 4 : 3), 0, false, NO_REG);

		emit_binary(j, base, false, false, 0, &at, (struct opnd){ false, OPND(ai ? 5 : 4), false },
			    OPND(1));
		return;
	}
	case J_BR_CMP:
	case J_BR_CMP_IMM:
	{
		/* A local in a register is compared where it is, one in its
		 * slot there when b is a constant or in a register. */
		int a = d->fa ? j->fa_in : sreg(j, OPND(1));
		bool imm = d->form == J_BR_CMP_IMM;
		int rb = imm ? NO_REG : sreg(j, OPND(2));

		if (a == NO_REG && imm && fits32(OPND(2), w)) {
			x_alu_mi(B, w, ALU_CMP, S(OPND(1)), (int32_t)OPND(2));
		} else if (a == NO_REG && is_gpr(rb)) {
			x_rm(B, 0, w, OPC("\x39"), rb, S(OPND(1))); /* cmp [a], rb */
		} else {
			if (!is_gpr(a)) {
				get64(j, RAX, OPND(1));
				a = RAX;
			}
			alu(j, w, ALU_CMP, a, (struct opnd){ imm, OPND(2), false });
		}
	}
		branch_if(j, cmp_cc(base), ip[3].target, OPND(4));
		return;
	case J_LOAD:
	case J_LOAD_AI: {
		bool ai = d->form == J_LOAD_AI;
		struct memop m = memop_of(base);

		struct xmem at = address(j, OPND(2), ai, OPND(3), OPND(ai ? 4 : 3), m.size,
					 d->checked, d->fa ? j->fa_in : NO_REG);

		bool fl = base == OP_f32_load || base == OP_f64_load;
		int r = dest_reg(j, OPND(1), fl, (struct opnd){ .imm = true });

		if (fl)
			sse_mem(j, base == OP_f64_load, false, r == NO_REG ? 0 : r - XREG, at);
		else
			load_value(j, m, at, r == NO_REG ? RAX : r);
		if (r == NO_REG)
			put(j, !fl ? WBPF_I64 : base == OP_f64_load ? WBPF_F64 : WBPF_F32, OPND(1), fl);
		else if (!fl)
			want_result_in(j, r);
		return;
	}
	case J_STORE:
	case J_STORE_AI: {
		bool ai = d->form == J_STORE_AI, fl = base == OP_f32_store || base == OP_f64_store;
		struct memop m = memop_of(base);
		uint64_t vs = OPND(ai ? 3 : 2);
		int v = d->fa ? NO_REG : sreg(j, vs), tmp;
		/* An _fa form's integer value stays where the previous
		 * instruction left it (fa_in) when address() leaves that alone:
		 * it takes only rax, rcx and rdx, and rax only for an address
		 * not in a register or with a constant added. */
		bool kept = d->fa && !fl && (j->fa_in != RAX || (!ai && is_gpr(sreg(j, OPND(1)))));
		struct xmem at;

		/* Else the value (which an _fa form has in rax, or xmm0 for a
		 * float, where address() leaves it) goes in a scratch register
		 * address() leaves alone: rdx, or, as an explicit check takes
		 * rcx and rdx too, the frame's scratch word until the check
		 * is done. */
		if (kept)
			v = j->fa_in;
		else if (d->fa && fl)
			v = XREG;
		else if (d->fa && d->checked)
			x_store64(B, M(RSP, 0), RAX);
		else if (d->fa)
			x_mov_rr(B, true, RDX, RAX);
		at = address(j, OPND(1), ai, OPND(2), OPND(ai ? 4 : 3), m.size, d->checked, NO_REG);
		if (fl && is_xmm(v)) { /* in xmm0 or a local's xmm register */
			sse_mem(j, base == OP_f64_store, true, v - XREG, at);
			return;
		}
		tmp = at.index == RCX ? RDX : RCX;
		if (kept) {
			if (m.size == 1 && v >= RSP && v < R8) /* no byte form without REX */
				x_mov_rr(B, true, v = tmp, j->fa_in);
		} else if (d->fa && d->checked)
			x_load64(B, v = tmp, M(RSP, 0));
		else if (d->fa)
			v = RDX;
		else if (!is_gpr(v) || fl || (m.size == 1 && v >= RSP && v < R8))
			get64(j, v = tmp, vs);
		store_value(j, m, at, v);
		return;
	}
	case J_ONE:
		interp_one(j, ip);
		return;
	default:
		emit_control(j, op, ip);
	}
}

static void emit_stubs(struct jit *j)
{
	for (size_t i = 0; i < j->nstubs; i++) {
		const struct stub *s = &j->stubs[i];

		x_link(B, s->at, B->len);
		switch (s->kind) {
		case STUB_TRAP:
			x_mov_imm(B, RAX, s->trap);
			trap_call(j);
			break;
		case STUB_TRAP_RDX:
			x_mov_rr(B, false, RAX, RDX);
			trap_call(j);
			break;
		default:
			spill_all(j);
			x_store64(B, store_field(offsetof(struct wbpf_store, budget)), R14);
			x_mov_rr(B, true, RDI, RBX);
			call_addr(j, JIT_RELOC_HELPER, JIT_HELPER_REFUEL);
			x_load64(B, R14, store_field(offsetof(struct wbpf_store, budget)));
			x_test_rr(B, false, RAX, RAX);
			size_t ok = x_jcc(B, CC_E);

			trap_call(j);
			x_link(B, ok, B->len);
			reload_all(j);
			if (s->cell == UINT32_MAX)
				x_link(B, x_jmp(B), s->resume);
			else
				add_fix(j, x_jmp(B), B->len, s->cell);
			break;
		}
	}
}

/* Whether the instruction at ip takes an integer operand a from the
 * previous one's result in whatever register it is (fa_in). */
static bool takes_any_reg(const struct jit *j, const wasm_cell *ip)
{
	int op = op_of(j, ip->op);
	const struct jdesc *d = op >= 0 ? &descs[op] : NULL;

	return d && d->fa && !d->fb &&
	       (d->form == J_BR_CMP || d->form == J_BR_CMP_IMM || d->form == J_LOAD ||
		d->form == J_LOAD_AI || op == OP_br_if_fa || op == OP_br_unless_fa ||
		(d->form == J_STORE && d->base != OP_f32_store && d->base != OP_f64_store));
}

/* Whether the instruction at ip branches on the previous result (or
 * selects on the slot it sets in flags_for, else UINT64_MAX). */
static bool branches_on_result(struct jit *j, const wasm_cell *ip)
{
	int op = op_of(j, ip->op);

	j->flags_for = op == OP_select ? ip[4].u64 : UINT64_MAX;
	return op == OP_br_if_fa || op == OP_br_unless_fa || op == OP_select;
}

/* Whether the instruction may jump elsewhere or return. */
static bool leaves_line(int op, const wasm_cell *ip)
{
	return op == OP_ret || op == OP_br_table || branch_target(op, ip);
}

static bool compile_function(struct jit *j, uint32_t defined)
{
	const struct wasm_compiled *code = j->mod->compiled[defined];
	int op;

	j->self = j->mod->nimported_funcs + defined;
	j->code = code;
	j->nfix = j->nstubs = 0;
	j->moves_end = 0;
	j->fa_out = RAX;
	j->cc_out = -1;
	j->cell_pos = malloc((code->ncells + 1) * sizeof(*j->cell_pos));
	if (!j->cell_pos)
		return false;
	if (!assign_registers(j, defined)) {
		free(j->cell_pos);
		return false;
	}
	j->entry[defined] = B->len;
	x_alu_ri(B, true, ALU_SUB, RSP, FRAME_BYTES);
	zero_locals(j);
	enter_registers(j);
	forget_shadow(j);
	for (size_t i = 0; i < code->ncells;) {
		const wasm_cell *ip = code->code + i;
		size_t n = instr_len(j, ip, &op);

		/* Control leaves the straight line: the shadow's slot must
		 * hold its value there. */
		if (j->is_target[i] || leaves_line(op, ip))
			flush_shadow(j);
		j->cell_pos[i] = B->len;
		if (j->is_target[i])
			forget_shadow(j);
		j->next_takes_result = i + n < code->ncells && takes_result(j, ip + n);
		j->next_any_reg = i + n < code->ncells && takes_any_reg(j, ip + n);
		j->fa_in = j->fa_out;
		j->fa_out = RAX;
		/* (not into a branch target: control may come with the
		 * result in its slot) */
		j->next_branches = i + n < code->ncells && !j->is_target[i + n] &&
				   branches_on_result(j, ip + n);
		j->cc_in = j->cc_out;
		j->cc_out = -1;
		if (i + n > j->moves_end) /* once per run of moves: linear */
			j->moves_end = skip_moves(j, i + n);
		j->result_wanted = j->moves_end < code->ncells &&
				   takes_result(j, code->code + j->moves_end);
		emit_instr(j, op, ip);
		for (size_t k = 1; k < n; k++)
			j->cell_pos[i + k] = SIZE_MAX;
		i += n;
	}
	emit_stubs(j);
	for (size_t i = 0; i < j->nfix; i++) {
		size_t to = j->cell_pos[j->fix[i].cell];

		x_patch32(B, j->fix[i].at, (uint32_t)(int32_t)((int64_t)to - (int64_t)j->fix[i].base));
	}
	free(j->cell_pos);
	return !j->oom && !B->oom;
}

/* The interpreter site for the instruction at `cell` of a defined
 * function; NULL if there is none there (a corrupt relocation). */
static struct jit_site *make_site(struct jit *j, uint32_t defined, uint32_t cell)
{
	const struct wasm_compiled *code;
	struct jit_site *s;
	size_t n;
	int op;

	if (defined >= j->mod->nfuncs - j->mod->nimported_funcs)
		return NULL;
	code = j->mod->compiled[defined];
	if (cell >= code->ncells || !(n = instr_len(j, code->code + cell, &op)) ||
	    cell + n > code->ncells || !(s = calloc(1, sizeof(*s) + (n + 1) * sizeof(wasm_cell))))
		return NULL;
	s->code = *code;
	s->code.code = s->cells;
	s->code.ncells = n + 1;
	s->code.native = NULL;
	s->self = j->mod->nimported_funcs + defined;
	memcpy(s->cells, code->code + cell, n * sizeof(wasm_cell));
	s->cells[n].op = wasm_interp_handlers()[OP_ret];
	return s;
}

/* What a relocation refers to in this process (sites are kept in jm). */
static const void *reloc_target(struct jit *j, const struct jit_reloc *r, struct jit_module *jm)
{
	static const void *const helpers[JIT_HELPERS] = {
		[JIT_HELPER_EXIT] = (const void *)wasm_jit_exit,
		[JIT_HELPER_INTERP_ONE] = (const void *)wasm_jit_interp_one,
		[JIT_HELPER_REFUEL] = (const void *)wasm_interp_refuel,
		[JIT_HELPER_FRAMES] = (const void *)wasm_jit_frames,
	};
	struct jit_site *s;

	switch (r->kind) {
	case JIT_RELOC_HELPER:
		return r->a < JIT_HELPERS ? helpers[r->a] : NULL;
	case JIT_RELOC_NUMERIC:
		return r->a < OP_COUNT ? wasm_jit_numeric_fn((enum wasm_op)r->a) : NULL;
	case JIT_RELOC_SITE:
		if (!(s = make_site(j, r->a, r->b)))
			return NULL;
		s->next = jm->sites;
		jm->sites = s;
		return s;
	default:
		return NULL;
	}
}

static void free_sites(struct jit_site *s)
{
	while (s) {
		struct jit_site *next = s->next;

		free(s);
		s = next;
	}
}

/* Copies the image into fresh memory (mmap'd writable), fills in its
 * relocations, then makes it executable and read-only. False if a
 * relocation names nothing this module has. */
static bool install(struct jit *j, const struct jit_image *img, struct jit_module *jm)
{
	size_t len = (img->len + 4095) & ~(size_t)4095;
	/* Populated at once: page by page, the faults cost more than the copy. */
	uint8_t *mem = mmap(NULL, len ? len : 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (mem == MAP_FAILED)
		return false;
	jm->mem = mem;
	jm->size = len ? len : 4096;
	memcpy(mem, img->code, img->len);
	for (uint32_t i = 0; i < img->nrelocs; i++) {
		const struct jit_reloc *r = &img->relocs[i];
		const void *to = r->at <= img->len - 8 && img->len >= 8 ?
				 reloc_target(j, r, jm) : NULL;
		uint64_t v = (uint64_t)(uintptr_t)to;

		if (!to)
			return false;
		memcpy(mem + r->at, &v, 8);
	}
	return !mprotect(mem, jm->size, PROT_READ | PROT_EXEC);
}

static bool build_ops(struct jit *j)
{
	const void *const *h = wasm_interp_handlers();

	j->ops = malloc(OP_COUNT * sizeof(*j->ops));
	if (!j->ops)
		return false;
	for (uint32_t i = 0; i < OP_COUNT; i++)
		j->ops[i] = (struct handler_op){ h[i], i };
	j->nops = OP_COUNT;
	qsort(j->ops, j->nops, sizeof(*j->ops), handler_cmp);
	return true;
}

/* The image's code runs: each function the tier took gets its entry. */
static int start_cmp(const void *a, const void *b)
{
	const struct jit_start *x = a, *y = b;

	return (x->at > y->at) - (x->at < y->at);
}

static int finish(struct jit *j, const struct jit_image *img, bool from_cache,
		  struct wbpf_error *err)
{
	struct wbpf_module *mod = j->mod;
	struct jit_module *jm = calloc(1, sizeof(*jm));

	if (!jm || !install(j, img, jm)) {
		wasm_jit_free(jm);
		return wasm_fail(err, WBPF_ERR_NOMEM, "compiling tier: no executable memory");
	}
	jm->from_cache = from_cache;
	if (!(jm->starts = calloc(img->ndefined + 1, sizeof(*jm->starts)))) {
		wasm_jit_free(jm);
		return wasm_fail(err, WBPF_ERR_NOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < img->ndefined; i++)
		if (img->entry[i] != JIT_NOT_COMPILED)
			jm->starts[jm->ncompiled++] = (struct jit_start){ img->entry[i], i };
	qsort(jm->starts, jm->ncompiled, sizeof(*jm->starts), start_cmp);
	/* The interpreter may be running the module (auto): each entry is
	 * published whole, after the code it points to. */
	__atomic_store_n(&mod->jit, jm, __ATOMIC_RELEASE);
	for (uint32_t i = 0; i < img->ndefined; i++)
		if (img->entry[i] != JIT_NOT_COMPILED)
			__atomic_store_n(&mod->compiled[i]->native, (uint8_t *)jm->mem + img->entry[i],
					 __ATOMIC_RELEASE);
	return 0;
}

/* A cached image fits this module: the same functions compiled (the
 * tier's choice now), every entry inside the code. */
static bool image_fits(const struct jit_image *img, const uint8_t *compiled, uint32_t ndefined)
{
	if (img->ndefined != ndefined)
		return false;
	for (uint32_t i = 0; i < ndefined; i++)
		if ((img->entry[i] != JIT_NOT_COMPILED) != compiled[i] ||
		    (compiled[i] && img->entry[i] >= img->len))
			return false;
	return true;
}

/* Emits every function the tier takes into j->b; entries in `entry`. */
static int emit_module(struct jit *j, const uint8_t *compiled, uint32_t *entry,
		       const struct jit_opts *o, struct wbpf_error *err)
{
	uint32_t ndefined = j->mod->nfuncs - j->mod->nimported_funcs;

	/* The module's trap path, at offset 0, called (trap_call) with the
	 * trap code in eax: records the frame and function that trapped and
	 * the frame records of the calls (while their stack is intact; r12,
	 * the frame, is free for the trap code), then unwinds to the
	 * trampoline. */
	x_load64(&j->b, RCX, M(RBX, offsetof(struct wbpf_store, jit_ctx)));
	x_byte(&j->b, 0x5a); /* pop rdx */
	x_store64(&j->b, M(RCX, offsetof(struct jit_ctx, exit_pc)), RDX);
	x_store64(&j->b, M(RCX, offsetof(struct jit_ctx, exit_sp)), RSP);
	x_mov_rr(&j->b, false, R12, RAX);
	x_mov_rr(&j->b, true, RDI, RBX);
	call_addr(j, JIT_RELOC_HELPER, JIT_HELPER_FRAMES);
	x_mov_rr(&j->b, false, RAX, R12);
	x_load64(&j->b, RCX, M(RBX, offsetof(struct wbpf_store, jit_ctx)));
	x_load64(&j->b, RSP, M(RCX, offsetof(struct jit_ctx, unwind_sp)));
	emit_addr(j, RCX, JIT_RELOC_HELPER, JIT_HELPER_EXIT, 0);
	x_jmp_reg(&j->b, RCX);
	for (uint32_t i = 0; i < ndefined; i++) {
		int rc = wasm_load_interrupted(o->interrupt, err, "compiling function %u to "
					       "machine code", j->mod->nimported_funcs + i);

		if (rc)
			return rc;
		if (o->cancel && atomic_load_explicit(o->cancel, memory_order_relaxed))
			return -ECANCELED;
		if (o->fork_points)
			wasm_jit_fork_point();
		if (compiled[i] && !compile_function(j, i))
			return wasm_fail(err, WBPF_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < j->ncalls; i++)
		x_link(&j->b, j->calls[i].at, j->entry[j->calls[i].func]);
	if (j->oom || j->b.oom || j->b.len > UINT32_MAX)
		return wasm_fail(err, WBPF_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; i < ndefined; i++)
		entry[i] = compiled[i] ? (uint32_t)j->entry[i] : JIT_NOT_COMPILED;
	return 0;
}

/* Installs the cache's entry for this module if it has one that fits and
 * whose relocations all name something of this module; else nonzero,
 * and the module is compiled. */
static int load_cached(struct jit *j, const uint8_t *compiled, const char *dir,
		       const struct jit_cache_key *key)
{
	uint32_t ndefined = j->mod->nfuncs - j->mod->nimported_funcs;
	struct jit_cache_entry e;
	struct wbpf_error ignored;
	int rc = wasm_jit_cache_load(dir, key, &e);

	if (!rc)
		rc = image_fits(&e.img, compiled, ndefined) ? finish(j, &e.img, true, &ignored) :
		     -EBADMSG;
	wasm_jit_cache_release(&e);
	return rc;
}

/* Compiles the module, and offers the code to the cache. */
static int compile_image(struct jit *j, const uint8_t *compiled, const struct jit_opts *o,
			 const struct jit_cache_key *key, struct wbpf_error *err)
{
	uint32_t ndefined = j->mod->nfuncs - j->mod->nimported_funcs;
	struct jit_image img = { .ndefined = ndefined };
	int rc;

	if (!(img.entry = calloc(ndefined + 1, sizeof(*img.entry))))
		return wasm_fail(err, WBPF_ERR_NOMEM, "out of memory");
	rc = emit_module(j, compiled, img.entry, o, err);
	img.code = j->b.p;
	img.len = j->b.len;
	img.relocs = j->relocs;
	img.nrelocs = (uint32_t)j->nrelocs;
	if (!rc)
		rc = finish(j, &img, false, err);
	if (!rc && o->cache_dir)
		wasm_jit_cache_store(o->cache_dir, o->cache_max, key, &img);
	free(img.entry);
	return rc;
}

int wasm_jit_compile_module(struct wbpf_module *mod, const struct jit_opts *opts,
			    struct wbpf_error *err)
{
	struct jit_opts o = *opts;
	uint32_t ndefined = mod->nfuncs - mod->nimported_funcs;
	struct jit j = { .mod = mod };
	struct jit_cache_key key;
	uint8_t *compiled = calloc(ndefined + 1, 1);
	int rc = 0;

	if (o.cache_dir && wasm_jit_cache_key(mod, &key))
		o.cache_dir = NULL;
	j.entry = calloc(ndefined + 1, sizeof(*j.entry));
	j.regs = calloc(NGPR + NXMM, sizeof(*j.regs));
	j.compiled = compiled;
	if (!wasm_jit_available())
		rc = wasm_fail(err, WBPF_ERR_ARG, "the compiling tier needs x86-64");
	else if (!compiled || !j.entry || !j.regs || !build_ops(&j))
		rc = wasm_fail(err, WBPF_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; !rc && i < ndefined; i++)
		compiled[i] = supported(&j, mod->compiled[i]);
	if (!rc && (!o.cache_dir || load_cached(&j, compiled, o.cache_dir, &key)))
		rc = o.cache_only ? -ENOENT : compile_image(&j, compiled, &o, &key, err);
	free(j.b.p);
	free(j.relocs);
	free(j.ops);
	free(j.entry);
	free(j.fix);
	free(j.stubs);
	free(j.calls);
	free(j.regs);
	free(j.is_target);
	free(compiled);
	return rc;
}

void wasm_jit_free(struct jit_module *jm)
{
	if (!jm)
		return;
	if (jm->mem)
		munmap(jm->mem, jm->size);
	free_sites(jm->sites);
	free(jm->starts);
	free(jm);
}
