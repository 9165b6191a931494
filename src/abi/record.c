// SPDX-License-Identifier: MIT
/*
 * `wbpf`.`record_emit_json(ptr, len) -> i32`: a guest hands one record,
 * a flat JSON object, to the run's sink (docs/abi-wbpf.md, "Records").
 * Members become fields in their order: strings, integers (i64), reals,
 * booleans; a nested object or array is kept as its JSON text. The first
 * record fixes the fields; the sink refuses others with -EINVAL.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>

#include "abi/abi.h"
#include "wbpf/sink.h"

#define RECORD_MAX_BYTES (1u << 20)
#define RECORD_MAX_FIELDS 256

/* A field for `v`; a nested value's text is malloc'ed into *owned. Every
 * member is set: the sink checks an integer's size (0 here: 64 bits),
 * and a field left as the stack had it was refused now and then. */
static int to_field(const char *key, json_t *v, struct wbpf_field *f, char **owned)
{
	*f = (struct wbpf_field){ .name = key };
	switch (json_typeof(v)) {
	case JSON_STRING: f->kind = WBPF_FIELD_STR; f->s = json_string_value(v); return 0;
	case JSON_INTEGER: f->kind = WBPF_FIELD_I64; f->i = json_integer_value(v); return 0;
	case JSON_REAL: f->kind = WBPF_FIELD_F64; f->f = json_real_value(v); return 0;
	case JSON_TRUE:
	case JSON_FALSE: f->kind = WBPF_FIELD_BOOL; f->b = json_is_true(v); return 0;
	case JSON_NULL: f->kind = WBPF_FIELD_STR; f->s = ""; return 0;
	default:
		*owned = json_dumps(v, JSON_COMPACT);
		f->kind = WBPF_FIELD_STR;
		f->s = *owned;
		return *owned ? 0 : -ENOMEM;
	}
}

static int emit(struct wbpf_sink *sink, const char *text, size_t len)
{
	struct wbpf_field fields[RECORD_MAX_FIELDS];
	char *owned[RECORD_MAX_FIELDS] = { 0 };
	json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	size_t n = 0;
	const char *key;
	json_t *v;
	int err = obj && json_is_object(obj) ? 0 : -EINVAL;

	if (!err && json_object_size(obj) > RECORD_MAX_FIELDS)
		err = -E2BIG;
	if (!err)
		json_object_foreach(obj, key, v) {
			err = to_field(key, v, &fields[n], &owned[n]);
			if (err)
				break;
			n++;
		}
	if (!err)
		err = wbpf_sink__write(sink, &(struct wbpf_record){ fields, n, false });
	for (size_t i = 0; i < n + (err ? 1 : 0) && i < RECORD_MAX_FIELDS; i++)
		free(owned[i]);
	json_decref(obj);
	return err;
}

static int record_emit_json(struct wbpf_caller *c, uint64_t *slots, void *user)
{
	uint32_t len = ARG_U32(slots, 1);
	void *text;
	int err = len > RECORD_MAX_BYTES ? -E2BIG : abi_buf(c, ARG_U32(slots, 0), len, &text);

	if (!err)
		err = len ? emit(user, text, len) : -EINVAL;
	return abi_ret(slots, err);
}

static const struct abi_func record_funcs[] = {
	{ "record_emit_json", "(ii)i", record_emit_json },
};

int wbpf_sink_abi__define(struct wbpf_store *store, struct wbpf_sink *sink)
{
	return abi_define(store, "wbpf", record_funcs, 1, sink);
}
