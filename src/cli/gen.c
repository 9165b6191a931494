// SPDX-License-Identifier: MIT
/*
 * `wbpf gen types OBJ.bpf.o --lang rust|c|wit [--struct NAME]... [--all]`:
 * guest types from a BPF object's BTF, laid out exactly as the BPF side
 * sees them (gen_layout.c), written by one emitter per language. The
 * object is opened with libbpf but not loaded: no privileges needed, and
 * libbpf fills in the global-data sections' sizes and offsets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cli/cli.h"
#include "cli/gen.h"

static const char usage_text[] =
	"usage: wbpf gen types OBJ.bpf.o --lang rust|c|wit [--struct NAME]... [--all] [-o FILE]\n"
	"\n"
	"Writes guest types for the structs, unions and enums of a BPF object's BTF,\n"
	"with the layout the BPF side uses: explicit padding, 64-bit long and\n"
	"pointers, bitfields, unions, nested and anonymous members, and a\n"
	"compile-time check of every size and offset.\n"
	"\n"
	"  --lang rust   #[repr(C)] structs for the wbpf Rust SDK (sdk/rust)\n"
	"  --lang c      a C header (_Static_assert on sizes and offsets)\n"
	"  --lang wit    WIT records (values only: no padding, arrays as lists)\n"
	"  --struct NAME a struct, union, enum, typedef or section (.bss); repeatable.\n"
	"                Default: the global-data sections (.rodata, .data, .bss), the\n"
	"                types global pointers point to, and the maps' key/value types\n"
	"  --all         every named struct, union and enum, and the sections\n"
	"  -o FILE       write FILE instead of standard output\n"
	"\n"
	"A struct only used through a local pointer is not in BTF: name it in a\n"
	"global, e.g. `struct event event_btf[0] __attribute__((unused));`.\n";

struct gen_args {
	const char *obj, *lang, *out;
	const char **names;
	size_t nnames;
	bool all, help;
};

static int parse(struct gen_args *a, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char **p;

		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			a->help = true;
		} else if (!strcmp(o, "--all")) {
			a->all = true;
		} else if (!strcmp(o, "--lang") || !strcmp(o, "--struct") || !strcmp(o, "-o")) {
			if (!v)
				return cli_usage("gen", "%s needs a value", o);
			i++;
			if (!strcmp(o, "--lang"))
				a->lang = v;
			else if (!strcmp(o, "-o"))
				a->out = v;
			else if ((p = realloc(a->names, (a->nnames + 1) * sizeof(*p))))
				(a->names = p)[a->nnames++] = v;
			else
				return CLI_EXIT_ERROR;
		} else if (o[0] == '-') {
			return cli_usage("gen", "unknown option '%s'", o);
		} else if (a->obj) {
			return cli_usage("gen", "one object only, got '%s' too", o);
		} else {
			a->obj = o;
		}
	}
	if (a->help)
		return 0;
	if (!a->obj)
		return cli_usage("gen", "%s", "missing OBJ.bpf.o");
	if (!a->lang || (strcmp(a->lang, "rust") && strcmp(a->lang, "c") && strcmp(a->lang, "wit")))
		return cli_usage("gen", "--lang: 'rust', 'c' or 'wit', not '%s'", a->lang ? a->lang : "");
	return 0;
}

static bool is_global_data(const char *sec)
{
	return (!strncmp(sec, ".rodata", 7) && strncmp(sec, ".rodata.str", 11)) ||
	       !strncmp(sec, ".data", 5) || !strncmp(sec, ".bss", 4);
}

/* The composite or enum a global's pointer or array type leads to: how
 * objects put a record type in BTF (`struct event *event_btf;`, or a
 * zero-length array, which takes no space). */
static int add_pointee(struct gen_model *m, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(m->btf, btf__resolve_type(m->btf, id));

	if (!t || !(btf_is_ptr(t) || btf_is_array(t)))
		return 0;
	while (t && (btf_is_ptr(t) || btf_is_array(t))) {
		id = btf_is_ptr(t) ? t->type : btf_array(t)->type;
		t = btf__type_by_id(m->btf, btf__resolve_type(m->btf, id));
	}
	return t && (btf_is_composite(t) || btf_is_any_enum(t)) && btf_vlen(t) ?
		gen_model__add(m, id) : 0;
}

/* Sections, the pointees of their globals, maps' keys and values. */
static int add_defaults(struct gen_model *m, bool sections_only)
{
	int err = 0;

	for (uint32_t id = 1; id < m->nids && !err; id++) {
		const struct btf_type *t = btf__type_by_id(m->btf, id);
		const char *name = btf__name_by_offset(m->btf, t->name_off);
		const struct btf_var_secinfo *vi = btf_var_secinfos(t);
		bool maps = !strcmp(name, ".maps");

		if (!btf_is_datasec(t) || !btf_vlen(t) || !(maps || is_global_data(name)))
			continue;
		if (!maps)
			err = gen_model__add(m, id);
		for (uint16_t i = 0; i < btf_vlen(t) && !err && !sections_only; i++) {
			const struct btf_type *v = btf__type_by_id(m->btf, vi[i].type);
			const struct btf_type *def = btf__type_by_id(m->btf, btf__resolve_type(m->btf, v->type));

			if (!maps) {
				err = add_pointee(m, v->type);
				continue;
			}
			for (uint16_t j = 0; def && btf_is_struct(def) && j < btf_vlen(def) && !err; j++) {
				const char *mn = btf__name_by_offset(m->btf, btf_members(def)[j].name_off);

				if (!strcmp(mn, "key") || !strcmp(mn, "value"))
					err = add_pointee(m, btf_members(def)[j].type);
			}
		}
	}
	return err;
}

static int add_all(struct gen_model *m)
{
	int err = add_defaults(m, true);

	for (uint32_t id = 1; id < m->nids && !err; id++) {
		const struct btf_type *t = btf__type_by_id(m->btf, id);

		if ((btf_is_composite(t) || btf_is_any_enum(t)) && t->name_off &&
		    *btf__name_by_offset(m->btf, t->name_off))
			err = gen_model__add(m, id);
	}
	return err;
}

static int add_by_name(struct gen_model *m, const char *want, const char *obj)
{
	bool found = false;
	int err = 0;

	for (uint32_t id = 1; id < m->nids && !err; id++) {
		const struct btf_type *t = btf__type_by_id(m->btf, id);

		if (strcmp(btf__name_by_offset(m->btf, t->name_off), want) ||
		    !(btf_is_composite(t) || btf_is_any_enum(t) || btf_is_typedef(t) ||
		      btf_is_datasec(t)))
			continue;
		found = true;
		err = gen_model__add(m, id);
	}
	if (!found) {
		fprintf(stderr, "wbpf gen types: no struct, union, enum, typedef or section '%s' "
				"in %s's BTF\n", want, obj);
		return -ENOENT;
	}
	return err;
}

/* "dir/execsnoop.bpf.o" -> "execsnoop". */
static void object_name(const char *path, char *buf, size_t size)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *dot;

	snprintf(buf, size, "%s", base);
	if ((dot = strstr(buf, ".bpf.o")) || (dot = strrchr(buf, '.')))
		*dot = '\0';
}

static int build(struct gen_model *m, const struct gen_args *a)
{
	int err = 0;

	if (a->all)
		return add_all(m);
	if (!a->nnames)
		return add_defaults(m, false);
	for (size_t i = 0; i < a->nnames && !err; i++)
		err = add_by_name(m, a->names[i], a->obj);
	return err;
}

static int emit(const struct gen_model *m, const struct gen_args *a)
{
	FILE *out = a->out ? fopen(a->out, "w") : stdout;
	int err;

	if (!out) {
		fprintf(stderr, "wbpf gen types: cannot write %s: %s\n", a->out, strerror(errno));
		return -errno;
	}
	err = !strcmp(a->lang, "rust") ? gen_emit_rust(m, out)
	      : !strcmp(a->lang, "c")  ? gen_emit_c(m, out) : gen_emit_wit(m, out);
	if (fflush(out) && !err)
		err = -errno;
	if (a->out && fclose(out) && !err)
		err = -errno;
	if (err && a->out)
		remove(a->out);
	return err;
}

/* libbpf's own messages, silenced: the command prints one line itself. */
static struct bpf_object *open_quietly(const char *path)
{
	libbpf_print_fn_t old = libbpf_set_print(NULL);
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	int err = errno;
	char msg[128];

	libbpf_set_print(old);
	if (!obj) {
		libbpf_strerror(err, msg, sizeof(msg));
		fprintf(stderr, "wbpf gen types: %s: not a BPF object libbpf can open: %s\n", path, msg);
	}
	return obj;
}

static int generate(const struct gen_args *a)
{
	struct bpf_object *obj = open_quietly(a->obj);
	struct gen_model m = {0};
	char name[256];
	int err;

	if (!obj)
		return CLI_EXIT_ERROR;
	m.btf = bpf_object__btf(obj);
	if (!m.btf) {
		fprintf(stderr, "wbpf gen types: %s has no BTF (build it with clang -g)\n", a->obj);
		bpf_object__close(obj);
		return CLI_EXIT_ERROR;
	}
	object_name(a->obj, name, sizeof(name));
	m.object = name;
	m.nids = btf__type_cnt(m.btf);
	m.by_id = calloc(m.nids, sizeof(*m.by_id));
	err = m.by_id ? build(&m, a) : -ENOMEM;
	if (!err)
		err = emit(&m, a);
	gen_model__free(&m);
	bpf_object__close(obj);
	return err ? CLI_EXIT_ERROR : 0;
}

int cli_gen(int argc, char **argv)
{
	struct gen_args a = {0};
	int rc;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("%s", usage_text);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "types")) {
		fprintf(stderr, "%s", usage_text);
		return CLI_EXIT_USAGE;
	}
	rc = parse(&a, argc - 2, argv + 2);
	if (!rc && a.help)
		printf("%s", usage_text);
	else if (!rc)
		rc = generate(&a);
	free(a.names);
	return rc;
}
