// SPDX-License-Identifier: MIT
/*
 * gadget.yaml, read with libyaml's event parser and flattened into
 * dotted paths ("datasources.open.fields.comm.annotations.columns.width"),
 * which is how Inspektor Gadget itself addresses it (viper keys): a key
 * written with dots and the same key written nested are one key.
 * Sequence items get their index as a path element.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "gadget/internal.h"

/* Deeper nesting than any gadget.yaml needs is an attack, not metadata. */
#define META_MAX_DEPTH 32
#define META_MAX_KEYS 100000

int gkvs_set(struct gkvs *l, const char *key, const char *val)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].key, key))
			continue;
		char *v = strdup(val);

		if (!v)
			return -ENOMEM;
		free(l->v[i].val);
		l->v[i].val = v;
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct gkv *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].container = false;
	l->v[l->n].key = strdup(key);
	l->v[l->n].val = strdup(val);
	if (!l->v[l->n].key || !l->v[l->n].val) {
		free(l->v[l->n].key);
		free(l->v[l->n].val);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

const char *gkvs_get(const struct gkvs *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key))
			return l->v[i].val;
	return NULL;
}

void gkvs_free(struct gkvs *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].val);
	}
	free(l->v);
	*l = (struct gkvs){0};
}

struct mparse {
	yaml_parser_t p;
	struct gmeta *m;
	char *msg;
	size_t msgsz;
	int depth;
};

static int perr(struct mparse *mp, size_t line, const char *fmt, const char *arg)
{
	int n = snprintf(mp->msg, mp->msgsz, "gadget.yaml:%zu: ", line + 1);

	if (n > 0 && (size_t)n < mp->msgsz)
		snprintf(mp->msg + n, mp->msgsz - (size_t)n, fmt, arg);
	return -EINVAL;
}

static int next(struct mparse *mp, yaml_event_t *ev)
{
	if (yaml_parser_parse(&mp->p, ev))
		return 0;
	return perr(mp, mp->p.problem_mark.line, "%s", mp->p.problem ? mp->p.problem : "bad YAML");
}

static int node(struct mparse *mp, yaml_event_t *ev, const char *path);

static char *join(const char *path, const char *key, size_t keylen)
{
	size_t n = strlen(path);
	char *s = malloc(n + keylen + 2);

	if (!s)
		return NULL;
	memcpy(s, path, n);
	if (n)
		s[n++] = '.';
	memcpy(s + n, key, keylen);
	s[n + keylen] = '\0';
	return s;
}

static int mapping(struct mparse *mp, const char *path)
{
	yaml_event_t key, val;
	char *sub;
	int err;

	for (;;) {
		if ((err = next(mp, &key)))
			return err;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			return 0;
		}
		if (key.type != YAML_SCALAR_EVENT) {
			err = perr(mp, key.start_mark.line, "%s", "keys must be plain scalars");
			yaml_event_delete(&key);
			return err;
		}
		sub = join(path, (const char *)key.data.scalar.value, key.data.scalar.length);
		if (!sub) {
			yaml_event_delete(&key);
			return -ENOMEM;
		}
		/* Keys may hold dots ("columns.width: 16"): IG reads them as
		 * paths, and so does the flattened form. */
		if (gkvs_get(&mp->m->all, sub))
			err = perr(mp, key.start_mark.line, "duplicate key '%s'", sub);
		else if (!(err = next(mp, &val)))
			err = node(mp, &val, sub);
		yaml_event_delete(&key);
		free(sub);
		if (err)
			return err;
	}
}

static int sequence(struct mparse *mp, const char *path)
{
	yaml_event_t ev;
	char idx[16];
	int err;

	for (unsigned i = 0;; i++) {
		if ((err = next(mp, &ev)))
			return err;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		snprintf(idx, sizeof(idx), "%u", i);
		char *sub = join(path, idx, strlen(idx));

		err = sub ? node(mp, &ev, sub) : -ENOMEM;
		free(sub);
		if (err)
			return err;
	}
}

/* Consumes `ev` (and its children). An empty mapping or sequence
 * records "" so that the key exists. */
static int node(struct mparse *mp, yaml_event_t *ev, const char *path)
{
	int err;

	if (mp->m->all.n >= META_MAX_KEYS || mp->depth >= META_MAX_DEPTH) {
		err = perr(mp, ev->start_mark.line, "%s", "nested too deep or too large");
		yaml_event_delete(ev);
		return err;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		err = gkvs_set(&mp->m->all, path, (const char *)ev->data.scalar.value);
		break;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		mp->depth++;
		err = gkvs_set(&mp->m->all, path, "");
		if (!err)
			mp->m->all.v[mp->m->all.n - 1].container = true;
		if (!err)
			err = ev->type == YAML_MAPPING_START_EVENT ? mapping(mp, path) :
								    sequence(mp, path);
		mp->depth--;
		break;
	case YAML_ALIAS_EVENT:
		err = perr(mp, ev->start_mark.line, "%s", "aliases are not supported");
		break;
	default:
		err = perr(mp, ev->start_mark.line, "%s", "unexpected YAML event");
	}
	yaml_event_delete(ev);
	return err;
}

/* The document's root must be a mapping (or the file empty). */
static int document(struct mparse *mp)
{
	yaml_event_t ev;
	int err;

	do {
		if ((err = next(mp, &ev)))
			return err;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type == YAML_MAPPING_START_EVENT) {
			yaml_event_delete(&ev);
			return mapping(mp, "");
		}
		if (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_SEQUENCE_START_EVENT) {
			err = perr(mp, ev.start_mark.line, "%s", "the top level must be a mapping");
			yaml_event_delete(&ev);
			return err;
		}
		yaml_event_delete(&ev);
	} while (1);
}

int gmeta_parse(struct gmeta *m, const char *text, size_t len, char *msg, size_t msgsz)
{
	struct mparse mp = {.m = m, .msg = msg, .msgsz = msgsz};
	int err;

	if (!yaml_parser_initialize(&mp.p))
		return -ENOMEM;
	yaml_parser_set_input_string(&mp.p, (const unsigned char *)text, len);
	err = document(&mp);
	yaml_parser_delete(&mp.p);
	if (err)
		gmeta_free(m);
	return err;
}

void gmeta_free(struct gmeta *m)
{
	gkvs_free(&m->all);
}

/* --------------------------------------------------------------- checks */

static int cerr(char *msg, size_t msgsz, const char *key, const char *what, const char *val)
{
	snprintf(msg, msgsz, "gadget.yaml: %s: %s (got '%s')", key, what, val);
	return -EINVAL;
}

static bool is_uint(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool is_bool(const char *s)
{
	return !strcmp(s, "true") || !strcmp(s, "false");
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* Value rules for the annotations the column renderer reads. */
static int check_annotation(const char *key, const char *val, char *msg, size_t msgsz)
{
	static const char *const nums[] = {".columns.width", ".columns.minwidth",
					   ".columns.maxwidth"};
	static const char *const bools[] = {".columns.hidden", ".columns.fixed",
					    ".columns.hex"};

	for (size_t i = 0; i < 3; i++)
		if (ends_with(key, nums[i]) && !is_uint(val))
			return cerr(msg, msgsz, key, "must be a non-negative integer", val);
	for (size_t i = 0; i < 3; i++)
		if (ends_with(key, bools[i]) && !is_bool(val))
			return cerr(msg, msgsz, key, "must be true or false", val);
	if (ends_with(key, ".columns.alignment") && strcmp(val, "left") && strcmp(val, "right"))
		return cerr(msg, msgsz, key, "must be left or right", val);
	if (ends_with(key, ".columns.ellipsis") && strcmp(val, "none") && strcmp(val, "start") &&
	    strcmp(val, "end") && strcmp(val, "middle"))
		return cerr(msg, msgsz, key, "must be none, start, end or middle", val);
	return 0;
}

/* Keys that must hold a mapping: a scalar there is a mistake. */
static int check_shape(const char *key, const char *val, char *msg,
		       size_t msgsz)
{
	static const char *const maps[] = {"datasources", "params", "params.ebpf", "params.wasm"};
	size_t dots = 0;

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (!strcmp(key, maps[i]) && *val)
			return cerr(msg, msgsz, key, "must be a mapping", val);
	for (const char *p = key; *p; p++)
		dots += *p == '.';
	/* datasources.X, datasources.X.fields.Y, params.ebpf.X: mappings. */
	if (((!strncmp(key, "datasources.", 12) && (dots == 1 || (dots == 3 &&
	      strstr(key, ".fields.")))) || (!strncmp(key, "params.", 7) && dots == 2)) && *val)
		return cerr(msg, msgsz, key, "must be a mapping", val);
	if (!strncmp(key, "params.", 7) && dots == 3 && ends_with(key, ".isMandatory") &&
	    !is_bool(val))
		return cerr(msg, msgsz, key, "must be true or false", val);
	return 0;
}

int gmeta_check(const struct gmeta *m, char *msg, size_t msgsz)
{
	const char *name = gkvs_get(&m->all, "name");
	int err;

	if (!name || !*name) {
		snprintf(msg, msgsz, "gadget.yaml: 'name' is missing");
		return -EINVAL;
	}
	for (size_t i = 0; i < m->all.n; i++) {
		const struct gkv *kv = &m->all.v[i];

		if ((err = check_shape(kv->key, kv->val, msg, msgsz)))
			return err;
		if (strstr(kv->key, ".annotations.") &&
		    (err = check_annotation(kv->key, kv->val, msg, msgsz)))
			return err;
	}
	return 0;
}
