/* SPDX-License-Identifier: MIT */
/* Shared by the guest-facing eBPF modules (wbpf, wasm_bpf): checked access
 * to guest arguments and calls back into the guest for buffer records. */
#ifndef WBPF_ABI_H
#define WBPF_ABI_H

#include "wbpf/bpf.h"
#include "wbpf/wasm.h"

#define ABI_STR_MAX 4096u

/* Raw slot accessors: i32 in the low bits, i64 whole. */
#define ARG_U32(s, i) ((uint32_t)(s)[i])
#define ARG_I32(s, i) ((int32_t)(uint32_t)(s)[i])
#define ARG_I64(s, i) ((int64_t)(s)[i])

struct abi_func {
	const char *name;
	const char *sig;
	wbpf_host_fn fn;
};

int abi_define(struct wbpf_store *store, const char *module, const struct abi_func *funcs,
	       size_t n, void *user);
/* Modules `wasm_bpf` and `callback-wrapper` (src/abi/wasm_bpf.c). */
int abi_define_wasm_bpf(struct wbpf_store *store, struct wbpf_bpf_host *host);

static inline int abi_ret(uint64_t *slots, int v)
{
	slots[0] = (uint32_t)v;
	return 0;
}

/* A guest handle held in an i64 (wasm_bpf objects): out-of-range values
 * become 0, which is never a handle. */
static inline int abi_handle64(uint64_t slot)
{
	int64_t v = (int64_t)slot;

	return v > 0 && v <= INT32_MAX ? (int)v : 0;
}

/* [addr, addr+len) of guest memory; len 0 gives NULL and succeeds. */
int abi_buf(struct wbpf_caller *c, uint32_t addr, uint64_t len, void **out);
/* A required NUL-terminated string: -EFAULT, or -ENAMETOOLONG past
 * ABI_STR_MAX. */
int abi_str(struct wbpf_caller *c, uint32_t addr, const char **out);
/* The same, with addr 0 giving NULL. */
int abi_opt_str(struct wbpf_caller *c, uint32_t addr, const char **out);
/* snprintf-style copy of `s` to [buf, buf+size); returns strlen(s). */
int abi_copy_str(struct wbpf_caller *c, const char *s, uint32_t buf, uint32_t size);

/* ------------------------------------------------------------ callbacks */

enum abi_cb_style {
	ABI_CB_RING,	   /* table 0: (ctx, data, size) -> i32 */
	ABI_CB_PERF,	   /* table 0: (ctx, cpu, data, size); lost (ctx, cpu, count) */
	ABI_CB_COMPAT,	   /* wasm_bpf: table 0 (ctx, data, size) -> i32, truncating */
	ABI_CB_GO_EXPORT,  /* callback-wrapper: export go-callback, truncating */
};

/* One poll's view of the guest: where to call and what went wrong. */
struct abi_poll {
	struct wbpf_caller *c;
	enum abi_cb_style style;
	struct wbpf_error err; /* the callback's trap or exit */
	bool failed;
	char why[160];	       /* a host-side reason to trap */
	/* The last function resolved, reused for the next record: one table
	 * lookup and type check per poll instead of per record. */
	uint32_t fn_idx;
	const char *fn_sig;
	struct wbpf_func *fn;
	/* The last scratch buffer checked, [dst_addr, +dst_size). */
	uint32_t dst_addr, dst_size;
	uint8_t *dst;
};

/* The guest function at index idx of table 0 when it has type `sig`
 * (an abi signature string); NULL otherwise. */
struct wbpf_func *abi_table_func(struct wbpf_caller *c, uint32_t idx, const char *sig);
/* Polls `buf` for the guest. Returns the value for the guest, or, when a
 * callback trapped or exited, the host function's trap/exit. */
int abi_poll(struct wbpf_caller *c, struct wbpf_bpf_host *host, int buf, int timeout_ms,
	     enum abi_cb_style style, uint64_t *slots);

#define ABI_SIG_RING "(iii)i"
#define ABI_SIG_PERF "(iiii)"
#define ABI_SIG_LOST "(iiI)"

#endif /* WBPF_ABI_H */
