// SPDX-License-Identifier: MIT
/*
 * Objects: opening, loading, lookups and iteration. The host keeps the
 * real libbpf object; the guest keeps names and map geometry so the
 * libbpf accessors answer without a host call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Open objects, newest first. A guest runs one thread, and libbpf's
 * fd-based calls carry nothing but a handle, so the list is global. */
static struct bpf_object *open_objects;

/* Fetches a name through one of the snprintf-like imports. */
static char *fetch_name(int (*get)(int, char *, uint32_t), int handle)
{
	char small[64], *name;
	int len = get(handle, small, sizeof(small));

	if (len < 0)
		return sdk_null(len);
	if ((size_t)len < sizeof(small))
		return strdup(small);
	name = malloc((size_t)len + 1);
	if (name && get(handle, name, (uint32_t)len + 1) != len) {
		free(name);
		return sdk_fail_null(EIO);
	}
	return name;
}

/* Calls at(obj, i) for i = 0.. until -ENOENT; returns the count seen or
 * a negative errno. */
static int count_entries(int obj, int (*at)(int, uint32_t))
{
	int n = 0, h;

	while ((h = at(obj, (uint32_t)n)) > 0)
		n++;
	return h == -LINUX_ENOENT ? n : sdk_ret(h);
}

static int collect_programs(struct bpf_object *obj)
{
	int n = count_entries(obj->handle, wbpf_object_program);

	if (n <= 0)
		return n;
	obj->progs = calloc((size_t)n, sizeof(*obj->progs));
	if (!obj->progs)
		return sdk_fail(ENOMEM);
	for (int i = 0; i < n; i++, obj->prog_cnt++) {
		struct bpf_program *p = &obj->progs[i];

		p->obj = obj;
		p->autoload = true;
		p->handle = wbpf_object_program(obj->handle, (uint32_t)i);
		p->name = fetch_name(wbpf_program_name, p->handle);
		p->section = fetch_name(wbpf_program_section, p->handle);
		if (!p->name || !p->section)
			return -errno;
	}
	return 0;
}

static int collect_maps(struct bpf_object *obj)
{
	int n = count_entries(obj->handle, wbpf_object_map), err;

	if (n <= 0)
		return n;
	obj->maps = calloc((size_t)n, sizeof(*obj->maps));
	if (!obj->maps)
		return sdk_fail(ENOMEM);
	for (int i = 0; i < n; i++, obj->map_cnt++) {
		struct bpf_map *m = &obj->maps[i];

		m->obj = obj;
		m->handle = wbpf_object_map(obj->handle, (uint32_t)i);
		m->name = fetch_name(wbpf_map_name, m->handle);
		if (!m->name)
			return -errno;
		m->host_filled = strstr(m->name, ".kconfig") != NULL;
		m->frozen = m->host_filled || strstr(m->name, ".rodata");
		err = wbpf_map_info(m->handle, &m->info);
		if (err)
			return sdk_ret(err);
	}
	return 0;
}

static void free_object(struct bpf_object *obj)
{
	for (size_t i = 0; i < obj->prog_cnt; i++) {
		free(obj->progs[i].name);
		free(obj->progs[i].section);
	}
	for (size_t i = 0; i < obj->map_cnt; i++) {
		free(obj->maps[i].name);
		data_free(&obj->maps[i]);
	}
	free(obj->progs);
	free(obj->maps);
	free(obj->name);
	free(obj);
}

struct bpf_object *bpf_object__open_mem(const void *buf, size_t size,
					const struct bpf_object_open_opts *opts)
{
	const char *name = opts ? opts->object_name : NULL;
	struct bpf_object *obj;
	int h, err;

	if (!buf || !size)
		return sdk_fail_null(EINVAL);
	h = wbpf_object_open(buf, (uint32_t)size, name);
	if (h < 0)
		return sdk_null(h);
	obj = calloc(1, sizeof(*obj));
	if (!obj) {
		wbpf_object_close(h);
		return sdk_fail_null(ENOMEM);
	}
	obj->handle = h;
	obj->name = strdup(name ? name : "");
	err = obj->name ? collect_programs(obj) : sdk_fail(ENOMEM);
	if (!err)
		err = collect_maps(obj);
	if (err) {
		wbpf_object_close(h);
		free_object(obj);
		return sdk_fail_null(-err);
	}
	obj->next = open_objects;
	open_objects = obj;
	return obj;
}

/* Whole file into memory; the host copies it at open. */
static void *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *bigger;
	size_t cap = 0, n;
	int err = 0;

	if (!f)
		return NULL;
	*size = 0;
	do {
		if (*size == cap) {
			cap = cap ? cap * 2 : 64 * 1024;
			bigger = realloc(buf, cap);
			if (!bigger) {
				err = ENOMEM;
				break;
			}
			buf = bigger;
		}
		n = fread(buf + *size, 1, cap - *size, f);
		*size += n;
	} while (n > 0);
	if (!err && ferror(f))
		err = EIO;
	fclose(f);
	if (err) {
		free(buf);
		return sdk_fail_null(err);
	}
	return buf;
}

struct bpf_object *bpf_object__open_file(const char *path,
					 const struct bpf_object_open_opts *opts)
{
	struct bpf_object *obj;
	size_t size = 0;
	void *buf;

	if (!path)
		return sdk_fail_null(EINVAL);
	buf = read_file(path, &size);
	if (!buf)
		return NULL;
	obj = bpf_object__open_mem(buf, size, opts);
	free(buf);
	return obj;
}

struct bpf_object *bpf_object__open(const char *path)
{
	return bpf_object__open_file(path, NULL);
}

static int refresh_map_info(struct bpf_object *obj)
{
	for (size_t i = 0; i < obj->map_cnt; i++) {
		int err = wbpf_map_info(obj->maps[i].handle, &obj->maps[i].info);

		if (err)
			return sdk_ret(err);
	}
	return 0;
}

int bpf_object__load(struct bpf_object *obj)
{
	int err;

	if (!obj)
		return sdk_fail(EINVAL);
	err = data_push_before_load(obj);
	if (err)
		return err;
	err = wbpf_object_load(obj->handle);
	if (err)
		return sdk_ret(err);
	obj->loaded = true;
	err = refresh_map_info(obj);
	return err ? err : data_start_after_load(obj);
}

void bpf_object__close(struct bpf_object *obj)
{
	struct bpf_object **pos;

	if (!obj)
		return;
	wbpf_object_close(obj->handle);
	for (pos = &open_objects; *pos; pos = &(*pos)->next) {
		if (*pos == obj) {
			*pos = obj->next;
			break;
		}
	}
	free_object(obj);
}

const char *bpf_object__name(const struct bpf_object *obj)
{
	return obj ? obj->name : NULL;
}

struct bpf_program *bpf_object__find_program_by_name(const struct bpf_object *obj,
						     const char *name)
{
	if (!obj || !name)
		return sdk_fail_null(EINVAL);
	for (size_t i = 0; i < obj->prog_cnt; i++)
		if (strcmp(obj->progs[i].name, name) == 0)
			return &obj->progs[i];
	return sdk_fail_null(ENOENT);
}

/* The host resolves both map names and global-data section names
 * (".rodata" as well as "execsnoo.rodata"). */
struct bpf_map *bpf_object__find_map_by_name(const struct bpf_object *obj, const char *name)
{
	int h;

	if (!obj || !name)
		return sdk_fail_null(EINVAL);
	h = wbpf_object_find_map(obj->handle, name);
	if (h < 0)
		return sdk_null(h);
	for (size_t i = 0; i < obj->map_cnt; i++)
		if (obj->maps[i].handle == h)
			return &obj->maps[i];
	return sdk_fail_null(ENOENT);
}

int bpf_object__find_map_fd_by_name(const struct bpf_object *obj, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	return map ? map->handle : -errno;
}

struct bpf_program *bpf_object__next_program(const struct bpf_object *obj,
					     struct bpf_program *prev)
{
	size_t next = prev ? (size_t)(prev - obj->progs) + 1 : 0;

	return obj && next < obj->prog_cnt ? &obj->progs[next] : NULL;
}

struct bpf_map *bpf_object__next_map(const struct bpf_object *obj, const struct bpf_map *prev)
{
	size_t next = prev ? (size_t)(prev - obj->maps) + 1 : 0;

	return obj && next < obj->map_cnt ? &obj->maps[next] : NULL;
}

struct bpf_map *sdk_map_by_handle(int handle)
{
	for (struct bpf_object *obj = open_objects; obj; obj = obj->next)
		for (size_t i = 0; i < obj->map_cnt; i++)
			if (obj->maps[i].handle == handle)
				return &obj->maps[i];
	return NULL;
}

/* Known maps answer locally; anything else (a handle the guest got from
 * the raw ABI) is asked of the host. */
int sdk_map_sizes(int handle, struct wbpf_map_info *info)
{
	struct bpf_map *map = sdk_map_by_handle(handle);

	if (map) {
		*info = map->info;
		return 0;
	}
	return sdk_ret(wbpf_map_info(handle, info));
}

int sdk_sync_loaded_objects(void)
{
	int err = 0;

	for (struct bpf_object *obj = open_objects; obj && !err; obj = obj->next)
		if (obj->loaded)
			err = wbpf_object__sync_data(obj);
	return err;
}

int libbpf_num_possible_cpus(void)
{
	for (struct bpf_object *obj = open_objects; obj; obj = obj->next)
		if (obj->map_cnt)
			return (int)obj->maps[0].info.ncpus;
	return sdk_fail(ENODEV);
}
