// SPDX-License-Identifier: MIT
/*
 * Buffers that loading may grow to megabytes: the compiler's stacks and
 * code, compiled code, elem items. Past a threshold they are mappings of
 * their own advised for transparent huge pages. First touches of fresh
 * memory are most of the cost of loading a large module (on a
 * virtualised host a page fault costs microseconds, and a megabyte of
 * code touches hundreds of pages); a 2 MiB page takes one fault instead
 * of 512, and a mapping grows with mremap, without copying.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "wasm/module.h"

/* From half a huge page on, a buffer takes whole 2 MiB pages: at most
 * twice the memory, for one fault instead of hundreds. */
#define BIG (2u << 20)
#define MAPPED (BIG / 2)

/* Before the caller's bytes, at a distance that keeps them 64-byte
 * aligned: how large the block is and how it was made. */
struct bigbuf_head {
	size_t size; /* mapped bytes, or 0 for a malloc'd block */
	char pad[56];
};

static struct bigbuf_head *head_of(void *p)
{
	return (struct bigbuf_head *)p - 1;
}

static size_t round_big(size_t n)
{
	return (n + BIG - 1) & ~(size_t)(BIG - 1);
}

static void *map_big(size_t size)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	madvise(m, size, MADV_HUGEPAGE); /* advice: without THP, plain pages */
	((struct bigbuf_head *)m)->size = size;
	return (struct bigbuf_head *)m + 1;
}

static void *realloc_big(struct bigbuf_head *h, size_t old, size_t size)
{
	size_t want = round_big(size + sizeof(*h));

	if (h && h->size) {
		if (want == h->size)
			return h + 1;
		/* Keeps the mapping's huge-page advice; pages move, not bytes. */
		void *m = mremap(h, h->size, want, MREMAP_MAYMOVE);

		if (m == MAP_FAILED)
			return want < h->size ? h + 1 : NULL;
		((struct bigbuf_head *)m)->size = want;
		return (struct bigbuf_head *)m + 1;
	}
	void *p = map_big(want);

	if (p && h) {
		memcpy(p, h + 1, old);
		free(h);
	}
	return p;
}

void *wasm_bigbuf_realloc(void *p, size_t old, size_t size)
{
	struct bigbuf_head *h = p ? head_of(p) : NULL;

	if (size + sizeof(*h) >= MAPPED || (h && h->size))
		return realloc_big(h, old, size);
	h = realloc(h, size + sizeof(*h));
	if (!h)
		return NULL;
	h->size = 0;
	return h + 1;
}

void *wasm_bigbuf_calloc(size_t n, size_t size)
{
	struct bigbuf_head *h;

	if (size && n > (SIZE_MAX - sizeof(*h)) / size)
		return NULL;
	if (n * size + sizeof(*h) >= MAPPED)
		return realloc_big(NULL, 0, n * size); /* fresh mappings are zero */
	h = calloc(1, n * size + sizeof(*h));
	return h ? h + 1 : NULL;
}

void wasm_bigbuf_free(void *p)
{
	struct bigbuf_head *h;

	if (!p)
		return;
	h = head_of(p);
	if (h->size)
		munmap(h, h->size);
	else
		free(h);
}

/* An arena's chunks double from FIRST_CHUNK (or as much as a block
 * needs), grow fourfold from GROW4 up to BIG, then stay BIG: a small
 * module takes a few kilobytes, a large one whole huge pages soon. What
 * is left in a chunk too small for the next block is lost, less than
 * that block. */
#define FIRST_CHUNK (32u << 10)
#define GROW4 (128u << 10)

/* Under AddressSanitizer each block is a chunk of its own, so that an
 * overrun out of one is still caught. */
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define ARENA_SHARED false
#else
#define ARENA_SHARED true
#endif

struct wasm_arena {
	struct wasm_arena *next;
	size_t used, size; /* bytes of data[] */
	size_t total;	   /* the chunk's bytes, headers included */
	_Alignas(16) unsigned char data[];
};

void *wasm_arena_alloc(struct wasm_arena **arena, size_t size)
{
	const size_t heads = sizeof(struct bigbuf_head) + sizeof(struct wasm_arena);
	struct wasm_arena *a = *arena;

	if (ARENA_SHARED)
		size = (size + 15) & ~(size_t)15;
	if (!a || !ARENA_SHARED || a->size - a->used < size) {
		size_t total = !ARENA_SHARED ? size + heads : !a ? FIRST_CHUNK :
			       a->total < GROW4 ? a->total * 2 : a->total < BIG ? a->total * 4 : BIG;

		while (total - heads < size)
			total *= 2;
		struct wasm_arena *n = wasm_bigbuf_realloc(NULL, 0, total - sizeof(struct bigbuf_head));

		if (!n)
			return NULL;
		*n = (struct wasm_arena){ .next = a, .size = total - heads, .total = total };
		*arena = a = n;
	}
	a->used += size;
	return a->data + a->used - size;
}

void wasm_arena_free(struct wasm_arena *arena)
{
	while (arena) {
		struct wasm_arena *next = arena->next;

		wasm_bigbuf_free(arena);
		arena = next;
	}
}
