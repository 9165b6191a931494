// SPDX-License-Identifier: MIT
/*
 * What the user sees: columns (widths, alignment and ellipsis from the
 * fields' annotations) or JSON lines, a chosen set of fields, and
 * filters on field values. The output is the last subscriber of every
 * datasource; filters run just before it.
 */
#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gadget/internal.h"

#define TEXT_MAX 4096
#define NAME_LEN 256

enum fop { FOP_EQ, FOP_NE, FOP_RE, FOP_LT, FOP_GT };

struct gfilter {
	char *field;
	enum fop op;
	char *value;
	regex_t re;
	double num;
};

/* Per datasource: the fields shown, and whether the header is out. */
struct gview {
	struct wbpf_gadget_ds *ds;
	struct wbpf_gadget_field **cols;
	size_t ncols;
	bool ready, header_done;
};

struct wbpf_gadget_output {
	struct wbpf_gadget *g;
	struct wbpf_gadget_output_opts opts;
	FILE *out;
	struct gfilter *filters;
	size_t nfilters;
	struct gview *views;
	size_t nviews;
	struct gsink_buf sink;
	char text[TEXT_MAX];
};

/* ------------------------------------------------------------- fields */

static bool in_list(const char *list, const char *name, char sign)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");
		const char *item = p;

		if (*item == '+' || *item == '-') {
			if (*item != sign)
				goto next;
			item++, len--;
		} else if (sign) {
			goto next;
		}
		if (len == n && !strncmp(item, name, n))
			return true;
next:
		p += strcspn(p, ",");
		p += *p == ',';
	}
	return false;
}

static bool list_is_relative(const char *list)
{
	return list && (*list == '-' || *list == '+');
}

static bool shown(const struct wbpf_gadget_field *f)
{
	return !(f->flags & (WBPF_FIELD_HIDDEN)) &&
	       (!(f->flags & WBPF_FIELD_PARENT) || f->fmt == GFMT_L3 || f->fmt == GFMT_L4);
}

static int pick_fields(struct wbpf_gadget_output *o, struct gview *v)
{
	const char *list = o->opts.fields;
	struct wbpf_gadget_ds *ds = v->ds;

	free(v->cols);
	v->ncols = 0;
	if (!(v->cols = calloc(ds->nfields + 1, sizeof(*v->cols))))
		return -ENOMEM;
	if (list && !list_is_relative(list)) { /* the list's order */
		for (const char *p = list; *p;) {
			char name[NAME_LEN];
			size_t len = strcspn(p, ",");
			struct wbpf_gadget_field *f;

			snprintf(name, sizeof(name), "%.*s", (int)len, p);
			if ((f = wbpf_gadget_ds__field(ds, name)))
				v->cols[v->ncols++] = f;
			p += len + (p[len] == ',');
		}
	} else {
		for (size_t i = 0; i < ds->nfields; i++) {
			struct wbpf_gadget_field *f = ds->fields[i];

			if ((shown(f) && !in_list(list, f->name, '-')) || in_list(list, f->name, '+'))
				v->cols[v->ncols++] = f;
		}
	}
	v->ready = true;
	return 0;
}

/* Every name in --fields must exist in some datasource. */
/* Each name of a "a,-b,+c" list of an option is a field of some
 * datasource. */
static int check_names(struct wbpf_gadget *g, const char *opt, const char *list)
{
	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");
		const char *item = p + (*p == '-' || *p == '+');
		char name[NAME_LEN];
		bool found = false;

		snprintf(name, sizeof(name), "%.*s", (int)(len - (size_t)(item - p)), item);
		for (size_t i = 0; i < g->nds && !found; i++)
			found = wbpf_gadget_ds__field(g->ds[i], name);
		if (!found)
			return gerr(g, -ENOENT, "%s: no field '%s' (see 'wbpf gadget inspect')", opt,
				    name);
		p += len + (p[len] == ',');
	}
	return 0;
}

/* ------------------------------------------------------------ filters */

static int parse_filter(struct wbpf_gadget_output *o, const char *spec, struct gfilter *f)
{
	static const struct {
		const char *op;
		enum fop fop;
	} ops[] = {{"!=", FOP_NE}, {"=", FOP_EQ}, {"~", FOP_RE}, {"<", FOP_LT}, {">", FOP_GT}};
	size_t at = strcspn(spec, "!=~<>");
	char *end;

	for (size_t i = 0; spec[at] && i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].op);

		if (strncmp(spec + at, ops[i].op, n))
			continue;
		if (!at)
			break;
		f->op = ops[i].fop;
		f->field = strndup(spec, at);
		f->value = strdup(spec + at + n);
		if (!f->field || !f->value)
			return -ENOMEM;
		if (f->op == FOP_RE && regcomp(&f->re, f->value, REG_EXTENDED | REG_NOSUB)) {
			f->op = FOP_EQ; /* nothing to free */
			return gerr(o->g, -EINVAL, "--filter %s: bad regular expression", spec);
		}
		f->num = strtod(f->value, &end);
		if ((f->op == FOP_LT || f->op == FOP_GT) && (*end || end == f->value))
			return gerr(o->g, -EINVAL, "--filter %s: '%s' is not a number", spec,
				    f->value);
		for (size_t d = 0; d < o->g->nds; d++)
			if (wbpf_gadget_ds__field(o->g->ds[d], f->field))
				return 0;
		return gerr(o->g, -ENOENT, "--filter %s: no field '%s'", spec, f->field);
	}
	return gerr(o->g, -EINVAL, "--filter '%s': want FIELD=VALUE, FIELD!=VALUE, FIELD~REGEX, "
		    "FIELD<N or FIELD>N", spec);
}

static bool filter_pass(struct wbpf_gadget_output *o, const struct gfilter *flt,
			const struct wbpf_gadget_field *f, const struct wbpf_gadget_data *d)
{
	gformat_field(f, d, o->text, sizeof(o->text));
	switch (flt->op) {
	case FOP_EQ: return !strcmp(o->text, flt->value);
	case FOP_NE: return strcmp(o->text, flt->value) != 0;
	case FOP_RE: return !regexec(&flt->re, o->text, 0, NULL, 0);
	case FOP_LT: return strtod(o->text, NULL) < flt->num;
	case FOP_GT: return strtod(o->text, NULL) > flt->num;
	}
	return true;
}

static bool pass(struct wbpf_gadget_output *o, const struct wbpf_gadget_data *d)
{
	for (size_t i = 0; i < o->nfilters; i++) {
		const struct wbpf_gadget_field *f = wbpf_gadget_ds__field(d->ds, o->filters[i].field);

		if (f && !filter_pass(o, &o->filters[i], f, d))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------- columns */

static int col_width(const struct wbpf_gadget_field *f)
{
	int w = f->col.width;

	if (!w) {
		w = f->kind == WBPF_KIND_STRING || f->kind == WBPF_KIND_CSTRING || f->array ? 16 :
		    f->kind == WBPF_KIND_BOOL ? 5 : gkind_size(f->kind) >= 8 ? 12 : 7;
		if (!f->col.maxwidth && (int)strlen(f->name) > w)
			w = (int)strlen(f->name);
	}
	if (f->col.minwidth && w < f->col.minwidth)
		w = f->col.minwidth;
	if (f->col.maxwidth && w > f->col.maxwidth)
		w = f->col.maxwidth;
	return w;
}

static bool right_aligned(const struct wbpf_gadget_field *f)
{
	if (gkvs_get(&f->annots, "columns.alignment"))
		return f->col.align == GALIGN_RIGHT;
	return !f->array && f->kind >= WBPF_KIND_INT8 && f->kind <= WBPF_KIND_FLOAT64 &&
	       !f->nenums;
}

/* Bytes of the first n characters of UTF-8 text. */
static size_t utf8_prefix(const char *s, size_t n)
{
	size_t i = 0;

	while (s[i] && n) {
		i++;
		while ((s[i] & 0xc0) == 0x80)
			i++;
		n--;
	}
	return i;
}

static size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += (*s & 0xc0) != 0x80;
	return n;
}

static void put_cell(FILE *out, const struct wbpf_gadget_field *f, const char *text, bool last)
{
	size_t w = (size_t)col_width(f), len = utf8_len(text);
	enum gcol_ellipsis e = f->col.ellipsis;
	int pad;

	if (len > w && w) {
		size_t keep = e == GELL_NONE ? w : w - 1;

		if (e == GELL_START) {
			fprintf(out, "…%s", text + utf8_prefix(text, len - keep));
		} else if (e == GELL_MIDDLE) {
			size_t head = keep / 2 + keep % 2;

			fprintf(out, "%.*s…%s", (int)utf8_prefix(text, head), text,
				text + utf8_prefix(text, len - (keep - head)));
		} else {
			fprintf(out, "%.*s%s", (int)utf8_prefix(text, keep), text,
				e == GELL_NONE ? "" : "…");
		}
		len = w;
		text = "";
		pad = 0;
	} else {
		pad = (int)(w - len);
	}
	if (right_aligned(f))
		fprintf(out, "%*s%s", pad, "", text);
	else if (last)
		fputs(text, out);
	else
		fprintf(out, "%s%*s", text, pad, "");
	fputc(last ? '\n' : ' ', out);
}

static void header(struct wbpf_gadget_output *o, struct gview *v)
{
	char name[NAME_LEN];

	v->header_done = true;
	if (o->opts.format != WBPF_OUTPUT_COLUMNS || !v->ncols)
		return;
	for (size_t i = 0; i < v->ncols; i++) {
		size_t j = 0;

		for (const char *s = v->cols[i]->name; *s && j + 1 < sizeof(name); s++)
			name[j++] = (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s);
		name[j] = '\0';
		put_cell(o->out, v->cols[i], name, i + 1 == v->ncols);
	}
	fflush(o->out);
}

static void row(struct wbpf_gadget_output *o, struct gview *v, const struct wbpf_gadget_data *d)
{
	for (size_t i = 0; i < v->ncols; i++) {
		gformat_field(v->cols[i], d, o->text, sizeof(o->text));
		put_cell(o->out, v->cols[i], o->text, i + 1 == v->ncols);
	}
}

/* ---------------------------------------------------------------- json */

static void json_str(FILE *out, const char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static bool json_number(const struct wbpf_gadget_field *f)
{
	return f->kind >= WBPF_KIND_INT8 && f->kind <= WBPF_KIND_FLOAT64 && !f->nenums &&
	       !f->col.hex;
}

static void json_value(struct wbpf_gadget_output *o, const struct wbpf_gadget_field *f,
		       const struct wbpf_gadget_data *d)
{
	uint32_t len;
	const char *p;

	if (f->array && !gkind_size(f->kind)) { /* strings: NUL-separated, may hold commas */
		p = wbpf_gadget_field__bytes(f, d, &len);
		fputc('[', o->out);
		for (uint32_t i = 0, n; i < len; i += n + 1) {
			n = (uint32_t)strnlen(p + i, len - i);
			if (i)
				fputc(',', o->out);
			json_str(o->out, p + i, n);
		}
		fputc(']', o->out);
		return;
	}
	gformat_field(f, d, o->text, sizeof(o->text));
	if (f->array) {
		fputc('[', o->out);
		for (char *p = o->text, *end; *p; p = end + (*end == ',')) {
			end = p + strcspn(p, ",");
			if (p != o->text)
				fputc(',', o->out);
			if (json_number(f))
				fprintf(o->out, "%.*s", (int)(end - p), p);
			else
				json_str(o->out, p, (size_t)(end - p));
		}
		fputc(']', o->out);
	} else if (json_number(f) || f->kind == WBPF_KIND_BOOL) {
		fputs(o->text, o->out);
	} else {
		json_str(o->out, o->text, strlen(o->text));
	}
}

static void json_object(struct wbpf_gadget_output *o, struct gview *v,
			const struct wbpf_gadget_data *d)
{
	fputc('{', o->out);
	for (size_t i = 0; i < v->ncols; i++) {
		if (i)
			fputc(',', o->out);
		json_str(o->out, v->cols[i]->name, strlen(v->cols[i]->name));
		fputc(':', o->out);
		json_value(o, v->cols[i], d);
	}
	fputc('}', o->out);
}

/* ------------------------------------------------------------ subscriber */

static struct gview *view(struct wbpf_gadget_output *o, struct wbpf_gadget_ds *ds)
{
	for (size_t i = 0; i < o->nviews; i++)
		if (o->views[i].ds == ds)
			return &o->views[i];
	return NULL;
}

static void emit_data(struct wbpf_gadget_output *o, struct gview *v,
		      const struct wbpf_gadget_data *d, bool *first)
{
	if (o->opts.format == WBPF_OUTPUT_SINK) {
		if (gsink_write(&o->sink, o->opts.sink, v->cols, v->ncols, d))
			o->g->stats.sink_errors++;
		return;
	}
	if (o->opts.format == WBPF_OUTPUT_COLUMNS) {
		row(o, v, d);
		return;
	}
	if (!*first)
		fputc(',', o->out);
	*first = false;
	json_object(o, v, d);
}

static int output_sub(void *ctx, struct wbpf_gadget_ds *ds, struct wbpf_gadget_packet *p)
{
	struct wbpf_gadget_output *o = ctx;
	struct gview *v = view(o, ds);
	bool first = true;

	if (ds->unreferenced)
		return 0;
	if (!v || (!v->ready && pick_fields(o, v)))
		return -ENOMEM;
	if (!v->header_done)
		header(o, v);
	if (ds->type == WBPF_DS_SINGLE) {
		if (pass(o, &p->single))
			emit_data(o, v, &p->single, &first);
		if (o->opts.format == WBPF_OUTPUT_JSON && !first)
			fputc('\n', o->out);
	} else {
		uint32_t shown = 0, max = o->opts.max_rows ? o->opts.max_rows : UINT32_MAX;

		gsort_packet(o->opts.sort, p);
		if (o->opts.format == WBPF_OUTPUT_JSON)
			fputc('[', o->out);
		for (uint32_t i = 0; i < p->n && shown < max; i++)
			if (pass(o, p->elems[i])) {
				emit_data(o, v, p->elems[i], &first);
				shown++;
			}
		/* JSON: one array a line; columns: a blank line ends a snapshot */
		if (o->opts.format != WBPF_OUTPUT_SINK)
			fputs(o->opts.format == WBPF_OUTPUT_JSON ? "]\n" : "\n", o->out);
	}
	fflush(o->out);
	return 0;
}

int goutput_attach(struct wbpf_gadget_output *o, struct wbpf_gadget_ds *ds)
{
	struct gview *v = realloc(o->views, (o->nviews + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	o->views = v;
	o->views[o->nviews++] = (struct gview){.ds = ds};
	return wbpf_gadget_ds__subscribe(ds, INT32_MAX, output_sub, o);
}

int wbpf_gadget__output(struct wbpf_gadget *g, const struct wbpf_gadget_output_opts *opts,
			struct wbpf_gadget_output **out)
{
	struct wbpf_gadget_output *o = calloc(1, sizeof(*o));
	int err = 0;

	if (!o)
		return -ENOMEM;
	o->g = g;
	memcpy(&o->opts, opts, opts->sz < sizeof(o->opts) ? opts->sz : sizeof(o->opts));
	o->out = o->opts.out ? o->opts.out : stdout;
	o->filters = calloc(opts->nfilters + 1, sizeof(*o->filters));
	if (!o->filters)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < opts->nfilters; i++, o->nfilters++)
		err = parse_filter(o, opts->filters[i], &o->filters[i]);
	if (!err)
		err = check_names(g, "--fields", o->opts.fields);
	if (!err)
		err = check_names(g, "--sort", o->opts.sort);
	for (size_t i = 0; !err && i < g->nds; i++)
		err = goutput_attach(o, g->ds[i]);
	if (err) {
		wbpf_gadget_output__free(o);
		return err;
	}
	g->output = o;
	*out = o;
	return 0;
}

void wbpf_gadget_output__begin(struct wbpf_gadget_output *o)
{
	for (size_t i = 0; i < o->nviews; i++) {
		struct gview *v = &o->views[i];

		if (!v->ready && pick_fields(o, v))
			continue;
		if (!v->header_done)
			header(o, v);
	}
}

void wbpf_gadget_output__free(struct wbpf_gadget_output *o)
{
	if (!o)
		return;
	if (o->g->output == o)
		o->g->output = NULL;
	for (size_t i = 0; i < o->nfilters; i++) {
		free(o->filters[i].field);
		free(o->filters[i].value);
		if (o->filters[i].op == FOP_RE)
			regfree(&o->filters[i].re);
	}
	free(o->filters);
	for (size_t i = 0; i < o->nviews; i++)
		free(o->views[i].cols);
	free(o->views);
	gsink_buf_free(&o->sink);
	free(o);
}
