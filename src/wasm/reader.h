/* SPDX-License-Identifier: MIT */
/*
 * A bounds-checked cursor over untrusted bytes with the LEB128 rules of
 * the binary format: no more bytes than the type needs, and the unused
 * bits of the last byte must be a sign (or zero) extension.
 */
#ifndef WBPF_WASM_READER_H
#define WBPF_WASM_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wasm_reader {
	const uint8_t *p, *end;
	const uint8_t *base; /* for offsets in messages */
	const char *error;   /* the first failure, NULL while fine */
};

static inline size_t rd_offset(const struct wasm_reader *r)
{
	return (size_t)(r->p - r->base);
}

static inline bool rd_fail(struct wasm_reader *r, const char *why)
{
	if (!r->error)
		r->error = why;
	return false;
}

static inline bool rd_u8(struct wasm_reader *r, uint8_t *out)
{
	if (r->p >= r->end)
		return rd_fail(r, "unexpected end");
	*out = *r->p++;
	return true;
}

/* Reads an unsigned (sign = false) or signed LEB128 of at most `bits`. */
static inline bool rd_leb(struct wasm_reader *r, unsigned bits, bool sign, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b;

	for (;;) {
		if (!rd_u8(r, &b))
			return false;
		if (shift + 7 >= bits && (b & 0x80))
			return rd_fail(r, "integer representation too long");
		if (shift + 7 > bits) {
			/* Last byte: bits beyond `bits` must extend the value. */
			unsigned used = bits - shift;
			uint8_t extra = (uint8_t)(b & 0x7f) >> used;
			uint8_t all = (uint8_t)(0x7f >> used);

			if (sign ? (extra != 0 && extra != all) ||
					   (extra == all) != !!(b & (1u << (used - 1)))
				 : extra != 0)
				return rd_fail(r, "integer too large");
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	if (sign && shift < 64 && (b & 0x40))
		v |= ~0ull << shift;
	*out = v;
	return true;
}

/* The one- and two-byte forms (most indices and small constants, branch
 * depths below 16384) skip the loop: two bytes can be neither too long
 * nor too large for 32 bits. */
static inline bool rd_u32(struct wasm_reader *r, uint32_t *out)
{
	uint64_t v;

	if (r->p < r->end && *r->p < 0x80) {
		*out = *r->p++;
		return true;
	}
	if (r->end - r->p >= 2 && r->p[1] < 0x80) {
		*out = (uint32_t)(r->p[0] & 0x7f) | (uint32_t)r->p[1] << 7;
		r->p += 2;
		return true;
	}

	if (!rd_leb(r, 32, false, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

static inline bool rd_s32(struct wasm_reader *r, int32_t *out)
{
	uint64_t v;

	if (r->p < r->end && *r->p < 0x80) {
		*out = (int32_t)((uint32_t)*r->p++ << 25) >> 25; /* bit 6 is the sign */
		return true;
	}

	if (!rd_leb(r, 32, true, &v))
		return false;
	*out = (int32_t)(uint32_t)v;
	return true;
}

static inline bool rd_s64(struct wasm_reader *r, int64_t *out)
{
	uint64_t v;

	if (!rd_leb(r, 64, true, &v))
		return false;
	*out = (int64_t)v;
	return true;
}

static inline bool rd_fixed(struct wasm_reader *r, void *out, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return rd_fail(r, "unexpected end");
	for (size_t i = 0; i < n; i++)
		((uint8_t *)out)[i] = r->p[i];
	r->p += n;
	return true;
}

#endif
