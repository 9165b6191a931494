/* SPDX-License-Identifier: MIT */
/*
 * `wbpf gen types`: guest types from a BPF object's BTF. gen_layout.c
 * turns the BTF into a layout model (the structs, unions and enums to
 * write, each field at its BTF offset with explicit padding and bitfield
 * storage); gen_rust.c, gen_c.c and gen_wit.c each write it in one
 * language. The model is language-neutral: emitters only choose names and
 * spell types.
 */
#ifndef WBPF_CLI_GEN_H
#define WBPF_CLI_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct btf;

enum gen_kind { GEN_STRUCT, GEN_UNION, GEN_ENUM };

enum gen_field_kind {
	GEN_FIELD,	/* a member of BTF type type_id */
	GEN_PAD,	/* bytes no member covers */
	GEN_BITS,	/* storage bytes of one or more bitfields */
};

/* A bitfield inside a GEN_BITS storage. */
struct gen_bit {
	char *name;
	uint32_t bit;	/* offset from the storage's first byte's bit 0 */
	uint32_t bits;
	bool is_signed;
};

struct gen_field {
	enum gen_field_kind kind;
	char *name;		/* an identifier in C's spelling (snake, sanitized) */
	uint32_t offset;	/* bytes */
	uint32_t size;		/* bytes */
	uint32_t type_id;	/* GEN_FIELD */
	struct gen_bit *bits;	/* GEN_BITS */
	uint32_t nbits;
};

struct gen_enumval {
	char *name;
	int64_t value;		/* as unsigned when !is_signed */
};

struct gen_type {
	enum gen_kind kind;
	uint32_t id;		/* BTF id (a DATASEC for a global-data struct) */
	char *name;		/* C spelling, unique among the written types */
	const char *origin;	/* what it comes from: "struct foo", "section .bss" */
	uint32_t size;		/* bytes, from BTF */
	uint32_t align;		/* of the written type: 1 when packed */
	bool packed;
	struct gen_field *fields; /* structs: in offset order; unions: every member at 0 */
	uint32_t nfields;
	bool is_signed;		/* enums */
	struct gen_enumval *vals;
	uint32_t nvals;
};

/* How a field's type is spelled: a scalar, an array, or a written type. */
enum gen_scalar {
	GEN_U8, GEN_U16, GEN_U32, GEN_U64,
	GEN_I8, GEN_I16, GEN_I32, GEN_I64,
	GEN_CHAR, GEN_F32, GEN_F64,
	GEN_NAMED,	/* a struct, union or enum of the model */
};

struct gen_texpr {
	enum gen_scalar scalar;
	const struct gen_type *named;	/* GEN_NAMED */
	uint32_t dims[8];		/* outermost first; ndims 0: not an array */
	uint32_t ndims;
	const char *note;		/* what BTF said when it is not the obvious
					 * spelling ("pointer", "bool", "__int128") */
};

struct gen_model {
	const struct btf *btf;
	const char *object;		/* the object's name, for headers */
	struct gen_type **types;	/* dependencies before their users */
	uint32_t ntypes;
	struct gen_type **by_id;	/* the written type of a BTF id, or NULL */
	uint32_t nids;
	uint32_t anon;			/* names handed to anonymous types */
};

/* Adds the type of BTF id `id` (struct, union, enum, typedef of one, or
 * DATASEC) and everything it needs to the model. 0 or -errno after
 * printing why. */
int gen_model__add(struct gen_model *m, uint32_t id);
/* The spelling model of BTF type id (a member's or variable's type). */
int gen_model__texpr(const struct gen_model *m, uint32_t id, struct gen_texpr *out);
void gen_model__free(struct gen_model *m);

/* Each returns 0 or -errno. */
int gen_emit_rust(const struct gen_model *m, FILE *out);
int gen_emit_c(const struct gen_model *m, FILE *out);
int gen_emit_wit(const struct gen_model *m, FILE *out);

/* "exec_event" -> "ExecEvent"; "" stays "". Into buf (size bytes). */
void gen_camel(const char *s, char *buf, size_t size);

#endif /* WBPF_CLI_GEN_H */
