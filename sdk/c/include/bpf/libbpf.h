/* SPDX-License-Identifier: MIT */
/*
 * libbpf's userspace API for wasm32 guests, on top of the `wbpf` host ABI
 * (docs/abi-wbpf.md). Names, argument orders and return conventions follow
 * libbpf 1.x, so a libbpf tool ports by recompiling it; bpftool-generated
 * skeletons compile unchanged. See sdk/c/README.md for what differs.
 *
 * Errors: int functions return 0 (or a count/handle) or a negative errno in
 * wasi-libc's numbering, and also set errno; pointer functions return NULL
 * and set errno.
 */
#ifndef WBPF_SDK_LIBBPF_H
#define WBPF_SDK_LIBBPF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wbpf/types.h>
#include <wbpf/bpf_defs.h>

struct bpf_object;
struct bpf_program;
struct bpf_map;
struct bpf_link;
struct ring_buffer;
struct perf_buffer;

/* Declares an options struct with its size set, as libbpf's macro does:
 * LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = "getenv"); */
#define LIBBPF_OPTS(TYPE, NAME, ...) \
	struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }
#define DECLARE_LIBBPF_OPTS LIBBPF_OPTS

/* Only object_name is used; the other fields are accepted for source
 * compatibility and ignored. */
struct bpf_object_open_opts {
	size_t sz;
	const char *object_name;
	bool relaxed_maps;
	const char *pin_root_path;
	const char *kconfig;
	const char *btf_custom_path;
	char *kernel_log_buf;
	size_t kernel_log_size;
	__u32 kernel_log_level;
};

/* Objects */
struct bpf_object *bpf_object__open_mem(const void *buf, size_t size,
					const struct bpf_object_open_opts *opts);
/* Reads the file through WASI (it must be in a preopened directory). */
struct bpf_object *bpf_object__open_file(const char *path,
					 const struct bpf_object_open_opts *opts);
struct bpf_object *bpf_object__open(const char *path);
int bpf_object__load(struct bpf_object *obj);
void bpf_object__close(struct bpf_object *obj);
const char *bpf_object__name(const struct bpf_object *obj);
struct bpf_program *bpf_object__find_program_by_name(const struct bpf_object *obj,
						     const char *name);
struct bpf_map *bpf_object__find_map_by_name(const struct bpf_object *obj,
					     const char *name);
int bpf_object__find_map_fd_by_name(const struct bpf_object *obj, const char *name);
struct bpf_program *bpf_object__next_program(const struct bpf_object *obj,
					     struct bpf_program *prev);
struct bpf_map *bpf_object__next_map(const struct bpf_object *obj,
				     const struct bpf_map *prev);

#define bpf_object__for_each_program(pos, obj)                 \
	for ((pos) = bpf_object__next_program((obj), NULL); (pos); \
	     (pos) = bpf_object__next_program((obj), (pos)))
#define bpf_object__for_each_map(pos, obj)                 \
	for ((pos) = bpf_object__next_map((obj), NULL); (pos); \
	     (pos) = bpf_object__next_map((obj), (pos)))

/* Programs */
const char *bpf_program__name(const struct bpf_program *prog);
const char *bpf_program__section_name(const struct bpf_program *prog);
bool bpf_program__autoload(const struct bpf_program *prog);
int bpf_program__set_autoload(struct bpf_program *prog, bool autoload);
/* The program's handle; the value a prog_array element takes. */
int bpf_program__fd(const struct bpf_program *prog);

/* Attaching. Each returns a link the caller destroys, or NULL + errno. */
struct bpf_link *bpf_program__attach(const struct bpf_program *prog);

struct bpf_tracepoint_opts {
	size_t sz;
	__u64 bpf_cookie; /* must be 0: cookies are not supported */
};
struct bpf_link *bpf_program__attach_tracepoint(const struct bpf_program *prog,
						const char *category, const char *name);
struct bpf_link *bpf_program__attach_tracepoint_opts(const struct bpf_program *prog,
						     const char *category, const char *name,
						     const struct bpf_tracepoint_opts *opts);
struct bpf_link *bpf_program__attach_raw_tracepoint(const struct bpf_program *prog,
						    const char *name);
/* tp_btf (and fentry/fexit where the runner allows them). */
struct bpf_link *bpf_program__attach_trace(const struct bpf_program *prog);

struct bpf_uprobe_opts {
	size_t sz;
	size_t ref_ctr_offset; /* must be 0 */
	__u64 bpf_cookie;      /* must be 0 */
	bool retprobe;
	const char *func_name; /* then func_offset is added to the symbol */
};
/* binary_path: a path or a library name ("libc.so.6"); the runner must
 * allow it (--allow-uprobe). pid -1 traces every process. */
struct bpf_link *bpf_program__attach_uprobe(const struct bpf_program *prog, bool retprobe,
					    int pid, const char *binary_path,
					    size_t func_offset);
struct bpf_link *bpf_program__attach_uprobe_opts(const struct bpf_program *prog, int pid,
						 const char *binary_path, size_t func_offset,
						 const struct bpf_uprobe_opts *opts);

/* Targets a wasm guest names by string where libbpf takes an ifindex or a
 * cgroup fd (a WASI guest has neither). */
struct bpf_link *wbpf_program__attach_xdp(const struct bpf_program *prog, const char *ifname);
struct bpf_link *wbpf_program__attach_socket(const struct bpf_program *prog,
					     const char *ifname);
/* path: a cgroup relative to the runner's cgroup v2 root ("" = the root). */
struct bpf_link *wbpf_program__attach_cgroup(const struct bpf_program *prog,
					     const char *path);

int bpf_link__destroy(struct bpf_link *link);
int bpf_link__fd(const struct bpf_link *link);

/* Maps */
const char *bpf_map__name(const struct bpf_map *map);
/* The map's handle: what <bpf/bpf.h>'s fd-based calls and
 * ring_buffer__new/perf_buffer__new take. */
int bpf_map__fd(const struct bpf_map *map);
enum bpf_map_type bpf_map__type(const struct bpf_map *map);
__u32 bpf_map__key_size(const struct bpf_map *map);
__u32 bpf_map__value_size(const struct bpf_map *map);
__u32 bpf_map__max_entries(const struct bpf_map *map);
int bpf_map__set_max_entries(struct bpf_map *map, __u32 max_entries);
/* Global data only: a guest-memory copy of the section (see README). */
void *bpf_map__initial_value(struct bpf_map *map, size_t *psize);
int bpf_map__set_initial_value(struct bpf_map *map, const void *data, size_t size);

/* Element operations; sizes must equal the map's (per-CPU values: ncpus
 * slots of round_up(value_size, 8) bytes). */
int bpf_map__lookup_elem(const struct bpf_map *map, const void *key, size_t key_sz,
			 void *value, size_t value_sz, __u64 flags);
int bpf_map__update_elem(const struct bpf_map *map, const void *key, size_t key_sz,
			 const void *value, size_t value_sz, __u64 flags);
int bpf_map__delete_elem(const struct bpf_map *map, const void *key, size_t key_sz,
			 __u64 flags);
int bpf_map__lookup_and_delete_elem(const struct bpf_map *map, const void *key,
				    size_t key_sz, void *value, size_t value_sz,
				    __u64 flags);
int bpf_map__get_next_key(const struct bpf_map *map, const void *cur_key, void *next_key,
			  size_t key_sz);

/* Global data after load: pushes the guest's changes to .data/.bss
 * mirrors and pulls the live values (ring and perf buffer polls do this
 * for every loaded object). */
int wbpf_object__sync_data(struct bpf_object *obj);

/* Ring buffers */
typedef int (*ring_buffer_sample_fn)(void *ctx, void *data, size_t size);
struct ring_buffer_opts {
	size_t sz;
};
struct ring_buffer *ring_buffer__new(int map_fd, ring_buffer_sample_fn sample_cb, void *ctx,
				     const struct ring_buffer_opts *opts);
int ring_buffer__add(struct ring_buffer *rb, int map_fd, ring_buffer_sample_fn sample_cb,
		     void *ctx);
int ring_buffer__poll(struct ring_buffer *rb, int timeout_ms);
int ring_buffer__consume(struct ring_buffer *rb);
void ring_buffer__free(struct ring_buffer *rb);
/* Records not delivered because they exceeded the scratch buffer. */
__u64 wbpf_ring_buffer__lost(struct ring_buffer *rb);

/* Perf buffers */
typedef void (*perf_buffer_sample_fn)(void *ctx, int cpu, void *data, __u32 size);
typedef void (*perf_buffer_lost_fn)(void *ctx, int cpu, __u64 cnt);
struct perf_buffer_opts {
	size_t sz;
};
struct perf_buffer *perf_buffer__new(int map_fd, size_t page_cnt,
				     perf_buffer_sample_fn sample_cb, perf_buffer_lost_fn lost_cb,
				     void *ctx, const struct perf_buffer_opts *opts);
int perf_buffer__poll(struct perf_buffer *pb, int timeout_ms);
int perf_buffer__consume(struct perf_buffer *pb);
void perf_buffer__free(struct perf_buffer *pb);
__u64 wbpf_perf_buffer__lost(struct perf_buffer *pb);

/* Skeletons, in the layout `bpftool gen skeleton` fills in. */
struct bpf_map_skeleton {
	const char *name;
	struct bpf_map **map;
	void **mmaped;
};
struct bpf_prog_skeleton {
	const char *name;
	struct bpf_program **prog;
	struct bpf_link **link;
};
struct bpf_object_skeleton {
	size_t sz;
	const char *name;
	const void *data;
	size_t data_sz;
	struct bpf_object **obj;
	int map_cnt;
	int map_skel_sz;
	struct bpf_map_skeleton *maps;
	int prog_cnt;
	int prog_skel_sz;
	struct bpf_prog_skeleton *progs;
};
int bpf_object__open_skeleton(struct bpf_object_skeleton *s,
			      const struct bpf_object_open_opts *opts);
int bpf_object__load_skeleton(struct bpf_object_skeleton *s);
int bpf_object__attach_skeleton(struct bpf_object_skeleton *s);
void bpf_object__detach_skeleton(struct bpf_object_skeleton *s);
void bpf_object__destroy_skeleton(struct bpf_object_skeleton *s);

/* Miscellany ported tools call. */
enum libbpf_print_level {
	LIBBPF_WARN,
	LIBBPF_INFO,
	LIBBPF_DEBUG,
};
typedef int (*libbpf_print_fn_t)(enum libbpf_print_level level, const char *fmt,
				 va_list args);
/* Accepted and ignored: the host prints libbpf's messages itself. */
libbpf_print_fn_t libbpf_set_print(libbpf_print_fn_t fn);
long libbpf_get_error(const void *ptr);
int libbpf_strerror(int err, char *buf, size_t size);
/* The host's possible CPUs (from any open map), or a negative errno. */
int libbpf_num_possible_cpus(void);

#endif /* WBPF_SDK_LIBBPF_H */
