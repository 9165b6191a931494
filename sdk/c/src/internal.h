/* SPDX-License-Identifier: MIT */
/* The SDK's own view of host objects, shared by its source files. */
#ifndef WBPF_SDK_INTERNAL_H
#define WBPF_SDK_INTERNAL_H

#include <stdbool.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <wbpf/abi.h>

/* The host's "no such entry": the end of an enumeration. */
#define LINUX_ENOENT 2

struct bpf_program {
	struct bpf_object *obj;
	int handle;
	bool autoload;
	char *name;
	char *section;
};

struct bpf_map {
	struct bpf_object *obj;
	int handle;
	char *name;
	struct wbpf_map_info info;
	/* Global data only. mirror is what skel->bss and friends point at;
	 * shadow holds the mirror as of the last sync, so bytes the guest
	 * changed since then can be told from bytes the kernel changed. */
	void *mirror;
	void *shadow;
	bool frozen;	  /* .rodata/.kconfig: read-only once loaded */
	bool host_filled; /* .kconfig: libbpf writes it at load, not the guest */
};

struct bpf_object {
	struct bpf_object *next; /* in the SDK's list of open objects */
	int handle;
	bool loaded;
	char *name;
	size_t prog_cnt;
	size_t map_cnt;
	struct bpf_program *progs;
	struct bpf_map *maps;
};

struct bpf_link {
	int handle;
};

/* errno.c: host results (negative Linux errno) to libbpf conventions. */
int sdk_ret(int host_ret);
void *sdk_null(int host_ret);
int sdk_fail(int wasi_errno);
void *sdk_fail_null(int wasi_errno);

/* object.c: the open objects, searchable by map handle, because
 * <bpf/bpf.h> calls and buffer constructors only get a handle. */
struct bpf_map *sdk_map_by_handle(int handle);
int sdk_map_sizes(int handle, struct wbpf_map_info *info);
int sdk_sync_loaded_objects(void);

/* data.c: guest mirrors of global-data sections. */
void *data_mirror(struct bpf_map *map);
int data_push_before_load(struct bpf_object *obj);
int data_start_after_load(struct bpf_object *obj);
void data_free(struct bpf_map *map);

#endif /* WBPF_SDK_INTERNAL_H */
