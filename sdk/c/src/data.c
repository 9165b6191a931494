// SPDX-License-Identifier: MIT
/*
 * Global data (.rodata, .data, .bss). libbpf mmaps these sections so a
 * skeleton's skel->bss->counter reads the kernel's value directly; a wasm
 * guest cannot map host memory, so each section gets a mirror in guest
 * memory instead:
 *   before load  the mirror starts as the section's initial image and is
 *                written to the host by bpf_object__load (.rodata
 *                constants then reach the verifier);
 *   after load   .data/.bss mirrors are synced: bytes the guest changed
 *                since the last sync are written to the kernel, then the
 *                live section is read back. .rodata is frozen by then:
 *                its mirror is read once, as is .kconfig's, which libbpf
 *                fills in at load.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int mirror_alloc(struct bpf_map *map, void **out)
{
	/* an empty section still gets a (1-byte) mirror: NULL means failure */
	*out = calloc(1, map->info.value_size ? map->info.value_size : 1);
	return *out ? 0 : sdk_fail(ENOMEM);
}

void *data_mirror(struct bpf_map *map)
{
	uint32_t size = map->info.value_size;
	int err;

	if (map->mirror)
		return map->mirror;
	err = mirror_alloc(map, &map->mirror);
	if (!err && size)
		err = sdk_ret(wbpf_map_data_read(map->handle, 0, map->mirror, size));
	if (!err && map->obj->loaded && !map->frozen)
		err = mirror_alloc(map, &map->shadow);
	if (!err && map->shadow)
		memcpy(map->shadow, map->mirror, size);
	if (err) {
		data_free(map);
		return sdk_fail_null(-err);
	}
	return map->mirror;
}

void data_free(struct bpf_map *map)
{
	free(map->mirror);
	free(map->shadow);
	map->mirror = map->shadow = NULL;
}

int data_push_before_load(struct bpf_object *obj)
{
	for (size_t i = 0; i < obj->map_cnt; i++) {
		struct bpf_map *m = &obj->maps[i];
		int err;

		if (!m->mirror || !m->info.value_size || m->host_filled)
			continue;
		err = wbpf_map_data_write(m->handle, 0, m->mirror, m->info.value_size);
		if (err)
			return sdk_ret(err);
	}
	return 0;
}

/* Mirrors take the loaded values; from here on the shadow of a writable
 * section tells guest writes from kernel writes. */
int data_start_after_load(struct bpf_object *obj)
{
	for (size_t i = 0; i < obj->map_cnt; i++) {
		struct bpf_map *m = &obj->maps[i];
		uint32_t size = m->info.value_size;
		int err;

		if (!m->mirror || !size)
			continue;
		err = sdk_ret(wbpf_map_data_read(m->handle, 0, m->mirror, size));
		if (!err && !m->frozen)
			err = mirror_alloc(m, &m->shadow);
		if (err)
			return err;
		if (m->shadow)
			memcpy(m->shadow, m->mirror, size);
	}
	return 0;
}

/* Writes each run of bytes where mirror and shadow differ. */
static int push_guest_writes(struct bpf_map *m)
{
	const uint8_t *cur = m->mirror, *old = m->shadow;
	uint32_t size = m->info.value_size, start, end;
	int err;

	for (start = 0; start < size; start = end) {
		while (start < size && cur[start] == old[start])
			start++;
		for (end = start; end < size && cur[end] != old[end]; end++)
			;
		if (end == start)
			break;
		err = wbpf_map_data_write(m->handle, start, cur + start, end - start);
		if (err)
			return sdk_ret(err);
	}
	return 0;
}

static int sync_map(struct bpf_map *m)
{
	uint32_t size = m->info.value_size;
	int err;

	if (!m->mirror || !m->shadow || !size)
		return 0;
	err = push_guest_writes(m);
	if (!err)
		err = sdk_ret(wbpf_map_data_read(m->handle, 0, m->shadow, size));
	if (!err)
		memcpy(m->mirror, m->shadow, size);
	return err;
}

int wbpf_object__sync_data(struct bpf_object *obj)
{
	int err = 0;

	if (!obj)
		return sdk_fail(EINVAL);
	if (!obj->loaded)
		return 0;
	for (size_t i = 0; i < obj->map_cnt && !err; i++)
		err = sync_map(&obj->maps[i]);
	return err;
}

void *bpf_map__initial_value(struct bpf_map *map, size_t *psize)
{
	void *mirror;

	if (!map)
		return sdk_fail_null(EINVAL);
	mirror = data_mirror(map);
	if (mirror && psize)
		*psize = map->info.value_size;
	return mirror;
}

int bpf_map__set_initial_value(struct bpf_map *map, const void *data, size_t size)
{
	int err;

	if (!map || !data || size != map->info.value_size)
		return sdk_fail(EINVAL);
	if (map->obj->loaded)
		return sdk_fail(EBUSY);
	err = sdk_ret(wbpf_map_data_write(map->handle, 0, data, (uint32_t)size));
	if (!err && map->mirror)
		memcpy(map->mirror, data, size);
	return err;
}
