// SPDX-License-Identifier: MIT
/* `wbpf run --invoke NAME MODULE VALUES...`: values in, results out. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/run.h"

/* An integer of `bits` bits, signed or not: "-1" and "0xffffffff" are
 * the same i32. */
static int parse_int(const char *s, unsigned bits, uint64_t *out)
{
	int64_t min = bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1));
	uint64_t max = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
	char *end;

	errno = 0;
	if (*s == '-') {
		long long v = strtoll(s, &end, 0);

		if (errno || *end || end == s || v < min)
			return -EINVAL;
		*out = (uint64_t)v & max;
		return 0;
	}
	*out = strtoull(s, &end, 0);
	return errno || *end || end == s || *out > max ? -EINVAL : 0;
}

static int parse_value(const char *s, uint8_t type, struct wbpf_val *v)
{
	uint64_t n;
	char *end = NULL;

	v->type = type;
	switch (type) {
	case WBPF_I32:
		if (parse_int(s, 32, &n))
			return -EINVAL;
		v->of.i32 = (uint32_t)n;
		return 0;
	case WBPF_I64:
		return parse_int(s, 64, &v->of.i64);
	case WBPF_F32:
		v->of.f32 = strtof(s, &end);
		break;
	case WBPF_F64:
		v->of.f64 = strtod(s, &end);
		break;
	default:
		return -ENOTSUP;
	}
	return end == s || *end ? -EINVAL : 0;
}

/* The shortest decimal that reads back as the same float. */
static void print_float(double v, int max_digits, bool single)
{
	char buf[64];

	for (int digits = 1; digits <= max_digits; digits++) {
		snprintf(buf, sizeof(buf), "%.*g", digits, v);
		if (single ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
			break;
	}
	printf("%s\n", buf);
}

static void print_value(const struct wbpf_val *v)
{
	switch (v->type) {
	case WBPF_I32: printf("%" PRId32 "\n", (int32_t)v->of.i32); break;
	case WBPF_I64: printf("%" PRId64 "\n", (int64_t)v->of.i64); break;
	case WBPF_F32: print_float(v->of.f32, 9, true); break;
	case WBPF_F64: print_float(v->of.f64, 17, false); break;
	case WBPF_FUNCREF:
	case WBPF_EXTERNREF: printf("%s\n", v->of.ref ? "ref" : "null"); break;
	default: printf("<%s>\n", wbpf_valtype__str(v->type)); break;
	}
}

static void print_signature(FILE *f, const struct wbpf_functype *ft)
{
	fputc('(', f);
	for (uint32_t i = 0; i < ft->nparams; i++)
		fprintf(f, "%s%s", i ? " " : "", wbpf_valtype__str(ft->params[i]));
	fputc(')', f);
}

static int parse_args(const struct run_ctx *r, const struct wbpf_functype *ft,
		      struct wbpf_val *args)
{
	const struct run_opts *o = r->opts;

	if (o->nargs != ft->nparams) {
		fprintf(stderr, "wbpf run: %s: '%s' takes %" PRIu32 " values ", o->module, o->invoke,
			ft->nparams);
		print_signature(stderr, ft);
		fprintf(stderr, ", got %zu\n", o->nargs);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < ft->nparams; i++) {
		int ret = parse_value(o->args[i], ft->params[i], &args[i]);

		if (ret == -ENOTSUP)
			fprintf(stderr, "wbpf run: %s: '%s' takes a %s: cannot pass one from the "
				"command line\n", o->module, o->invoke, wbpf_valtype__str(ft->params[i]));
		else if (ret)
			fprintf(stderr, "wbpf run: %s: '%s' value %" PRIu32 " ('%s') is not a valid "
				"%s\n", o->module, o->invoke, i + 1, o->args[i],
				wbpf_valtype__str(ft->params[i]));
		if (ret)
			return ret;
	}
	return 0;
}

int run_invoke(struct run_ctx *r)
{
	struct wbpf_func *fn = wbpf_instance__func(r->inst, r->opts->invoke);
	struct wbpf_val *args = NULL, *results = NULL;
	struct wbpf_error err = {0};
	struct wbpf_functype ft;
	int ret = CLI_EXIT_ERROR;

	if (!fn) {
		fprintf(stderr, "wbpf run: %s: no exported function '%s'\n", r->opts->module,
			r->opts->invoke);
		return CLI_EXIT_ERROR;
	}
	wbpf_func__type(fn, &ft);
	args = calloc(ft.nparams + 1, sizeof(*args));
	results = calloc(ft.nresults + 1, sizeof(*results));
	if (!args || !results) {
		fprintf(stderr, "wbpf run: out of memory\n");
	} else if (parse_args(r, &ft, args)) {
		ret = CLI_EXIT_USAGE;
	} else {
		ret = wbpf_func__call(fn, args, ft.nparams, results, ft.nresults, &err);
		ret = run_outcome(r, ret, &err);
		for (uint32_t i = 0; !ret && i < ft.nresults; i++)
			print_value(&results[i]);
	}
	free(args);
	free(results);
	return ret;
}
