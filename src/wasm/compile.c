// SPDX-License-Identifier: MIT
/*
 * Function bodies: validated and compiled in one pass into slot-addressed
 * threaded code.
 *
 * The compiler keeps the validator's operand stack, and each entry knows
 * where its value is: in its own canonical slot (locals + height), still
 * in a local (local.get emits nothing), or a constant not yet written.
 * Values are materialised into their canonical slot only when needed: at
 * block boundaries (so every path into a label agrees on where values
 * are), before a local they alias is overwritten, and for calls.
 *
 * Every step is linear in the body's size, whatever its shape: the
 * entries that may still need writing are above a known height, the
 * entries reading each local are chained, and a br_table finds the stub
 * it shares through its label.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/numeric.h"
#include "wasm/ops.h"
#include "wasm/reader.h"
#include "wasm/runtime.h"

enum vkind { V_STACK, V_LOCAL, V_CONST };

/* Type 0 is the validator's "unknown" type of unreachable code. */
#define T_ANY 0

#define NO_ALIAS UINT32_MAX

struct vval { /* 16 bytes: copied at every pop */
	union {
		uint64_t value; /* V_CONST */
		struct {
			uint32_t local;	     /* V_LOCAL: its slot */
			uint32_t next_alias; /* V_LOCAL: the next entry down reading it */
		};
	};
	uint32_t slot;	/* canonical: after the slots of the entries below */
	uint8_t type;
	uint8_t kind;
};

enum ctrl_kind { C_BLOCK, C_LOOP, C_IF, C_ELSE, C_FUNC };

struct ctrl {
	uint8_t kind;
	bool unreachable;	/* the validator's polymorphic stack */
	bool dead;		/* inside code that cannot run: emit nothing */
	uint32_t nparams, nresults;
	const uint8_t *params, *results;
	uint32_t height;	/* operand stack height below the params */
	size_t label;		/* loop: code index of its start */
	size_t fixups;		/* forward branches to resolve at end */
	size_t else_fixup;	/* if: the jump taken when false */
	uint64_t loop_ninstr;	/* instruction count at loop start */
	uint64_t br_table;	/* the br_table (by ninstr) that last named it */
	size_t br_table_stub;	/* ... and that br_table's stub for it */
};

#define NO_FIXUP SIZE_MAX
#define BR_DIRECT (SIZE_MAX - 1) /* br_table_stub: entries jump to the label */

struct fixup {
	size_t cell, next;
};

struct compiler {
	const struct wbpf_module *mod;
	struct wasm_arena **arena; /* the module's, for what compiling makes */
	uint32_t func_idx;
	const struct wasm_functype *type;
	struct wasm_reader r;
	const void *const *handlers;
	struct wbpf_error *err;
	int rc;

	uint32_t nlocals_total; /* params + locals */
	const struct wasm_code *body;
	/* Per local slot, the topmost entry reading it; valid where .func is
	 * the function being compiled plus one (zero: never), so that nothing
	 * is reset between functions. */
	struct alias_head { uint32_t top, func; } *alias;
	size_t alias_cap;
	const atomic_int *interrupt; /* loading stops when set */
	uint32_t *param_slots;	/* a v128 takes two slots */
	size_t param_slots_cap;
	uint32_t locals_base;	/* the first non-param local's slot */
	uint32_t stack_base;	/* the first operand stack slot */

	struct vval *vs;
	uint32_t vs_len;
	uint32_t top_slot; /* the slot of the next entry pushed */
	uint32_t clean; /* entries below are all V_STACK */
	size_t vs_cap;
	struct ctrl *cs;
	uint32_t cs_len;
	size_t cs_cap;

	wasm_cell *code;
	size_t ncode, code_cap;
	size_t *targets; /* cells holding code indices, turned into pointers */
	size_t ntargets, targets_cap;
	struct fixup *fix;
	size_t nfix, fix_cap;
	uint32_t *depths; /* a br_table's labels */
	size_t depths_cap;

	uint32_t max_slots;
	uint64_t ninstr;
	uint64_t work, work_max; /* see charge() */

	/* The last instruction with a result, for fusing it with a following
	 * local.set or br_if: where it starts, its op, its result cell, and
	 * where it ends (last_end != ncode once anything else is emitted). */
	size_t last_start;
	enum wasm_op last_op;
	size_t last_dst_cell;
	size_t last_end;
	bool last_acc; /* its result is also in the accumulator register */

	size_t last_copy_end; /* where the last copy ends, to pair copies */
	size_t barrier;	      /* a jump target: nothing merges across it */
};

static const uint8_t valtype_of[256] = {
	[WBPF_I32] = WBPF_I32, [WBPF_I64] = WBPF_I64, [WBPF_F32] = WBPF_F32,
	[WBPF_F64] = WBPF_F64, [WBPF_V128] = WBPF_V128, [WBPF_FUNCREF] = WBPF_FUNCREF,
	[WBPF_EXTERNREF] = WBPF_EXTERNREF,
};

/* --------------------------------------------------------------- errors */

static bool fail(struct compiler *c, enum wbpf_error_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool fail(struct compiler *c, enum wbpf_error_kind kind, const char *fmt, ...)
{
	char what[512], name[128];
	va_list ap;

	if (c->rc)
		return false;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	c->rc = wasm_fail(c->err, kind, "%s: function '%s' at offset 0x%zx: %s",
			  kind == WBPF_ERR_MALFORMED ? "malformed" : "invalid",
			  wasm_func_name(c->mod, c->func_idx, name, sizeof(name)), rd_offset(&c->r), what);
	return false;
}

#define INVALID(c, ...) fail(c, WBPF_ERR_INVALID, __VA_ARGS__)

static bool reader_ok(struct compiler *c)
{
	if (c->r.error)
		return fail(c, WBPF_ERR_MALFORMED, "%s", c->r.error);
	return !c->rc;
}

/* Work per function is bounded by its size: what an instruction does
 * beyond a constant amount is charged, values checked or pushed by the
 * count (block types, branches, calls, returns); the code emitted follows
 * from them. Ordinary code needs a few units a byte; only long runs of
 * blocks or branches carrying hundreds of values each come near the
 * bound, which keeps their time and code size linear too. */
#define WORK_PER_BYTE 64u
#define WORK_SLACK 65536u

static __attribute__((noinline)) bool work_exceeded(struct compiler *c)
{
	return INVALID(c, "limit exceeded: compile work (values pushed or checked, code "
		       "emitted): more than %u per byte of the body plus %u", WORK_PER_BYTE,
		       WORK_SLACK);
}

/* charge, grow and emit_cell run several times per instruction: their
 * common case is kept inline, the rest out of the way. */
static inline bool charge(struct compiler *c, uint64_t units)
{
	c->work += units;
	if (__builtin_expect(c->work <= c->work_max, 1))
		return true;
	return work_exceeded(c);
}

static __attribute__((noinline)) bool grow_slow(void **buf, size_t *cap, size_t need,
						 size_t elem, struct compiler *c)
{
	size_t ncap = *cap ? *cap * 2 : 64;

	while (ncap < need)
		ncap *= 2;
	void *p = wasm_bigbuf_realloc(*buf, *cap * elem, ncap * elem);

	if (!p)
		return fail(c, WBPF_ERR_NOMEM, "out of memory");
	*buf = p;
	*cap = ncap;
	return true;
}

static inline bool grow(void **buf, size_t *cap, size_t need, size_t elem, struct compiler *c)
{
	return __builtin_expect(need <= *cap, 1) || grow_slow(buf, cap, need, elem, c);
}

/* ----------------------------------------------------------------- code */

static bool dead(const struct compiler *c)
{
	const struct ctrl *f = &c->cs[c->cs_len - 1];

	return f->unreachable || f->dead;
}

/* Sets a branch target cell emitted earlier (it may be missing after an
 * error). A target here means no instruction may merge across it. */
static void patch(struct compiler *c, size_t cell, uint64_t value)
{
	if (cell < c->ncode)
		c->code[cell].u64 = value;
	if (value == c->ncode)
		c->barrier = c->ncode;
}

/* Cells emitted after an error are harmless: the code is dropped. */
static inline void emit_cell(struct compiler *c, wasm_cell cell)
{
	if (grow((void **)&c->code, &c->code_cap, c->ncode + 1, sizeof(*c->code), c))
		c->code[c->ncode++] = cell;
}

static void emit_op(struct compiler *c, enum wasm_op op)
{
	emit_cell(c, (wasm_cell){ .op = c->handlers[op] });
}

/* The commonest shape, an op and two operands, with one room check. */
static inline void emit_op2(struct compiler *c, enum wasm_op op, uint64_t a, uint64_t b)
{
	if (!grow((void **)&c->code, &c->code_cap, c->ncode + 3, sizeof(*c->code), c))
		return;
	wasm_cell *p = c->code + c->ncode;

	p[0].op = c->handlers[op];
	p[1].u64 = a;
	p[2].u64 = b;
	c->ncode += 3;
}

static void emit_u(struct compiler *c, uint64_t v)
{
	emit_cell(c, (wasm_cell){ .u64 = v });
}

/* A cell that will hold the code index `target` (pointer once final). */
static size_t emit_target(struct compiler *c, size_t target)
{
	size_t cell = c->ncode;

	emit_u(c, target);
	if (!c->rc && grow((void **)&c->targets, &c->targets_cap, c->ntargets + 1,
			   sizeof(*c->targets), c))
		c->targets[c->ntargets++] = cell;
	return cell;
}

/* An instruction whose first operand is a result slot: remembered so that
 * a following local.set can redirect the result into the local. */
static void emit_result_op(struct compiler *c, enum wasm_op op, uint32_t dst)
{
	c->last_start = c->ncode;
	c->last_op = op;
	c->last_acc = false;
	emit_op(c, op);
	c->last_dst_cell = c->ncode;
	emit_u(c, dst);
}

static void end_result_op(struct compiler *c)
{
	c->last_end = c->ncode;
}

static void note_slots(struct compiler *c, uint64_t n)
{
	if (n > c->max_slots)
		c->max_slots = (uint32_t)n;
}

/* ---------------------------------------------------------- value stack */

/* The slot of the entry at height h (up to the stack's length). */
static uint32_t slot_of_height(const struct compiler *c, uint32_t h)
{
	if (h == 0)
		return c->stack_base;
	return c->vs[h - 1].slot + wasm_type_slots(c->vs[h - 1].type);
}

static uint32_t alias_top(const struct compiler *c, uint32_t slot)
{
	return c->alias[slot].func == c->func_idx + 1 ? c->alias[slot].top : NO_ALIAS;
}

static __attribute__((noinline)) bool grow_stack(struct compiler *c)
{
	if (!grow_slow((void **)&c->vs, &c->vs_cap, c->vs_len + 1, sizeof(*c->vs), c))
		return false;
	if (c->vs_cap > UINT32_MAX / 2)
		return fail(c, WBPF_ERR_NOMEM, "operand stack too deep");
	return true;
}

/* Runs once or twice per instruction: the charge for values pushed is
 * taken by the callers pushing more than that (push_types). */
static inline bool push(struct compiler *c, uint8_t type, uint8_t kind, uint32_t local,
			uint64_t value)
{
	if (__builtin_expect(c->vs_len >= c->vs_cap, 0) && !grow_stack(c))
		return false;
	uint32_t slot = c->top_slot;
	struct vval *v = &c->vs[c->vs_len];

	v->value = value;
	if (kind == V_LOCAL) {
		v->local = local;
		v->next_alias = alias_top(c, local);
		c->alias[local] = (struct alias_head){ c->vs_len, c->func_idx + 1 };
	}
	if (kind != V_STACK && c->clean > c->vs_len)
		c->clean = c->vs_len;
	v->slot = slot;
	v->type = type;
	v->kind = kind;
	c->vs_len++;
	c->top_slot = slot + wasm_type_slots(type);
	if (c->top_slot > c->max_slots)
		c->max_slots = c->top_slot;
	return true;
}

/* Entry i no longer reads its local. Entries leave the chains from the
 * top (pops, and writes walking down), so i is the chain's head. */
static inline void unalias(struct compiler *c, uint32_t i)
{
	const struct vval *v = &c->vs[i];

	if (v->kind == V_LOCAL && alias_top(c, v->local) == i)
		c->alias[v->local].top = v->next_alias;
}

static void truncate_stack(struct compiler *c, uint32_t len)
{
	if (c->vs_len <= len)
		return;
	while (c->vs_len > len)
		unalias(c, --c->vs_len);
	c->top_slot = c->vs[len].slot;
}

/* Pushes a computed result and returns its slot. */
static uint32_t push_result(struct compiler *c, uint8_t type)
{
	push(c, type, V_STACK, 0, 0);
	return slot_of_height(c, c->vs_len - 1);
}

/* Sets slot dst to a constant or to slot src. Two copies in a row become
 * one copy2: a dispatch saved where values are shuffled. */
static void emit_move(struct compiler *c, uint32_t dst, bool constant, uint64_t v)
{
	enum wasm_op op = OP_copy;

	if (constant) {
		op = OP_const64;
	} else if (c->last_copy_end == c->ncode && c->barrier != c->ncode) {
		c->code[c->ncode - 3].op = c->handlers[OP_copy2];
		c->last_copy_end = SIZE_MAX;
		emit_u(c, dst);
		emit_u(c, v);
		return;
	} else {
		c->last_copy_end = c->ncode + 3;
	}
	emit_op2(c, op, dst, v);
}

/* A move of a value of `type` from slot src (two slots for a v128). */
static void emit_slot_move(struct compiler *c, uint32_t dst, uint32_t src, uint8_t type)
{
	if (type != WBPF_V128) {
		emit_move(c, dst, false, src);
		return;
	}
	emit_op(c, OP_copy_v128);
	emit_u(c, dst);
	emit_u(c, src);
}

/* The move that gives entry v its value in slot dst. */
static void emit_entry_move(struct compiler *c, uint32_t dst, const struct vval *v, uint32_t home)
{
	if (v->kind == V_CONST)
		emit_move(c, dst, true, v->value);
	else
		emit_slot_move(c, dst, v->kind == V_LOCAL ? v->local : home, v->type);
}

/* Writes entry i into its canonical slot. */
static __attribute__((noinline)) void materialize_slow(struct compiler *c, uint32_t i)
{
	struct vval *v = &c->vs[i];

	if (!dead(c))
		emit_entry_move(c, slot_of_height(c, i), v, 0);
	unalias(c, i);
	v->kind = V_STACK;
}

static inline void materialize(struct compiler *c, uint32_t i)
{
	if (c->vs[i].kind != V_STACK)
		materialize_slow(c, i);
}

static void materialize_all(struct compiler *c)
{
	for (uint32_t i = c->vs_len; i-- > c->clean;)
		materialize(c, i);
	c->clean = c->vs_len;
}

static bool type_matches(uint8_t have, uint8_t want)
{
	return have == want || have == T_ANY || want == T_ANY;
}

/* Pops a value of type `want` (T_ANY: any). Returns the entry (copied). */
static __attribute__((noinline)) bool pop_empty(struct compiler *c, const struct ctrl *f,
						 uint8_t want, struct vval *out)
{
	if (f->unreachable) {
		*out = (struct vval){ .type = want, .kind = V_STACK };
		return true;
	}
	return INVALID(c, "type mismatch: expected %s but the operand stack is empty",
		       wbpf_valtype__str(want));
}

static __attribute__((noinline)) bool pop_mismatch(struct compiler *c, uint8_t want, uint8_t have)
{
	return INVALID(c, "type mismatch: expected %s, got %s", wbpf_valtype__str(want),
		       wbpf_valtype__str(have));
}

static inline bool pop_entry(struct compiler *c, uint8_t want, struct vval *out)
{
	const struct ctrl *f = &c->cs[c->cs_len - 1];

	if (__builtin_expect(c->vs_len == f->height, 0))
		return pop_empty(c, f, want, out);
	const struct vval *v = &c->vs[--c->vs_len];

	*out = *v;
	c->top_slot = v->slot;
	unalias(c, c->vs_len);
	if (__builtin_expect(!type_matches(v->type, want), 0))
		return pop_mismatch(c, want, v->type);
	return true;
}

/* Pops an operand and returns the slot holding it (constants are written
 * into their canonical slot first). */
static inline uint32_t pop_slot(struct compiler *c, uint8_t want, uint8_t *type)
{
	struct vval v;
	uint32_t h = c->vs_len;

	if (!pop_entry(c, want, &v))
		return 0;
	if (type)
		*type = v.type;
	if (h == c->vs_len) /* polymorphic: nothing was there */
		return 0;
	if (v.kind == V_LOCAL)
		return v.local;
	if (v.kind == V_CONST && !dead(c))
		emit_op2(c, OP_const64, c->top_slot, v.value);
	return c->top_slot; /* the popped entry's */
}

/* Checks and pops the given types (last on top); they must be in their
 * canonical slots afterwards. Returns the height of the first. */
static uint32_t pop_types_checked(struct compiler *c, const uint8_t *types, uint32_t n)
{
	struct ctrl *f = &c->cs[c->cs_len - 1];

	if (!charge(c, n))
		return 0;
	for (uint32_t i = n; i-- > 0;) {
		uint32_t depth = n - 1 - i;

		if (c->vs_len > f->height + depth) {
			uint32_t idx = c->vs_len - 1 - depth;

			if (!type_matches(c->vs[idx].type, types[i]))
				return INVALID(c, "type mismatch: expected %s, got %s",
					       wbpf_valtype__str(types[i]), wbpf_valtype__str(c->vs[idx].type));
			materialize(c, idx);
		} else if (!f->unreachable) {
			return INVALID(c, "type mismatch: expected %s but the operand stack is empty",
				       wbpf_valtype__str(types[i]));
		}
	}
	uint32_t avail = c->vs_len - f->height;

	truncate_stack(c, c->vs_len - (n < avail ? n : avail));
	return c->vs_len;
}

static inline __attribute__((always_inline)) uint32_t
pop_types_materialized(struct compiler *c, const uint8_t *types, uint32_t n)
{
	return n ? pop_types_checked(c, types, n) : c->vs_len; /* none: most blocks */
}

static inline void push_types(struct compiler *c, const uint8_t *types, uint32_t n)
{
	if (n == 0 || !charge(c, n))
		return;
	for (uint32_t i = 0; i < n; i++)
		push(c, types[i], V_STACK, 0, 0);
}

/* Before `local` is overwritten, values still reading it get their own copy. */
static void detach_local(struct compiler *c, uint32_t local)
{
	while (alias_top(c, local) != NO_ALIAS)
		materialize(c, alias_top(c, local));
}

/* ------------------------------------------------------------- control */

static bool push_ctrl(struct compiler *c, uint8_t kind, const uint8_t *params, uint32_t np,
		      const uint8_t *results, uint32_t nr)
{
	if (!grow((void **)&c->cs, &c->cs_cap, c->cs_len + 1, sizeof(*c->cs), c))
		return false;
	if (c->cs_len > WASM_MAX_NESTING)
		return INVALID(c, "limit exceeded: nested blocks: %u, more than the engine's "
			       "limit of %u", c->cs_len, WASM_MAX_NESTING);
	bool dead_code = c->cs_len ? dead(c) : false;

	c->cs[c->cs_len++] = (struct ctrl){
		.kind = kind, .dead = dead_code, .nparams = np, .nresults = nr,
		.params = params, .results = results, .height = c->vs_len - np,
		.label = c->ncode, .fixups = NO_FIXUP, .else_fixup = NO_FIXUP,
		.loop_ninstr = c->ninstr,
	};
	c->barrier = c->ncode; /* a loop's start is a target */
	return true;
}

static void mark_unreachable(struct compiler *c)
{
	struct ctrl *f = &c->cs[c->cs_len - 1];

	truncate_stack(c, f->height);
	f->unreachable = true;
}

static void add_fixup(struct compiler *c, struct ctrl *f, size_t cell)
{
	if (!grow((void **)&c->fix, &c->fix_cap, c->nfix + 1, sizeof(*c->fix), c))
		return;
	c->fix[c->nfix] = (struct fixup){ cell, f->fixups };
	f->fixups = c->nfix++;
}

/* Binds the forward branches of `f` to the current position. */
static void place_label(struct compiler *c, struct ctrl *f)
{
	for (size_t i = f->fixups; i != NO_FIXUP; i = c->fix[i].next)
		patch(c, c->fix[i].cell, c->ncode);
	f->fixups = NO_FIXUP;
	c->last_end = SIZE_MAX; /* no fusion across a label */
}

static uint32_t label_arity(const struct ctrl *f)
{
	return f->kind == C_LOOP ? f->nparams : f->nresults;
}

static const uint8_t *label_types(const struct ctrl *f)
{
	return f->kind == C_LOOP ? f->params : f->results;
}

/* Checks that the top of the stack fits the label, without popping. */
static bool check_label_operands(struct compiler *c, const struct ctrl *f)
{
	struct ctrl *cur = &c->cs[c->cs_len - 1];
	uint32_t n = label_arity(f);
	const uint8_t *types = label_types(f);

	if (!charge(c, n))
		return false;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t depth = n - 1 - i;

		if (c->vs_len > cur->height + depth) {
			uint8_t have = c->vs[c->vs_len - 1 - depth].type;

			if (!type_matches(have, types[i]))
				return INVALID(c, "type mismatch: branch expects %s, got %s",
					       wbpf_valtype__str(types[i]), wbpf_valtype__str(have));
		} else if (!cur->unreachable) {
			return INVALID(c, "type mismatch: branch expects %u values", n);
		}
	}
	return true;
}

/* Would a branch to `f` need to move values? */
static bool branch_needs_moves(const struct compiler *c, const struct ctrl *f)
{
	uint32_t n = label_arity(f);

	for (uint32_t i = 0; i < n; i++) {
		uint32_t idx = c->vs_len - n + i;
		const struct vval *v = &c->vs[idx];

		if (v->kind != V_STACK || idx != f->height + i)
			return true;
	}
	return false;
}

/* Copies the branch values into the label's slots. Ascending order is
 * safe: each source sits at or above its destination. */
static void emit_branch_moves(struct compiler *c, const struct ctrl *f)
{
	uint32_t n = label_arity(f), dst = slot_of_height(c, f->height);

	for (uint32_t i = 0; i < n; dst += wasm_type_slots(label_types(f)[i]), i++) {
		uint32_t idx = c->vs_len - n + i;
		const struct vval *v = &c->vs[idx];

		if (v->kind == V_STACK && idx == f->height + i)
			continue;
		emit_entry_move(c, dst, v, slot_of_height(c, idx));
	}
}

/* Results go to the frame's first slots, where the caller expects them.
 * With several results, each is first copied to its canonical slot (which
 * is above every destination), so no copy overwrites a later source. This
 * may run on a conditional path: the compiler's view is left unchanged. */
static void emit_return(struct compiler *c)
{
	uint32_t n = c->type->nresults, first = c->vs_len - n;

	/* A single result computed just now is written straight to slot 0. */
	if (n == 1 && c->vs[first].kind == V_STACK && c->last_end == c->ncode &&
	    c->last_dst_cell < c->ncode &&
	    c->code[c->last_dst_cell].u64 == slot_of_height(c, first)) {
		c->code[c->last_dst_cell].u64 = 0;
		emit_op(c, OP_ret);
		return;
	}

	for (uint32_t i = 0; i < n; i++) {
		const struct vval *v = &c->vs[first + i];
		uint32_t home = slot_of_height(c, first + i);
		uint32_t dst = n > 1 ? home : i;

		if (v->kind != V_CONST && (v->kind == V_LOCAL ? v->local : home) == dst)
			continue;
		emit_entry_move(c, dst, v, home);
	}
	const uint8_t *types = wasm_results(c->type);

	for (uint32_t i = 0, dst = 0; n > 1 && i < n; dst += wasm_type_slots(types[i]), i++)
		if (slot_of_height(c, first + i) != dst)
			emit_slot_move(c, dst, slot_of_height(c, first + i), types[i]);
	emit_op(c, OP_ret);
}

/* Fuel charged on a back-edge: the loop body's length so far. */
static uint64_t branch_cost(const struct compiler *c, const struct ctrl *f)
{
	return f->kind == C_LOOP ? c->ninstr - f->loop_ninstr + 1 : 0;
}

/* The target and cost cells of a branch to `f`. */
static void emit_label_target(struct compiler *c, struct ctrl *f)
{
	size_t cell = emit_target(c, f->kind == C_LOOP ? f->label : 0);

	emit_u(c, branch_cost(c, f));
	if (f->kind != C_LOOP)
		add_fixup(c, f, cell);
}

/* A popped i32 condition, and whether the compare that computed it was
 * the last instruction emitted (then the branch can absorb it). */
struct cond {
	uint32_t slot;
	bool fusable; /* computed by a compare just before */
	bool fa;      /* computed just before, in the accumulator */
	size_t at;
};

/* Integer compares in their four forms (operands from slots or the
 * accumulator, second operand an immediate or not). */
static bool cmp_form(enum wasm_op op, enum wasm_op *base, bool *imm, bool *fa)
{
	static const enum wasm_op firsts[4] = { OP_i32_eq, OP_i32_eq_imm, OP_i32_eq_fa,
						OP_i32_eq_imm_fa };

	for (int f = 0; f < 4; f++) {
		if (op >= firsts[f] && op <= firsts[f] + (OP_i64_ge_u - OP_i32_eq)) {
			*base = OP_i32_eq + (op - firsts[f]);
			*imm = f & 1;
			*fa = f >> 1;
			return true;
		}
	}
	return false;
}

static bool fusable_op(enum wasm_op op)
{
	enum wasm_op base;
	bool imm, fa;

	return op == OP_i32_eqz || op == OP_i32_eqz_fa || cmp_form(op, &base, &imm, &fa);
}

/* Is entry i the result of the instruction just emitted (in its stack
 * slot, or in the local a local.set/tee redirected it to), so that it is
 * also in the accumulator? */
static bool in_acc(const struct compiler *c, uint32_t i)
{
	if (i >= c->vs_len || i < c->cs[c->cs_len - 1].height || !c->last_acc ||
	    c->last_end != c->ncode || c->last_dst_cell >= c->ncode)
		return false;
	uint64_t dst = c->code[c->last_dst_cell].u64;

	return (c->vs[i].kind == V_STACK && dst == slot_of_height(c, i)) ||
	       (c->vs[i].kind == V_LOCAL && dst == c->vs[i].local);
}

/* ... and that instruction can be taken back: nothing else needs it. */
static bool in_acc_only(const struct compiler *c, uint32_t i)
{
	return in_acc(c, i) && c->vs[i].kind == V_STACK;
}

static struct cond pop_cond(struct compiler *c)
{
	struct cond k = { 0 };
	uint32_t top = c->vs_len - 1;

	k.fusable = c->vs_len > c->cs[c->cs_len - 1].height && c->vs[top].kind == V_STACK &&
		    c->last_end == c->ncode && c->last_dst_cell < c->ncode &&
		    c->code[c->last_dst_cell].u64 == slot_of_height(c, top) && fusable_op(c->last_op);
	k.fa = in_acc(c, top);
	k.slot = pop_slot(c, WBPF_I32, NULL);
	k.at = c->ncode;
	return k;
}

static enum wasm_op negate_cmp(enum wasm_op op)
{
	static const enum wasm_op pairs[][2] = {
		{ OP_i32_eq, OP_i32_ne }, { OP_i32_lt_s, OP_i32_ge_s }, { OP_i32_lt_u, OP_i32_ge_u },
		{ OP_i32_gt_s, OP_i32_le_s }, { OP_i32_gt_u, OP_i32_le_u },
		{ OP_i64_eq, OP_i64_ne }, { OP_i64_lt_s, OP_i64_ge_s }, { OP_i64_lt_u, OP_i64_ge_u },
		{ OP_i64_gt_s, OP_i64_le_s }, { OP_i64_gt_u, OP_i64_le_u },
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (pairs[i][0] == op)
			return pairs[i][1];
		if (pairs[i][1] == op)
			return pairs[i][0];
	}
	return op;
}

/* Emits a branch taken when the condition equals `when`, up to but not
 * including its target cell. A compare just before is folded in. */
static void emit_cond_op(struct compiler *c, const struct cond *k, bool when)
{
	if (!k->fusable || k->at != c->ncode) {
		bool fa = k->fa && k->at == c->ncode;

		emit_op(c, fa ? (when ? OP_br_if_fa : OP_br_unless_fa) : (when ? OP_br_if : OP_br_unless));
		emit_u(c, k->slot);
		return;
	}
	enum wasm_op op = c->last_op;
	uint64_t a = c->code[c->last_start + 2].u64;

	/* Branching on eqz is branching the other way on its operand. */
	if (op == OP_i32_eqz || op == OP_i32_eqz_fa) {
		bool fa = op == OP_i32_eqz_fa;

		c->ncode = c->last_start;
		c->last_end = SIZE_MAX;
		emit_op(c, when ? (fa ? OP_br_unless_fa : OP_br_unless) : (fa ? OP_br_if_fa : OP_br_if));
		emit_u(c, a);
		return;
	}
	uint64_t b = c->code[c->last_start + 3].u64;

	enum wasm_op base;
	bool imm, fa;

	cmp_form(op, &base, &imm, &fa);
	c->ncode = c->last_start;
	c->last_end = SIZE_MAX;
	if (!when)
		base = negate_cmp(base);
	emit_op(c, (fa ? OP_br_if_i32_eq_fa : OP_br_if_i32_eq) + 2 * (base - OP_i32_eq) + imm);
	emit_u(c, a);
	emit_u(c, b);
}

/* A conditional forward branch to be patched; returns its target cell. */
static size_t emit_cond_forward(struct compiler *c, const struct cond *k, bool when)
{
	emit_cond_op(c, k, when);
	size_t cell = emit_target(c, 0);

	emit_u(c, 0);
	return cell;
}

/* An unconditional jump to `f`, values moved. */
static void emit_jump(struct compiler *c, struct ctrl *f)
{
	if (f->kind == C_FUNC) {
		emit_return(c);
		return;
	}
	emit_branch_moves(c, f);
	emit_op(c, OP_br);
	emit_label_target(c, f);
}

static struct ctrl *label_at(struct compiler *c, uint32_t depth)
{
	if (depth >= c->cs_len) {
		INVALID(c, "unknown label %u", depth);
		return NULL;
	}
	return &c->cs[c->cs_len - 1 - depth];
}

static void op_br(struct compiler *c, uint32_t depth)
{
	struct ctrl *f = label_at(c, depth);

	if (!f || !check_label_operands(c, f))
		return;
	if (!dead(c))
		emit_jump(c, f);
	mark_unreachable(c);
}

static void op_br_if(struct compiler *c, uint32_t depth)
{
	struct cond cond = pop_cond(c);
	struct ctrl *f = label_at(c, depth);

	if (!f || !check_label_operands(c, f))
		return;
	if (c->cs[c->cs_len - 1].unreachable) {
		/* The values left are typed as the label's, even when the
		 * polymorphic stack supplied them. */
		uint32_t n = label_arity(f);

		pop_types_materialized(c, label_types(f), n);
		push_types(c, label_types(f), n);
	}
	if (dead(c))
		return;
	if (f->kind != C_FUNC && !branch_needs_moves(c, f)) {
		emit_cond_op(c, &cond, true);
		emit_label_target(c, f);
		return;
	}
	/* Values to move, or a return: skip over an unconditional jump. */
	size_t skip = emit_cond_forward(c, &cond, false);

	emit_jump(c, f);
	patch(c, skip, c->ncode);
	c->last_end = SIZE_MAX;
}

static void op_br_table(struct compiler *c)
{
	uint32_t n;
	uint32_t *depths;

	if (!rd_u32(&c->r, &n) || !reader_ok(c))
		return;
	if (n >= WASM_MAX_BR_TABLE)
		return (void)INVALID(c, "limit exceeded: br_table labels: %llu, more than the "
				     "engine's limit of %u", n + 1ull, WASM_MAX_BR_TABLE);
	if (n > (uint32_t)(c->r.end - c->r.p))
		return (void)fail(c, WBPF_ERR_MALFORMED, "unexpected end");
	if (!grow((void **)&c->depths, &c->depths_cap, (size_t)n + 1, sizeof(*c->depths), c))
		return;
	depths = c->depths;
	for (uint32_t i = 0; i <= n && rd_u32(&c->r, &depths[i]); i++)
		;
	uint32_t key = pop_slot(c, WBPF_I32, NULL);

	if (!reader_ok(c))
		return;
	struct ctrl *def = label_at(c, depths[n]);

	if (!def)
		return;
	/* Each label is checked once, however often it is named. */
	for (uint32_t i = 0; i <= n; i++) {
		struct ctrl *f = label_at(c, depths[i]);

		if (!f)
			return;
		if (label_arity(f) != label_arity(def))
			return (void)INVALID(c, "type mismatch: br_table labels differ in arity");
		if (f->br_table == c->ninstr)
			continue;
		if (!check_label_operands(c, f))
			return;
		f->br_table = c->ninstr;
		f->br_table_stub = SIZE_MAX;
	}
	if (!dead(c)) {
		emit_op(c, OP_br_table);
		emit_u(c, key);
		emit_u(c, n);
		size_t first = c->ncode;

		/* Room for all the entries at once: one check, not one per entry. */
		if (!grow((void **)&c->code, &c->code_cap, first + n + 1, sizeof(*c->code), c) ||
		    !grow((void **)&c->targets, &c->targets_cap, c->ntargets + n + 1,
			  sizeof(*c->targets), c))
			return;
		for (uint32_t i = 0; i <= n; i++) {
			c->code[first + i].u64 = 0;
			c->targets[c->ntargets++] = first + i;
		}
		c->ncode = first + n + 1;
		/* Direct entries for plain forward labels, stubs otherwise. */
		for (uint32_t i = 0; i <= n && !c->rc; i++) {
			struct ctrl *f = label_at(c, depths[i]);

			if (f->br_table_stub == SIZE_MAX &&
			    (f->kind == C_BLOCK || f->kind == C_IF || f->kind == C_ELSE) &&
			    !branch_needs_moves(c, f))
				f->br_table_stub = BR_DIRECT;
			if (f->br_table_stub == BR_DIRECT) {
				add_fixup(c, f, first + i);
				continue;
			}
			if (f->br_table_stub != SIZE_MAX) { /* shared with an earlier entry */
				patch(c, first + i, f->br_table_stub);
				continue;
			}
			f->br_table_stub = c->ncode;
			patch(c, first + i, c->ncode);
			emit_jump(c, f);
		}
	}
	mark_unreachable(c);
}

/* Block types: empty, one value type, or a type index (s33). */
static bool read_blocktype(struct compiler *c, const uint8_t **params, uint32_t *np,
			   const uint8_t **results, uint32_t *nr)
{
	uint64_t v;

	*np = *nr = 0;
	*params = *results = NULL;
	if (c->r.p < c->r.end && *c->r.p == 0x40) {
		c->r.p++;
		return true;
	}
	if (c->r.p < c->r.end && valtype_of[*c->r.p] && (*c->r.p & 0x40)) {
		*results = &valtype_of[*c->r.p++];
		*nr = 1;
		return true;
	}
	if (!rd_leb(&c->r, 33, true, &v))
		return reader_ok(c);
	if ((int64_t)v < 0 || v >= c->mod->ntypes)
		return INVALID(c, "unknown type %lld", (long long)(int64_t)v);
	const struct wasm_functype *ft = &c->mod->types[v];

	*params = ft->types;
	*np = ft->nparams;
	*results = wasm_results(ft);
	*nr = ft->nresults;
	return true;
}

static void op_block(struct compiler *c, uint8_t kind)
{
	const uint8_t *params, *results;
	uint32_t np, nr;
	struct cond cond = { 0 };

	if (!read_blocktype(c, &params, &np, &results, &nr))
		return;
	if (kind == C_IF)
		cond = pop_cond(c);
	/* Check the params are there, then give every value its slot. */
	uint32_t base = pop_types_materialized(c, params, np);

	(void)base;
	push_types(c, params, np);
	materialize_all(c);
	if (!push_ctrl(c, kind, params, np, results, nr))
		return;
	c->last_end = SIZE_MAX;
	if (kind == C_IF && !dead(c))
		c->cs[c->cs_len - 1].else_fixup = emit_cond_forward(c, &cond, false);
}

/* Checks the results of the innermost block and leaves them in place. */
static bool close_block_stack(struct compiler *c, struct ctrl *f)
{
	pop_types_materialized(c, f->results, f->nresults);
	if (c->rc)
		return false;
	if (c->vs_len != f->height)
		return INVALID(c, "type mismatch: %u values left on the block's stack",
			       c->vs_len - f->height);
	return true;
}

static void op_else(struct compiler *c)
{
	struct ctrl *f = &c->cs[c->cs_len - 1];

	if (f->kind != C_IF)
		return (void)fail(c, WBPF_ERR_MALFORMED, "else without if");
	if (!close_block_stack(c, f))
		return;
	if (!dead(c)) {
		emit_op(c, OP_br);
		emit_label_target(c, f);
	}
	if (f->else_fixup != NO_FIXUP)
		patch(c, f->else_fixup, c->ncode);
	f->else_fixup = NO_FIXUP;
	f->kind = C_ELSE;
	f->unreachable = false;
	c->last_end = SIZE_MAX;
	push_types(c, f->params, f->nparams);
}

/* Returns true when the function's final end was reached. */
static bool op_end(struct compiler *c)
{
	struct ctrl *f = &c->cs[c->cs_len - 1];

	if (f->kind == C_FUNC) {
		/* Results go straight to the return slots: no detour through
		 * their stack slots first. */
		uint32_t have = c->vs_len - f->height;

		if (!check_label_operands(c, f))
			return false;
		if (have > f->nresults || (!f->unreachable && have != f->nresults))
			return INVALID(c, "type mismatch: %u values left on the function's stack",
				       have);
		if (!dead(c))
			emit_return(c);
		c->cs_len--;
		return true;
	}
	if (!close_block_stack(c, f))
		return false;
	if (f->kind == C_IF) {
		/* No else: the false path must turn params into results. */
		if (f->nparams != f->nresults ||
		    (f->nparams && memcmp(f->params, f->results, f->nparams)))
			return INVALID(c, "type mismatch: if without else must not change types");
		if (f->else_fixup != NO_FIXUP)
			patch(c, f->else_fixup, c->ncode);
	}
	place_label(c, f);
	c->cs_len--;
	push_types(c, f->results, f->nresults);
	return false;
}

/* ------------------------------------------------------- instructions */

static uint32_t local_type(struct compiler *c, uint32_t idx, uint8_t *type)
{
	if (idx >= c->nlocals_total) {
		INVALID(c, "unknown local %u", idx);
		return 0;
	}
	if (idx < c->type->nparams) {
		*type = c->type->types[idx];
		return c->param_slots[idx];
	}
	/* The run holding it: the last that starts at or before it. */
	const struct wasm_local_run *runs = c->body->runs;
	uint32_t k = idx - c->type->nparams, lo = 0, hi = c->body->nruns - 1;

	while (lo < hi) {
		uint32_t mid = hi - (hi - lo) / 2;

		if (runs[mid].start <= k)
			lo = mid;
		else
			hi = mid - 1;
	}
	*type = runs[lo].type;
	return c->locals_base + runs[lo].slot + (k - runs[lo].start) * wasm_type_slots(*type);
}

static void op_local_get(struct compiler *c)
{
	uint32_t idx;
	uint8_t type;

	if (!rd_u32(&c->r, &idx) || !reader_ok(c))
		return;
	uint32_t slot = local_type(c, idx, &type);

	if (!c->rc)
		push(c, type, V_LOCAL, slot, 0);
}

/* The value on top goes into `local`; when the instruction just emitted
 * computed it, that instruction writes the local directly. */
static void op_local_set(struct compiler *c, bool tee)
{
	uint32_t idx;
	uint8_t type;

	if (!rd_u32(&c->r, &idx) || !reader_ok(c))
		return;
	uint32_t slot = local_type(c, idx, &type);

	if (c->rc)
		return;
	uint32_t h = c->vs_len;
	struct vval top;

	if (!pop_entry(c, type, &top))
		return;
	if (dead(c)) {
		if (tee)
			push(c, type, V_STACK, 0, 0);
		return;
	}
	bool fresh = h > c->cs[c->cs_len - 1].height && top.kind == V_STACK &&
		     c->last_end == c->ncode && c->last_dst_cell < c->ncode &&
		     c->code[c->last_dst_cell].u64 == slot_of_height(c, c->vs_len) &&
		     alias_top(c, slot) == NO_ALIAS;

	if (fresh) {
		/* Still the last instruction: its result, now in the local,
		 * stays in the accumulator for the next one. */
		c->code[c->last_dst_cell].u64 = slot;
	} else {
		/* Entries at and below the popped one may alias the local (when
		 * none does, the move alone). */
		if (alias_top(c, slot) != NO_ALIAS) {
			push(c, top.type, top.kind, top.local, top.value);
			detach_local(c, slot);
			pop_entry(c, T_ANY, &top);
		}
		if (!(top.kind == V_LOCAL && top.local == slot))
			emit_entry_move(c, slot, &top, slot_of_height(c, c->vs_len));
	}
	if (!fresh)
		c->last_end = SIZE_MAX;
	if (tee)
		push(c, type, V_LOCAL, slot, 0);
}

static const struct wasm_global *global_at(struct compiler *c, uint32_t idx)
{
	if (idx >= c->mod->nglobals) {
		INVALID(c, "unknown global %u", idx);
		return NULL;
	}
	return &c->mod->globals[idx];
}

static void op_global(struct compiler *c, bool set)
{
	uint32_t idx;

	if (!rd_u32(&c->r, &idx) || !reader_ok(c))
		return;
	const struct wasm_global *g = global_at(c, idx);

	if (!g)
		return;
	if (set) {
		if (!g->type.mut)
			return (void)INVALID(c, "global is immutable: global %u", idx);
		uint32_t a = pop_slot(c, g->type.type, NULL);

		if (!dead(c)) {
			emit_op(c, g->type.type == WBPF_V128 ? OP_global_set_v128 : OP_global_set);
			emit_u(c, idx);
			emit_u(c, a);
		}
		return;
	}
	uint32_t d = push_result(c, g->type.type);

	if (!dead(c)) {
		emit_result_op(c, g->type.type == WBPF_V128 ? OP_global_get_v128 : OP_global_get, d);
		emit_u(c, idx);
		end_result_op(c);
	}
}

static bool need_memory(struct compiler *c)
{
	if (c->mod->nmems == 0)
		return INVALID(c, "unknown memory 0");
	return true;
}

static bool read_memarg(struct compiler *c, uint32_t natural, uint32_t *offset)
{
	uint32_t align;

	if (!rd_u32(&c->r, &align) || !rd_u32(&c->r, offset))
		return reader_ok(c);
	if (!need_memory(c))
		return false;
	if (align > natural)
		return INVALID(c, "alignment must not be larger than natural");
	return true;
}

/* The form of a load or store taking its top operand from the
 * accumulator (loads and stores are listed in the same order in each
 * block of the op enum). */
static enum wasm_op mem_op_fa(enum wasm_op op)
{
	if (op >= OP_i32_load_guarded)
		return op - OP_i32_load_guarded + OP_i32_load_guarded_fa;
	return op - OP_i32_load + OP_i32_load_fa;
}

static enum wasm_op mem_op_ai(enum wasm_op op)
{
	if (op >= OP_i32_load_guarded)
		return op - OP_i32_load_guarded + OP_i32_load_guarded_ai;
	return op - OP_i32_load + OP_i32_load_ai;
}

/* When the address was computed by an `i32.add` of a constant just
 * before, that instruction is taken back and folded into the access:
 * returns true with its operand slot and constant. */
static bool fold_address(struct compiler *c, uint64_t *base, uint64_t *imm)
{
	if (dead(c) || !in_acc_only(c, c->vs_len - 1) || c->last_op != OP_i32_add_imm)
		return false;
	*base = c->code[c->last_start + 2].u64;
	*imm = c->code[c->last_start + 3].u64;
	c->ncode = c->last_start;
	c->last_end = SIZE_MAX;
	return true;
}

static void op_load(struct compiler *c, enum wasm_op op, uint8_t type, uint32_t natural)
{
	uint32_t offset;
	uint64_t base, imm;

	if (!read_memarg(c, natural, &offset))
		return;
	bool folded = fold_address(c, &base, &imm);
	bool fa = !folded && in_acc(c, c->vs_len - 1);
	uint32_t a = pop_slot(c, WBPF_I32, NULL);
	uint32_t d = push_result(c, type);

	if (dead(c))
		return;
	emit_result_op(c, folded ? mem_op_ai(op) : fa ? mem_op_fa(op) : op, d);
	emit_u(c, folded ? base : a);
	if (folded)
		emit_u(c, imm);
	emit_u(c, offset);
	end_result_op(c);
	c->last_acc = true;
}

static void op_store(struct compiler *c, enum wasm_op op, uint8_t type, uint32_t natural)
{
	uint32_t offset;

	if (!read_memarg(c, natural, &offset))
		return;
	bool fa = in_acc(c, c->vs_len - 1);
	uint32_t v = pop_slot(c, type, NULL);
	uint64_t base, imm;
	bool folded = !fa && fold_address(c, &base, &imm);
	uint32_t a = pop_slot(c, WBPF_I32, NULL);

	if (dead(c))
		return;
	emit_op(c, folded ? mem_op_ai(op) : fa ? mem_op_fa(op) : op);
	emit_u(c, folded ? base : a);
	if (folded)
		emit_u(c, imm);
	emit_u(c, v);
	emit_u(c, offset);
}

struct numinfo {
	uint16_t op;
	uint8_t arity; /* 0: not a numeric opcode */
	uint8_t result, operand;
	bool has_imm;  /* _imm and _imm_fa forms exist */
	bool has_fa;   /* an _fa form exists */
};

#define T_I32 WBPF_I32
#define T_I64 WBPF_I64
#define T_F32 WBPF_F32
#define T_F64 WBPF_F64
#define NUM_UN(name, opc, TR, TA, ...) [opc] = { OP_##name, 1, T_##TR, T_##TA, false, true },
#define NUM_UN_TRAP(name, opc, TR, TA, ...) [opc] = { OP_##name, 1, T_##TR, T_##TA, false, false },
#define NUM_BIN(name, opc, TR, TA, ...) [opc] = { OP_##name, 2, T_##TR, T_##TA, true, true },
#define NUM_BIN_TRAP(name, opc, TR, TA, ...) [opc] = { OP_##name, 2, T_##TR, T_##TA, false, false },
static const struct numinfo numeric[0x108] = {
	WASM_UNOPS(NUM_UN)
	WASM_UNOPS_TRAP(NUM_UN_TRAP)
	WASM_BINOPS(NUM_BIN)
	WASM_BINOPS_TRAP(NUM_BIN_TRAP)
};

/* The op computing the same with its operands the other way round:
 * itself when commutative, the mirrored compare (a < b is b > a), or
 * OP_COUNT. Float add and mul qualify: which NaN payload propagates is
 * left open by the spec. A table: binary ops look it up every time. */
#define SELF(op) [op] = op
#define MIRROR(a, b) [a] = b, [b] = a
static const uint16_t swapped[OP_COUNT] = {
	SELF(OP_i32_add), SELF(OP_i32_mul), SELF(OP_i32_and), SELF(OP_i32_or), SELF(OP_i32_xor),
	SELF(OP_i32_eq), SELF(OP_i32_ne),
	SELF(OP_i64_add), SELF(OP_i64_mul), SELF(OP_i64_and), SELF(OP_i64_or), SELF(OP_i64_xor),
	SELF(OP_i64_eq), SELF(OP_i64_ne),
	SELF(OP_f32_add), SELF(OP_f32_mul), SELF(OP_f32_eq), SELF(OP_f32_ne),
	SELF(OP_f64_add), SELF(OP_f64_mul), SELF(OP_f64_eq), SELF(OP_f64_ne),
	MIRROR(OP_i32_lt_s, OP_i32_gt_s), MIRROR(OP_i32_lt_u, OP_i32_gt_u),
	MIRROR(OP_i32_le_s, OP_i32_ge_s), MIRROR(OP_i32_le_u, OP_i32_ge_u),
	MIRROR(OP_i64_lt_s, OP_i64_gt_s), MIRROR(OP_i64_lt_u, OP_i64_gt_u),
	MIRROR(OP_i64_le_s, OP_i64_ge_s), MIRROR(OP_i64_le_u, OP_i64_ge_u),
	MIRROR(OP_f32_lt, OP_f32_gt), MIRROR(OP_f32_le, OP_f32_ge),
	MIRROR(OP_f64_lt, OP_f64_gt), MIRROR(OP_f64_le, OP_f64_ge),
};
#undef SELF
#undef MIRROR

static enum wasm_op swapped_op(enum wasm_op op)
{
	/* No binary op is 0 (the control ops come first). */
	return swapped[op] ? (enum wasm_op)swapped[op] : OP_COUNT;
}

static void op_unary(struct compiler *c, const struct numinfo *ni)
{
	bool fa = ni->has_fa && in_acc(c, c->vs_len - 1);
	uint32_t a = pop_slot(c, ni->operand, NULL);
	uint32_t d = push_result(c, ni->result);

	if (dead(c) || c->rc)
		return;
	emit_result_op(c, fa ? ni->op - OP_i32_eqz + OP_i32_eqz_fa : ni->op, d);
	emit_u(c, a);
	end_result_op(c);
	c->last_acc = true;
}

/* The full-width guarded load of each type, plain or with its address
 * add folded in. */
static bool is_guarded_load_of(enum wasm_op op, uint8_t type, bool *ai)
{
	static const struct { uint8_t type; enum wasm_op load; } loads[] = {
		{ WBPF_I32, OP_i32_load }, { WBPF_I64, OP_i64_load },
		{ WBPF_F32, OP_f32_load }, { WBPF_F64, OP_f64_load },
	};

	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
		if (loads[i].type != type)
			continue;
		*ai = op == loads[i].load - OP_i32_load + OP_i32_load_guarded_ai;
		return *ai || op == loads[i].load - OP_i32_load + OP_i32_load_guarded;
	}
	return false;
}

/* The operand in the accumulator was loaded by the instruction just
 * before: that load is taken back and done by the op itself. */
static bool fold_load(struct compiler *c, enum wasm_op op, uint8_t type, uint32_t d, uint32_t b)
{
	bool ai;

	if (!is_guarded_load_of(c->last_op, type, &ai))
		return false;
	const wasm_cell *load = &c->code[c->last_start];
	uint64_t addr = load[2].u64, imm = load[3].u64, offset = load[ai ? 4 : 3].u64;

	c->ncode = c->last_start;
	emit_result_op(c, OP_i32_eq_mem + 2 * (op - OP_i32_eq) + ai, d);
	emit_u(c, addr);
	if (ai)
		emit_u(c, imm);
	emit_u(c, offset);
	emit_u(c, b);
	end_result_op(c);
	c->last_acc = true;
	return true;
}

/*
 * Binary ops pick the form that saves the most: a constant operand as an
 * immediate, an operand the previous instruction left in the accumulator
 * read from there. Operands may be taken the other way round (see
 * swapped_op) to get there.
 */
static void op_binary(struct compiler *c, const struct numinfo *ni)
{
	const uint32_t n = c->vs_len;
	const bool both = n >= c->cs[c->cs_len - 1].height + 2 && !dead(c);
	const bool forms = both && ni->has_imm; /* _imm, _fa, _fb exist */
	enum wasm_op op = ni->op, sw = forms ? swapped_op(op) : OP_COUNT;
	bool swap = sw != OP_COUNT && c->vs[n - 1].kind != V_CONST &&
		    (c->vs[n - 2].kind == V_CONST || in_acc(c, n - 1));
	uint32_t first = swap ? n - 1 : n - 2, second = swap ? n - 2 : n - 1;
	bool imm = forms && c->vs[second].kind == V_CONST;
	bool fa = forms && in_acc(c, first);
	bool foldable = fa && in_acc_only(c, first);
	bool fb = forms && !imm && !fa && in_acc(c, second);
	struct vval k = { 0 };
	uint32_t sa = 0, sb = 0;
	size_t at = c->ncode;

	/* Pop b, then a; the constant that becomes an immediate keeps no slot. */
	if (imm && !swap)
		pop_entry(c, ni->operand, &k);
	else
		sb = pop_slot(c, ni->operand, NULL);
	if (imm && swap)
		pop_entry(c, ni->operand, &k);
	else
		sa = pop_slot(c, ni->operand, NULL);
	uint32_t d = push_result(c, ni->result);

	if (dead(c) || c->rc)
		return;
	if (swap) {
		uint32_t t = sa;

		sa = sb;
		sb = t;
		op = sw;
	}
	if (foldable && !imm && c->ncode == at && fold_load(c, op, ni->operand, d, sb))
		return;
	if (imm)
		op = op - OP_i32_eq + (fa ? OP_i32_eq_imm_fa : OP_i32_eq_imm);
	else if (fa)
		op = op - OP_i32_eq + OP_i32_eq_fa;
	else if (fb)
		op = op - OP_i32_eq + OP_i32_eq_fb;
	emit_result_op(c, op, d);
	emit_u(c, sa);
	emit_u(c, imm ? k.value : sb);
	end_result_op(c);
	c->last_acc = true;
}

static void op_numeric(struct compiler *c, const struct numinfo *ni)
{
	if (ni->arity == 1)
		op_unary(c, ni);
	else
		op_binary(c, ni);
}

static void op_const(struct compiler *c, uint8_t op)
{
	uint64_t v = 0;
	int32_t v32;
	int64_t v64;

	switch (op) {
	case 0x41:
		if (rd_s32(&c->r, &v32))
			v = (uint32_t)v32;
		break;
	case 0x42:
		if (rd_s64(&c->r, &v64))
			v = (uint64_t)v64;
		break;
	case 0x43:
		rd_fixed(&c->r, &v, 4); /* little-endian host */
		break;
	default:
		rd_fixed(&c->r, &v, 8);
		break;
	}
	if (!reader_ok(c))
		return;
	static const uint8_t types[] = { WBPF_I32, WBPF_I64, WBPF_F32, WBPF_F64 };

	push(c, types[op - 0x41], V_CONST, 0, v);
}

static void op_call(struct compiler *c, uint32_t func)
{
	if (func >= c->mod->nfuncs)
		return (void)INVALID(c, "unknown function %u", func);
	const struct wasm_functype *ft = &c->mod->types[c->mod->func_types[func]];
	uint32_t base = slot_of_height(c, pop_types_materialized(c, ft->types, ft->nparams));

	note_slots(c, (uint64_t)base + wasm_slot_count(ft->types, ft->nparams));
	note_slots(c, (uint64_t)base + wasm_slot_count(wasm_results(ft), ft->nresults));
	if (!dead(c) && !c->rc) {
		emit_op(c, OP_call);
		emit_u(c, func);
		emit_u(c, base);
	}
	push_types(c, wasm_results(ft), ft->nresults);
	c->last_end = SIZE_MAX;
}

static bool table_elem(struct compiler *c, uint32_t table, uint8_t *type)
{
	if (table >= c->mod->ntables)
		return INVALID(c, "unknown table %u", table);
	*type = c->mod->tables[table].elem;
	return true;
}

static void op_call_indirect(struct compiler *c)
{
	uint32_t typeidx, table;
	uint8_t elem;

	if (!rd_u32(&c->r, &typeidx) || !rd_u32(&c->r, &table) || !reader_ok(c))
		return;
	if (!table_elem(c, table, &elem))
		return;
	if (elem != WBPF_FUNCREF)
		return (void)INVALID(c, "type mismatch: call_indirect needs a funcref table");
	if (typeidx >= c->mod->ntypes)
		return (void)INVALID(c, "unknown type %u", typeidx);
	const struct wasm_functype *ft = &c->mod->types[typeidx];
	uint32_t key = pop_slot(c, WBPF_I32, NULL);
	uint32_t base = slot_of_height(c, pop_types_materialized(c, ft->types, ft->nparams));

	note_slots(c, (uint64_t)base + wasm_slot_count(ft->types, ft->nparams) + 1);
	note_slots(c, (uint64_t)base + wasm_slot_count(wasm_results(ft), ft->nresults));
	if (!dead(c) && !c->rc) {
		emit_op(c, OP_call_indirect);
		emit_u(c, table);
		emit_u(c, c->mod->type_canon[typeidx]);
		emit_u(c, base);
		emit_u(c, key);
	}
	push_types(c, wasm_results(ft), ft->nresults);
	c->last_end = SIZE_MAX;
}

static void op_select(struct compiler *c, bool typed)
{
	uint8_t want = T_ANY, ta, tb;

	if (typed) {
		uint32_t n;
		uint8_t t;

		if (!rd_u32(&c->r, &n) || !reader_ok(c))
			return;
		if (n != 1)
			return (void)INVALID(c, "invalid result arity for select");
		if (!rd_u8(&c->r, &t) || !reader_ok(c))
			return;
		if (!valtype_of[t])
			return (void)fail(c, WBPF_ERR_MALFORMED, "malformed value type 0x%x", t);
		want = t;
	}
	uint32_t cond = pop_slot(c, WBPF_I32, NULL);
	uint32_t b = pop_slot(c, want, &tb);
	uint32_t a = pop_slot(c, want, &ta);

	if (c->rc)
		return;
	if (!typed) {
		if (!type_matches(ta, tb))
			return (void)INVALID(c, "type mismatch: select operands differ");
		want = ta == T_ANY ? tb : ta;
		if (wasm_is_reftype(want) || want == WBPF_V128)
			return (void)INVALID(c, "type mismatch: select without a type needs numbers");
	}
	uint32_t d = push_result(c, want);

	if (!dead(c)) {
		emit_result_op(c, want == WBPF_V128 ? OP_select_v128 : OP_select, d);
		emit_u(c, a);
		emit_u(c, b);
		emit_u(c, cond);
		end_result_op(c);
	}
}

static void op_ref(struct compiler *c, uint8_t op)
{
	uint32_t idx;
	uint8_t t;

	if (op == 0xd0) {
		if (!rd_u8(&c->r, &t) || !reader_ok(c))
			return;
		if (!wasm_is_reftype(t))
			return (void)fail(c, WBPF_ERR_MALFORMED, "malformed reference type 0x%x", t);
		push(c, t, V_CONST, 0, 0);
		return;
	}
	if (op == 0xd1) {
		uint32_t a = pop_slot(c, T_ANY, &t);

		if (!c->rc && !wasm_is_reftype(t) && t != T_ANY)
			return (void)INVALID(c, "type mismatch: ref.is_null needs a reference");
		uint32_t d = push_result(c, WBPF_I32);

		if (!dead(c)) {
			emit_result_op(c, OP_ref_is_null, d);
			emit_u(c, a);
			end_result_op(c);
		}
		return;
	}
	if (!rd_u32(&c->r, &idx) || !reader_ok(c))
		return;
	if (idx >= c->mod->nfuncs)
		return (void)INVALID(c, "unknown function %u", idx);
	if (!c->mod->func_declared || !c->mod->func_declared[idx])
		return (void)INVALID(c, "undeclared function reference %u", idx);
	uint32_t d = push_result(c, WBPF_FUNCREF);

	if (!dead(c)) {
		emit_result_op(c, OP_ref_func, d);
		emit_u(c, idx);
		end_result_op(c);
	}
}

static void op_table_access(struct compiler *c, uint8_t op)
{
	uint32_t table;
	uint8_t elem;

	if (!rd_u32(&c->r, &table) || !reader_ok(c) || !table_elem(c, table, &elem))
		return;
	if (op == 0x25) {
		uint32_t i = pop_slot(c, WBPF_I32, NULL);
		uint32_t d = push_result(c, elem);

		if (!dead(c)) {
			emit_result_op(c, OP_table_get, d);
			emit_u(c, table);
			emit_u(c, i);
			end_result_op(c);
		}
		return;
	}
	uint32_t v = pop_slot(c, elem, NULL);
	uint32_t i = pop_slot(c, WBPF_I32, NULL);

	if (!dead(c)) {
		emit_op(c, OP_table_set);
		emit_u(c, table);
		emit_u(c, i);
		emit_u(c, v);
	}
}

static bool zero_byte(struct compiler *c)
{
	uint8_t b;

	if (!rd_u8(&c->r, &b) || !reader_ok(c))
		return false;
	if (b != 0)
		return fail(c, WBPF_ERR_MALFORMED, "zero byte expected");
	return true;
}

static void op_memory_size_grow(struct compiler *c, uint8_t op)
{
	if (!zero_byte(c) || !need_memory(c))
		return;
	uint32_t a = op == 0x40 ? pop_slot(c, WBPF_I32, NULL) : 0;
	uint32_t d = push_result(c, WBPF_I32);

	if (dead(c))
		return;
	emit_result_op(c, op == 0x40 ? OP_memory_grow : OP_memory_size, d);
	if (op == 0x40)
		emit_u(c, a);
	end_result_op(c);
}

/* Emits `op imms... s1 s2 s3` for instructions taking three i32 operands
 * (or the given types) and producing nothing. */
static void emit_ternary(struct compiler *c, enum wasm_op op, const uint32_t *imms, int nimm,
			 const uint8_t types[3], int nops)
{
	uint32_t s[3] = { 0 };

	for (int i = nops; i-- > 0;)
		s[i] = pop_slot(c, types[i], NULL);
	if (dead(c) || c->rc)
		return;
	emit_op(c, op);
	for (int i = 0; i < nimm; i++)
		emit_u(c, imms[i]);
	for (int i = 0; i < nops; i++)
		emit_u(c, s[i]);
}

static bool data_index(struct compiler *c, uint32_t seg)
{
	if (!c->mod->has_datacount)
		return fail(c, WBPF_ERR_MALFORMED, "data count section required");
	if (seg >= c->mod->ndatas)
		return INVALID(c, "unknown data segment %u", seg);
	return true;
}

static bool elem_index(struct compiler *c, uint32_t seg, uint8_t *type)
{
	if (seg >= c->mod->nelems)
		return INVALID(c, "unknown elem segment %u", seg);
	*type = c->mod->elems[seg].type;
	return true;
}

static const uint8_t three_i32[3] = { WBPF_I32, WBPF_I32, WBPF_I32 };

static void op_prefixed_memory(struct compiler *c, uint32_t sub)
{
	uint32_t seg;

	switch (sub) {
	case 8: /* memory.init */
		if (!rd_u32(&c->r, &seg) || !reader_ok(c) || !data_index(c, seg) ||
		    !zero_byte(c) || !need_memory(c))
			return;
		emit_ternary(c, OP_memory_init, &seg, 1, three_i32, 3);
		return;
	case 9: /* data.drop */
		if (!rd_u32(&c->r, &seg) || !reader_ok(c) || !data_index(c, seg))
			return;
		emit_ternary(c, OP_data_drop, &seg, 1, three_i32, 0);
		return;
	case 10: /* memory.copy */
		if (!zero_byte(c) || !zero_byte(c) || !need_memory(c))
			return;
		emit_ternary(c, OP_memory_copy, NULL, 0, three_i32, 3);
		return;
	default: /* 11: memory.fill */
		if (!zero_byte(c) || !need_memory(c))
			return;
		emit_ternary(c, OP_memory_fill, NULL, 0, three_i32, 3);
		return;
	}
}

static void op_prefixed_table(struct compiler *c, uint32_t sub)
{
	uint32_t imm[2];
	uint8_t t1, t2;

	switch (sub) {
	case 12: /* table.init elem table */
		if (!rd_u32(&c->r, &imm[1]) || !rd_u32(&c->r, &imm[0]) || !reader_ok(c) ||
		    !elem_index(c, imm[1], &t1) || !table_elem(c, imm[0], &t2))
			return;
		if (t1 != t2)
			return (void)INVALID(c, "type mismatch: elem segment and table types differ");
		emit_ternary(c, OP_table_init, imm, 2, three_i32, 3);
		return;
	case 13: /* elem.drop */
		if (!rd_u32(&c->r, &imm[0]) || !reader_ok(c) || !elem_index(c, imm[0], &t1))
			return;
		emit_ternary(c, OP_elem_drop, imm, 1, three_i32, 0);
		return;
	case 14: /* table.copy dst src */
		if (!rd_u32(&c->r, &imm[0]) || !rd_u32(&c->r, &imm[1]) || !reader_ok(c) ||
		    !table_elem(c, imm[0], &t1) || !table_elem(c, imm[1], &t2))
			return;
		if (t1 != t2)
			return (void)INVALID(c, "type mismatch: table types differ");
		emit_ternary(c, OP_table_copy, imm, 2, three_i32, 3);
		return;
	}
	if (!rd_u32(&c->r, &imm[0]) || !reader_ok(c) || !table_elem(c, imm[0], &t1))
		return;
	if (sub == 16) { /* table.size */
		uint32_t d = push_result(c, WBPF_I32);

		if (!dead(c)) {
			emit_result_op(c, OP_table_size, d);
			emit_u(c, imm[0]);
			end_result_op(c);
		}
		return;
	}
	if (sub == 15) { /* table.grow: init n -> old size */
		uint32_t n = pop_slot(c, WBPF_I32, NULL);
		uint32_t init = pop_slot(c, t1, NULL);
		uint32_t d = push_result(c, WBPF_I32);

		if (!dead(c)) {
			emit_result_op(c, OP_table_grow, d);
			emit_u(c, imm[0]);
			emit_u(c, init);
			emit_u(c, n);
			end_result_op(c);
		}
		return;
	}
	const uint8_t fill[3] = { WBPF_I32, t1, WBPF_I32 }; /* 17: table.fill */

	emit_ternary(c, OP_table_fill, imm, 1, fill, 3);
}

static void op_prefixed(struct compiler *c)
{
	uint32_t sub;

	if (!rd_u32(&c->r, &sub) || !reader_ok(c))
		return;
	if (sub <= 7)
		op_numeric(c, &numeric[0x100 + sub]);
	else if (sub <= 11)
		op_prefixed_memory(c, sub);
	else if (sub <= 17)
		op_prefixed_table(c, sub);
	else
		fail(c, WBPF_ERR_MALFORMED, "illegal opcode 0xfc %u", sub);
}

static void op_drop(struct compiler *c)
{
	struct vval v;

	pop_entry(c, T_ANY, &v);
}

static void op_memaccess(struct compiler *c, uint8_t op)
{
	/* Loads and stores are listed in the same order in both forms. */
	int guard = c->mod->bounds_checked ? 0 : OP_i32_load_guarded - OP_i32_load;
#define LOAD_CASE(name, opc, VT, MT, al) \
	case opc: op_load(c, OP_##name + guard, T_##VT, al); return;
#define STORE_CASE(name, opc, VT, MT, al) \
	case opc: op_store(c, OP_##name + guard, T_##VT, al); return;
	switch (op) {
	WASM_LOADS(LOAD_CASE)
	WASM_STORES(STORE_CASE)
	}
#undef LOAD_CASE
#undef STORE_CASE
}

/* ---------------------------------------------------------------- SIMD */

#define T_V128 WBPF_V128

/* What each shape pops (last on top) and pushes; 1 stands for the
 * instruction's scalar type. Memory accesses take the address first. */
static const struct {
	uint8_t nin, in[3], out;
} simd_shapes[] = {
	[S_UN] = { 1, { T_V128 }, T_V128 },
	[S_BIN] = { 2, { T_V128, T_V128 }, T_V128 },
	[S_TERN] = { 3, { T_V128, T_V128, T_V128 }, T_V128 },
	[S_SHIFT] = { 2, { T_V128, T_I32 }, T_V128 },
	[S_SPLAT] = { 1, { 1 }, T_V128 },
	[S_TEST] = { 1, { T_V128 }, T_I32 },
	[S_EXTRACT] = { 1, { T_V128 }, 1 },
	[S_REPLACE] = { 2, { T_V128, 1 }, T_V128 },
	[S_LOAD] = { 1, { T_I32 }, T_V128 },
	[S_STORE] = { 2, { T_I32, T_V128 }, 0 },
	[S_LOAD_LANE] = { 2, { T_I32, T_V128 }, T_V128 },
	[S_STORE_LANE] = { 2, { T_I32, T_V128 }, 0 },
};

static bool read_lane(struct compiler *c, uint32_t lanes, uint8_t *lane)
{
	if (!rd_u8(&c->r, lane) || !reader_ok(c))
		return false;
	if (*lane >= lanes)
		return INVALID(c, "invalid lane index %u", *lane);
	return true;
}

/* v128.const and i8x16.shuffle: 16 immediate bytes. */
static void op_v128_bytes(struct compiler *c, uint32_t sub)
{
	uint64_t imm[2];
	uint32_t a = 0, b = 0;

	if (!rd_fixed(&c->r, imm, 16) || !reader_ok(c)) /* little-endian host */
		return;
	if (sub == 0x0d) {
		for (int i = 0; i < 16; i++)
			if (((const uint8_t *)imm)[i] >= 32)
				return (void)INVALID(c, "invalid lane index %u", ((const uint8_t *)imm)[i]);
		b = pop_slot(c, T_V128, NULL);
		a = pop_slot(c, T_V128, NULL);
	}
	uint32_t d = push_result(c, T_V128);

	if (dead(c) || c->rc)
		return;
	emit_result_op(c, sub == 0x0d ? OP_i8x16_shuffle : OP_v128_const, d);
	if (sub == 0x0d) {
		emit_u(c, a);
		emit_u(c, b);
	}
	emit_u(c, imm[0]);
	emit_u(c, imm[1]);
	end_result_op(c);
}

static void op_simd(struct compiler *c)
{
	uint32_t sub, offset = 0, s[3];
	uint8_t lane = 0;

	if (!rd_u32(&c->r, &sub) || !reader_ok(c))
		return;
	if (sub == 0x0c || sub == 0x0d)
		return op_v128_bytes(c, sub);
	const struct wasm_simd_op *si = sub < 0x100 ? &wasm_simd_ops[sub] : NULL;

	if (!si || si->shape == S_NONE)
		return (void)fail(c, WBPF_ERR_MALFORMED, "illegal opcode 0xfd %u", sub);
	bool mem = si->shape >= S_LOAD;

	if (mem && !read_memarg(c, si->natural, &offset))
		return;
	if (si->lanes && !read_lane(c, si->lanes, &lane))
		return;
	uint8_t nin = simd_shapes[si->shape].nin, out = simd_shapes[si->shape].out;

	for (int i = nin; i-- > 0;) {
		uint8_t t = simd_shapes[si->shape].in[i];

		s[i] = pop_slot(c, t == 1 ? si->type : t, NULL);
	}
	uint32_t d = out ? push_result(c, out == 1 ? si->type : out) : 0;

	if (dead(c) || c->rc)
		return;
	enum wasm_op op = si->handler + (mem && !c->mod->bounds_checked); /* _guarded */

	if (out)
		emit_result_op(c, op, d);
	else
		emit_op(c, op);
	for (int i = 0; i < nin; i++)
		emit_u(c, s[i]);
	if (mem)
		emit_u(c, offset);
	if (si->lanes)
		emit_u(c, lane);
	if (si->fn)
		emit_cell(c, (wasm_cell){ .fn = si->fn });
	if (mem && (si->fn || si->lanes)) /* v128.load and .store know theirs */
		emit_u(c, si->size);
	if (out)
		end_result_op(c);
}

/* Decodes and compiles one instruction; returns true at the final end. */
static bool compile_instr(struct compiler *c)
{
	uint8_t op;
	uint32_t idx;

	if (!rd_u8(&c->r, &op) || !reader_ok(c))
		return false;
	c->ninstr++;
	switch (op) {
	case 0x00:
		if (!dead(c))
			emit_op(c, OP_unreachable);
		mark_unreachable(c);
		break;
	case 0x01: break;
	case 0x02: op_block(c, C_BLOCK); break;
	case 0x03: op_block(c, C_LOOP); break;
	case 0x04: op_block(c, C_IF); break;
	case 0x05: op_else(c); break;
	case 0x0b: return op_end(c);
	case 0x0c:
	case 0x0d:
		if (!rd_u32(&c->r, &idx) || !reader_ok(c))
			break;
		if (op == 0x0c)
			op_br(c, idx);
		else
			op_br_if(c, idx);
		break;
	case 0x0e: op_br_table(c); break;
	case 0x0f: op_br(c, c->cs_len - 1); break;
	case 0x10:
		if (rd_u32(&c->r, &idx) && reader_ok(c))
			op_call(c, idx);
		break;
	case 0x11: op_call_indirect(c); break;
	case 0x1a: op_drop(c); break;
	case 0x1b: op_select(c, false); break;
	case 0x1c: op_select(c, true); break;
	case 0x20: op_local_get(c); break;
	case 0x21: op_local_set(c, false); break;
	case 0x22: op_local_set(c, true); break;
	case 0x23: op_global(c, false); break;
	case 0x24: op_global(c, true); break;
	case 0x25:
	case 0x26: op_table_access(c, op); break;
	case 0x3f:
	case 0x40: op_memory_size_grow(c, op); break;
	case 0x41: case 0x42: case 0x43: case 0x44: op_const(c, op); break;
	case 0xd0: case 0xd1: case 0xd2: op_ref(c, op); break;
	case 0xfc: op_prefixed(c); break;
	case 0xfd: op_simd(c); break;
	default:
		if (op >= 0x28 && op <= 0x3e)
			op_memaccess(c, op);
		else if (numeric[op].arity)
			op_numeric(c, &numeric[op]);
		else
			fail(c, WBPF_ERR_MALFORMED, "illegal opcode 0x%02x", op);
	}
	return false;
}

/* ------------------------------------------------------------- driver */

static void compiler_free(struct compiler *c)
{
	wasm_bigbuf_free(c->alias);
	wasm_bigbuf_free(c->param_slots);
	wasm_bigbuf_free(c->vs);
	wasm_bigbuf_free(c->cs);
	wasm_bigbuf_free(c->code);
	wasm_bigbuf_free(c->targets);
	wasm_bigbuf_free(c->fix);
	wasm_bigbuf_free(c->depths);
}

/* A function's code and description are copied out of the compiler's
 * buffers, which the next function reuses, into the module's arena. */
static struct wasm_compiled *finish(struct compiler *c)
{
	struct wasm_compiled *out = wasm_arena_alloc(c->arena, sizeof(*out) + c->ncode * sizeof(*c->code));

	if (!out) {
		fail(c, WBPF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	wasm_cell *code = (wasm_cell *)(out + 1);

	memcpy(code, c->code, c->ncode * sizeof(*code));
	for (size_t i = 0; i < c->ntargets; i++)
		code[c->targets[i]].target = code + code[c->targets[i]].u64;
	*out = (struct wasm_compiled){
		.nparams = wasm_slot_count(c->type->types, c->type->nparams),
		.nresults = wasm_slot_count(wasm_results(c->type), c->type->nresults),
		.frame_slots = c->max_slots + 1,
		.code = code,
		.ncells = c->ncode,
	};
	out->nlocals = c->stack_base - out->nparams;
	return out;
}

/* Loading is bounded by the caller's interrupt flag, polled this often
 * (in instructions) and at every function. */
#define INTERRUPT_POLL 4096

static bool interrupted(struct compiler *c)
{
	c->rc = wasm_load_interrupted(c->interrupt, c->err, "compiling function %u of %u",
				      c->func_idx, c->mod->nfuncs);
	return c->rc;
}

/* Sets up `c` for one function, keeping its buffers from the last one. */
static bool compiler_start(struct compiler *c, uint32_t func_idx)
{
	const struct wbpf_module *mod = c->mod;
	const struct wasm_code *body = &mod->codes[func_idx - mod->nimported_funcs];
	const struct wasm_functype *ft = &mod->types[mod->func_types[func_idx]];
	uint32_t nlocals = ft->nparams + body->nlocals;

	*c = (struct compiler){
		.mod = mod, .arena = c->arena, .func_idx = func_idx, .type = ft,
		.handlers = c->handlers,
		.err = c->err, .interrupt = c->interrupt,
		.r = { .p = body->body, .end = body->body + body->body_len, .base = mod->bytes },
		.nlocals_total = nlocals,
		.work_max = (uint64_t)WORK_PER_BYTE * body->body_len + WORK_SLACK,
		.body = body, .alias = c->alias, .alias_cap = c->alias_cap,
		.param_slots = c->param_slots, .param_slots_cap = c->param_slots_cap,
		.vs = c->vs, .vs_cap = c->vs_cap, .cs = c->cs, .cs_cap = c->cs_cap,
		.code = c->code, .code_cap = c->code_cap,
		.targets = c->targets, .targets_cap = c->targets_cap,
		.fix = c->fix, .fix_cap = c->fix_cap,
		.depths = c->depths, .depths_cap = c->depths_cap,
		.last_end = SIZE_MAX,
		.last_copy_end = SIZE_MAX,
	};
	size_t had;

	if (interrupted(c) ||
	    !grow((void **)&c->param_slots, &c->param_slots_cap, ft->nparams + 1,
		  sizeof(*c->param_slots), c))
		return false;
	for (uint32_t i = 0; i < ft->nparams; i++) {
		c->param_slots[i] = c->locals_base;
		c->locals_base += wasm_type_slots(ft->types[i]);
	}
	c->stack_base = c->locals_base + body->nlocal_slots;
	c->top_slot = c->stack_base;
	had = c->alias_cap;
	if (!grow((void **)&c->alias, &c->alias_cap, c->stack_base + 1, sizeof(*c->alias), c))
		return false;
	memset(c->alias + had, 0, (c->alias_cap - had) * sizeof(*c->alias));
	note_slots(c, (uint64_t)c->stack_base + wasm_slot_count(wasm_results(ft), ft->nresults));
	return push_ctrl(c, C_FUNC, NULL, 0, wasm_results(ft), ft->nresults);
}

static struct wasm_compiled *compile_function(struct compiler *c, uint32_t func_idx)
{
	bool done = false;

	if (!compiler_start(c, func_idx))
		return NULL;
	while (!c->rc && !done) {
		if (c->r.p >= c->r.end) {
			fail(c, WBPF_ERR_MALFORMED, "unexpected end of function body");
			break;
		}
		if (c->ninstr % INTERRUPT_POLL == INTERRUPT_POLL - 1 && interrupted(c))
			break;
		done = compile_instr(c);
	}
	if (!c->rc && c->r.p != c->r.end)
		fail(c, WBPF_ERR_MALFORMED, "section size mismatch: bytes after the function's end");
	if (c->rc)
		return NULL;
	return finish(c);
}

static int type_order(const void *pa, const void *pb, void *arg)
{
	const struct wasm_functype *types = arg;
	uint32_t ia = *(const uint32_t *)pa, ib = *(const uint32_t *)pb;
	const struct wasm_functype *a = &types[ia], *b = &types[ib];
	int d;

	if (a->nparams != b->nparams)
		return a->nparams < b->nparams ? -1 : 1;
	if (a->nresults != b->nresults)
		return a->nresults < b->nresults ? -1 : 1;
	d = memcmp(a->types, b->types, (size_t)a->nparams + a->nresults);
	if (d)
		return d;
	return ia < ib ? -1 : ia > ib;
}

/* Equal types become neighbours once sorted (index last, so the first of
 * a run is the lowest index): n log n, whatever the types. */
static void canon_by_sorting(struct wbpf_module *mod, uint32_t *order)
{
	for (uint32_t i = 0; i < mod->ntypes; i++)
		order[i] = i;
	qsort_r(order, mod->ntypes, sizeof(*order), type_order, mod->types);
	for (uint32_t i = 0, first = 0; i < mod->ntypes; i++) {
		if (i && !wasm_functype_eq(&mod->types[order[first]], &mod->types[order[i]]))
			first = i;
		mod->type_canon[order[i]] = order[first];
	}
}

/* The same through a table of the types' hashes, linear: false when the
 * hashes collide or crowd the table more than random ones would (only a
 * crafted module does that), for sorting to take over. */
static bool canon_by_hash(struct wbpf_module *mod, uint32_t *table, size_t cap)
{
	size_t probes = 0, budget = 8 * (size_t)mod->ntypes + 1024;

	memset(table, 0xff, cap * sizeof(*table));
	for (uint32_t i = 0; i < mod->ntypes; i++) {
		const struct wasm_functype *ft = &mod->types[i];
		size_t j = (ft->hash ^ ft->hash >> 29) & (cap - 1);

		for (; table[j] != UINT32_MAX; j = (j + 1) & (cap - 1)) {
			const struct wasm_functype *other = &mod->types[table[j]];

			if (++probes > budget)
				return false;
			if (other->hash != ft->hash)
				continue;
			if (!wasm_functype_eq(other, ft))
				return false;
			break;
		}
		if (table[j] == UINT32_MAX)
			table[j] = i;
		mod->type_canon[i] = table[j];
	}
	return true;
}

static int canonicalize_types(struct wbpf_module *mod)
{
	size_t cap = 64;

	while (cap < 2 * (size_t)mod->ntypes)
		cap *= 2;
	uint32_t *scratch = malloc(cap * sizeof(*scratch));

	mod->type_canon = malloc((mod->ntypes + 1) * sizeof(*mod->type_canon));
	if (!mod->type_canon || !scratch) {
		free(scratch);
		return -ENOMEM;
	}
	if (!canon_by_hash(mod, scratch, cap))
		canon_by_sorting(mod, scratch);
	free(scratch);
	return 0;
}

int wasm_compile_module(struct wbpf_module *mod, const atomic_int *interrupt,
			struct wbpf_error *err)
{
	uint32_t ndefined = mod->nfuncs - mod->nimported_funcs;
	struct compiler c = {
		.mod = mod, .arena = &mod->arena, .handlers = wasm_interp_handlers(), .err = err,
		.interrupt = interrupt,
	};
	const char *checks = getenv("WBPF_BOUNDS_CHECKS");
	int ret = 0;

	mod->bounds_checked = checks && *checks && strcmp(checks, "0");
	if (canonicalize_types(mod))
		return wasm_fail(err, WBPF_ERR_NOMEM, "out of memory");

	mod->compiled = calloc(ndefined ? ndefined : 1, sizeof(*mod->compiled));
	if (!mod->compiled)
		return wasm_fail(err, WBPF_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; i < ndefined && !ret; i++) {
		mod->compiled[i] = compile_function(&c, mod->nimported_funcs + i);
		if (!mod->compiled[i])
			ret = c.rc ? c.rc : -ENOMEM;
	}
	compiler_free(&c);
	return ret;
}
