/* SPDX-License-Identifier: MIT */
/*
 * wbpf's eBPF host: libbpf-backed objects, programs, links, maps, ring
 * buffers and perf buffers owned by one guest instance.
 *
 * A `struct wbpf_bpf_host` is the state of one guest instance. Everything
 * the guest creates is reached through i32 handles from its table (slot +
 * generation): never host pointers or fds. wbpf_bpf_host__free() releases
 * all of it (links destroyed, fds closed, memory freed), whatever way the
 * guest ended.
 *
 * The guest-facing modules (`wbpf`, `wasm_bpf`, see docs/abi-wbpf.md) sit
 * on top of this API; it is also usable natively (tests, benchmarks).
 * Functions return 0 / a handle / a count, or a negative errno.
 */
#ifndef WBPF_BPF_H
#define WBPF_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wbpf_store;
struct wbpf_bpf_host;
struct btf;

/* What a program attaches to; the unit of permission. */
enum wbpf_bpf_attach_kind {
	WBPF_ATTACH_TRACEPOINT = 0,
	WBPF_ATTACH_RAW_TP,
	WBPF_ATTACH_TP_BTF,
	WBPF_ATTACH_UPROBE,	/* uprobe and uretprobe */
	WBPF_ATTACH_SOCKET,	/* socket filter on an interface */
	WBPF_ATTACH_CGROUP,	/* cgroup programs, sockops, ... */
	WBPF_ATTACH_XDP,
	WBPF_ATTACH_KPROBE,
	WBPF_ATTACH_FENTRY,	/* fentry, fexit, fmod_ret */
	WBPF_ATTACH_LSM,
	WBPF_ATTACH_PERF_EVENT,
	WBPF_ATTACH_USDT,
	WBPF_ATTACH_ITER,
	WBPF_ATTACH_OTHER,
	WBPF_ATTACH__MAX,
};

/* "tracepoint", "raw_tp", "tp_btf", "uprobe", "socket", "cgroup", "xdp",
 * "kprobe", "fentry", "lsm", "perf_event", "usdt", "iter", "other". */
const char *wbpf_bpf_attach_kind__str(enum wbpf_bpf_attach_kind kind);
/* The kind named `name`, or -EINVAL. */
int wbpf_bpf_attach_kind__parse(const char *name);

/* Where cgroup v2 is mounted (/sys/fs/cgroup, .../unified beside v1
 * hierarchies, else as /proc/self/mounts says), into buf; 0, -ENOENT if
 * nowhere, or -errno. */
int wbpf_cgroup2_root(char *buf, size_t len);

struct wbpf_bpf_host_opts {
	size_t sz;		  /* sizeof(struct wbpf_bpf_host_opts) */
	const char *cgroup_root;  /* cgroup v2 root; NULL = found at attach */
	uint32_t max_handles;	  /* 0 = 4096 */
	bool quiet;		  /* no "denied" lines on stderr */
};

/* Defaults: tracepoint, raw_tp and tp_btf allowed; uprobes only on
 * binaries allowed by __allow_uprobe(); socket/xdp only on interfaces
 * allowed by __allow_iface(); everything else denied. */
struct wbpf_bpf_host *wbpf_bpf_host__new(const struct wbpf_bpf_host_opts *opts);
/* Destroys links, buffers and objects; must not run during a poll. */
void wbpf_bpf_host__free(struct wbpf_bpf_host *host);

int wbpf_bpf_host__allow_attach(struct wbpf_bpf_host *host, enum wbpf_bpf_attach_kind kind);
/* A path, a library name or "*" (any binary). */
int wbpf_bpf_host__allow_uprobe(struct wbpf_bpf_host *host, const char *binary);
/* An interface name or "*" (any interface). */
int wbpf_bpf_host__allow_iface(struct wbpf_bpf_host *host, const char *ifname);

/* Lets the guest's programs call a restricted helper: `name` is a helper
 * ("bpf_send_signal") or a class: "signal", "user-write", "override",
 * "syscall", "kfunc" (docs/security.md). Without a grant, object_load
 * refuses an object whose code calls one (-EPERM, one line naming the
 * program, the helper and the instruction). -EINVAL for unknown names. */
int wbpf_bpf_host__allow_helper(struct wbpf_bpf_host *host, const char *name);
/* Whether `name` is a helper or a class __allow_helper() knows. */
bool wbpf_bpf_helper__grantable(const char *name);

/* Thread- and async-signal-safe. Wakes any poll blocked now or later with
 * -EINTR: call it with wbpf_store__interrupt() when a deadline passes so
 * that a guest waiting in a poll sees it. Sticky. */
void wbpf_bpf_host__interrupt(struct wbpf_bpf_host *host);

enum wbpf_bpf_handle_kind {
	WBPF_HANDLE_NONE = 0, /* not a live handle */
	WBPF_HANDLE_OBJECT,
	WBPF_HANDLE_PROGRAM,
	WBPF_HANDLE_MAP,
	WBPF_HANDLE_LINK,
	WBPF_HANDLE_RINGBUF,
	WBPF_HANDLE_PERFBUF,
};

enum wbpf_bpf_handle_kind wbpf_bpf_host__handle_kind(const struct wbpf_bpf_host *host, int64_t h);
/* Live handles (all kinds), for leak checks. */
size_t wbpf_bpf_host__handle_count(const struct wbpf_bpf_host *host);

/* --------------------------------------------------------------- objects */

/* Copies `buf`; `name` may be NULL. Returns an object handle. */
int wbpf_bpf_host__object_open(struct wbpf_bpf_host *host, const void *buf, size_t size,
			       const char *name);
int wbpf_bpf_host__object_load(struct wbpf_bpf_host *host, int obj);
int wbpf_bpf_host__object_close(struct wbpf_bpf_host *host, int obj);
/* By C function name. */
int wbpf_bpf_host__find_program(struct wbpf_bpf_host *host, int obj, const char *name);
/* By map name, section (".rodata") or internal name ("foo.rodata"). */
int wbpf_bpf_host__find_map(struct wbpf_bpf_host *host, int obj, const char *name);
/* The idx-th program / map in ELF order; -ENOENT past the end. */
int wbpf_bpf_host__program_at(struct wbpf_bpf_host *host, int obj, uint32_t idx);
int wbpf_bpf_host__map_at(struct wbpf_bpf_host *host, int obj, uint32_t idx);
/* The object's BTF (libbpf's, with section sizes and offsets fixed up),
 * NULL when it has none; valid until the object is closed. */
const struct btf *wbpf_bpf_host__object_btf(struct wbpf_bpf_host *host, int obj);
/* The object a program or map belongs to. */
int wbpf_bpf_host__owner(struct wbpf_bpf_host *host, int prog_or_map);

/* -------------------------------------------------------------- programs */

int wbpf_bpf_host__program_name(struct wbpf_bpf_host *host, int prog, const char **name);
int wbpf_bpf_host__program_section(struct wbpf_bpf_host *host, int prog, const char **sec);
int wbpf_bpf_host__program_set_autoload(struct wbpf_bpf_host *host, int prog, bool autoload);
/* What the program attaches to (enum wbpf_bpf_attach_kind), from its type
 * and section. */
int wbpf_bpf_host__program_kind(struct wbpf_bpf_host *host, int prog);

/* An explicit attach target; see docs/abi-wbpf.md for each kind. */
struct wbpf_bpf_target {
	enum wbpf_bpf_attach_kind kind;
	const char *category;	/* tracepoint */
	const char *name;	/* tracepoint, raw_tp */
	const char *binary;	/* uprobe: path or library name */
	const char *func;	/* uprobe: symbol, may be NULL */
	uint64_t offset;	/* uprobe: added to func, or a file offset */
	int pid;		/* uprobe: -1 = all */
	bool retprobe;		/* uprobe */
	const char *ifname;	/* socket, xdp */
	const char *cgroup;	/* cgroup: relative to the cgroup root */
};

/* `target` NULL = auto-attach from SEC(). Returns a link handle. */
int wbpf_bpf_host__attach(struct wbpf_bpf_host *host, int prog, const struct wbpf_bpf_target *target);
int wbpf_bpf_host__link_destroy(struct wbpf_bpf_host *host, int link);

/* ------------------------------------------------------------------ maps */

/* Same layout as the guest ABI's struct wbpf_map_info. */
struct wbpf_bpf_map_info {
	uint32_t type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags;
	uint32_t value_stride; /* value bytes of one element op (per-CPU scaled) */
	uint32_t ncpus;
	uint32_t reserved;
};

int wbpf_bpf_host__map_info(struct wbpf_bpf_host *host, int map, struct wbpf_bpf_map_info *info);
int wbpf_bpf_host__map_name(struct wbpf_bpf_host *host, int map, const char **name);
int wbpf_bpf_host__map_set_max_entries(struct wbpf_bpf_host *host, int map, uint32_t n);

/* Sizes must equal key_size / value_stride (-EINVAL otherwise). */
int wbpf_bpf_host__map_lookup(struct wbpf_bpf_host *host, int map, const void *key, size_t key_size,
			      void *value, size_t value_size, uint64_t flags);
int wbpf_bpf_host__map_update(struct wbpf_bpf_host *host, int map, const void *key, size_t key_size,
			      const void *value, size_t value_size, uint64_t flags);
int wbpf_bpf_host__map_delete(struct wbpf_bpf_host *host, int map, const void *key, size_t key_size,
			      uint64_t flags);
/* key NULL = first key. */
int wbpf_bpf_host__map_next_key(struct wbpf_bpf_host *host, int map, const void *key, void *next_key,
				size_t key_size);
int wbpf_bpf_host__map_lookup_and_delete(struct wbpf_bpf_host *host, int map, const void *key,
					 size_t key_size, void *value, size_t value_size, uint64_t flags);

enum wbpf_bpf_batch_op {
	WBPF_BATCH_LOOKUP,
	WBPF_BATCH_LOOKUP_AND_DELETE,
	WBPF_BATCH_UPDATE,
	WBPF_BATCH_DELETE,
};

/* Buffers hold *count elements (keys: key_size each, values: value_stride
 * each); batch cursors take max(key_size, 4) bytes. The caller checks the
 * sizes of its buffers with wbpf_bpf_batch_sizes(). */
int wbpf_bpf_host__map_batch(struct wbpf_bpf_host *host, int map, enum wbpf_bpf_batch_op op,
			     void *in_batch, void *out_batch, void *keys, void *values,
			     uint32_t *count, uint64_t elem_flags);
struct wbpf_bpf_batch_sizes {
	uint64_t keys, values, cursor;
};
void wbpf_bpf_batch_sizes(const struct wbpf_bpf_map_info *info, uint32_t count,
			  struct wbpf_bpf_batch_sizes *out);

/* Global data (.rodata/.data/.bss/...): before load the initial image,
 * after load the live values; .rodata is read-only after load. */
int wbpf_bpf_host__map_data_read(struct wbpf_bpf_host *host, int map, uint64_t off, void *buf,
				 size_t len);
int wbpf_bpf_host__map_data_write(struct wbpf_bpf_host *host, int map, uint64_t off,
				  const void *buf, size_t len);

/* --------------------------------------------------------------- buffers */

/* The guest's callback parameters for one map of a buffer, opaque here:
 * they are handed back to the dispatcher with each record. */
struct wbpf_bpf_cb {
	uint32_t sample, lost, ctx, buf, buf_size;
};

/* Called by polls, with the dispatcher's `ctx`. sample returns 0 when the
 * record was delivered, > 0 when it was dropped (counted as lost), < 0 to
 * stop the poll, which then returns that value. cpu is -1 for rings. */
struct wbpf_bpf_records;
struct wbpf_bpf_dispatch {
	int (*sample)(void *ctx, const struct wbpf_bpf_cb *cb, int cpu, const void *data,
		      uint32_t size);
	void (*lost)(void *ctx, const struct wbpf_bpf_cb *cb, int cpu, uint64_t count);
	void *ctx;
};

/* wbpf_bpf_host__buffer_poll, except that a ring buffer's ready records
 * are pulled by drain (wbpf_bpf_records__next) rather than handed to
 * d->sample one by one, so that it can deliver them in a loop of its own.
 * drain returns 0, or < 0 to end the poll with that value. Perf buffers
 * (and a record a batch read left behind) still go to d. */
int wbpf_bpf_host__buffer_drain(struct wbpf_bpf_host *host, int buf, int timeout_ms,
				const struct wbpf_bpf_dispatch *d,
				int (*drain)(void *ctx, struct wbpf_bpf_records *records));
/* The next ready record of a drain: 1 with its callback parameters, data
 * and size set, 0 when none is left. The bytes stay valid (and the record
 * unconsumed in the ring) until the next call; each record handed out
 * counts as delivered unless dropped. */
int wbpf_bpf_records__next(struct wbpf_bpf_records *records, const struct wbpf_bpf_cb **cb,
			   const void **data, uint32_t *size);
/* The record last handed out counts as lost instead (it did not fit). */
void wbpf_bpf_records__drop(struct wbpf_bpf_records *records);

int wbpf_bpf_host__ringbuf_new(struct wbpf_bpf_host *host, int map, const struct wbpf_bpf_cb *cb);
int wbpf_bpf_host__ringbuf_add(struct wbpf_bpf_host *host, int rb, int map,
			       const struct wbpf_bpf_cb *cb);
/* page_cnt: per CPU, a power of two <= 256. */
int wbpf_bpf_host__perfbuf_new(struct wbpf_bpf_host *host, int map, uint32_t page_cnt,
			       const struct wbpf_bpf_cb *cb);
/* The buffer dedicated to `map` (one per map: created on first use as a
 * ring or perf buffer after the map type); its callback becomes `cb`. */
int wbpf_bpf_host__map_buffer(struct wbpf_bpf_host *host, int map, const struct wbpf_bpf_cb *cb);

/* Waits up to timeout_ms (-1 forever, 0 not at all) then delivers every
 * ready record; returns the number delivered. -EBUSY when called from a
 * dispatcher; -EINTR after wbpf_bpf_host__interrupt(). */
int wbpf_bpf_host__buffer_poll(struct wbpf_bpf_host *host, int buf, int timeout_ms,
			       const struct wbpf_bpf_dispatch *d);
/* Batch delivery from a ring buffer: copies ready records into buf as
 * records (struct wbpf_bpf_record, then the data, padded to 8 bytes),
 * waiting up to timeout_ms when none is ready. Returns the bytes written.
 * A record larger than `size` is dropped and counted as lost. */
struct wbpf_bpf_record {
	uint32_t size; /* of the data that follows */
	uint32_t ring; /* 0 for the map of ringbuf_new, then in ringbuf_add order */
};
int wbpf_bpf_host__ringbuf_read(struct wbpf_bpf_host *host, int rb, void *buf, size_t size,
				int timeout_ms);
/* The callback parameters of the buffer's first map. */
int wbpf_bpf_host__buffer_cb(struct wbpf_bpf_host *host, int buf, struct wbpf_bpf_cb *cb);
/* Records lost: dropped by the kernel (perf) or by the dispatcher. */
int64_t wbpf_bpf_host__buffer_lost(struct wbpf_bpf_host *host, int buf);
int wbpf_bpf_host__buffer_free(struct wbpf_bpf_host *host, int buf);

/* What the host's buffers have carried so far, for monitoring: fn is
 * called for each buffer, named after its first map. Safe from another
 * thread while the guest polls (not once the host is being freed). A
 * buffer freed, or made again for the same map, keeps its counts. */
struct wbpf_bpf_buffer_stats {
	const char *map;
	const char *type;	/* "ringbuf" or "perfbuf" */
	uint64_t events;	/* records delivered to the guest */
	uint64_t lost;		/* dropped by the kernel (perf) or by the host */
};
void wbpf_bpf_host__buffer_stats(struct wbpf_bpf_host *host,
				 void (*fn)(void *ctx, const struct wbpf_bpf_buffer_stats *st),
				 void *ctx);

/* ------------------------------------------------------------ guest ABIs */

/* Defines modules `wbpf`, `wasm_bpf` and `callback-wrapper` in `store`,
 * all acting on `host`. One host per guest instance. */
int wbpf_bpf_abi__define(struct wbpf_store *store, struct wbpf_bpf_host *host);

#ifdef __cplusplus
}
#endif
#endif /* WBPF_BPF_H */
