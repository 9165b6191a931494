/* SPDX-License-Identifier: MIT */
/*
 * libbpf's low-level, fd-based map calls for wasm32 guests. The "fd" is
 * the map handle bpf_map__fd() returns (a guest never sees host fds);
 * key and value sizes come from the map. Per-CPU values hold
 * libbpf_num_possible_cpus() slots of round_up(value_size, 8) bytes.
 *
 * Returns 0 or a negative errno (wasi-libc numbering), also set in errno.
 */
#ifndef WBPF_SDK_BPF_H
#define WBPF_SDK_BPF_H

#include <stddef.h>
#include <wbpf/types.h>
#include <wbpf/bpf_defs.h>

int bpf_map_lookup_elem(int fd, const void *key, void *value);
int bpf_map_lookup_elem_flags(int fd, const void *key, void *value, __u64 flags);
int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags);
int bpf_map_delete_elem(int fd, const void *key);
int bpf_map_delete_elem_flags(int fd, const void *key, __u64 flags);
int bpf_map_lookup_and_delete_elem(int fd, const void *key, void *value);
int bpf_map_lookup_and_delete_elem_flags(int fd, const void *key, void *value, __u64 flags);
/* key NULL gives the first key; -ENOENT after the last. */
int bpf_map_get_next_key(int fd, const void *key, void *next_key);

struct bpf_map_batch_opts {
	size_t sz;
	__u64 elem_flags;
	__u64 flags; /* must be 0 */
};
/* *count: elements the buffers hold on entry, processed on return (also
 * with -ENOENT, which marks the end). in_batch NULL starts at the top;
 * pass out_batch back as the next in_batch. */
int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values,
			 __u32 *count, const struct bpf_map_batch_opts *opts);
int bpf_map_lookup_and_delete_batch(int fd, void *in_batch, void *out_batch, void *keys,
				    void *values, __u32 *count,
				    const struct bpf_map_batch_opts *opts);
int bpf_map_update_batch(int fd, const void *keys, const void *values, __u32 *count,
			 const struct bpf_map_batch_opts *opts);
int bpf_map_delete_batch(int fd, const void *keys, __u32 *count,
			 const struct bpf_map_batch_opts *opts);

#endif /* WBPF_SDK_BPF_H */
