/* SPDX-License-Identifier: MIT */
/*
 * wbpf's own gadget operator ABI (module `wbpf_gadget`) for C guests:
 * made for per-event cost. docs/gadget-operator-abi.md describes it.
 *
 *   - At init, look up datasources and fields once (wg_ds, wg_field): a
 *     field of the eBPF record comes with its offset and size.
 *   - wg_subscribe(ds, prio, buf, cap, cookie): before each record the
 *     host writes its bytes into buf; wbpf_gadget_event(cookie, data,
 *     len) then reads fields straight from buf (wg_u32, wg_str, ...): no
 *     host call per field. It returns WG_KEEP, WG_DROP (the record, or
 *     the array element, goes no further) or WG_MODIFIED (the host takes
 *     buf's bytes back: edited eBPF fields).
 *   - wg_set / wg_get move any number of fields (added ones included) in
 *     one host call; wg_emit makes a record of a datasource.
 *   - wg_timer(ns, cookie) calls wbpf_gadget_timer(cookie) on an
 *     interval, between events.
 *
 * Build as a reactor (clang --target=wasm32-wasi -mexec-model=reactor)
 * exporting gadgetInit (and the other lifecycle calls it needs),
 * wbpf_gadget_event and, with timers, wbpf_gadget_timer. Calls return
 * a negative errno on failure; wg_last_error says why.
 */
#ifndef GADGET_WBPF_OP_H
#define GADGET_WBPF_OP_H

#include <stdint.h>
#include <string.h>

#define WG_IMPORT(name) __attribute__((import_module("wbpf_gadget"), import_name(#name)))
#define WG_EXPORT(name) __attribute__((export_name(#name)))

/* Field kinds (Inspektor Gadget's numbers) and flags. */
enum wg_kind {
	WG_BOOL = 1, WG_INT8, WG_INT16, WG_INT32, WG_INT64, WG_UINT8, WG_UINT16, WG_UINT32,
	WG_UINT64, WG_FLOAT32, WG_FLOAT64, WG_STRING, WG_CSTRING, WG_BYTES,
};
#define WG_ARRAY 0x10000000u /* or-ed in: strings NUL-separated, scalars packed */
#define WG_FIELD_HIDDEN 0x1u
#define WG_FIELD_STATIC 0x2u /* in the eBPF record: offs and size are valid */

enum { WG_DS_SINGLE = 1, WG_DS_ARRAY = 2 };
enum { WG_KEEP = 0, WG_DROP = 1, WG_MODIFIED = 2 };
enum { WG_LOG_ERROR, WG_LOG_WARN, WG_LOG_INFO, WG_LOG_DEBUG };

struct wg_field {
	int32_t h; /* handle, > 0 */
	uint32_t kind, flags, offs, size;
};

/* One value for wg_set/wg_get/wg_emit: scalars in v; strings, bytes and
 * arrays at guest address v, len bytes. */
struct wg_val {
	uint32_t field, len;
	uint64_t v;
};

WG_IMPORT(log) void wg__log(uint32_t level, const char *msg, uint32_t len);
WG_IMPORT(last_error) int32_t wg_last_error(char *buf, uint32_t cap);
WG_IMPORT(param) int32_t wg__param(const char *key, uint32_t klen, char *buf, uint32_t cap);
WG_IMPORT(timer) int32_t wg_timer(uint64_t interval_ns, uint32_t cookie);
WG_IMPORT(ds_get) int32_t wg__ds_get(const char *name, uint32_t len);
WG_IMPORT(ds_new) int32_t wg__ds_new(const char *name, uint32_t len, uint32_t type);
WG_IMPORT(field_get) int32_t wg__field_get(int32_t ds, const char *name, uint32_t len,
					   uint32_t *info);
WG_IMPORT(field_add) int32_t wg__field_add(int32_t ds, const char *name, uint32_t len,
					   uint32_t kind);
WG_IMPORT(field_hide) int32_t wg_field_hide(int32_t field, uint32_t hidden);
WG_IMPORT(subscribe) int32_t wg_subscribe(int32_t ds, int32_t prio, void *buf, uint32_t cap,
					  uint32_t cookie);
WG_IMPORT(get) int32_t wg_get(int32_t data, struct wg_val *vals, uint32_t n, void *buf,
			      uint32_t cap);
WG_IMPORT(set) int32_t wg_set(int32_t data, const struct wg_val *vals, uint32_t n);
WG_IMPORT(emit) int32_t wg_emit(int32_t ds, const struct wg_val *vals, uint32_t n);

static inline void wg_log(uint32_t level, const char *msg)
{
	wg__log(level, msg, (uint32_t)strlen(msg));
}

/* The param's value (NUL-terminated when it fits); its length or < 0. */
static inline int32_t wg_param(const char *key, char *buf, uint32_t cap)
{
	int32_t n = wg__param(key, (uint32_t)strlen(key), buf, cap);

	if (n >= 0 && (uint32_t)n < cap)
		buf[n] = '\0';
	return n;
}

static inline int32_t wg_ds(const char *name)
{
	return wg__ds_get(name, (uint32_t)strlen(name));
}

static inline int32_t wg_ds_new(const char *name, uint32_t type)
{
	return wg__ds_new(name, (uint32_t)strlen(name), type);
}

static inline int32_t wg_field(int32_t ds, const char *name, struct wg_field *f)
{
	f->h = wg__field_get(ds, name, (uint32_t)strlen(name), &f->kind);
	return f->h;
}

static inline int32_t wg_field_add(int32_t ds, const char *name, uint32_t kind,
				   struct wg_field *f)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->h = wg__field_add(ds, name, (uint32_t)strlen(name), kind);
	return f->h;
}

/* ------------------------------------- eBPF fields, read in the record */

#define WG_READER(name, type)                                                 \
	static inline type name(const struct wg_field *f, const void *rec)    \
	{                                                                     \
		type v;                                                       \
		memcpy(&v, (const uint8_t *)rec + f->offs, sizeof(v));        \
		return v;                                                     \
	}
WG_READER(wg_u8, uint8_t)
WG_READER(wg_u16, uint16_t)
WG_READER(wg_u32, uint32_t)
WG_READER(wg_u64, uint64_t)
WG_READER(wg_i8, int8_t)
WG_READER(wg_i16, int16_t)
WG_READER(wg_i32, int32_t)
WG_READER(wg_i64, int64_t)
#undef WG_READER

/* A field's bytes in the record. */
static inline const uint8_t *wg_bytes(const struct wg_field *f, const void *rec)
{
	return (const uint8_t *)rec + f->offs;
}

/* A char[] field: its text, up to the NUL. */
static inline const char *wg_str(const struct wg_field *f, const void *rec, uint32_t *len)
{
	const char *p = (const char *)rec + f->offs;
	const char *nul = memchr(p, 0, f->size);

	*len = nul ? (uint32_t)(nul - p) : f->size;
	return p;
}

/* ------------------------------------------------------ values to set */

static inline struct wg_val wg_scalar(const struct wg_field *f, uint64_t v)
{
	return (struct wg_val){(uint32_t)f->h, 0, v};
}

static inline struct wg_val wg_buf(const struct wg_field *f, const void *p, uint32_t len)
{
	return (struct wg_val){(uint32_t)f->h, len, (uint32_t)(uintptr_t)p};
}

#endif /* GADGET_WBPF_OP_H */
