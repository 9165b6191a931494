/* SPDX-License-Identifier: MIT */
/*
 * Gadgets: an eBPF object, an optional Wasm operator and a gadget.yaml
 * (Inspektor Gadget's metadata format) in one directory.
 *
 * The BPF object's BTF says what it produces: each tracer marker
 * (GADGET_TRACER) names a ring or perf buffer and the struct it carries,
 * which becomes a datasource whose fields are the struct's members.
 * Subscribers (the output, Wasm operators, native code) see each record
 * in priority order, read and set fields, add fields and drop records.
 * See docs/gadgets.md.
 *
 * Functions return 0 / a count, or a negative errno; a message naming
 * what went wrong is in wbpf_gadget__error() (or the `err` argument of
 * wbpf_gadget__open).
 */
#ifndef WBPF_GADGET_H
#define WBPF_GADGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Field kinds: the numbers are Inspektor Gadget's (its Wasm ABI uses them). */
enum wbpf_gadget_kind {
	WBPF_KIND_INVALID = 0,
	WBPF_KIND_BOOL,
	WBPF_KIND_INT8,
	WBPF_KIND_INT16,
	WBPF_KIND_INT32,
	WBPF_KIND_INT64,
	WBPF_KIND_UINT8,
	WBPF_KIND_UINT16,
	WBPF_KIND_UINT32,
	WBPF_KIND_UINT64,
	WBPF_KIND_FLOAT32,
	WBPF_KIND_FLOAT64,
	WBPF_KIND_STRING,
	WBPF_KIND_CSTRING,
	WBPF_KIND_BYTES,
	WBPF_KIND__MAX = WBPF_KIND_BYTES,
};
#define WBPF_KIND_ARRAY 0x10000000u /* or-ed into a kind: an array of it */

enum wbpf_gadget_ds_type {
	WBPF_DS_SINGLE = 1, /* one record per packet */
	WBPF_DS_ARRAY = 2,  /* a packet holds any number of records */
};

/* Field flags. */
#define WBPF_FIELD_HIDDEN 0x1u	 /* not shown unless asked for */
#define WBPF_FIELD_STATIC 0x2u	 /* bytes of the eBPF record */
#define WBPF_FIELD_PARENT 0x4u	 /* a struct whose members are fields */

struct wbpf_gadget;
struct wbpf_gadget_ds;
struct wbpf_gadget_field;
struct wbpf_gadget_data;
struct wbpf_gadget_packet;

struct wbpf_gadget_err {
	char msg[512];
};

struct wbpf_gadget_opts {
	size_t sz;		   /* sizeof(struct wbpf_gadget_opts) */
	uint64_t max_memory;	   /* operator linear memory cap; 0 = 256 MiB */
	uint64_t callback_fuel;	   /* per operator call; 0 = 1e9 */
	bool deterministic;	   /* operators get IG's fake clocks and random */
	bool no_operator;	   /* ignore the directory's Wasm module */
	const char *operator_path; /* a Wasm operator from elsewhere */
	uint64_t interval_ns;	   /* map iterators' snapshots; 0 = 1 s */
	const char *ifaces;	   /* socket filters: "lo,eth0"; NULL = every interface */
	/* A gadget whose parts are not in one directory (an OCI image's
	 * files): set both; `dir` then only names it in messages, and the
	 * operator is operator_path or none. */
	const char *yaml_path, *bpf_path;
};

/* Reads DIR/gadget.yaml, DIR/program.bpf.o (or the only *.bpf.o) and an
 * optional DIR/program.wasm (or the files opts names); finds datasources
 * and params. Nothing is loaded into the kernel yet. */
struct wbpf_gadget *wbpf_gadget__open(const char *dir, const struct wbpf_gadget_opts *opts,
				      struct wbpf_gadget_err *err);
void wbpf_gadget__close(struct wbpf_gadget *g);
const char *wbpf_gadget__error(const struct wbpf_gadget *g);
const char *wbpf_gadget__name(const struct wbpf_gadget *g);
const char *wbpf_gadget__description(const struct wbpf_gadget *g);

/* ----------------------------------------------------------------- params */

struct wbpf_gadget_param {
	const char *key;	  /* flag name */
	const char *description;
	const char *default_value; /* "" when none */
	const char *type_hint;	  /* "string", "int", "bool", ... */
	const char *value;	  /* set, or the default */
	bool ebpf;		  /* written into .rodata before load */
	bool wasm;		  /* readable by the operator */
	bool mandatory;
};

size_t wbpf_gadget__param_count(const struct wbpf_gadget *g);
const struct wbpf_gadget_param *wbpf_gadget__param_at(const struct wbpf_gadget *g, size_t i);
/* Before start; -ENOENT for an unknown key, -EINVAL for a value its type
 * refuses. */
int wbpf_gadget__set_param(struct wbpf_gadget *g, const char *key, const char *value);
/* The value an operator reads (set or default), or NULL. */
const char *wbpf_gadget__param(const struct wbpf_gadget *g, const char *key);

/* ------------------------------------------------------------ datasources */

size_t wbpf_gadget__ds_count(const struct wbpf_gadget *g);
struct wbpf_gadget_ds *wbpf_gadget__ds_at(const struct wbpf_gadget *g, size_t i);
struct wbpf_gadget_ds *wbpf_gadget__ds(const struct wbpf_gadget *g, const char *name);
const char *wbpf_gadget_ds__name(const struct wbpf_gadget_ds *ds);
enum wbpf_gadget_ds_type wbpf_gadget_ds__type(const struct wbpf_gadget_ds *ds);
/* The eBPF map it comes from ("" for operator-made sources) and how
 * ("tracer", "snapshotter", "mapiter", "operator"). */
const char *wbpf_gadget_ds__origin(const struct wbpf_gadget_ds *ds, const char **map);
const char *wbpf_gadget_ds__annotation(const struct wbpf_gadget_ds *ds, const char *key);

size_t wbpf_gadget_ds__field_count(const struct wbpf_gadget_ds *ds);
struct wbpf_gadget_field *wbpf_gadget_ds__field_at(const struct wbpf_gadget_ds *ds, size_t i);
/* By full dotted name. */
struct wbpf_gadget_field *wbpf_gadget_ds__field(const struct wbpf_gadget_ds *ds, const char *name);
/* A new dynamic field; -EEXIST for a duplicate name. */
int wbpf_gadget_ds__add_field(struct wbpf_gadget_ds *ds, const char *name, uint32_t kind,
			      struct wbpf_gadget_field **out);

const char *wbpf_gadget_field__name(const struct wbpf_gadget_field *f);
uint32_t wbpf_gadget_field__kind(const struct wbpf_gadget_field *f); /* with WBPF_KIND_ARRAY */
uint32_t wbpf_gadget_field__flags(const struct wbpf_gadget_field *f);
/* Static fields: bytes in the record; 0 for dynamic ones. */
uint32_t wbpf_gadget_field__size(const struct wbpf_gadget_field *f);
uint32_t wbpf_gadget_field__offset(const struct wbpf_gadget_field *f);
const char *wbpf_gadget_field__annotation(const struct wbpf_gadget_field *f, const char *key);
size_t wbpf_gadget_field__annotation_count(const struct wbpf_gadget_field *f);
void wbpf_gadget_field__annotation_at(const struct wbpf_gadget_field *f, size_t i,
				      const char **key, const char **value);
size_t wbpf_gadget_field__tag_count(const struct wbpf_gadget_field *f);
const char *wbpf_gadget_field__tag_at(const struct wbpf_gadget_field *f, size_t i);
int wbpf_gadget_field__add_tag(struct wbpf_gadget_field *f, const char *tag);
/* Sets or clears WBPF_FIELD_HIDDEN. */
void wbpf_gadget_field__set_hidden(struct wbpf_gadget_field *f, bool hidden);

/* ---------------------------------------------------------------- values */

/* The field's bytes in `d`: static fields point into the record,
 * dynamic ones at their value (len 0 when unset). Valid until the value
 * is set again or the record is released. */
const void *wbpf_gadget_field__bytes(const struct wbpf_gadget_field *f,
				     const struct wbpf_gadget_data *d, uint32_t *len);
/* Scalars widened by kind (sign- or zero-extended; floats as IEEE bits).
 * -EINVAL for a non-scalar kind. */
int wbpf_gadget_field__get_u64(const struct wbpf_gadget_field *f,
			       const struct wbpf_gadget_data *d, uint64_t *out);
/* Copies `len` bytes (dynamic fields grow as needed; static fields take
 * at most their size and are NUL-padded). */
int wbpf_gadget_field__set_bytes(const struct wbpf_gadget_field *f, struct wbpf_gadget_data *d,
				 const void *buf, uint32_t len);
int wbpf_gadget_field__set_u64(const struct wbpf_gadget_field *f, struct wbpf_gadget_data *d,
			       uint64_t v);
/* The value as the output shows it (enum names, formatted arrays). */
int wbpf_gadget_field__format(const struct wbpf_gadget_field *f, const struct wbpf_gadget_data *d,
			      char *buf, size_t size);

/* ----------------------------------------------------- packets and data */

/* A packet is what subscribers get: one record (single sources) or an
 * array of records. */
struct wbpf_gadget_ds *wbpf_gadget_packet__ds(const struct wbpf_gadget_packet *p);
/* Single sources: the record. */
struct wbpf_gadget_data *wbpf_gadget_packet__data(struct wbpf_gadget_packet *p);
/* Array sources. */
uint32_t wbpf_gadget_packet__len(const struct wbpf_gadget_packet *p);
struct wbpf_gadget_data *wbpf_gadget_packet__elem(struct wbpf_gadget_packet *p, uint32_t i);
/* A new element at the end; NULL when out of memory. */
struct wbpf_gadget_data *wbpf_gadget_packet__append(struct wbpf_gadget_packet *p);
/* Removes element i (order kept). */
int wbpf_gadget_packet__remove(struct wbpf_gadget_packet *p, uint32_t i);
/* Tells the remaining subscribers and the output to skip the packet. */
void wbpf_gadget_packet__drop(struct wbpf_gadget_packet *p);
bool wbpf_gadget_packet__dropped(const struct wbpf_gadget_packet *p);

struct wbpf_gadget_packet *wbpf_gadget_ds__new_packet(struct wbpf_gadget_ds *ds);
void wbpf_gadget_packet__free(struct wbpf_gadget_packet *p);
/* Runs the subscribers on `p`; the caller still owns it. */
int wbpf_gadget_ds__emit(struct wbpf_gadget_ds *ds, struct wbpf_gadget_packet *p);

/* A subscriber: returns 0 to go on, > 0 to drop the packet, < 0 on
 * error (logged by the gadget, the packet goes on). Lower priorities
 * run first. */
typedef int (*wbpf_gadget_sub_fn)(void *ctx, struct wbpf_gadget_ds *ds,
				  struct wbpf_gadget_packet *p);
int wbpf_gadget_ds__subscribe(struct wbpf_gadget_ds *ds, int prio, wbpf_gadget_sub_fn fn,
			      void *ctx);

/* Datasources made at run time (by operators): fields are all dynamic. */
int wbpf_gadget__new_ds(struct wbpf_gadget *g, const char *name, enum wbpf_gadget_ds_type type,
			struct wbpf_gadget_ds **out);

/* --------------------------------------------------------------- running */

/* Instantiates the operator and runs its gadgetInit and gadgetPreStart:
 * the fields and datasources it adds exist afterwards. */
int wbpf_gadget__prepare(struct wbpf_gadget *g);
/* Prepares if not done, writes params, loads the object, runs the
 * operator's gadgetStart, attaches the programs and opens the buffers. */
int wbpf_gadget__start(struct wbpf_gadget *g);
/* Waits up to timeout_ms for records and emits them; returns how many.
 * -EINTR after wbpf_gadget__interrupt(). */
int wbpf_gadget__poll(struct wbpf_gadget *g, int timeout_ms);
/* Thread- and async-signal-safe: ends a poll. */
void wbpf_gadget__interrupt(struct wbpf_gadget *g);
/* Detaches, stops the operator (gadgetStop, gadgetPostStop). */
int wbpf_gadget__stop(struct wbpf_gadget *g);

/* Programs of the object, for inspection. */
size_t wbpf_gadget__program_count(const struct wbpf_gadget *g);
int wbpf_gadget__program_at(const struct wbpf_gadget *g, size_t i, const char **name,
			    const char **section);

/* ---------------------------------------------------------------- output */

enum wbpf_gadget_format {
	WBPF_OUTPUT_COLUMNS = 0, /* a header, then aligned columns */
	WBPF_OUTPUT_JSON,	 /* one JSON object (array sources: array) a line */
	WBPF_OUTPUT_SINK,	 /* each record (element) into opts.sink */
};

struct wbpf_sink;

struct wbpf_gadget_output_opts {
	size_t sz;
	enum wbpf_gadget_format format;
	/* "a,b,c": exactly these, in this order; "-a,+b": the visible fields
	 * without a, with b. NULL: the visible fields. */
	const char *fields;
	/* "field=value", "field!=value", "field~regex", "field<n", "field>n":
	 * records failing any are not shown. */
	const char *const *filters;
	size_t nfilters;
	void *out; /* FILE *; NULL = stdout */
	/* Array datasources: "a,-b" sorts each packet's records by a (up),
	 * then b (down); numbers as numbers, the rest as text. */
	const char *sort;
	uint32_t max_rows; /* array datasources: the first N after sorting; 0 = all */
	struct wbpf_sink *sink; /* WBPF_OUTPUT_SINK: the caller's (include/wbpf/sink.h) */
};

struct wbpf_gadget_output;

/* Subscribes an output to every datasource (after every other
 * subscriber). Unknown fields or bad filters fail with the gadget's
 * error set. */
int wbpf_gadget__output(struct wbpf_gadget *g, const struct wbpf_gadget_output_opts *opts,
			struct wbpf_gadget_output **out);
/* Column headers of the datasources known now (columns format). */
void wbpf_gadget_output__begin(struct wbpf_gadget_output *o);
void wbpf_gadget_output__free(struct wbpf_gadget_output *o);

/* Counters for the end-of-run summary. */
struct wbpf_gadget_stats {
	uint64_t events;	/* records read from the kernel */
	uint64_t lost;		/* lost in the kernel buffers */
	uint64_t dropped;	/* dropped by subscribers */
	uint64_t operator_errors; /* operator calls that failed or trapped */
	uint64_t operator_traps;
	uint64_t sink_errors;	/* records the output's sink refused */
};
void wbpf_gadget__stats(const struct wbpf_gadget *g, struct wbpf_gadget_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* WBPF_GADGET_H */
