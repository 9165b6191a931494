/* SPDX-License-Identifier: MIT */
/* LZ77 round trip: 256 KiB of generated text compressed by a greedy
 * hash-table matcher into a byte-oriented format of this kernel's own, then
 * decompressed with bounds checks on every read and write; each repetition
 * must give back the input exactly.
 *
 * Format: varint(uncompressed length), then sequences of varint(literal
 * count), the literals, and, unless the output is complete,
 * varint(match length - MIN_MATCH) and varint(distance back, 1..WINDOW).
 * Varints are little-endian base 128. */
#include "bench.h"

#include <string.h>

#define TEXT_LEN (256u << 10)
/* Worst case: 4-byte matches coded in 5 bytes (count, length, 3-byte distance). */
#define OUT_MAX (TEXT_LEN + TEXT_LEN / 4 + 64)
#define HASH_BITS 14
#define MIN_MATCH 4
#define WINDOW (1u << 16)
#define SLACK 16 /* decoder copies in 8-byte steps may run this far ahead */
#define EXPECTED 0x2caa8097049c34f0ull

static uint8_t text[TEXT_LEN];
static uint8_t packed[OUT_MAX];
static uint8_t unpacked[TEXT_LEN + SLACK];

static uint32_t load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint8_t *put_varint(uint8_t *o, uint64_t v)
{
	while (v >= 0x80) {
		*o++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*o++ = (uint8_t)v;
	return o;
}

static uint8_t *put_literals(uint8_t *o, const uint8_t *from, size_t n)
{
	o = put_varint(o, n);
	memcpy(o, from, n);
	return o + n;
}

static uint32_t hash4(uint32_t v)
{
	return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* Returns the compressed size. Matches are found through a table of the
 * last position seen for each hash of 4 bytes; after a run of misses the
 * scan speeds up, so incompressible stretches cost little. */
static size_t compress(const uint8_t *in, size_t n, uint8_t *out)
{
	uint32_t table[1u << HASH_BITS];
	const uint8_t *ip = in, *anchor = in, *end = in + n;
	const uint8_t *limit = n > MIN_MATCH ? end - MIN_MATCH : in;
	uint8_t *o = put_varint(out, n);
	uint32_t misses = 0;

	memset(table, 0, sizeof(table)); /* position 0: a valid, harmless candidate */
	while (ip < limit) {
		uint32_t h = hash4(load32(ip)), dist;
		const uint8_t *cand = in + table[h], *m;

		table[h] = (uint32_t)(ip - in);
		dist = (uint32_t)(ip - cand);
		if (dist == 0 || dist > WINDOW || load32(cand) != load32(ip)) {
			ip += 1 + (misses++ >> 5);
			continue;
		}
		misses = 0;
		for (m = ip + MIN_MATCH; m < end && *m == cand[m - ip];)
			m++;
		o = put_literals(o, anchor, (size_t)(ip - anchor));
		o = put_varint(o, (uint64_t)(m - ip - MIN_MATCH));
		o = put_varint(o, dist);
		/* Positions inside the match feed later matches too. */
		if (m - 2 < limit) {
			table[hash4(load32(ip + 1))] = (uint32_t)(ip + 1 - in);
			table[hash4(load32(m - 2))] = (uint32_t)(m - 2 - in);
		}
		ip = anchor = m;
	}
	return (size_t)(put_literals(o, anchor, (size_t)(end - anchor)) - out);
}

/* A varint at *pp below end; sets *bad on a truncated or overlong one. */
static uint64_t get_varint(const uint8_t **pp, const uint8_t *end, int *bad)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;

	for (int shift = 0; shift < 64 && p < end; shift += 7) {
		v |= (uint64_t)(*p & 0x7f) << shift;
		if (!(*p++ & 0x80)) {
			*pp = p;
			return v;
		}
	}
	*bad = 1;
	return 0;
}

static void copy_match(uint8_t *o, size_t dist, size_t len)
{
	const uint8_t *from = o - dist;

	if (dist < 8) { /* overlapping: the match repeats its own start */
		while (len--)
			*o++ = *from++;
		return;
	}
	for (size_t i = 0; i < len; i += 8) /* may write up to 7 bytes past len */
		memcpy(o + i, from + i, 8);
}

/* Returns the decompressed size, or -1 on a malformed or oversized stream.
 * `out` has SLACK bytes beyond cap. */
static long decompress(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	const uint8_t *ip = in, *end = in + n;
	int bad = 0;
	uint64_t total = get_varint(&ip, end, &bad);
	size_t done = 0;

	if (bad || total > cap)
		return -1;
	for (;;) {
		uint64_t lits = get_varint(&ip, end, &bad), len, dist;

		if (bad || lits > total - done || lits > (uint64_t)(end - ip))
			return -1;
		memcpy(out + done, ip, lits);
		ip += lits;
		done += lits;
		if (done == total)
			return ip == end ? (long)done : -1;
		len = get_varint(&ip, end, &bad) + MIN_MATCH;
		dist = get_varint(&ip, end, &bad);
		if (bad || dist == 0 || dist > done || len > total - done)
			return -1;
		copy_match(out + done, dist, len);
		done += len;
	}
}

static uint64_t round_trip(const uint8_t *in)
{
	size_t n = compress(in, TEXT_LEN, packed);
	long m = decompress(packed, n, unpacked, TEXT_LEN);

	if (m != (long)TEXT_LEN || memcmp(unpacked, in, TEXT_LEN))
		return 0;
	return bench_mix_bytes(BENCH_MIX_INIT, packed, n);
}

/* Log-like lines: a few templates with varying fields and the odd random
 * word, so the text has both long repeats and fresh stretches. */
static void generate(uint8_t *o, size_t n, uint64_t seed)
{
	static const char *const hosts[] = { "web-1", "web-2", "db-0", "cache-7f9c", "gw" };
	size_t len = 0;

	while (len < n) {
		uint64_t r = bench_rand(&seed);
		unsigned a = (unsigned)(r >> 16) % 100000, b = (unsigned)(r >> 40) % 256;
		const char *h = hosts[(r >> 8) % 5];
		char line[160];
		int k;

		switch (r % 6) {
		case 0:
			k = snprintf(line, sizeof(line), "connection from %s port %u closed after %u bytes\n",
				     h, a % 65536, a);
			break;
		case 1:
			k = snprintf(line, sizeof(line), "process %u exited with status %u\n", a, b);
			break;
		case 2:
			k = snprintf(line, sizeof(line), "request to upstream %s timed out after %u ms\n", h,
				     b * 10);
			break;
		case 3:
			k = snprintf(line, sizeof(line), "GET /api/v1/items/%u 200 %u\n", a % 1000, a);
			break;
		case 4:
			k = snprintf(line, sizeof(line), "user %c%c%c%c logged in from %s\n",
				     (int)('a' + (r >> 8) % 26), (int)('a' + (r >> 20) % 26),
				     (int)('a' + (r >> 32) % 26), (int)('a' + (r >> 44) % 26), h);
			break;
		default:
			k = snprintf(line, sizeof(line), "cache %s: %u hits, %u misses\n", h, a, b);
		}
		for (int i = 0; i < k && len < n; i++)
			o[len++] = (uint8_t)line[i];
	}
}

int main(int argc, char **argv)
{
	static const uint8_t tiny[] = "abcabcabcabcabcabc x";
	struct bench b;
	size_t n;

	bench_begin(&b, "lz", argc, argv, 300);
	generate(text, TEXT_LEN, 0x1277);
	n = compress(text, TEXT_LEN, packed);
	if (n > TEXT_LEN / 2 || decompress(packed, n - 1, unpacked, TEXT_LEN) != -1)
		bench_fail(&b, "poor compression, or a truncated stream decoded");
	n = compress(tiny, sizeof(tiny), packed);
	if (decompress(packed, n, unpacked, TEXT_LEN) != (long)sizeof(tiny) ||
	    memcmp(unpacked, tiny, sizeof(tiny)))
		bench_fail(&b, "overlapping match round trip");
	bench_start(&b);
	for (long r = 0; r < b.reps; r++)
		bench_rep(&b, round_trip(bench_opaque_ptr(text)));
	return bench_end(&b, EXPECTED);
}
