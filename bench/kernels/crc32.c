/* SPDX-License-Identifier: MIT */
/* CRC-32 (IEEE 802.3, reflected, table-driven, one byte a step) over 1 MiB. */
#include "bench.h"

#include <string.h>

#define BUF_LEN (1u << 20)
#define EXPECTED 0x00000000076c6e91ull

static uint32_t table[256];
static uint8_t buf[BUF_LEN];

static void make_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
		table[i] = c;
	}
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--)
		c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

int main(int argc, char **argv)
{
	struct bench b;
	uint64_t seed = 0x1234567;

	bench_begin(&b, "crc32", argc, argv, 150);
	make_table();
	if (crc32((const uint8_t *)"123456789", 9) != 0xcbf43926u)
		bench_fail(&b, "check value of \"123456789\"");
	for (size_t i = 0; i < BUF_LEN; i += 8) {
		uint64_t r = bench_rand(&seed);

		memcpy(buf + i, &r, 8);
	}
	bench_start(&b);
	for (long r = 0; r < b.reps; r++)
		bench_rep(&b, crc32(bench_opaque_ptr(buf), BUF_LEN));
	return bench_end(&b, EXPECTED);
}
