// SPDX-License-Identifier: MIT
/*
 * Maps: accessors, libbpf's bpf_map__*_elem calls (sizes given by the
 * caller) and <bpf/bpf.h>'s fd-based calls (sizes taken from the map).
 */
#include <errno.h>

#include "internal.h"

const char *bpf_map__name(const struct bpf_map *map)
{
	return map ? map->name : NULL;
}

int bpf_map__fd(const struct bpf_map *map)
{
	return map ? map->handle : sdk_fail(EINVAL);
}

enum bpf_map_type bpf_map__type(const struct bpf_map *map)
{
	return map ? (enum bpf_map_type)map->info.type : BPF_MAP_TYPE_UNSPEC;
}

__u32 bpf_map__key_size(const struct bpf_map *map)
{
	return map ? map->info.key_size : 0;
}

__u32 bpf_map__value_size(const struct bpf_map *map)
{
	return map ? map->info.value_size : 0;
}

__u32 bpf_map__max_entries(const struct bpf_map *map)
{
	return map ? map->info.max_entries : 0;
}

int bpf_map__set_max_entries(struct bpf_map *map, __u32 max_entries)
{
	int err;

	if (!map)
		return sdk_fail(EINVAL);
	err = wbpf_map_set_max_entries(map->handle, max_entries);
	if (err)
		return sdk_ret(err);
	map->info.max_entries = max_entries;
	return 0;
}

int bpf_map__lookup_elem(const struct bpf_map *map, const void *key, size_t key_sz,
			 void *value, size_t value_sz, __u64 flags)
{
	if (!map)
		return sdk_fail(EINVAL);
	return sdk_ret(wbpf_map_lookup(map->handle, key, key_sz, value, value_sz, flags));
}

int bpf_map__update_elem(const struct bpf_map *map, const void *key, size_t key_sz,
			 const void *value, size_t value_sz, __u64 flags)
{
	if (!map)
		return sdk_fail(EINVAL);
	return sdk_ret(wbpf_map_update(map->handle, key, key_sz, value, value_sz, flags));
}

int bpf_map__delete_elem(const struct bpf_map *map, const void *key, size_t key_sz,
			 __u64 flags)
{
	if (!map)
		return sdk_fail(EINVAL);
	return sdk_ret(wbpf_map_delete(map->handle, key, key_sz, flags));
}

int bpf_map__lookup_and_delete_elem(const struct bpf_map *map, const void *key,
				    size_t key_sz, void *value, size_t value_sz,
				    __u64 flags)
{
	if (!map)
		return sdk_fail(EINVAL);
	return sdk_ret(wbpf_map_lookup_and_delete(map->handle, key, key_sz, value, value_sz,
						  flags));
}

int bpf_map__get_next_key(const struct bpf_map *map, const void *cur_key, void *next_key,
			  size_t key_sz)
{
	if (!map)
		return sdk_fail(EINVAL);
	return sdk_ret(wbpf_map_next_key(map->handle, cur_key, next_key, key_sz));
}

/* The fd-based calls: look the geometry up, then the same imports. */

int bpf_map_lookup_elem_flags(int fd, const void *key, void *value, __u64 flags)
{
	struct wbpf_map_info info;
	int err = sdk_map_sizes(fd, &info);

	if (err)
		return err;
	return sdk_ret(wbpf_map_lookup(fd, key, info.key_size, value, info.value_stride,
				       flags));
}

int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	return bpf_map_lookup_elem_flags(fd, key, value, 0);
}

int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags)
{
	struct wbpf_map_info info;
	int err = sdk_map_sizes(fd, &info);

	if (err)
		return err;
	return sdk_ret(wbpf_map_update(fd, key, info.key_size, value, info.value_stride,
				       flags));
}

int bpf_map_delete_elem_flags(int fd, const void *key, __u64 flags)
{
	struct wbpf_map_info info;
	int err = sdk_map_sizes(fd, &info);

	if (err)
		return err;
	return sdk_ret(wbpf_map_delete(fd, key, info.key_size, flags));
}

int bpf_map_delete_elem(int fd, const void *key)
{
	return bpf_map_delete_elem_flags(fd, key, 0);
}

int bpf_map_lookup_and_delete_elem_flags(int fd, const void *key, void *value, __u64 flags)
{
	struct wbpf_map_info info;
	int err = sdk_map_sizes(fd, &info);

	if (err)
		return err;
	return sdk_ret(wbpf_map_lookup_and_delete(fd, key, info.key_size, value,
						  info.value_stride, flags));
}

int bpf_map_lookup_and_delete_elem(int fd, const void *key, void *value)
{
	return bpf_map_lookup_and_delete_elem_flags(fd, key, value, 0);
}

int bpf_map_get_next_key(int fd, const void *key, void *next_key)
{
	struct wbpf_map_info info;
	int err = sdk_map_sizes(fd, &info);

	if (err)
		return err;
	return sdk_ret(wbpf_map_next_key(fd, key, next_key, info.key_size));
}

/* Batch calls: libbpf's opts carry the element flags; the command-level
 * flags have no ABI counterpart. */
static int batch_flags(const struct bpf_map_batch_opts *opts, __u64 *elem_flags)
{
	*elem_flags = opts ? opts->elem_flags : 0;
	return opts && opts->flags ? sdk_fail(EINVAL) : 0;
}

int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values,
			 __u32 *count, const struct bpf_map_batch_opts *opts)
{
	__u64 flags;
	int err = batch_flags(opts, &flags);

	return err ? err : sdk_ret(wbpf_map_lookup_batch(fd, in_batch, out_batch, keys,
							 values, count, flags));
}

int bpf_map_lookup_and_delete_batch(int fd, void *in_batch, void *out_batch, void *keys,
				    void *values, __u32 *count,
				    const struct bpf_map_batch_opts *opts)
{
	__u64 flags;
	int err = batch_flags(opts, &flags);

	return err ? err : sdk_ret(wbpf_map_lookup_and_delete_batch(fd, in_batch, out_batch,
								    keys, values, count,
								    flags));
}

int bpf_map_update_batch(int fd, const void *keys, const void *values, __u32 *count,
			 const struct bpf_map_batch_opts *opts)
{
	__u64 flags;
	int err = batch_flags(opts, &flags);

	return err ? err : sdk_ret(wbpf_map_update_batch(fd, keys, values, count, flags));
}

int bpf_map_delete_batch(int fd, const void *keys, __u32 *count,
			 const struct bpf_map_batch_opts *opts)
{
	__u64 flags;
	int err = batch_flags(opts, &flags);

	return err ? err : sdk_ret(wbpf_map_delete_batch(fd, keys, count, flags));
}
