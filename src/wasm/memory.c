// SPDX-License-Identifier: MIT
/*
 * Linear memories. Each reserves its whole address range up front and
 * makes pages accessible as it grows, so the base pointer never moves
 * (host views and other threads' stores stay valid) and growth costs an
 * mprotect, not a copy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "wasm/runtime.h"

/* 4 GiB of pages, room for any 32-bit offset past them, and for the
 * width of the widest access (see guard.c). */
#define MEMORY_RESERVATION ((8ull << 30) + WASM_PAGE_SIZE)

static uint64_t page_cap(const struct wbpf_memory *mem)
{
	uint64_t pages = mem->max_pages;
	uint64_t cap = mem->store ? mem->store->max_memory_bytes : 0;

	if (cap && cap / WASM_PAGE_SIZE < pages)
		pages = cap / WASM_PAGE_SIZE;
	return pages;
}

struct wbpf_memory *wasm_memory_create(struct wbpf_store *st, uint32_t min_pages, uint32_t max_pages)
{
	struct wbpf_memory *mem = calloc(1, sizeof(*mem));

	if (!mem)
		return NULL;
	mem->store = st;
	mem->has_max = max_pages <= WASM_MAX_PAGES;
	mem->max_pages = mem->has_max ? max_pages : WASM_MAX_PAGES;
	if (min_pages > page_cap(mem))
		goto fail;
	mem->reserved = MEMORY_RESERVATION;
	mem->data = mmap(NULL, mem->reserved, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem->data == MAP_FAILED)
		goto fail;
	if (wasm_memory_grow(mem, min_pages) < 0) {
		munmap(mem->data, mem->reserved);
		goto fail;
	}
	mem->next = st->memories;
	st->memories = mem;
	return mem;
fail:
	free(mem);
	return NULL;
}

int64_t wasm_memory_grow(struct wbpf_memory *mem, uint32_t delta)
{
	if (!mem)
		return -1;
	uint64_t old = mem->size / WASM_PAGE_SIZE;

	if ((uint64_t)delta > page_cap(mem) - old)
		return -1;
	if (delta && mprotect(mem->data + mem->size, (uint64_t)delta * WASM_PAGE_SIZE,
			      PROT_READ | PROT_WRITE))
		return -1;
	mem->size += (uint64_t)delta * WASM_PAGE_SIZE;
	return (int64_t)old;
}

void wasm_memory_destroy(struct wbpf_memory *mem)
{
	munmap(mem->data, mem->reserved);
	free(mem);
}

struct wbpf_memory *wbpf_memory__new(struct wbpf_store *store, uint32_t min_pages, uint32_t max_pages)
{
	if (!store || min_pages > max_pages)
		return NULL;
	return wasm_memory_create(store, min_pages, max_pages);
}

uint8_t *wbpf_memory__data(const struct wbpf_memory *mem)
{
	return mem ? mem->data : NULL;
}

uint64_t wbpf_memory__size(const struct wbpf_memory *mem)
{
	return mem ? mem->size : 0;
}

static bool in_bounds(const struct wbpf_memory *mem, uint64_t off, size_t len)
{
	return mem && wasm_range_ok(mem->size, off, len);
}

int wbpf_memory__read(const struct wbpf_memory *mem, uint64_t off, void *buf, size_t len)
{
	if (!in_bounds(mem, off, len))
		return -EFAULT;
	memcpy(buf, mem->data + off, len);
	return 0;
}

int wbpf_memory__write(struct wbpf_memory *mem, uint64_t off, const void *buf, size_t len)
{
	if (!in_bounds(mem, off, len))
		return -EFAULT;
	memcpy(mem->data + off, buf, len);
	return 0;
}

int64_t wbpf_memory__grow(struct wbpf_memory *mem, uint32_t delta_pages)
{
	return wasm_memory_grow(mem, delta_pages);
}
