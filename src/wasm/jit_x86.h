/* SPDX-License-Identifier: MIT */
/*
 * x86-64 instruction encoding for jit.c: a growing byte buffer and the
 * few instruction shapes the compiler uses (register-register,
 * register-memory with base, index and displacement, immediates).
 */
#ifndef WBPF_WASM_JIT_X86_H
#define WBPF_WASM_JIT_X86_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum x86_reg {
	RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15,
	NO_REG = -1,
};

/* Condition codes, as in jcc/setcc/cmovcc. */
enum x86_cc {
	CC_O, CC_NO, CC_B, CC_AE, CC_E, CC_NE, CC_BE, CC_A,
	CC_S, CC_NS, CC_P, CC_NP, CC_L, CC_GE, CC_LE, CC_G,
};

struct xbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static inline void x_byte(struct xbuf *b, uint8_t v)
{
	if (b->len == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 4096;
		uint8_t *p = b->oom ? NULL : realloc(b->p, cap);

		if (!p) {
			b->oom = true;
			b->len = 0; /* keep writing somewhere; the result is discarded */
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	b->p[b->len++] = v;
}

static inline void x_u32(struct xbuf *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		x_byte(b, (uint8_t)(v >> (8 * i)));
}

static inline void x_u64(struct xbuf *b, uint64_t v)
{
	x_u32(b, (uint32_t)v);
	x_u32(b, (uint32_t)(v >> 32));
}

static inline void x_patch32(struct xbuf *b, size_t at, uint32_t v)
{
	if (!b->oom && at + 4 <= b->len)
		memcpy(b->p + at, &v, 4);
}

/* A memory operand: [base + index * (1 << scale) + disp]. */
struct xmem {
	int base, index, scale;
	int32_t disp;
};

static inline struct xmem M(int base, int32_t disp)
{
	return (struct xmem){ base, NO_REG, 0, disp };
}

static inline struct xmem MI(int base, int index, int scale, int32_t disp)
{
	return (struct xmem){ base, index, scale, disp };
}

/* Legacy prefix (0 for none), REX, opcode bytes. */
static inline void x_head(struct xbuf *b, uint8_t prefix, bool w, int reg, int index, int base,
			  const char *op, int nop, bool rex_always)
{
	uint8_t rex = 0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((index >> 3) & 1) << 1 |
		      ((base >> 3) & 1);

	if (prefix)
		x_byte(b, prefix);
	if (rex != 0x40 || rex_always)
		x_byte(b, rex);
	for (int i = 0; i < nop; i++)
		x_byte(b, (uint8_t)op[i]);
}

/* op reg, [mem] (or the other way round, as the opcode says). */
static inline void x_rm(struct xbuf *b, uint8_t prefix, bool w, const char *op, int nop, int reg,
			struct xmem m)
{
	int idx = m.index == NO_REG ? 0 : m.index;
	bool d8 = m.disp >= -128 && m.disp <= 127;
	uint8_t mod = d8 ? 0x40 : 0x80;

	x_head(b, prefix, w, reg, idx, m.base, op, nop, false);
	if (m.index == NO_REG && (m.base & 7) != RSP) {
		x_byte(b, mod | (reg & 7) << 3 | (m.base & 7));
	} else {
		x_byte(b, mod | (reg & 7) << 3 | 4);
		x_byte(b, (uint8_t)(m.scale << 6 | (m.index == NO_REG ? 4 : (m.index & 7)) << 3 |
				    (m.base & 7)));
	}
	if (d8)
		x_byte(b, (uint8_t)m.disp);
	else
		x_u32(b, (uint32_t)m.disp);
}

/* op reg, rm (registers); byte_regs forces a REX so that sil/dil... are
 * never confused with ah/ch. */
static inline void x_rr(struct xbuf *b, uint8_t prefix, bool w, const char *op, int nop, int reg,
			int rm)
{
	x_head(b, prefix, w, reg, 0, rm, op, nop, false);
	x_byte(b, 0xc0 | (reg & 7) << 3 | (rm & 7));
}

#define OPC(s) s, (int)(sizeof(s) - 1)

static inline void x_load64(struct xbuf *b, int reg, struct xmem m) { x_rm(b, 0, true, OPC("\x8b"), reg, m); }
static inline void x_load32(struct xbuf *b, int reg, struct xmem m) { x_rm(b, 0, false, OPC("\x8b"), reg, m); }
static inline void x_store64(struct xbuf *b, struct xmem m, int reg) { x_rm(b, 0, true, OPC("\x89"), reg, m); }
static inline void x_store32(struct xbuf *b, struct xmem m, int reg) { x_rm(b, 0, false, OPC("\x89"), reg, m); }
static inline void x_lea(struct xbuf *b, int reg, struct xmem m) { x_rm(b, 0, true, OPC("\x8d"), reg, m); }
static inline void x_mov_rr(struct xbuf *b, bool w, int dst, int src) { x_rr(b, 0, w, OPC("\x8b"), dst, src); }

/* mov reg, imm64 (movabs): the 8-byte form, whatever the value. */
static inline void x_movabs(struct xbuf *b, int reg, uint64_t v)
{
	x_head(b, 0, true, 0, 0, reg, NULL, 0, false);
	x_byte(b, (uint8_t)(0xb8 + (reg & 7)));
	x_u64(b, v);
}

/* mov reg, imm: the shortest form for the value. */
static inline void x_mov_imm(struct xbuf *b, int reg, uint64_t v)
{
	if (v <= UINT32_MAX) {
		x_head(b, 0, false, 0, 0, reg, NULL, 0, false);
		x_byte(b, (uint8_t)(0xb8 + (reg & 7)));
		x_u32(b, (uint32_t)v);
	} else if ((int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX) {
		x_head(b, 0, true, 0, 0, reg, OPC("\xc7"), false);
		x_byte(b, 0xc0 | (reg & 7));
		x_u32(b, (uint32_t)v);
	} else {
		x_movabs(b, reg, v);
	}
}

/* mov qword [m], simm32 */
static inline void x_store_imm64(struct xbuf *b, struct xmem m, int32_t v)
{
	x_rm(b, 0, true, OPC("\xc7"), 0, m);
	x_u32(b, (uint32_t)v);
}

/* Group-1 ALU: add 0, or 1, and 4, sub 5, xor 6, cmp 7. */
enum x86_alu { ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7 };

static inline void x_alu_rm(struct xbuf *b, bool w, enum x86_alu alu, int reg, struct xmem m)
{
	char op[1] = { (char)(alu * 8 + 3) };

	x_rm(b, 0, w, op, 1, reg, m);
}

static inline void x_alu_rr(struct xbuf *b, bool w, enum x86_alu alu, int dst, int src)
{
	char op[1] = { (char)(alu * 8 + 3) };

	x_rr(b, 0, w, op, 1, dst, src);
}

static inline void x_alu_ri(struct xbuf *b, bool w, enum x86_alu alu, int reg, int32_t v)
{
	if (v >= -128 && v <= 127) {
		x_rr(b, 0, w, OPC("\x83"), alu, reg);
		x_byte(b, (uint8_t)v);
	} else {
		x_rr(b, 0, w, OPC("\x81"), alu, reg);
		x_u32(b, (uint32_t)v);
	}
}

static inline void x_alu_mi(struct xbuf *b, bool w, enum x86_alu alu, struct xmem m, int32_t v)
{
	if (v >= -128 && v <= 127) {
		x_rm(b, 0, w, OPC("\x83"), alu, m);
		x_byte(b, (uint8_t)v);
	} else {
		x_rm(b, 0, w, OPC("\x81"), alu, m);
		x_u32(b, (uint32_t)v);
	}
}

/* Shifts and rotates by cl or an immediate: rol 0, ror 1, shl 4, shr 5, sar 7. */
static inline void x_shift_cl(struct xbuf *b, bool w, int ext, int reg)
{
	x_rr(b, 0, w, OPC("\xd3"), ext, reg);
}

static inline void x_shift_imm(struct xbuf *b, bool w, int ext, int reg, uint8_t n)
{
	x_rr(b, 0, w, OPC("\xc1"), ext, reg);
	x_byte(b, n);
}

static inline void x_setcc(struct xbuf *b, enum x86_cc cc, int reg)
{
	char op[2] = { 0x0f, (char)(0x90 + cc) };

	x_rr(b, 0, false, op, 2, 0, reg);
}

static inline void x_movzx8(struct xbuf *b, int dst, int src) { x_rr(b, 0, false, OPC("\x0f\xb6"), dst, src); }
static inline void x_test_rr(struct xbuf *b, bool w, int a, int c) { x_rr(b, 0, w, OPC("\x85"), c, a); }

/* rel32 jumps and calls: return where the displacement is, for patching. */
static inline size_t x_jcc(struct xbuf *b, enum x86_cc cc)
{
	x_byte(b, 0x0f);
	x_byte(b, (uint8_t)(0x80 + cc));
	x_u32(b, 0);
	return b->len - 4;
}

static inline size_t x_jmp(struct xbuf *b)
{
	x_byte(b, 0xe9);
	x_u32(b, 0);
	return b->len - 4;
}

static inline size_t x_call_rel(struct xbuf *b)
{
	x_byte(b, 0xe8);
	x_u32(b, 0);
	return b->len - 4;
}

/* Points the rel32 at `at` to `to` (both offsets in the buffer). */
static inline void x_link(struct xbuf *b, size_t at, size_t to)
{
	x_patch32(b, at, (uint32_t)(int32_t)((int64_t)to - (int64_t)(at + 4)));
}

static inline void x_call_reg(struct xbuf *b, int reg) { x_rr(b, 0, false, OPC("\xff"), 2, reg); }

static inline void x_jmp_reg(struct xbuf *b, int reg) { x_rr(b, 0, false, OPC("\xff"), 4, reg); }

/* SSE moves between general and xmm registers (66 REX.W 0F 6E / 7E). */
static inline void x_movq_to_xmm(struct xbuf *b, int xmm, int reg) { x_rr(b, 0x66, true, OPC("\x0f\x6e"), xmm, reg); }
static inline void x_movq_from_xmm(struct xbuf *b, int reg, int xmm) { x_rr(b, 0x66, true, OPC("\x0f\x7e"), xmm, reg); }
static inline void x_movd_to_xmm(struct xbuf *b, int xmm, int reg) { x_rr(b, 0x66, false, OPC("\x0f\x6e"), xmm, reg); }
static inline void x_movd_from_xmm(struct xbuf *b, int reg, int xmm) { x_rr(b, 0x66, false, OPC("\x0f\x7e"), xmm, reg); }

#endif
