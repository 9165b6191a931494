/* SPDX-License-Identifier: MIT */
/*
 * The compiling tier's code cache: a module's machine code (a jit_image)
 * in a file named after the module's hash, so that loading the same
 * module again, in this process or the next, does not compile it again.
 */
#ifndef WBPF_WASM_JIT_CACHE_H
#define WBPF_WASM_JIT_CACHE_H

#include "wasm/jit.h"

/* An entry's header; the entry offsets, relocations, code and a
 * checksum of all that come after it (jit_cache.c). */
struct cache_header {
	char magic[8];
	uint32_t format;
	uint32_t cpu;
	uint32_t config;
	uint32_t ndefined;
	uint32_t nrelocs;
	uint32_t reserved;
	uint64_t code_len;
	uint8_t module[32];
	uint8_t engine[32];
};

/* What an entry must match to be used. */
struct jit_cache_key {
	uint8_t module[32]; /* sha256 of the module's bytes */
	uint8_t engine[32]; /* the build of this engine (its GNU build ID) */
	uint32_t cpu;	    /* wasm_jit_cpu_features() */
	uint32_t config;    /* what else shapes the code: explicit bounds checks */
};

/* 0, or -ENOENT where the engine's build cannot be identified (then
 * nothing is cached). */
int wasm_jit_cache_key(const struct wbpf_module *mod, struct jit_cache_key *key);

/* The directory to use: `opt` (wbpf_module_opts.code_cache), else
 * WBPF_CODE_CACHE, else $XDG_CACHE_HOME/wbpf when XDG_CACHE_HOME is set;
 * "" or "off" turn the cache off. Malloc'd, or NULL for no cache. */
char *wasm_jit_cache_dir(const char *opt);

/* A hit: the entry mapped read-only, the image pointing into it. */
struct jit_cache_entry {
	struct jit_image img;
	void *map;
	size_t map_len;
};

/* 0 and the mapped entry on a hit (release it once its code is
 * installed); negative errno when there is no entry or it cannot be
 * trusted: -EBADMSG for a damaged one (checksum, size, structure),
 * -ESTALE for another module, build, CPU or config, -EPERM for a
 * directory others may write to. */
int wasm_jit_cache_load(const char *dir, const struct jit_cache_key *key,
			struct jit_cache_entry *e);
void wasm_jit_cache_release(struct jit_cache_entry *e);

/* The entry's checksum (its last 8 bytes) over the bytes before it: for
 * damage, not forgery. */
uint64_t wasm_jit_cache_sum(const void *p, size_t n);

/* Writes the entry atomically (a temporary file renamed over it), so a
 * reader sees a whole entry or none; failures only cost the next load a
 * compile. Then, if the directory's entries take more than `max` bytes,
 * removes the least recently used ones (by access time, which a hit
 * sets) until they fit, never the new one. */
int wasm_jit_cache_store(const char *dir, uint64_t max, const struct jit_cache_key *key,
			 const struct jit_image *img);

#define JIT_CACHE_MAX_DEFAULT (256ull << 20)
/* The size cap: `opt` (wbpf_module_opts.code_cache_max) if not 0, else
 * WBPF_CODE_CACHE_MAX (bytes, or with a k, M or G suffix), else
 * JIT_CACHE_MAX_DEFAULT. */
uint64_t wasm_jit_cache_max(uint64_t opt);

/* The CPU features an emitter may choose instructions by (bits of
 * enum jit_cpu_feature): part of the key, so code made on one CPU is not
 * run on another without them. */
enum jit_cpu_feature {
	JIT_CPU_SSSE3 = 1u << 0,
	JIT_CPU_SSE41 = 1u << 1,
	JIT_CPU_SSE42 = 1u << 2,
	JIT_CPU_POPCNT = 1u << 3,
	JIT_CPU_LZCNT = 1u << 4,
	JIT_CPU_BMI1 = 1u << 5,
	JIT_CPU_BMI2 = 1u << 6,
	JIT_CPU_AVX = 1u << 7,
	JIT_CPU_AVX2 = 1u << 8,
};
uint32_t wasm_jit_cpu_features(void);

#endif
