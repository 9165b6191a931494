/* SPDX-License-Identifier: MIT */
/* Shared between the files of src/bpf: the handle table and the objects
 * it points to. */
#ifndef WBPF_BPF_INTERNAL_H
#define WBPF_BPF_INTERNAL_H

#include <stdarg.h>
#include <stdatomic.h>

#include <bpf/libbpf.h>

#include "wbpf/bpf.h"

/* ---------------------------------------------------------- handle table */

struct handle_slot {
	uint32_t gen;
	uint8_t kind;	 /* enum wbpf_bpf_handle_kind; NONE when free */
	void *ptr;
	uint32_t next_free;
};

struct handle_table {
	struct handle_slot *slots;
	uint32_t len, cap, max;
	uint32_t free_head; /* slot index + 1; 0 = none */
	uint32_t live;
};

int htable_add(struct handle_table *t, enum wbpf_bpf_handle_kind kind, void *ptr);
void *htable_get(const struct handle_table *t, int64_t h, enum wbpf_bpf_handle_kind kind);
enum wbpf_bpf_handle_kind htable_kind(const struct handle_table *t, int64_t h);
void htable_del(struct handle_table *t, int h);
/* Pointer of slot i when it holds `kind`, for sweeps; NULL otherwise. */
void *htable_slot(const struct handle_table *t, uint32_t i, enum wbpf_bpf_handle_kind kind);
void htable_release(struct handle_table *t);

/* --------------------------------------------------------------- objects */

struct bpf_obj;

struct bpf_prog_ent {
	struct bpf_program *prog;
	struct bpf_obj *obj;
	int handle; /* 0 until first asked for */
};

struct bpf_map_ent {
	struct bpf_map *map;
	struct bpf_obj *obj;
	int handle;
	int buffer; /* the map's own buffer (wbpf_bpf_host__map_buffer), or 0 */
	/* Global data after load: our mapping of the kernel's array (libbpf
	 * only remaps its own copy for skeletons). */
	void *live;
	size_t live_len;
};

struct bpf_obj {
	struct bpf_object *bpf;
	void *elf; /* libbpf reads from our copy, never guest memory */
	size_t elf_size;
	int handle;
	bool loaded;
	size_t nprogs, nmaps;
	struct bpf_prog_ent *progs;
	struct bpf_map_ent *maps;
};

struct bpf_link_ent {
	struct bpf_link *link; /* NULL for a socket filter */
	int sock;	       /* socket filter's socket, or -1 */
	struct bpf_obj *obj;
	int handle;
};

/* One map read by a buffer. */
struct bpf_ring {
	struct bpf_buffer *buf;
	struct bpf_map_ent *map;
	struct wbpf_bpf_cb cb;
	uint32_t index; /* in buf->rings: the ring number of batch records */
	/* Ring buffers are read here, not by libbpf (buffer.c): the kernel's
	 * consumer page (ours to write), its producer page and data pages
	 * (mapped twice in a row, so that no record wraps). */
	uint64_t *cons_pos;
	const uint64_t *prod_pos;
	const uint8_t *data;
	uint64_t mask;	  /* data size - 1 */
	size_t prod_len;  /* of the producer mapping */
	uint64_t cons;	  /* the next record's position */
	uint64_t prod;	  /* the producer's, as last read: read again once reached */
};

/* A pull poll's view of the records (wbpf_bpf_records__next). */
struct wbpf_bpf_records {
	struct bpf_buffer *buf;
	size_t ring;		/* the ring being read */
	struct bpf_ring *r;	/* buf->rings[ring] */
	uint64_t next;		/* the position past the record handed out */
	int delivered;		/* records settled as delivered */
	bool held, dropped;	/* a record was handed out; as lost */
};

/* The destination of wbpf_bpf_host__ringbuf_read. */
struct bpf_batch {
	uint8_t *dst;
	size_t cap, used;
};

/* A record consumed from the kernel that did not fit the last batch;
 * it goes first next time. */
struct bpf_pending {
	uint8_t *data;
	uint32_t size, cap, ring;
	bool has;
};

/* Each buffer pins kernel memory (perf: per CPU) and host mappings. */
#define BUFFERS_MAX 64u

/* One buffer's counts, by map and kind, for the host's whole life: only
 * the polling thread writes them, monitoring threads read. */
struct bpf_buffer_stat {
	char map[64];
	enum wbpf_bpf_handle_kind kind;
	_Atomic uint64_t events, lost;
};

struct bpf_buffer {
	enum wbpf_bpf_handle_kind kind; /* RINGBUF or PERFBUF */
	struct bpf_buffer_stat *stat;	/* NULL past BUFFERS_MAX maps */
	struct perf_buffer *pb; /* perf buffers: libbpf's */
	int epfd; /* the rings' map fds (or the perf buffer's epoll fd) and the host's wake fd */
	int handle;
	size_t nrings;
	struct bpf_ring **rings; /* stable addresses: libbpf keeps them as ctx */
	uint64_t lost;
	struct bpf_pending pending;
	/* Set during a poll (d) or a batch read (batch). */
	const struct wbpf_bpf_dispatch *d;
	int (*drain)(void *ctx, struct wbpf_bpf_records *records);
	struct bpf_batch *batch;
	int delivered;
	int stop_err;
};

/* ------------------------------------------------------------------ host */

struct wbpf_bpf_host {
	struct handle_table handles;
	bool allowed[WBPF_ATTACH__MAX];
	bool helper_granted[__BPF_FUNC_MAX_ID]; /* restricted helpers granted */
	bool kfunc_granted;
	char **uprobe_bins;
	size_t n_uprobe_bins;
	char **ifaces;
	size_t n_ifaces;
	char *cgroup_root;
	bool quiet;
	size_t nobjs, elf_bytes; /* what open objects hold, for the caps */
	size_t nbufs;
	struct bpf_buffer_stat stats[BUFFERS_MAX];
	_Atomic size_t nstats; /* published after the slot is filled */
	int wake_fd;  /* eventfd written by wbpf_bpf_host__interrupt */
	bool polling; /* a dispatcher is running */
};

/* One "wbpf: ..." line on stderr unless quiet; returns err. */
int host_log(const struct wbpf_bpf_host *host, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* host_log() returning -EPERM. */
int host_deny(const struct wbpf_bpf_host *host, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct bpf_obj *host_obj(const struct wbpf_bpf_host *host, int h);
struct bpf_prog_ent *host_prog(const struct wbpf_bpf_host *host, int h);
struct bpf_map_ent *host_map(const struct wbpf_bpf_host *host, int h);

/* Fills o->progs and o->maps from o->bpf. */
int obj_index(struct bpf_obj *o);

/* Teardown helpers used by object close and host free. */
void link_release(struct wbpf_bpf_host *host, struct bpf_link_ent *l);
void buffer_release(struct wbpf_bpf_host *host, struct bpf_buffer *b);
void obj_release(struct wbpf_bpf_host *host, struct bpf_obj *o);
int map_data_mmap(struct bpf_map_ent *m);
void map_data_munmap(struct bpf_map_ent *m);
bool buffer_reads_obj(const struct bpf_buffer *b, const struct bpf_obj *o);

enum wbpf_bpf_attach_kind prog_attach_kind(const struct bpf_program *prog);

/* Opens the object in a confined throwaway child first, and there asks
 * it everything the host may ask before load: 0 when that all went well,
 * else a negative errno (logged with the reason). */
int object_vet(const struct wbpf_bpf_host *host, void *buf, size_t size, const char *name);
/* The helper policy over the object's code: 0, or -EPERM (logged with
 * the program, the helper and the instruction). */
int object_check_helpers(const struct wbpf_bpf_host *host, const struct bpf_obj *o);

#endif /* WBPF_BPF_INTERNAL_H */
