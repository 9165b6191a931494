/* SPDX-License-Identifier: MIT */
/*
 * A corruption of a BPF object that libbpf 1.1.2's bpf_object__open_mem
 * does not survive (SIGSEGV): in .BTF, the `type` member of the first map
 * definition struct gets a type id far past the last type. Shared by the
 * native tests (tests/bpf) and the hostile guest (tests/examples), so both
 * feed wbpf the same bytes.
 */
#ifndef WBPF_TESTS_CORRUPT_BTF_H
#define WBPF_TESTS_CORRUPT_BTF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CORRUPT_BAD_TYPE 0x00ffffffu

static inline uint32_t corrupt_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t corrupt_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint16_t corrupt_u16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* The .BTF section of a little-endian ELF64 object: offset and size. */
static inline int corrupt_find_btf(const uint8_t *elf, size_t size, size_t *off, size_t *len)
{
	uint64_t shoff, shnum, shstr, stroff, o, l;

	if (size < 64 || memcmp(elf, "\177ELF\2\1", 6))
		return -1;
	shoff = corrupt_u64(elf + 0x28);
	shnum = corrupt_u16(elf + 0x3c);
	shstr = corrupt_u16(elf + 0x3e);
	if (corrupt_u16(elf + 0x3a) != 64 || shoff > size || shnum > (size - shoff) / 64 ||
	    shstr >= shnum)
		return -1;
	stroff = corrupt_u64(elf + shoff + shstr * 64 + 0x18);
	for (uint64_t i = 0; i < shnum; i++) {
		const uint8_t *sh = elf + shoff + i * 64;
		uint64_t name = stroff + corrupt_u32(sh);

		if (name > size || size - name < 5 || memcmp(elf + name, ".BTF", 5))
			continue;
		o = corrupt_u64(sh + 0x18);
		l = corrupt_u64(sh + 0x20);
		if (o > size || l > size - o)
			return -1;
		*off = (size_t)o;
		*len = (size_t)l;
		return 0;
	}
	return -1;
}

/* Bytes after a BTF type's 12-byte header, by kind. */
static inline size_t corrupt_type_extra(uint32_t info)
{
	uint32_t kind = (info >> 24) & 0x1f, vlen = info & 0xffff;

	switch (kind) {
	case 1: case 14: case 17: return 4;	/* int, var, decl_tag */
	case 3: return 12;			/* array */
	case 4: case 5: case 15: case 19: return 12 * (size_t)vlen; /* struct, union, datasec, enum64 */
	case 6: case 13: return 8 * (size_t)vlen; /* enum, func_proto */
	default: return 0;
	}
}

/* Corrupts `elf` in place; 0, or -1 when it has no map definition. */
static inline int corrupt_btf(uint8_t *elf, size_t size)
{
	size_t off, len, p, end, strs;
	uint8_t *btf;

	if (corrupt_find_btf(elf, size, &off, &len) || len < 24)
		return -1;
	btf = elf + off;
	p = corrupt_u32(btf + 4) + (size_t)corrupt_u32(btf + 8);	 /* hdr_len + type_off */
	end = p + corrupt_u32(btf + 12);
	strs = corrupt_u32(btf + 4) + (size_t)corrupt_u32(btf + 16); /* hdr_len + str_off */
	if (end > len || strs > len)
		return -1;
	while (p + 12 <= end) {
		uint32_t info = corrupt_u32(btf + p + 4), kind = (info >> 24) & 0x1f;
		size_t extra = corrupt_type_extra(info);

		if (p + 12 + extra > end)
			return -1;
		for (size_t m = 0; kind == 4 && m < (info & 0xffff); m++) {
			uint8_t *mem = btf + p + 12 + 12 * m;
			size_t name = strs + corrupt_u32(mem);

			if (name + 5 <= len && !memcmp(btf + name, "type", 5)) {
				memcpy(mem + 4, &(uint32_t){ CORRUPT_BAD_TYPE }, 4);
				return 0;
			}
		}
		p += 12 + extra;
	}
	return -1;
}

#endif
