// SPDX-License-Identifier: MIT
/* Map operations. Sizes are checked against the map (libbpf's high-level
 * calls do it for element ops), so the kernel never reads or writes past
 * what the caller stated. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/internal.h"

static bool is_percpu(enum bpf_map_type type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

static void fill_info(const struct bpf_map *map, struct wbpf_bpf_map_info *info)
{
	int ncpus = libbpf_num_possible_cpus();

	*info = (struct wbpf_bpf_map_info){
		.type = bpf_map__type(map),
		.key_size = bpf_map__key_size(map),
		.value_size = bpf_map__value_size(map),
		.max_entries = bpf_map__max_entries(map),
		.map_flags = bpf_map__map_flags(map),
		.ncpus = ncpus > 0 ? (uint32_t)ncpus : 1,
	};
	info->value_stride = info->value_size;
	if (is_percpu(info->type))
		info->value_stride = ((info->value_size + 7) & ~7u) * info->ncpus;
}

int wbpf_bpf_host__map_info(struct wbpf_bpf_host *host, int map, struct wbpf_bpf_map_info *info)
{
	struct bpf_map_ent *m = host_map(host, map);

	if (!m)
		return -EBADF;
	fill_info(m->map, info);
	return 0;
}

int wbpf_bpf_host__map_name(struct wbpf_bpf_host *host, int map, const char **name)
{
	struct bpf_map_ent *m = host_map(host, map);

	if (!m)
		return -EBADF;
	*name = bpf_map__name(m->map);
	return 0;
}

int wbpf_bpf_host__map_set_max_entries(struct wbpf_bpf_host *host, int map, uint32_t n)
{
	struct bpf_map_ent *m = host_map(host, map);

	if (!m)
		return -EBADF;
	if (m->obj->loaded)
		return -EBUSY;
	return bpf_map__set_max_entries(m->map, n);
}

/* A created map of a loaded object, or NULL with *err set. */
static struct bpf_map *live_map(struct wbpf_bpf_host *host, int map, int *err)
{
	struct bpf_map_ent *m = host_map(host, map);

	*err = -EBADF;
	if (!m)
		return NULL;
	*err = -EINVAL;
	if (!m->obj->loaded || bpf_map__fd(m->map) < 0)
		return NULL;
	return m->map;
}

int wbpf_bpf_host__map_lookup(struct wbpf_bpf_host *host, int map, const void *key, size_t key_size,
			      void *value, size_t value_size, uint64_t flags)
{
	struct bpf_map *m;
	int err;

	if (!(m = live_map(host, map, &err)))
		return err;
	return bpf_map__lookup_elem(m, key, key_size, value, value_size, flags);
}

/* Values that are fds in the kernel: the guest writes one of its own
 * handles and we substitute the fd, so it can neither see nor forge one. */
static int fd_value(struct wbpf_bpf_host *host, enum bpf_map_type type, const void *value,
		    size_t size, uint32_t *fd)
{
	uint32_t h;
	int ret;

	if (size != sizeof(h))
		return -EINVAL;
	memcpy(&h, value, sizeof(h));
	if (type == BPF_MAP_TYPE_PROG_ARRAY) {
		struct bpf_prog_ent *p = host_prog(host, (int)h);

		ret = p ? bpf_program__fd(p->prog) : -EBADF;
	} else {
		struct bpf_map_ent *m = host_map(host, (int)h);

		ret = m ? bpf_map__fd(m->map) : -EBADF;
	}
	if (ret < 0)
		return ret == -EBADF ? -EBADF : -EINVAL;
	*fd = (uint32_t)ret;
	return 0;
}

static bool holds_fds(enum bpf_map_type type)
{
	switch (type) {
	case BPF_MAP_TYPE_PROG_ARRAY:
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
	case BPF_MAP_TYPE_CGROUP_ARRAY:
	case BPF_MAP_TYPE_SOCKMAP:
	case BPF_MAP_TYPE_SOCKHASH:
	case BPF_MAP_TYPE_REUSEPORT_SOCKARRAY:
		return true;
	default:
		return false;
	}
}

int wbpf_bpf_host__map_update(struct wbpf_bpf_host *host, int map, const void *key, size_t key_size,
			      const void *value, size_t value_size, uint64_t flags)
{
	enum bpf_map_type type;
	struct bpf_map *m;
	uint32_t fd;
	int err;

	if (!(m = live_map(host, map, &err)))
		return err;
	type = bpf_map__type(m);
	if (!holds_fds(type))
		return bpf_map__update_elem(m, key, key_size, value, value_size, flags);
	if (type != BPF_MAP_TYPE_PROG_ARRAY && type != BPF_MAP_TYPE_ARRAY_OF_MAPS &&
	    type != BPF_MAP_TYPE_HASH_OF_MAPS)
		return -EPERM;
	if ((err = fd_value(host, type, value, value_size, &fd)))
		return err;
	return bpf_map__update_elem(m, key, key_size, &fd, sizeof(fd), flags);
}

int wbpf_bpf_host__map_delete(struct wbpf_bpf_host *host, int map, const void *key, size_t key_size,
			      uint64_t flags)
{
	struct bpf_map *m;
	int err;

	if (!(m = live_map(host, map, &err)))
		return err;
	return bpf_map__delete_elem(m, key, key_size, flags);
}

int wbpf_bpf_host__map_next_key(struct wbpf_bpf_host *host, int map, const void *key, void *next_key,
				size_t key_size)
{
	struct bpf_map *m;
	int err;

	if (!(m = live_map(host, map, &err)))
		return err;
	return bpf_map__get_next_key(m, key, next_key, key_size);
}

int wbpf_bpf_host__map_lookup_and_delete(struct wbpf_bpf_host *host, int map, const void *key,
					 size_t key_size, void *value, size_t value_size, uint64_t flags)
{
	struct bpf_map *m;
	int err;

	if (!(m = live_map(host, map, &err)))
		return err;
	return bpf_map__lookup_and_delete_elem(m, key, key_size, value, value_size, flags);
}

void wbpf_bpf_batch_sizes(const struct wbpf_bpf_map_info *info, uint32_t count,
			  struct wbpf_bpf_batch_sizes *out)
{
	out->keys = (uint64_t)count * info->key_size;
	out->values = (uint64_t)count * info->value_stride;
	/* The kernel's cursors are u32 today; key-sized leaves it room. */
	out->cursor = info->key_size > 4 ? info->key_size : 4;
}

int wbpf_bpf_host__map_batch(struct wbpf_bpf_host *host, int map, enum wbpf_bpf_batch_op op,
			     void *in_batch, void *out_batch, void *keys, void *values,
			     uint32_t *count, uint64_t elem_flags)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = elem_flags);
	struct bpf_map *m;
	int err, fd;

	if (!(m = live_map(host, map, &err)))
		return err;
	/* Batches bypass the fd translation of single updates. */
	if (holds_fds(bpf_map__type(m)) && op == WBPF_BATCH_UPDATE)
		return -EPERM;
	fd = bpf_map__fd(m);
	switch (op) {
	case WBPF_BATCH_LOOKUP:
		return bpf_map_lookup_batch(fd, in_batch, out_batch, keys, values, count, &opts);
	case WBPF_BATCH_LOOKUP_AND_DELETE:
		return bpf_map_lookup_and_delete_batch(fd, in_batch, out_batch, keys, values, count,
						       &opts);
	case WBPF_BATCH_UPDATE:
		return bpf_map_update_batch(fd, keys, values, count, &opts);
	case WBPF_BATCH_DELETE:
		return bpf_map_delete_batch(fd, keys, count, &opts);
	}
	return -EINVAL;
}

static bool map_frozen(const struct bpf_map *map)
{
	return bpf_map__map_flags(map) & BPF_F_RDONLY_PROG;
}

int map_data_mmap(struct bpf_map_ent *m)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = ((size_t)bpf_map__value_size(m->map) + 7) & ~(size_t)7;
	int prot = map_frozen(m->map) ? PROT_READ : PROT_READ | PROT_WRITE;
	void *p;

	if (!bpf_map__is_internal(m->map) || !(bpf_map__map_flags(m->map) & BPF_F_MMAPABLE) ||
	    bpf_map__fd(m->map) < 0)
		return 0;
	len = (len + page - 1) & ~(page - 1);
	p = mmap(NULL, len, prot, MAP_SHARED, bpf_map__fd(m->map), 0);
	if (p == MAP_FAILED)
		return -errno;
	m->live = p;
	m->live_len = len;
	return 0;
}

void map_data_munmap(struct bpf_map_ent *m)
{
	if (m->live)
		munmap(m->live, m->live_len);
	m->live = NULL;
}

/* The section image of a global-data map, checked for [off, off+len). */
static int data_image(struct wbpf_bpf_host *host, int map, uint64_t off, size_t len,
		      bool write, uint8_t **image)
{
	struct bpf_map_ent *m = host_map(host, map);
	size_t size;

	if (!m)
		return -EBADF;
	if (!bpf_map__is_internal(m->map))
		return -EINVAL;
	/* libbpf's copy until load; the kernel's array after. */
	if (m->obj->loaded) {
		*image = m->live;
		size = bpf_map__value_size(m->map);
	} else {
		*image = (uint8_t *)bpf_map__initial_value(m->map, &size);
	}
	if (!*image)
		return -EOPNOTSUPP;
	if (off > size || len > size - off)
		return -EINVAL;
	/* Frozen maps (.rodata, .kconfig) are mapped read-only after load. */
	if (write && m->obj->loaded && map_frozen(m->map))
		return -EPERM;
	return 0;
}

int wbpf_bpf_host__map_data_read(struct wbpf_bpf_host *host, int map, uint64_t off, void *buf,
				 size_t len)
{
	uint8_t *image;
	int err = data_image(host, map, off, len, false, &image);

	if (!err)
		memcpy(buf, image + off, len);
	return err;
}

int wbpf_bpf_host__map_data_write(struct wbpf_bpf_host *host, int map, uint64_t off,
				  const void *buf, size_t len)
{
	uint8_t *image;
	int err = data_image(host, map, off, len, true, &image);

	if (!err)
		memcpy(image + off, buf, len);
	return err;
}
