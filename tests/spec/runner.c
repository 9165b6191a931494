// SPDX-License-Identifier: MIT
/*
 * Spec test runner: executes the JSON scripts that wast2json makes from the
 * WebAssembly testsuite against the engine's public API (wbpf/wasm.h).
 *
 * usage: spec-runner [-v] [-t SECONDS] [--no-fork] [-d DIR] [SCRIPT...]
 *   SCRIPT  a wast2json .json file, or a NAME meaning DIR/NAME/NAME.json;
 *           with none, every DIR/NAME/NAME.json (DIR defaults to build/spec).
 *
 * Each script runs in a forked child so that an engine crash or hang is
 * reported against its file and the line of the command under way, and
 * the rest of the suite still runs.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wbpf/wasm.h"

#define DETAIL_CAP 10		/* failure lines printed per script */
#define DEFAULT_TIMEOUT 60	/* seconds a command may run */
#define INTERRUPT_GRACE 10	/* seconds the engine gets to honour an interrupt */
#define EXIT_TIMEOUT 124

struct counts {
	unsigned long passed, failed, skipped;
};

/* Written by the process running a script, read by the parent when it
 * ends: it lives in shared memory so that it survives a crash. */
struct progress {
	struct counts n;
	long line; /* of the command under way; 0 between commands */
};

struct opts {
	bool verbose;
	bool fork;
	unsigned timeout;
	const char *dir;
};

struct named {
	char *name;
	struct wbpf_instance *inst; /* NULL when the module failed */
};

/* Everything one script needs; one store per script, as the spec's
 * registered modules are visible to all later modules of the script. */
struct script {
	const struct opts *o;
	char *dir;	 /* where the script's .wasm files are */
	char file[256];	 /* "i32.wast", for messages */
	struct wbpf_store *store;
	struct wbpf_instance *current;
	struct named *names;
	size_t nnames;
	struct progress *prog;
	unsigned details;
	unsigned long dropped; /* failures past DETAIL_CAP */
};

enum outcome { PASS, FAIL, SKIP };

/* ------------------------------------------------------------ utilities */

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "spec-runner: out of memory\n");
		exit(2);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p) {
		fprintf(stderr, "spec-runner: out of memory\n");
		exit(2);
	}
	return p;
}

/* Appends to a message buffer, silently truncating: messages are for
 * people and a cut one is better than none. */
__attribute__((format(printf, 3, 4)))
static void appendf(char *buf, size_t n, const char *fmt, ...)
{
	size_t len = strnlen(buf, n);
	va_list ap;

	if (len + 1 >= n)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, n - len, fmt, ap);
	va_end(ap);
}

/* Names in the suite hold control characters (names.wast): escape them
 * so that one command stays one line. */
static void append_name(char *buf, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			appendf(buf, n, "\\x%02x", c);
		else
			appendf(buf, n, "%c", c);
	}
}

static const char *jstr(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static const char *kind_str(enum wbpf_error_kind kind)
{
	switch (kind) {
	case WBPF_OK: return "ok";
	case WBPF_ERR_MALFORMED: return "malformed";
	case WBPF_ERR_INVALID: return "invalid";
	case WBPF_ERR_LINK: return "link error";
	case WBPF_ERR_TRAP: return "trap";
	case WBPF_ERR_EXIT: return "exit";
	case WBPF_ERR_NOMEM: return "out of memory";
	case WBPF_ERR_ARG: return "bad argument";
	}
	return "unknown error kind";
}

/* "trap (integer overflow): <first line of msg>"; the backtrace after the
 * first line would break the one-line-per-command output. */
static void append_err(char *buf, size_t n, const struct wbpf_error *e)
{
	int len = (int)strcspn(e->msg, "\n");

	const char *kind = kind_str(e->kind);
	size_t klen = strlen(kind);

	/* Some engine messages already start with their kind. */
	if (!strncmp(e->msg, kind, klen) && e->msg[klen] == ':') {
		appendf(buf, n, "%.*s", len, e->msg);
		return;
	}
	appendf(buf, n, "%s", kind);
	if (e->kind == WBPF_ERR_TRAP)
		appendf(buf, n, " (%s)", wbpf_trap__str(e->trap));
	appendf(buf, n, ": %.*s", len, e->msg);
}

/* --------------------------------------------------------------- values */

enum nan_pattern { NAN_NONE, NAN_CANONICAL, NAN_ARITHMETIC };

/* An argument or an expected result. */
struct spec_val {
	struct wbpf_val v;
	enum nan_pattern nan;
	/* v128: the script's lane width in bits, whether lanes are floats,
	 * and a NaN pattern per float lane */
	unsigned lane_bits;
	bool float_lanes;
	enum nan_pattern lane_nan[4];
};

static int parse_type(const char *s, enum wbpf_valtype *out)
{
	static const struct {
		const char *name;
		enum wbpf_valtype type;
	} types[] = {
		{ "i32", WBPF_I32 },	   { "i64", WBPF_I64 },		{ "f32", WBPF_F32 },
		{ "f64", WBPF_F64 },	   { "v128", WBPF_V128 },	{ "funcref", WBPF_FUNCREF },
		{ "externref", WBPF_EXTERNREF },
	};

	for (size_t i = 0; s && i < sizeof(types) / sizeof(types[0]); i++) {
		if (!strcmp(s, types[i].name)) {
			*out = types[i].type;
			return 0;
		}
	}
	return -1;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end || *out > max ? -1 : 0;
}

static enum nan_pattern parse_nan(const char *value)
{
	if (value && !strcmp(value, "nan:canonical"))
		return NAN_CANONICAL;
	if (value && !strcmp(value, "nan:arithmetic"))
		return NAN_ARITHMETIC;
	return NAN_NONE;
}

/* A v128 is an array of lanes of "lane_type" (i8 ... f64), each an
 * unsigned decimal or, for float lanes of a result, a NaN pattern. */
static int parse_v128(json_t *j, struct spec_val *out)
{
	const char *lane = jstr(j, "lane_type");
	json_t *lanes = json_object_get(j, "value"), *v;
	uint8_t bytes[16] = { 0 };
	size_t i;

	if (!lane || (lane[0] != 'i' && lane[0] != 'f'))
		return -1;
	out->lane_bits = (unsigned)atoi(lane + 1);
	out->float_lanes = lane[0] == 'f';
	if (out->lane_bits < 8 || out->lane_bits > 64 || json_array_size(lanes) * out->lane_bits != 128)
		return -1;
	json_array_foreach(lanes, i, v) {
		uint64_t x = 0;
		unsigned size = out->lane_bits / 8;

		if (out->float_lanes && (out->lane_nan[i] = parse_nan(json_string_value(v))))
			continue;
		if (parse_u64(json_string_value(v), size == 8 ? UINT64_MAX : (1ull << (8 * size)) - 1, &x))
			return -1;
		memcpy(bytes + i * size, &x, size); /* little-endian host */
	}
	memcpy(out->v.of.v128, bytes, 16);
	return 0;
}

/* wast2json gives numbers as unsigned decimal strings (floats as their
 * bit patterns) so they parse exactly; references as a number or "null". */
static int parse_val(json_t *j, struct spec_val *out, char *why, size_t n)
{
	const char *type = jstr(j, "type"), *value = jstr(j, "value");
	uint64_t x = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (parse_type(type, &out->v.type)) {
		appendf(why, n, "unsupported value type '%s'", type ? type : "?");
		return -1;
	}
	if (out->v.type == WBPF_F32 || out->v.type == WBPF_F64) {
		out->nan = parse_nan(value);
		if (out->nan)
			return 0;
	}
	switch (out->v.type) {
	case WBPF_I32:
	case WBPF_F32:
		rc = parse_u64(value, UINT32_MAX, &x);
		out->v.of.i32 = (uint32_t)x;
		break;
	case WBPF_I64:
	case WBPF_F64:
		rc = parse_u64(value, UINT64_MAX, &x);
		out->v.of.i64 = x;
		break;
	case WBPF_FUNCREF:
		/* Only null funcrefs can be written in a script. */
		rc = value && !strcmp(value, "null") ? 0 : -1;
		out->v.of.func = NULL;
		break;
	case WBPF_EXTERNREF:
		/* ref.extern N becomes pointer N + 1 so that N = 0 is not null. */
		if (value && !strcmp(value, "null"))
			return 0;
		rc = parse_u64(value, UINTPTR_MAX - 1, &x);
		out->v.of.ref = (void *)(uintptr_t)(x + 1);
		break;
	case WBPF_V128:
		rc = parse_v128(j, out);
		break;
	}
	if (rc)
		appendf(why, n, "bad %s value '%s'", type, value ? value : "(array)");
	return rc;
}

static void append_val(char *buf, size_t n, const struct wbpf_val *v)
{
	switch (v->type) {
	case WBPF_I32:
		appendf(buf, n, "i32:%" PRIu32, v->of.i32);
		break;
	case WBPF_I64:
		appendf(buf, n, "i64:%" PRIu64, v->of.i64);
		break;
	case WBPF_F32:
		appendf(buf, n, "f32:%.9g(0x%08" PRIx32 ")", v->of.f32, v->of.i32);
		break;
	case WBPF_F64:
		appendf(buf, n, "f64:%.17g(0x%016" PRIx64 ")", v->of.f64, v->of.i64);
		break;
	case WBPF_FUNCREF:
		if (v->of.func)
			appendf(buf, n, "ref.func %s", wbpf_func__name(v->of.func));
		else
			appendf(buf, n, "ref.null func");
		break;
	case WBPF_EXTERNREF:
		if (v->of.ref)
			appendf(buf, n, "ref.extern %" PRIuPTR, (uintptr_t)v->of.ref - 1);
		else
			appendf(buf, n, "ref.null extern");
		break;
	case WBPF_V128:
		appendf(buf, n, "v128:0x%016" PRIx64 "%016" PRIx64, v->of.v128[1], v->of.v128[0]);
		break;
	default:
		appendf(buf, n, "<type 0x%02x>", (unsigned)v->type);
		break;
	}
}

static void append_spec_val(char *buf, size_t n, const struct spec_val *sv)
{
	static const char *const nans[] = { "bits", "nan:canonical", "nan:arithmetic" };

	if (sv->nan) {
		appendf(buf, n, "%s:nan:%s", sv->v.type == WBPF_F32 ? "f32" : "f64",
			sv->nan == NAN_CANONICAL ? "canonical" : "arithmetic");
		return;
	}
	append_val(buf, n, &sv->v);
	for (unsigned i = 0; sv->v.type == WBPF_V128 && sv->float_lanes && i < 128 / sv->lane_bits; i++)
		appendf(buf, n, "%s%s%s", i ? "," : " (f", i ? "" : (sv->lane_bits == 32 ? "32:" : "64:"),
			nans[sv->lane_nan[i]]);
	if (sv->v.type == WBPF_V128 && sv->float_lanes)
		appendf(buf, n, ")");
}

/* A NaN pattern constrains exponent and payload but never the sign. */
static bool nan_matches(enum nan_pattern nan, uint64_t exp, uint64_t payload, uint64_t quiet)
{
	if (exp != 0 || !(payload & quiet))
		return false;
	return nan == NAN_ARITHMETIC || payload == quiet;
}

static bool f32_matches(enum nan_pattern nan, uint32_t want, uint32_t got)
{
	if (nan)
		return nan_matches(nan, ~got & 0x7f800000u, got & 0x7fffffu, 0x400000u);
	return got == want;
}

static bool f64_matches(enum nan_pattern nan, uint64_t want, uint64_t got)
{
	if (nan)
		return nan_matches(nan, ~got & 0x7ff0000000000000ull, got & 0xfffffffffffffull,
				   0x8000000000000ull);
	return got == want;
}

/* Float lanes may expect NaN patterns; everything else compares by bits. */
static bool v128_matches(const struct spec_val *want, const struct wbpf_val *got)
{
	const uint8_t *w = (const uint8_t *)want->v.of.v128, *g = (const uint8_t *)got->of.v128;

	for (unsigned i = 0; want->float_lanes && i < 128 / want->lane_bits; i++) {
		uint64_t wl = 0, gl = 0;
		unsigned size = want->lane_bits / 8;

		memcpy(&wl, w + i * size, size);
		memcpy(&gl, g + i * size, size);
		if (size == 4 ? !f32_matches(want->lane_nan[i], (uint32_t)wl, (uint32_t)gl) :
				!f64_matches(want->lane_nan[i], wl, gl))
			return false;
	}
	return want->float_lanes || !memcmp(w, g, 16);
}

/* Floats compare by bits: the spec fixes results to the bit, and NaN is
 * never equal to itself. */
static bool val_matches(const struct spec_val *want, const struct wbpf_val *got)
{
	if (got->type != want->v.type)
		return false;
	switch (want->v.type) {
	case WBPF_I32:
		return got->of.i32 == want->v.of.i32;
	case WBPF_I64:
		return got->of.i64 == want->v.of.i64;
	case WBPF_F32:
		return f32_matches(want->nan, want->v.of.i32, got->of.i32);
	case WBPF_F64:
		return f64_matches(want->nan, want->v.of.i64, got->of.i64);
	case WBPF_FUNCREF:
		return got->of.func == want->v.of.func;
	case WBPF_EXTERNREF:
		return got->of.ref == want->v.of.ref;
	case WBPF_V128:
		return v128_matches(want, got);
	}
	return false;
}

/* ------------------------------------------------------- command lines */

static void append_action(char *buf, size_t n, json_t *act)
{
	json_t *field = json_object_get(act, "field"), *args = json_object_get(act, "args");
	const char *mod = jstr(act, "module");
	json_t *arg;
	size_t i;

	appendf(buf, n, " %s%s", mod ? mod : "", mod ? "." : "");
	append_name(buf, n, json_string_value(field), json_string_length(field));
	if (strcmp(jstr(act, "type") ? jstr(act, "type") : "", "invoke"))
		return;
	appendf(buf, n, "(");
	json_array_foreach(args, i, arg) {
		struct spec_val sv;
		char ignored[64] = "";

		appendf(buf, n, "%s", i ? ", " : "");
		if (parse_val(arg, &sv, ignored, sizeof(ignored)))
			appendf(buf, n, "?");
		else
			append_spec_val(buf, n, &sv);
	}
	appendf(buf, n, ")");
}

/* e.g. `assert_return $m.add(i32:1, i32:2)`, `assert_invalid i32.3.wasm ("type mismatch")` */
static void describe(json_t *cmd, char *buf, size_t n)
{
	json_t *act = json_object_get(cmd, "action");
	const char *type = jstr(cmd, "type"), *file = jstr(cmd, "filename");
	const char *name = jstr(cmd, "name"), *as = jstr(cmd, "as"), *text = jstr(cmd, "text");

	snprintf(buf, n, "%s", type ? type : "?");
	if (act)
		append_action(buf, n, act);
	if (file)
		appendf(buf, n, " %s", file);
	if (name)
		appendf(buf, n, " %s", name);
	if (as)
		appendf(buf, n, " as \"%s\"", as);
	if (text)
		appendf(buf, n, " (\"%s\")", text);
}

/* ------------------------------------------------------ spectest module */

static int spectest_print(struct wbpf_caller *caller, uint64_t *slots, void *user)
{
	(void)caller;
	(void)slots;
	(void)user;
	return 0;
}

static int spectest_funcs(struct wbpf_store *store, char *why, size_t n)
{
	static const char *const funcs[][2] = {
		{ "print", "()" },	     { "print_i32", "(i)" },	 { "print_i64", "(I)" },
		{ "print_f32", "(f)" },	     { "print_f64", "(F)" },	 { "print_i32_f32", "(if)" },
		{ "print_f64_f64", "(FF)" },
	};

	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		int rc = wbpf_store__define_func(store, "spectest", funcs[i][0], funcs[i][1],
						 spectest_print, NULL);

		if (rc) {
			appendf(why, n, "spectest.%s: %s", funcs[i][0], strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* `created` says whether the object behind `ext` could be made. */
static int spectest_define(struct wbpf_store *store, const char *name, bool created,
			   struct wbpf_extern ext, char *why, size_t n)
{
	int rc = created ? wbpf_store__define(store, "spectest", name, ext) : -ENOMEM;

	if (rc)
		appendf(why, n, "spectest.%s: %s", name, strerror(-rc));
	return rc;
}

static int spectest_globals(struct wbpf_store *store, char *why, size_t n)
{
	const struct {
		const char *name;
		struct wbpf_val v;
	} globals[] = {
		{ "global_i32", { .type = WBPF_I32, .of.i32 = 666 } },
		{ "global_i64", { .type = WBPF_I64, .of.i64 = 666 } },
		{ "global_f32", { .type = WBPF_F32, .of.f32 = 666.6f } },
		{ "global_f64", { .type = WBPF_F64, .of.f64 = 666.6 } },
	};

	for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++) {
		struct wbpf_extern ext = { .kind = WBPF_EXTERN_GLOBAL };
		int rc;

		ext.of.global = wbpf_global__new(store, globals[i].v, false);
		rc = spectest_define(store, globals[i].name, ext.of.global, ext, why, n);
		if (rc)
			return rc;
	}
	return 0;
}

/* The host module the suite imports from (see the testsuite's README). */
static int spectest_new(struct wbpf_store *store, char *why, size_t n)
{
	struct wbpf_extern table = { .kind = WBPF_EXTERN_TABLE };
	struct wbpf_extern memory = { .kind = WBPF_EXTERN_MEMORY };
	int rc = spectest_funcs(store, why, n);

	if (!rc)
		rc = spectest_globals(store, why, n);
	if (!rc) {
		table.of.table = wbpf_table__new(store, WBPF_FUNCREF, 10, 20);
		rc = spectest_define(store, "table", table.of.table, table, why, n);
	}
	if (!rc) {
		memory.of.memory = wbpf_memory__new(store, 1, 2);
		rc = spectest_define(store, "memory", memory.of.memory, memory, why, n);
	}
	return rc;
}

/* ------------------------------------------------------------- modules */

static void set_named(struct script *s, const char *name, struct wbpf_instance *inst)
{
	for (size_t i = 0; i < s->nnames; i++) {
		if (!strcmp(s->names[i].name, name)) {
			s->names[i].inst = inst;
			return;
		}
	}
	struct named *grown = realloc(s->names, (s->nnames + 1) * sizeof(*grown));

	if (!grown) {
		fprintf(stderr, "spec-runner: out of memory\n");
		exit(2);
	}
	s->names = grown;
	s->names[s->nnames].name = xstrdup(name);
	s->names[s->nnames++].inst = inst;
}

/* The instance an action or register names, else the latest module. */
static struct wbpf_instance *find_instance(struct script *s, const char *name, char *why, size_t n)
{
	if (!name) {
		if (!s->current)
			appendf(why, n, "no module instantiated");
		return s->current;
	}
	for (size_t i = 0; i < s->nnames; i++) {
		if (strcmp(s->names[i].name, name))
			continue;
		if (!s->names[i].inst)
			appendf(why, n, "module %s failed to instantiate", name);
		return s->names[i].inst;
	}
	appendf(why, n, "unknown module %s", name);
	return NULL;
}

/* The bytes of the .wasm file a command names; NULL (why set) when the
 * file can't be read, which is the runner's problem, not the engine's. */
static void *read_wasm(struct script *s, json_t *cmd, size_t *len, char *why, size_t n)
{
	const char *file = jstr(cmd, "filename");
	char path[4096];
	struct stat st;
	void *buf = NULL;
	FILE *f;

	if (!file) {
		appendf(why, n, "command has no filename");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", s->dir, file);
	f = fopen(path, "rb");
	if (f && !fstat(fileno(f), &st)) {
		*len = (size_t)st.st_size;
		buf = xcalloc(*len, 1);
		if (fread(buf, 1, *len, f) != *len) {
			free(buf);
			buf = NULL;
		}
	}
	if (!buf)
		appendf(why, n, "cannot read %s: %s", path, strerror(errno));
	if (f)
		fclose(f);
	return buf;
}

/* Compiles the command's module. NULL with *io set when the file couldn't
 * be read, else NULL with err set when the engine refused it. */
static struct wbpf_module *compile(struct script *s, json_t *cmd, struct wbpf_error *err,
				   bool *io, char *why, size_t n)
{
	size_t len = 0;
	void *bytes = read_wasm(s, cmd, &len, why, n);
	struct wbpf_module *mod;

	memset(err, 0, sizeof(*err));
	*io = !bytes;
	if (!bytes)
		return NULL;
	mod = wbpf_module__new(bytes, len, err);
	free(bytes);
	return mod;
}

static enum outcome cmd_module(struct script *s, json_t *cmd, char *why, size_t n)
{
	const char *name = jstr(cmd, "name");
	struct wbpf_instance *inst = NULL;
	struct wbpf_error err;
	bool io;
	struct wbpf_module *mod = compile(s, cmd, &err, &io, why, n);

	if (mod) {
		inst = wbpf_instance__new(s->store, mod, &err);
		wbpf_module__free(mod);
		if (!inst)
			appendf(why, n, "instantiation failed: ");
	} else if (!io) {
		appendf(why, n, "module__new failed: ");
	}
	if (!inst && !io)
		append_err(why, n, &err);
	/* Later actions must not silently run against an older module. */
	s->current = inst;
	if (name)
		set_named(s, name, inst);
	return inst ? PASS : FAIL;
}

static enum outcome cmd_register(struct script *s, json_t *cmd, char *why, size_t n)
{
	const char *as = jstr(cmd, "as");
	struct wbpf_instance *inst = find_instance(s, jstr(cmd, "name"), why, n);
	int rc;

	if (!inst)
		return FAIL;
	if (!as) {
		appendf(why, n, "register without \"as\"");
		return FAIL;
	}
	rc = wbpf_store__define_instance(s->store, as, inst);
	if (rc)
		appendf(why, n, "define_instance: %s", strerror(-rc));
	return rc ? FAIL : PASS;
}

/* assert_malformed / assert_invalid: the engine must refuse the bytes. */
static enum outcome expect_refused(struct script *s, json_t *cmd, enum wbpf_error_kind want,
				   char *why, size_t n)
{
	const char *type = jstr(cmd, "module_type");
	struct wbpf_module *mod;
	struct wbpf_error err;
	bool io;

	if (type && !strcmp(type, "text")) {
		appendf(why, n, "text-format module");
		return SKIP;
	}
	mod = compile(s, cmd, &err, &io, why, n);
	if (io)
		return FAIL;
	if (mod) {
		wbpf_module__free(mod);
		appendf(why, n, "expected %s module, module__new accepted it", kind_str(want));
		return FAIL;
	}
	/* Any refusal passes; the kind is shown for -v when it differs. */
	if (err.kind != want) {
		appendf(why, n, "note: %s expected, engine said ", kind_str(want));
		append_err(why, n, &err);
	}
	return PASS;
}

static enum outcome cmd_assert_malformed(struct script *s, json_t *cmd, char *why, size_t n)
{
	return expect_refused(s, cmd, WBPF_ERR_MALFORMED, why, n);
}

static enum outcome cmd_assert_invalid(struct script *s, json_t *cmd, char *why, size_t n)
{
	return expect_refused(s, cmd, WBPF_ERR_INVALID, why, n);
}

/* assert_unlinkable / assert_uninstantiable: a valid module whose
 * instantiation must fail with `want`. */
static enum outcome expect_inst_failure(struct script *s, json_t *cmd, enum wbpf_error_kind want,
					char *why, size_t n)
{
	struct wbpf_instance *inst;
	struct wbpf_error err;
	bool io;
	struct wbpf_module *mod = compile(s, cmd, &err, &io, why, n);

	if (!mod) {
		if (!io) {
			appendf(why, n, "expected %s at instantiation, module__new failed: ",
				kind_str(want));
			append_err(why, n, &err);
		}
		return FAIL;
	}
	inst = wbpf_instance__new(s->store, mod, &err);
	wbpf_module__free(mod);
	if (inst) {
		appendf(why, n, "expected %s, instantiation succeeded", kind_str(want));
		return FAIL;
	}
	if (err.kind != want) {
		appendf(why, n, "expected %s, got ", kind_str(want));
		append_err(why, n, &err);
		return FAIL;
	}
	return PASS;
}

static enum outcome cmd_assert_unlinkable(struct script *s, json_t *cmd, char *why, size_t n)
{
	return expect_inst_failure(s, cmd, WBPF_ERR_LINK, why, n);
}

static enum outcome cmd_assert_uninstantiable(struct script *s, json_t *cmd, char *why, size_t n)
{
	return expect_inst_failure(s, cmd, WBPF_ERR_TRAP, why, n);
}

/* ------------------------------------------------------------- actions */

struct action_run {
	struct wbpf_val *res;
	size_t nres;
	int rc; /* of the engine call; err says why when non-zero */
	struct wbpf_error err;
};

static int get_global(struct wbpf_instance *inst, const char *field, struct action_run *ar,
		      char *why, size_t n)
{
	struct wbpf_extern ext;

	if (wbpf_instance__export(inst, field, &ext) || ext.kind != WBPF_EXTERN_GLOBAL) {
		appendf(why, n, "no exported global '%s'", field);
		return -1;
	}
	ar->nres = 1;
	ar->res = xcalloc(1, sizeof(*ar->res));
	ar->rc = wbpf_global__get(ext.of.global, ar->res);
	if (ar->rc) {
		ar->err.kind = WBPF_ERR_ARG;
		snprintf(ar->err.msg, sizeof(ar->err.msg), "wbpf_global__get: %s",
			 strerror(-ar->rc));
	}
	return 0;
}

static int invoke(struct wbpf_instance *inst, const char *field, json_t *args,
		  struct action_run *ar, char *why, size_t n)
{
	struct wbpf_func *fn = wbpf_instance__func(inst, field);
	size_t nargs = json_array_size(args);
	struct wbpf_val *argv;
	struct wbpf_functype ft;

	if (!fn) {
		appendf(why, n, "no exported function '");
		append_name(why, n, field, strlen(field));
		appendf(why, n, "'");
		return -1;
	}
	argv = xcalloc(nargs, sizeof(*argv));
	for (size_t i = 0; i < nargs; i++) {
		struct spec_val sv;

		if (parse_val(json_array_get(args, i), &sv, why, n)) {
			free(argv);
			return -1;
		}
		argv[i] = sv.v;
	}
	wbpf_func__type(fn, &ft);
	ar->nres = ft.nresults;
	ar->res = xcalloc(ar->nres, sizeof(*ar->res));
	ar->rc = wbpf_func__call(fn, argv, nargs, ar->res, ar->nres, &ar->err);
	free(argv);
	return 0;
}

/* Runs an action. -1 (why set) when it couldn't be started: unknown
 * module or export, bad script; else 0 with the engine's answer in *ar. */
static int run_action(struct script *s, json_t *act, struct action_run *ar, char *why, size_t n)
{
	const char *type = jstr(act, "type");
	json_t *field = json_object_get(act, "field");
	struct wbpf_instance *inst;

	memset(ar, 0, sizeof(*ar));
	if (!json_is_string(field)) {
		appendf(why, n, "action without a field");
		return -1;
	}
	inst = find_instance(s, jstr(act, "module"), why, n);
	if (!inst)
		return -1;
	if (type && !strcmp(type, "get"))
		return get_global(inst, json_string_value(field), ar, why, n);
	if (type && !strcmp(type, "invoke"))
		return invoke(inst, json_string_value(field), json_object_get(act, "args"), ar,
			      why, n);
	appendf(why, n, "unknown action type '%s'", type ? type : "?");
	return -1;
}

/* The public API names exports by C string: a name with a NUL in it
 * (names.wast has one) can't be asked for. */
static bool field_has_nul(json_t *cmd)
{
	json_t *field = json_object_get(json_object_get(cmd, "action"), "field");

	return json_is_string(field) && strlen(json_string_value(field)) != json_string_length(field);
}

static enum outcome cmd_action(struct script *s, json_t *cmd, char *why, size_t n)
{
	struct action_run ar;

	if (run_action(s, json_object_get(cmd, "action"), &ar, why, n))
		return FAIL;
	free(ar.res);
	if (!ar.rc)
		return PASS;
	append_err(why, n, &ar.err);
	return FAIL;
}

static void append_results(char *buf, size_t n, const struct wbpf_val *vals, size_t count)
{
	appendf(buf, n, "(");
	for (size_t i = 0; i < count; i++) {
		appendf(buf, n, "%s", i ? ", " : "");
		append_val(buf, n, &vals[i]);
	}
	appendf(buf, n, ")");
}

/* Checks results against `expected`; on a mismatch why gets both lists. */
static enum outcome check_results(json_t *expected, const struct action_run *ar, char *why,
				  size_t n)
{
	size_t count = json_array_size(expected);
	struct spec_val *want = xcalloc(count, sizeof(*want));
	bool ok = count == ar->nres;
	enum outcome out = PASS;

	for (size_t i = 0; i < count && out == PASS; i++) {
		if (parse_val(json_array_get(expected, i), &want[i], why, n))
			out = FAIL;
		else if (ok && !val_matches(&want[i], &ar->res[i]))
			ok = false;
	}
	if (out == PASS && !ok) {
		appendf(why, n, "expected (");
		for (size_t i = 0; i < count; i++) {
			appendf(why, n, "%s", i ? ", " : "");
			append_spec_val(why, n, &want[i]);
		}
		appendf(why, n, "), got ");
		append_results(why, n, ar->res, ar->nres);
		out = FAIL;
	}
	free(want);
	return out;
}

static enum outcome cmd_assert_return(struct script *s, json_t *cmd, char *why, size_t n)
{
	struct action_run ar;
	enum outcome out;

	if (run_action(s, json_object_get(cmd, "action"), &ar, why, n))
		return FAIL;
	if (ar.rc) {
		appendf(why, n, "expected results, got ");
		append_err(why, n, &ar.err);
		out = FAIL;
	} else {
		out = check_results(json_object_get(cmd, "expected"), &ar, why, n);
	}
	free(ar.res);
	return out;
}

/* The trap code the engine should report for a script's trap text. Only
 * shown as a note with -v: the requirement is a trap, not which one. */
static enum wbpf_trap trap_of_text(const char *text)
{
	static const struct {
		const char *prefix;
		enum wbpf_trap trap;
	} traps[] = {
		{ "unreachable", WBPF_TRAP_UNREACHABLE },
		{ "out of bounds memory access", WBPF_TRAP_MEM_OOB },
		{ "out of bounds table access", WBPF_TRAP_TABLE_OOB },
		{ "undefined element", WBPF_TRAP_TABLE_OOB },
		{ "uninitialized element", WBPF_TRAP_UNINIT_ELEM },
		{ "integer overflow", WBPF_TRAP_INT_OVERFLOW },
		{ "integer divide by zero", WBPF_TRAP_DIV_ZERO },
		{ "invalid conversion to integer", WBPF_TRAP_BAD_CONVERSION },
		{ "indirect call type mismatch", WBPF_TRAP_INDIRECT_TYPE },
		{ "null reference", WBPF_TRAP_NULL_REF },
		{ "call stack exhausted", WBPF_TRAP_STACK_EXHAUSTED },
	};

	for (size_t i = 0; text && i < sizeof(traps) / sizeof(traps[0]); i++) {
		if (!strncmp(text, traps[i].prefix, strlen(traps[i].prefix)))
			return traps[i].trap;
	}
	return WBPF_TRAP_NONE;
}

/* assert_trap / assert_exhaustion on an action. With `want` set the trap
 * code must be it; otherwise any trap passes, noting a different code. */
static enum outcome expect_trap(struct script *s, json_t *cmd, enum wbpf_trap want, char *why,
				size_t n)
{
	const char *text = jstr(cmd, "text");
	enum wbpf_trap hint = trap_of_text(text);
	struct action_run ar;
	enum outcome out = FAIL;

	if (run_action(s, json_object_get(cmd, "action"), &ar, why, n))
		return FAIL;
	if (!ar.rc) {
		appendf(why, n, "expected trap \"%s\", got ", text ? text : "?");
		append_results(why, n, ar.res, ar.nres);
	} else if (ar.err.kind != WBPF_ERR_TRAP || (want && ar.err.trap != want)) {
		appendf(why, n, "expected trap \"%s\", got ", text ? text : "?");
		append_err(why, n, &ar.err);
	} else {
		out = PASS;
		if (hint && ar.err.trap != hint)
			appendf(why, n, "note: expected trap \"%s\", got \"%s\"", text,
				wbpf_trap__str(ar.err.trap));
	}
	free(ar.res);
	return out;
}

static enum outcome cmd_assert_trap(struct script *s, json_t *cmd, char *why, size_t n)
{
	/* (assert_trap (module ...)) is a module whose start traps. */
	if (json_object_get(cmd, "filename"))
		return expect_inst_failure(s, cmd, WBPF_ERR_TRAP, why, n);
	return expect_trap(s, cmd, WBPF_TRAP_NONE, why, n);
}

static enum outcome cmd_assert_exhaustion(struct script *s, json_t *cmd, char *why, size_t n)
{
	return expect_trap(s, cmd, WBPF_TRAP_STACK_EXHAUSTED, why, n);
}

/* ------------------------------------------------------------- running */

typedef enum outcome (*cmd_fn)(struct script *s, json_t *cmd, char *why, size_t n);

static cmd_fn command_fn(const char *type)
{
	static const struct {
		const char *type;
		cmd_fn fn;
	} cmds[] = {
		{ "module", cmd_module },
		{ "register", cmd_register },
		{ "action", cmd_action },
		{ "assert_return", cmd_assert_return },
		{ "assert_trap", cmd_assert_trap },
		{ "assert_exhaustion", cmd_assert_exhaustion },
		{ "assert_malformed", cmd_assert_malformed },
		{ "assert_invalid", cmd_assert_invalid },
		{ "assert_unlinkable", cmd_assert_unlinkable },
		{ "assert_uninstantiable", cmd_assert_uninstantiable },
	};

	for (size_t i = 0; type && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(type, cmds[i].type))
			return cmds[i].fn;
	}
	return NULL;
}

/* SIGALRM must reach the store that is running: the one piece of state
 * that can't live in a struct passed down. */
static struct wbpf_store *volatile alarm_store;
static volatile sig_atomic_t alarm_fired;

/* First expiry interrupts the guest (its command then fails); a second
 * means the engine ignored the interrupt, and the process ends. */
static void on_alarm(int sig)
{
	static const char msg[] = "spec-runner: command ignored the interrupt, giving up\n";

	(void)sig;
	if (!alarm_fired) {
		alarm_fired = 1;
		if (alarm_store)
			wbpf_store__interrupt(alarm_store);
		alarm(INTERRUPT_GRACE);
		return;
	}
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* Nothing left to tell anyone. */
	}
	_exit(EXIT_TIMEOUT);
}

static enum outcome execute(struct script *s, json_t *cmd, char *why, size_t n)
{
	const char *type = jstr(cmd, "type");
	cmd_fn fn = command_fn(type);
	enum outcome out;

	if (!fn) {
		appendf(why, n, "unknown command type '%s'", type ? type : "?");
		return FAIL;
	}
	if (field_has_nul(cmd)) {
		appendf(why, n, "export name holds a NUL byte (API names are C strings)");
		return SKIP;
	}
	alarm_store = s->store;
	alarm_fired = 0;
	alarm(s->o->timeout);
	out = fn(s, cmd, why, n);
	alarm(0);
	if (alarm_fired) {
		/* An interrupted call looks like a trap: don't let it pass. */
		snprintf(why, n, "timed out after %u s", s->o->timeout);
		out = FAIL;
	}
	return out;
}

/* Tallies and prints one command: every one with -v, else the first
 * DETAIL_CAP failures of the script. */
static void report(struct script *s, json_t *cmd, enum outcome out, const char *why)
{
	static const char *const tags[] = { [PASS] = "ok", [FAIL] = "FAIL", [SKIP] = "skipped" };
	char desc[1024];

	if (out == PASS)
		s->prog->n.passed++;
	else if (out == FAIL)
		s->prog->n.failed++;
	else
		s->prog->n.skipped++;
	if (!s->o->verbose) {
		if (out != FAIL)
			return;
		if (s->details >= DETAIL_CAP) {
			s->dropped++;
			return;
		}
		s->details++;
	}
	describe(cmd, desc, sizeof(desc));
	printf("  %s:%" JSON_INTEGER_FORMAT ": %s: %s%s%s\n", s->file,
	       json_integer_value(json_object_get(cmd, "line")), desc, tags[out], *why ? ": " : "",
	       why);
}

static void run_command(struct script *s, json_t *cmd)
{
	char why[2048] = "";
	enum outcome out;

	s->prog->line = (long)json_integer_value(json_object_get(cmd, "line"));
	out = execute(s, cmd, why, sizeof(why));
	report(s, cmd, out, why);
	s->prog->line = 0;
}

static void script_free(struct script *s)
{
	alarm_store = NULL;
	wbpf_store__free(s->store);
	for (size_t i = 0; i < s->nnames; i++)
		free(s->names[i].name);
	free(s->names);
	free(s->dir);
}

/* Runs every command of a loaded script into prog->n. */
static void run_script(const struct opts *o, const char *path, json_t *root, struct progress *prog)
{
	json_t *cmds = json_object_get(root, "commands"), *cmd;
	const char *source = jstr(root, "source_filename");
	struct wbpf_store_opts so = { .sz = sizeof(so) };
	struct script s = { .o = o, .prog = prog };
	char why[1024] = "";
	size_t i;

	s.dir = xstrdup(path);
	*(char *)basename_of(s.dir) = '\0';
	if (!*s.dir)
		strcpy(s.dir, ".");
	snprintf(s.file, sizeof(s.file), "%s", basename_of(source ? source : path));
	s.store = wbpf_store__new(&so);
	if (!s.store) {
		printf("  %s: wbpf_store__new failed\n", s.file);
		prog->n.failed += json_array_size(cmds);
		script_free(&s);
		return;
	}
	/* Only modules importing spectest need it: let their link errors tell. */
	if (spectest_new(s.store, why, sizeof(why)) && o->verbose)
		printf("  %s: spectest incomplete: %s\n", s.file, why);
	json_array_foreach(cmds, i, cmd)
		run_command(&s, cmd);
	if (s.dropped)
		printf("  %s: ... and %lu more failures\n", s.file, s.dropped);
	script_free(&s);
}

/* Runs the script in a child; when the child dies early, the command under
 * way and everything after it count as failed (at least one failure, so a
 * sanitizer report at exit fails the run). */
static void run_forked(const struct opts *o, const char *path, json_t *root, struct progress *prog,
		       const char *name)
{
	unsigned long total = json_array_size(json_object_get(root, "commands")), done;
	int status = 0;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "spec-runner: fork: %s; running %s in-process\n", strerror(errno),
			name);
		run_script(o, path, root, prog);
		return;
	}
	if (pid == 0) {
		run_script(o, path, root, prog);
		json_decref(root);
		exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	if (WIFSIGNALED(status))
		printf("  %s: killed by signal %d (%s)", name, WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) == EXIT_TIMEOUT)
		printf("  %s: timed out", name);
	else
		printf("  %s: exited with status %d", name, WEXITSTATUS(status));
	if (prog->line)
		printf(" at line %ld", prog->line);
	printf("\n");
	done = prog->n.passed + prog->n.failed + prog->n.skipped;
	prog->n.failed += total > done ? total - done : 1;
}

/* "build/spec/i32/i32.json" -> "i32" */
static void script_name(const char *path, char *buf, size_t n)
{
	const char *base = basename_of(path), *dot = strrchr(base, '.');
	int len = dot ? (int)(dot - base) : (int)strlen(base);

	snprintf(buf, n, "%.*s", len, base);
}

static void run_file(const struct opts *o, const char *path, struct counts *total)
{
	struct progress *prog;
	json_error_t jerr;
	char name[256];
	/* names.wast exports names with NUL bytes in them. */
	json_t *root = json_load_file(path, JSON_ALLOW_NUL, &jerr);

	script_name(path, name, sizeof(name));
	if (!root) {
		printf("%s: cannot read %s: %s (line %d)\n", name, path, jerr.text, jerr.line);
		total->failed++;
		return;
	}
	prog = mmap(NULL, sizeof(*prog), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (prog == MAP_FAILED) {
		fprintf(stderr, "spec-runner: mmap: %s\n", strerror(errno));
		exit(2);
	}
	memset(prog, 0, sizeof(*prog));
	if (o->fork)
		run_forked(o, path, root, prog, name);
	else
		run_script(o, path, root, prog);
	printf("%s: %lu passed, %lu failed, %lu skipped\n", name, prog->n.passed, prog->n.failed,
	       prog->n.skipped);
	total->passed += prog->n.passed;
	total->failed += prog->n.failed;
	total->skipped += prog->n.skipped;
	munmap(prog, sizeof(*prog));
	json_decref(root);
}

/* A bare NAME means DIR/NAME/NAME.json, as wast2json is run by make. */
static void run_arg(const struct opts *o, const char *arg, struct counts *total)
{
	size_t len = strlen(arg);
	char path[4096];

	if (strchr(arg, '/') || (len > 5 && !strcmp(arg + len - 5, ".json")))
		snprintf(path, sizeof(path), "%s", arg);
	else
		snprintf(path, sizeof(path), "%s/%s/%s.json", o->dir, arg, arg);
	run_file(o, path, total);
}

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int run_dir(const struct opts *o, struct counts *total)
{
	struct dirent **ents;
	int n = scandir(o->dir, &ents, not_hidden, alphasort);

	if (n < 0) {
		fprintf(stderr, "spec-runner: %s: %s\n", o->dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		run_arg(o, ents[i]->d_name, total);
		free(ents[i]);
	}
	free(ents);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: spec-runner [-v] [-t SECONDS] [--no-fork] [-d DIR] [SCRIPT...]\n"
			"  SCRIPT  a wast2json .json file or a NAME (DIR/NAME/NAME.json);\n"
			"          none: every script under DIR (default build/spec)\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "timeout", required_argument, NULL, 't' },
		{ "dir", required_argument, NULL, 'd' },
		{ "no-fork", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "vt:d:F", longs, NULL)) != -1) {
		switch (c) {
		case 'v':
			o->verbose = true;
			break;
		case 't':
			o->timeout = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !o->timeout) {
				fprintf(stderr, "spec-runner: bad timeout '%s'\n", optarg);
				return -1;
			}
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'F':
			o->fork = false;
			break;
		default:
			usage();
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .fork = true, .timeout = DEFAULT_TIMEOUT, .dir = "build/spec" };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct counts total = { 0 };

	if (parse_args(argc, argv, &o))
		return 2;
	/* Lines must reach the terminal before a crash in a child. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	if (optind == argc && run_dir(&o, &total))
		return 2;
	for (int i = optind; i < argc; i++)
		run_arg(&o, argv[i], &total);
	printf("spec: %lu passed, %lu failed, %lu skipped\n", total.passed, total.failed,
	       total.skipped);
	return total.failed ? 1 : 0;
}
