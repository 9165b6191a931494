/* SPDX-License-Identifier: MIT */
/*
 * The raw `wbpf` host imports (docs/abi-wbpf.md), as a wasm32 guest sees
 * them. Guests normally use the libbpf-shaped API in <bpf/libbpf.h>; these
 * are for tests and for code that wants the ABI itself.
 *
 * Every int return is >= 0 on success or a negative *Linux* errno (not
 * wasi-libc's numbering: use wbpf_errno() to convert).
 */
#ifndef WBPF_ABI_H
#define WBPF_ABI_H

#include <stdint.h>

#define WBPF_IMPORT(name) \
	__attribute__((import_module("wbpf"), import_name(#name)))

/* Written by wbpf_map_info(); layout fixed by the ABI (32 bytes). */
struct wbpf_map_info {
	uint32_t type;
	uint32_t key_size;
	uint32_t value_size;   /* one CPU's value */
	uint32_t max_entries;
	uint32_t map_flags;
	uint32_t value_stride; /* bytes of one lookup/update value */
	uint32_t ncpus;
	uint32_t reserved;
};
_Static_assert(sizeof(struct wbpf_map_info) == 32, "ABI: map_info is 32 bytes");

/* A record in a ringbuf_read() batch; layout fixed by the ABI. */
struct wbpf_ringbuf_record {
	uint32_t size; /* bytes of data that follow */
	uint32_t ring; /* 0: the map of ringbuf_new; 1, 2, ...: ringbuf_add order */
};
_Static_assert(sizeof(struct wbpf_ringbuf_record) == 8, "ABI: ring record header is 8 bytes");

/* Objects */
WBPF_IMPORT(object_open) int wbpf_object_open(const void *buf, uint32_t size, const char *name);
WBPF_IMPORT(object_load) int wbpf_object_load(int obj);
WBPF_IMPORT(object_close) int wbpf_object_close(int obj);
WBPF_IMPORT(object_find_program) int wbpf_object_find_program(int obj, const char *name);
WBPF_IMPORT(object_find_map) int wbpf_object_find_map(int obj, const char *name);
WBPF_IMPORT(object_program) int wbpf_object_program(int obj, uint32_t index);
WBPF_IMPORT(object_map) int wbpf_object_map(int obj, uint32_t index);

/* Programs and links */
WBPF_IMPORT(program_name) int wbpf_program_name(int prog, char *buf, uint32_t size);
WBPF_IMPORT(program_section) int wbpf_program_section(int prog, char *buf, uint32_t size);
WBPF_IMPORT(program_set_autoload) int wbpf_program_set_autoload(int prog, int on);
WBPF_IMPORT(program_attach) int wbpf_program_attach(int prog);
WBPF_IMPORT(program_attach_tracepoint)
int wbpf_program_attach_tracepoint(int prog, const char *category, const char *name);
WBPF_IMPORT(program_attach_raw_tracepoint)
int wbpf_program_attach_raw_tracepoint(int prog, const char *name);
WBPF_IMPORT(program_attach_trace) int wbpf_program_attach_trace(int prog);
WBPF_IMPORT(program_attach_uprobe)
int wbpf_program_attach_uprobe(int prog, int retprobe, int pid, const char *binary,
			       const char *func, uint64_t offset);
WBPF_IMPORT(program_attach_socket) int wbpf_program_attach_socket(int prog, const char *ifname);
WBPF_IMPORT(program_attach_cgroup) int wbpf_program_attach_cgroup(int prog, const char *path);
WBPF_IMPORT(program_attach_xdp) int wbpf_program_attach_xdp(int prog, const char *ifname);
WBPF_IMPORT(link_destroy) int wbpf_link_destroy(int link);

/* Maps */
WBPF_IMPORT(map_info) int wbpf_map_info(int map, struct wbpf_map_info *info);
WBPF_IMPORT(map_name) int wbpf_map_name(int map, char *buf, uint32_t size);
WBPF_IMPORT(map_set_max_entries) int wbpf_map_set_max_entries(int map, uint32_t n);
WBPF_IMPORT(map_lookup)
int wbpf_map_lookup(int map, const void *key, uint32_t key_size, void *value,
		    uint32_t value_size, uint64_t flags);
WBPF_IMPORT(map_update)
int wbpf_map_update(int map, const void *key, uint32_t key_size, const void *value,
		    uint32_t value_size, uint64_t flags);
WBPF_IMPORT(map_delete)
int wbpf_map_delete(int map, const void *key, uint32_t key_size, uint64_t flags);
WBPF_IMPORT(map_next_key)
int wbpf_map_next_key(int map, const void *key, void *next_key, uint32_t key_size);
WBPF_IMPORT(map_lookup_and_delete)
int wbpf_map_lookup_and_delete(int map, const void *key, uint32_t key_size, void *value,
			       uint32_t value_size, uint64_t flags);
WBPF_IMPORT(map_lookup_batch)
int wbpf_map_lookup_batch(int map, void *in_batch, void *out_batch, void *keys,
			  void *values, uint32_t *count, uint64_t elem_flags);
WBPF_IMPORT(map_lookup_and_delete_batch)
int wbpf_map_lookup_and_delete_batch(int map, void *in_batch, void *out_batch, void *keys,
				     void *values, uint32_t *count, uint64_t elem_flags);
WBPF_IMPORT(map_update_batch)
int wbpf_map_update_batch(int map, const void *keys, const void *values, uint32_t *count,
			  uint64_t elem_flags);
WBPF_IMPORT(map_delete_batch)
int wbpf_map_delete_batch(int map, const void *keys, uint32_t *count, uint64_t elem_flags);

/* Global data (.rodata, .data, .bss) by map and offset */
WBPF_IMPORT(map_data_read)
int wbpf_map_data_read(int map, uint32_t offset, void *buf, uint32_t len);
WBPF_IMPORT(map_data_write)
int wbpf_map_data_write(int map, uint32_t offset, const void *buf, uint32_t len);

/* Ring buffers: sample is int fn(void *ctx, void *data, size_t size) */
WBPF_IMPORT(ringbuf_new)
int wbpf_ringbuf_new(int map, int sample, void *ctx, void *buf, uint32_t buf_size);
WBPF_IMPORT(ringbuf_add) int wbpf_ringbuf_add(int rb, int map, int sample, void *ctx);
WBPF_IMPORT(ringbuf_poll) int wbpf_ringbuf_poll(int rb, int timeout_ms);
WBPF_IMPORT(ringbuf_consume) int wbpf_ringbuf_consume(int rb);
/* Batch delivery: ready records as struct wbpf_ringbuf_record headers,
 * each followed by its data padded to 8 bytes; returns the bytes used. */
WBPF_IMPORT(ringbuf_read) int wbpf_ringbuf_read(int rb, void *buf, uint32_t size, int timeout_ms);
WBPF_IMPORT(ringbuf_lost) uint64_t wbpf_ringbuf_lost(int rb);
WBPF_IMPORT(ringbuf_free) int wbpf_ringbuf_free(int rb);

/* Perf buffers: sample is void fn(void *ctx, int cpu, void *data, uint32_t size),
 * lost is void fn(void *ctx, int cpu, uint64_t count) or 0. */
WBPF_IMPORT(perfbuf_new)
int wbpf_perfbuf_new(int map, uint32_t page_cnt, int sample, int lost, void *ctx,
		     void *buf, uint32_t buf_size);
WBPF_IMPORT(perfbuf_poll) int wbpf_perfbuf_poll(int pb, int timeout_ms);
WBPF_IMPORT(perfbuf_consume) int wbpf_perfbuf_consume(int pb);
WBPF_IMPORT(perfbuf_lost) uint64_t wbpf_perfbuf_lost(int pb);
WBPF_IMPORT(perfbuf_free) int wbpf_perfbuf_free(int pb);

/* Records: one flat JSON object to the run's sink (--output); members
 * become fields in order, and the first record fixes them. */
WBPF_IMPORT(record_emit_json) int wbpf_record_emit_json(const char *json, uint32_t len);

/* A guest function pointer as the table-0 index the ABI expects. */
#define WBPF_FUNC_INDEX(fn) ((int)(uintptr_t)(fn))

/* A Linux errno (as the host returns) in wasi-libc's numbering; unknown
 * values become EIO. Takes and returns positive numbers. */
int wbpf_errno(int linux_errno);

#endif /* WBPF_ABI_H */
