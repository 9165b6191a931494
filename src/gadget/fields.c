// SPDX-License-Identifier: MIT
/*
 * Field presentation: templates and gadget.yaml annotations become
 * column settings, and well-known typedefs get a formatter with the
 * field it writes (a readable twin of the raw value, which is hidden).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gadget/internal.h"

#define NAME_LEN 256

static const struct {
	const char *type;
	enum gfmt fmt;
} formatters[] = {
	{"gadget_timestamp", GFMT_TIMESTAMP}, {"gadget_errno", GFMT_ERRNO},
	{"gadget_signal", GFMT_SIGNAL},	      {"gadget_syscall", GFMT_SYSCALL},
	{"gadget_uid", GFMT_UID},	      {"gadget_gid", GFMT_GID},
	{"gadget_ppid", GFMT_PPID},	      {"gadget_duration", GFMT_DURATION},
	{"gadget_bytes", GFMT_BYTES},	      {"gadget_l3endpoint_t", GFMT_L3},
	{"gadget_l4endpoint_t", GFMT_L4},     {"gadget_mntns_id", GFMT_MNTNS},
	{"gadget_netns_id", GFMT_MNTNS},
};

/* Column defaults per template (IG's template names), applied before the
 * field's own annotations. */
static const struct {
	const char *name;
	const char *annots[4][2];
} templates[] = {
	{"comm", {{"columns.width", "16"}, {"columns.maxwidth", "16"}}},
	{"pid", {{"columns.width", "7"}, {"columns.alignment", "right"}}},
	{"uid", {{"columns.width", "8"}, {"columns.alignment", "right"}}},
	{"ns", {{"columns.width", "12"}, {"columns.hidden", "true"}}},
	{"timestamp", {{"columns.width", "35"}, {"columns.maxwidth", "35"}}},
	{"syscall", {{"columns.width", "18"}}},
	{"errno", {{"columns.width", "12"}}},
	{"endpoint", {{"columns.width", "22"}, {"columns.minwidth", "16"}}},
};

static const char *type_template(const char *type)
{
	static const char *const map[][2] = {
		{"gadget_comm", "comm"}, {"gadget_pid", "pid"}, {"gadget_tid", "pid"},
		{"gadget_ppid", "pid"}, {"gadget_uid", "uid"}, {"gadget_gid", "uid"},
		{"gadget_mntns_id", "ns"}, {"gadget_netns_id", "ns"},
	};

	for (size_t i = 0; type && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(type, map[i][0]))
			return map[i][1];
	return NULL;
}

static int apply_template(struct wbpf_gadget_field *f, const char *name)
{
	for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
		if (strcmp(templates[i].name, name))
			continue;
		for (size_t j = 0; j < 4 && templates[i].annots[j][0]; j++)
			if (!gkvs_get(&f->annots, templates[i].annots[j][0]) &&
			    gkvs_set(&f->annots, templates[i].annots[j][0], templates[i].annots[j][1]))
				return -ENOMEM;
		return 0;
	}
	return -ENOENT;
}

static void column_settings(struct wbpf_gadget_field *f)
{
	const char *v;

	if ((v = gkvs_get(&f->annots, "columns.width")))
		f->col.width = atoi(v);
	if ((v = gkvs_get(&f->annots, "columns.minwidth")))
		f->col.minwidth = atoi(v);
	if ((v = gkvs_get(&f->annots, "columns.maxwidth")))
		f->col.maxwidth = atoi(v);
	if ((v = gkvs_get(&f->annots, "columns.alignment")))
		f->col.align = !strcmp(v, "right") ? GALIGN_RIGHT : GALIGN_LEFT;
	if ((v = gkvs_get(&f->annots, "columns.ellipsis")))
		f->col.ellipsis = !strcmp(v, "start") ? GELL_START : !strcmp(v, "middle") ?
				  GELL_MIDDLE : !strcmp(v, "none") ? GELL_NONE : GELL_END;
	if ((v = gkvs_get(&f->annots, "columns.hidden")))
		wbpf_gadget_field__set_hidden(f, !strcmp(v, "true"));
	if ((v = gkvs_get(&f->annots, "columns.fixed")))
		f->col.fixed = !strcmp(v, "true");
	if ((v = gkvs_get(&f->annots, "columns.hex")))
		f->col.hex = !strcmp(v, "true");
}

/* datasources.<ds>.fields.<field>.annotations.<key>. Fields named there
 * but missing may be added later by an operator: they are annotated
 * then (gfield_annotate). */
static int field_annotations(struct wbpf_gadget *g, struct wbpf_gadget_ds *ds,
			     struct wbpf_gadget_field *f)
{
	char prefix[NAME_LEN * 2];
	size_t n = (size_t)snprintf(prefix, sizeof(prefix), "datasources.%s.fields.%s.annotations.",
				    ds->name, f->name);

	for (size_t i = 0; i < g->meta.all.n; i++) {
		const struct gkv *kv = &g->meta.all.v[i];

		if (!kv->container && !strncmp(kv->key, prefix, n) &&
		    gkvs_set(&f->annots, kv->key + n, kv->val))
			return -ENOMEM;
	}
	return 0;
}

int gfield_annotate(struct wbpf_gadget *g, struct wbpf_gadget_ds *ds, struct wbpf_gadget_field *f)
{
	const char *tpl;
	int err = field_annotations(g, ds, f);

	if (err)
		return err;
	tpl = gkvs_get(&f->annots, "template");
	if (!tpl)
		tpl = type_template(f->type_name);
	if (tpl && apply_template(f, tpl) == -ENOENT)
		gwarn("gadget.yaml: %s.%s: unknown template '%s'", ds->name, f->name, tpl);
	column_settings(f);
	return 0;
}

static int ds_annotations(struct wbpf_gadget *g, struct wbpf_gadget_ds *ds)
{
	char prefix[NAME_LEN];
	size_t n = (size_t)snprintf(prefix, sizeof(prefix), "datasources.%s.annotations.",
				    ds->name);

	for (size_t i = 0; i < g->meta.all.n; i++)
		if (!g->meta.all.v[i].container && !strncmp(g->meta.all.v[i].key, prefix, n) &&
		    gkvs_set(&ds->annots, g->meta.all.v[i].key + n, g->meta.all.v[i].val))
			return -ENOMEM;
	return 0;
}

int gfields_annotate(struct wbpf_gadget *g, struct wbpf_gadget_ds *ds)
{
	int err = ds_annotations(g, ds);

	for (size_t i = 0; !err && i < ds->nfields; i++)
		err = gfield_annotate(g, ds, ds->fields[i]);
	return err;
}

/* ----------------------------------------------------------- formatters */

static enum gfmt type_fmt(const char *type)
{
	for (size_t i = 0; type && i < sizeof(formatters) / sizeof(formatters[0]); i++)
		if (!strcmp(type, formatters[i].type))
			return formatters[i].fmt;
	return GFMT_NONE;
}

/* "a.b.uid" -> "a.b.user": the last part replaced. */
static void replace_last(const char *name, const char *last, const char *with, char *out,
			 size_t size)
{
	const char *dot = strrchr(name, '.');
	const char *tail = dot ? dot + 1 : name;
	int plen = (int)(tail - name);

	if (!strcmp(tail, last))
		snprintf(out, size, "%.*s%s", plen, name, with);
	else
		snprintf(out, size, "%s_%s", name, with);
}

static bool strip_raw(const char *name, char *out, size_t size)
{
	size_t n = strlen(name);

	if (n <= 4 || strcmp(name + n - 4, "_raw"))
		return false;
	snprintf(out, size, "%.*s", (int)(n - 4), name);
	return true;
}

/* The readable twin's name. A raw value takes "_raw" off (IG's rule);
 * otherwise the source is renamed to NAME_raw and the twin takes NAME. */
static int twin_name(struct wbpf_gadget_ds *ds, struct wbpf_gadget_field *f, char *out,
		     size_t size)
{
	char raw[NAME_LEN];

	switch (f->fmt) {
	case GFMT_UID: replace_last(f->name, "uid", "user", out, size); return 0;
	case GFMT_GID: replace_last(f->name, "gid", "group", out, size); return 0;
	case GFMT_PPID: replace_last(f->name, "ppid", "pcomm", out, size); return 0;
	default: break;
	}
	wbpf_gadget_field__set_hidden(f, true);
	if (strip_raw(f->name, out, size))
		return 0;
	snprintf(raw, sizeof(raw), "%s_raw", f->name);
	if (wbpf_gadget_ds__field(ds, raw))
		return -EEXIST;
	snprintf(out, size, "%s", f->name);
	free(f->name);
	return (f->name = strdup(raw)) ? 0 : -ENOMEM;
}

static int add_twin(struct wbpf_gadget_ds *ds, struct wbpf_gadget_field *f)
{
	char name[NAME_LEN];
	int err = twin_name(ds, f, name, sizeof(name));

	if (err)
		return err;
	err = wbpf_gadget_ds__add_field(ds, name, WBPF_KIND_STRING, &f->target);
	if (err)
		return gerr(ds->g, err, "%s: formatter field '%s' clashes with a field", ds->name,
			    name);
	if (f->fmt == GFMT_TIMESTAMP)
		return apply_template(f->target, "timestamp");
	if (f->fmt == GFMT_SYSCALL)
		return apply_template(f->target, "syscall");
	if (f->fmt == GFMT_ERRNO)
		return apply_template(f->target, "errno");
	if (f->fmt == GFMT_PPID)
		return apply_template(f->target, "comm");
	return 0;
}

/* Endpoints show as one column: their members are hidden. */
static void hide_children(struct wbpf_gadget_ds *ds, struct wbpf_gadget_field *parent)
{
	size_t n = strlen(parent->name);

	for (size_t i = 0; i < ds->nfields; i++) {
		struct wbpf_gadget_field *f = ds->fields[i];

		if (!strncmp(f->name, parent->name, n) && f->name[n] == '.')
			wbpf_gadget_field__set_hidden(f, true);
	}
	wbpf_gadget_field__set_hidden(parent, false);
	apply_template(parent, "endpoint");
}

int gformat_setup(struct wbpf_gadget_ds *ds)
{
	size_t n = ds->nfields; /* twins are appended: not formatters themselves */
	bool any = false;
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		struct wbpf_gadget_field *f = ds->fields[i];

		f->fmt = type_fmt(f->type_name);
		if (f->fmt == GFMT_L3 || f->fmt == GFMT_L4)
			hide_children(ds, f);
		else if (f->fmt == GFMT_MNTNS)
			wbpf_gadget_field__set_hidden(f, true);
		else if (f->fmt != GFMT_NONE && !f->array && gkind_size(f->kind))
			err = add_twin(ds, f), any = true;
	}
	if (!err && any && !ds->formatted) {
		err = wbpf_gadget_ds__subscribe(ds, INT32_MIN, gformat_sub, NULL);
		ds->formatted = true;
	}
	return err;
}
