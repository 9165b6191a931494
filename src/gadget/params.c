// SPDX-License-Identifier: MIT
/*
 * Params: declared in gadget.yaml (params.ebpf.*, params.wasm.*) or by
 * GADGET_PARAM markers, set from the command line, written into the BPF
 * object's .rodata before load when they name a constant, and read by
 * operators.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gadget/internal.h"

#define PATH_LEN 320

struct gparam *gparam_find(const struct wbpf_gadget *g, const char *key)
{
	for (size_t i = 0; i < g->nparams; i++)
		if (!strcmp(g->params[i].key, key))
			return &g->params[i];
	return NULL;
}

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v ? v : "");

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

struct gparam *gparam_add(struct wbpf_gadget *g, const char *key)
{
	struct gparam *p;

	if (g->nparams == g->params_cap) {
		size_t cap = g->params_cap ? g->params_cap * 2 : 8;

		if (!(p = realloc(g->params, cap * sizeof(*p))))
			return NULL;
		g->params = p;
		g->params_cap = cap;
	}
	p = &g->params[g->nparams];
	*p = (struct gparam){0};
	if (set_str(&p->key, key) || set_str(&p->description, "") || set_str(&p->def, "") ||
	    set_str(&p->type_hint, "string")) {
		free(p->key);
		free(p->description);
		free(p->def);
		return NULL;
	}
	g->nparams++;
	return p;
}

static const char *meta(const struct wbpf_gadget *g, const char *kind, const char *name,
			const char *what)
{
	char path[PATH_LEN];

	snprintf(path, sizeof(path), "params.%s.%s.%s", kind, name, what);
	return gkvs_get(&g->meta.all, path);
}

static int param_from_meta(struct wbpf_gadget *g, const char *kind, const char *name)
{
	const char *key = meta(g, kind, name, "key"), *v;
	struct gparam *p;

	if (!key || !*key)
		key = name;
	if (!(p = gparam_find(g, key)) && !(p = gparam_add(g, key)))
		return -ENOMEM;
	if ((v = meta(g, kind, name, "description")) && set_str(&p->description, v))
		return -ENOMEM;
	if ((v = meta(g, kind, name, "defaultValue")) && set_str(&p->def, v))
		return -ENOMEM;
	if ((v = meta(g, kind, name, "typeHint")) && set_str(&p->type_hint, v))
		return -ENOMEM;
	if ((v = meta(g, kind, name, "isMandatory")))
		p->pub.mandatory = !strcmp(v, "true");
	if (!strcmp(kind, "wasm")) {
		p->pub.wasm = true;
	} else if (!p->var) { /* an eBPF param names its constant */
		p->pub.ebpf = true;
		if (!(p->var = strdup(name)))
			return -ENOMEM;
	}
	return 0;
}

int gparams_from_meta(struct wbpf_gadget *g)
{
	static const char *const kinds[] = {"ebpf", "wasm"};
	char prefix[16];
	int err = 0;

	for (size_t k = 0; k < 2; k++) {
		size_t n = (size_t)snprintf(prefix, sizeof(prefix), "params.%s.", kinds[k]);

		for (size_t i = 0; i < g->meta.all.n && !err; i++) {
			const char *key = g->meta.all.v[i].key;

			/* params.<kind>.<name> itself (its mapping), no deeper */
			if (!strncmp(key, prefix, n) && !strchr(key + n, '.'))
				err = param_from_meta(g, kinds[k], key + n);
		}
	}
	return err;
}

/* ---------------------------------------------------------- values */

static int parse_int(const char *s, uint32_t size, uint64_t *out)
{
	char *end;
	int neg = *s == '-';

	if (!strcmp(s, "true") || !strcmp(s, "false")) {
		*out = s[0] == 't';
		return 0;
	}
	errno = 0;
	*out = neg ? (uint64_t)strtoll(s, &end, 0) : strtoull(s, &end, 0);
	if (errno || !*s || *end)
		return -EINVAL;
	if (size < 8) {
		int64_t v = (int64_t)*out;
		int64_t lim = (int64_t)1 << (size * 8);

		if (neg ? v < -(lim / 2) : *out >= (uint64_t)lim)
			return -ERANGE;
	}
	return 0;
}

/* The bytes to write for `val` into a constant of `size`. */
static int encode(const char *val, uint32_t size, bool is_string, uint8_t *out)
{
	uint64_t v;
	int err;

	memset(out, 0, size);
	if (is_string) {
		size_t n = strlen(val);

		if (n >= size)
			return -ENAMETOOLONG;
		memcpy(out, val, n);
		return 0;
	}
	if (size > 8)
		return -EINVAL;
	if ((err = parse_int(val, size, &v)))
		return err;
	memcpy(out, &v, size);
	return 0;
}

static int check_value(struct wbpf_gadget *g, struct gparam *p, const char *value)
{
	uint32_t off, size;
	bool is_string;
	uint8_t buf[512];
	int err;

	if (!p->var || gbtf_var(g->btf, ".rodata", p->var, &off, &size, &is_string))
		return 0;
	if (size > sizeof(buf))
		return gerr(g, -E2BIG, "param %s: constant %s is too big", p->key, p->var);
	err = encode(value, size, is_string, buf);
	if (err)
		return gerr(g, -EINVAL, "param %s: '%s' is not a valid %s", p->key, value,
			    is_string ? (err == -ENAMETOOLONG ? "string (too long)" : "string") :
			    err == -ERANGE ? "value (out of range)" : "integer or bool");
	return 0;
}

int wbpf_gadget__set_param(struct wbpf_gadget *g, const char *key, const char *value)
{
	struct gparam *p = gparam_find(g, key);
	int err;

	if (!p)
		return gerr(g, -ENOENT, "unknown param '%s'", key);
	if (g->started)
		return gerr(g, -EBUSY, "param %s: the gadget is already started", key);
	if ((err = check_value(g, p, value)))
		return err;
	return set_str(&p->value, value);
}

const char *wbpf_gadget__param(const struct wbpf_gadget *g, const char *key)
{
	const struct gparam *p = gparam_find(g, key);

	if (!p)
		return NULL;
	return p->value ? p->value : p->def;
}

int gparams_write(struct wbpf_gadget *g)
{
	int map = wbpf_bpf_host__find_map(g->host, g->obj, ".rodata");

	for (size_t i = 0; i < g->nparams; i++) {
		struct gparam *p = &g->params[i];
		const char *val = p->value ? p->value : p->def;
		uint32_t off, size;
		bool is_string;
		uint8_t buf[512];
		int err;

		if (p->pub.mandatory && !*val)
			return gerr(g, -EINVAL, "param %s is mandatory (--%s VALUE)", p->key, p->key);
		if (!p->var || !*val || map < 0 ||
		    gbtf_var(g->btf, ".rodata", p->var, &off, &size, &is_string))
			continue;
		if ((err = check_value(g, p, val)))
			return err;
		encode(val, size, is_string, buf);
		err = wbpf_bpf_host__map_data_write(g->host, map, off, buf, size);
		if (err)
			return gerr(g, err, "param %s: cannot write constant %s: %s", p->key, p->var,
				    strerror(-err));
	}
	return 0;
}

size_t wbpf_gadget__param_count(const struct wbpf_gadget *g)
{
	return g->nparams;
}

const struct wbpf_gadget_param *wbpf_gadget__param_at(const struct wbpf_gadget *g, size_t i)
{
	struct gparam *p;

	if (i >= g->nparams)
		return NULL;
	p = &g->params[i];
	p->pub.key = p->key;
	p->pub.description = p->description;
	p->pub.default_value = p->def;
	p->pub.type_hint = p->type_hint;
	p->pub.value = p->value ? p->value : p->def;
	return &p->pub;
}
