/* SPDX-License-Identifier: MIT */
/*
 * Layouts that are easy to get wrong when a guest copies a BPF struct:
 * packing, unions, anonymous members, flexible arrays, bitfields, `long`
 * and pointers (64-bit on the BPF side, 32-bit in a wasm32 guest), enums
 * of every size. Included by awkward.bpf.c (the BTF `wbpf gen types`
 * reads) and by awkward_native.c (the bytes the generated accessors must
 * decode), so both sides use these exact declarations.
 */
#ifndef AWKWARD_H
#define AWKWARD_H

enum small_enum { SMALL_A = 1, SMALL_B = 200 } __attribute__((packed));
enum signed_enum { NEG_ONE = -1, POS_SEVEN = 7 };
enum big_enum { BIG_LOW = 1, BIG_HIGH = 0x100000000ULL };

struct inner {
	unsigned char tag;
	unsigned long long value;	/* 7 bytes of padding before it */
	short tail;
};

struct __attribute__((packed)) packed_rec {
	unsigned char kind;
	unsigned int id;		/* at offset 1 */
	unsigned long long ts;		/* at offset 5 */
	struct inner nested;		/* unaligned nested struct */
};

union value {
	unsigned int u32;
	long long s64;
	unsigned char bytes[12];
	struct { unsigned short lo, hi; } halves;
};

struct bits {
	unsigned int a : 3;
	unsigned int b : 7;
	int c : 5;			/* signed */
	unsigned long long d : 40;	/* crosses bytes */
	unsigned char flag;
	unsigned int e : 1;
	long long f : 33;		/* signed, wide */
};

typedef struct {
	int x, y;
} point_t;

struct awkward {
	long l;				/* 8 bytes in BPF, 4 in wasm32 */
	unsigned long ul;
	void *ptr;			/* 8 bytes in BPF */
	const char *name;
	enum small_enum se;
	enum signed_enum sg;
	enum big_enum be;
	struct {			/* anonymous struct: flattened */
		unsigned int anon_a;
		unsigned short anon_b;
	};
	union {				/* anonymous union */
		unsigned int as_u32;
		float as_f32;
	};
	union value val;
	struct packed_rec pk;
	struct bits bf;
	point_t points[3];
	unsigned int grid[2][3];
	char comm[16];
	_Bool ok;
	double d;
	unsigned __int128 wide;
	unsigned int count;
	unsigned char data[];		/* flexible array */
};

#endif
