// SPDX-License-Identifier: MIT
/*
 * The reference side of the generated-types check: fills the awkward
 * structs through their real C declarations (x86-64 lays them out as the
 * BPF target does: little-endian, 64-bit long and pointers), then prints
 * their bytes as hex and the values a guest must decode from them with
 * the types `wbpf gen types` wrote.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "awkward.h"

static void hex(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", ((const unsigned char *)p)[i]);
	printf("\n");
}

int main(void)
{
	static struct awkward w;
	struct bits b;

	memset(&w, 0, sizeof(w));
	memset(&b, 0, sizeof(b));
	w.l = -2;
	w.ul = 0x8000000000000001ull;
	w.ptr = (void *)0x1122334455667788ull;
	w.anon_a = 0xdeadbeef;
	w.anon_b = 0xbeef;
	w.as_u32 = 77;
	w.val.halves.hi = 0x4242;
	w.pk.id = 0x01020304;
	w.pk.nested.value = 0x0a0b0c0d0e0f1011ull;
	w.pk.nested.tail = -9;
	w.points[2].y = -31;
	w.grid[1][2] = 12345;
	strcpy(w.comm, "awkward");
	w.count = 3;
	w.wide = ((unsigned __int128)0x99 << 64) | 0x55;
	b.a = 5;
	b.b = 100;
	b.c = -3;
	b.d = 0xabcdef1234ull;
	b.flag = 0x7f;
	b.e = 1;
	b.f = -4294967296ll;
	hex(&w, sizeof(w));
	hex(&b, sizeof(b));
	printf("l=%ld ul=%lu ptr=%lu anon_a=%u anon_b=%u as_u32=%u hi=%u id=%u value=%llu tail=%d "
	       "y=%d grid=%u comm=%s count=%u wide_lo=%llu wide_hi=%llu\n",
	       w.l, w.ul, (unsigned long)w.ptr, w.anon_a, w.anon_b, w.as_u32, w.val.halves.hi,
	       w.pk.id, (unsigned long long)w.pk.nested.value, w.pk.nested.tail, w.points[2].y,
	       w.grid[1][2], w.comm, w.count, (unsigned long long)w.wide,
	       (unsigned long long)(w.wide >> 64));
	printf("a=%u b=%u c=%d d=%llu flag=%u e=%u f=%lld\n", b.a, b.b, b.c,
	       (unsigned long long)b.d, b.flag, b.e, (long long)b.f);
	return 0;
}
