// SPDX-License-Identifier: MIT
/*
 * Guest arguments and guest callbacks for the eBPF modules. Bad pointers
 * become -EFAULT for the guest, never a trap; a callback's own trap or
 * exit ends the host function that polled, with the same outcome.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "abi/abi.h"
#include "bpf/records.h"
#include "copy.h"

int abi_define(struct wbpf_store *store, const char *module, const struct abi_func *funcs,
	       size_t n, void *user)
{
	int err;

	for (size_t i = 0; i < n; i++)
		if ((err = wbpf_store__define_func(store, module, funcs[i].name, funcs[i].sig,
						   funcs[i].fn, user)))
			return err;
	return 0;
}

int abi_buf(struct wbpf_caller *c, uint32_t addr, uint64_t len, void **out)
{
	*out = NULL;
	if (len == 0)
		return 0;
	*out = wbpf_caller__mem(c, addr, len);
	return *out ? 0 : -EFAULT;
}

int abi_str(struct wbpf_caller *c, uint32_t addr, const char **out)
{
	uint64_t size = wbpf_caller__mem_size(c);
	uint64_t avail = addr < size ? size - addr : 0;
	const char *s;

	if (avail > ABI_STR_MAX)
		avail = ABI_STR_MAX;
	s = avail ? wbpf_caller__mem(c, addr, avail) : NULL;
	if (!s)
		return -EFAULT;
	if (!memchr(s, '\0', avail))
		return avail == ABI_STR_MAX ? -ENAMETOOLONG : -EFAULT;
	*out = s;
	return 0;
}

int abi_opt_str(struct wbpf_caller *c, uint32_t addr, const char **out)
{
	*out = NULL;
	return addr ? abi_str(c, addr, out) : 0;
}

int abi_copy_str(struct wbpf_caller *c, const char *s, uint32_t buf, uint32_t size)
{
	size_t len = strlen(s), n;
	char *dst;

	if (size == 0)
		return (int)len;
	if (!(dst = wbpf_caller__mem(c, buf, size)))
		return -EFAULT;
	n = len < size - 1 ? len : size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return (int)len;
}

/* ------------------------------------------------------------ callbacks */

static uint8_t sig_type(char ch)
{
	switch (ch) {
	case 'i': return WBPF_I32;
	case 'I': return WBPF_I64;
	case 'f': return WBPF_F32;
	case 'F': return WBPF_F64;
	default: return 0;
	}
}

/* Whether `ft` is the type spelled by `sig`, e.g. "(iii)i". */
static bool sig_matches(const struct wbpf_functype *ft, const char *sig)
{
	const char *close = strchr(sig, ')');
	uint32_t np = (uint32_t)(close - sig - 1), nr = (uint32_t)strlen(close + 1);

	if (ft->nparams != np || ft->nresults != nr)
		return false;
	for (uint32_t i = 0; i < np; i++)
		if (ft->params[i] != sig_type(sig[1 + i]))
			return false;
	for (uint32_t i = 0; i < nr; i++)
		if (ft->results[i] != sig_type(close[1 + i]))
			return false;
	return true;
}

static struct wbpf_func *typed(struct wbpf_func *fn, const char *sig)
{
	struct wbpf_functype ft;

	if (!fn)
		return NULL;
	wbpf_func__type(fn, &ft);
	return sig_matches(&ft, sig) ? fn : NULL;
}

/* Callbacks are C function pointers: indices into table 0. */
struct wbpf_func *abi_table_func(struct wbpf_caller *c, uint32_t idx, const char *sig)
{
	struct wbpf_table *table = wbpf_instance__table(wbpf_caller__instance(c), 0);
	struct wbpf_val v;

	if (!table || wbpf_table__get(table, idx, &v) || v.type != WBPF_FUNCREF)
		return NULL;
	return typed(v.of.func, sig);
}

static struct wbpf_func *poll_func_resolve(struct abi_poll *p, uint32_t idx, const char *sig)
{
	struct wbpf_func *fn;

	if (p->style == ABI_CB_GO_EXPORT)
		fn = typed(wbpf_instance__func(wbpf_caller__instance(p->c), "go-callback"), sig);
	else
		fn = abi_table_func(p->c, idx, sig);
	if (!fn) {
		/* As call_indirect would: the guest broke its own callback. */
		snprintf(p->why, sizeof(p->why), "buffer callback %u is not a function of type %s",
			 idx, sig);
		p->failed = true;
	}
	p->fn = fn;
	p->fn_idx = idx;
	p->fn_sig = sig;
	return fn;
}

/* Per record: the last function resolved, when it is asked for again. */
static inline struct wbpf_func *poll_func(struct abi_poll *p, uint32_t idx, const char *sig)
{
	if (p->fn && p->fn_idx == idx && p->fn_sig == sig)
		return p->fn;
	return poll_func_resolve(p, idx, sig);
}

/* Calls the guest with raw slots (the function's type was checked by
 * poll_func); a trap or exit stops the poll (-ECANCELED). */
static int call_guest(struct abi_poll *p, struct wbpf_func *fn, uint64_t *slots)
{
	if (!fn)
		return -ECANCELED;
	if (wbpf_func__call_slots(fn, slots, &p->err)) {
		p->failed = true;
		return -ECANCELED;
	}
	return 0;
}

static void perf_lost(void *ctx, const struct wbpf_bpf_cb *cb, int cpu, uint64_t count)
{
	struct abi_poll *p = ctx;
	uint64_t slots[3] = { cb->ctx, (uint32_t)cpu, count };

	if (p->style != ABI_CB_PERF || !cb->lost || p->failed)
		return;
	call_guest(p, poll_func(p, cb->lost, ABI_SIG_LOST), slots);
}

/* The guest's scratch buffer, checked whole once per poll (and again
 * if a callback changes it): memory only grows and never moves, so the
 * check holds for the rest of the poll. */
static uint8_t *scratch_check(struct abi_poll *p, const struct wbpf_bpf_cb *cb)
{
	void *dst;

	if (abi_buf(p->c, cb->buf, cb->buf_size, &dst))
		return NULL;
	p->dst_addr = cb->buf;
	p->dst_size = cb->buf_size;
	return p->dst = dst;
}

static inline uint8_t *scratch(struct abi_poll *p, const struct wbpf_bpf_cb *cb)
{
	if (p->dst && p->dst_addr == cb->buf && p->dst_size == cb->buf_size)
		return p->dst;
	return scratch_check(p, cb);
}

/* Copies the record to the guest's scratch buffer: wbpf drops what does
 * not fit (counted as lost), wasm_bpf truncates as its runtimes do. */
static inline int copy_record(struct abi_poll *p, const struct wbpf_bpf_cb *cb,
			      const void *data, uint32_t *size)
{
	bool truncate = p->style == ABI_CB_COMPAT || p->style == ABI_CB_GO_EXPORT;
	uint8_t *dst;

	if (*size > cb->buf_size) {
		if (!truncate)
			return 1;
		*size = cb->buf_size;
	}
	if (!*size)
		return 0;
	if (!(dst = scratch(p, cb)))
		return -EFAULT;
	copy__record(dst, data, *size);
	return 0;
}

static int sample(void *ctx, const struct wbpf_bpf_cb *cb, int cpu, const void *data, uint32_t size)
{
	struct abi_poll *p = ctx;
	int err = copy_record(p, cb, data, &size);

	if (err > 0 && p->style == ABI_CB_PERF)
		perf_lost(p, cb, cpu, 1);
	if (err || p->failed)
		return p->failed ? -ECANCELED : err;
	if (p->style == ABI_CB_PERF) {
		uint64_t slots[4] = { cb->ctx, (uint32_t)cpu, cb->buf, size };

		return call_guest(p, poll_func(p, cb->sample, ABI_SIG_PERF), slots);
	}
	uint64_t slots[3] = { cb->ctx, cb->buf, size };

	err = call_guest(p, poll_func(p, cb->sample, ABI_SIG_RING), slots);
	/* As libbpf: a negative return stops the poll and becomes its result. */
	return err ? err : ((int32_t)slots[0] < 0 ? (int32_t)slots[0] : 0);
}

/* Ring records pulled by the guest's callback calls themselves: one
 * series (wbpf_func__call_each) per run of records with the same
 * callback, so that the engine is entered once per run, not per record. */
struct abi_drain {
	struct abi_poll *p;
	struct wbpf_bpf_records *rs;
	struct wbpf_func *fn;	/* the series' callback */
	const struct wbpf_bpf_cb *cb;
	const void *data;
	uint32_t size;
	bool have;		/* a record pulled, not given yet */
	bool called;		/* slots holds a callback's result */
};

/* Whether the pulled record goes to the series' callback. Within a
 * series p->fn is d->fn (a different one ends it), so an unchanged index
 * needs no lookup. */
static bool same_callback(struct abi_drain *d)
{
	return d->cb->sample == d->p->fn_idx ||
	       poll_func(d->p, d->cb->sample, ABI_SIG_RING) == d->fn;
}

static int drain_next(void *ctx, uint64_t *slots)
{
	struct abi_drain *d = ctx;
	uint32_t size;
	int err;

	/* As libbpf: a negative return stops the poll and becomes its result. */
	if (d->called && (int32_t)slots[0] < 0)
		return (int32_t)slots[0];
	d->called = false;
	do {
		if (!d->have && bpf_records_next(d->rs, &d->cb, &d->data, &d->size) <= 0)
			return 0;
		d->have = !same_callback(d);
		if (d->have)
			return 0; /* another callback: another series */
		size = d->size;
		if ((err = copy_record(d->p, d->cb, d->data, &size)) > 0)
			wbpf_bpf_records__drop(d->rs);
	} while (err > 0);
	if (err)
		return err;
	slots[0] = d->cb->ctx;
	slots[1] = d->cb->buf;
	slots[2] = size;
	d->called = true;
	return 1;
}

static int drain(void *ctx, struct wbpf_bpf_records *rs)
{
	struct abi_drain d = { .p = ctx, .rs = rs };
	int rc = 0;

	while (!rc && (d.have || wbpf_bpf_records__next(rs, &d.cb, &d.data, &d.size) > 0)) {
		d.have = true;
		if (!(d.fn = poll_func(d.p, d.cb->sample, ABI_SIG_RING)))
			return -ECANCELED;
		rc = wbpf_func__call_each(d.fn, drain_next, &d, &d.p->err);
		if (d.p->err.kind != WBPF_OK) {
			d.p->failed = true;
			return -ECANCELED;
		}
	}
	return rc;
}

int abi_poll(struct wbpf_caller *c, struct wbpf_bpf_host *host, int buf, int timeout_ms,
	     enum abi_cb_style style, uint64_t *slots)
{
	struct abi_poll p = { .c = c, .style = style };
	struct wbpf_bpf_dispatch d = { sample, perf_lost, &p };
	int r = wbpf_bpf_host__buffer_drain(host, buf, timeout_ms, &d,
					    style == ABI_CB_PERF ? NULL : drain);

	if (!p.failed)
		return abi_ret(slots, r);
	if (p.why[0])
		return wbpf_caller__trap(c, "%s", p.why);
	return wbpf_caller__rethrow(c, &p.err);
}
