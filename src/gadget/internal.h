/* SPDX-License-Identifier: MIT */
/* Shared between the files of src/gadget: metadata, datasources, fields,
 * records and the gadget itself. */
#ifndef WBPF_GADGET_INTERNAL_H
#define WBPF_GADGET_INTERNAL_H

#include <stdarg.h>
#include <stdatomic.h>

#include "wbpf/bpf.h"
#include "wbpf/gadget.h"

struct btf;

/* ------------------------------------------------------------- metadata */

struct gkv {
	char *key, *val;
	bool container; /* a mapping or sequence (val is "") */
};

/* A flat list of "a.b.c" = value pairs, in file order. */
struct gkvs {
	struct gkv *v;
	size_t n, cap;
};

int gkvs_set(struct gkvs *l, const char *key, const char *val);
const char *gkvs_get(const struct gkvs *l, const char *key);
void gkvs_free(struct gkvs *l);

/* gadget.yaml, flattened: every scalar under its dotted path. */
struct gmeta {
	struct gkvs all;
};

/* Parses `text`; on error fills msg with one line naming the problem
 * ("gadget.yaml:12: ..."). */
int gmeta_parse(struct gmeta *m, const char *text, size_t len, char *msg, size_t msgsz);
void gmeta_free(struct gmeta *m);
/* Checks the keys against what wbpf understands: one error for the first
 * unknown or malformed entry. */
int gmeta_check(const struct gmeta *m, char *msg, size_t msgsz);

/* --------------------------------------------------------------- fields */

enum gfmt {
	GFMT_NONE = 0,
	GFMT_TIMESTAMP,	/* boot ns -> wall ns, plus a string */
	GFMT_ERRNO,
	GFMT_SIGNAL,
	GFMT_SYSCALL,
	GFMT_UID,
	GFMT_GID,
	GFMT_PPID,	/* parent process name */
	GFMT_PID,	/* process name, when the record has none */
	GFMT_DURATION,
	GFMT_BYTES,
	GFMT_L3,	/* gadget_l3endpoint_t */
	GFMT_L4,	/* gadget_l4endpoint_t */
	GFMT_IPV4,	/* a u32 in network order */
	GFMT_IPV6,	/* u8[16] */
	GFMT_MNTNS,
};

enum gcol_align { GALIGN_LEFT = 0, GALIGN_RIGHT };
enum gcol_ellipsis { GELL_END = 0, GELL_START, GELL_MIDDLE, GELL_NONE };

struct gcol {
	int width, minwidth, maxwidth; /* 0 = unset */
	enum gcol_align align;
	enum gcol_ellipsis ellipsis;
	bool fixed, hex;
};

struct genum {
	int64_t val;
	char *name;
};

struct wbpf_gadget_field {
	char *name;
	uint32_t kind;	     /* element kind, without the array flag */
	bool array;
	uint32_t flags;	     /* WBPF_FIELD_* */
	uint32_t offs, size; /* static fields */
	uint32_t elem_size;  /* static arrays */
	uint32_t slot;	     /* dynamic fields: index in data->dyn */
	uint32_t index;	     /* in ds->fields */
	char *type_name;     /* the member's typedef, or NULL */
	struct gkvs annots;
	char **tags;
	size_t ntags;
	struct genum *enums; /* an enum's names */
	size_t nenums;
	enum gfmt fmt;	     /* a formatter reading this field */
	struct wbpf_gadget_field *target; /* what the formatter writes */
	struct gcol col;
};

struct gdyn {
	uint8_t *p;
	uint32_t len, cap;
};

struct wbpf_gadget_data {
	struct wbpf_gadget_ds *ds;
	uint8_t *raw; /* ds->raw_size bytes */
	struct gdyn *dyn;
	uint32_t ndyn;
};

struct wbpf_gadget_packet {
	struct wbpf_gadget_ds *ds;
	struct wbpf_gadget_data single;
	struct wbpf_gadget_data **elems; /* array sources */
	uint32_t n, cap;
	bool dropped;
};

struct gsub {
	int prio;
	uint64_t seq; /* subscription order among equal priorities */
	wbpf_gadget_sub_fn fn;
	void *ctx;
};

enum gds_origin { GDS_TRACER, GDS_SNAPSHOTTER, GDS_MAPITER, GDS_OPERATOR };

struct wbpf_gadget_ds {
	struct wbpf_gadget *g;
	char *name;
	enum wbpf_gadget_ds_type type;
	enum gds_origin origin;
	char *map_name;	     /* eBPF map it is read from */
	char *struct_name;   /* record (tracers) or value struct */
	uint32_t key_size;   /* mapiter: the key's bytes, then the value's */
	uint32_t max_entries; /* mapiter: of the map */
	uint32_t raw_size;
	struct wbpf_gadget_field **fields;
	size_t nfields, fields_cap;
	uint32_t ndyn;	     /* dynamic slots in use */
	struct gsub *subs;
	size_t nsubs;
	uint64_t sub_seq;
	struct gkvs annots;
	int buffer;	     /* the host's buffer handle, 0 before start */
	int map;	     /* the host's map handle */
	struct wbpf_gadget_packet *pkt; /* reused for each record */
	bool formatted;	     /* the formatter subscriber is in */
	bool unreferenced;   /* an operator said nobody needs it: not shown */
};

/* ds.c */
struct wbpf_gadget_ds *gds_new(struct wbpf_gadget *g, const char *name,
			       enum wbpf_gadget_ds_type type, enum gds_origin origin);
void gds_free(struct wbpf_gadget_ds *ds);
/* A field with a name, kind and flags; static ones are placed at
 * offs/size by the caller. NULL on a duplicate or no memory. */
struct wbpf_gadget_field *gds_add(struct wbpf_gadget_ds *ds, const char *name, uint32_t kind,
				  uint32_t flags);
void gdata_reset(struct wbpf_gadget_data *d);
/* Appends d (allocated like the packet's elements) to an array packet,
 * which takes it over. */
int gpacket_adopt(struct wbpf_gadget_packet *p, struct wbpf_gadget_data *d);
int gdata_init(struct wbpf_gadget_data *d, struct wbpf_gadget_ds *ds);
void gdata_fini(struct wbpf_gadget_data *d);
uint32_t gkind_size(uint32_t kind); /* 0 for variable-size kinds */
const char *gkind_str(uint32_t kind);

/* btf.c: datasources and params from the object's BTF. */
int gbtf_scan(struct wbpf_gadget *g, const struct btf *btf);
/* Fields of struct `sname` at `base` in the record, named prefix.member. */
int gbtf_struct_fields(struct wbpf_gadget *g, struct wbpf_gadget_ds *ds, const struct btf *btf,
		       const char *sname, const char *prefix, uint32_t base);
/* The offset and size of global `name` in section `sec` (".rodata"). */
int gbtf_var(const struct btf *btf, const char *sec, const char *name, uint32_t *off,
	     uint32_t *size, bool *is_string);

/* fields.c: annotations from gadget.yaml, formatters' target fields. */
int gfields_annotate(struct wbpf_gadget *g, struct wbpf_gadget_ds *ds);
int gfield_annotate(struct wbpf_gadget *g, struct wbpf_gadget_ds *ds, struct wbpf_gadget_field *f);
int gformat_setup(struct wbpf_gadget_ds *ds);

/* format.c */
int gformat_field(const struct wbpf_gadget_field *f, const struct wbpf_gadget_data *d, char *buf,
		  size_t size);
/* The formatters' subscriber (runs before every other). */
int gformat_sub(void *ctx, struct wbpf_gadget_ds *ds, struct wbpf_gadget_packet *p);
const char *gsyscall_name(uint32_t nr);
int gsyscall_id(const char *name);

/* ---------------------------------------------------------------- params */

struct gparam {
	struct wbpf_gadget_param pub;
	char *key, *description, *def, *type_hint, *value;
	char *var;	 /* the .rodata constant, for eBPF params */
	bool from_btf;
};

/* ----------------------------------------------------------- the gadget */

struct gop; /* the Wasm operator (operator.c) */

/* Work wbpf_gadget__poll runs on an interval between buffer reads
 * (snapshotters, operators' timers): never while a callback runs. */
typedef void (*gtimer_fn)(struct wbpf_gadget *g, void *ctx);
struct gtimer {
	int64_t next, interval; /* CLOCK_MONOTONIC ns */
	gtimer_fn fn;
	void *ctx;
};

/* Names looked up for formatters, remembered: a lookup opens files, which
 * a gadget tracing opens would see, and so on without end. */
#define GNAME_CACHE 64
struct gname {
	uint64_t id;
	bool valid;
	char name[48];
};

struct wbpf_gadget {
	char *dir;
	char *name, *description;
	struct gmeta meta;
	struct wbpf_gadget_opts opts;
	char err[512];
	void *elf;
	size_t elf_size;
	struct wbpf_bpf_host *host;
	int obj;
	const struct btf *btf;
	struct wbpf_gadget_ds **ds;
	size_t nds, ds_cap;
	struct gparam *params;
	size_t nparams, params_cap;
	void *wasm;
	size_t wasm_size;
	struct gop *op;
	struct wbpf_gadget_output *output;
	bool prepared, started, stopped, loaded;
	struct gkvs config;   /* set by operators (IG's setConfig) */
	int64_t boot_to_wall; /* ns added to boot-time stamps */
	struct gname users[GNAME_CACHE], groups[GNAME_CACHE], comms[GNAME_CACHE];
	struct wbpf_gadget_stats stats;
	struct gtimer *timers;
	size_t ntimers;
	atomic_bool interrupted;
};

/* Records "fmt" as the gadget's error; returns err. */
int gerr(struct wbpf_gadget *g, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A warning line on stderr: "wbpf gadget: ...". */
void gwarn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A timer, first due one interval from now. */
int gtimer_add(struct wbpf_gadget *g, uint64_t interval_ns, gtimer_fn fn, void *ctx);

/* sink.c: a record's shown fields into a sink, typed. */
struct wbpf_sink;
struct wbpf_field;
struct gsink_buf {
	struct wbpf_field *fields;
	size_t nfields_cap;
	char *text;
	size_t text_cap;
};
int gsink_write(struct gsink_buf *b, struct wbpf_sink *sink, struct wbpf_gadget_field *const *cols,
		size_t n, const struct wbpf_gadget_data *d);
void gsink_buf_free(struct gsink_buf *b);

/* sort.c: "a,-b" orders array packets. */
void gsort_packet(const char *spec, struct wbpf_gadget_packet *p);

/* snapshot.c: map iterators read on the interval. */
int gsnapshot_start(struct wbpf_gadget *g, struct wbpf_gadget_ds *ds);

/* params.c */
struct gparam *gparam_add(struct wbpf_gadget *g, const char *key);
struct gparam *gparam_find(const struct wbpf_gadget *g, const char *key);
/* params.{ebpf,wasm}.<name>.{key,description,defaultValue,typeHint,...} */
int gparams_from_meta(struct wbpf_gadget *g);
/* eBPF params into .rodata, before load. */
int gparams_write(struct wbpf_gadget *g);

/* output.c: an operator-made datasource joins the output. */
int goutput_attach(struct wbpf_gadget_output *o, struct wbpf_gadget_ds *ds);

/* operator.c */
int gop_open(struct wbpf_gadget *g);
int gop_call(struct wbpf_gadget *g, const char *export_name);
void gop_close(struct wbpf_gadget *g);

#endif /* WBPF_GADGET_INTERNAL_H */
