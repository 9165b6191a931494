/* SPDX-License-Identifier: MIT */
/* The `wasm_bpf` compatibility imports (docs/abi-wasm-bpf.md). */
#ifndef E2E_WASM_BPF_IMPORTS_H
#define E2E_WASM_BPF_IMPORTS_H

#include <stdint.h>

#define WASM_BPF(name) __attribute__((import_module("wasm_bpf"), import_name(#name)))

WASM_BPF(wasm_load_bpf_object) uint64_t wasm_load_bpf_object(const void *obj, int obj_sz);
WASM_BPF(wasm_attach_bpf_program)
int wasm_attach_bpf_program(uint64_t obj, const char *name, const char *target);
WASM_BPF(wasm_bpf_buffer_poll)
int wasm_bpf_buffer_poll(uint64_t obj, int fd, int sample_func, void *ctx, void *data,
			 int max_size, int timeout_ms);
WASM_BPF(wasm_bpf_map_fd_by_name) int wasm_bpf_map_fd_by_name(uint64_t obj, const char *name);
WASM_BPF(wasm_bpf_map_operate)
int wasm_bpf_map_operate(int fd, int cmd, void *key, void *value, void *next_key,
			 uint64_t flags);
WASM_BPF(wasm_close_bpf_object) int wasm_close_bpf_object(uint64_t obj);

/* TinyGo's variant: no sample_func, records go to the export go-callback. */
__attribute__((import_module("callback-wrapper"), import_name("wasm_bpf_buffer_poll")))
int wasm_bpf_buffer_poll_go(uint64_t obj, int fd, void *ctx, void *data, int max_size,
			    int timeout_ms);

#endif /* E2E_WASM_BPF_IMPORTS_H */
