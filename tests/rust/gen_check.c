// SPDX-License-Identifier: MIT
/*
 * gen_check.rs in C: decodes awkward_native's bytes with the C header
 * `wbpf gen types` wrote, as a wasm32 guest (32-bit long and pointers).
 *
 * usage: gen_check AWKWARD_HEX BITS_HEX
 */
#include <stdio.h>
#include <string.h>

#include "awkward.gen.h"

static int unhex(const char *s, void *out, size_t n)
{
	unsigned char *o = out;

	if (strlen(s) < 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (sscanf(s + 2 * i, "%2hhx", &o[i]) != 1)
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static struct awkward w;
	struct bits b;

	if (argc != 3 || unhex(argv[1], &w, sizeof(w)) || unhex(argv[2], &b, sizeof(b))) {
		fprintf(stderr, "usage: gen_check AWKWARD_HEX BITS_HEX\n");
		return 2;
	}
	printf("l=%lld ul=%llu ptr=%llu anon_a=%u anon_b=%u as_u32=%u hi=%u id=%u value=%llu "
	       "tail=%d y=%d grid=%u comm=%s count=%u wide_lo=%llu wide_hi=%llu\n",
	       (long long)w.l, (unsigned long long)w.ul, (unsigned long long)w.ptr, w.anon_a,
	       w.anon_b, w.__anon2.as_u32, w.val.halves.hi, w.pk.id,
	       (unsigned long long)w.pk.nested.value, w.pk.nested.tail, w.points[2].y,
	       w.grid[1][2], w.comm, w.count, (unsigned long long)w.wide[0],
	       (unsigned long long)w.wide[1]);
	printf("a=%llu b=%llu c=%lld d=%llu flag=%u e=%llu f=%lld\n",
	       (unsigned long long)bits_a(&b), (unsigned long long)bits_b(&b), (long long)bits_c(&b),
	       (unsigned long long)bits_d(&b), b.flag, (unsigned long long)bits_e(&b),
	       (long long)bits_f(&b));
	return 0;
}
