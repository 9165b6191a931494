// SPDX-License-Identifier: MIT
/*
 * What `bpftool gen skeleton` output calls. The skeleton embeds the BPF
 * ELF and lists maps and programs by name with pointers to fill in; its
 * rodata/bss/data pointers get guest-memory mirrors (see data.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The generator sizes entries with sizeof(*s->maps); stepping by the
 * recorded size keeps working should a newer generator append fields. */
static struct bpf_map_skeleton *map_skel(struct bpf_object_skeleton *s, int i)
{
	return (struct bpf_map_skeleton *)((char *)s->maps + (size_t)i * s->map_skel_sz);
}

static struct bpf_prog_skeleton *prog_skel(struct bpf_object_skeleton *s, int i)
{
	return (struct bpf_prog_skeleton *)((char *)s->progs + (size_t)i * s->prog_skel_sz);
}

/* Global-data maps are listed under libbpf's internal name
 * ("execsnoo.rodata"), which depends on the object name; looking them up
 * by section (".rodata") works whatever name the object was opened with. */
static struct bpf_map *find_skel_map(struct bpf_object *obj, const char *name)
{
	const char *section = strchr(name, '.');

	return bpf_object__find_map_by_name(obj, section ? section : name);
}

static int bind_maps(struct bpf_object_skeleton *s, struct bpf_object *obj)
{
	for (int i = 0; i < s->map_cnt; i++) {
		struct bpf_map_skeleton *ms = map_skel(s, i);

		*ms->map = find_skel_map(obj, ms->name);
		if (!*ms->map)
			return -errno;
		if (ms->mmaped && !(*ms->mmaped = data_mirror(*ms->map)))
			return -errno;
	}
	return 0;
}

static int bind_programs(struct bpf_object_skeleton *s, struct bpf_object *obj)
{
	for (int i = 0; i < s->prog_cnt; i++) {
		struct bpf_prog_skeleton *ps = prog_skel(s, i);

		*ps->prog = bpf_object__find_program_by_name(obj, ps->name);
		if (!*ps->prog)
			return -errno;
	}
	return 0;
}

int bpf_object__open_skeleton(struct bpf_object_skeleton *s,
			      const struct bpf_object_open_opts *opts)
{
	LIBBPF_OPTS(bpf_object_open_opts, own);
	struct bpf_object *obj;
	int err;

	if (!s || !s->data)
		return sdk_fail(EINVAL);
	if (opts)
		own = *opts;
	if (!own.object_name)
		own.object_name = s->name;
	obj = bpf_object__open_mem(s->data, s->data_sz, &own);
	if (!obj)
		return -errno;
	*s->obj = obj;
	err = bind_maps(s, obj);
	if (!err)
		err = bind_programs(s, obj);
	/* On error the generated code calls destroy, which closes obj. */
	return err;
}

int bpf_object__load_skeleton(struct bpf_object_skeleton *s)
{
	if (!s || !*s->obj)
		return sdk_fail(EINVAL);
	return bpf_object__load(*s->obj);
}

/* As libbpf: programs not loaded, or whose section needs a target the
 * guest must name (uprobe without a binary, xdp, ...), are skipped; the
 * guest attaches those itself. */
int bpf_object__attach_skeleton(struct bpf_object_skeleton *s)
{
	if (!s)
		return sdk_fail(EINVAL);
	for (int i = 0; i < s->prog_cnt; i++) {
		struct bpf_prog_skeleton *ps = prog_skel(s, i);

		if (!*ps->prog || !(*ps->prog)->autoload || *ps->link)
			continue;
		*ps->link = bpf_program__attach(*ps->prog);
		if (!*ps->link && errno != EOPNOTSUPP)
			return -errno;
	}
	return 0;
}

void bpf_object__detach_skeleton(struct bpf_object_skeleton *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->prog_cnt; i++) {
		struct bpf_prog_skeleton *ps = prog_skel(s, i);

		bpf_link__destroy(*ps->link);
		*ps->link = NULL;
	}
}

void bpf_object__destroy_skeleton(struct bpf_object_skeleton *s)
{
	if (!s)
		return;
	if (s->progs)
		bpf_object__detach_skeleton(s);
	if (s->obj) {
		bpf_object__close(*s->obj);
		*s->obj = NULL;
	}
	free(s->maps);
	free(s->progs);
	free(s);
}
