// SPDX-License-Identifier: GPL-2.0
/* The awkward layouts of awkward.h in an object's BTF (no program needs
 * them: the zero-length arrays put them there without data). */
#include "awkward.h"

#define SEC(name) __attribute__((section(name), used))

struct awkward awkward_btf[0] SEC(".bss");
struct bits bits_btf[0] SEC(".bss");
union value value_btf[0] SEC(".bss");

/* Global data of mixed sizes: the section structs. */
long counter;
unsigned char flags[3] = {1, 2, 3};
const volatile unsigned short limit = 9;
const volatile long long threshold = -5;

SEC("raw_tp/sys_enter")
int awkward_prog(void *ctx)
{
	(void)ctx;
	counter++;
	return flags[0] + limit + (int)threshold;
}

char LICENSE[] SEC("license") = "GPL";
