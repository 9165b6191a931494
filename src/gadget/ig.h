/* SPDX-License-Identifier: MIT */
/* Inspektor Gadget's operator ABI (API version 1), both generations:
 * module `env` (2025-02, strings returned through the guest's malloc)
 * and `ig` (mainline, caller-supplied buffers). docs/abi-inspektor-gadget.md
 * says what each call does; abi_ig*.c implement them. */
#ifndef WBPF_GADGET_IG_H
#define WBPF_GADGET_IG_H

#include "gadget/operator.h"

#define IG_MAX_HANDLES 4096u
#define IG_ARRAY_ELEM 0x80000000u /* dataArrayGet: 1<<31 | idx<<16 | arr */
#define IG_MAX_ELEM_IDX 32767u
#define IG_MAX_NEST 16		  /* emits inside callbacks */

enum igh_type {
	IGH_FREE = 0,
	IGH_DS,
	IGH_FIELD,
	IGH_DATA,
	IGH_ARRAY,
	IGH_PACKET_SINGLE,
	IGH_PACKET_ARRAY,
	IGH_MAP,
	IGH_PERF,
};

struct igh {
	uint8_t type;
	bool scoped; /* lent to a callback: the packet or record it is given */
	void *p;
};

/* A map: one of the gadget's object (host handle) or made by newMap. */
struct igmap {
	int host;  /* wbpf_bpf_host map handle, or 0 */
	int fd;	   /* newMap / inner map from a lookup: owned, or -1 */
	uint32_t type, key_size, value_size, stride;
	bool made; /* by newMap: mapRelease closes it */
};

struct igperf {
	int buf; /* host buffer handle */
	bool paused, overwritable;
	uint8_t *rec; /* records read ahead, one at a time to the guest */
	uint32_t rec_len, rec_cap;
	bool has;
};

struct igsub {
	struct gig *ig;
	uint64_t cb;
	int type; /* 1 data, 2 array, 3 packet */
	int ds_handle;
};

struct gig {
	struct gop *op;
	bool env;		   /* 2025-02 generation (module env) */
	struct igh h[IG_MAX_HANDLES + 1];
	uint32_t hint, live;
	struct wbpf_func *malloc_fn, *callback;
	struct igsub **subs;
	size_t nsubs;
	struct igmap **maps; /* every map handed out, closed at the end */
	size_t nmaps;
	bool drop_elem;		   /* the element being called back was released */
};

int igh_add(struct gig *ig, enum igh_type type, void *p, bool scoped);
void igh_del(struct gig *ig, uint32_t id);
struct igh *igh_get(struct gig *ig, uint32_t id, enum igh_type type);

/* abi_ig.c */
int gig_define(struct gop *op, bool env);
/* After instantiation: finds dataSourceCallback and malloc. */
int gig_bind(struct gig *ig);
void gig_free(struct gig *ig);
/* abi_ig_sys.c: maps, perf readers, syscalls, kallsyms, config. */
int gig_define_sys(struct wbpf_store *store, const char *module, struct gig *ig);
void gig_free_sys(struct gig *ig);

/* Shared by the abi_ig*.c files. */
struct wbpf_caller;
/* Guest bytes of an IG buf (len<<32 | ptr); NULL when out of range
 * (*len 0 and a non-NULL pointer for the empty buf). */
void *ig_buf(struct wbpf_caller *c, uint64_t buf, uint32_t *len);
/* A copy of the buf as a C string (caller frees), or NULL. */
char *ig_str(struct wbpf_caller *c, uint64_t buf);
/* A reason for the host's log; returns the call's error value. */
uint64_t ig_fail(struct gig *ig, uint64_t ret, const char *fn, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A string returned to an `env` guest: its malloc'd copy as a buf; 0 on
 * failure (and for ""). */
uint64_t ig_return_str(struct gig *ig, struct wbpf_caller *c, const void *s, uint32_t len);
/* An `ig` guest's buffer: the string and a NUL must fit. 0 / 1. */
int ig_write_str(struct wbpf_caller *c, uint64_t dst, const char *s);

#endif /* WBPF_GADGET_IG_H */
