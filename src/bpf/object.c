// SPDX-License-Identifier: MIT
/* BPF objects and the handles of their programs and maps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/internal.h"

/* Bound the host memory a guest can pin with objects. */
#define OBJ_MAX_SIZE (64u << 20)
#define OBJS_MAX_SIZE (256u << 20)
#define OBJS_MAX 64u

int obj_index(struct bpf_obj *o)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	size_t i = 0;

	bpf_object__for_each_program(prog, o->bpf)
		o->nprogs++;
	bpf_object__for_each_map(map, o->bpf)
		o->nmaps++;
	o->progs = calloc(o->nprogs ? o->nprogs : 1, sizeof(*o->progs));
	o->maps = calloc(o->nmaps ? o->nmaps : 1, sizeof(*o->maps));
	if (!o->progs || !o->maps)
		return -ENOMEM;
	bpf_object__for_each_program(prog, o->bpf)
		o->progs[i++] = (struct bpf_prog_ent){ .prog = prog, .obj = o };
	i = 0;
	bpf_object__for_each_map(map, o->bpf)
		o->maps[i++] = (struct bpf_map_ent){ .map = map, .obj = o };
	return 0;
}

static int obj_open(const struct wbpf_bpf_host *host, struct bpf_obj *o, const void *buf,
		    size_t size, const char *name)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name);
	int err;

	if (!(o->elf = malloc(size ? size : 1)))
		return -ENOMEM;
	memcpy(o->elf, buf, size);
	/* Vetted from our copy: the guest cannot change the bytes in between. */
	if ((err = object_vet(host, o->elf, size, name)))
		return err;
	o->bpf = bpf_object__open_mem(o->elf, size, &opts);
	if (!o->bpf) {
		err = -errno;
		return err ? err : -EINVAL;
	}
	return obj_index(o);
}

int wbpf_bpf_host__object_open(struct wbpf_bpf_host *host, const void *buf, size_t size,
			       const char *name)
{
	struct bpf_obj *o;
	int err;

	if (size > OBJ_MAX_SIZE || size > OBJS_MAX_SIZE - host->elf_bytes)
		return -E2BIG;
	if (host->nobjs >= OBJS_MAX)
		return -EMFILE;
	if (!(o = calloc(1, sizeof(*o))))
		return -ENOMEM;
	host->nobjs++;
	host->elf_bytes += o->elf_size = size;
	err = obj_open(host, o, buf, size, name);
	if (!err) {
		err = htable_add(&host->handles, WBPF_HANDLE_OBJECT, o);
		o->handle = err;
	}
	if (err < 0)
		obj_release(host, o);
	return err;
}

int wbpf_bpf_host__object_load(struct wbpf_bpf_host *host, int obj)
{
	struct bpf_obj *o = host_obj(host, obj);
	int err;

	if (!o)
		return -EBADF;
	if (o->loaded)
		return -EBUSY;
	if ((err = object_check_helpers(host, o)))
		return err;
	err = bpf_object__load(o->bpf);
	/* libbpf refuses a second load even after a failed one. */
	o->loaded = true;
	for (size_t i = 0; !err && i < o->nmaps; i++)
		err = map_data_mmap(&o->maps[i]);
	return err;
}

/* Frees the object and its program/map handles; the caller has released
 * its links and buffers first. */
void obj_release(struct wbpf_bpf_host *host, struct bpf_obj *o)
{
	for (size_t i = 0; o->progs && i < o->nprogs; i++)
		htable_del(&host->handles, o->progs[i].handle);
	for (size_t i = 0; o->maps && i < o->nmaps; i++) {
		htable_del(&host->handles, o->maps[i].handle);
		map_data_munmap(&o->maps[i]);
	}
	if (o->handle > 0)
		htable_del(&host->handles, o->handle);
	bpf_object__close(o->bpf);
	host->nobjs--;
	host->elf_bytes -= o->elf_size;
	free(o->progs);
	free(o->maps);
	free(o->elf);
	free(o);
}

int wbpf_bpf_host__object_close(struct wbpf_bpf_host *host, int obj)
{
	struct handle_table *t = &host->handles;
	struct bpf_obj *o = host_obj(host, obj);
	struct bpf_link_ent *l;
	struct bpf_buffer *b;

	if (!o)
		return -EBADF;
	if (host->polling)
		return -EBUSY;
	for (uint32_t i = 0; i < t->len; i++) {
		if ((l = htable_slot(t, i, WBPF_HANDLE_LINK)) && l->obj == o)
			link_release(host, l);
		if (((b = htable_slot(t, i, WBPF_HANDLE_RINGBUF)) ||
		     (b = htable_slot(t, i, WBPF_HANDLE_PERFBUF))) && buffer_reads_obj(b, o))
			buffer_release(host, b);
	}
	obj_release(host, o);
	return 0;
}

static int prog_handle(struct wbpf_bpf_host *host, struct bpf_prog_ent *p)
{
	int h;

	if (p->handle)
		return p->handle;
	h = htable_add(&host->handles, WBPF_HANDLE_PROGRAM, p);
	if (h > 0)
		p->handle = h;
	return h;
}

static int map_handle(struct wbpf_bpf_host *host, struct bpf_map_ent *m)
{
	int h;

	if (m->handle)
		return m->handle;
	h = htable_add(&host->handles, WBPF_HANDLE_MAP, m);
	if (h > 0)
		m->handle = h;
	return h;
}

int wbpf_bpf_host__find_program(struct wbpf_bpf_host *host, int obj, const char *name)
{
	struct bpf_obj *o = host_obj(host, obj);

	if (!o)
		return -EBADF;
	for (size_t i = 0; name && i < o->nprogs; i++)
		if (strcmp(bpf_program__name(o->progs[i].prog), name) == 0)
			return prog_handle(host, &o->progs[i]);
	return -ENOENT;
}

int wbpf_bpf_host__find_map(struct wbpf_bpf_host *host, int obj, const char *name)
{
	struct bpf_obj *o = host_obj(host, obj);
	struct bpf_map *map;

	if (!o)
		return -EBADF;
	/* libbpf's lookup knows both the section and the internal name. */
	map = name ? bpf_object__find_map_by_name(o->bpf, name) : NULL;
	for (size_t i = 0; map && i < o->nmaps; i++)
		if (o->maps[i].map == map)
			return map_handle(host, &o->maps[i]);
	return -ENOENT;
}

int wbpf_bpf_host__program_at(struct wbpf_bpf_host *host, int obj, uint32_t idx)
{
	struct bpf_obj *o = host_obj(host, obj);

	if (!o)
		return -EBADF;
	return idx < o->nprogs ? prog_handle(host, &o->progs[idx]) : -ENOENT;
}

int wbpf_bpf_host__map_at(struct wbpf_bpf_host *host, int obj, uint32_t idx)
{
	struct bpf_obj *o = host_obj(host, obj);

	if (!o)
		return -EBADF;
	return idx < o->nmaps ? map_handle(host, &o->maps[idx]) : -ENOENT;
}

const struct btf *wbpf_bpf_host__object_btf(struct wbpf_bpf_host *host, int obj)
{
	struct bpf_obj *o = host_obj(host, obj);

	return o ? bpf_object__btf(o->bpf) : NULL;
}

int wbpf_bpf_host__owner(struct wbpf_bpf_host *host, int h)
{
	struct bpf_prog_ent *p = host_prog(host, h);
	struct bpf_map_ent *m = host_map(host, h);

	if (p)
		return p->obj->handle;
	return m ? m->obj->handle : -EBADF;
}

int wbpf_bpf_host__program_name(struct wbpf_bpf_host *host, int prog, const char **name)
{
	struct bpf_prog_ent *p = host_prog(host, prog);

	if (!p)
		return -EBADF;
	*name = bpf_program__name(p->prog);
	return 0;
}

int wbpf_bpf_host__program_section(struct wbpf_bpf_host *host, int prog, const char **sec)
{
	struct bpf_prog_ent *p = host_prog(host, prog);

	if (!p)
		return -EBADF;
	*sec = bpf_program__section_name(p->prog);
	return 0;
}

int wbpf_bpf_host__program_set_autoload(struct wbpf_bpf_host *host, int prog, bool autoload)
{
	struct bpf_prog_ent *p = host_prog(host, prog);

	if (!p)
		return -EBADF;
	if (p->obj->loaded)
		return -EBUSY;
	return bpf_program__set_autoload(p->prog, autoload);
}

int wbpf_bpf_host__program_kind(struct wbpf_bpf_host *host, int prog)
{
	struct bpf_prog_ent *p = host_prog(host, prog);

	return p ? (int)prog_attach_kind(p->prog) : -EBADF;
}
