// SPDX-License-Identifier: MIT
/* Module generators for load-time tests (see genload.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "genload.h"

struct buf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const void *bytes, size_t n)
{
	if (b->oom || !n) /* bytes may be NULL when n is 0 */
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);

		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, bytes, n);
	b->len += n;
}

static void u8(struct buf *b, uint8_t v)
{
	put(b, &v, 1);
}

static void leb(struct buf *b, uint64_t v)
{
	do {
		uint8_t byte = v & 0x7f;

		v >>= 7;
		u8(b, byte | (v ? 0x80 : 0));
	} while (v);
}

/* Repeats the instruction bytes given n times. */
static void rep(struct buf *b, uint32_t n, const void *bytes, size_t len)
{
	for (uint32_t i = 0; i < n; i++)
		put(b, bytes, len);
}

/* content's bytes after their length, as sections and custom
 * subsections are; content is emptied. */
static void sized(struct buf *out, struct buf *content)
{
	leb(out, content->len);
	put(out, content->p, content->len);
	out->oom |= content->oom;
	free(content->p);
	*content = (struct buf){ 0 };
}

static void section(struct buf *m, uint8_t id, struct buf *content)
{
	u8(m, id);
	sized(m, content);
}

static uint8_t *finish(struct buf *m, size_t *len)
{
	if (m->oom) {
		free(m->p);
		return NULL;
	}
	*len = m->len;
	return m->p;
}

/* A module of one type, `nfuncs` functions of it, an optional memory,
 * and the same body for each function. */
static uint8_t *module_of(const uint8_t *params, uint32_t np, const uint8_t *results, uint32_t nr,
			  uint32_t nfuncs, bool memory, struct buf *body, size_t *len)
{
	struct buf m = { 0 }, s = { 0 };

	put(&m, "\0asm\1\0\0\0", 8);
	leb(&s, 1);
	u8(&s, 0x60);
	leb(&s, np);
	put(&s, params, np);
	leb(&s, nr);
	put(&s, results, nr);
	section(&m, 1, &s);
	leb(&s, nfuncs);
	for (uint32_t i = 0; i < nfuncs; i++)
		leb(&s, 0);
	section(&m, 3, &s);
	if (memory) {
		put(&s, "\1\0\1", 3); /* one memory, min 1 page */
		section(&m, 5, &s);
	}
	leb(&s, nfuncs);
	for (uint32_t i = 0; i < nfuncs; i++) {
		leb(&s, body->len);
		put(&s, body->p, body->len);
	}
	section(&m, 10, &s);
	m.oom |= body->oom;
	free(body->p);
	return finish(&m, len);
}

static uint8_t *one_func(struct buf *body, size_t *len)
{
	return module_of(NULL, 0, NULL, 0, 1, false, body, len);
}

static const uint8_t i32_const0[] = { 0x41, 0x00 };

uint8_t *genload_blocks(uint32_t n, size_t *len)
{
	struct buf b = { 0 };

	leb(&b, 0); /* no locals */
	rep(&b, n, i32_const0, 2);
	rep(&b, n, "\x02\x40\x0b", 3);
	rep(&b, n, "\x1a", 1);
	u8(&b, 0x0b);
	return one_func(&b, len);
}

uint8_t *genload_br_table(uint32_t entries, uint32_t depth, uint32_t nfuncs, size_t *len)
{
	static const uint8_t i32 = 0x7f;
	struct buf b = { 0 };

	leb(&b, 0);
	rep(&b, depth, "\x03\x40", 2);
	put(&b, "\x20\x00\x0e", 3); /* local.get 0, br_table */
	leb(&b, entries);
	for (uint32_t i = 0; i < entries; i++)
		leb(&b, i % depth);
	leb(&b, 0);
	rep(&b, depth, "\x0b", 1);
	u8(&b, 0x0b);
	return module_of(&i32, 1, NULL, 0, nfuncs, false, &b, len);
}

uint8_t *genload_local_sets(uint32_t n, size_t *len)
{
	struct buf b = { 0 };

	put(&b, "\x01\x01\x7f", 3); /* one i32 local */
	rep(&b, n, i32_const0, 2);
	rep(&b, n, "\x41\x01\x21\x00", 4);
	rep(&b, n, "\x1a", 1);
	u8(&b, 0x0b);
	return one_func(&b, len);
}

uint8_t *genload_aliases(uint32_t n, size_t *len)
{
	struct buf b = { 0 };

	leb(&b, 1);
	leb(&b, n);
	u8(&b, 0x7f);
	for (uint32_t i = 0; i < n; i++) {
		u8(&b, 0x20);
		leb(&b, i);
	}
	rep(&b, n, i32_const0, 2);
	for (uint32_t i = 0; i < n; i++) {
		put(&b, "\x41\x01\x21", 3);
		leb(&b, i);
	}
	rep(&b, 2 * n, "\x1a", 1);
	u8(&b, 0x0b);
	return one_func(&b, len);
}

uint8_t *genload_wide_branches(uint32_t n, size_t *len)
{
	enum { WIDE = 1000 };
	struct buf m = { 0 }, s = { 0 }, b = { 0 };

	put(&m, "\0asm\1\0\0\0", 8);
	put(&s, "\x02\x60\x00\x00\x60\x00", 6); /* types 0: [] -> [], 1: [] -> [i32 x WIDE] */
	leb(&s, WIDE);
	for (int i = 0; i < WIDE; i++)
		u8(&s, 0x7f);
	section(&m, 1, &s);
	put(&s, "\x01\x00", 2);
	section(&m, 3, &s);
	leb(&b, 0);
	put(&b, "\x02\x01", 2); /* block (type 1) */
	rep(&b, WIDE, i32_const0, 2);
	rep(&b, n, "\x41\x01\x0d\x00", 4); /* i32.const 1, br_if 0 */
	u8(&b, 0x0b);
	rep(&b, WIDE, "\x1a", 1);
	u8(&b, 0x0b);
	leb(&s, 1);
	sized(&s, &b);
	section(&m, 10, &s);
	return finish(&m, len);
}

uint8_t *genload_bulk(uint32_t n, size_t *len)
{
	static const uint8_t i32 = 0x7f;
	/* (param i32) (result i32) (local i32): a counted loop of
	 * arithmetic, a load and a store, then a call of function 0. */
	static const uint8_t code[] = {
		0x01, 0x01, 0x7f,
		0x03, 0x40,
		0x20, 0x00, 0x41, 0x03, 0x6c, 0x20, 0x01, 0x6a, 0x21, 0x01,
		0x20, 0x01, 0x28, 0x02, 0x04, 0x20, 0x00, 0x6b, 0x21, 0x01,
		0x20, 0x00, 0x20, 0x01, 0x36, 0x02, 0x08,
		0x20, 0x01, 0x41, 0x07, 0x71, 0x04, 0x40, 0x20, 0x01, 0x41, 0x01,
		0x74, 0x21, 0x01, 0x05, 0x20, 0x01, 0x41, 0x01, 0x76, 0x21, 0x01, 0x0b,
		0x20, 0x00, 0x41, 0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00,
		0x0b,
		0x20, 0x01, 0x20, 0x00, 0x10, 0x00, 0x6a,
		0x0b,
	};
	struct buf b = { 0 };

	put(&b, code, sizeof(code));
	return module_of(&i32, 1, &i32, 1, n, true, &b, len);
}

uint8_t *genload_locals(uint32_t nlocals, uint32_t nfuncs, size_t *len)
{
	struct buf b = { 0 };

	leb(&b, 1);
	leb(&b, nlocals);
	u8(&b, 0x7f);
	u8(&b, 0x0b);
	return module_of(NULL, 0, NULL, 0, nfuncs, false, &b, len);
}

uint8_t *genload_nesting(uint32_t depth, size_t *len)
{
	struct buf b = { 0 };

	leb(&b, 0);
	rep(&b, depth, "\x02\x40", 2);
	rep(&b, depth, "\x0b", 1);
	u8(&b, 0x0b);
	return one_func(&b, len);
}

uint8_t *genload_params(uint32_t nparams, size_t *len)
{
	uint8_t *types = malloc(nparams ? nparams : 1);
	struct buf b = { 0 };
	uint8_t *out;

	if (!types)
		return NULL;
	memset(types, 0x7f, nparams);
	put(&b, "\x00\x0b", 2);
	out = module_of(types, nparams, NULL, 0, 1, false, &b, len);
	free(types);
	return out;
}

uint8_t *genload_body_size(uint32_t bytes, size_t *len)
{
	struct buf b = { 0 };

	leb(&b, 0);
	rep(&b, bytes, "\x01", 1);
	u8(&b, 0x0b);
	return one_func(&b, len);
}

/* Type i has one param per bit of i, i64 where the bit is set: all
 * differ, and those of the same length differ only in their types. */
uint8_t *genload_types(uint32_t n, size_t *len)
{
	struct buf m = { 0 }, s = { 0 };
	uint32_t bits = 1;

	while (bits < 32 && (1u << bits) < n)
		bits++;
	put(&m, "\0asm\1\0\0\0", 8);
	leb(&s, n);
	for (uint32_t i = 0; i < n; i++) {
		u8(&s, 0x60);
		leb(&s, bits);
		for (uint32_t j = 0; j < bits; j++)
			u8(&s, (i >> j) & 1 ? 0x7e : 0x7f);
		leb(&s, 0);
	}
	section(&m, 1, &s);
	return finish(&m, len);
}

/* One function and `nsegs` passive elem segments of `nitems` `ref.func 0`
 * expressions each: all decoding, almost no compiling. */
uint8_t *genload_elem_items(uint32_t nsegs, uint32_t nitems, size_t *len)
{
	static const uint8_t ref_func0[] = { 0xd2, 0x00, 0x0b };
	struct buf m = { 0 }, s = { 0 };

	put(&m, "\0asm\1\0\0\0", 8);
	put(&s, "\1\x60\0\0", 4); /* one type: [] -> [] */
	section(&m, 1, &s);
	put(&s, "\1\0", 2);
	section(&m, 3, &s);
	leb(&s, nsegs);
	for (uint32_t i = 0; i < nsegs; i++) {
		put(&s, "\5\x70", 2); /* passive, expressions, funcref */
		leb(&s, nitems);
		rep(&s, nitems, ref_func0, sizeof(ref_func0));
	}
	section(&m, 9, &s);
	put(&s, "\1\2\0\x0b", 4); /* one body: no locals, end */
	section(&m, 10, &s);
	return finish(&m, len);
}

/* One imported function, `nglobals` globals set by `i32.const 0`, and a
 * name section naming function 0 `nnames` times: no function to compile,
 * most of the time spent validating globals and reading names. */
uint8_t *genload_late_work(uint32_t nglobals, uint32_t nnames, size_t *len)
{
	static const uint8_t global_i32[] = { 0x7f, 0x00, 0x41, 0x00, 0x0b };
	static const uint8_t name0[] = { 0x00, 0x08, 'f', 'u', 'n', 'c', 'n', 'a', 'm', 'e' };
	struct buf m = { 0 }, s = { 0 }, sub = { 0 };

	put(&m, "\0asm\1\0\0\0", 8);
	put(&s, "\1\x60\0\0", 4); /* one type: [] -> [] */
	section(&m, 1, &s);
	put(&s, "\1\1m\1f\0\0", 7); /* import m.f: function of type 0 */
	section(&m, 2, &s);
	leb(&s, nglobals);
	rep(&s, nglobals, global_i32, sizeof(global_i32));
	section(&m, 6, &s);
	leb(&sub, nnames);
	rep(&sub, nnames, name0, sizeof(name0));
	put(&s, "\4name\1", 6); /* name section, subsection 1: function names */
	sized(&s, &sub);
	section(&m, 0, &s);
	return finish(&m, len);
}
